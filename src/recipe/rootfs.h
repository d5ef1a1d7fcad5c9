/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "arch.h"
#include "core/diag.h"
#include "core/macro.h"

/* A root file system definition (recipes/rootfs/NAME.yaml): how to obtain an ARM userland
 * for the chroot strategy, the cross sysroot and the VM images. */

enum rootfs_provider {
        ROOTFS_DEBOOTSTRAP,
        ROOTFS_TARBALL,
        _ROOTFS_PROVIDER_MAX,
        _ROOTFS_PROVIDER_INVALID = -EINVAL,
};

enum package_manager {
        PKG_APT,
        PKG_PACMAN,
        PKG_APK,
        _PKG_MAX,
        _PKG_INVALID = -EINVAL,
};

struct rootfs_tarball {
        bool set;
        char *url;
        char *sha256;
        unsigned strip_components;
};

struct rootfs_def {
        char *path;
        char *name;
        char *summary;
        enum xb_arch arches[_XB_ARCH_MAX];
        size_t n_arches;
        enum rootfs_provider provider;
        enum package_manager package_manager;
        /* debootstrap */
        char *suite;
        char *variant;
        char *mirror; /* NULL: the host's apt configuration, read at run time */
        char *keyring;
        char **components;
        char **include;
        /* tarball, one per architecture */
        struct rootfs_tarball tarballs[_XB_ARCH_MAX];
};

const char *rootfs_provider_to_string(enum rootfs_provider p);
const char *package_manager_to_string(enum package_manager p);

struct rootfs_def *rootfs_def_free(struct rootfs_def *r);
DEFINE_FREEP(struct rootfs_def, rootfs_def_free)

int rootfs_def_parse(const char *data, size_t size, const char *filename, struct rootfs_def **ret,
                     struct xb_diag *reterr);
int rootfs_def_load(const char *path, struct rootfs_def **ret, struct xb_diag *reterr);
bool rootfs_def_supports_arch(const struct rootfs_def *r, enum xb_arch a);
