/* SPDX-License-Identifier: MIT */
#pragma once

/* Copies a directory tree with libarchive (read_disk -> write_disk, as 'bsdtar -c | bsdtar -x'
 * would): modes, times, symlinks as links, hard links as links. dest must not exist; it is
 * written as a sibling partial directory and renamed when complete. */
int archive_copy_tree(const char *src, const char *dest, char *msg, unsigned msg_size);
