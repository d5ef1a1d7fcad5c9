/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cache-partials.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/rm-rf.h"

/* "X.partial-1234" of a process that no longer exists. */
static bool partial_is_stale(const char *name, const char *path, void *userdata) {
        const char *p = strstr(name, ".partial-");
        char *end;
        (void) path, (void) userdata;
        if (!p)
                return false;
        long pid = strtol(p + 9, &end, 10);
        return pid > 0 && *end == 0 && kill((pid_t) pid, 0) < 0 && errno == ESRCH;
}

static bool is_dir_entry(const char *name, const char *path, void *userdata) {
        (void) userdata;
        return name[0] != '.' && !strstr(name, ".partial-") && path_is_dir(path);
}

int cache_clean_partials(const char *cache_root, unsigned *ret_removed, unsigned *ret_busy) {
        static const char *const subs[] = {"rootfs", "git", "vm", "vm/images"};
        unsigned removed = 0, busy = 0;
        int ret = 0;

        for (size_t i = 0; i < ELEMENTSOF(subs); i++) {
                _cleanup_free_ char *dir = path_join(cache_root, subs[i]);
                unsigned rm, b;
                if (!dir)
                        return -ENOMEM;
                int r = rm_rf_entries(dir, partial_is_stale, NULL, &rm, &b);
                removed += rm, busy += b;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        /* Dependency layers are made inside each rootfs entry. */
        _cleanup_free_ char *rootfs = path_join(cache_root, "rootfs");
        _cleanup_closedir_ DIR *d = rootfs ? opendir(rootfs) : NULL;
        struct dirent *de;
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *entry = path_join(rootfs, de->d_name);
                unsigned rm, b;
                if (!entry || !is_dir_entry(de->d_name, entry, NULL))
                        continue;
                int r = rm_rf_entries(entry, partial_is_stale, NULL, &rm, &b);
                removed += rm, busy += b;
                if (r < 0 && ret == 0)
                        ret = r;
        }
        *ret_removed = removed;
        *ret_busy = busy;
        return ret;
}
