/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "arch.h"
#include "core/macro.h"

static const struct arch_info arch_table[_XB_ARCH_MAX] = {
        [XB_ARCH_ARMHF] = {
                .name = "armhf",
                .triplet = "arm-linux-gnueabihf",
                .goarch = "arm",
                .goarm = "7",
                .qemu_user = "arm",
                .qemu_system = "qemu-system-arm",
                .uname_m = "armv7l",
                .elf_machine = 40,
                .elf_class = 1,
                .hard_float = true,
        },
        [XB_ARCH_ARMEL] = {
                .name = "armel",
                .triplet = "arm-linux-gnueabi",
                .goarch = "arm",
                .goarm = "5",
                .qemu_user = "arm",
                .qemu_system = "qemu-system-arm",
                .uname_m = "armv7l",
                .elf_machine = 40,
                .elf_class = 1,
                .hard_float = false,
        },
        [XB_ARCH_ARM64] = {
                .name = "arm64",
                .triplet = "aarch64-linux-gnu",
                .goarch = "arm64",
                .goarm = NULL,
                .qemu_user = "aarch64",
                .qemu_system = "qemu-system-aarch64",
                .uname_m = "aarch64",
                .elf_machine = 183,
                .elf_class = 2,
                .hard_float = false,
        },
};

static const char *const arch_name_list[] = {"armhf", "armel", "arm64", NULL};

const struct arch_info *arch_info(enum xb_arch a) {
        if (a < 0 || a >= _XB_ARCH_MAX)
                return NULL;
        return &arch_table[a];
}

enum xb_arch arch_from_string(const char *s) {
        for (int i = 0; i < _XB_ARCH_MAX; i++)
                if (s && streq(s, arch_table[i].name))
                        return (enum xb_arch) i;
        return _XB_ARCH_INVALID;
}

const char *arch_to_string(enum xb_arch a) {
        const struct arch_info *i = arch_info(a);
        return i ? i->name : NULL;
}

const char *const *arch_names(void) {
        return arch_name_list;
}
