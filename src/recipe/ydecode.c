/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/strv.h"
#include "ydecode.h"

int yd_error(struct xb_diag *d, const struct ynode *n, const char *fmt, ...) {
        va_list ap;

        if (d) {
                d->line = n ? n->line : 1;
                d->col = n ? n->col : 1;
                va_start(ap, fmt);
                (void) vsnprintf(d->msg, sizeof d->msg, fmt, ap);
                va_end(ap);
        }
        return -XB_E_RECIPE_VALUE;
}

int yd_expect_map(const struct ynode *n, const char *what, struct xb_diag *d) {
        if (n->type != YNODE_MAP)
                return yd_error(d, n, "'%s' must be a mapping, not %s", what,
                                   ynode_type_name(n));
        return 0;
}

/* Optimal string alignment distance: insertions, deletions, substitutions and adjacent
 * transpositions ("evn" -> "env") each cost 1. */
static unsigned edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned d[65][65];

        if (la > 64 || lb > 64)
                return 1000;
        for (size_t i = 0; i <= la; i++)
                d[i][0] = (unsigned) i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
                        unsigned best = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);
                        best = MIN(best, d[i - 1][j - 1] + cost);
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                                best = MIN(best, d[i - 2][j - 2] + 1);
                        d[i][j] = best;
                }
        return d[la][lb];
}

const char *yd_did_you_mean(const char *s, const char *const *candidates) {
        const char *best = NULL, *prefixed = NULL;
        unsigned best_d = 1000, n_prefixed = 0;
        size_t ls = strlen(s);

        for (const char *const *c = candidates; c && *c; c++) {
                unsigned dist = edit_distance(s, *c);
                if (dist < best_d) {
                        best_d = dist;
                        best = *c;
                }
                if (ls >= 3 && strneq(*c, s, ls)) {
                        prefixed = *c;
                        n_prefixed++;
                }
        }
        /* One edit for short words, two for longer ones: beyond that it is a guess. */
        if (best && best_d <= (ls <= 4 ? 1U : 2U))
                return best;
        /* "qemu" for "qemu-system": an abbreviation of exactly one candidate. */
        if (n_prefixed == 1)
                return prefixed;
        return NULL;
}

int yd_check_keys(const struct ynode *map, const char *what, const char *const *allowed,
                  struct xb_diag *d) {
        for (size_t i = 0; i < map->n; i++) {
                const struct ynode *k = map->keys[i];
                if (strv_contains((char *const *) allowed, k->value))
                        continue;
                const char *guess = yd_did_you_mean(k->value, allowed);
                if (guess)
                        return yd_error(d, k, "unknown key '%s' in %s (did you mean '%s'?)",
                                           k->value, what, guess);
                return yd_error(d, k, "unknown key '%s' in %s", k->value, what);
        }
        return 0;
}

int yd_mapping(const struct ynode *n, const char *what, const char *const *allowed,
               struct xb_diag *d) {
        int r = yd_expect_map(n, what, d);
        if (r < 0)
                return r;
        return yd_check_keys(n, what, allowed, d);
}

int yd_require(const struct ynode *map, const char *what, const char *key,
               const struct ynode **ret, struct xb_diag *d) {
        const struct ynode *n = ynode_get(map, key);
        if (!n)
                return yd_error(d, map, "missing required key '%s' in %s", key, what);
        *ret = n;
        return 0;
}

int yd_string(const struct ynode *n, const char *what, char **ret, struct xb_diag *d) {
        char *s;

        if (n->type != YNODE_SCALAR)
                return yd_error(d, n, "'%s' must be a string, not %s", what,
                                   ynode_type_name(n));
        if (ynode_is_null(n) || n->len == 0)
                return yd_error(d, n, "'%s' must not be empty", what);
        s = strdup(n->value);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int yd_bool(const struct ynode *n, const char *what, bool *ret, struct xb_diag *d) {
        if (n->type == YNODE_SCALAR && n->style == YSTYLE_PLAIN) {
                if (streq(n->value, "true")) {
                        *ret = true;
                        return 0;
                }
                if (streq(n->value, "false")) {
                        *ret = false;
                        return 0;
                }
        }
        return yd_error(d, n, "'%s' must be true or false", what);
}

int yd_uint(const struct ynode *n, const char *what, unsigned min, unsigned max, unsigned *ret,
            struct xb_diag *d) {
        unsigned long v = 0;

        if (n->type != YNODE_SCALAR || n->style != YSTYLE_PLAIN || n->len == 0 || n->len > 10)
                goto bad;
        for (const char *p = n->value; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        goto bad;
                v = v * 10 + (unsigned long) (*p - '0');
        }
        if (v < min || v > max)
                goto bad;
        *ret = (unsigned) v;
        return 0;
bad:
        return yd_error(d, n, "'%s' must be a whole number from %u to %u", what, min, max);
}

int yd_strv(const struct ynode *n, const char *what, bool nonempty, char ***ret,
            struct xb_diag *d) {
        _cleanup_strv_free_ char **l = NULL;
        char item[256];
        int r;

        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'%s' must be a list, not %s", what, ynode_type_name(n));
        if (nonempty && n->n == 0)
                return yd_error(d, n, "'%s' must not be an empty list", what);
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                char *s = NULL;
                (void) snprintf(item, sizeof item, "%s[%zu]", what, i);
                r = yd_string(n->items[i], item, &s, d);
                if (r < 0)
                        return r;
                r = strv_consume(&l, s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

bool yd_is_env_name(const char *s) {
        if (!s || !(isalpha((unsigned char) *s) || *s == '_'))
                return false;
        for (const char *p = s; *p; p++)
                if (!(isalnum((unsigned char) *p) || *p == '_'))
                        return false;
        return strlen(s) <= 128;
}

bool yd_is_hex(const char *s, size_t len) {
        if (strlen(s) != len)
                return false;
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char) *p) || isupper((unsigned char) *p))
                        return false;
        return true;
}

bool yd_is_name(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64 || !(islower((unsigned char) s[0]) || isdigit((unsigned char) s[0])))
                return false;
        for (const char *p = s; *p; p++)
                if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) ||
                      strchr("._+-", *p)))
                        return false;
        return true;
}

int yd_env(const struct ynode *n, const char *what, char ***ret, struct xb_diag *d) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = yd_expect_map(n, what, d);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *k = n->keys[i], *v = n->items[i];
                if (!yd_is_env_name(k->value))
                        return yd_error(d, k, "'%s' is not a valid environment variable name in %s",
                                           k->value, what);
                /* XB_SRCDIR and its kin name the directories xbuild creates and removes: a
                 * recipe that set them would point the removal elsewhere. */
                if (strneq(k->value, "XB_", 3))
                        return yd_error(d, k, "'%s' in %s is reserved: xbuild sets the XB_ variables itself",
                                           k->value, what);
                if (v->type != YNODE_SCALAR || ynode_is_null(v))
                        return yd_error(d, v, "'%s.%s' must be a string, not %s", what, k->value,
                                           ynode_type_name(v));
                r = strv_extendf(&l, "%s=%s", k->value, v->value);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
