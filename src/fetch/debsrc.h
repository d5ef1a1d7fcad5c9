/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "core/errors.h"
#include "core/hash.h"
#include "http.h"

/* Debian source packages from a Debian mirror, verified along the archive's signed chain:
 *   dists/SUITE/InRelease  signed by a key of the archive keyring (gpgv; only the text gpgv
 *                          vouches for is read, never what surrounds the signature)
 *   → the SHA256 of COMPONENT/source/Sources.xz (or .gz) it lists
 *   → the package's stanza there: Directory and Checksums-Sha256 of the .dsc, the orig
 *     tarball(s) and the Debian tarball
 *   → each file fetched into the download cache against that digest,
 * then unpacked with dpkg-source -x (which checks the files against the .dsc again and applies
 * Debian's patches). A resolved chain is remembered in CACHE/debsrc/KEY, so a second build needs
 * neither the mirror nor the keyring, only the verified blobs. A Debian version names its bytes
 * for good: the archive never accepts the same version twice. */

struct debsrc_file {
        char sha256[SHA256_HEX_LEN + 1];
        uint64_t size;
        char *name; /* a plain file name */
};

struct debsrc_entry {
        char *directory; /* pool/main/r/runc: relative to the mirror */
        struct debsrc_file *files;
        size_t n_files;
};

void debsrc_entry_clear(struct debsrc_entry *e);

/* Names as the archive spells them: a package is [a-z0-9][a-z0-9+.-]+; a version is
 * [EPOCH:]UPSTREAM[-REVISION] of [A-Za-z0-9.+~:-], starting with a digit. */
bool debsrc_valid_package(const char *p);
bool debsrc_valid_version(const char *v);
/* A suite or component name: [A-Za-z0-9._-]+, not starting with '-' or '.'. */
bool debsrc_valid_suite(const char *s);

/* In a Release file's (verified) text: the SHA256 line for path. Checks that its Suite or
 * Codename is suite. Returns 0, -ENOENT when path is not listed, -EBADMSG (err says why). */
int debsrc_release_lookup(const char *text, const char *suite, const char *path, char ret_sha256[SHA256_HEX_LEN + 1],
                          uint64_t *ret_size, struct xb_detail *err);

/* In a Sources index: the stanza of package at exactly version. -ENOENT when there is none:
 * err then lists the versions of package the index has (or says it has none); -EBADMSG when
 * the stanza is unusable (no .dsc, an unsafe file name or directory). */
int debsrc_sources_lookup(const char *text, size_t len, const char *package, const char *version,
                          struct debsrc_entry *ret, struct xb_detail *err);

/* The .dsc among the entry's files (NULL when none). */
const struct debsrc_file *debsrc_entry_dsc(const struct debsrc_entry *e);

/* Serialised form of a resolved entry (CACHE/debsrc/KEY), and back. */
char *debsrc_entry_format(const struct debsrc_entry *e);
int debsrc_entry_parse(const char *text, struct debsrc_entry *ret);

/* The upstream part of a Debian version: no epoch, no Debian revision, no repack suffix
 * (+ds1, ~ds1, +dfsg1, +repack2): 1:5.0.2-1+deb12u4 -> 5.0.2, 1.1.5+ds1-1+deb12u1 -> 1.1.5. */
char *debsrc_upstream_version(const char *version);

/* gpgv's --status-fd output: true when it reports a good signature with a valid key
 * (GOODSIG and VALIDSIG) and no bad one; its exit status alone is not enough (apt reads the
 * same lines). */
bool debsrc_gpgv_status_ok(const char *status);

struct debsrc_req {
        const char *package;
        const char *version;
        const char *suite;     /* NULL: bookworm */
        const char *component; /* NULL: main */
        const char *mirror;    /* NULL: the host's apt sources for suite */
        const char *keyring;   /* NULL: /usr/share/keyrings/debian-archive-keyring.gpg */
        const char *etc_apt;   /* NULL: /etc/apt */
        struct http_opts http;
};

/* Resolves and fetches every file of the source package into the cache. *ret_network: the
 * mirror was asked. Errors: -XB_E_SIGNATURE (InRelease does not verify), -XB_E_CHECKSUM (an
 * index or file does not match the digest above it), -ENOENT (no such package or version: err
 * lists the versions there are), -XB_E_NOT_AVAILABLE (no mirror, no keyring, no gpgv), the
 * fetch layer's; err always says which file and why. */
int debsrc_fetch(const struct cache *c, const struct debsrc_req *req, struct debsrc_entry *ret, bool *ret_network,
                 struct xb_detail *err);

/* dpkg-source -x of a fetched entry into dest (which must not exist; removed on failure).
 * *ret_epoch: the time of debian/changelog's latest entry (-1 when unknown). */
int debsrc_unpack(const struct cache *c, const struct debsrc_entry *e, const char *dest, long long *ret_epoch,
                  struct xb_detail *err);
