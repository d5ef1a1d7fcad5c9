/* SPDX-License-Identifier: MIT */
#include <archive.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "core/macro.h"
#include "decompress.h"

int archive_read_decompressed(const char *path, size_t max, char **ret, size_t *ret_len, struct xb_detail *err) {
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        _cleanup_free_ char *buf = NULL;
        struct archive_entry *e;
        size_t len = 0, cap = 0;

        if (!a)
                return -ENOMEM;
        (void) archive_read_support_filter_all(a);
        /* The raw format: the stream itself, one pseudo-entry, whatever the compression. */
        (void) archive_read_support_format_raw(a);
        if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
                if (errno == ENOENT)
                        return -ENOENT;
                return xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(a) ?: "cannot open");
        }
        if (archive_read_next_header(a, &e) != ARCHIVE_OK)
                return xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(a) ?: "cannot read");
        for (;;) {
                if (cap - len < 65536) {
                        size_t ncap = cap ? cap * 2 : 1 << 20;
                        char *n = realloc(buf, ncap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                la_ssize_t k = archive_read_data(a, buf + len, cap - len);
                if (k < 0)
                        return xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(a) ?: "corrupt data");
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return xb_detail_set(err, -XB_E_TOO_LARGE, "more than %zu bytes once decompressed", max);
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}
