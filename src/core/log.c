/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"

static enum log_level log_max_level = LOG_LEVEL_INFO;
static int log_color = -1;
static void (*log_hook_before)(void), (*log_hook_after)(void);
static bool log_in_hook;

void log_set_write_hooks(void (*before)(void), void (*after)(void)) {
        log_hook_before = before;
        log_hook_after = after;
}

void log_set_max_level(enum log_level level) {
        log_max_level = level;
}

enum log_level log_get_max_level(void) {
        return log_max_level;
}

void log_set_color(int colour) {
        log_color = colour;
}

bool log_use_color(void) {
        if (log_color >= 0)
                return log_color;
        /* https://no-color.org: any non-empty value disables colour. */
        const char *nc = getenv("NO_COLOR");
        if (nc && *nc)
                return false;
        const char *term = getenv("TERM");
        if (term && streq(term, "dumb"))
                return false;
        return isatty(STDERR_FILENO);
}

static const char *level_color(enum log_level level) {
        switch (level) {
        case LOG_LEVEL_ERROR:
                return "\033[1;31m";
        case LOG_LEVEL_WARNING:
                return "\033[1;33m";
        case LOG_LEVEL_NOTICE:
                return "\033[1m";
        case LOG_LEVEL_DEBUG:
                return "\033[2m";
        default:
                return NULL;
        }
}

/* Expands %m to xb_strerror(error) so project codes print as text, then formats the rest. */
static void render(char *buf, size_t size, int error, const char *fmt, va_list ap) {
        char fmt2[1024];
        size_t o = 0;
        const char *e = xb_strerror(error);

        for (const char *p = fmt; *p && o + 1 < sizeof fmt2; p++) {
                if (p[0] == '%' && p[1] == '%') {
                        if (o + 2 >= sizeof fmt2)
                                break;
                        fmt2[o++] = '%';
                        fmt2[o++] = '%';
                        p++;
                } else if (p[0] == '%' && p[1] == 'm') {
                        /* The error text may contain '%': escape it. */
                        for (const char *q = e; *q && o + 2 < sizeof fmt2; q++) {
                                if (*q == '%')
                                        fmt2[o++] = '%';
                                fmt2[o++] = *q;
                        }
                        p++;
                } else
                        fmt2[o++] = *p;
        }
        fmt2[o] = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        (void) vsnprintf(buf, size, fmt2, ap);
#pragma GCC diagnostic pop
}

static void emit(enum log_level level, const char *prefix, const char *text) {
        const char *c = log_use_color() ? level_color(level) : NULL;
        bool nested = log_in_hook;
        int saved = errno;

        (void) fflush(stdout);
        log_in_hook = true;
        if (!nested && log_hook_before)
                log_hook_before();
        (void) fprintf(stderr, "%s%s%s%s\n", c ? c : "", prefix, text, c ? "\033[0m" : "");
        if (!nested && log_hook_after)
                log_hook_after();
        log_in_hook = nested;
        errno = saved;
}

int log_internal(enum log_level level, int error, const char *fmt, ...) {
        int saved = errno;
        char buf[4096];
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > log_max_level) {
                errno = saved;
                return -error;
        }
        va_start(ap, fmt);
        render(buf, sizeof buf, error ? error : saved, fmt, ap);
        va_end(ap);

        const char *prefix = level == LOG_LEVEL_ERROR     ? "xbuild: error: "
                             : level == LOG_LEVEL_WARNING ? "xbuild: warning: "
                                                          : "";
        emit(level, prefix, buf);
        errno = error ? error : saved;
        return -error;
}

void log_located(enum log_level level, const char *file, unsigned line, unsigned col,
                 const char *msg) {
        char buf[4096];

        if (level > log_max_level)
                return;
        (void) snprintf(buf, sizeof buf, "%s:%u:%u: %s", file, line, col, msg);
        emit(level, "", buf);
}
