/* SPDX-License-Identifier: MIT */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "core/errors.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/rm-rf.h"

/* to_disk: wr is archive_write_disk (which takes blocks at offsets); else an archive
 * writer, which takes the data in order. */
static int copy_entries(struct archive *rd, struct archive *wr, bool to_disk, const char *src, const char *partial,
                        struct xb_detail *err) {
        size_t sl = strlen(src);

        for (;;) {
                struct archive_entry *e = archive_entry_new();
                int r;
                if (!e)
                        return -ENOMEM;
                r = archive_read_next_header2(rd, e);
                if (r == ARCHIVE_EOF) {
                        archive_entry_free(e);
                        return 0;
                }
                if (r < ARCHIVE_WARN) {
                        r = xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(rd) ?: "cannot read");
                        archive_entry_free(e);
                        return r;
                }
                (void) archive_read_disk_descend(rd);
                const char *p = archive_entry_pathname(e);
                /* Re-root every name from SRC/... to PARTIAL/... */
                _cleanup_free_ char *np = NULL, *nl = NULL;
                const char *rel = p + MIN(strlen(p), sl);
                if (asprintf(&np, "%s%s", partial, rel) < 0) {
                        archive_entry_free(e);
                        return -ENOMEM;
                }
                archive_entry_copy_pathname(e, np);
                const char *hl = archive_entry_hardlink(e);
                if (hl) {
                        if (asprintf(&nl, "%s%s", partial, hl + MIN(strlen(hl), sl)) < 0) {
                                archive_entry_free(e);
                                return -ENOMEM;
                        }
                        archive_entry_copy_hardlink(e, nl);
                }
                r = archive_write_header(wr, e);
                if (r >= ARCHIVE_WARN && archive_entry_size(e) > 0 && !hl) {
                        const void *buf;
                        size_t size;
                        la_int64_t off;
                        while ((r = archive_read_data_block(rd, &buf, &size, &off)) == ARCHIVE_OK)
                                if (to_disk ? archive_write_data_block(wr, buf, size, off) < ARCHIVE_WARN
                                            : archive_write_data(wr, buf, size) != (la_ssize_t) size) {
                                        r = ARCHIVE_FATAL;
                                        break;
                                }
                        if (r == ARCHIVE_EOF)
                                r = ARCHIVE_OK;
                }
                if (r >= ARCHIVE_WARN)
                        r = archive_write_finish_entry(wr);
                archive_entry_free(e);
                if (r < ARCHIVE_WARN)
                        return xb_detail_set(err, -XB_E_ARCHIVE, "'%s': %s", np,
                                             archive_error_string(wr) ?: archive_error_string(rd) ?: "cannot copy");
        }
}

/* Walks src into the open writer wr (names re-rooted at prefix) and closes wr. */
static int walk_into(struct archive *wr, bool to_disk, const char *src, const char *prefix, struct xb_detail *err) {
        struct archive *rd = archive_read_disk_new();
        int r;

        if (!rd)
                return -ENOMEM;
        /* Physical walk: a symlink is copied as a link, never followed out of the tree. */
        (void) archive_read_disk_set_symlink_physical(rd);
        (void) archive_read_disk_set_behavior(rd, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
        if (archive_read_disk_open(rd, src) != ARCHIVE_OK)
                r = xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(rd) ?: "cannot open");
        else
                r = copy_entries(rd, wr, to_disk, src, prefix, err);
        if (r >= 0 && archive_write_close(wr) != ARCHIVE_OK)
                r = xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(wr) ?: "cannot finish");
        (void) archive_read_free(rd);
        return r;
}

int archive_copy_tree(const char *src_arg, const char *dest, struct xb_detail *err) {
        _cleanup_free_ char *partial = NULL, *src = path_normalize(src_arg);
        struct archive *wr = NULL;
        int r;

        if (!src)
                return -ENOMEM;
        if (!path_is_dir(src))
                return xb_detail_set(err, -ENOTDIR, "'%s' is not a directory", src);
        if (path_exists(dest))
                return -EEXIST;
        if (asprintf(&partial, "%s.partial-%d", dest, (int) getpid()) < 0)
                return -ENOMEM;
        (void) rm_rf(partial);
        if (!(wr = archive_write_disk_new()))
                return -ENOMEM;
        (void) archive_write_disk_set_options(wr, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                          ARCHIVE_EXTRACT_SECURE_NODOTDOT);
        r = walk_into(wr, true, src, partial, err);
        if (r >= 0 && rename(partial, dest) < 0)
                r = -errno;
        (void) archive_write_free(wr);
        if (r < 0)
                (void) rm_rf(partial);
        return r;
}

int archive_tar_tree(const char *src_arg, const char *out_path, struct xb_detail *err) {
        _cleanup_free_ char *src = path_normalize(src_arg);
        struct archive *wr = NULL;
        int r;

        if (!src || !(wr = archive_write_new()))
                return -ENOMEM;
        if (archive_write_set_format_pax_restricted(wr) != ARCHIVE_OK || archive_write_open_filename(wr, out_path) != ARCHIVE_OK)
                r = xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(wr) ?: "cannot open");
        else
                /* Names relative to the tree: "./path". */
                r = walk_into(wr, false, src, ".", err);
        (void) archive_write_free(wr);
        if (r < 0)
                (void) unlink(out_path);
        return r;
}
