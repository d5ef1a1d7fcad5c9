/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "elf-sections.h"

static uint64_t rd(const unsigned char *p, unsigned n) {
        uint64_t v = 0;
        for (unsigned i = 0; i < n; i++)
                v |= (uint64_t) p[i] << (8 * i);
        return v;
}

#define SHT_NOBITS 8

struct elf_section_hdr {
        const char *name; /* into data; may lack a NUL within the table: use name_max */
        size_t name_max;
        uint64_t type, off, size;
};

/* Calls fn for each section header (but the null one), every offset checked against size. */
static int each_section(const unsigned char *data, size_t size, int (*fn)(const struct elf_section_hdr *h, unsigned i, void *u),
                        void *u) {
        if (size < 52 || memcmp(data, "\177ELF", 4) != 0 || data[5] != 1 || (data[4] != 1 && data[4] != 2))
                return -EINVAL;
        bool b64 = data[4] == 2;
        if (b64 && size < 64)
                return -EINVAL;
        uint64_t shoff = b64 ? rd(data + 40, 8) : rd(data + 32, 4);
        unsigned shentsize = (unsigned) rd(data + (b64 ? 58 : 46), 2), shnum = (unsigned) rd(data + (b64 ? 60 : 48), 2),
                 shstrndx = (unsigned) rd(data + (b64 ? 62 : 50), 2);
        if (shnum == 0)
                return 0;
        if (shentsize < (b64 ? 64U : 40U) || shoff > size || (uint64_t) shnum * shentsize > size - shoff || shstrndx >= shnum)
                return -EINVAL;
        const unsigned char *strh = data + shoff + (uint64_t) shstrndx * shentsize;
        uint64_t stroff = b64 ? rd(strh + 24, 8) : rd(strh + 16, 4), strsize = b64 ? rd(strh + 32, 8) : rd(strh + 20, 4);
        if (stroff > size || strsize > size - stroff)
                return -EINVAL;
        for (unsigned i = 1; i < shnum; i++) {
                const unsigned char *h = data + shoff + (uint64_t) i * shentsize;
                uint64_t name = rd(h, 4);
                struct elf_section_hdr sh = {.type = rd(h + 4, 4), .off = b64 ? rd(h + 24, 8) : rd(h + 16, 4),
                                             .size = b64 ? rd(h + 32, 8) : rd(h + 20, 4)};
                if (name < strsize) {
                        sh.name = (const char *) data + stroff + name;
                        sh.name_max = (size_t) (strsize - name);
                }
                if (sh.type != SHT_NOBITS && (sh.off > size || sh.size > size - sh.off))
                        return -EINVAL;
                int r = fn(&sh, i, u);
                if (r != 0)
                        return r;
        }
        return 0;
}

struct collect {
        const unsigned char *data;
        struct elf_section *s;
        size_t n;
};

static int collect_one(const struct elf_section_hdr *h, unsigned i, void *u) {
        struct collect *c = u;
        struct elf_section *e = &c->s[c->n++];
        if (h->name)
                (void) snprintf(e->name, sizeof e->name, "%.*s", (int) strnlen(h->name, MIN(h->name_max, sizeof e->name - 1)),
                                h->name);
        if (!e->name[0])
                (void) snprintf(e->name, sizeof e->name, "#%u", i);
        e->size = h->size;
        if (h->type == SHT_NOBITS)
                return 0;
        struct sha256_ctx *ctx = sha256_new();
        if (!ctx)
                return -ENOMEM;
        sha256_update(ctx, c->data + h->off, (size_t) h->size);
        sha256_finish(ctx, e->sha256);
        return 0;
}

static int count_one(const struct elf_section_hdr *h, unsigned i, void *u) {
        (void) h, (void) i;
        (*(size_t *) u)++;
        return 0;
}

int elf_sections(const unsigned char *data, size_t size, struct elf_section **ret, size_t *ret_n) {
        size_t n = 0;
        /* Counted first (each header checked against size): the array is what the file has. */
        int r = each_section(data, size, count_one, &n);
        if (r < 0)
                return r;
        _cleanup_free_ struct elf_section *s = calloc(n + 1, sizeof *s);
        struct collect c = {.data = data, .s = s};
        if (!s)
                return -ENOMEM;
        r = each_section(data, size, collect_one, &c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        *ret_n = c.n;
        return 0;
}

struct text_req {
        const unsigned char *data;
        const char *name;
        char *buf;
        size_t bufsize;
        bool found;
};

static int text_one(const struct elf_section_hdr *h, unsigned i, void *u) {
        struct text_req *t = u;
        size_t nl = strlen(t->name);
        (void) i;
        if (!h->name || h->name_max <= nl || memcmp(h->name, t->name, nl + 1) != 0 || h->type == SHT_NOBITS)
                return 0;
        size_t o = 0;
        for (uint64_t k = 0; k < h->size && o + 3 < t->bufsize; k++) {
                unsigned char ch = t->data[h->off + k];
                if (ch == 0) {
                        /* Strings end at NULs: "; " between them, none at the end. */
                        if (o > 0 && k + 1 < h->size && t->data[h->off + k + 1] != 0) {
                                t->buf[o++] = ';';
                                t->buf[o++] = ' ';
                        }
                } else
                        t->buf[o++] = ch >= 0x20 && ch < 0x7f ? (char) ch : '?';
        }
        t->buf[o] = 0;
        t->found = true;
        return 1;
}

int elf_section_text(const unsigned char *data, size_t size, const char *name, char *buf, size_t bufsize) {
        struct text_req t = {.data = data, .name = name, .buf = buf, .bufsize = bufsize};
        if (bufsize == 0)
                return -EINVAL;
        buf[0] = 0;
        int r = each_section(data, size, text_one, &t);
        if (r < 0)
                return r;
        return t.found ? 0 : -ENOENT;
}

static const struct elf_section *find(const struct elf_section *l, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(l[i].name, name))
                        return &l[i];
        return NULL;
}

char *elf_sections_diff(const struct elf_section *a, size_t na, const struct elf_section *b, size_t nb,
                        const char *name_a, const char *name_b, size_t max_lines) {
        char *out = NULL;
        size_t size = 0, lines = 0, more = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
#define LINE(...)                                                                                  \
        do {                                                                                       \
                if (lines++ < max_lines)                                                           \
                        fprintf(f, "%s" __VA_ARGS__);                                              \
                else                                                                               \
                        more++;                                                                    \
        } while (0)
        for (size_t i = 0; i < na; i++) {
                const struct elf_section *o = find(b, nb, a[i].name);
                const char *sep = lines ? "\n" : "";
                if (!o)
                        LINE("only in %s: %s", sep, name_a, a[i].name);
                else if (o->size != a[i].size)
                        LINE("section %s: %" PRIu64 " bytes (%s) vs %" PRIu64 " (%s)", sep, a[i].name, a[i].size, name_a,
                             o->size, name_b);
                else if (!streq(o->sha256, a[i].sha256))
                        LINE("section %s: same size (%" PRIu64 " bytes), different content", sep, a[i].name, a[i].size);
        }
        for (size_t i = 0; i < nb; i++)
                if (!find(a, na, b[i].name)) {
                        const char *sep = lines ? "\n" : "";
                        LINE("only in %s: %s", sep, name_b, b[i].name);
                }
        if (more)
                fprintf(f, "\n... %zu more", more);
#undef LINE
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}
