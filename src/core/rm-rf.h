/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Removes a directory tree that xbuild created. Never follows a symlink (it removes the link),
 * never crosses into another file system or a mount point (returns -EXDEV and leaves that
 * part), and makes read-only directories writable to empty them. A missing path is success. */
int rm_rf(const char *path);

/* Whether anything in our mount namespace is mounted at or below path (a missing path: no). */
int mounts_below(const char *path, bool *ret);
/* The first mount at or below path as "MOUNTPOINT (TYPE from SOURCE)": 1 with *ret set, 0 when
 * nothing is mounted there (*ret NULL). */
int mounts_below_describe(const char *path, char **ret);
/* rm_rf() unless something is mounted below path (then -EBUSY and nothing is removed). */
int rm_rf_unless_mounted(const char *path);
/* rm_rf_unless_mounted() on each entry of dir that want() picks; counts what was removed and
 * what was left because it is mounted on. */
int rm_rf_entries(const char *dir, bool (*want)(const char *name, const char *path, void *userdata),
                  void *userdata, unsigned *ret_removed, unsigned *ret_busy);
