/* SPDX-License-Identifier: MIT */
#pragma once

/* Removes NAME.partial-PID leftovers (rootfs trees, dependency layers, git mirrors, checkouts)
 * whose PID is gone, in the cache's rootfs and git directories and inside each rootfs entry. */
int cache_clean_partials(const char *cache_root, unsigned *ret_removed, unsigned *ret_busy);
