/* SPDX-License-Identifier: MIT */
#pragma once

#include "core/errors.h"
#include "fetch/cache.h"
#include "recipe/rootfs.h"

/* What 'run' and chroot builds share: binfmt for the arch, the cached rootfs, and its layer of
 * build dependencies, with progress and errors reported. */
struct root_setup {
        const struct cache *cache;
        const struct rootfs_def *rf;
        char *base;       /* the pristine tree */
        char *deps_upper; /* NULL without build_deps */
        char *lowers[3];  /* for the session, topmost first, NULL-terminated */
        char *log_path;
};

void root_setup_clear(struct root_setup *s);
/* Returns 0 or a negative code with err saying why (progress is logged). Logs go to
 * CACHE/logs/rootfs-NAME-ARCH.log. */
int root_setup(const struct cache *cache, const struct rootfs_def *rf, enum xb_arch a, char *const *deps,
               struct root_setup *ret, struct xb_detail *err);

/* For the strategies that run in an ARM root: the probe (root) and root_setup() for the job's
 * rootfs, failing the build with its message. */
struct build_job;
int root_setup_probe(struct build_job *job);
int root_setup_for_job(struct build_job *job, char *const *deps, struct root_setup *ret);
