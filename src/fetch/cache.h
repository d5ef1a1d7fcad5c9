/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/hash.h"
#include "core/macro.h"

/* The download cache, content-addressed:
 *   ROOT/blobs/sha256/HEX   complete, verified files, read-only
 *   ROOT/index/URLHASH      "sha256 HEX\nsize N\nurl URL\n": which URL gave which blob
 *   ROOT/tmp/               partial downloads (kept for resuming) and files being written
 *   ROOT/lock               one file; open-file-description locks on a byte per key, so
 *                           processes sharing a cache never download the same thing twice
 *   ROOT/git/URLHASH.git    bare mirrors of git sources
 * A blob appears only by rename() of a verified, fsync'd file, so a crash at any point leaves
 * either no blob or a whole one. A disk, a tool or a user can still alter one later, so a
 * blob is checked before it is handed out (cache_check_blob). */

struct cache_memo;

struct cache {
        char *root;
        struct cache_memo *memo; /* blobs this process has hashed: changes behind a const cache */
};

/* Creates the layout below root when missing. */
int cache_open(const char *root, struct cache **ret);
struct cache *cache_free(struct cache *c);
DEFINE_FREEP(struct cache, cache_free)

char *cache_blob_path(const struct cache *c, const char *sha256);
char *cache_sub(const struct cache *c, const char *sub, const char *name);

/* Re-hashes a blob. Returns 0 when its content matches its name, -XB_E_CHECKSUM with ret_got
 * set to what it hashes to, -ENOENT when there is none, or -errno. */
int cache_verify_blob(const struct cache *c, const char *sha256, char ret_got[SHA256_HEX_LEN + 1]);
/* Whether a blob may be handed out: a regular file of expected_size (UINT64_MAX: not known)
 * whose content matches its name, hashed once per process; a file changed since (identity,
 * size or times) is hashed again. Returns 0, -ENOENT when there is none, -XB_E_CHECKSUM when
 * it is corrupt (err says how, e.g. "sha256 HEX"), or -errno. */
int cache_check_blob(const struct cache *c, const char *sha256, uint64_t expected_size, struct xb_detail *err);
/* Removes a blob (a corrupt one): 0 also when there was none. */
int cache_evict_blob(const struct cache *c, const char *sha256);

/* Exclusive lock for KEY (a byte of ROOT/lock chosen by KEY's hash; a rare collision only
 * serialises two unrelated downloads). *ret_contended is set when another process held it and
 * we waited. Returns the fd to close for unlocking; the lock dies with the process. */
int cache_lock(const struct cache *c, const char *key, bool *ret_contended, int *ret_fd);
/* The same without waiting: -EWOULDBLOCK while another process holds it. */
int cache_try_lock(const struct cache *c, const char *key, int *ret_fd);

/* Moves a verified file into the blob store: fsync, chmod 0444, rename, fsync the directory. */
int cache_commit_blob(const struct cache *c, int fd, const char *tmp_path, const char *sha256);
/* Records url -> digest (atomic replace). */
int cache_record_url(const struct cache *c, const char *url, const char *sha256, uint64_t size);
/* What the index records for url: -ENOENT when nothing, or when the entry is not ours. */
int cache_lookup_url(const struct cache *c, const char *url, char ret_sha256[SHA256_HEX_LEN + 1], uint64_t *ret_size);

struct cache_entry {
        char sha256[SHA256_HEX_LEN + 1];
        uint64_t size;
        char *url; /* NULL for a blob no index entry names */
};

/* Every blob, with the URL that brought it when known. */
int cache_list(const struct cache *c, struct cache_entry **ret, size_t *ret_n);
void cache_entries_free(struct cache_entry *e, size_t n);
