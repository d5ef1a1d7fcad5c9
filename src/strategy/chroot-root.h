/* SPDX-License-Identifier: MIT */
#pragma once

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
/* Returns 0 or an exit code (reported). Logs go to CACHE/logs/rootfs-NAME-ARCH.log. */
int root_setup(const struct cache *cache, const struct rootfs_def *rf, enum xb_arch a, char *const *deps,
               struct root_setup *ret);
/* Installs a handler that turns SIGINT/SIGTERM into SIGTERM for the running child, and
 * remembers that it happened. */
void signals_forward_install(bool ignore_sigint);
bool signals_interrupted(void);
