/* SPDX-License-Identifier: MIT */
/* The chroot strategy: the recipe's steps run in an ARM root file system on this host, ARM
 * binaries executed by qemu-user through binfmt_misc. The root (with the build_deps layer)
 * is the session's lower layer; the source and the steps are bound in; a canary proves the
 * emulation answers as the target before any step. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel.h"
#include "chroot-root.h"
#include "chroot/session.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strv.h"
#include "pipeline.h"

#define SRC_IN "/xbuild/src"
#define OUT_IN "/xbuild/out"
#define STEPS_IN "/xbuild/steps"
#define GO_CACHE_IN "/xbuild/go-cache"

struct chroot_build {
        struct root_setup rs;
        char **env;
        char *out;
        char hostname[64];
        struct session_bind binds[8];
        struct session_symlink symlinks[2];
        struct session_spec spec;
        struct accel_plan accel;
        char *native_bin, *native_empty, *native_lib, *hidden[2], *loader, *go_cache;
};

static int chroot_prepare(struct build_job *job) {
        struct chroot_build *c = job->priv;
        build_phase_begin(job, "rootfs");
        return root_setup_for_job(job, job->plan->build_deps, &c->rs);
}

/* Canary: the emulation answers as the target, or nothing else is worth running. */
static int canary(struct build_job *job, struct chroot_build *c) {
        char *argv[] = {(char *) "uname", (char *) "-m", NULL};
        struct spawn_req io = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .timeout_ms = 60000, .flags = SPAWN_NEW_PGRP};
        _cleanup_(spawn_result_clear) struct spawn_result res = {0};
        const char *m = job->ai->uname_m;
        int r = session_exec(job->session, &c->spec, argv, &io, &res);

        if (r >= 0 && res.exit_code == 0 && !res.signal && res.tail && strneq(res.tail, m, strlen(m))) {
                log_debug("Canary: uname -m = %s", m);
                return 0;
        }
        return build_fail(job, XB_EXIT_HOST_MISSING, "Canary failed: 'uname -m' in the %s session printed '%s' (expected %s)%s%s",
                          job->ai->name, strempty(res.tail), m, r < 0 ? ": " : "", r < 0 ? xb_strerror(r) : "");
}

/* The cross gcc's own runtime libraries dir (the host's libc6-dev-*-cross, libatomic1-*-cross...)
 * is hidden so only the root's libraries are linked; but gcc's dir has libatomic.so, libgomp.so,
 * libasan.so... pointing into it, and a dangling one would make ld take the static archive
 * beside it. So the replacement holds, for each versioned shared library there, a link to the
 * root's copy of the same name (dangling only when the root lacks it, as natively). */
static int shadow_runtime_libs(struct build_job *job, struct chroot_build *c, const char *host) {
        _cleanup_(closedirp) DIR *d = opendir(host);
        struct dirent *de;

        if (!(c->native_lib = path_join(job->session->dir, "native-lib")))
                return -ENOMEM;
        if (mkdir(c->native_lib, 0755) < 0)
                return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", c->native_lib);
        if (!d)
                return build_fail_errno(job, -errno, XB_EXIT_HOST_MISSING, "Failed to read '%s': %m", host);
        while ((de = readdir(d))) {
                _cleanup_free_ char *link = NULL, *target = NULL;
                if (!strneq(de->d_name, "lib", 3) || !strstr(de->d_name, ".so."))
                        continue;
                if (!(link = path_join(c->native_lib, de->d_name)) ||
                    asprintf(&target, "/usr/lib/%s/%s", job->ai->triplet, de->d_name) < 0)
                        return -ENOMEM;
                if (symlink(target, link) < 0)
                        return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", link);
        }
        return 0;
}

/* The accelerated session: the host's /usr read-only at /native/usr (its cross compilers'
 * own include and lib directories hidden, so only the root's headers and libraries are
 * seen), the wrappers at /native/bin, and the x86 loader and library directory reachable at
 * the paths x86 programs look for them (two symlinks in the session's upper layer; an ARM
 * root has neither path). */
static int accel_setup(struct build_job *job, struct chroot_build *c, size_t *n_binds) {
        const struct accel_plan *a = &c->accel;
        char real[PATH_MAX];
        int r;

        if (!realpath("/lib64/ld-linux-x86-64.so.2", real) || !strneq(real, "/usr/", 5))
                return build_fail(job, XB_EXIT_HOST_MISSING,
                                  "The accelerated chroot needs the host's x86-64 loader under /usr (merged /usr); "
                                  "use --accelerate=off");
        if (asprintf(&c->loader, ACCEL_NATIVE_DIR "%s", real) < 0 ||
            !(c->native_bin = path_join(job->session->dir, "native-bin")) ||
            !(c->native_empty = path_join(job->session->dir, "native-empty")))
                return -ENOMEM;
        if (mkdir(c->native_bin, 0755) < 0 || mkdir(c->native_empty, 0755) < 0)
                return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create the native wrappers: %m");
        for (char **l = a->links; l && l[0] && l[1]; l += 2) {
                _cleanup_free_ char *p = path_join(c->native_bin, l[0]);
                if (!p)
                        return -ENOMEM;
                if (symlink(l[1], p) < 0 && errno != EEXIST)
                        return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", p);
        }
        c->binds[(*n_binds)++] = (struct session_bind){"/usr", ACCEL_NATIVE_DIR "/usr", true};
        c->binds[(*n_binds)++] = (struct session_bind){c->native_bin, ACCEL_NATIVE_DIR "/bin", true};
        static const char *const hide[] = {"include", "lib"};
        for (size_t i = 0; i < ELEMENTSOF(hide); i++) {
                _cleanup_free_ char *host = NULL;
                if (asprintf(&host, "/usr/%s/%s", job->ai->triplet, hide[i]) < 0 ||
                    asprintf(&c->hidden[i], ACCEL_NATIVE_DIR "%s", host) < 0)
                        return -ENOMEM;
                if (!path_is_dir(host))
                        continue;
                if (i == 1 && (r = shadow_runtime_libs(job, c, host)) < 0)
                        return r;
                c->binds[(*n_binds)++] = (struct session_bind){i == 1 ? c->native_lib : c->native_empty, c->hidden[i], true};
        }
        /* The native Go's build cache lives in xbuild's cache, as the host's Go keeps its own
         * for cross builds: keyed by the toolchain and every input, safe to share and to use
         * concurrently, so a warm rebuild compiles only what changed. */
        if (a->go.used && !strv_env_get(c->env, "GOCACHE")) {
                _cleanup_free_ char *name = NULL;
                /* One per recipe and arch: a build runs as root in its session and Go does not
                 * re-hash what it reads from the cache, so no recipe feeds another's. */
                if (asprintf(&name, "%s-%s", job->recipe->name, job->ai->name) < 0 ||
                    !(c->go_cache = cache_sub(job->cache, "go-build", name)))
                        return -ENOMEM;
                if ((r = mkdir_p(c->go_cache, 0755)) < 0)
                        return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", c->go_cache);
                c->binds[(*n_binds)++] = (struct session_bind){c->go_cache, GO_CACHE_IN, false};
                if (strv_env_set(&c->env, "GOCACHE", GO_CACHE_IN) < 0)
                        return -ENOMEM;
        }
        c->symlinks[0] = (struct session_symlink){c->loader, "/lib64/ld-linux-x86-64.so.2"};
        c->symlinks[1] = (struct session_symlink){ACCEL_NATIVE_DIR "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"};
        char **env = accel_step_env(a, job->plan->arch, c->env);
        if (!env)
                return -ENOMEM;
        strv_free(c->env);
        c->env = env;
        return 0;
}

static int accel_decide_for_job(struct build_job *job, struct chroot_build *c) {
        enum accel_mode mode = job->opts->accelerate;
        int r = accel_decide_here(mode, !job->recipe->no_accelerate, job->plan->arch, c->rs.lowers, &c->accel);
        if (r < 0)
                return r;
        if (mode == ACCEL_ON && !c->accel.active)
                return build_fail(job, XB_EXIT_HOST_MISSING, "Cannot accelerate: %s", c->accel.summary);
        log_info("chroot: %s", c->accel.summary);
        return 0;
}

static int chroot_stage(struct build_job *job) {
        struct chroot_build *c = job->priv;
        size_t n_binds = 0;
        int r;

        if (!(c->out = path_join(job->session->dir, "out")) || !(c->env = build_step_env(job)))
                return -ENOMEM;
        if (mkdir(c->out, 0755) < 0)
                return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", c->out);
        (void) snprintf(c->hostname, sizeof c->hostname, "xbuild-%s", job->ai->name);
        c->binds[n_binds++] = (struct session_bind){job->src_dir, SRC_IN, false};
        c->binds[n_binds++] = (struct session_bind){c->out, OUT_IN, false};
        c->binds[n_binds++] = (struct session_bind){job->steps_dir, STEPS_IN, true};
        if ((r = accel_decide_for_job(job, c)) < 0)
                return r;
        if (c->accel.active && (r = accel_setup(job, c, &n_binds)) < 0)
                return r;
        c->spec = (struct session_spec){.lowers = c->rs.lowers, .binds = c->binds, .n_binds = n_binds,
                                        .symlinks = c->accel.active ? c->symlinks : NULL,
                                        .n_symlinks = c->accel.active ? ELEMENTSOF(c->symlinks) : 0,
                                        .env = c->env, .cwd = SRC_IN, .hostname = c->hostname};
        return canary(job, c);
}

static int chroot_run_step(struct build_job *job, struct build_step *st) {
        struct chroot_build *c = job->priv;
        _cleanup_free_ char *script = path_join(STEPS_IN, st->name);
        char *argv[] = {(char *) "/bin/sh", (char *) "-e", script, NULL};
        struct spawn_req io = {.stdin_fd = -1};

        if (!script)
                return -ENOMEM;
        build_step_spawn_io(job, &io);
        return session_exec(job->session, &c->spec, argv, &io, &st->result);
}

static char *const *chroot_sysroot(struct build_job *job) {
        return ((struct chroot_build *) job->priv)->rs.lowers;
}

/* report.json's build_host: whether and how the compilers ran natively. */
static int chroot_build_host(struct build_job *job, char ***ret) {
        struct chroot_build *c = job->priv;
        const struct accel_tool *tools[] = {&c->accel.cc, &c->accel.cxx, &c->accel.go};
        static const char *const keys[] = {"cc", "cxx", "go"};
        _cleanup_strv_free_ char **l = NULL;

        if (strv_extend(&l, "kind=chroot") < 0 ||
            strv_extendf(&l, "accelerate=%s", accel_mode_to_string(c->accel.mode)) < 0 ||
            strv_extendf(&l, "accelerated=%s", c->accel.active ? "true" : "false") < 0 ||
            strv_extendf(&l, "accelerate_summary=%s", strempty(c->accel.summary)) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(tools); i++)
                if (tools[i]->used &&
                    strv_extendf(&l, "native_%s=%s %s (root: %s %s, %s)", keys[i], tools[i]->host_package,
                                 tools[i]->host_version, tools[i]->chroot_package, strempty(tools[i]->chroot_version),
                                 tools[i]->same_version ? "same version" : "different version") < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

static int chroot_teardown(struct build_job *job) {
        struct chroot_build *c = job->priv;
        accel_plan_clear(&c->accel);
        free(c->native_bin);
        free(c->native_empty);
        free(c->native_lib);
        free(c->hidden[0]);
        free(c->hidden[1]);
        free(c->loader);
        free(c->go_cache);
        root_setup_clear(&c->rs);
        strv_free(c->env);
        free(c->out);
        return 0;
}

const struct strategy_ops strategy_chroot_ops = {
        .id = XB_STRATEGY_CHROOT,
        .priv_size = sizeof(struct chroot_build),
        .src_subdir = "src",
        .steps_subdir = "steps",
        .probe = root_setup_probe,
        .prepare = chroot_prepare,
        .stage = chroot_stage,
        .run_step = chroot_run_step,
        .sysroot = chroot_sysroot,
        .build_host = chroot_build_host,
        .teardown = chroot_teardown,
};
