/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdbool.h>

/* The target architectures xbuild knows, with every name each tool uses for them. */
enum xb_arch {
        XB_ARCH_ARMHF,
        XB_ARCH_ARMEL,
        XB_ARCH_ARM64,
        _XB_ARCH_MAX,
        _XB_ARCH_INVALID = -EINVAL,
};

struct arch_info {
        const char *name;        /* xbuild's and Debian's name: armhf */
        const char *triplet;     /* GNU triplet of Debian's cross gcc: arm-linux-gnueabihf */
        const char *goarch;      /* arm, arm64 */
        const char *goarm;       /* "7", "5", or NULL */
        const char *qemu_user;   /* qemu-user name: arm, aarch64 */
        const char *qemu_system; /* qemu-system-arm, qemu-system-aarch64 */
        const char *uname_m;     /* uname -m under qemu-user's default CPU */
        unsigned elf_machine;    /* EM_ARM (40), EM_AARCH64 (183) */
        unsigned elf_class;      /* 1: ELFCLASS32, 2: ELFCLASS64 */
        bool hard_float;         /* EF_ARM_ABI_FLOAT_HARD expected */
};

const struct arch_info *arch_info(enum xb_arch a);
enum xb_arch arch_from_string(const char *s);
const char *arch_to_string(enum xb_arch a);
/* NULL-terminated list of names, for did-you-mean and help texts. */
const char *const *arch_names(void);
