/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "fetch.h"

void fetch_result_clear(struct fetch_result *r) {
        free(r->path);
        r->path = NULL;
        http_result_clear(&r->http);
}

bool fetch_url_allowed(const char *url) {
        return strneq(url, "https://", 8) || strneq(url, "http://", 7) || strneq(url, "file://", 7);
}

static int hit(const struct cache *c, const char *sha256, struct fetch_result *res) {
        struct stat st;
        res->path = cache_blob_path(c, sha256);
        if (!res->path)
                return -ENOMEM;
        if (stat(res->path, &st) < 0)
                return -errno;
        memcpy(res->sha256, sha256, SHA256_HEX_LEN + 1);
        res->size = (uint64_t) st.st_size;
        res->hit = true;
        return 0;
}

/* The pinned blob, checked: 1 with res filled when it is whole; 0 when there is none, or when
 * it is corrupt: then, with evict, it is removed and *evicted set (without, the caller decides
 * under the lock, where no other process is fetching it). */
static int cached(const struct cache *c, const struct fetch_req *req, bool evict, struct fetch_result *res,
                  bool *evicted) {
        _cleanup_(xb_detail_clear) struct xb_detail why = {0};
        char indexed[SHA256_HEX_LEN + 1];
        uint64_t size;
        int r;

        /* The size this URL gave, when the index says it gave this blob. */
        if (cache_lookup_url(c, req->url, indexed, &size) < 0 || !streq(indexed, req->sha256))
                size = UINT64_MAX;
        r = cache_check_blob(c, req->sha256, size, &why);
        if (r == -ENOENT || (r == -XB_E_CHECKSUM && !evict))
                return 0;
        if (r == -XB_E_CHECKSUM) {
                /* Logged here, not by the caller: the fetch goes on, so there is no error to
                 * carry, and callers that only see it through source_prepare() or a rootfs
                 * still owe the user word that their cache was damaged. */
                log_warning("Cached blob %s is corrupt (%s): removed, fetching again", req->sha256,
                            xb_detail_text(&why, r));
                r = cache_evict_blob(c, req->sha256);
                if (r < 0)
                        return r;
                *evicted = true;
                return 0;
        }
        if (r < 0)
                return r;
        r = hit(c, req->sha256, res);
        return r < 0 ? r : 1;
}

int fetch_to_cache(const struct cache *c, const struct fetch_req *req, struct fetch_result *res, struct xb_detail *err) {
        _cleanup_close_ int lock = -EBADF, fd = -EBADF;
        _cleanup_free_ char *key = NULL, *part = NULL, *name = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail dl = {0};
        char urlhash[SHA256_HEX_LEN + 1];
        bool second_try = false, evicted = false;
        struct stat st;
        int r;

        *res = (struct fetch_result){0};
        if (!fetch_url_allowed(req->url))
                return -XB_E_FETCH_SCHEME;
        if (!req->sha256 && !req->allow_unpinned)
                return -XB_E_UNPINNED;
        if (req->sha256 && (r = cached(c, req, false, res, &evicted)) != 0)
                return r < 0 ? r : 0;

        if (sha256_string(req->url, urlhash) < 0)
                return -ENOMEM;
        /* The key names the content when we know it, so two URLs of one file share it. */
        if (asprintf(&key, "%s%s", req->sha256 ? "" : "url-", req->sha256 ? req->sha256 : urlhash) < 0)
                return -ENOMEM;
        r = cache_lock(c, key, &res->waited, &lock);
        if (r < 0)
                return r;
        /* Again under the lock: the other process may have fetched it meanwhile. */
        if (req->sha256 && (r = cached(c, req, true, res, &evicted)) != 0)
                return r < 0 ? r : 0;

        if (asprintf(&name, "%s.part", key) < 0 || !(part = cache_sub(c, "tmp", name)))
                return -ENOMEM;
again:
        fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        r = http_download(req->url, fd, &req->http, &res->http, evicted ? &dl : err);
        if (r < 0) {
                /* Keep what arrived only when a later run can resume it. */
                if (r != -XB_E_FETCH || fstat(fd, &st) < 0 || st.st_size == 0)
                        (void) unlink(part);
                if (evicted)
                        return xb_detail_set(err, r, "cached blob %s was corrupt and is removed; fetching it again failed: %s",
                                             req->sha256, xb_detail_text(&dl, r));
                return r;
        }
        if (lseek(fd, 0, SEEK_SET) < 0 || fstat(fd, &st) < 0)
                return -errno;
        r = sha256_fd(fd, res->sha256);
        if (r < 0)
                return r;
        res->size = (uint64_t) st.st_size;
        if (req->sha256 && !streq(res->sha256, req->sha256)) {
                (void) unlink(part);
                /* A stale partial file from an older version of the resource poisons a resumed
                 * download: start over once before calling it a mismatch. */
                if (res->http.resumed_from > 0 && !second_try) {
                        second_try = true;
                        closep(&fd);
                        fd = -EBADF;
                        http_result_clear(&res->http);
                        goto again;
                }
                return -XB_E_CHECKSUM;
        }
        r = cache_commit_blob(c, fd, part, res->sha256);
        if (r < 0) {
                (void) unlink(part);
                return r;
        }
        r = cache_record_url(c, req->url, res->sha256, res->size);
        if (r < 0)
                return r;
        res->path = cache_blob_path(c, res->sha256);
        return res->path ? 0 : -ENOMEM;
}
