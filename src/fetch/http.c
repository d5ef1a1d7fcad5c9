/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "http.h"

#ifndef XB_VERSION
#define XB_VERSION "unknown"
#endif

struct transfer {
        CURL *curl;
        int fd;
        uint64_t offset;  /* file size when this attempt started */
        uint64_t written; /* by this attempt */
        uint64_t max_size;
        bool restarted;   /* the server ignored our Range: we started over */
        bool too_large;
        int write_errno;
        const struct http_opts *o;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *u) {
        struct transfer *t = u;
        size_t n = size * nmemb;
        long code = 0;

        if (t->written == 0 && t->offset > 0 && !t->restarted) {
                /* A 200 to a range request is the whole body again. */
                (void) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
                if (code == 200) {
                        if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0) {
                                t->write_errno = errno;
                                return 0;
                        }
                        t->offset = 0;
                        t->restarted = true;
                }
        }
        if (t->offset + t->written + n > t->max_size) {
                t->too_large = true;
                return 0;
        }
        int r = write_all(t->fd, ptr, n);
        if (r < 0) {
                t->write_errno = -r;
                return 0;
        }
        t->written += n;
        return n;
}

static int on_progress(void *u, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
        struct transfer *t = u;
        (void) ultotal, (void) ulnow;
        if (t->o->progress)
                t->o->progress(t->o->userdata, t->offset + (uint64_t) dlnow,
                               dltotal > 0 ? t->offset + (uint64_t) dltotal : 0);
        return 0;
}

static bool transient(CURLcode c, long status) {
        switch (c) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
                return true;
        case CURLE_HTTP_RETURNED_ERROR:
                return status == 408 || status == 429 || status >= 500;
        default:
                return false;
        }
}

static bool has_scheme(const char *url, const char *scheme) {
        size_t n = strlen(scheme);
        return strncasecmp(url, scheme, n) == 0 && strneq(url + n, "://", 3);
}

const char *http_redirect_protocols(const char *url) {
        return has_scheme(url, "https") ? "https" : "http,https";
}

void http_result_clear(struct http_result *r) {
        free(r->effective_url);
        r->effective_url = NULL;
}

static void global_init(void) {
        static bool done = false;
        if (!done) {
                (void) curl_global_init(CURL_GLOBAL_DEFAULT);
                (void) atexit(curl_global_cleanup);
                done = true;
        }
}

static int one_attempt(const char *url, int fd, const struct http_opts *o, struct http_result *res,
                       bool *ret_retry, bool *ret_restart, struct xb_detail *err) {
        char errbuf[CURL_ERROR_SIZE] = "";
        struct transfer t = {.fd = fd, .o = o};
        struct stat st;
        CURLcode c;
        long status = 0, redirects = 0;
        char *eff = NULL;
        int r = 0;

        *ret_retry = *ret_restart = false;
        if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_END) < 0)
                return -errno;
        t.offset = (uint64_t) st.st_size;
        t.max_size = o->max_size ? o->max_size : (8ULL << 30);
        if (res->attempts == 0)
                res->resumed_from = t.offset;
        res->attempts++;

        t.curl = curl_easy_init();
        if (!t.curl)
                return -ENOMEM;
        (void) curl_easy_setopt(t.curl, CURLOPT_URL, url);
        (void) curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, errbuf);
        (void) curl_easy_setopt(t.curl, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(t.curl, CURLOPT_USERAGENT, "xbuild/" XB_VERSION);
        (void) curl_easy_setopt(t.curl, CURLOPT_PROTOCOLS_STR, o->allow_file ? "http,https,file" : "http,https");
        (void) curl_easy_setopt(t.curl, CURLOPT_REDIR_PROTOCOLS_STR, http_redirect_protocols(url));
        (void) curl_easy_setopt(t.curl, CURLOPT_FOLLOWLOCATION, 1L);
        (void) curl_easy_setopt(t.curl, CURLOPT_MAXREDIRS, 5L);
        (void) curl_easy_setopt(t.curl, CURLOPT_FAILONERROR, 1L);
        (void) curl_easy_setopt(t.curl, CURLOPT_SSL_VERIFYPEER, 1L);
        (void) curl_easy_setopt(t.curl, CURLOPT_SSL_VERIFYHOST, 2L);
        (void) curl_easy_setopt(t.curl, CURLOPT_CONNECTTIMEOUT, (long) (o->connect_timeout_s ? o->connect_timeout_s : 30));
        (void) curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        (void) curl_easy_setopt(t.curl, CURLOPT_LOW_SPEED_TIME, (long) (o->stall_timeout_s ? o->stall_timeout_s : 60));
        (void) curl_easy_setopt(t.curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) (t.max_size - MIN(t.max_size, t.offset)));
        (void) curl_easy_setopt(t.curl, CURLOPT_WRITEFUNCTION, on_data);
        (void) curl_easy_setopt(t.curl, CURLOPT_WRITEDATA, &t);
        (void) curl_easy_setopt(t.curl, CURLOPT_NOPROGRESS, 0L);
        (void) curl_easy_setopt(t.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        (void) curl_easy_setopt(t.curl, CURLOPT_XFERINFODATA, &t);
        if (t.offset > 0)
                (void) curl_easy_setopt(t.curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t) t.offset);

        c = curl_easy_perform(t.curl);
        (void) curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
        res->status = status;
        res->received += t.written;
        /* After a redirect the effective URL is where it went (or, refused, tried to go). */
        (void) curl_easy_getinfo(t.curl, CURLINFO_EFFECTIVE_URL, &eff);
        (void) curl_easy_getinfo(t.curl, CURLINFO_REDIRECT_COUNT, &redirects);
        if (eff && streq(eff, url))
                eff = NULL;
        free(res->effective_url);
        res->effective_url = eff && redirects > 0 ? strdup(eff) : NULL;

        if (eff && redirects > 0 && !res->effective_url)
                r = -ENOMEM;
        else if (c == CURLE_OK)
                r = 0;
        else if (t.too_large || c == CURLE_FILESIZE_EXCEEDED)
                r = xb_detail_set(err, -XB_E_TOO_LARGE, "larger than the limit of %llu bytes", (unsigned long long) t.max_size);
        else if (t.write_errno)
                r = xb_detail_set(err, -t.write_errno, "cannot write the download: %s", strerror(t.write_errno));
        else if (c == CURLE_HTTP_RETURNED_ERROR && status == 416 && t.offset > 0) {
                /* Nothing left to send: the partial file was already whole. The digest decides. */
                r = 0;
        } else if (c == CURLE_RANGE_ERROR && t.offset > 0) {
                /* The server cannot resume: the partial file is useless, start over. */
                (void) xb_detail_set(err, -XB_E_FETCH, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
                if (ftruncate(fd, 0) < 0)
                        r = -errno;
                else {
                        *ret_restart = true;
                        r = -XB_E_FETCH;
                }
        } else if (c == CURLE_UNSUPPORTED_PROTOCOL) {
                if (eff && has_scheme(url, "https") && has_scheme(eff, "http"))
                        r = xb_detail_set(err, -XB_E_FETCH_SCHEME, "Refused a redirect from https to plain http: %s", eff);
                else if (eff)
                        r = xb_detail_set(err, -XB_E_FETCH_SCHEME, "redirect to a forbidden scheme: %s", eff);
                else
                        r = xb_detail_set(err, -XB_E_FETCH_SCHEME, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
        } else if (c == CURLE_HTTP_RETURNED_ERROR) {
                r = xb_detail_set(err, -XB_E_HTTP_STATUS, "server answered HTTP %ld", status);
                *ret_retry = transient(c, status);
        } else {
                r = xb_detail_set(err, -XB_E_FETCH, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
                *ret_retry = transient(c, status);
        }
        curl_easy_cleanup(t.curl);
        return r;
}

int http_download(const char *url, int fd, const struct http_opts *o, struct http_result *res, struct xb_detail *err) {
        _cleanup_(xb_detail_clear) struct xb_detail last = {0};
        unsigned delay = o->retry_delay_ms ? o->retry_delay_ms : 1000;
        int r;

        global_init();
        *res = (struct http_result){0};
        for (bool restarted = false;;) {
                bool retry, restart;
                xb_detail_clear(&last); /* the last attempt says why */
                r = one_attempt(url, fd, o, res, &retry, &restart, &last);
                if (restart && !restarted) {
                        restarted = true;
                        continue;
                }
                if (r >= 0 || !retry || res->attempts > o->retries)
                        break;
                struct timespec ts = {.tv_sec = delay / 1000, .tv_nsec = (long) (delay % 1000) * 1000000L};
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                delay = MIN(delay * 2, 60000U);
        }
        if (r < 0 && res->attempts > 1)
                return xb_detail_set(err, r, "%s (after %u attempts)", xb_detail_text(&last, r), res->attempts);
        if (r < 0)
                return xb_detail_set(err, r, "%s", xb_detail_text(&last, r));
        return r;
}
