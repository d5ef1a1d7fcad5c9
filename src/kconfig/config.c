/* SPDX-License-Identifier: MIT */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "core/errors.h"
#include "core/fileio.h"

struct kconfig *kconfig_free(struct kconfig *k) {
        if (!k)
                return NULL;
        for (size_t i = 0; i < k->n; i++) {
                free(k->names[i]);
                free(k->values[i]);
        }
        free(k->names);
        free(k->values);
        free(k);
        return NULL;
}

const char *kconfig_get(const struct kconfig *k, const char *name) {
        /* The last assignment wins, as in a fragment merged after a .config. */
        for (size_t i = k->n; i > 0; i--)
                if (streq(k->names[i - 1], name))
                        return k->values[i - 1];
        return NULL;
}

static int add(struct kconfig *k, const char *name, size_t nl, const char *value, size_t vl) {
        if (k->n == k->cap) {
                size_t cap = k->cap ? k->cap * 2 : 256;
                char **nn = realloc(k->names, cap * sizeof *nn), **nv;
                if (!nn)
                        return -ENOMEM;
                k->names = nn;
                nv = realloc(k->values, cap * sizeof *nv);
                if (!nv)
                        return -ENOMEM;
                k->values = nv;
                k->cap = cap;
        }
        k->names[k->n] = strndup(name, nl);
        k->values[k->n] = strndup(value, vl);
        if (!k->names[k->n] || !k->values[k->n])
                return -ENOMEM;
        k->n++;
        return 0;
}

int kconfig_parse_text(const char *text, size_t n, struct kconfig **ret) {
        _cleanup_(kconfig_freep) struct kconfig *k = calloc(1, sizeof *k);
        if (!k)
                return -ENOMEM;
        for (size_t i = 0; i < n;) {
                size_t e = i;
                while (e < n && text[e] != '\n')
                        e++;
                const char *l = text + i;
                size_t len = e - i;
                /* "# Linux/arm 6.1.0 Kernel Configuration" */
                if (len > 8 && strneq(l, "# Linux/", 8) && !k->version) {
                        const char *sp = memchr(l, ' ', len);
                        sp = sp ? memchr(sp + 1, ' ', (size_t) (l + len - sp - 1)) : NULL;
                        if (sp) {
                                char ver[32];
                                size_t vl = 0;
                                for (const char *c = sp + 1; c < l + len && vl < sizeof ver - 1 && (isdigit((unsigned char) *c) || *c == '.'); c++)
                                        ver[vl++] = *c;
                                ver[vl] = 0;
                                /* "6.1.0" or longer "6.1.0-50-armmp": keep major.minor.patch */
                                kversion_t v;
                                char *dot3 = ver;
                                for (int d = 0; dot3 && d < 3; d++)
                                        dot3 = strchr(dot3 + (d ? 1 : 0), '.');
                                if (dot3)
                                        *dot3 = 0;
                                if (kversion_parse(ver, &v) >= 0)
                                        k->version = v;
                        }
                } else if (len > 7 && strneq(l, "CONFIG_", 7)) {
                        const char *eq = memchr(l, '=', len);
                        if (eq) {
                                const char *v = eq + 1;
                                size_t vl = (size_t) (l + len - v);
                                if (vl && v[vl - 1] == '\r')
                                        vl--;
                                int r = add(k, l + 7, (size_t) (eq - l - 7), v, vl);
                                if (r < 0)
                                        return r;
                        }
                }
                i = e + 1;
        }
        *ret = TAKE_PTR(k);
        return 0;
}

/* Decompresses data with libarchive's raw reader (any filter it knows: gzip, xz, ...). */
static int decompress(const void *data, size_t n, char **ret, size_t *ret_n, size_t max) {
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char *out = NULL;
        size_t used = 0, cap = 0;
        int r = -XB_E_ARCHIVE;

        if (!a)
                return -ENOMEM;
        (void) archive_read_support_filter_all(a);
        (void) archive_read_support_format_raw(a);
        if (archive_read_open_memory(a, data, n) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK) {
                for (;;) {
                        if (cap - used < 65536) {
                                cap = cap ? cap * 2 : 1 << 20;
                                char *no = used + 65536 > max ? NULL : realloc(out, cap + 1);
                                if (!no)
                                        break;
                                out = no;
                        }
                        la_ssize_t k = archive_read_data(a, out + used, cap - used);
                        if (k < 0)
                                break;
                        if (k == 0) {
                                r = 0;
                                break;
                        }
                        used += (size_t) k;
                }
        }
        (void) archive_read_free(a);
        if (r < 0 && used == 0) {
                free(out);
                return r;
        }
        /* A stream cut short (IKCONFIG data is followed by other bytes) still counts. */
        out[used] = 0;
        *ret = out;
        *ret_n = used;
        return 0;
}

/* IKCONFIG: "IKCFG_ST" then a gzip stream, possibly inside a compressed kernel image. */
static int from_image(const char *data, size_t n, char **ret, size_t *ret_n, int depth) {
        const char *p = memmem(data, n, "IKCFG_ST", 8);
        if (p)
                return decompress(p + 8, n - (size_t) (p - data) - 8, ret, ret_n, 64u << 20);
        if (depth > 0)
                return -ENOENT;
        /* A compressed kernel: try every gzip and xz stream start. */
        static const char *const magics[] = {"\x1f\x8b\x08", "\xfd" "7zXZ"};
        static const size_t mlen[] = {3, 5};
        for (size_t m = 0; m < 2; m++)
                for (const char *q = data; (q = memmem(q, n - (size_t) (q - data), magics[m], mlen[m])); q++) {
                        _cleanup_free_ char *inner = NULL;
                        size_t in_n = 0;
                        if (decompress(q, n - (size_t) (q - data), &inner, &in_n, 256u << 20) >= 0 && in_n > 1024 &&
                            from_image(inner, in_n, ret, ret_n, depth + 1) >= 0)
                                return 0;
                }
        return -ENOENT;
}

/* A .deb: the first ./boot/config-* in its data member. */
static int from_deb(const char *path, char **ret, size_t *ret_n) {
        struct archive *a = archive_read_new(), *inner = NULL;
        struct archive_entry *e;
        int r = -ENOENT;

        if (!a)
                return -ENOMEM;
        (void) archive_read_support_format_ar(a);
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
                archive_read_free(a);
                return -XB_E_ARCHIVE;
        }
        while (r == -ENOENT && archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                if (!name || !strneq(name, "data.tar", 8))
                        continue;
                _cleanup_free_ char *member = NULL;
                size_t msize = (size_t) archive_entry_size(e), got = 0;
                if (msize > (512u << 20) || !(member = malloc(msize ? msize : 1)))
                        break;
                while (got < msize) {
                        la_ssize_t k = archive_read_data(a, member + got, msize - got);
                        if (k <= 0)
                                break;
                        got += (size_t) k;
                }
                inner = archive_read_new();
                (void) archive_read_support_filter_all(inner);
                (void) archive_read_support_format_tar(inner);
                if (archive_read_open_memory(inner, member, got) == ARCHIVE_OK)
                        while (archive_read_next_header(inner, &e) == ARCHIVE_OK) {
                                const char *n = archive_entry_pathname(e);
                                if (n && (strneq(n, "./boot/config-", 14) || strneq(n, "boot/config-", 12))) {
                                        size_t sz = (size_t) archive_entry_size(e), g = 0;
                                        char *buf = malloc(sz + 1);
                                        while (buf && g < sz) {
                                                la_ssize_t k = archive_read_data(inner, buf + g, sz - g);
                                                if (k <= 0)
                                                        break;
                                                g += (size_t) k;
                                        }
                                        if (buf) {
                                                buf[g] = 0;
                                                *ret = buf;
                                                *ret_n = g;
                                                r = 0;
                                        }
                                        break;
                                }
                        }
                archive_read_free(inner);
        }
        archive_read_free(a);
        return r;
}

int kconfig_load(const char *path, struct kconfig **ret, struct xb_detail *err) {
        _cleanup_free_ char *data = NULL, *text = NULL;
        size_t n = 0, tn = 0;
        int r;

        r = read_full_file(path, 512u << 20, &data, &n);
        if (r < 0)
                return xb_detail_set(err, r, "cannot read: %s", strerror(-r));
        if (n >= 8 && memcmp(data, "!<arch>\n", 8) == 0)
                r = from_deb(path, &text, &tn);
        else if (n >= 2 && (unsigned char) data[0] == 0x1f && (unsigned char) data[1] == 0x8b)
                r = decompress(data, n, &text, &tn, 64u << 20);
        else if (memmem(data, MIN(n, (size_t) 65536), "CONFIG_", 7) && !memchr(data, 0, MIN(n, (size_t) 4096))) {
                text = TAKE_PTR(data);
                tn = n;
                r = 0;
        } else
                r = from_image(data, n, &text, &tn, 0);
        if (r < 0 || !text || !memmem(text, tn, "CONFIG_", 7))
                return xb_detail_set(err, -XB_E_ARCHIVE,
                                     "no kernel configuration found (a .config, config.gz, a kernel .deb, or a kernel image built with IKCONFIG)");
        r = kconfig_parse_text(text, tn, ret);
        if (r >= 0)
                (void) snprintf((*ret)->source, sizeof (*ret)->source, "%s", path);
        return r;
}
