/* SPDX-License-Identifier: MIT */
#pragma once

/* xbuild's cache directory: the override (--cache-dir), else $XBUILD_CACHE_DIR, else
 * $XDG_CACHE_HOME/xbuild, else $HOME/.cache/xbuild. Never inside a source checkout. Returns a
 * malloc'd path (not created here). */
int xb_cache_dir(const char *override, char **ret);
