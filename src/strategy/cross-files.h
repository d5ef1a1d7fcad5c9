/* SPDX-License-Identifier: MIT */
#pragma once

#include "recipe/arch.h"

/* Build-system glue for cross builds: a meson cross file and a CMake toolchain file for the
 * arch, pointing at Debian's cross gcc (and the sysroot when there is one). Steps find them as
 * $XB_MESON_CROSS_FILE and $XB_CMAKE_TOOLCHAIN_FILE. NULL on OOM. */
char *cross_meson_file(enum xb_arch a, const char *sysroot);
char *cross_cmake_file(enum xb_arch a, const char *sysroot);
