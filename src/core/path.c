/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "path.h"

char *path_join(const char *a, const char *b) {
        char *r = NULL;
        size_t la = strlen(a);

        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (asprintf(&r, "%.*s%s%s", (int) la, a, (la == 1 && a[0] == '/') ? "" : "/", b) < 0)
                return NULL;
        return r;
}

char *path_dirname(const char *p) {
        const char *s = strrchr(p, '/');
        if (!s)
                return strdup(".");
        while (s > p && s[-1] == '/')
                s--;
        if (s == p)
                return strdup("/");
        return strndup(p, (size_t) (s - p));
}

const char *path_basename(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

bool path_is_safe_relative(const char *p) {
        if (!p || !*p || *p == '/')
                return false;
        for (const char *c = p; *c;) {
                size_t n = strcspn(c, "/");
                if (n == 2 && c[0] == '.' && c[1] == '.')
                        return false;
                c += n;
                while (*c == '/')
                        c++;
        }
        return true;
}

bool path_is_filename(const char *p) {
        return p && *p && !strchr(p, '/') && !streq(p, ".") && !streq(p, "..");
}

char *path_normalize(const char *p) {
        bool abs = p[0] == '/';
        char *out = malloc(strlen(p) + 2);
        size_t o = 0, kept = 0; /* kept: components that a ".." may drop */

        if (!out)
                return NULL;
        if (abs)
                out[o++] = '/';
        for (const char *c = p; *c;) {
                size_t len = strcspn(c, "/");
                bool dotdot = len == 2 && c[0] == '.' && c[1] == '.';

                if (len == 0 || (len == 1 && c[0] == '.'))
                        ; /* nothing */
                else if (dotdot && kept > 0) {
                        while (o > (size_t) abs && out[o - 1] != '/')
                                o--;
                        if (o > (size_t) abs)
                                o--; /* the separator */
                        kept--;
                } else if (dotdot && abs)
                        ; /* "/.." is "/" */
                else {
                        if (o > (size_t) abs)
                                out[o++] = '/';
                        memcpy(out + o, c, len);
                        o += len;
                        if (!dotdot)
                                kept++;
                }
                c += len;
                while (*c == '/')
                        c++;
        }
        if (o == 0)
                out[o++] = '.';
        out[o] = 0;
        return out;
}

int mkdir_p(const char *p, unsigned mode) {
        _cleanup_free_ char *c = strdup(p);
        if (!c)
                return -ENOMEM;
        for (char *s = c + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(c, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(c, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int mkdir_p_beneath(const char *base, const char *rel, unsigned mode) {
        _cleanup_free_ char *c = strdup(rel);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!c)
                return -ENOMEM;
        if ((r = mkdir_p(base, mode)) < 0)
                return r;
        if ((fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                return -errno;
        for (char *save = NULL, *comp = strtok_r(c, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                if (streq(comp, ".") || streq(comp, ".."))
                        return -EINVAL;
                if (mkdirat(fd, comp, mode) < 0 && errno != EEXIST)
                        return -errno;
                /* O_NOFOLLOW: a symlink planted here is refused (ELOOP), never written through. */
                int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        struct stat st;
                        r = -errno;
                        return fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) ? -ELOOP : r;
                }
                closep(&fd);
                fd = next;
        }
        return 0;
}

int mkdir_private(const char *dir) {
        struct stat st;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
        return (st.st_mode & 07777) == 0700 || chmod(dir, 0700) >= 0 ? 0 : -errno;
}

bool path_exists(const char *p) {
        struct stat st;
        return lstat(p, &st) == 0;
}

bool path_is_dir(const char *p) {
        struct stat st;
        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}
