/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/errors.h"
#include "recipe/toolchain.h"

/* The cross strategy's host side: the toolchain's programs present (its Debian packages
 * installed when root and allowed; apt-get update once when the lists are missing), and the
 * environment steps run in on the host. */

/* 0 with *ret_version the compiler's (or Go's) first --version line (NULL when it prints
 * none); -XB_E_NOT_AVAILABLE with err saying what to install. log_path: apt's output. */
int cross_toolchain_ensure(const struct toolchain *tc, enum xb_arch arch, bool may_install, const char *log_path,
                           char **ret_version, struct xb_detail *err);

/* The recipe's host_deps (tools the build runs on this host: autoconf, meson, python3...)
 * installed, as the toolchain's are; -XB_E_NOT_AVAILABLE naming the missing ones otherwise. */
int cross_host_deps_ensure(char *const *pkgs, bool may_install, const char *log_path, struct xb_detail *err);

/* PATH, HOME, LANG, TERM from this host, the step environment over them, pkg-config pointed at
 * the sysroot (NULL: none; XB_SYSROOT empty), SOURCE_DATE_EPOCH unless set (epoch < 0: none). */
char **cross_host_env(char *const *step_env, const char *sysroot, const char *triplet, long long epoch);
