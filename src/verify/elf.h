/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"
#include "core/macro.h"
#include "recipe/arch.h"

/* What an executable is, read from its ELF headers (every offset bounds-checked: the input may
 * be anything). */
struct elf_info {
        unsigned elf_class;   /* 1: 32-bit, 2: 64-bit */
        bool little_endian;
        unsigned type;        /* ET_EXEC 2, ET_DYN 3 */
        unsigned machine;     /* EM_ARM 40, EM_AARCH64 183, EM_X86_64 62 */
        unsigned flags;       /* e_flags */
        unsigned arm_eabi;    /* ARM: EABI version from e_flags (5 = EABI5), 0 otherwise */
        int arm_float;        /* ARM: 1 hard-float flag, 0 soft-float flag, -1 neither */
        bool is_static;       /* an executable without interpreter (static, or static-pie) */
        bool pie;             /* position-independent executable (ET_DYN with an interpreter, or
                               * static-pie: DF_1_PIE) */
        bool shared_library;  /* ET_DYN, neither interpreter nor DF_1_PIE: a library */
        char soname[128];     /* DT_SONAME, "" when none */
        char interpreter[256];
        char **needed;        /* DT_NEEDED, NULL-terminated */
        /* Go's build information, when the binary carries it */
        bool go;
        char go_version[64];
        char go_arm[16];      /* GOARM=, "" when unknown */
        char go_tags[512];
};

void elf_info_clear(struct elf_info *e);

/* Parses data (a whole file). -EINVAL with a reason in err when it is not a usable ELF. */
int elf_parse(const unsigned char *data, size_t size, struct elf_info *ret, struct xb_detail *err);
int elf_parse_file(const char *path, struct elf_info *ret, struct xb_detail *err);

const char *elf_machine_name(unsigned machine);

/* One line describing it: "ELF 32-bit ARM EABI5 hard-float, static" */
const char *elf_describe(const struct elf_info *e, char *buf, size_t size);

/* What an artifact must be beyond its arch; each -1: not checked, 0: must not, 1: must. */
struct elf_want {
        int want_static;  /* static (or static-pie), not dynamic */
        int want_pie;     /* position-independent (Android 5+ runs nothing else) */
        int want_library; /* a shared library, not an executable */
};
#define ELF_WANT_NOTHING ((struct elf_want){-1, -1, -1})

/* Compares with an arch and the wants. Returns 0 when it fits, else -EINVAL with
 * "field: got X, expected Y" in err. */
int elf_check_arch(const struct elf_info *e, enum xb_arch a, const struct elf_want *w, struct xb_detail *err);
/* "static", "static-pie", "dynamic", "shared library". */
const char *elf_kind(const struct elf_info *e);
