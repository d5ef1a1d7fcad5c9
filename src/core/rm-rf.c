/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "path.h"
#include "rm-rf.h"

/* Identity of the mount a file lives on: the mount id where the kernel reports it (it tells
 * bind mounts of one file system apart, which st_dev does not), else the device. */
struct mnt_key {
        uint64_t mnt_id;
        dev_t dev;
};

static int mnt_key_of(int dirfd, const char *name, struct mnt_key *ret) {
        struct statx sx;
        if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH),
                  STATX_BASIC_STATS | STATX_MNT_ID, &sx) < 0)
                return -errno;
        ret->mnt_id = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
        ret->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
        return 0;
}

static bool same_mount(const struct mnt_key *a, const struct mnt_key *b) {
        return a->dev == b->dev && a->mnt_id == b->mnt_id;
}

/* Empties the directory open as dfd (which this call owns). */
static int rm_children(int dfd, const struct mnt_key *top) {
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        struct dirent *de;
        int ret = 0;

        if (!d) {
                int e = errno;
                close(dfd);
                return -e;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && ret == 0)
                                ret = -errno;
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        struct mnt_key k;
                        if (mnt_key_of(dirfd(d), de->d_name, &k) < 0 || !same_mount(&k, top)) {
                                ret = -EXDEV; /* a mount point: never descend */
                                continue;
                        }
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                /* A 0000 directory can still be opened by root; for others, try
                                 * making it readable first. */
                                (void) fchmodat(dirfd(d), de->d_name, 0700, 0);
                                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        }
                        if (sub < 0) {
                                if (ret == 0)
                                        ret = -errno;
                                continue;
                        }
                        /* Re-check on the open fd: the name may have been swapped meanwhile. */
                        if (mnt_key_of(sub, "", &k) < 0 || !same_mount(&k, top)) {
                                close(sub);
                                ret = -EXDEV;
                                continue;
                        }
                        (void) fchmod(sub, 0700);
                        int r = rm_children(sub, top);
                        if (r < 0 && ret == 0)
                                ret = r;
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && ret == 0)
                                ret = -errno;
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && ret == 0)
                        ret = -errno;
        }
        return ret;
}

int rm_rf(const char *path) {
        struct stat st;
        int fd, r;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct mnt_key top;
        r = mnt_key_of(fd, "", &top);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) fchmod(fd, 0700);
        r = rm_children(fd, &top);
        if (r < 0)
                return r;
        return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
        char *o = s;
        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
                        *o++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else
                        *o++ = *p;
        }
        *o = 0;
}

int mounts_below_describe(const char *path, char **ret) {
        _cleanup_free_ char *text = NULL;
        char real[PATH_MAX];
        size_t pl;
        int r;

        *ret = NULL;
        if (!realpath(path, real))
                return errno == ENOENT ? 0 : -errno;
        pl = strlen(real);
        r = read_full_file("/proc/self/mountinfo", 64u << 20, &text, NULL);
        if (r < 0)
                return r;
        for (char *l = text; *l;) {
                size_t n = strcspn(l, "\n");
                bool last = l[n] == 0;
                l[n] = 0;
                /* Field 5 is the mount point; after " - " come the type and the source. */
                char *f = l, *sep = strstr(l, " - ");
                for (int i = 0; i < 4 && f; i++) {
                        f = strchr(f, ' ');
                        if (f)
                                f++;
                }
                if (f) {
                        char mp[PATH_MAX], type[64] = "?", source[PATH_MAX] = "?";
                        (void) snprintf(mp, sizeof mp, "%.*s", (int) strcspn(f, " "), f);
                        unescape_octal(mp);
                        if (sep)
                                (void) sscanf(sep + 3, "%63s %4095s", type, source);
                        unescape_octal(source);
                        if (strneq(mp, real, pl) && (mp[pl] == 0 || mp[pl] == '/'))
                                return asprintf(ret, "%s (%s from %s)", mp, type, source) < 0 ? -ENOMEM : 1;
                }
                l += n + (last ? 0 : 1);
        }
        return 0;
}

int mounts_below(const char *path, bool *ret) {
        _cleanup_free_ char *what = NULL;
        int r = mounts_below_describe(path, &what);
        if (r < 0)
                return r;
        *ret = r > 0;
        return 0;
}

int rm_rf_unless_mounted(const char *path) {
        bool busy;
        int r = mounts_below(path, &busy);
        if (r < 0)
                return r;
        return busy ? -EBUSY : rm_rf(path);
}

int rm_rf_entries(const char *dir, bool (*want)(const char *name, const char *path, void *userdata),
                  void *userdata, unsigned *ret_removed, unsigned *ret_busy) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int ret = 0;

        *ret_removed = *ret_busy = 0;
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                if (streq(de->d_name, ".") || streq(de->d_name, "..") || !(p = path_join(dir, de->d_name)) ||
                    !want(de->d_name, p, userdata))
                        continue;
                int r = rm_rf_unless_mounted(p);
                if (r == -EBUSY)
                        (*ret_busy)++;
                else if (r < 0 && ret == 0)
                        ret = r;
                else if (r >= 0)
                        (*ret_removed)++;
        }
        return ret;
}
