/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "core/atomic-file.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/signals.h"
#include "recipe/ydecode.h"

static const char *const cache_dirs[] = {"blobs/sha256", "index", "tmp", "git"};

/* A blob hashed whole by this process, and the file it was: when any of these change, the
 * file is not the one we hashed. */
struct cache_seen {
        char sha256[SHA256_HEX_LEN + 1];
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime, ctime;
};

struct cache_memo {
        struct cache_seen *v;
        size_t n, cap;
};

struct cache *cache_free(struct cache *c) {
        if (c) {
                free(c->root);
                if (c->memo)
                        free(c->memo->v);
                free(c->memo);
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

        if (!c || !(c->root = strdup(root)) || !(c->memo = calloc(1, sizeof *c->memo)))
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

static bool seen_is(const struct cache_seen *s, const char *sha256, const struct stat *st) {
        return streq(s->sha256, sha256) && s->dev == st->st_dev && s->ino == st->st_ino &&
               s->size == st->st_size && s->mtime.tv_sec == st->st_mtim.tv_sec &&
               s->mtime.tv_nsec == st->st_mtim.tv_nsec && s->ctime.tv_sec == st->st_ctim.tv_sec &&
               s->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static void memo_forget(const struct cache *c, const char *sha256) {
        struct cache_memo *m = c->memo;
        for (size_t i = 0; m && i < m->n;)
                if (streq(m->v[i].sha256, sha256))
                        m->v[i] = m->v[--m->n];
                else
                        i++;
}

/* Only a cost: a blob left out is hashed again on its next use. */
static void memo_add(const struct cache *c, const char *sha256, const struct stat *st) {
        struct cache_memo *m = c->memo;
        if (!m)
                return;
        memo_forget(c, sha256);
        if (m->n == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 8;
                struct cache_seen *v = realloc(m->v, cap * sizeof *v);
                if (!v)
                        return;
                m->v = v;
                m->cap = cap;
        }
        m->v[m->n] = (struct cache_seen){.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
                                         .mtime = st->st_mtim, .ctime = st->st_ctim};
        memcpy(m->v[m->n++].sha256, sha256, SHA256_HEX_LEN + 1);
}

static bool memo_has(const struct cache *c, const char *sha256, const struct stat *st) {
        for (size_t i = 0; c->memo && i < c->memo->n; i++)
                if (seen_is(&c->memo->v[i], sha256, st))
                        return true;
        return false;
}

/* The one place a blob's content is compared with its name. */
static int verify_fd(int fd, const char *sha256, char got[SHA256_HEX_LEN + 1]) {
        int r = sha256_fd(fd, got);
        if (r < 0)
                return r;
        return streq(got, sha256) ? 0 : -XB_E_CHECKSUM;
}

static int open_blob(const struct cache *c, const char *sha256) {
        _cleanup_free_ char *p = cache_blob_path(c, sha256);
        int fd;
        if (!p)
                return -ENOMEM;
        /* O_NONBLOCK: something that is not a file in its place must not hang us. */
        fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int cache_verify_blob(const struct cache *c, const char *sha256, char ret_got[SHA256_HEX_LEN + 1]) {
        _cleanup_close_ int fd = open_blob(c, sha256);
        if (fd < 0)
                return fd;
        return verify_fd(fd, sha256, ret_got);
}

int cache_check_blob(const struct cache *c, const char *sha256, uint64_t expected_size, struct xb_detail *err) {
        _cleanup_close_ int fd = open_blob(c, sha256);
        char got[SHA256_HEX_LEN + 1];
        struct stat st;
        int r;

        if (fd == -ELOOP)
                return xb_detail_set(err, -XB_E_CHECKSUM, "a symbolic link");
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return xb_detail_set(err, -XB_E_CHECKSUM, "not a regular file");
        /* The cheap check first: it catches truncation and appends without reading. */
        if (expected_size != UINT64_MAX && (uint64_t) st.st_size != expected_size)
                return xb_detail_set(err, -XB_E_CHECKSUM, "%" PRIu64 " bytes, the index says %" PRIu64,
                                     (uint64_t) st.st_size, expected_size);
        if (memo_has(c, sha256, &st))
                return 0;
        r = verify_fd(fd, sha256, got);
        if (r == -XB_E_CHECKSUM)
                return xb_detail_set(err, r, "sha256 %s", got);
        if (r < 0)
                return r;
        memo_add(c, sha256, &st);
        return 0;
}

int cache_evict_blob(const struct cache *c, const char *sha256) {
        _cleanup_free_ char *p = cache_blob_path(c, sha256);
        if (!p)
                return -ENOMEM;
        memo_forget(c, sha256);
        if (unlink(p) < 0 && errno != ENOENT)
                return -errno;
        return 0;
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
                /* A SIGINT/SIGTERM (our handler has no SA_RESTART) ends the wait: a build
                 * waiting hours for a busy host must still stop on ^C. */
                while (fcntl(fd, F_OFD_SETLKW, &fl) < 0)
                        if (errno != EINTR || signals_interrupted())
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
        memo_forget(c, sha256);
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

/* Reads one index file; 0 with fields set (ret_size: UINT64_MAX when it records none), or <0
 * when it is not ours. */
static int read_index(const char *path, char sha[SHA256_HEX_LEN + 1], char **ret_url, uint64_t *ret_size) {
        _cleanup_free_ char *text = NULL;
        char *url, *size, *end;
        int r = read_full_file(path, 16384, &text, NULL);
        if (r < 0)
                return r;
        if (strncmp(text, "sha256 ", 7) != 0 || strlen(text) < 7 + SHA256_HEX_LEN)
                return -EINVAL;
        memcpy(sha, text + 7, SHA256_HEX_LEN);
        sha[SHA256_HEX_LEN] = 0;
        if (!yd_is_hex(sha, SHA256_HEX_LEN))
                return -EINVAL;
        if (ret_size) {
                size = strstr(text, "\nsize ");
                *ret_size = UINT64_MAX;
                if (size && size[6] >= '0' && size[6] <= '9') {
                        errno = 0;
                        unsigned long long v = strtoull(size + 6, &end, 10);
                        if (errno == 0 && *end == '\n')
                                *ret_size = v;
                }
        }
        url = strstr(text, "\nurl ");
        if (!url)
                return -EINVAL;
        url += 5;
        url[strcspn(url, "\n")] = 0;
        *ret_url = strdup(url);
        return *ret_url ? 0 : -ENOMEM;
}

int cache_lookup_url(const struct cache *c, const char *url, char ret_sha256[SHA256_HEX_LEN + 1], uint64_t *ret_size) {
        _cleanup_free_ char *p = NULL, *got_url = NULL;
        char key[SHA256_HEX_LEN + 1], sha[SHA256_HEX_LEN + 1];
        uint64_t size;
        int r;

        if (sha256_string(url, key) < 0 || !(p = cache_sub(c, "index", key)))
                return -ENOMEM;
        r = read_index(p, sha, &got_url, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !streq(got_url, url)) /* a damaged entry, or one of another URL */
                return -ENOENT;
        memcpy(ret_sha256, sha, sizeof sha);
        if (ret_size)
                *ret_size = size;
        return 0;
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
                    read_index(p, sha, &url, /* ret_size= */ NULL) < 0)
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
