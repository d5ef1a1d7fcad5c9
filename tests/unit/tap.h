/* SPDX-License-Identifier: MIT */
#pragma once

/* A minimal TAP producer for the unit tests (meson test protocol: 'tap'). */

#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failures;

__attribute__((format(printf, 4, 5))) static inline void tap_ok_at(int ok, const char *file,
                                                                   int line, const char *fmt, ...) {
        va_list ap;
        printf("%s %d - ", ok ? "ok" : "not ok", ++tap_count);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        if (!ok) {
                tap_failures++;
                printf("# failed at %s:%d\n", file, line);
        }
        fflush(stdout);
}

#define tap_ok(cond, ...) tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define tap_diag(...) (printf("# " __VA_ARGS__), putchar('\n'))

static inline int tap_done(void) {
        printf("1..%d\n", tap_count);
        return tap_failures ? 1 : 0;
}
