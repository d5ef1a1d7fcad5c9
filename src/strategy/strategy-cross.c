/* SPDX-License-Identifier: MIT */
/* The cross strategy: the x86 host's own compilers (Debian's gcc-<triplet>, Go with
 * GOOS/GOARCH/GOARM) build for the target. When the recipe has build_deps, the recipe's ARM
 * rootfs with those packages installed is mounted at WORK/sysroot for the steps (in a private
 * mount namespace), so headers and libraries are the target's own.
 *   toolchain (installed on demand) -> [sysroot] -> source into WORK/src -> steps on the host
 *   -> artifacts -> verify -> report -> WORK removed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "chroot-root.h"
#include "cross-files.h"
#include "chroot/session.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strv.h"
#include "fetch/source.h"
#include "recipe/toolchain.h"
#include "report/build-report.h"
#include "rootfs/prepare.h"

#define now_ms build_now_ms

/* The first line a program prints for --version (or "version" for go). */
static char *tool_version(char *const *argv) {
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .timeout_ms = 30000};
        struct spawn_result res = {0};
        char *v = NULL;
        if (spawn_run(&req, &res) >= 0 && res.exit_code == 0 && res.tail)
                v = strndup(res.tail, strcspn(res.tail, "\n"));
        spawn_result_clear(&res);
        return v;
}

/* Makes sure the toolchain's programs exist, installing its Debian packages when root. */
static int ensure_toolchain(const struct build_ctx *ctx, const struct toolchain *tc, char **ret_version) {
        const struct arch_info *ai = arch_info(ctx->plan->arch);
        _cleanup_free_ char *gcc = NULL, *gcc_path = NULL, *go_path = NULL;
        _cleanup_strv_free_ char **pkgs = NULL;
        int r;

        if (asprintf(&gcc, "%s-gcc", ai->triplet) < 0)
                return XB_EXIT_BUILD_FAILED;
        gcc_path = spawn_find_program(gcc, NULL);
        if (tc->kind == TOOLCHAIN_GO)
                go_path = spawn_find_program("go", NULL);
        if (!gcc_path || (tc->kind == TOOLCHAIN_GO && !go_path)) {
                if (strv_extend_strv(&pkgs, tc->host_packages) < 0 || strv_extend_strv(&pkgs, tc->arches[ctx->plan->arch].packages) < 0)
                        return XB_EXIT_BUILD_FAILED;
                _cleanup_free_ char *apt = spawn_find_program("apt-get", NULL), *list = NULL;
                FILE *f;
                size_t n;
                if ((f = open_memstream(&list, &n))) {
                        STRV_FOREACH(pk, pkgs)
                                fprintf(f, " %s", *pk);
                        (void) fclose(f);
                }
                if (geteuid() != 0 || !apt || ctx->no_install)
                        return log_error("Toolchain '%s' for %s is missing; install it: apt-get install%s", tc->name, ai->name,
                                         strempty(list)),
                               XB_EXIT_HOST_MISSING;
                log_info("Installing toolchain '%s' for %s:%s", tc->name, ai->name, strempty(list));
                _cleanup_strv_free_ char **argv = NULL, **env = NULL;
                if (strv_extend(&argv, "apt-get") < 0 || strv_extend(&argv, "-q") < 0 || strv_extend(&argv, "install") < 0 ||
                    strv_extend(&argv, "-y") < 0 || strv_extend(&argv, "--no-install-recommends") < 0 ||
                    strv_extend_strv(&argv, pkgs) < 0 || !(env = calloc(1, sizeof(char *))) ||
                    strv_env_set(&env, "PATH", getenv("PATH") ?: "/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
                    strv_env_set(&env, "DEBIAN_FRONTEND", "noninteractive") < 0)
                        return XB_EXIT_BUILD_FAILED;
                _cleanup_free_ char *log_path = path_join(ctx->log_dir, "toolchain.log");
                struct spawn_req req = {.argv = argv, .envp = env, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                        .log_path = log_path, .timeout_ms = 1800000};
                struct spawn_result res = {0};
                r = spawn_run(&req, &res);
                bool ok = r >= 0 && res.exit_code == 0;
                spawn_result_clear(&res);
                if (!ok) {
                        /* A fresh machine has no package lists yet. */
                        char *upd[] = {(char *) "apt-get", (char *) "-q", (char *) "update", NULL};
                        struct spawn_req ureq = {.argv = upd, .envp = env, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                                 .log_path = log_path, .timeout_ms = 600000};
                        r = spawn_run(&ureq, &res);
                        spawn_result_clear(&res);
                        r = spawn_run(&req, &res);
                        ok = r >= 0 && res.exit_code == 0;
                        spawn_result_clear(&res);
                }
                if (!ok)
                        return log_error("Failed to install toolchain '%s' (log: %s); try: apt-get install%s", tc->name,
                                         strempty(log_path), strempty(list)),
                               XB_EXIT_HOST_MISSING;
        }
        char *gv[] = {gcc, (char *) "--version", NULL}, *gov[] = {(char *) "go", (char *) "version", NULL};
        *ret_version = tool_version(tc->kind == TOOLCHAIN_GO ? gov : gv);
        return XB_EXIT_OK;
}

static char **host_env(const struct plan *p, const char *sysroot, const char *triplet, long long epoch) {
        char **env = NULL;
        const char *path = getenv("PATH"), *home = getenv("HOME"), *term = getenv("TERM");
        if (strv_env_set(&env, "PATH", path && *path ? path : "/usr/local/bin:/usr/bin:/bin") < 0 ||
            strv_env_set(&env, "HOME", home && *home ? home : "/root") < 0 || strv_env_set(&env, "LANG", "C.UTF-8") < 0 ||
            strv_env_set(&env, "TERM", term && *term ? term : "dumb") < 0)
                return strv_free(env);
        /* Go keeps its caches under HOME; a shared one makes warm rebuilds fast. */
        STRV_FOREACH(e, p->env) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *name = eq ? strndup(*e, (size_t) (eq - *e)) : NULL;
                if (!name || strv_env_set(&env, name, eq + 1) < 0)
                        return strv_free(env);
        }
        if (sysroot) {
                _cleanup_free_ char *libdir = NULL;
                if (asprintf(&libdir, "%s/usr/lib/%s/pkgconfig:%s/usr/share/pkgconfig", sysroot, triplet, sysroot) < 0 ||
                    strv_env_set(&env, "PKG_CONFIG_SYSROOT_DIR", sysroot) < 0 || strv_env_set(&env, "PKG_CONFIG_LIBDIR", libdir) < 0)
                        return strv_free(env);
        } else if (strv_env_set(&env, "XB_SYSROOT", "") < 0)
                return strv_free(env);
        if (epoch >= 0 && !strv_env_get(env, "SOURCE_DATE_EPOCH") && strv_extendf(&env, "SOURCE_DATE_EPOCH=%lld", epoch) < 0)
                return strv_free(env);
        return env;
}

int strategy_cross_build(const struct build_ctx *ctx, const struct toolchain *tc) {
        const struct recipe *rc = ctx->recipe;
        const struct plan *p = ctx->plan;
        const struct arch_info *ai = arch_info(p->arch);
        _cleanup_(session_freep) struct session *s = NULL;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *work = NULL, *workname = NULL, *src = NULL, *out = NULL, *steps = NULL, *version = NULL,
                            *workbase = NULL;
        _cleanup_close_ int lock = -EBADF;
        struct root_setup rs = {0};
        struct source_result sr = {0};
        struct build_timer timer;
        char prefix[64];
        bool sysroot = p->build_deps && p->build_deps[0];
        int r, ret;

        build_timer_start(&timer);
        if (!tc)
                return log_error("Recipe '%s' names no toolchain: the cross strategy needs one", rc->name), XB_EXIT_BAD_INPUT;
        if ((ret = ensure_toolchain(ctx, tc, &version)) != 0)
                return ret;
        build_timer_mark(&timer, "toolchain");
        _cleanup_free_ char *fix = NULL;
        char *sysroot_lowers[5] = {NULL};
        if (sysroot) {
                struct rootfs_prep prep = {.cache = ctx->cache};
                if ((ret = root_setup(ctx->cache, ctx->rootfs, p->arch, p->build_deps, &rs)) != 0)
                        return ret;
                r = rootfs_prepare_sysroot_fix(ctx->rootfs, p->arch, rs.lowers, &prep, &fix);
                if (r < 0) {
                        log_error("Failed to prepare the sysroot: %s", prep.msg[0] ? prep.msg : xb_strerror(r));
                        root_setup_clear(&rs);
                        return XB_EXIT_BUILD_FAILED;
                }
                size_t k = 0;
                sysroot_lowers[k++] = fix;
                for (char **l = rs.lowers; *l && k < ELEMENTSOF(sysroot_lowers) - 1; l++)
                        sysroot_lowers[k++] = *l;
                build_timer_mark(&timer, "sysroot");
        }

        /* WORK = CACHE/work/NAME-ARCH, one build at a time (the plan's paths point into it). */
        if (!(workbase = cache_sub(ctx->cache, "work", NULL)) || asprintf(&workname, "%s-%s", rc->name, ai->name) < 0 ||
            !(work = path_join(workbase, workname)))
                return XB_EXIT_BUILD_FAILED;
        if ((r = mkdir_p(workbase, 0755)) < 0 || (r = cache_lock(ctx->cache, workname, NULL, &lock)) < 0) {
                log_error_errno(r, "Failed to lock the work directory %s: %m", work);
                root_setup_clear(&rs);
                return XB_EXIT_BUILD_FAILED;
        }
        if ((r = rm_rf_unless_mounted(work)) < 0 || (r = session_create_at(work, "sysroot", &s)) < 0) {
                log_error_errno(r, "Failed to prepare the work directory %s: %m", work);
                root_setup_clear(&rs);
                return XB_EXIT_BUILD_FAILED;
        }
        if (!(src = path_join(work, "src")) || !(out = path_join(work, "out")) || !(steps = path_join(work, "steps"))) {
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        if ((ret = build_prepare_source(ctx, src, &sr)) != XB_EXIT_OK)
                goto finish;
        build_timer_mark(&timer, "source");
        if (mkdir(out, 0755) < 0 || mkdir(steps, 0755) < 0 || !(env = host_env(p, sysroot ? s->merged : NULL, ai->triplet, sr.epoch))) {
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        {
                /* meson and CMake glue, for recipes built with those. */
                _cleanup_free_ char *mf = path_join(work, "cross-meson.ini"), *cf = path_join(work, "cross-toolchain.cmake");
                _cleanup_free_ char *mt = cross_meson_file(p->arch, sysroot ? s->merged : NULL);
                _cleanup_free_ char *ct = cross_cmake_file(p->arch, sysroot ? s->merged : NULL);
                if (!mf || !cf || !mt || !ct || write_file_text(mf, mt) < 0 || write_file_text(cf, ct) < 0 ||
                    strv_env_set(&env, "XB_MESON_CROSS_FILE", mf) < 0 || strv_env_set(&env, "XB_CMAKE_TOOLCHAIN_FILE", cf) < 0) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
        }
        (void) snprintf(prefix, sizeof prefix, "[%s %s] ", rc->name, ai->name);
        size_t n_steps = strv_length(p->steps);
        for (size_t i = 0; i < n_steps; i++) {
                _cleanup_free_ char *script = NULL, *logname = NULL, *log_path = NULL, *text = NULL;
                struct spawn_result res = {0};
                long long t0 = now_ms();

                if (signals_interrupted()) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                if (asprintf(&logname, "step-%02zu.log", i + 1) < 0 || !(log_path = path_join(ctx->log_dir, logname)) ||
                    asprintf(&script, "%s/step-%02zu.sh", steps, i + 1) < 0 ||
                    asprintf(&text, "# xbuild step %zu, run as /bin/sh -e\n%s\n", i + 1, p->steps[i]) < 0 ||
                    write_file_text(script, text) < 0) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                (void) unlink(log_path);
                char *argv[] = {(char *) "/bin/sh", (char *) "-e", script, NULL};
                struct spawn_req io = {.argv = argv, .envp = env, .cwd = src, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                       .log_path = log_path, .echo = log_get_max_level() >= LOG_LEVEL_DEBUG,
                                       .log_prefix = prefix, .timeout_ms = rc->timeout * 1000U, .flags = SPAWN_NEW_PGRP};
                log_info("Step %zu/%zu: %s", i + 1, n_steps, p->steps[i]);
                if (sysroot) {
                        struct session_spec spec = {.lowers = sysroot_lowers, .env = env, .cwd = src, .host_tree = true};
                        r = session_exec(s, &spec, argv, &io, &res);
                } else
                        r = spawn_run(&io, &res);
                if ((ret = build_step_finished(r, i + 1, n_steps, &res, log_path, t0)) != XB_EXIT_OK)
                        goto finish;
        }
        build_timer_mark(&timer, "steps");
        ret = build_collect_artifacts(ctx, src);
        build_timer_mark(&timer, "collect");
        if (ret == XB_EXIT_OK) {
                /* Dynamic executables find their loader and libc in Debian's cross prefix. */
                _cleanup_free_ char *prefix_dir = NULL;
                if (asprintf(&prefix_dir, "/usr/%s", ai->triplet) < 0) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                ret = build_verify_and_report(ctx, sysroot ? rs.base : prefix_dir,
                                              rc->source.kind == SOURCE_GIT ? rc->source.commit : NULL, sr.epoch, version, NULL,
                                              timer.phases, timer.n);
        }
finish:
        r = session_destroy(s, ctx->keep);
        if (ctx->keep)
                log_info("Work directory kept in %s", work);
        else if (r < 0) {
                log_error_errno(r, "Failed to remove the work directory %s: %m", work);
                if (ret == XB_EXIT_OK)
                        ret = XB_EXIT_CLEANUP_INCOMPLETE;
        }
        source_result_clear(&sr);
        root_setup_clear(&rs);
        return ret;
}
