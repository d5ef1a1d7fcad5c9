/* SPDX-License-Identifier: MIT */
#pragma once

#include "core/diag.h"
#include "core/macro.h"
#include "kconfig-profile.h"
#include "recipe.h"
#include "rootfs.h"
#include "toolchain.h"

/* Where recipes, rootfs definitions, toolchains and kconfig profiles live, and how a name or a
 * path given on the command line becomes a loaded, cross-checked object. */

enum catalog_kind {
        CATALOG_RECIPE,
        CATALOG_ROOTFS,
        CATALOG_TOOLCHAIN,
        CATALOG_KCONFIG,
        _CATALOG_KIND_MAX,
};

struct catalog {
        char *root; /* holds recipes/ and toolchains/ */
};

/* root_override: --data-dir, else $XBUILD_DATA_DIR, else the source tree when this binary
 * runs from its build directory, else the installed data directory. */
int catalog_open(const char *root_override, struct catalog **ret);
struct catalog *catalog_free(struct catalog *c);
DEFINE_FREEP(struct catalog, catalog_free)

const char *catalog_kind_to_string(enum catalog_kind k);
/* The directory of a kind, e.g. ROOT/recipes/rootfs. */
char *catalog_dir(const struct catalog *c, enum catalog_kind k);
/* Sorted names (file names without .yaml) of a kind; an absent directory is an empty list. */
int catalog_list(const struct catalog *c, enum catalog_kind k, char ***ret);
/* A name of that kind, or for a path-like argument (has '/' or ends in .yaml/.yml) the path
 * itself. -XB_E_NOT_FOUND with a did-you-mean in *reterr when a name is unknown. */
int catalog_find(const struct catalog *c, enum catalog_kind k, const char *arg, char **ret_path,
                 struct xb_diag *reterr);

/* A recipe with everything it refers to, loaded once and shared by the plan and the build. */
struct recipe_bundle {
        struct recipe *recipe;
        struct toolchain *toolchain;     /* NULL: the recipe names none */
        struct kconfig_profile *kconfig; /* NULL: none */
        struct rootfs_def *rootfs[1 + _XB_STRATEGY_MAX]; /* the top level's, then each strategy's, */
        char *rootfs_names[1 + _XB_STRATEGY_MAX];        /* each name once, as the recipe wrote it */
        size_t n_rootfs;
};
struct recipe_bundle *recipe_bundle_free(struct recipe_bundle *b);
DEFINE_FREEP(struct recipe_bundle, recipe_bundle_free)
/* The definition the recipe names so (NULL: it names no rootfs of that name). */
const struct rootfs_def *recipe_bundle_rootfs(const struct recipe_bundle *b, const char *name);

/* Loads a recipe by name or path with what it refers to: the toolchain, rootfs (top level and
 * per strategy) and kconfig profile must exist, load cleanly and support the recipe's
 * architectures. A recipe found by name must carry that name. */
int catalog_load_bundle(const struct catalog *c, const char *arg, const char *variant, struct recipe_bundle **ret,
                        struct xb_diag *reterr);
/* The same checks, keeping only the recipe. variant: NULL for the recipe itself, else one of
 * its variants: (recipe_load_variant). */
int catalog_load_recipe(const struct catalog *c, const char *arg, const char *variant, struct recipe **ret,
                        struct xb_diag *reterr);
