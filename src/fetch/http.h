/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

/* HTTP(S) downloads through libcurl: resumable, retried on transient failures, bounded in
 * time and size, redirects limited to http and https (https only from an https URL: never a
 * downgrade), TLS always verified. */

struct http_opts {
        unsigned connect_timeout_s; /* 0: 30 */
        unsigned stall_timeout_s;   /* abort below 1 byte/s for this long; 0: 60 */
        unsigned retries;           /* extra attempts after a transient failure */
        unsigned retry_delay_ms;    /* first back-off, doubled each time; 0: 1000 */
        uint64_t max_size;          /* 0: 8 GiB */
        bool allow_file;            /* file:// for the URL itself (never for a redirect) */
        void (*progress)(void *userdata, uint64_t done, uint64_t total);
        void *userdata;
};

struct http_result {
        long status;          /* last HTTP status, 0 if none */
        unsigned attempts;
        uint64_t resumed_from; /* bytes already in the file at the first attempt */
        uint64_t received;    /* bytes written by all attempts */
        char *effective_url;  /* where the last attempt ended after redirects; NULL when at the
                               * URL asked for. Freed by http_result_clear() */
};

void http_result_clear(struct http_result *r);

/* The schemes a redirect from url may go to (CURLOPT_REDIR_PROTOCOLS_STR): "https" when url is
 * https, so TLS is never silently dropped; "http,https" otherwise. */
const char *http_redirect_protocols(const char *url);

/* Appends the body of url to fd, which may already hold a prefix of it (then a Range request
 * resumes; a server that ignores ranges restarts the file). Returns 0, or -XB_E_FETCH,
 * -XB_E_HTTP_STATUS, -XB_E_FETCH_SCHEME (also a refused redirect), -XB_E_TOO_LARGE, -errno;
 * err says why (the last attempt's reason, and how many attempts were made). res is reset
 * first: clear it between two calls. */
int http_download(const char *url, int fd, const struct http_opts *o, struct http_result *res, struct xb_detail *err);
