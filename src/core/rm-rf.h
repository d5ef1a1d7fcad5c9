/* SPDX-License-Identifier: MIT */
#pragma once

/* Removes a directory tree that xbuild created. Never follows a symlink (it removes the link),
 * never crosses into another file system or a mount point (returns -EXDEV and leaves that
 * part), and makes read-only directories writable to empty them. A missing path is success. */
int rm_rf(const char *path);
