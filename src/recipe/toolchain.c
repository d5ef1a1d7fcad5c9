/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/strv.h"
#include "schema-util.h"
#include "toolchain.h"
#include "ydecode.h"

static const char *const kind_names[] = {"gcc", "go", NULL};

const char *toolchain_kind_to_string(enum toolchain_kind k) {
        return k >= 0 && k < _TOOLCHAIN_KIND_MAX ? kind_names[k] : NULL;
}

struct toolchain *toolchain_free(struct toolchain *t) {
        if (!t)
                return NULL;
        free(t->path);
        free(t->name);
        free(t->summary);
        strv_free(t->host_packages);
        strv_free(t->env);
        strv_free(t->sysroot_env);
        strv_free(t->target_env);
        for (size_t i = 0; i < _XB_ARCH_MAX; i++) {
                strv_free(t->arches[i].packages);
                strv_free(t->arches[i].env);
        }
        free(t);
        return NULL;
}

static int parse_arch_entry(const struct ynode *n, const char *what, struct toolchain_arch *ta,
                            struct xb_diag *d) {
        static const char *const keys[] = {"packages", "env", NULL};
        const struct ynode *v;
        char sub[96];
        int r;

        if ((r = yd_mapping(n, what, keys, d)) < 0)
                return r;
        ta->set = true;
        (void) snprintf(sub, sizeof sub, "%s.packages", what);
        if ((r = yd_require(n, what, "packages", &v, d)) < 0 ||
            (r = schema_packages(v, sub, &ta->packages, d)) < 0)
                return r;
        if ((v = ynode_get(n, "env"))) {
                (void) snprintf(sub, sizeof sub, "%s.env", what);
                if ((r = schema_env(v, sub, &ta->env, d)) < 0)
                        return r;
        } else if (!(ta->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        return 0;
}

static int toolchain_from_tree(const struct ynode *root, struct toolchain *t, struct xb_diag *d) {
        static const char *const keys[] = {"name", "summary", "kind", "host_packages", "env",
                                           "sysroot_env", "target_env", "arches", NULL};
        const struct ynode *v;
        char what[64];
        int r;

        if ((r = yd_mapping(root, "toolchain", keys, d)) < 0)
                return r;
        if ((r = yd_require(root, "toolchain", "name", &v, d)) < 0 ||
            (r = schema_name(v, "name", &t->name, d)) < 0)
                return r;
        if ((r = schema_require_string(root, "toolchain", "summary", &t->summary, d)) < 0)
                return r;
        if ((r = yd_require(root, "toolchain", "kind", &v, d)) < 0)
                return r;
        t->kind = _TOOLCHAIN_KIND_INVALID;
        for (int i = 0; kind_names[i]; i++)
                if (v->type == YNODE_SCALAR && streq(v->value, kind_names[i]))
                        t->kind = (enum toolchain_kind) i;
        if (t->kind < 0)
                return yd_error(d, v, "'kind' must be gcc or go");
        if ((v = ynode_get(root, "host_packages"))) {
                if ((r = schema_packages(v, "host_packages", &t->host_packages, d)) < 0)
                        return r;
        } else if (!(t->host_packages = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(root, "env"))) {
                if ((r = schema_env(v, "env", &t->env, d)) < 0)
                        return r;
        } else if (!(t->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(root, "target_env"))) {
                if ((r = schema_env(v, "target_env", &t->target_env, d)) < 0)
                        return r;
        } else if (!(t->target_env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(root, "sysroot_env"))) {
                if ((r = schema_env(v, "sysroot_env", &t->sysroot_env, d)) < 0)
                        return r;
        } else if (!(t->sysroot_env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((r = yd_require(root, "toolchain", "arches", &v, d)) < 0 ||
            (r = yd_mapping(v, "arches", arch_names(), d)) < 0)
                return r;
        if (v->n == 0)
                return yd_error(d, v, "'arches' must describe at least one architecture");
        for (size_t i = 0; i < v->n; i++) {
                enum xb_arch a = arch_from_string(v->keys[i]->value);
                (void) snprintf(what, sizeof what, "arches.%s", v->keys[i]->value);
                if ((r = parse_arch_entry(v->items[i], what, &t->arches[a], d)) < 0)
                        return r;
        }
        return 0;
}

static int toolchain_decode(const struct ynode *root, const char *filename, void **ret,
                            struct xb_diag *d) {
        _cleanup_(toolchain_freep) struct toolchain *t = calloc(1, sizeof *t);
        int r;

        if (!t || !(t->path = strdup(filename)))
                return -ENOMEM;
        r = toolchain_from_tree(root, t, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

int toolchain_parse(const char *data, size_t size, const char *filename, struct toolchain **ret,
                    struct xb_diag *reterr) {
        return schema_parse(data, size, filename, toolchain_decode, (void **) ret, reterr);
}

int toolchain_load(const char *path, struct toolchain **ret, struct xb_diag *reterr) {
        return schema_load(path, toolchain_decode, (void **) ret, reterr);
}
