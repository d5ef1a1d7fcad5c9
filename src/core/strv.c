/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **s = l; *s; s++)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

char **strv_copy(char *const *l) {
        size_t n = strv_length(l);
        char **c = calloc(n + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **c;

        if (!s)
                return -ENOMEM;
        c = realloc(*l, (n + 2) * sizeof(char *));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_extendf(char ***l, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

int strv_extend_strv(char ***l, char *const *other) {
        STRV_FOREACH(s, other) {
                int r = strv_extend(l, *s);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

static char **env_find(char *const *l, const char *name) {
        size_t n = strlen(name);
        for (char *const *s = l; s && *s; s++)
                if (strneq(*s, name, n) && (*s)[n] == '=')
                        return (char **) s;
        return NULL;
}

int strv_env_set(char ***l, const char *name, const char *value) {
        char *e = NULL, **slot;

        if (asprintf(&e, "%s=%s", name, value) < 0)
                return -ENOMEM;
        slot = env_find(*l, name);
        if (slot) {
                free(*slot);
                *slot = e;
                return 0;
        }
        return strv_consume(l, e);
}

const char *strv_env_get(char *const *l, const char *name) {
        char **slot = env_find(l, name);
        return slot ? *slot + strlen(name) + 1 : NULL;
}

char *strv_join(char *const *l, const char *sep) {
        size_t n = 1, k = strlen(sep);
        char *out, *p;

        STRV_FOREACH(s, l)
                n += strlen(*s) + k;
        out = p = malloc(n);
        if (!out)
                return NULL;
        *p = 0;
        STRV_FOREACH(s, l) {
                if (s != l)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *s);
        }
        return out;
}

int strv_splitf(char ***ret, const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
        char **l = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        for (char *p = text, *nl; p; p = nl ? nl + 1 : NULL) {
                if ((nl = strchr(p, '\n')))
                        *nl = 0;
                if (strv_extend(&l, p) < 0) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *ret = l;
        return 0;
}

int strv_extend_many_internal(char ***l, ...) {
        va_list ap;
        int r = 0;

        va_start(ap, l);
        for (const char *s = va_arg(ap, const char *); s && r >= 0; s = va_arg(ap, const char *))
                r = strv_extend(l, s);
        va_end(ap);
        return r;
}
