/* SPDX-License-Identifier: MIT */
/* The chroot strategy: the recipe's steps run in an ARM root file system on this host, ARM
 * binaries executed by qemu-user through binfmt_misc. The root (with the build_deps layer)
 * is the session's lower layer; the source and the steps are bound in; a canary proves the
 * emulation answers as the target before any step. */
#include <string.h>
#include <sys/stat.h>

#include "chroot-root.h"
#include "chroot/session.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strv.h"
#include "pipeline.h"

#define SRC_IN "/xbuild/src"
#define OUT_IN "/xbuild/out"
#define STEPS_IN "/xbuild/steps"

struct chroot_build {
        struct root_setup rs;
        char **env;
        char *out;
        char hostname[64];
        struct session_bind binds[3];
        struct session_spec spec;
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

static int chroot_stage(struct build_job *job) {
        struct chroot_build *c = job->priv;

        if (!(c->out = path_join(job->session->dir, "out")) || !(c->env = build_step_env(job)))
                return -ENOMEM;
        if (mkdir(c->out, 0755) < 0)
                return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", c->out);
        (void) snprintf(c->hostname, sizeof c->hostname, "xbuild-%s", job->ai->name);
        c->binds[0] = (struct session_bind){job->src_dir, SRC_IN, false};
        c->binds[1] = (struct session_bind){c->out, OUT_IN, false};
        c->binds[2] = (struct session_bind){job->steps_dir, STEPS_IN, true};
        c->spec = (struct session_spec){.lowers = c->rs.lowers, .binds = c->binds, .n_binds = ELEMENTSOF(c->binds),
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

static int chroot_teardown(struct build_job *job) {
        struct chroot_build *c = job->priv;
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
        .teardown = chroot_teardown,
};
