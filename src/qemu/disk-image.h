/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"
#include "fetch/cache.h"

/* The VM's root disk: the recipe's ARM root file system (the same cached tree as the chroot
 * strategy, with its build_deps layer) as an ext4 image made by 'mkfs.ext4 -d' from the merged
 * layers, so no loop device is needed and no tree is copied. Kept read-only in
 *   CACHE/vm/images/img-KEY/rootfs.ext4     (KEY: the layers, which carry their own keys)
 * and attached with snapshot=on, so a build writing everywhere never changes it. Made whole
 * (NAME.partial-PID, renamed) under a cache lock. */

/* Size of the image for a tree of used bytes: room to build in, sparse on the host. */
unsigned long long vm_image_size_mib(unsigned long long used_bytes);

/* lowers: the layers, topmost first. Returns 0 or -errno / -XB_E_NOT_AVAILABLE (err says
 * why). *ret_created: made by this call. */
int vm_image_prepare(const struct cache *c, char *const *lowers, const char *log_path, bool echo, char **ret_path,
                     bool *ret_created, struct xb_detail *err);

/* Removes the images whose layers no longer exist (their rootfs or dependency layer was
 * removed): each image directory records its layers in a file "layers". */
int vm_images_remove_orphans(const struct cache *c, unsigned *ret_removed);
