/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/strv.h"
#include "rootfs.h"
#include "schema-util.h"
#include "ydecode.h"

static const char *const provider_names[] = {"debootstrap", "tarball", NULL};
static const char *const pkg_names[] = {"apt", "pacman", "apk", NULL};

const char *rootfs_provider_to_string(enum rootfs_provider p) {
        return p >= 0 && p < _ROOTFS_PROVIDER_MAX ? provider_names[p] : NULL;
}

const char *package_manager_to_string(enum package_manager p) {
        return p >= 0 && p < _PKG_MAX ? pkg_names[p] : NULL;
}

struct rootfs_def *rootfs_def_free(struct rootfs_def *r) {
        if (!r)
                return NULL;
        free(r->path);
        free(r->name);
        free(r->summary);
        free(r->suite);
        free(r->variant);
        free(r->mirror);
        free(r->keyring);
        strv_free(r->components);
        strv_free(r->include);
        for (size_t i = 0; i < _XB_ARCH_MAX; i++) {
                free(r->tarballs[i].url);
                free(r->tarballs[i].sha256);
        }
        free(r);
        return NULL;
}

bool rootfs_def_supports_arch(const struct rootfs_def *r, enum xb_arch a) {
        for (size_t i = 0; i < r->n_arches; i++)
                if (r->arches[i] == a)
                        return true;
        return false;
}

static int parse_enum(const struct ynode *n, const char *what, const char *const *names,
                      int *ret, struct xb_diag *d) {
        if (n->type == YNODE_SCALAR)
                for (int i = 0; names[i]; i++)
                        if (streq(n->value, names[i])) {
                                *ret = i;
                                return 0;
                        }
        char known[256] = "";
        for (int i = 0; names[i]; i++) {
                if (i)
                        strncat(known, ", ", sizeof known - strlen(known) - 1);
                strncat(known, names[i], sizeof known - strlen(known) - 1);
        }
        if (n->type != YNODE_SCALAR || ynode_is_null(n))
                return yd_error(d, n, "'%s' must be one of: %s", what, known);
        const char *g = yd_did_you_mean(n->value, names);
        if (g)
                return yd_error(d, n, "unknown %s '%s' (did you mean '%s'?)", what, n->value, g);
        return yd_error(d, n, "unknown %s '%s' (known: %s)", what, n->value, known);
}

static int parse_debootstrap(const struct ynode *n, struct rootfs_def *rf, struct xb_diag *d) {
        static const char *const keys[] = {"suite", "variant", "components", "mirror",
                                           "keyring", "include", NULL};
        const struct ynode *v;
        int r;

        if ((r = yd_mapping(n, "debootstrap", keys, d)) < 0)
                return r;
        if ((r = schema_require_string(n, "debootstrap", "suite", &rf->suite, d)) < 0)
                return r;
        if (!yd_is_name(rf->suite))
                return yd_error(d, ynode_get(n, "suite"), "'debootstrap.suite' must be a suite name such as 'bookworm'");
        if ((v = ynode_get(n, "variant"))) {
                static const char *const variants[] = {"minbase", "buildd", "fakechroot", NULL};
                int i;
                if ((r = parse_enum(v, "debootstrap.variant", variants, &i, d)) < 0)
                        return r;
                rf->variant = strdup(variants[i]);
        } else
                rf->variant = strdup("minbase");
        if (!rf->variant)
                return -ENOMEM;
        if ((v = ynode_get(n, "components"))) {
                if ((r = yd_strv(v, "debootstrap.components", true, &rf->components, d)) < 0)
                        return r;
        } else if ((r = strv_extend(&rf->components, "main")) < 0)
                return r;
        if ((v = ynode_get(n, "mirror"))) {
                _cleanup_free_ char *m = NULL;
                if ((r = yd_string(v, "debootstrap.mirror", &m, d)) < 0)
                        return r;
                /* "host": read the host's apt sources at run time, never a name in a file. */
                if (!streq(m, "host")) {
                        if (!(strneq(m, "http://", 7) || strneq(m, "https://", 8) || strneq(m, "file://", 7)))
                                return yd_error(d, v, "'debootstrap.mirror' must be 'host' or an http(s):// or file:// URL");
                        rf->mirror = TAKE_PTR(m);
                }
        }
        if ((v = ynode_get(n, "keyring"))) {
                if ((r = yd_string(v, "debootstrap.keyring", &rf->keyring, d)) < 0)
                        return r;
                if (rf->keyring[0] != '/')
                        return yd_error(d, v, "'debootstrap.keyring' must be an absolute path");
        }
        if ((v = ynode_get(n, "include"))) {
                if ((r = schema_packages(v, "debootstrap.include", &rf->include, d)) < 0)
                        return r;
        } else if (!(rf->include = calloc(1, sizeof(char *))))
                return -ENOMEM;
        return 0;
}

static int parse_tarballs(const struct ynode *n, struct rootfs_def *rf, struct xb_diag *d) {
        static const char *const keys[] = {"url", "sha256", "strip_components", NULL};
        char what[64];
        int r;

        if ((r = yd_mapping(n, "tarball", arch_names(), d)) < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *k = n->keys[i], *t = n->items[i], *v;
                enum xb_arch a = arch_from_string(k->value);
                struct rootfs_tarball *tb = &rf->tarballs[a];

                (void) snprintf(what, sizeof what, "tarball.%s", k->value);
                if (!rootfs_def_supports_arch(rf, a))
                        return yd_error(d, k, "'%s' is not in this rootfs's arches", what);
                if ((r = yd_mapping(t, what, keys, d)) < 0)
                        return r;
                tb->set = true;
                if ((r = schema_require_string(t, what, "url", &tb->url, d)) < 0)
                        return r;
                if (!(strneq(tb->url, "http://", 7) || strneq(tb->url, "https://", 8) ||
                      strneq(tb->url, "file://", 7)))
                        return yd_error(d, ynode_get(t, "url"), "'%s.url' must be an http(s):// or file:// URL", what);
                if ((r = schema_require_string(t, what, "sha256", &tb->sha256, d)) < 0)
                        return r;
                if (!yd_is_hex(tb->sha256, 64))
                        return yd_error(d, ynode_get(t, "sha256"),
                                        "'%s.sha256' must be 64 lowercase hexadecimal digits, got '%s'",
                                        what, tb->sha256);
                if ((v = ynode_get(t, "strip_components")) &&
                    (r = yd_uint(v, "strip_components", 0, 16, &tb->strip_components, d)) < 0)
                        return r;
        }
        for (size_t i = 0; i < rf->n_arches; i++)
                if (!rf->tarballs[rf->arches[i]].set)
                        return yd_error(d, n, "'tarball' has no entry for architecture '%s'",
                                        arch_to_string(rf->arches[i]));
        return 0;
}

static int rootfs_from_tree(const struct ynode *root, struct rootfs_def *rf, struct xb_diag *d) {
        static const char *const keys[] = {"name",    "summary",     "arches", "provider",
                                           "package_manager", "debootstrap", "tarball", NULL};
        const struct ynode *v;
        int r, i;

        if ((r = yd_mapping(root, "rootfs definition", keys, d)) < 0)
                return r;
        if ((r = yd_require(root, "rootfs definition", "name", &v, d)) < 0 ||
            (r = schema_name(v, "name", &rf->name, d)) < 0)
                return r;
        if ((r = schema_require_string(root, "rootfs", "summary", &rf->summary, d)) < 0)
                return r;
        if ((r = yd_require(root, "rootfs definition", "arches", &v, d)) < 0)
                return r;
        if (v->type != YNODE_SEQ || v->n == 0)
                return yd_error(d, v, "'arches' must be a non-empty list of architectures");
        for (size_t k = 0; k < v->n; k++) {
                enum xb_arch a;
                if ((r = schema_arch(v->items[k], "arches", &a, d)) < 0)
                        return r;
                if (rootfs_def_supports_arch(rf, a))
                        return yd_error(d, v->items[k], "architecture '%s' is listed twice",
                                        arch_to_string(a));
                rf->arches[rf->n_arches++] = a;
        }
        if ((r = yd_require(root, "rootfs definition", "provider", &v, d)) < 0 ||
            (r = parse_enum(v, "provider", provider_names, &i, d)) < 0)
                return r;
        rf->provider = (enum rootfs_provider) i;
        rf->package_manager = PKG_APT;
        if ((v = ynode_get(root, "package_manager"))) {
                if ((r = parse_enum(v, "package_manager", pkg_names, &i, d)) < 0)
                        return r;
                rf->package_manager = (enum package_manager) i;
        }

        const char *own = provider_names[rf->provider];
        const char *other = provider_names[1 - rf->provider];
        if ((v = ynode_get_key(root, other)))
                return yd_error(d, v, "'%s' does not apply to provider '%s'", other, own);
        if ((r = yd_require(root, "rootfs definition", own, &v, d)) < 0)
                return r;
        if (rf->provider == ROOTFS_DEBOOTSTRAP)
                return parse_debootstrap(v, rf, d);
        return parse_tarballs(v, rf, d);
}

static int rootfs_decode(const struct ynode *root, const char *filename, void **ret,
                         struct xb_diag *d) {
        _cleanup_(rootfs_def_freep) struct rootfs_def *rf = calloc(1, sizeof *rf);
        int r;

        if (!rf || !(rf->path = strdup(filename)))
                return -ENOMEM;
        r = rootfs_from_tree(root, rf, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rf);
        return 0;
}

int rootfs_def_parse(const char *data, size_t size, const char *filename, struct rootfs_def **ret,
                     struct xb_diag *reterr) {
        return schema_parse(data, size, filename, rootfs_decode, (void **) ret, reterr);
}

int rootfs_def_load(const char *path, struct rootfs_def **ret, struct xb_diag *reterr) {
        return schema_load(path, rootfs_decode, (void **) ret, reterr);
}
