/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* NULL-terminated, heap-owned string vectors, the form execve() wants. */
char **strv_free(char **l);
DEFINE_FREEP(char *, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
char **strv_copy(char *const *l);
/* Appends a copy of s; *l may be NULL. Returns 0 or -ENOMEM (then *l is unchanged). */
int strv_extend(char ***l, const char *s);
/* Takes ownership of s, also on failure. */
int strv_consume(char ***l, char *s);
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
bool strv_contains(char *const *l, const char *s);
int strv_extend_strv(char ***l, char *const *other);
/* Appends each string argument, in order. */
int strv_extend_many_internal(char ***l, ...);
#define strv_extend_many(l, ...) strv_extend_many_internal((l), __VA_ARGS__, (const char *) NULL)
/* The entries joined by sep; NULL only on OOM. */
char *strv_join(char *const *l, const char *sep);
/* *ret = the formatted text split at each '\n' (for short lists of facts). */
int strv_splitf(char ***ret, const char *fmt, ...) _printf_(2, 3);

/* Environment vectors: "NAME=value" entries; set replaces an existing NAME. */
int strv_env_set(char ***l, const char *name, const char *value);
const char *strv_env_get(char *const *l, const char *name);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
