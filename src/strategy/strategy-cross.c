/* SPDX-License-Identifier: MIT */
/* The cross strategy: the x86 host's own compilers (Debian's gcc-<triplet>, Go with
 * GOOS/GOARCH/GOARM) build for the target. When the recipe has build_deps, the recipe's ARM
 * rootfs with those packages installed is mounted at WORK/sysroot for the steps (in a private
 * mount namespace), so headers and libraries are the target's own. WORK is the plan's
 * CACHE/work/NAME-ARCH, locked: one build of a recipe and arch at a time. */
#include <string.h>
#include <sys/stat.h>

#include "chroot-root.h"
#include "chroot/session.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/strv.h"
#include "cross-files.h"
#include "cross-toolchain.h"
#include "pipeline.h"
#include "rootfs/prepare.h"

struct cross_build {
        int lock_fd; /* +1: 0 means none (the state starts zeroed) */
        bool sysroot;
        struct root_setup rs;
        char *fix;          /* the sysroot's fix-up layer */
        char *lowers[5];    /* fix, then the root's layers */
        char *prefix_dir;   /* /usr/TRIPLET: Debian's cross libc, without a sysroot */
        char *prefix_layers[2]; /* prefix_dir as the verification's one layer */
        char **env;
};

/* WORK = the plan's CACHE/work/NAME-ARCH, locked for the build. */
static int cross_session(struct build_job *job, struct session **ret) {
        struct cross_build *c = job->priv;
        const char *work = job->plan->work_dir;
        _cleanup_free_ char *workbase = path_dirname(work);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!workbase)
                return -ENOMEM;
        if ((r = mkdir_p(workbase, 0755)) < 0 || (r = cache_lock(job->cache, path_basename(work), NULL, &fd)) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to lock the work directory %s: %m", work);
        if ((r = rm_rf_unless_mounted(work)) < 0 || (r = session_create_at(work, "sysroot", ret)) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to prepare the work directory %s: %m", work);
        /* Held until teardown, which runs once the session exists. */
        c->lock_fd = TAKE_FD(fd) + 1;
        return 0;
}

static int cross_prepare(struct build_job *job) {
        struct cross_build *c = job->priv;
        const struct plan *p = job->plan;
        int r;

        if (!job->toolchain)
                return build_fail(job, XB_EXIT_BAD_INPUT, "Recipe '%s' names no toolchain: the cross strategy needs one",
                                  job->recipe->name);
        build_phase_begin(job, "toolchain");
        _cleanup_free_ char *log_path = build_log_path(job, "toolchain.log");
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        if (!log_path)
                return -ENOMEM;
        if ((r = cross_toolchain_ensure(job->toolchain, p->arch, !job->opts->no_install, log_path, &job->toolchain_version,
                                        &e)) < 0)
                return build_fail_error(job, r, &e);
        if ((r = cross_host_deps_ensure(job->recipe->host_deps, !job->opts->no_install, log_path, &e)) < 0)
                return build_fail_error(job, r, &e);
        if (asprintf(&c->prefix_dir, "/usr/%s", job->ai->triplet) < 0)
                return -ENOMEM;
        c->sysroot = p->build_deps && p->build_deps[0];
        if (!c->sysroot)
                return 0;
        build_phase_begin(job, "sysroot");
        struct rootfs_prep prep = {.cache = job->cache};
        /* Whatever the recipe lists, linking against the sysroot needs its C library's
         * headers, crt files and libc.so. */
        _cleanup_strv_free_ char **deps = strv_copy(p->build_deps);
        if (!deps || (!strv_contains(deps, "libc6-dev") && strv_extend(&deps, "libc6-dev") < 0))
                return -ENOMEM;
        if ((r = root_setup_for_job(job, deps, &c->rs)) < 0)
                return r;
        if ((r = rootfs_prepare_sysroot_fix(job->rootfs, p->arch, c->rs.lowers, &prep, &c->fix, &e)) < 0)
                return build_fail(job, XB_EXIT_BUILD_FAILED, "Failed to prepare the sysroot: %s", xb_detail_text(&e, r));
        size_t k = 0;
        c->lowers[k++] = c->fix;
        for (char **l = c->rs.lowers; *l && k < ELEMENTSOF(c->lowers) - 1; l++)
                c->lowers[k++] = *l;
        return 0;
}

static int cross_stage(struct build_job *job) {
        struct cross_build *c = job->priv;
        const char *work = job->session->dir, *sysroot = c->sysroot ? job->session->merged : NULL;
        _cleanup_free_ char *out = path_join(work, "out");
        /* meson and CMake glue, for recipes built with those. */
        _cleanup_free_ char *mf = path_join(work, "cross-meson.ini"), *cf = path_join(work, "cross-toolchain.cmake");
        _cleanup_free_ char *mt = cross_meson_file(job->plan->arch, sysroot), *ct = cross_cmake_file(job->plan->arch, sysroot);
        int r;

        if (!out || !mf || !cf || !mt || !ct ||
            !(c->env = cross_host_env(job->plan->env, sysroot, job->ai->triplet, job->source.epoch)))
                return -ENOMEM;
        if (mkdir(out, 0755) < 0)
                return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", out);
        if ((r = write_file_text(mf, mt)) < 0 || (r = write_file_text(cf, ct)) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to write the cross files in %s: %m", work);
        if (strv_env_set(&c->env, "XB_MESON_CROSS_FILE", mf) < 0 || strv_env_set(&c->env, "XB_CMAKE_TOOLCHAIN_FILE", cf) < 0)
                return -ENOMEM;
        return 0;
}

static int cross_run_step(struct build_job *job, struct build_step *st) {
        struct cross_build *c = job->priv;
        char *argv[] = {(char *) "/bin/sh", (char *) "-e", (char *) st->script, NULL};
        struct spawn_req io = {.argv = argv, .envp = c->env, .cwd = job->src_dir, .stdin_fd = -1};

        build_step_spawn_io(job, &io);
        if (!c->sysroot)
                return spawn_run(&io, &st->result);
        struct session_spec spec = {.lowers = c->lowers, .env = c->env, .cwd = job->src_dir, .host_tree = true};
        return session_exec(job->session, &spec, argv, &io, &st->result);
}

/* Dynamic executables find their loader and libraries in the sysroot's layers (with the
 * build dependencies they link), or in Debian's cross prefix. */
static char *const *cross_sysroot(struct build_job *job) {
        struct cross_build *c = job->priv;
        if (c->sysroot)
                return c->lowers;
        c->prefix_layers[0] = c->prefix_dir;
        return c->prefix_layers;
}

static int cross_teardown(struct build_job *job) {
        struct cross_build *c = job->priv;
        root_setup_clear(&c->rs);
        free(c->fix);
        free(c->prefix_dir);
        strv_free(c->env);
        if (c->lock_fd > 0)
                (void) close(c->lock_fd - 1);
        return 0;
}

const struct strategy_ops strategy_cross_ops = {
        .id = XB_STRATEGY_CROSS,
        .priv_size = sizeof(struct cross_build),
        .src_subdir = "src",
        .steps_subdir = "steps",
        .session = cross_session,
        .prepare = cross_prepare,
        .stage = cross_stage,
        .run_step = cross_run_step,
        .sysroot = cross_sysroot,
        .teardown = cross_teardown,
};
