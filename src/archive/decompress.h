/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "core/errors.h"

/* The whole content of a compressed file (xz, gzip, bzip2, zstd... whatever libarchive's
 * filters read; an uncompressed file is returned as it is), NUL-terminated. Returns 0,
 * -XB_E_TOO_LARGE over max bytes, -XB_E_ARCHIVE (err says why), -errno. */
int archive_read_decompressed(const char *path, size_t max, char **ret, size_t *ret_len, struct xb_detail *err);
