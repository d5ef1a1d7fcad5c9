/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chroot/session.h"
#include "core/atomic-file.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strv.h"
#include "disk-image.h"
#include "rootfs/prepare.h"

/* Bump when the way images are made changes. */
#define IMAGE_FORMAT "1"

unsigned long long vm_image_size_mib(unsigned long long used_bytes) {
        unsigned long long used_mib = used_bytes >> 20;
        /* ext4 metadata (~5 %), then as much again as the tree or 4 GiB at least for the build:
         * a Docker build writes a few GiB of Go caches. Unused space costs nothing (sparse). */
        return used_mib + used_mib / 16 + MAX(used_mib, 4096ULL) + 64;
}

/* nftw() has no user pointer: the sum lives here for the duration of one walk. */
static unsigned long long walk_sum;

static int add_blocks(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) path, (void) flag, (void) ftw;
        walk_sum += (unsigned long long) st->st_blocks * 512ULL;
        return 0;
}

/* Bytes allocated below each layer, never crossing a mount or following a symlink. */
static int layers_used_bytes(char *const *lowers, unsigned long long *ret) {
        walk_sum = 0;
        STRV_FOREACH(l, lowers)
                if (nftw(*l, add_blocks, 64, FTW_PHYS | FTW_MOUNT) < 0)
                        return -errno;
        *ret = walk_sum;
        return 0;
}

static int make_image(const struct cache *c, char *const *lowers, const char *image, const char *log_path, bool echo,
                      struct xb_detail *err) {
        _cleanup_(session_freep) struct session *s = NULL;
        _cleanup_strv_free_ char **env = rootfs_base_env();
        unsigned long long used = 0;
        char size[32], how[128];
        int r;

        if (!env)
                return -ENOMEM;
        if ((r = layers_used_bytes(lowers, &used)) < 0)
                return xb_detail_set(err, r, "cannot measure the root file system: %s", xb_strerror(r));
        (void) snprintf(size, sizeof size, "%lluM", vm_image_size_mib(used));
        if ((r = session_create(c->root, &s)) < 0)
                return xb_detail_set(err, r, "cannot create a session: %s", xb_strerror(r));
        /* The layers are merged by an overlay that only mkfs sees, in its own mount namespace. */
        char *argv[] = {(char *) "mkfs.ext4", (char *) "-q", (char *) "-F", (char *) "-L", (char *) "xbuild-root",
                        (char *) "-E", (char *) "lazy_itable_init=0,lazy_journal_init=0", (char *) "-d", s->merged,
                        (char *) image, size, NULL};
        struct session_spec spec = {.lowers = lowers, .env = env, .host_tree = true};
        struct spawn_req io = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .log_path = log_path, .echo = echo,
                               .log_prefix = "  ", .timeout_ms = 1800 * 1000U, .flags = SPAWN_NEW_PGRP};
        struct spawn_result res = {0};
        log_debug("mkfs.ext4 -d over %s, %s", lowers[0], size);
        r = session_exec(s, &spec, argv, &io, &res);
        if (r >= 0 && (res.exit_code != 0 || res.signal || res.timed_out)) {
                const char *last;
                int len;
                spawn_result_last_line(&res, &last, &len);
                r = xb_detail_set(err, -XB_E_NOT_AVAILABLE, "mkfs.ext4 %s: %.*s", spawn_result_describe(&res, how, sizeof how),
                                  len, last);
        } else if (r < 0)
                (void) xb_detail_set(err, r, "cannot run mkfs.ext4: %s", xb_strerror(r));
        spawn_result_clear(&res);
        int k = session_destroy(s, false);
        if (r >= 0 && k < 0)
                r = xb_detail_set(err, k, "cannot remove the session %s: %s", s->dir, xb_strerror(k));
        return r;
}

int vm_image_prepare(const struct cache *c, char *const *lowers, const char *log_path, bool echo, char **ret_path,
                     bool *ret_created, struct xb_detail *err) {
        _cleanup_free_ char *keyed = NULL, *name = NULL, *dir = NULL, *image = NULL, *partial = NULL, *pimage = NULL,
                            *images = NULL, *vm = NULL;
        _cleanup_close_ int lock = -EBADF;
        char hex[SHA256_HEX_LEN + 1];
        FILE *f;
        size_t n;
        int r;

        f = open_memstream(&keyed, &n);
        if (!f)
                return -ENOMEM;
        fputs("format " IMAGE_FORMAT "\n", f);
        STRV_FOREACH(l, lowers)
                fprintf(f, "%s\n", *l);
        if (fclose(f) != 0 || sha256_string(keyed, hex) < 0 || asprintf(&name, "img-%.16s", hex) < 0 ||
            !(vm = cache_sub(c, "vm", NULL)) || !(images = path_join(vm, "images")) || !(dir = path_join(images, name)) ||
            !(image = path_join(dir, "rootfs.ext4")))
                return -ENOMEM;
        /* Before any image is used, one an older xbuild made too. */
        if ((r = mkdir_private(vm)) < 0 || (r = mkdir_private(images)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", images, xb_strerror(r));
        if (path_is_dir(dir) && (r = mkdir_private(dir)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", dir, xb_strerror(r));
        if (path_exists(image)) {
                *ret_path = TAKE_PTR(image);
                *ret_created = false;
                return 0;
        }
        if ((r = cache_lock(c, name, NULL, &lock)) < 0)
                return r;
        if (path_exists(image)) {
                *ret_path = TAKE_PTR(image);
                *ret_created = false;
                return 0;
        }
        if (asprintf(&partial, "%s.partial-%d", dir, (int) getpid()) < 0 || !(pimage = path_join(partial, "rootfs.ext4")))
                return -ENOMEM;
        (void) rm_rf(partial);
        if (mkdir(partial, 0700) < 0)
                return -errno;
        _cleanup_free_ char *layers = path_join(partial, "layers");
        if (!layers)
                return -ENOMEM;
        r = make_image(c, lowers, pimage, log_path, echo, err);
        if (r >= 0)
                r = write_file_text(layers, keyed);
        /* Read-only on the host too: only QEMU's snapshot layer ever sees a write. */
        if (r >= 0 && chmod(pimage, 0444) < 0)
                r = -errno;
        if (r >= 0 && rename(partial, dir) < 0)
                r = -errno;
        if (r < 0) {
                (void) rm_rf(partial);
                return r;
        }
        (void) fsync_parent(dir);
        *ret_path = TAKE_PTR(image);
        *ret_created = true;
        return 0;
}

int vm_images_remove_orphans(const struct cache *c, unsigned *ret_removed) {
        _cleanup_free_ char *images = cache_sub(c, "vm", "images");
        _cleanup_closedir_ DIR *d = NULL;
        unsigned removed = 0;
        struct dirent *de;
        int ret = 0;

        if (!images)
                return -ENOMEM;
        if (!(d = opendir(images))) {
                *ret_removed = 0;
                return errno == ENOENT ? 0 : -errno;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *dir = NULL, *layers = NULL, *text = NULL;
                bool orphan = false;
                if (!strneq(de->d_name, "img-", 4) || strstr(de->d_name, ".partial-"))
                        continue;
                if (!(dir = path_join(images, de->d_name)) || !(layers = path_join(dir, "layers"))) {
                        ret = -ENOMEM;
                        break;
                }
                if (read_full_file(layers, 1 << 16, &text, NULL) < 0)
                        continue; /* made by an older xbuild, or being made: leave it */
                /* "format N", then one layer per line. */
                for (char *line = strchr(text, '\n'); line && line[1];) {
                        char *next = strchr(line + 1, '\n');
                        if (next)
                                *next = 0;
                        if (line[1] == '/' && !path_is_dir(line + 1))
                                orphan = true;
                        line = next;
                }
                if (orphan) {
                        int r = rm_rf_unless_mounted(dir);
                        if (r < 0 && ret == 0)
                                ret = r;
                        else if (r >= 0)
                                removed++;
                }
        }
        *ret_removed = removed;
        return ret;
}
