/* SPDX-License-Identifier: MIT */
#pragma once

#include "fetch/cache.h"
#include "fetch/http.h"

/* Network options shared by the verbs that download. */
#define FETCH_LONG_OPTIONS                                                                         \
        {"retries", required_argument, NULL, 0x200}, {"connect-timeout", required_argument, NULL, 0x201}, \
                {"stall-timeout", required_argument, NULL, 0x202},                                  \
                {"max-size", required_argument, NULL, 0x203}

#define FETCH_HELP                                                                                 \
        "      --retries=N           Extra attempts after a transient failure (default 3)\n"       \
        "      --connect-timeout=S   Seconds to connect (default 30)\n"                            \
        "      --stall-timeout=S     Abort a transfer stalled this long (default 60)\n"            \
        "      --max-size=BYTES      Refuse larger downloads (default 8 GiB)\n"

/* 1 when c was a network option (parsed into o), 0 when not, -1 on a bad value (reported). */
int fetch_opts_option(struct http_opts *o, int c, const char *arg, const char *verb);
void fetch_opts_defaults(struct http_opts *o);
/* Progress for a download on a terminal. */
void fetch_progress_cb(void *userdata, uint64_t done, uint64_t total);
/* Opens (creating) the cache under --cache-dir or the default; logs failures. */
int cli_open_cache(struct cache **ret);
