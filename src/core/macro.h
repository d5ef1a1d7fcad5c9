/* SPDX-License-Identifier: MIT */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((__cleanup__(f)))
#define _unused_ __attribute__((__unused__))
#define _printf_(a, b) __attribute__((__format__(printf, a, b)))
#define _noreturn_ __attribute__((__noreturn__))
#define _pure_ __attribute__((__pure__))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define STRLEN(s) (sizeof("" s "") - 1)

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int e = errno;
                (void) close(*fd);
                errno = e;
        }
}

static inline void fclosep(FILE **f) {
        if (*f) {
                int e = errno;
                (void) fclose(*f);
                errno = e;
        }
}

static inline void closedirp(DIR **d) {
        if (*d) {
                int e = errno;
                (void) closedir(*d);
                errno = e;
        }
}

/* A temporary file's path: removed unless the owner takes it (TAKE_PTR) once it is renamed
 * into place. */
static inline void unlink_and_freep(char **p) {
        if (*p) {
                int e = errno;
                (void) unlink(*p);
                free(*p);
                errno = e;
        }
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Defines fnp(type **p) that calls fn(*p) when *p is set, for use with _cleanup_(). */
#define DEFINE_FREEP(type, fn)                                                                     \
        static inline void fn##p(type **p) {                                                       \
                if (*p)                                                                            \
                        (void) fn(*p);                                                             \
        }

/* Yield the value and disarm the variable, so its cleanup handler does nothing. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _v = (p);                                                            \
                (p) = NULL;                                                                        \
                _v;                                                                                \
        })
#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _v = (fd);                                                                     \
                (fd) = -EBADF;                                                                     \
                _v;                                                                                \
        })

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

static inline const char *strempty(const char *s) {
        return s ? s : "";
}

static inline const char *yes_no(int b) {
        return b ? "yes" : "no";
}

#define MIN(a, b)                                                                                  \
        ({                                                                                         \
                __typeof__(a) _a = (a);                                                            \
                __typeof__(b) _b = (b);                                                            \
                _a < _b ? _a : _b;                                                                 \
        })
#define MAX(a, b)                                                                                  \
        ({                                                                                         \
                __typeof__(a) _a = (a);                                                            \
                __typeof__(b) _b = (b);                                                            \
                _a > _b ? _a : _b;                                                                 \
        })
