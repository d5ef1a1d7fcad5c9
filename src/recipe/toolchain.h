/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "arch.h"
#include "core/diag.h"
#include "core/macro.h"

/* A toolchain descriptor (toolchains/NAME.yaml): which host packages give a compiler for each
 * target architecture and the environment that points a build at it. */

enum toolchain_kind {
        TOOLCHAIN_GCC,
        TOOLCHAIN_GO,
        _TOOLCHAIN_KIND_MAX,
        _TOOLCHAIN_KIND_INVALID = -EINVAL,
};

struct toolchain_arch {
        bool set;
        char **packages; /* Debian packages on the host for this target */
        char **env;      /* "NAME=value", may use ${var} */
};

struct toolchain {
        char *path;
        char *name;
        char *summary;
        enum toolchain_kind kind;
        char **host_packages; /* needed whatever the target */
        char **target_env;    /* for every strategy, the target's own compilers too (chroot,
                               * qemu-system, remote): what makes a build the same wherever it
                               * runs (GOARM, -trimpath); cross applies env over it */
        char **env;           /* cross: for every target; per-arch env is applied over it */
        char **sysroot_env;   /* over those when the build has an ARM sysroot (build_deps):
                               * what points the compilers at it, so recipes need not */
        struct toolchain_arch arches[_XB_ARCH_MAX];
};

const char *toolchain_kind_to_string(enum toolchain_kind k);
struct toolchain *toolchain_free(struct toolchain *t);
DEFINE_FREEP(struct toolchain, toolchain_free)
int toolchain_parse(const char *data, size_t size, const char *filename, struct toolchain **ret,
                    struct xb_diag *reterr);
int toolchain_load(const char *path, struct toolchain **ret, struct xb_diag *reterr);
