/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "macro.h"

enum log_level {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_NOTICE,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
        _LOG_LEVEL_MAX,
};

/* Diagnostics go to stderr only; stdout is for the data a verb was asked for. */
void log_set_max_level(enum log_level level);
enum log_level log_get_max_level(void);
/* colour: -1 = decide from isatty(stderr) and $NO_COLOR, 0 = never, 1 = always. */
void log_set_color(int colour);
bool log_use_color(void);

/* Returns -abs(error) so callers can 'return log_error_errno(r, ...)'; when error is non-zero,
 * errno is set to it first so that %m renders it (project codes included). */
int log_internal(enum log_level level, int error, const char *fmt, ...) _printf_(3, 4);

/* '%m' in our format strings must also render project codes (>= 1024), which glibc's %m does
 * not know; log_internal rewrites %m itself. */
#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_LEVEL_ERROR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_LEVEL_WARNING, (error), __VA_ARGS__)
#define log_debug_errno(error, ...) log_full_errno(LOG_LEVEL_DEBUG, (error), __VA_ARGS__)
#define log_error(...) (void) log_internal(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...) (void) log_internal(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...) (void) log_internal(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...) (void) log_internal(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) (void) log_internal(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)

/* Messages that must be exactly one line in a fixed form (FILE:LINE:COL: message) bypass the
 * "xbuild: " prefix; they still honour colour and levels. */
void log_located(enum log_level level, const char *file, unsigned line, unsigned col,
                 const char *msg);

/* Called around every line this module writes to stderr, e.g. to clear a status line before
 * it and draw it again after. Either may be NULL; (NULL, NULL) unregisters. The hooks must not
 * log themselves (they are not re-entered: a log call inside one is printed without them). */
void log_set_write_hooks(void (*before)(void), void (*after)(void));
