/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Joins with exactly one '/' between parts; NULL on OOM. */
char *path_join(const char *a, const char *b);
/* The directory part ("." for a bare name); NULL on OOM. */
char *path_dirname(const char *p);
const char *path_basename(const char *p);
/* A relative path that stays below its base: not empty, not absolute, no ".." component. */
bool path_is_safe_relative(const char *p);
/* A single file name: no '/', not "." or "..", not empty. */
bool path_is_filename(const char *p);
/* Lexically drops "." and empty components and resolves ".." against the preceding one
 * (never above "/"), without touching the file system. NULL on OOM. */
char *path_normalize(const char *p);
/* mkdir -p with mode for created directories. */
int mkdir_p(const char *p, unsigned mode);
/* mkdir -p base (followed as given: the caller's), then each component of rel below it, none
 * of which may be a symlink (-ELOOP) or "." / ".." (-EINVAL). */
int mkdir_p_beneath(const char *base, const char *rel, unsigned mode);
/* A directory only its owner can enter (0700), as mmdebstrap and sbuild keep root file
 * systems whose setuid programs must not be reachable: created so, or tightened when it exists
 * (that one directory; never what is inside). A symlink there is refused (-ELOOP). */
int mkdir_private(const char *dir);
bool path_exists(const char *p);
bool path_is_dir(const char *p);
