/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "recipe/recipe.h"
#include "recipe/strategy-name.h"
#include "recipe/toolchain.h"

/* The plan: for one recipe and architecture, what each strategy needs from this host, which
 * one would build and why, and exactly what it would run. Pure: the host is described by a
 * struct host_facts, so tests can plan for any host. */

struct host_facts {
        bool is_root;
        unsigned jobs;
        const char *cache_dir;
        const char *out_dir;
        const char *remote_host; /* --host, NULL when none */
        unsigned remote_jobs;    /* hosts.yaml's jobs for that host, 0: unknown */
        const char *build_id;    /* names this build's remote work directory; NULL: "ID" */
        /* Whether a program is on PATH; NULL means nothing is. */
        bool (*has_program)(const char *name, void *userdata);
        void *userdata;
};

/* The real host: PATH look-ups, euid, nproc. */
void host_facts_init(struct host_facts *h, const char *cache_dir, const char *out_dir,
                     const char *remote_host);

struct strategy_probe {
        bool implemented;    /* this version of xbuild can run it */
        bool host_ready;     /* the host has what it needs */
        bool recipe_allows;  /* not disabled by the recipe */
        char *detail;        /* one line for humans */
};

struct plan_artifact {
        char *path; /* in the source tree, expanded */
        char *dest; /* OUT/NAME/ARCH/install_as */
        char ***runs; /* def's smoke-run arguments with ${var} expanded (def->expect.n_runs) */
        const struct recipe_artifact *def;
};

struct plan {
        const struct recipe *recipe;
        enum xb_arch arch;
        struct strategy_probe probes[_XB_STRATEGY_MAX];
        enum xb_strategy order[_XB_STRATEGY_MAX]; /* preference order considered */
        size_t n_order;
        enum xb_strategy chosen; /* _XB_STRATEGY_INVALID: none can run */
        enum xb_strategy shown;  /* whose environment and steps are listed below */
        bool forced;             /* --strategy */
        char *reason;
        char *out_root; /* --out-dir, default "out" */
        char *out_dir;  /* OUT/NAME[@VARIANT]/ARCH: artifacts, logs/, report.json */
        char *out_rel;  /* NAME[@VARIANT]/ARCH: out_dir below out_root */
        char *work_dir; /* cross: CACHE/work/NAME-ARCH; remote: .xbuild-work/NAME-ARCH-ID on the
                         * host; NULL for the others */
        char *toolchain;
        char *rootfs;
        char **build_deps;
        char *accel; /* chroot: whether its compilers run natively and why (strategy/accel.h);
                      * filled by the caller, which reads the host's and the cache's dpkg status */
        char **env;   /* the complete environment of a step, expanded */
        char **steps;
        struct plan_artifact *artifacts;
        size_t n_artifacts;
};

void plan_free(struct plan *p);
DEFINE_FREEP(struct plan, plan_free)

/* forced: _XB_STRATEGY_INVALID for automatic choice. tc may be NULL when the recipe names no
 * toolchain. Returns -EINVAL when the recipe does not support arch. */
int plan_make(const struct recipe *rc, const struct toolchain *tc, enum xb_arch arch,
              enum xb_strategy forced, const struct host_facts *host, struct plan **ret);
