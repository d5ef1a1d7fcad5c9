/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "core/errors.h"
#include "core/path.h"
#include "core/strv.h"
#include "ydecode.h"

#ifndef XB_SOURCE_ROOT
#define XB_SOURCE_ROOT ""
#endif
#ifndef XB_BUILD_ROOT
#define XB_BUILD_ROOT ""
#endif
#ifndef XB_DATADIR
#define XB_DATADIR "/usr/local/share/xbuild"
#endif

static const char *const kind_dirs[_CATALOG_KIND_MAX] = {
        [CATALOG_RECIPE] = "recipes",
        [CATALOG_ROOTFS] = "recipes/rootfs",
        [CATALOG_TOOLCHAIN] = "toolchains",
        [CATALOG_KCONFIG] = "recipes/kconfig",
};

static const char *const kind_names[_CATALOG_KIND_MAX] = {
        [CATALOG_RECIPE] = "recipe",
        [CATALOG_ROOTFS] = "rootfs",
        [CATALOG_TOOLCHAIN] = "toolchain",
        [CATALOG_KCONFIG] = "kconfig profile",
};

const char *catalog_kind_to_string(enum catalog_kind k) {
        return kind_names[k];
}

struct catalog *catalog_free(struct catalog *c) {
        if (c) {
                free(c->root);
                free(c);
        }
        return NULL;
}

static bool running_from_build_dir(void) {
        char exe[PATH_MAX], build[PATH_MAX];
        ssize_t n;
        size_t bl;

        if (!*XB_BUILD_ROOT || !realpath(XB_BUILD_ROOT, build))
                return false;
        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return false;
        exe[n] = 0;
        bl = strlen(build);
        return strneq(exe, build, bl) && exe[bl] == '/';
}

int catalog_open(const char *root_override, struct catalog **ret) {
        _cleanup_(catalog_freep) struct catalog *c = calloc(1, sizeof *c);
        const char *root = root_override;

        if (!c)
                return -ENOMEM;
        if (!root || !*root)
                root = getenv("XBUILD_DATA_DIR");
        if (!root || !*root)
                root = running_from_build_dir() ? XB_SOURCE_ROOT : XB_DATADIR;
        c->root = strdup(root);
        if (!c->root)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

char *catalog_dir(const struct catalog *c, enum catalog_kind k) {
        return path_join(c->root, kind_dirs[k]);
}

static bool has_yaml_suffix(const char *s, size_t *ret_stem) {
        size_t n = strlen(s);
        if (n > 5 && streq(s + n - 5, ".yaml")) {
                *ret_stem = n - 5;
                return true;
        }
        if (n > 4 && streq(s + n - 4, ".yml")) {
                *ret_stem = n - 4;
                return true;
        }
        return false;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int catalog_list(const struct catalog *c, enum catalog_kind k, char ***ret) {
        _cleanup_free_ char *dir = catalog_dir(c, k);
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        if (!dir || !l)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = TAKE_PTR(l);
                return 0;
        }
        while ((de = readdir(d))) {
                size_t stem;
                if (de->d_name[0] == '.' || !has_yaml_suffix(de->d_name, &stem))
                        continue;
                r = strv_consume(&l, strndup(de->d_name, stem));
                if (r < 0)
                        return r;
        }
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

static bool is_path_arg(const char *arg) {
        size_t stem;
        return strchr(arg, '/') || has_yaml_suffix(arg, &stem);
}

int catalog_find(const struct catalog *c, enum catalog_kind k, const char *arg, char **ret_path,
                 struct xb_diag *reterr) {
        _cleanup_free_ char *dir = NULL, *file = NULL, *path = NULL;
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (is_path_arg(arg)) {
                if (!path_exists(arg)) {
                        diag_set_file(reterr, arg);
                        diag_set(reterr, 1, 1, "no such file");
                        return -ENOENT;
                }
                path = strdup(arg);
                if (!path)
                        return -ENOMEM;
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        dir = catalog_dir(c, k);
        if (!dir || asprintf(&file, "%s.yaml", arg) < 0)
                return -ENOMEM;
        path = path_join(dir, file);
        if (!path)
                return -ENOMEM;
        if (yd_is_name(arg) && path_exists(path)) {
                *ret_path = TAKE_PTR(path);
                return 0;
        }
        r = catalog_list(c, k, &names);
        if (r < 0)
                return r;
        const char *g = yd_did_you_mean(arg, (const char *const *) names);
        diag_set_file(reterr, dir);
        if (g)
                diag_set(reterr, 1, 1, "no %s named '%s' (did you mean '%s'?)", kind_names[k], arg, g);
        else
                diag_set(reterr, 1, 1, "no %s named '%s' (see 'xbuild list')", kind_names[k], arg);
        return -XB_E_NOT_FOUND;
}

/* A reference from a recipe to another file: an error at the recipe's line and column. */
static int ref_error(struct xb_diag *d, const struct recipe *rc, struct ypos pos,
                     const char *fmt, ...) _printf_(4, 5);
static int ref_error(struct xb_diag *d, const struct recipe *rc, struct ypos pos,
                     const char *fmt, ...) {
        va_list ap;

        diag_set_file(d, rc->path);
        d->line = pos.line ? pos.line : 1;
        d->col = pos.col ? pos.col : 1;
        va_start(ap, fmt);
        (void) vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
        return -XB_E_RECIPE_VALUE;
}

static int ref_path(const struct catalog *c, enum catalog_kind k, const char *name,
                    const struct recipe *rc, struct ypos pos, char **ret, struct xb_diag *d) {
        struct xb_diag tmp = {0};
        int r = catalog_find(c, k, name, ret, &tmp);
        if (r == -XB_E_NOT_FOUND)
                return ref_error(d, rc, pos, "%s", tmp.msg);
        return r;
}

/* Loads the rootfs definition named by the recipe at pos into the bundle (once per name) and
 * checks it has every architecture the recipe lists. */
static int bundle_add_rootfs(const struct catalog *c, struct recipe_bundle *b, const char *name,
                             struct ypos pos, struct xb_diag *d) {
        const struct recipe *rc = b->recipe;
        _cleanup_(rootfs_def_freep) struct rootfs_def *rf = NULL;
        _cleanup_free_ char *p = NULL;
        int r;

        if (recipe_bundle_rootfs(b, name))
                return 0;
        assert(b->n_rootfs < ELEMENTSOF(b->rootfs));
        if ((r = ref_path(c, CATALOG_ROOTFS, name, rc, pos, &p, d)) < 0)
                return r;
        if ((r = rootfs_def_load(p, &rf, d)) < 0)
                return r;
        for (size_t i = 0; i < rc->n_arches; i++)
                if (!rootfs_def_supports_arch(rf, rc->arches[i]))
                        return ref_error(d, rc, pos, "rootfs '%s' has no %s variant (it has: %s%s%s%s%s)",
                                         name, arch_to_string(rc->arches[i]),
                                         arch_to_string(rf->arches[0]),
                                         rf->n_arches > 1 ? ", " : "",
                                         rf->n_arches > 1 ? arch_to_string(rf->arches[1]) : "",
                                         rf->n_arches > 2 ? ", " : "",
                                         rf->n_arches > 2 ? arch_to_string(rf->arches[2]) : "");
        if (!(b->rootfs_names[b->n_rootfs] = strdup(name)))
                return -ENOMEM;
        b->rootfs[b->n_rootfs++] = TAKE_PTR(rf);
        return 0;
}

struct recipe_bundle *recipe_bundle_free(struct recipe_bundle *b) {
        if (!b)
                return NULL;
        recipe_free(b->recipe);
        toolchain_free(b->toolchain);
        kconfig_profile_free(b->kconfig);
        for (size_t i = 0; i < b->n_rootfs; i++) {
                rootfs_def_free(b->rootfs[i]);
                free(b->rootfs_names[i]);
        }
        free(b);
        return NULL;
}

const struct rootfs_def *recipe_bundle_rootfs(const struct recipe_bundle *b, const char *name) {
        for (size_t i = 0; b && name && i < b->n_rootfs; i++)
                if (streq(b->rootfs_names[i], name))
                        return b->rootfs[i];
        return NULL;
}

int catalog_load_bundle(const struct catalog *c, const char *arg, const char *variant, struct recipe_bundle **ret,
                        struct xb_diag *reterr) {
        _cleanup_(recipe_bundle_freep) struct recipe_bundle *b = calloc(1, sizeof *b);
        _cleanup_free_ char *path = NULL;
        struct xb_diag d = {0};
        int r;

        if (!b)
                return -ENOMEM;
        r = catalog_find(c, CATALOG_RECIPE, arg, &path, &d);
        if (r < 0)
                goto fail;
        r = recipe_load_variant(path, variant, &b->recipe, &d);
        if (r < 0)
                goto fail;
        const struct recipe *rc = b->recipe;
        if (!is_path_arg(arg) && !streq(rc->name, arg)) {
                r = ref_error(&d, rc, rc->name_pos, "recipe file %s.yaml must be named '%s', not '%s'",
                              arg, arg, rc->name);
                goto fail;
        }
        if (rc->toolchain) {
                _cleanup_free_ char *p = NULL;
                if ((r = ref_path(c, CATALOG_TOOLCHAIN, rc->toolchain, rc, rc->toolchain_pos, &p, &d)) < 0 ||
                    (r = toolchain_load(p, &b->toolchain, &d)) < 0)
                        goto fail;
                for (size_t i = 0; i < rc->n_arches; i++)
                        if (!b->toolchain->arches[rc->arches[i]].set) {
                                r = ref_error(&d, rc, rc->toolchain_pos,
                                              "toolchain '%s' does not target %s",
                                              rc->toolchain, arch_to_string(rc->arches[i]));
                                goto fail;
                        }
        }
        if ((r = bundle_add_rootfs(c, b, rc->rootfs, rc->rootfs_pos, &d)) < 0)
                goto fail;
        for (size_t s = 0; s < _XB_STRATEGY_MAX; s++)
                if (rc->strategies[s].rootfs &&
                    (r = bundle_add_rootfs(c, b, rc->strategies[s].rootfs, rc->strategies[s].rootfs_pos, &d)) < 0)
                        goto fail;
        if (rc->kconfig) {
                _cleanup_free_ char *p = NULL;
                if ((r = ref_path(c, CATALOG_KCONFIG, rc->kconfig, rc, rc->kconfig_pos, &p, &d)) < 0 ||
                    (r = kconfig_profile_load(p, &b->kconfig, &d)) < 0)
                        goto fail;
        }
        *ret = TAKE_PTR(b);
        return 0;
fail:
        if (r != -ENOMEM && reterr)
                *reterr = d;
        return r;
}

int catalog_load_recipe(const struct catalog *c, const char *arg, const char *variant, struct recipe **ret,
                        struct xb_diag *reterr) {
        _cleanup_(recipe_bundle_freep) struct recipe_bundle *b = NULL;
        int r = catalog_load_bundle(c, arg, variant, &b, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b->recipe);
        return 0;
}
