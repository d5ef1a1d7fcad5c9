/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/macro.h"
#include "core/strv.h"
#include "expand.h"
#include "ydecode.h"

static const char *const var_names[] = {"name",      "arch", "triplet", "goarch",
                                        "goarm",     "qemu_arch", "jobs", "srcdir",
                                        "outdir",    "rootfs",    "sysroot", "commit",
                                        "ref",       "version",   NULL};

const char *const *expand_var_names(void) {
        return var_names;
}

/* Walks s; for each ${name} calls fn. Returns the first error. */
static int walk(const char *s, int (*fn)(void *u, const char *lit, size_t n, const char *var,
                                         size_t off),
                void *u, size_t *reterr_offset, char *msg, size_t msg_size) {
        const char *p = s, *lit = s;
        int r;

        while ((p = strchr(p, '$'))) {
                if (p[1] == '$') {
                        r = fn(u, lit, (size_t) (p - lit) + 1, NULL, 0); /* keep one '$' */
                        if (r < 0)
                                return r;
                        p += 2;
                        lit = p;
                        continue;
                }
                if (p[1] != '{') {
                        p++;
                        continue;
                }
                const char *end = strchr(p + 2, '}');
                if (!end) {
                        if (reterr_offset)
                                *reterr_offset = (size_t) (p - s);
                        if (msg)
                                (void) snprintf(msg, msg_size, "unterminated '${' (write '$$' for a literal '$')");
                        return -XB_E_RECIPE_VALUE;
                }
                char name[64];
                size_t len = (size_t) (end - p - 2);
                (void) snprintf(name, sizeof name, "%.*s", (int) MIN(len, sizeof name - 1), p + 2);
                if (len >= sizeof name || !strv_contains((char *const *) var_names, name)) {
                        if (reterr_offset)
                                *reterr_offset = (size_t) (p - s);
                        if (msg) {
                                const char *g = len < sizeof name ? yd_did_you_mean(name, var_names)
                                                                  : NULL;
                                if (g)
                                        (void) snprintf(msg, msg_size,
                                                        "unknown variable '${%s}' (did you mean '${%s}'?)",
                                                        name, g);
                                else
                                        (void) snprintf(msg, msg_size,
                                                        "unknown variable '${%s}'; known: name, arch, triplet, goarch, goarm, qemu_arch, jobs, srcdir, outdir, rootfs, sysroot",
                                                        name);
                        }
                        return -XB_E_RECIPE_VALUE;
                }
                r = fn(u, lit, (size_t) (p - lit), name, (size_t) (p - s));
                if (r < 0)
                        return r;
                p = end + 1;
                lit = p;
        }
        return fn(u, lit, strlen(lit), NULL, 0);
}

static int check_cb(void *u, const char *lit, size_t n, const char *var, size_t off) {
        (void) u, (void) lit, (void) n, (void) var, (void) off;
        return 0;
}

int expand_check(const char *s, size_t *reterr_offset, char *reterr_msg, size_t msg_size) {
        return walk(s, check_cb, NULL, reterr_offset, reterr_msg, msg_size);
}

struct expand_state {
        const struct expand_var *vars;
        size_t n;
        FILE *out;
};

static int expand_cb(void *u, const char *lit, size_t n, const char *var, size_t off) {
        struct expand_state *st = u;
        (void) off;

        if (n > 0 && fwrite(lit, 1, n, st->out) != n)
                return -ENOMEM;
        if (!var)
                return 0;
        for (size_t i = 0; i < st->n; i++)
                if (streq(st->vars[i].name, var)) {
                        if (st->vars[i].value && fputs(st->vars[i].value, st->out) < 0)
                                return -ENOMEM;
                        break;
                }
        return 0;
}

int expand_string(const char *s, const struct expand_var *vars, size_t n, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        struct expand_state st = {.vars = vars, .n = n};
        int r;

        st.out = open_memstream(&buf, &size);
        if (!st.out)
                return -ENOMEM;
        r = walk(s, expand_cb, &st, NULL, NULL, 0);
        if (fclose(st.out) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        return 0;
}
