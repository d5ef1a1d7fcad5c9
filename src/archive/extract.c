/* SPDX-License-Identifier: MIT */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strset.h"
#include "cleanup.h"
#include "extract.h"

#define DEFAULT_MAX_ENTRIES 4000000ULL
#define DEFAULT_MAX_BYTES (256ULL << 30)

bool archive_member_name_safe(const char *name) {
        while (name[0] == '.' && name[1] == '/')
                name += 2;
        if (*name == 0)
                return true; /* "./" itself: the top directory */
        return path_is_safe_relative(name);
}

/* Drops n leading components; NULL when nothing is left (the entry is skipped). */
static const char *strip(const char *p, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                while (p[0] == '.' && p[1] == '/')
                        p += 2;
                const char *s = strchr(p, '/');
                if (!s)
                        return NULL;
                while (*s == '/')
                        s++;
                p = s;
        }
        return *p ? p : NULL;
}

static int refuse(struct extract_result *res, struct xb_detail *err, const char *entry, const char *fmt, ...)
        _printf_(4, 5);
static int refuse(struct extract_result *res, struct xb_detail *err, const char *entry, const char *fmt, ...) {
        _cleanup_free_ char *why = NULL;
        va_list ap;
        (void) snprintf(res->entry, sizeof res->entry, "%s", entry);
        va_start(ap, fmt);
        if (vasprintf(&why, fmt, ap) < 0)
                why = NULL;
        va_end(ap);
        return xb_detail_set(err, -XB_E_ARCHIVE_UNSAFE, "%s", strempty(why));
}

/* Whether a parent directory of name (normalized) is a symlink on disk, and which: libarchive
 * would refuse to write through it, we refuse the archive. The tree is fresh, so only names this
 * extraction made symlinks are looked at (one may since have become a directory). */
static bool parent_is_symlink(int rootfd, const struct name_set *links, const char *name,
                              char ret_parent[static PATH_MAX]) {
        for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
                size_t plen = (size_t) (slash - name);
                char parent[PATH_MAX];
                struct stat st;
                if (plen >= sizeof parent || !name_set_has(links, name, plen))
                        continue;
                memcpy(parent, name, plen);
                parent[plen] = 0;
                if (fstatat(rootfd, parent, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                        memcpy(ret_parent, parent, plen + 1);
                        return true;
                }
        }
        return false;
}

/* Checks one entry, strips its leading components and normalizes its name before libarchive
 * writes it, relative to the tree (our cwd during the extraction). */
static int prepare_entry(struct archive_entry *e, int rootfd, struct name_set *links, const struct extract_opts *o,
                         struct extract_result *res, struct xb_detail *err, bool *ret_skip) {
        const char *name = archive_entry_pathname(e), *link = archive_entry_hardlink(e);
        _cleanup_free_ char *sname = NULL, *slink = NULL;
        char parent[PATH_MAX];
        struct stat st;

        *ret_skip = false;
        if (!name)
                return refuse(res, err, "(unnamed)", "%s", "an entry without a name");
        if (!archive_member_name_safe(name))
                return refuse(res, err, name, "%s", "path is absolute or contains '..'");
        if (link && !archive_member_name_safe(link))
                return refuse(res, err, name, "hard link to '%s' points outside the tree", link);

        /* Nothing is written for an entry stripped away, a hard link whose target was, or the
         * top directory itself ("./": the tree keeps the mode it was made with). */
        const char *stripped = strip(name, o->strip_components);
        const char *lstripped = link ? strip(link, o->strip_components) : NULL;
        if (!stripped || (link && !lstripped)) {
                *ret_skip = true;
                return 0;
        }
        /* "a/./b", "a//b" and "a/" are "a/b" and "a": the checks compare names. */
        if (!(sname = path_normalize(stripped)) || (link && !(slink = path_normalize(lstripped))))
                return -ENOMEM;
        if (streq(sname, ".")) {
                *ret_skip = true;
                return 0;
        }
        if (strlen(sname) >= PATH_MAX || (slink && strlen(slink) >= PATH_MAX))
                return refuse(res, err, name, "%s", "name too long");
        if (parent_is_symlink(rootfd, links, sname, parent))
                return refuse(res, err, name, "would be written through the symlink '%s'", parent);
        if (slink) {
                if (streq(slink, sname))
                        return refuse(res, err, name, "%s", "hard link to itself");
                if (parent_is_symlink(rootfd, links, slink, parent))
                        return refuse(res, err, name, "hard link to '%s' goes through the symlink '%s'", link, parent);
                /* A hard link onto a symlink that also carries data would write through it. */
                if (fstatat(rootfd, slink, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                        return refuse(res, err, name, "hard link onto the symlink '%s'", link);
                archive_entry_copy_hardlink(e, slink);
        }
        if (archive_entry_filetype(e) == AE_IFLNK && name_set_add(links, sname) < 0)
                return -ENOMEM;
        archive_entry_copy_pathname(e, sname);
        return 0;
}

/* The errnos that mean data or metadata did not reach the disk. libarchive only warns about
 * them where it also warns about what a file system or an unprivileged caller cannot keep
 * (owners in a user namespace, xattrs, flags): those stay tolerated, these never are. */
static bool errno_is_storage(int e) {
        return e == ENOSPC || e == EDQUOT || e == EIO || e == EFBIG || e == EROFS || e == EUCLEAN;
}

/* A write to the disk failed: the path under DEST and the errno, for the caller to name. */
static int write_failed(struct extract_result *res, struct xb_detail *err, const char *path, int e) {
        res->write_failed = true;
        (void) snprintf(res->path, sizeof res->path, "%s", path);
        return xb_detail_set(err, -e, "%s", strerror(e));
}

/* libarchive's disk writer refused or failed an entry: into our codes. A header refused
 * without an errno is one of its ARCHIVE_EXTRACT_SECURE_* checks (a symlink on the way, '..',
 * an absolute path, a hard link through a symlink): unsafe. */
static int disk_writer_failed(struct archive *w, struct archive_entry *e, bool header, struct extract_result *res,
                              struct xb_detail *err) {
        int en = archive_errno(w);
        const char *why = archive_error_string(w) ?: "cannot write the entry";

        if (en > 0 && (errno_is_storage(en) || !header))
                return write_failed(res, err, archive_entry_pathname(e), en);
        if (en > 0) { /* "Can't create 'x'", "Hard-link target 'x' does not exist." */
                size_t n = strlen(why);
                if (n > 0 && why[n - 1] == '.')
                        n--;
                return xb_detail_set(err, -XB_E_ARCHIVE, "%.*s: %s", (int) n, why, strerror(en));
        }
        return xb_detail_set(err, header ? -XB_E_ARCHIVE_UNSAFE : -XB_E_ARCHIVE, "%s%s",
                             header ? "refused by libarchive: " : "", why);
}

/* Writes one entry and its data. Not archive_read_extract2(): it downgrades every failure of
 * the disk writer to ARCHIVE_WARN, a refused header as a failed write(2) (ENOSPC), which read
 * as success would leave a tree missing entries or holding truncated files. */
static int extract_one(struct archive *a, struct archive *w, struct archive_entry *e, struct extract_result *res,
                       struct xb_detail *err) {
        int r = archive_write_header(w, e);
        if (r != ARCHIVE_OK) {
                int ft = (int) archive_entry_filetype(e);
                /* As before: a rootfs unpacked without privilege lacks its device nodes. */
                if (archive_errno(w) == EPERM && (ft == AE_IFCHR || ft == AE_IFBLK))
                        return 0;
                return disk_writer_failed(w, e, /* header= */ true, res, err);
        }
        /* The writer set the size to 0 when it opened no file (directories, links, devices). */
        if (!archive_entry_size_is_set(e) || archive_entry_size(e) > 0)
                for (;;) {
                        const void *buf;
                        size_t size;
                        la_int64_t off;
                        r = archive_read_data_block(a, &buf, &size, &off);
                        if (r == ARCHIVE_EOF)
                                break;
                        /* ARCHIVE_WARN too: the data is incomplete (a bad CRC, say). */
                        if (r != ARCHIVE_OK)
                                return xb_detail_set(err, -XB_E_ARCHIVE, "%s",
                                                     archive_error_string(a) ?: "cannot read the data");
                        /* A failed or short write(2) is ARCHIVE_WARN with its errno. */
                        if (archive_write_data_block(w, buf, size, off) < ARCHIVE_OK)
                                return disk_writer_failed(w, e, /* header= */ false, res, err);
                }
        r = archive_write_finish_entry(w);
        if (r < ARCHIVE_WARN || (r == ARCHIVE_WARN && errno_is_storage(archive_errno(w))))
                return disk_writer_failed(w, e, /* header= */ false, res, err);
        return 0;
}

static int extract_entries(struct archive *a, struct archive *w, int rootfd, const struct extract_opts *o,
                           uint64_t total, struct extract_result *res, struct xb_detail *err);
static int extract_entries_into(struct archive *a, struct archive *w, int rootfd, struct name_set *links,
                                const struct extract_opts *o, uint64_t total, struct extract_result *res,
                                struct xb_detail *err);

/* libarchive resolves names against the cwd, and checks every component for symlinks: the
 * tree itself must be the cwd, or a symlink above it (a /home -> /var/home) would be refused.
 * xbuild is single-threaded; the previous cwd is restored on every path. */
static int extract_stream(struct archive *a, const char *root, const struct extract_opts *o,
                          uint64_t total, struct extract_result *res, struct xb_detail *err) {
        _cleanup_(archive_write_freep) struct archive *w = archive_write_disk_new();
        _cleanup_close_ int rootfd = -EBADF, cwd = -EBADF;
        /* No ARCHIVE_EXTRACT_FFLAGS: an archive's immutable or append-only flag would make a
         * cached tree, or a failed one, impossible to remove. */
        int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                    ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
        int r;

        if (!w)
                return -ENOMEM;
        if (o->keep_owner)
                flags |= ARCHIVE_EXTRACT_OWNER;
        (void) archive_write_disk_set_options(w, flags);
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || cwd < 0)
                return -errno;
        if (fchdir(rootfd) < 0)
                return -errno;
        r = extract_entries(a, w, rootfd, o, total, res, err);
        /* Closing restores the directories' modes and times. */
        if (r >= 0 && archive_write_close(w) != ARCHIVE_OK)
                r = errno_is_storage(archive_errno(w))
                            ? write_failed(res, err, "", archive_errno(w))
                            : xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(w) ?: "cannot finish");
        /* libarchive never checks close(2), and some file systems report a failed write only at
         * writeback (NFS, thin provisioning, a dying disk): the tree is renamed into place once
         * its data reached the disk. syncfs() reports the writeback errors of the file system
         * since rootfd was opened (Linux 5.8); it flushes all of that file system, at most what
         * the extraction itself just wrote on a quiet host. */
        if (r >= 0 && syncfs(rootfd) < 0)
                r = write_failed(res, err, "", errno);
        /* Freed while the tree is still the cwd: after a failure (no close above) freeing runs
         * libarchive's deferred fix-ups of directory modes and times, by relative names that
         * must land in the partial tree, never in the caller's directory. */
        (void) archive_write_free(TAKE_PTR(w));
        if (fchdir(cwd) < 0 && r >= 0)
                r = -errno;
        return r;
}

static int extract_entries(struct archive *a, struct archive *w, int rootfd, const struct extract_opts *o,
                           uint64_t total, struct extract_result *res, struct xb_detail *err) {
        struct name_set links = {0};
        int r = extract_entries_into(a, w, rootfd, &links, o, total, res, err);
        name_set_clear(&links);
        return r;
}

static int extract_entries_into(struct archive *a, struct archive *w, int rootfd, struct name_set *links,
                                const struct extract_opts *o, uint64_t total, struct extract_result *res,
                                struct xb_detail *err) {
        uint64_t max_entries = o->max_entries ? o->max_entries : DEFAULT_MAX_ENTRIES;
        uint64_t max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;

        for (;;) {
                struct archive_entry *e;
                bool skip;
                int r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        break;
                /* RETRY (a damaged header) is above WARN numerically, and still a damaged archive. */
                if (r == ARCHIVE_RETRY || r < ARCHIVE_WARN)
                        return xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(a) ?: "cannot read the archive");
                if (++res->entries > max_entries)
                        return xb_detail_set(err, -XB_E_TOO_LARGE, "more than %llu entries", (unsigned long long) max_entries);
                if (archive_entry_size_is_set(e))
                        res->bytes += (uint64_t) MAX(archive_entry_size(e), 0);
                if (res->bytes > max_bytes)
                        return xb_detail_set(err, -XB_E_TOO_LARGE, "more than %llu bytes unpacked",
                                             (unsigned long long) max_bytes);
                char name[512];
                (void) snprintf(name, sizeof name, "%s", archive_entry_pathname(e) ?: "");
                r = prepare_entry(e, rootfd, links, o, res, err, &skip);
                if (r < 0)
                        return r;
                if (skip)
                        continue;
                r = extract_one(a, w, e, res, err);
                if (r < 0) {
                        (void) snprintf(res->entry, sizeof res->entry, "%s", name);
                        return r;
                }
                if (o->progress)
                        o->progress(o->userdata, res->entries, (uint64_t) archive_filter_bytes(a, -1), total);
        }
        return 0;
}

/* Creates DEST.partial-PID, runs fn, renames on success, removes on failure. */
static int extract_into(const char *dest, int (*fn)(const char *root, void *u), void *u) {
        _cleanup_free_ char *partial = NULL;
        int r;

        if (path_exists(dest))
                return -EEXIST;
        if (asprintf(&partial, "%s.partial-%d", dest, (int) getpid()) < 0)
                return -ENOMEM;
        (void) rm_rf(partial); /* a leftover of a killed run with our recycled pid */
        /* The tree's own "/" whatever the caller's umask (its ./ entry is not applied). */
        if (mkdir(partial, 0755) < 0)
                return -errno;
        if (chmod(partial, 0755) < 0) {
                r = -errno;
                (void) rmdir(partial);
                return r;
        }
        r = fn(partial, u);
        if (r >= 0 && rename(partial, dest) < 0)
                r = -errno;
        if (r < 0)
                (void) rm_rf(partial);
        return r;
}

struct file_job {
        const char *path;
        const struct extract_opts *o;
        struct extract_result *res;
        struct xb_detail *err;
        bool deb;
};

static struct archive *open_reader(const char *path, bool raw_formats, int *ret_err, struct xb_detail *err) {
        struct archive *a = archive_read_new();
        if (!a) {
                *ret_err = -ENOMEM;
                return NULL;
        }
        (void) archive_read_support_filter_all(a);
        if (raw_formats)
                (void) archive_read_support_format_ar(a);
        else
                (void) archive_read_support_format_all(a);
        if (archive_read_open_filename(a, path, 1 << 20) != ARCHIVE_OK) {
                int k = errno == ENOENT ? -ENOENT : -XB_E_ARCHIVE;
                *ret_err = xb_detail_set(err, k, "%s", archive_error_string(a) ?: "cannot open");
                (void) archive_read_free(a);
                return NULL;
        }
        return a;
}

/* The outer .deb feeds the inner tar through these. */
static la_ssize_t deb_member_read(struct archive *inner, void *u, const void **buf) {
        (void) inner;
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(u, buf, &size, &off);
        if (r == ARCHIVE_EOF)
                return 0;
        return r < ARCHIVE_OK ? -1 : (la_ssize_t) size;
}

static int run_file_job(const char *root, void *u) {
        struct file_job *j = u;
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        struct stat st;
        uint64_t total = stat(j->path, &st) == 0 ? (uint64_t) st.st_size : 0;
        int r = 0;

        a = open_reader(j->path, j->deb, &r, j->err);
        if (!a)
                return r;
        if (!j->deb)
                return extract_stream(a, root, j->o, total, j->res, j->err);

        for (;;) {
                struct archive_entry *e;
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        return xb_detail_set(j->err, -XB_E_ARCHIVE, "no data.tar member");
                if (r < ARCHIVE_WARN)
                        return xb_detail_set(j->err, -XB_E_ARCHIVE, "%s", archive_error_string(a) ?: "not a Debian package");
                const char *n = archive_entry_pathname(e);
                if (!n || !strneq(n, "data.tar", 8))
                        continue;
                _cleanup_(archive_read_freep) struct archive *inner = archive_read_new();
                if (!inner)
                        return -ENOMEM;
                (void) archive_read_support_filter_all(inner);
                (void) archive_read_support_format_tar(inner);
                if (archive_read_open(inner, a, NULL, deb_member_read, NULL) != ARCHIVE_OK)
                        return xb_detail_set(j->err, -XB_E_ARCHIVE, "%s", archive_error_string(inner) ?: "bad data member");
                return extract_stream(inner, root, j->o, total, j->res, j->err);
        }
}

int archive_extract(const char *archive_path, const char *dest, const struct extract_opts *o,
                    struct extract_result *res, struct xb_detail *err) {
        struct file_job j = {.path = archive_path, .o = o, .res = res, .err = err};
        *res = (struct extract_result){0};
        return extract_into(dest, run_file_job, &j);
}

int archive_extract_deb(const char *deb_path, const char *dest, const struct extract_opts *o,
                        struct extract_result *res, struct xb_detail *err) {
        struct file_job j = {.path = deb_path, .o = o, .res = res, .err = err, .deb = true};
        *res = (struct extract_result){0};
        return extract_into(dest, run_file_job, &j);
}
