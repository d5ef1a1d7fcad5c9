/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/errors.h"
#include "core/spawn.h"
#include "fetch/cache.h"
#include "fetch/http.h"
#include "recipe/rootfs.h"

/* Prepared ARM root file systems, kept pristine in the cache:
 *   CACHE/rootfs/NAME-ARCH-KEY/tree            the base, from debootstrap or a tarball
 *   CACHE/rootfs/NAME-ARCH-KEY/deps-HASH/upper build dependencies, an overlay layer over tree
 *   CACHE/debs/NAME-ARCH/                      downloaded .debs, kept across rebuilds
 * KEY hashes the definition file and the arch, HASH the sorted package list, so a changed
 * definition or list makes a new entry. Entries appear whole (built in NAME.partial-PID and
 * renamed) under a cache lock, so concurrent builds share them. Sessions only ever read them. */

struct rootfs_prep {
        const struct cache *cache;
        struct http_opts http;
        const char *log_path; /* the tool's output (debootstrap, apt) is appended here */
        bool echo;            /* and shown on stderr */
};

/* The base tree; *ret_created says whether this call made it. err says why it failed. */
int rootfs_prepare_base(const struct rootfs_def *rf, enum xb_arch a, struct rootfs_prep *p, char **ret_tree,
                        bool *ret_created, struct xb_detail *err);
/* The layer with deps installed on top of base_tree (apt only); NULL deps or none: no layer. */
int rootfs_prepare_deps(const struct rootfs_def *rf, enum xb_arch a, const char *base_tree, char *const *deps,
                        struct rootfs_prep *p, char **ret_upper, bool *ret_created, struct xb_detail *err);

/* A layer for using the tree as a cross sysroot: every absolute symlink under usr/lib and lib
 * of the layers (topmost first) made relative, so the cross linker resolves it inside the
 * sysroot instead of on the host (usr/lib/<triplet>/libfoo.so -> /lib/... otherwise makes
 * "cannot find -lfoo"). The layers themselves are never edited. */
int rootfs_prepare_sysroot_fix(const struct rootfs_def *rf, enum xb_arch a, char *const *lowers, struct rootfs_prep *p,
                               char **ret_upper, struct xb_detail *err);

/* The layers (topmost first: the deps layer when deps, then the base tree) as they are in the
 * cache, without preparing anything; -ENOENT when one is missing. */
int rootfs_cached_layers(const struct cache *c, const struct rootfs_def *rf, enum xb_arch a, char *const *deps,
                         char ***ret);
/* Whether the base tree is already in the cache. */
bool rootfs_is_prepared(const struct cache *c, const struct rootfs_def *rf, enum xb_arch a);
/* CACHE/rootfs/NAME-ARCH-KEY */
int rootfs_entry_dir(const struct cache *c, const struct rootfs_def *rf, enum xb_arch a, char **ret);
/* Removes every prepared entry of NAME (and arch, unless a < 0). */
int rootfs_remove(const struct cache *c, const char *name, enum xb_arch a, unsigned *ret_removed);

/* The standard environment of commands in a session. */
char **rootfs_base_env(void);
