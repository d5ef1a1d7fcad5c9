/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "cmd.h"
#include "core/dirs.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/progress.h"
#include "fetch-opts.h"

static int parse_u64(const char *arg, uint64_t max, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-' || v > max)
                return -1;
        *ret = v;
        return 0;
}

void fetch_opts_defaults(struct http_opts *o) {
        *o = (struct http_opts){.retries = 3, .connect_timeout_s = 30, .stall_timeout_s = 60};
}

int fetch_opts_option(struct http_opts *o, int c, const char *arg, const char *verb) {
        uint64_t v;
        switch (c) {
        case 0x200:
                if (parse_u64(arg, 20, &v) < 0)
                        return cli_usage_error(verb, "--retries takes a number from 0 to 20"), -1;
                o->retries = (unsigned) v;
                return 1;
        case 0x201:
        case 0x202:
                if (parse_u64(arg, 86400, &v) < 0 || v == 0)
                        return cli_usage_error(verb, "%s takes seconds from 1 to 86400",
                                               c == 0x201 ? "--connect-timeout" : "--stall-timeout"), -1;
                if (c == 0x201)
                        o->connect_timeout_s = (unsigned) v;
                else
                        o->stall_timeout_s = (unsigned) v;
                return 1;
        case 0x203:
                if (parse_u64(arg, UINT64_MAX, &v) < 0 || v == 0)
                        return cli_usage_error(verb, "--max-size takes a number of bytes"), -1;
                o->max_size = v;
                return 1;
        default:
                return 0;
        }
}

void fetch_progress_cb(void *userdata, uint64_t done, uint64_t total) {
        progress_update(userdata, done, total, true);
}

int cli_open_cache(struct cache **ret) {
        _cleanup_free_ char *dir = NULL;
        int r = xb_cache_dir(cli_cache_dir(), &dir);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the cache directory (set --cache-dir): %m"),
                       XB_EXIT_HOST_MISSING;
        r = cache_open(dir, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to open the cache '%s': %m", dir), XB_EXIT_HOST_MISSING;
        log_debug("Cache: %s", dir);
        return 0;
}
