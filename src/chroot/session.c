/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strv.h"
#include "session.h"

#define MARKER ".xbuild-session"

struct session *session_free(struct session *s) {
        if (!s)
                return NULL;
        free(s->dir);
        free(s->upper);
        free(s->work);
        free(s->merged);
        free(s);
        return NULL;
}

#ifndef XB_LIBEXECDIR
#define XB_LIBEXECDIR "/usr/local/libexec/xbuild"
#endif

int session_helper_path(char **ret) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *p = NULL;

        if (n > 0) {
                exe[n] = 0;
                _cleanup_free_ char *dir = path_dirname(exe);
                if (dir && (p = path_join(dir, "xbuild-session")) && access(p, X_OK) == 0) {
                        *ret = p;
                        return 0;
                }
                free(p);
        }
        p = path_join(XB_LIBEXECDIR, "xbuild-session");
        if (!p)
                return -ENOMEM;
        if (access(p, X_OK) < 0) {
                int e = errno;
                free(p);
                return -e;
        }
        *ret = p;
        return 0;
}

int session_create_at(const char *dir, const char *merged_name, struct session **ret) {
        _cleanup_(session_freep) struct session *s = calloc(1, sizeof *s);
        _cleanup_free_ char *marker = NULL, *text = NULL;
        int r;

        if (!s || !(s->dir = strdup(dir)))
                return -ENOMEM;
        if (mkdir(s->dir, 0700) < 0)
                return -errno;
        /* The marker first: a directory without it is never deleted by 'xbuild clean'. */
        if (!(marker = path_join(s->dir, MARKER)) || asprintf(&text, "xbuild-session\npid %d\n", (int) getpid()) < 0)
                return -ENOMEM;
        r = write_file_text(marker, text);
        if (r < 0)
                return r;
        if (!(s->upper = path_join(s->dir, "upper")) || !(s->work = path_join(s->dir, "work")) ||
            !(s->merged = path_join(s->dir, merged_name)))
                return -ENOMEM;
        /* upper is the overlay's "/" as the ARM system sees it: 0755 whatever our umask. */
        if (mkdir(s->upper, 0755) < 0 || chmod(s->upper, 0755) < 0 || mkdir(s->work, 0700) < 0 || mkdir(s->merged, 0755) < 0)
                return -errno;
        *ret = TAKE_PTR(s);
        return 0;
}

int session_create(const char *cache_root, struct session **ret) {
        _cleanup_free_ char *base = path_join(cache_root, "sessions"), *dir = NULL;
        unsigned char rnd[6];
        char id[64];
        int r;

        if (!base)
                return -ENOMEM;
        r = mkdir_p(base, 0755);
        if (r < 0)
                return r;
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return -errno;
        (void) snprintf(id, sizeof id, "%d-%02x%02x%02x%02x%02x%02x", (int) getpid(), rnd[0], rnd[1], rnd[2], rnd[3],
                        rnd[4], rnd[5]);
        if (!(dir = path_join(base, id)))
                return -ENOMEM;
        return session_create_at(dir, "merged", ret);
}

int session_exec(const struct session *s, const struct session_spec *spec, char *const *argv,
                 const struct spawn_req *io, struct spawn_result *res) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *exe = NULL;
        struct spawn_req req = *io;
        int r;

        r = session_helper_path(&exe);
        if (r < 0)
                return r;
        if ((r = strv_extend(&args, exe)) < 0 || (spec->host_tree && (r = strv_extend(&args, "--host-tree")) < 0))
                return r;
        STRV_FOREACH(l, spec->lowers)
                if ((r = strv_extend(&args, "--lower")) < 0 || (r = strv_extend(&args, *l)) < 0)
                        return r;
        if ((r = strv_extend(&args, "--upper")) < 0 || (r = strv_extend(&args, spec->upper ? spec->upper : s->upper)) < 0 ||
            (r = strv_extend(&args, "--work")) < 0 || (r = strv_extend(&args, spec->work ? spec->work : s->work)) < 0 ||
            (r = strv_extend(&args, "--merged")) < 0 || (r = strv_extend(&args, s->merged)) < 0)
                return r;
        for (size_t i = 0; i < spec->n_binds; i++)
                if ((r = strv_extend(&args, "--bind")) < 0 || (r = strv_extend(&args, spec->binds[i].src)) < 0 ||
                    (r = strv_extend(&args, spec->binds[i].dst)) < 0 ||
                    (r = strv_extend(&args, spec->binds[i].ro ? "ro" : "rw")) < 0)
                        return r;
        for (size_t i = 0; i < spec->n_symlinks; i++)
                if ((r = strv_extend(&args, "--symlink")) < 0 || (r = strv_extend(&args, spec->symlinks[i].target)) < 0 ||
                    (r = strv_extend(&args, spec->symlinks[i].path)) < 0)
                        return r;
        STRV_FOREACH(e, spec->env)
                if ((r = strv_extend(&args, "--env")) < 0 || (r = strv_extend(&args, *e)) < 0)
                        return r;
        if (spec->cwd && ((r = strv_extend(&args, "--cwd")) < 0 || (r = strv_extend(&args, spec->cwd)) < 0))
                return r;
        if (spec->hostname && ((r = strv_extend(&args, "--hostname")) < 0 || (r = strv_extend(&args, spec->hostname)) < 0))
                return r;
        if ((r = strv_extend(&args, "--")) < 0 || (r = strv_extend_strv(&args, argv)) < 0)
                return r;
        req.argv = args;
        req.envp = NULL;
        req.cwd = NULL;
        return spawn_run(&req, res);
}

int session_destroy(struct session *s, bool keep) {
        bool busy;
        int r;

        if (keep)
                return 0;
        r = mounts_below(s->dir, &busy);
        if (r < 0)
                return r;
        if (busy)
                return -EBUSY;
        return rm_rf(s->dir);
}

char *session_busy_reason(const struct session *s) {
        _cleanup_free_ char *what = NULL;
        char *out = NULL;
        if (mounts_below_describe(s->dir, &what) <= 0)
                return NULL;
        /* Our own mounts live in the session's namespace and vanish with it: this one was made
         * from outside, and deleting below it would delete what it shows. */
        if (asprintf(&out, "the session %s was not removed: %s is mounted below it, from outside the session; "
                           "unmount it, then run 'xbuild clean'", s->dir, what) < 0)
                return NULL;
        return out;
}

static bool owner_alive(const char *dir) {
        _cleanup_free_ char *marker = path_join(dir, MARKER), *text = NULL;
        char *p;
        if (!marker || read_full_file(marker, 4096, &text, NULL) < 0 || !strneq(text, "xbuild-session\n", 15))
                return true; /* not provably ours: treat as alive, never delete */
        p = strstr(text, "pid ");
        if (!p)
                return true;
        pid_t pid = (pid_t) strtol(p + 4, NULL, 10);
        return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static bool session_is_stale(const char *name, const char *path, void *userdata) {
        (void) userdata;
        return name[0] != '.' && !owner_alive(path);
}

int session_clean_stale(const char *cache_root, unsigned *ret_removed, unsigned *ret_busy) {
        _cleanup_free_ char *base = path_join(cache_root, "sessions");
        if (!base)
                return -ENOMEM;
        return rm_rf_entries(base, session_is_stale, NULL, ret_removed, ret_busy);
}
