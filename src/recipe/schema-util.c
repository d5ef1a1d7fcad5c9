/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "core/errors.h"
#include "core/fileio.h"
#include "core/strv.h"
#include "expand.h"
#include "schema-util.h"
#include "ydecode.h"

int schema_require_string(const struct ynode *map, const char *what, const char *key, char **ret,
                          struct xb_diag *d) {
        const struct ynode *v;
        char sub[128];
        int r;

        r = yd_require(map, what, key, &v, d);
        if (r < 0)
                return r;
        if (streq(what, "recipe") || streq(what, "rootfs") || streq(what, "toolchain") ||
            streq(what, "profile"))
                (void) snprintf(sub, sizeof sub, "%s", key);
        else
                (void) snprintf(sub, sizeof sub, "%s.%s", what, key);
        return yd_string(v, sub, ret, d);
}

int schema_name(const struct ynode *n, const char *what, char **ret, struct xb_diag *d) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = yd_string(n, what, &s, d);
        if (r < 0)
                return r;
        if (!yd_is_name(s))
                return yd_error(d, n,
                                "'%s' must be a lowercase name (a-z, 0-9, '.', '_', '+', '-'; at most 64 characters), got '%s'",
                                what, s);
        *ret = TAKE_PTR(s);
        return 0;
}

int schema_arch(const struct ynode *n, const char *what, enum xb_arch *ret, struct xb_diag *d) {
        enum xb_arch a;

        if (n->type != YNODE_SCALAR || ynode_is_null(n))
                return yd_error(d, n, "'%s' must name an architecture, not %s", what,
                                ynode_type_name(n));
        a = arch_from_string(n->value);
        if (a < 0) {
                const char *g = yd_did_you_mean(n->value, arch_names());
                if (g)
                        return yd_error(d, n, "unknown architecture '%s' (did you mean '%s'?)",
                                        n->value, g);
                return yd_error(d, n, "unknown architecture '%s' (known: armhf, armel, arm64)",
                                n->value);
        }
        *ret = a;
        return 0;
}

int schema_strategy(const struct ynode *n, const char *what, enum xb_strategy *ret,
                    struct xb_diag *d) {
        enum xb_strategy s;

        if (n->type != YNODE_SCALAR || ynode_is_null(n))
                return yd_error(d, n, "'%s' must name a strategy, not %s", what,
                                ynode_type_name(n));
        s = strategy_from_string(n->value);
        if (s < 0) {
                const char *g = yd_did_you_mean(n->value, strategy_names());
                if (g)
                        return yd_error(d, n, "unknown strategy '%s' (did you mean '%s'?)",
                                        n->value, g);
                return yd_error(d, n,
                                "unknown strategy '%s' (known: cross, chroot, qemu-system, remote)",
                                n->value);
        }
        *ret = s;
        return 0;
}

int schema_check_expand(const struct ynode *n, const char *what, struct xb_diag *d) {
        char msg[384];
        size_t off = 0;
        unsigned col = n->col;

        if (n->type != YNODE_SCALAR || expand_check(n->value, &off, msg, sizeof msg) >= 0)
                return 0;
        /* Exact column only where the text maps 1:1 onto the source line. */
        if (!strchr(n->value, '\n') && !strchr(n->value, '\\') && !strchr(n->value, '\'') &&
            (n->style == YSTYLE_PLAIN || n->style == YSTYLE_SINGLE || n->style == YSTYLE_DOUBLE)) {
                col += n->style == YSTYLE_PLAIN ? 0 : 1;
                for (size_t i = 0; i < off; i++)
                        if (((unsigned char) n->value[i] & 0xC0) != 0x80)
                                col++;
        }
        d->line = n->line;
        d->col = col;
        (void) snprintf(d->msg, sizeof d->msg, "%s in '%s'", msg, what);
        return -XB_E_RECIPE_VALUE;
}

int schema_env(const struct ynode *n, const char *what, char ***ret, struct xb_diag *d) {
        char sub[160];
        int r;

        r = yd_env(n, what, ret, d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                (void) snprintf(sub, sizeof sub, "%s.%s", what, n->keys[i]->value);
                r = schema_check_expand(n->items[i], sub, d);
                if (r < 0) {
                        *ret = strv_free(*ret);
                        return r;
                }
        }
        return 0;
}

static bool is_package_name(const char *s) {
        const char *colon = strchr(s, ':');
        size_t n = colon ? (size_t) (colon - s) : strlen(s);

        /* Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+ */
        if (n < 2 || !(islower((unsigned char) s[0]) || isdigit((unsigned char) s[0])))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!(islower((unsigned char) s[i]) || isdigit((unsigned char) s[i]) ||
                      strchr("+.-", s[i])))
                        return false;
        if (colon) {
                const char *a = colon + 1;
                if (!*a)
                        return false;
                for (; *a; a++)
                        if (!(islower((unsigned char) *a) || isdigit((unsigned char) *a)))
                                return false;
        }
        return true;
}

int schema_packages(const struct ynode *n, const char *what, char ***ret, struct xb_diag *d) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = yd_strv(n, what, false, &l, d);
        if (r < 0)
                return r;
        for (size_t i = 0; l[i]; i++)
                if (!is_package_name(l[i]))
                        return yd_error(d, n->items[i],
                                        "'%s[%zu]' is not a Debian package name: '%s'", what, i,
                                        l[i]);
        *ret = TAKE_PTR(l);
        return 0;
}

int schema_read_file(const char *path, char **ret, size_t *ret_size, struct xb_diag *d) {
        int r;

        diag_set_file(d, path);
        r = read_full_file(path, YDOC_MAX_FILE_SIZE, ret, ret_size);
        if (r == -EFBIG) {
                diag_set(d, 1, 1, "file is over the limit of %u bytes", YDOC_MAX_FILE_SIZE);
                return -XB_E_RECIPE_TOO_LARGE;
        }
        if (r < 0)
                diag_set(d, 1, 1, "cannot read file: %s", xb_strerror(r));
        return r;
}

int schema_parse(const char *data, size_t size, const char *filename, schema_decode_fn decode,
                 void **ret, struct xb_diag *reterr) {
        _cleanup_(ynode_freep) struct ynode *root = NULL;
        struct xb_diag d = {0};
        void *obj = NULL;
        int r;

        diag_set_file(&d, filename);
        r = ydoc_parse(data, size, &root, &d);
        if (r >= 0)
                r = decode(root, filename ? filename : "<input>", &obj, &d);
        if (r < 0) {
                if (r != -ENOMEM && reterr)
                        *reterr = d;
                return r;
        }
        *ret = obj;
        return 0;
}

int schema_load(const char *path, schema_decode_fn decode, void **ret, struct xb_diag *reterr) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r = schema_read_file(path, &data, &size, reterr);
        if (r < 0)
                return r;
        return schema_parse(data, size, path, decode, ret, reterr);
}
