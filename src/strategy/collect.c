/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "chroot-root.h"
#include "core/spawn.h"
#include "fetch/source.h"
#include "report/build-report.h"
#include "verify/verify.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "fetch/cache.h"
#include "core/strv.h"
#include "rootfs/prepare.h"

static int copy_fd(int in, int out) {
        char buf[1 << 16];
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                int r = write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

int build_collect_artifacts(const struct build_ctx *ctx, const char *src_tree) {
        _cleanup_close_ int root = open(src_tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (root < 0)
                return log_error_errno(-errno, "Failed to open the source tree '%s': %m", src_tree), XB_EXIT_BUILD_FAILED;
        if ((r = mkdir_p(ctx->out_dir, 0755)) < 0)
                return log_error_errno(r, "Failed to create '%s': %m", ctx->out_dir), XB_EXIT_BUILD_FAILED;
        for (size_t i = 0; i < ctx->plan->n_artifacts; i++) {
                const struct plan_artifact *a = &ctx->plan->artifacts[i];
                struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
                _cleanup_close_ int in = (int) syscall(SYS_openat2, root, a->path, &how, sizeof how), out = -EBADF;
                _cleanup_free_ char *tmp = NULL, *dest = path_join(ctx->out_dir, a->def->install_as);
                struct stat st;

                if (in < 0)
                        return log_error_errno(-errno, "Artifact '%s' was not produced (%s/%s): %m", a->path, src_tree, a->path),
                               XB_EXIT_BUILD_FAILED;
                if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
                        return log_error("Artifact '%s' is not a regular file", a->path), XB_EXIT_BUILD_FAILED;
                if (!dest || asprintf(&tmp, "%s.tmp-%d", dest, (int) getpid()) < 0)
                        return log_error_errno(-ENOMEM, "Failed to copy '%s': %m", a->path), XB_EXIT_BUILD_FAILED;
                out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 0755);
                if (out < 0)
                        return log_error_errno(-errno, "Failed to create '%s': %m", tmp), XB_EXIT_BUILD_FAILED;
                r = copy_fd(in, out);
                if (r >= 0 && (fchmod(out, st.st_mode & 0755) < 0 || fsync(out) < 0))
                        r = -errno;
                if (r >= 0 && rename(tmp, dest) < 0)
                        r = -errno;
                if (r < 0) {
                        (void) unlink(tmp);
                        return log_error_errno(r, "Failed to write '%s': %m", dest), XB_EXIT_BUILD_FAILED;
                }
                (void) fsync_parent(dest);
                log_info("Artifact: %s", dest);
        }
        return XB_EXIT_OK;
}

int build_verify_and_report(const struct build_ctx *ctx, const char *sysroot, const char *commit, long long epoch,
                            const char *toolchain_version, char *const *build_host, const struct build_phase *phases,
                            size_t n_phases) {
        const struct plan *p = ctx->plan;
        struct verify_result *res = calloc(p->n_artifacts + 1, sizeof *res);
        struct build_report rep = {.source_commit = commit, .source_epoch = epoch, .toolchain_version = toolchain_version,
                                   .build_host = build_host,
                                   .artifacts = res, .n_artifacts = 0, .ok = true};
        _cleanup_free_ char *report = NULL;
        struct timespec t0, t1;
        int r, ret = XB_EXIT_OK;

        if (!res)
                return log_error_errno(-ENOMEM, "Failed to verify: %m"), XB_EXIT_BUILD_FAILED;
        (void) clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t i = 0; i < p->n_artifacts && ret == XB_EXIT_OK; i++) {
                const struct recipe_expect *e = &p->artifacts[i].def->expect;
                _cleanup_free_ char *dest = path_join(ctx->out_dir, p->artifacts[i].def->install_as);
                struct verify_opts o = {.arch = p->arch, .want_static = e->static_link, .runs = e->runs,
                                        .timeout_s = e->timeout, .sysroot = sysroot};
                char msg[512] = "";
                if (!dest) {
                        ret = XB_EXIT_BUILD_FAILED;
                        break;
                }
                r = verify_artifact(dest, &o, &res[i], msg, sizeof msg);
                rep.n_artifacts = i + 1;
                if (r < 0) {
                        log_error("Failed to verify '%s': %s", dest, msg[0] ? msg : xb_strerror(r));
                        ret = r == -XB_E_NOT_AVAILABLE ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED;
                        rep.ok = false;
                        break;
                }
                verify_print(&res[i]);
                if (!res[i].ok) {
                        rep.ok = false;
                        log_error("Artifact '%s' failed verification", dest);
                }
        }
        (void) clock_gettime(CLOCK_MONOTONIC, &t1);
        for (size_t i = 0; i < n_phases && rep.n_phases < ELEMENTSOF(rep.phases) - 1; i++)
                rep.phases[rep.n_phases++] = phases[i];
        rep.phases[rep.n_phases++] = (struct build_phase){"verify", (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9};
        r = build_report_write(ctx, &rep, &report);
        if (r < 0)
                log_warning_errno(r, "Failed to write report.json: %m");
        else
                log_info("Report: %s", report);
        for (size_t i = 0; i < rep.n_artifacts; i++)
                verify_result_clear(&res[i]);
        free(res);
        if (ret == XB_EXIT_OK && !rep.ok)
                ret = XB_EXIT_VERIFY_FAILED;
        return ret;
}

long long build_now_ms(void) {
        return spawn_now_ms();
}

void build_timer_start(struct build_timer *bt) {
        *bt = (struct build_timer){.t = build_now_ms()};
}

void build_timer_add(struct build_timer *bt, const char *label, double seconds) {
        if (bt->n < ELEMENTSOF(bt->phases))
                bt->phases[bt->n++] = (struct build_phase){label, seconds};
        bt->t = build_now_ms();
}

void build_timer_mark(struct build_timer *bt, const char *label) {
        build_timer_add(bt, label, (double) (build_now_ms() - bt->t) / 1000.0);
}

int build_prepare_source(const struct build_ctx *ctx, const char *dest, struct source_result *sr) {
        const struct recipe *rc = ctx->recipe;
        _cleanup_free_ char *pdir = path_join(rc->dir, "patches"), *patches = pdir ? path_join(pdir, rc->name) : NULL;
        int r;

        if (!patches)
                return log_error_errno(-ENOMEM, "Failed to prepare the source: %m"), XB_EXIT_BUILD_FAILED;
        struct source_opts so = {.override = ctx->source_override, .patches_dir = patches, .http = {.retries = 3}};
        log_info("Source: %s", ctx->source_override ? ctx->source_override
                               : rc->source.kind == SOURCE_LOCAL ? rc->source.path : rc->source.url);
        r = source_prepare(rc, ctx->cache, &so, dest, sr);
        if (r >= 0)
                return XB_EXIT_OK;
        if (sr->failed_patch)
                log_error("Patch '%s' does not apply: %s", sr->failed_patch, sr->msg);
        else
                log_error("Failed to prepare the source: %s", sr->msg[0] ? sr->msg : xb_strerror(r));
        return xb_exit_code_for(r);
}

void build_report_step_failure(size_t step, const struct spawn_result *res, const char *log_path) {
        char how[128];
        log_error("Step %zu %s; last lines of %s:", step, spawn_result_describe(res, how, sizeof how), log_path);
        for (const char *l = res->tail ? res->tail : ""; *l;) {
                size_t n = strcspn(l, "\n");
                fprintf(stderr, "    %.*s\n", (int) n, l);
                l += n + (l[n] ? 1 : 0);
        }
}

int build_step_finished(int start_r, size_t step, size_t n_steps, struct spawn_result *res, const char *log_path,
                        long long started_ms) {
        int ret = XB_EXIT_OK;
        if (start_r < 0) {
                log_error_errno(start_r, "Failed to start step %zu: %m", step);
                ret = XB_EXIT_BUILD_FAILED;
        } else if (res->exit_code != 0 || res->signal || res->timed_out) {
                if (signals_interrupted())
                        log_error("Interrupted");
                build_report_step_failure(step, res, log_path);
                ret = XB_EXIT_BUILD_FAILED;
        } else
                log_info("Step %zu/%zu done in %.1f s (log: %s)", step, n_steps,
                         (double) (build_now_ms() - started_ms) / 1000.0, log_path);
        spawn_result_clear(res);
        return ret;
}

char **build_step_env(const struct plan *p) {
        char **env = rootfs_base_env();
        STRV_FOREACH(e, p->env) {
                const char *eq = strchr(*e, '=');
                if (!env || !eq)
                        continue;
                _cleanup_free_ char *name = strndup(*e, (size_t) (eq - *e));
                if (!name || strv_env_set(&env, name, eq + 1) < 0)
                        return strv_free(env);
        }
        return env;
}

int build_write_steps(char *const *steps, const char *dir) {
        size_t i = 0;
        STRV_FOREACH(s, steps) {
                _cleanup_free_ char *name = NULL, *path = NULL, *text = NULL;
                if (asprintf(&name, "step-%02zu.sh", ++i) < 0 || !(path = path_join(dir, name)) ||
                    asprintf(&text, "# xbuild step %zu, run as /bin/sh -e\n%s\n", i, *s) < 0)
                        return -ENOMEM;
                int r = write_file_text(path, text);
                if (r < 0)
                        return r;
        }
        return 0;
}
