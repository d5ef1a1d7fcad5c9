/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "arch.h"
#include "core/diag.h"
#include "core/macro.h"
#include "recipe-test.h"
#include "strategy-name.h"

/* An engine recipe: what to build. Strategies decide where. The schema is documented in
 * docs/recipe-reference.md; every rule there is enforced by recipe_parse(). */

struct ypos {
        unsigned line, col;
};

enum source_kind {
        SOURCE_GIT,
        SOURCE_TARBALL,
        SOURCE_LOCAL,
        SOURCE_DEBIAN,
        _SOURCE_KIND_MAX,
        _SOURCE_KIND_INVALID = -EINVAL,
};

const char *source_kind_to_string(enum source_kind k);

struct recipe_source {
        enum source_kind kind;
        char *url;                 /* git, tarball */
        char *ref;                 /* git: the tag or branch that must resolve to commit */
        char *commit;              /* git: 40 lowercase hex digits */
        bool submodules;           /* git */
        char *sha256;              /* tarball: 64 lowercase hex digits */
        unsigned strip_components; /* tarball */
        char *path;                /* local: absolute (relative ones are taken from the recipe's dir) */
        /* debian: a source package of the host's Debian mirror (src/fetch/debsrc.h) */
        char *package;
        char *deb_version;      /* exact, with epoch and revision: 1:5.0.2-1+deb12u4 */
        char *upstream_version; /* derived: 5.0.2 */
        char *suite;            /* NULL: bookworm */
        char *component;        /* NULL: main */
        char *mirror;           /* NULL: from the host's apt sources (tests set one) */
        char *keyring;          /* NULL: Debian's archive keyring */
};

/* A second repository laid out inside the main source tree (docker/cli beside moby). */
struct recipe_extra_source {
        char *dest; /* relative to the source tree */
        struct recipe_source source;
};

struct recipe_expect {
        int static_link; /* -1: not checked, 0: must be dynamic, 1: must be static */
        int pie;         /* -1: not checked, 0: must not be, 1: must be position-independent */
        int shared_library; /* -1: not checked, 0: an executable, 1: a shared library */
        char ***runs;    /* NULL-terminated list of argument vectors for smoke runs */
        size_t n_runs;
        char **run_outputs; /* per run (n_runs entries): a POSIX extended regex its output must
                             * match, or NULL */
        char ***run_envs;   /* per run: "NAME=value" added to its environment, or NULL */
        unsigned timeout; /* seconds for each smoke run */
};

struct recipe_artifact {
        char *path;       /* relative to the source tree, may use ${var} */
        char *install_as; /* file name under out/RECIPE/ARCH/ */
        bool tree;        /* path is a directory (an install tree): copied whole, each ELF in it
                           * checked for the arch, nothing run */
        struct recipe_expect expect;
};

struct recipe_strategy {
        bool set;     /* the recipe has a section for this strategy */
        bool enabled; /* false: never use it for this recipe */
        char **env;   /* "NAME=value", added over the recipe's env */
        char **build_deps; /* replaces the recipe's list when set */
        char **steps;      /* replaces the recipe's steps when set */
        char *rootfs;
        struct ypos rootfs_pos;
};

/* What differs by arch (per_arch: ARCH:): each set field replaces the recipe's, env adds over
 * it; a strategy's own steps and build_deps still win. */
struct recipe_arch {
        bool set;
        char **env;
        char **build_deps;
        char **steps;
        struct recipe_artifact *artifacts; /* n_artifacts == 0: the recipe's */
        size_t n_artifacts;
};

#define RECIPE_DEFAULT_ROOTFS "debian-bookworm"
#define RECIPE_DEFAULT_TIMEOUT 7200U
#define RECIPE_DEFAULT_RUN_TIMEOUT 60U

struct recipe {
        char *path; /* the file it came from, as given */
        char *dir;  /* its directory, absolute */
        char *name;
        struct ypos name_pos;
        char *summary;
        char *version;  /* upstream's version, NULL: from the git ref (see recipe_version()) */
        enum xb_arch arches[_XB_ARCH_MAX]; /* as listed; the first is the default */
        size_t n_arches;
        struct recipe_source source;
        struct recipe_extra_source *extra_sources; /* sources: */
        size_t n_extra_sources;
        char *toolchain; /* NULL: none */
        struct ypos toolchain_pos;
        char *rootfs; /* never NULL after load */
        struct ypos rootfs_pos;
        char *kconfig; /* requirement profile, NULL: none */
        struct ypos kconfig_pos;
        char **build_deps;
        char **host_deps; /* cross: Debian packages of tools the steps run on the build host */
        char **env;
        char **steps;
        char **patches;
        struct recipe_artifact *artifacts;
        size_t n_artifacts;
        struct recipe_strategy strategies[_XB_STRATEGY_MAX];
        struct recipe_arch per_arch[_XB_ARCH_MAX];
        enum xb_strategy prefer[_XB_STRATEGY_MAX];
        size_t n_prefer;
        unsigned timeout; /* seconds for each step */
        bool network;     /* the steps need the network (qemu-system: user networking on) */
        bool no_accelerate; /* accelerate: false: chroot never runs the host's compilers natively */
        unsigned long long memory_mib; /* RAM + swap the build needs; 0: not said */
        struct recipe_test *test;      /* the functional test; NULL: none */
        char **variants; /* the names under variants:, in order (never NULL after load) */
        char *variant;   /* the one this recipe was loaded as, NULL: the recipe itself */
};

struct recipe *recipe_free(struct recipe *r);
DEFINE_FREEP(struct recipe, recipe_free)

/* Parses and validates. filename is used in messages and to resolve local paths (its
 * directory); it need not exist. Returns 0, -ENOMEM, or -XB_E_RECIPE_* with *reterr set. */
int recipe_parse(const char *data, size_t size, const char *filename, struct recipe **ret,
                 struct xb_diag *reterr);
int recipe_load(const char *path, struct recipe **ret, struct xb_diag *reterr);
/* The same, as variant (variants: NAME:): each key the variant gives replaces the recipe's key
 * of that name, whole. NULL: the recipe itself. Every variant is checked whichever is asked
 * for; asking for one the recipe lacks is -XB_E_NOT_FOUND naming those it has. */
int recipe_parse_variant(const char *data, size_t size, const char *filename, const char *variant,
                         struct recipe **ret, struct xb_diag *reterr);
int recipe_load_variant(const char *path, const char *variant, struct recipe **ret, struct xb_diag *reterr);

bool recipe_supports_arch(const struct recipe *r, enum xb_arch a);
/* What a build of arch with strategy s uses: the strategy's own, else the arch's, else the
 * recipe's (artifacts: the arch's, else the recipe's). */
const struct recipe_artifact *recipe_artifacts(const struct recipe *r, enum xb_arch a, size_t *ret_n);
char *const *recipe_steps(const struct recipe *r, enum xb_strategy s, enum xb_arch a);
char *const *recipe_build_deps(const struct recipe *r, enum xb_strategy s, enum xb_arch a);
/* ${version}: the recipe's version:, else its git ref without a leading 'v' (v1.1.15 ->
 * 1.1.15), else NULL. */
const char *recipe_version(const struct recipe *r);
