/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "cache.h"
#include "http.h"

/* One file from a URL into the content-addressed cache, verified against its pinned sha256.
 * A hit costs no transfer, only a re-hash (once per process, see cache_check_blob); a corrupt
 * blob is removed, with a warning naming it, and fetched again. On any other failure the cache
 * is as it was, but for a partial download kept under tmp/ to resume (transfer errors only). */

struct fetch_req {
        const char *url;
        const char *sha256;  /* pinned digest; NULL only with allow_unpinned */
        bool allow_unpinned; /* the user's explicit insecure choice: the digest is reported */
        struct http_opts http;
};

struct fetch_result {
        char sha256[SHA256_HEX_LEN + 1]; /* what was stored (or, on a mismatch, what came) */
        char *path;                      /* the blob; caller frees */
        bool hit;                        /* already cached: nothing transferred */
        bool waited;                     /* another process held the lock */
        uint64_t size;
        struct http_result http;         /* cleared with the rest */
};

void fetch_result_clear(struct fetch_result *r);

/* Returns 0, or: -XB_E_UNPINNED, -XB_E_FETCH_SCHEME (URL refused before any transfer),
 * -XB_E_CHECKSUM (res->sha256 holds the actual digest): all three without err, for the caller
 * to word; or http_download()'s errors with err set (naming the blob when a corrupt one was
 * removed and could not be fetched again). Clear res after failures too. */
int fetch_to_cache(const struct cache *c, const struct fetch_req *req, struct fetch_result *res, struct xb_detail *err);

/* Only http://, https:// and file:// URLs, never one starting with '-'. */
bool fetch_url_allowed(const char *url);
