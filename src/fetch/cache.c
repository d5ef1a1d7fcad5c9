/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "core/atomic-file.h"
#include "core/fileio.h"
#include "core/path.h"
#include "recipe/ydecode.h"

static const char *const cache_dirs[] = {"blobs/sha256", "index", "tmp", "git"};

struct cache *cache_free(struct cache *c) {
        if (c) {
                free(c->root);
                free(c);
        }
        return NULL;
}

char *cache_sub(const struct cache *c, const char *sub, const char *name) {
        _cleanup_free_ char *d = path_join(c->root, sub);
        if (!d)
                return NULL;
        return name ? path_join(d, name) : TAKE_PTR(d);
}

int cache_open(const char *root, struct cache **ret) {
        _cleanup_(cache_freep) struct cache *c = calloc(1, sizeof *c);
        int r;

        if (!c || !(c->root = strdup(root)))
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(cache_dirs); i++) {
                _cleanup_free_ char *d = cache_sub(c, cache_dirs[i], NULL);
                if (!d)
                        return -ENOMEM;
                r = mkdir_p(d, 0755);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

char *cache_blob_path(const struct cache *c, const char *sha256) {
        return cache_sub(c, "blobs/sha256", sha256);
}

bool cache_has_blob(const struct cache *c, const char *sha256) {
        _cleanup_free_ char *p = cache_blob_path(c, sha256);
        struct stat st;
        return p && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int lock_impl(const struct cache *c, const char *key, bool wait, bool *ret_contended, int *ret_fd) {
        _cleanup_free_ char *p = path_join(c->root, "lock");
        _cleanup_close_ int fd = -EBADF;
        char hex[SHA256_HEX_LEN + 1];
        bool contended = false;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1};

        if (!p || sha256_string(key, hex) < 0)
                return -ENOMEM;
        for (int i = 0; i < 7; i++) /* 28 bits of the hash pick the byte */
                fl.l_start = fl.l_start * 16 + (hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10);
        fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        /* OFD locks belong to this open file, not the process: safe with threads and forks,
         * and released by the kernel however we die. */
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
                if (errno != EAGAIN && errno != EACCES)
                        return -errno;
                if (!wait)
                        return -EWOULDBLOCK;
                contended = true;
                while (fcntl(fd, F_OFD_SETLKW, &fl) < 0)
                        if (errno != EINTR)
                                return -errno;
        }
        if (ret_contended)
                *ret_contended = contended;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int cache_lock(const struct cache *c, const char *key, bool *ret_contended, int *ret_fd) {
        return lock_impl(c, key, true, ret_contended, ret_fd);
}

int cache_try_lock(const struct cache *c, const char *key, int *ret_fd) {
        return lock_impl(c, key, false, NULL, ret_fd);
}

int cache_commit_blob(const struct cache *c, int fd, const char *tmp_path, const char *sha256) {
        _cleanup_free_ char *dst = cache_blob_path(c, sha256);

        if (!dst)
                return -ENOMEM;
        if (fsync(fd) < 0 || fchmod(fd, 0444) < 0)
                return -errno;
        if (rename(tmp_path, dst) < 0)
                return -errno;
        return fsync_parent(dst);
}

int cache_record_url(const struct cache *c, const char *url, const char *sha256, uint64_t size) {
        _cleanup_free_ char *p = NULL, *text = NULL;
        char key[SHA256_HEX_LEN + 1];
        int r, n;

        r = sha256_string(url, key);
        if (r < 0 || !(p = cache_sub(c, "index", key)))
                return -ENOMEM;
        n = asprintf(&text, "sha256 %s\nsize %" PRIu64 "\nurl %s\n", sha256, size, url);
        if (n < 0)
                return -ENOMEM;
        return write_file_atomic(p, text, (size_t) n, 0644);
}

void cache_entries_free(struct cache_entry *e, size_t n) {
        for (size_t i = 0; e && i < n; i++)
                free(e[i].url);
        free(e);
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const struct cache_entry *) a)->sha256, ((const struct cache_entry *) b)->sha256);
}

/* Reads one index file; 0 with fields set, or <0 when it is not ours. */
static int read_index(const char *path, char sha[SHA256_HEX_LEN + 1], char **ret_url) {
        _cleanup_free_ char *text = NULL;
        char *url;
        int r = read_full_file(path, 16384, &text, NULL);
        if (r < 0)
                return r;
        if (strncmp(text, "sha256 ", 7) != 0 || strlen(text) < 7 + SHA256_HEX_LEN)
                return -EINVAL;
        memcpy(sha, text + 7, SHA256_HEX_LEN);
        sha[SHA256_HEX_LEN] = 0;
        if (!yd_is_hex(sha, SHA256_HEX_LEN))
                return -EINVAL;
        url = strstr(text, "\nurl ");
        if (!url)
                return -EINVAL;
        url += 5;
        url[strcspn(url, "\n")] = 0;
        *ret_url = strdup(url);
        return *ret_url ? 0 : -ENOMEM;
}

int cache_list(const struct cache *c, struct cache_entry **ret, size_t *ret_n) {
        _cleanup_free_ char *blobs = cache_sub(c, "blobs/sha256", NULL), *index = cache_sub(c, "index", NULL);
        _cleanup_closedir_ DIR *d = NULL, *di = NULL;
        struct cache_entry *e = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;

        if (!blobs || !index)
                return -ENOMEM;
        d = opendir(blobs);
        if (!d)
                return errno == ENOENT ? (*ret = NULL, *ret_n = 0, 0) : -errno;
        while ((de = readdir(d))) {
                struct stat st;
                if (!yd_is_hex(de->d_name, SHA256_HEX_LEN) ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        struct cache_entry *ne = realloc(e, cap * sizeof *e);
                        if (!ne) {
                                cache_entries_free(e, n);
                                return -ENOMEM;
                        }
                        e = ne;
                }
                memset(&e[n], 0, sizeof e[n]);
                memcpy(e[n].sha256, de->d_name, SHA256_HEX_LEN + 1);
                e[n++].size = (uint64_t) st.st_size;
        }
        if (n > 0)
                qsort(e, n, sizeof *e, cmp_entry);

        di = opendir(index);
        while (di && (de = readdir(di))) {
                _cleanup_free_ char *p = NULL, *url = NULL;
                char sha[SHA256_HEX_LEN + 1];
                struct cache_entry key = {0}, *hit;
                if (de->d_name[0] == '.' || !(p = path_join(index, de->d_name)) ||
                    read_index(p, sha, &url) < 0)
                        continue;
                memcpy(key.sha256, sha, sizeof sha);
                hit = n ? bsearch(&key, e, n, sizeof *e, cmp_entry) : NULL;
                if (hit && !hit->url)
                        hit->url = TAKE_PTR(url);
        }
        *ret = e;
        *ret_n = n;
        return 0;
}
