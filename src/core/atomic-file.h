/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Writes data to path atomically: temp file beside it, fsync, rename, fsync the directory. */
int write_file_atomic(const char *path, const void *data, size_t n, unsigned mode);
/* fsync() of the directory holding path. */
int fsync_parent(const char *path);
