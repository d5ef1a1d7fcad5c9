/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/fileio.h"
#include "core/strv.h"
#include "elf.h"

#define EM_ARM_ 40
#define EM_AARCH64_ 183
#define EM_X86_64_ 62
#define EM_386_ 3
#define PT_LOAD_ 1
#define PT_DYNAMIC_ 2
#define PT_INTERP_ 3
#define DT_NULL_ 0
#define DT_NEEDED_ 1
#define DT_STRTAB_ 5
#define DT_SONAME_ 14
#define DT_FLAGS_1_ 0x6ffffffbU
#define DF_1_PIE_ 0x08000000U
#define ET_DYN_ 3
#define EF_ARM_EABIMASK_ 0xff000000u
#define EF_ARM_ABI_FLOAT_HARD_ 0x400u
#define EF_ARM_ABI_FLOAT_SOFT_ 0x200u

void elf_info_clear(struct elf_info *e) {
        strv_free(e->needed);
        e->needed = NULL;
}

struct reader {
        const unsigned char *d;
        size_t n;
        bool le;
};

static bool in(const struct reader *r, uint64_t off, uint64_t len) {
        return off <= r->n && len <= r->n - off;
}

static uint64_t get(const struct reader *r, uint64_t off, unsigned width) {
        uint64_t v = 0;
        if (!in(r, off, width))
                return 0;
        for (unsigned i = 0; i < width; i++) {
                unsigned shift = r->le ? 8 * i : 8 * (width - 1 - i);
                v |= (uint64_t) r->d[off + i] << shift;
        }
        return v;
}

const char *elf_machine_name(unsigned machine) {
        switch (machine) {
        case EM_ARM_:
                return "ARM";
        case EM_AARCH64_:
                return "AArch64";
        case EM_X86_64_:
                return "x86-64";
        case EM_386_:
                return "i386";
        default:
                return "unknown machine";
        }
}

/* Virtual address -> file offset through the PT_LOAD segments. */
static bool vaddr_to_off(const struct reader *r, const struct elf_info *e, uint64_t phoff, unsigned phnum,
                         unsigned phentsize, uint64_t vaddr, uint64_t *ret) {
        bool b64 = e->elf_class == 2;
        for (unsigned i = 0; i < phnum; i++) {
                uint64_t ph = phoff + (uint64_t) i * phentsize;
                if (get(r, ph, 4) != PT_LOAD_)
                        continue;
                uint64_t off = b64 ? get(r, ph + 8, 8) : get(r, ph + 4, 4);
                uint64_t va = b64 ? get(r, ph + 16, 8) : get(r, ph + 8, 4);
                uint64_t filesz = b64 ? get(r, ph + 32, 8) : get(r, ph + 16, 4);
                if (vaddr >= va && vaddr - va < filesz) {
                        *ret = off + (vaddr - va);
                        return true;
                }
        }
        return false;
}

static uint64_t uvarint(const unsigned char *p, size_t n, size_t *used) {
        uint64_t v = 0;
        for (size_t i = 0; i < n && i < 10; i++) {
                v |= (uint64_t) (p[i] & 0x7f) << (7 * i);
                if (!(p[i] & 0x80)) {
                        *used = i + 1;
                        return v;
                }
        }
        *used = 0;
        return 0;
}

/* Go 1.18+: "\xff Go buildinf:" then pointer size, flags; with flag 2 the version and the
 * module info follow inline as varint-prefixed strings. The module info holds lines such as
 * "build\tGOARM=7" and "build\t-tags=a,b". */
static void go_buildinfo(const struct reader *r, struct elf_info *e) {
        static const char magic[] = "\xff Go buildinf:";
        const unsigned char *p = memmem(r->d, r->n, magic, 14);
        size_t left, used;

        if (!p)
                return;
        left = r->n - (size_t) (p - r->d);
        if (left < 32 || !(p[15] & 2))
                return; /* older formats: pointers into data, not worth chasing here */
        e->go = true;
        p += 32;
        left -= 32;
        uint64_t vl = uvarint(p, left, &used);
        if (!used || vl > left - used)
                return;
        (void) snprintf(e->go_version, sizeof e->go_version, "%.*s", (int) MIN(vl, (uint64_t) 63), (const char *) p + used);
        p += used + vl;
        left -= used + vl;
        uint64_t ml = uvarint(p, left, &used);
        if (!used || ml > left - used)
                return;
        const char *mod = (const char *) p + used;
        for (size_t i = 0; i < ml;) {
                size_t n = 0;
                while (i + n < ml && mod[i + n] != '\n')
                        n++;
                if (n > 12 && strneq(mod + i, "build\tGOARM=", 12))
                        (void) snprintf(e->go_arm, sizeof e->go_arm, "%.*s", (int) (n - 12), mod + i + 12);
                else if (n > 12 && strneq(mod + i, "build\t-tags=", 12))
                        (void) snprintf(e->go_tags, sizeof e->go_tags, "%.*s", (int) MIN(n - 12, sizeof e->go_tags - 1), mod + i + 12);
                i += n + 1;
        }
}

int elf_parse(const unsigned char *data, size_t size, struct elf_info *ret, struct xb_detail *err) {
        struct reader r = {.d = data, .n = size};
        struct elf_info e = {.arm_float = -1};
        uint64_t phoff, dyn_off = 0, dyn_size = 0;
        unsigned phnum, phentsize;
        bool b64;

        if (size < 52 || memcmp(data, "\x7f" "ELF", 4) != 0)
                return xb_detail_set(err, -EINVAL, "not an ELF file");
        e.elf_class = data[4];
        if (e.elf_class != 1 && e.elf_class != 2)
                return xb_detail_set(err, -EINVAL, "unknown ELF class %u", e.elf_class);
        b64 = e.elf_class == 2;
        r.le = e.little_endian = data[5] == 1;
        if (b64 && size < 64)
                return xb_detail_set(err, -EINVAL, "truncated ELF header");
        e.type = (unsigned) get(&r, 16, 2);
        e.machine = (unsigned) get(&r, 18, 2);
        e.flags = (unsigned) get(&r, b64 ? 48 : 36, 4);
        phoff = b64 ? get(&r, 32, 8) : get(&r, 28, 4);
        phentsize = (unsigned) get(&r, b64 ? 54 : 42, 2);
        phnum = (unsigned) get(&r, b64 ? 56 : 44, 2);
        if (phentsize < (b64 ? 56u : 32u) || !in(&r, phoff, (uint64_t) phnum * phentsize))
                return xb_detail_set(err, -EINVAL, "program headers out of the file");
        if (e.machine == EM_ARM_) {
                e.arm_eabi = (e.flags & EF_ARM_EABIMASK_) >> 24;
                e.arm_float = (e.flags & EF_ARM_ABI_FLOAT_HARD_) ? 1 : (e.flags & EF_ARM_ABI_FLOAT_SOFT_) ? 0 : -1;
        }
        e.is_static = true;
        for (unsigned i = 0; i < phnum; i++) {
                uint64_t ph = phoff + (uint64_t) i * phentsize;
                uint32_t type = (uint32_t) get(&r, ph, 4);
                uint64_t off = b64 ? get(&r, ph + 8, 8) : get(&r, ph + 4, 4);
                uint64_t filesz = b64 ? get(&r, ph + 32, 8) : get(&r, ph + 16, 4);
                if (type == PT_INTERP_ && in(&r, off, filesz) && filesz > 0) {
                        e.is_static = false;
                        (void) snprintf(e.interpreter, sizeof e.interpreter, "%.*s", (int) MIN(filesz, sizeof e.interpreter - 1),
                                        (const char *) data + off);
                } else if (type == PT_DYNAMIC_ && in(&r, off, filesz)) {
                        dyn_off = off;
                        dyn_size = filesz;
                }
        }
        bool df1_pie = false;
        if (dyn_size) {
                unsigned esz = b64 ? 16 : 8, w = b64 ? 8 : 4;
                uint64_t strtab = 0, strtab_off;
                for (uint64_t p = dyn_off; p + esz <= dyn_off + dyn_size; p += esz) {
                        uint64_t tag = get(&r, p, w);
                        if (tag == DT_NULL_)
                                break;
                        if (tag == DT_STRTAB_)
                                strtab = get(&r, p + w, w);
                        else if (tag == DT_FLAGS_1_ && (get(&r, p + w, w) & DF_1_PIE_))
                                df1_pie = true;
                }
                if (strtab && vaddr_to_off(&r, &e, phoff, phnum, phentsize, strtab, &strtab_off))
                        for (uint64_t p = dyn_off; p + esz <= dyn_off + dyn_size; p += esz) {
                                uint64_t tag = get(&r, p, w), val = get(&r, p + w, w);
                                if (tag == DT_NULL_)
                                        break;
                                if ((tag != DT_NEEDED_ && tag != DT_SONAME_) || !in(&r, strtab_off + val, 1))
                                        continue;
                                const char *s = (const char *) data + strtab_off + val;
                                size_t maxl = size - (strtab_off + val);
                                size_t l = strnlen(s, MIN(maxl, (size_t) 255));
                                if (tag == DT_SONAME_) {
                                        (void) snprintf(e.soname, sizeof e.soname, "%.*s", (int) MIN(l, sizeof e.soname - 1), s);
                                        continue;
                                }
                                if (strv_consume(&e.needed, strndup(s, l)) < 0) {
                                        elf_info_clear(&e);
                                        return -ENOMEM;
                                }
                        }
        }
        /* ET_DYN is a PIE when it has an interpreter or says so (static-pie); otherwise a
         * shared library, which is not "static" whatever it lacks. */
        if (e.type == ET_DYN_) {
                e.pie = !e.is_static || df1_pie;
                e.shared_library = !e.pie;
                if (e.shared_library)
                        e.is_static = false;
        }
        go_buildinfo(&r, &e);
        *ret = e;
        return 0;
}

const char *elf_kind(const struct elf_info *e) {
        if (e->shared_library)
                return "shared library";
        if (e->is_static)
                return e->pie ? "static-pie" : "static";
        return "dynamic";
}

int elf_parse_file(const char *path, struct elf_info *ret, struct xb_detail *err) {
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        int r = read_full_file(path, 1ULL << 31, &data, &n);
        if (r < 0)
                return xb_detail_set(err, r, "cannot read: %s", strerror(-r));
        return elf_parse((const unsigned char *) data, n, ret, err);
}

const char *elf_describe(const struct elf_info *e, char *buf, size_t size) {
        char arm[64] = "";
        if (e->machine == EM_ARM_)
                (void) snprintf(arm, sizeof arm, " EABI%u%s", e->arm_eabi,
                                e->arm_float == 1 ? " hard-float" : e->arm_float == 0 ? " soft-float" : "");
        bool interp = !e->is_static && !e->shared_library;
        (void) snprintf(buf, size, "ELF %s-bit %s%s, %s%s%s%s%s%s%s%s%s", e->elf_class == 2 ? "64" : "32",
                        elf_machine_name(e->machine), arm, elf_kind(e), interp ? " (" : "", interp ? e->interpreter : "",
                        interp ? ")" : "", interp && e->pie ? ", PIE" : "", e->soname[0] ? ", soname " : "", e->soname,
                        e->go ? ", Go " : "", e->go ? e->go_version : "");
        return buf;
}

static int atoi_safe(const char *s) {
        int v = 0;
        for (; s && *s >= '0' && *s <= '9'; s++)
                v = v * 10 + (*s - '0');
        return v;
}

int elf_check_arch(const struct elf_info *e, enum xb_arch a, const struct elf_want *w, struct xb_detail *err) {
        const struct arch_info *ai = arch_info(a);

        if (e->machine != ai->elf_machine || e->elf_class != ai->elf_class)
                return xb_detail_set(err, -EINVAL, "machine: got %s %s-bit, expected %s %s-bit (%s)",
                                     elf_machine_name(e->machine), e->elf_class == 2 ? "64" : "32",
                                     elf_machine_name(ai->elf_machine), ai->elf_class == 2 ? "64" : "32", ai->name);
        if (!e->little_endian)
                return xb_detail_set(err, -EINVAL, "byte order: got big-endian, expected little-endian");
        if (e->machine == EM_ARM_) {
                if (e->arm_eabi != 5)
                        return xb_detail_set(err, -EINVAL, "ABI: got EABI%u, expected EABI5", e->arm_eabi);
                /* Go does not mark its float ABI; its GOARM says what it needs instead. A lower
                 * GOARM runs on the target (Debian's native armhf Go defaults to 6), a higher one
                 * uses instructions the target lacks (7 on armel). */
                if (e->go) {
                        if (e->go_arm[0] && atoi_safe(e->go_arm) > atoi_safe(ai->goarm))
                                return xb_detail_set(err, -EINVAL, "GOARM: got %s, at most %s runs on %s", e->go_arm,
                                                     ai->goarm, ai->name);
                } else if (ai->hard_float && e->arm_float == 0)
                        return xb_detail_set(err, -EINVAL, "float ABI: got soft-float, expected hard-float (%s)", ai->name);
                else if (!ai->hard_float && e->arm_float == 1)
                        return xb_detail_set(err, -EINVAL, "float ABI: got hard-float, expected soft-float (%s)", ai->name);
                else if (ai->hard_float && e->arm_float != 1 && !e->is_static)
                        return xb_detail_set(err, -EINVAL, "float ABI: not marked hard-float, expected hard-float (%s)",
                                             ai->name);
        }
        if (w->want_library >= 0 && e->shared_library != (bool) w->want_library)
                return xb_detail_set(err, -EINVAL, "type: got %s, expected %s", e->shared_library ? "a shared library" : "an executable",
                                     w->want_library ? "a shared library" : "an executable");
        if (w->want_static >= 0 && (e->is_static != (bool) w->want_static || e->shared_library))
                return xb_detail_set(err, -EINVAL, "linking: got %s, expected %s", elf_kind(e),
                                     w->want_static ? "static" : "dynamic");
        if (w->want_pie == 1 && !e->pie)
                return xb_detail_set(err, -EINVAL, "PIE: got a position-dependent %s (ET_EXEC), expected a position-independent "
                                     "executable (Android 5 and later run no other)", e->shared_library ? "library" : "executable");
        if (w->want_pie == 0 && e->pie)
                return xb_detail_set(err, -EINVAL, "PIE: got a position-independent executable, expected a position-dependent one");
        return 0;
}
