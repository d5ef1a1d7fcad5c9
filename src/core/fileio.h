/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* Reads a whole regular file, refusing more than max bytes with -EFBIG (checked before and
 * while reading, so a growing file or a pipe cannot exceed it). The buffer is NUL-terminated;
 * *ret_size excludes the NUL. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size);
/* The same from an open fd (read from its current offset). */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);
int write_all(int fd, const void *buf, size_t n);
/* Creates or replaces path with text (not atomic; for small state files). */
int write_file_text(const char *path, const char *text);
/* Bytes of disk a tree takes (st_blocks), not following symlinks nor crossing mounts. */
int disk_usage(const char *path, unsigned long long *ret);
/* Copies what is left to read from in to out (EINTR retried). */
int copy_fd_data(int in, int out);
/* The last max_lines lines of a text file (at most its last 64 KiB), '\n'-joined without a
 * final newline; "" for an empty file. */
int read_file_tail(const char *path, size_t max_lines, char **ret);
