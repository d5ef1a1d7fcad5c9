/* SPDX-License-Identifier: MIT */
/* The chroot strategy: the recipe's steps run in an ARM root file system on this host, ARM
 * binaries executed by qemu-user through binfmt_misc.
 *   prepare rootfs -> build_deps layer -> session -> source into SESSION/src -> canary ->
 *   steps -> artifacts to OUT/NAME/ARCH -> teardown (always). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "report/build-report.h"
#include "chroot-root.h"
#include "chroot/session.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strv.h"
#include "fetch/source.h"
#include "rootfs/prepare.h"

#define SRC_IN "/xbuild/src"
#define OUT_IN "/xbuild/out"
#define STEPS_IN "/xbuild/steps"

#define now_ms build_now_ms

int strategy_chroot_build(const struct build_ctx *ctx) {
        const struct recipe *rc = ctx->recipe;
        const struct plan *p = ctx->plan;
        const struct arch_info *ai = arch_info(p->arch);
        _cleanup_(session_freep) struct session *s = NULL;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *src = NULL, *out = NULL, *steps = NULL;
        struct root_setup rs = {0};
        struct source_result sr = {0};
        char hostname[64], prefix[64];
        struct build_timer timer;
        int r, ret = XB_EXIT_OK;
        build_timer_start(&timer);
        if ((ret = root_setup(ctx->cache, ctx->rootfs, p->arch, p->build_deps, &rs)) != 0)
                return ret;
        build_timer_mark(&timer, "rootfs");
        r = session_create(ctx->cache->root, &s);
        if (r < 0) {
                log_error_errno(r, "Failed to create a session: %m");
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        log_debug("Session: %s", s->dir);
        if (!(src = path_join(s->dir, "src")) || !(out = path_join(s->dir, "out")) || !(steps = path_join(s->dir, "steps")) ||
            !(env = build_step_env(p))) {
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }

        /* Source, then the steps as files: never interpolated into a command line. */
        if ((ret = build_prepare_source(ctx, src, &sr)) != XB_EXIT_OK)
                goto finish;
        build_timer_mark(&timer, "source");
        if (mkdir(out, 0755) < 0 || mkdir(steps, 0755) < 0 || (r = build_write_steps(p->steps, steps)) < 0) {
                log_error_errno(r < 0 ? r : -errno, "Failed to prepare the session: %m");
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        if (sr.epoch >= 0 && !strv_env_get(env, "SOURCE_DATE_EPOCH") &&
            strv_extendf(&env, "SOURCE_DATE_EPOCH=%lld", sr.epoch) < 0) {
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }

        (void) snprintf(hostname, sizeof hostname, "xbuild-%s", ai->name);
        (void) snprintf(prefix, sizeof prefix, "[%s %s] ", rc->name, ai->name);
        struct session_bind binds[] = {{src, SRC_IN, false}, {out, OUT_IN, false}, {steps, STEPS_IN, true}};
        struct session_spec spec = {.lowers = rs.lowers, .binds = binds, .n_binds = ELEMENTSOF(binds),
                                    .env = env, .cwd = SRC_IN, .hostname = hostname};

        /* Canary: the emulation answers as the target, or nothing else is worth running. */
        {
                char *argv[] = {(char *) "uname", (char *) "-m", NULL};
                struct spawn_req io = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .timeout_ms = 60000, .flags = SPAWN_NEW_PGRP};
                struct spawn_result res = {0};
                r = session_exec(s, &spec, argv, &io, &res);
                bool ok = r >= 0 && res.exit_code == 0 && !res.signal && res.tail && strneq(res.tail, ai->uname_m, strlen(ai->uname_m));
                if (!ok) {
                        log_error("Canary failed: 'uname -m' in the %s session printed '%s' (expected %s)%s%s", ai->name,
                                  res.tail ? res.tail : "", ai->uname_m, r < 0 ? ": " : "", r < 0 ? xb_strerror(r) : "");
                        spawn_result_clear(&res);
                        ret = XB_EXIT_HOST_MISSING;
                        goto finish;
                }
                spawn_result_clear(&res);
                log_debug("Canary: uname -m = %s", ai->uname_m);
        }

        size_t n_steps = strv_length(p->steps);
        for (size_t i = 0; i < n_steps; i++) {
                _cleanup_free_ char *script = NULL, *logname = NULL, *log_path = NULL;
                struct spawn_result res = {0};
                long long t0 = now_ms();

                if (signals_interrupted()) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                if (asprintf(&script, STEPS_IN "/step-%02zu.sh", i + 1) < 0 || asprintf(&logname, "step-%02zu.log", i + 1) < 0 ||
                    !(log_path = path_join(ctx->log_dir, logname))) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                (void) unlink(log_path);
                char *argv[] = {(char *) "/bin/sh", (char *) "-e", script, NULL};
                struct spawn_req io = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .log_path = log_path,
                                       .echo = log_get_max_level() >= LOG_LEVEL_DEBUG, .log_prefix = prefix,
                                       .timeout_ms = rc->timeout * 1000U, .flags = SPAWN_NEW_PGRP};
                log_info("Step %zu/%zu: %s", i + 1, n_steps, p->steps[i]);
                r = session_exec(s, &spec, argv, &io, &res);
                if ((ret = build_step_finished(r, i + 1, n_steps, &res, log_path, t0)) != XB_EXIT_OK)
                        goto finish;
        }
        build_timer_mark(&timer, "steps");
        ret = build_collect_artifacts(ctx, src);
        build_timer_mark(&timer, "collect");
        if (ret == XB_EXIT_OK)
                ret = build_verify_and_report(ctx, rs.base, rc->source.kind == SOURCE_GIT ? rc->source.commit : NULL,
                                              sr.epoch, NULL, NULL, timer.phases, timer.n);

finish:
        if (s) {
                r = session_destroy(s, ctx->keep);
                if (ctx->keep)
                        log_info("Session kept in %s", s->dir);
                else if (r < 0) {
                        log_error_errno(r, "Failed to remove the session %s: %m", s->dir);
                        if (ret == XB_EXIT_OK)
                                ret = XB_EXIT_CLEANUP_INCOMPLETE;
                }
        }
        source_result_clear(&sr);
        root_setup_clear(&rs);
        return ret;
}
