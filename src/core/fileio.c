/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_full_fd(fd, max, ret, ret_size);
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (S_ISREG(st.st_mode) && (size_t) st.st_size > max)
                return -EFBIG;

        for (;;) {
                if (alloc - size < 4096) {
                        size_t na = alloc ? alloc * 2 : 8192;
                        char *nb = realloc(buf, na + 1);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        alloc = na;
                }
                ssize_t n = read(fd, buf + size, alloc - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int write_all(int fd, const void *buf, size_t n) {
        const char *p = buf;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int write_file_text(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        return write_all(fd, text, strlen(text));
}

static unsigned long long du_total;

static int du_add(const char *path, const struct stat *st, int type, struct FTW *f) {
        (void) path, (void) type, (void) f;
        du_total += (unsigned long long) st->st_blocks * 512ULL;
        return 0;
}

int disk_usage(const char *path, unsigned long long *ret) {
        du_total = 0;
        if (nftw(path, du_add, 32, FTW_PHYS | FTW_MOUNT) < 0)
                return -errno;
        *ret = du_total;
        return 0;
}

int copy_fd_data(int in, int out) {
        char buf[1 << 16];
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                int r = write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

int read_file_tail(const char *path, size_t max_lines, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t want = 65536, got = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if ((size_t) st.st_size < want)
                want = (size_t) st.st_size;
        if (!(buf = malloc(want + 1)))
                return -ENOMEM;
        if (lseek(fd, (off_t) st.st_size - (off_t) want, SEEK_SET) < 0)
                return -errno;
        while (got < want) {
                ssize_t n = read(fd, buf + got, want - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        while (got > 0 && buf[got - 1] == '\n')
                got--;
        buf[got] = 0;
        /* Back from the end over max_lines line breaks. */
        size_t start = got, lines = 0;
        while (start > 0) {
                if (buf[start - 1] == '\n' && ++lines == max_lines)
                        break;
                start--;
        }
        char *t = strdup(buf + start);
        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}
