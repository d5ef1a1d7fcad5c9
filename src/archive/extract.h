/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

/* Safe extraction with libarchive (tar in any compression it knows, and a .deb's data
 * member). Owners (numeric, as a root file system needs), modes, times, xattrs, ACLs, device
 * nodes and hard links are kept. Refused, naming the entry: absolute paths, '..' components,
 * writing through a symlink, hard links out of the tree or onto a symlink. Absolute symlinks are
 * kept as they are: legitimate in a rootfs, never followed by the extraction.
 *
 * Every refused entry fails the extraction, as does every failed write (a full disk, a quota,
 * an I/O error, also one reported only at writeback): nothing is skipped in silence. The only
 * entries left out are device nodes the caller may not create (EPERM: not root, or root of a
 * user namespace).
 *
 * The tree is written to a sibling "DEST.partial-PID" and renamed to DEST only when the whole
 * archive extracted and its data reached the disk (syncfs); on any failure the partial tree is
 * removed. DEST must not exist. */

struct extract_opts {
        unsigned strip_components;
        uint64_t max_entries; /* 0: 4,000,000 */
        uint64_t max_bytes;   /* sum of entry sizes; 0: 256 GiB */
        bool keep_owner;      /* restore uid/gid (needs root) */
        void (*progress)(void *userdata, uint64_t entries, uint64_t read, uint64_t total);
        void *userdata;
};

struct extract_result {
        uint64_t entries;
        uint64_t bytes;
        char entry[512]; /* the entry at fault, when there is one */
        bool write_failed; /* the failure is the disk's (-errno), not the archive's */
        char path[512];    /* then: what could not be written, relative to DEST ("": the tree) */
};

/* Returns 0, -XB_E_ARCHIVE_UNSAFE, -XB_E_ARCHIVE, -XB_E_TOO_LARGE, -EEXIST, -errno; err says
 * why (without the entry's name, which is in res->entry; for a failed write, err is the
 * errno's text). */
int archive_extract(const char *archive_path, const char *dest, const struct extract_opts *o,
                    struct extract_result *res, struct xb_detail *err);
/* The data.tar.* member of a Debian package. */
int archive_extract_deb(const char *deb_path, const char *dest, const struct extract_opts *o,
                        struct extract_result *res, struct xb_detail *err);

/* Whether an archive member name stays inside the tree ("./" prefixes allowed). */
bool archive_member_name_safe(const char *name);
