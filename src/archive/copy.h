/* SPDX-License-Identifier: MIT */
#pragma once

#include "core/errors.h"

/* Copies a directory tree with libarchive (read_disk -> write_disk, as 'bsdtar -c | bsdtar -x'
 * would): modes, times, symlinks as links, hard links as links. dest must not exist; it is
 * written as a sibling partial directory and renamed when complete. err says why it failed. */
int archive_copy_tree(const char *src, const char *dest, struct xb_detail *err);
/* The tree as an uncompressed tar at out_path (names "./...", symlinks as links, never
 * crossing a mount), the form a remote 'tar -xf -' reads. */
int archive_tar_tree(const char *src, const char *out_path, struct xb_detail *err);
