/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

/* An ELF file's sections by name, size and content hash: what tells two builds of the same
 * engine apart when their bytes differ (.note.go.buildid, .text, .rodata...). Little-endian,
 * 32- and 64-bit; every offset bounds-checked. */

struct elf_section {
        char name[64];
        uint64_t size;
        char sha256[SHA256_HEX_LEN + 1]; /* "" for SHT_NOBITS (.bss): no content */
};

/* Returns the number of sections (0..) in *ret (malloc'd), or -EINVAL when data is not such
 * an ELF file. */
int elf_sections(const unsigned char *data, size_t size, struct elf_section **ret, size_t *ret_n);

/* The content of section name as text (NUL-separated strings joined with "; ", as in .comment
 * where each compiler that contributed code signs), into buf. Returns 0, -ENOENT when there is
 * no such section, -EINVAL when data is not such an ELF file. */
int elf_section_text(const unsigned char *data, size_t size, const char *name, char *buf, size_t bufsize);

/* One line per difference between a and b ("section .text: 1234 bytes vs 1240", "section
 * .note.go.buildid: same size, different content", "only in A: .gnu_debuglink"), at most
 * max_lines of them (then "... N more"), '\n'-joined; "" when the sections are the same. */
char *elf_sections_diff(const struct elf_section *a, size_t na, const struct elf_section *b, size_t nb,
                        const char *name_a, const char *name_b, size_t max_lines);
