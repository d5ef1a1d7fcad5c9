/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

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
        DIR *d = fdopendir(dfd);
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
        closedir(d);
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
