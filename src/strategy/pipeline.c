/* SPDX-License-Identifier: MIT */
/* The one build pipeline: every strategy's build goes through build_run(), in this order:
 *   probe -> session -> source + steps -> prepare -> stage -> steps -> artifacts -> verify ->
 *   build host facts -> teardown -> session removed -> report.json -> summary.
 * A failure anywhere jumps to teardown; report.json says how the build ended in every case. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.h"
#include "chroot/session.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/progress.h"
#include "core/signals.h"
#include "core/strv.h"
#include "functest/functest.h"
#include "pipeline.h"
#include "report/build-progress.h"
#include "report/build-report.h"
#include "rootfs/prepare.h"

static const char *const status_names[_BUILD_STATUS_MAX] = {
        [BUILD_OK] = "ok",
        [BUILD_FAILED] = "build-failed",
        [BUILD_VERIFY_FAILED] = "verify-failed",
        [BUILD_INTERRUPTED] = "interrupted",
        [BUILD_HOST_FAILURE] = "host-failure",
        [BUILD_BAD_INPUT] = "bad-input",
        [BUILD_CLEANUP_FAILED] = "cleanup-failed",
        [BUILD_TEST_FAILED] = "test-failed",
};

const char *build_status_to_string(enum build_status s) {
        return s >= 0 && s < _BUILD_STATUS_MAX ? status_names[s] : NULL;
}

const struct strategy_ops *strategy_ops_for(enum xb_strategy s) {
        switch (s) {
        case XB_STRATEGY_CROSS:
                return &strategy_cross_ops;
        case XB_STRATEGY_CHROOT:
                return &strategy_chroot_ops;
        case XB_STRATEGY_QEMU_SYSTEM:
                return &strategy_qemu_ops;
        case XB_STRATEGY_REMOTE:
                return &strategy_remote_ops;
        default:
                return NULL;
        }
}

static enum build_status status_for_exit(int exit_code) {
        if (signals_interrupted())
                return BUILD_INTERRUPTED;
        switch (exit_code) {
        case XB_EXIT_VERIFY_FAILED:
                return BUILD_VERIFY_FAILED;
        case XB_EXIT_HOST_MISSING:
        case XB_EXIT_GUEST_FAILED:
                return BUILD_HOST_FAILURE;
        case XB_EXIT_BAD_INPUT:
                return BUILD_BAD_INPUT;
        case XB_EXIT_CLEANUP_INCOMPLETE:
                return BUILD_CLEANUP_FAILED;
        default:
                return BUILD_FAILED;
        }
}

static void record_failure(struct build_job *job, int exit_code, char *msg) {
        if (job->failed) {
                free(msg);
                return;
        }
        job->failed = true;
        job->status = status_for_exit(exit_code);
        /* An interruption is one outcome, whatever it cut short: not "the host lacks" (4) nor
         * "the artifact is bad" (3). */
        job->exit_code = job->status == BUILD_INTERRUPTED ? XB_EXIT_BUILD_FAILED : exit_code;
        job->error = msg;
        job->failed_phase = job->phase;
        job->failed_step = job->step_running ? job->step : 0;
}

__attribute__((format(printf, 4, 0))) static int vfail(struct build_job *job, int r, int exit_code, const char *fmt,
                                                    va_list ap) {
        char *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        log_error("%s", msg ? msg : "out of memory");
        record_failure(job, exit_code, msg);
        return r < 0 ? r : -EIO;
}

int build_fail(struct build_job *job, int exit_code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vfail(job, 0, exit_code, fmt, ap);
        va_end(ap);
        return r;
}

/* The caller's format, checked at its call site, with each %m replaced by r's text (any '%' in
 * it doubled): glibc's %m knows errno values only, not our codes. */
static char *format_with_error(const char *fmt, int r) {
        const char *e = xb_strerror(r);
        char *out = NULL;
        size_t n;
        FILE *f = open_memstream(&out, &n);

        if (!f)
                return NULL;
        for (const char *p = fmt; *p; p++) {
                if (p[0] == '%' && p[1] == '%') {
                        fputs("%%", f);
                        p++;
                } else if (p[0] == '%' && p[1] == 'm') {
                        for (const char *c = e; *c; c++)
                                fputs(*c == '%' ? "%%" : (char[]){*c, 0}, f);
                        p++;
                } else
                        fputc(*p, f);
        }
        return fclose(f) == 0 ? out : NULL;
}

int build_fail_errno(struct build_job *job, int r, int exit_code, const char *fmt, ...) {
        _cleanup_free_ char *f = format_with_error(fmt, r);
        va_list ap;

        va_start(ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        r = vfail(job, r ? r : -EIO, exit_code, f ? f : fmt, ap);
#pragma GCC diagnostic pop
        va_end(ap);
        return r;
}

int build_fail_error(struct build_job *job, int r, struct xb_detail *e) {
        int exit_code = xb_exit_code_for(r);
        build_fail(job, exit_code == XB_EXIT_OK ? XB_EXIT_BUILD_FAILED : exit_code, "%s", xb_detail_text(e, r));
        xb_detail_clear(e);
        return r;
}

static void print_tail(const char *tail) {
        for (const char *l = strempty(tail); *l;) {
                size_t n = strcspn(l, "\n");
                fprintf(stderr, "    %.*s\n", (int) n, l);
                l += n + (l[n] ? 1 : 0);
        }
}

void build_fail_tail(struct build_job *job, const char *tail, const char *log_path) {
        if (log_path)
                log_error("Last lines of %s:", log_path);
        print_tail(tail);
        if (job->failed && !job->failed_tail) {
                job->failed_tail = tail ? strdup(tail) : NULL;
                job->failed_log = log_path ? strdup(log_path) : NULL;
        }
}

/* Phases. */

static void phase_close(struct build_job *job, bool ok) {
        double s = (double) (spawn_now_ms() - job->phase_started_ms) / 1000.0;

        if (!job->phase)
                return;
        if (job->phase_placeholder)
                build_progress_phase_start(job->phase);
        job->phase_placeholder = false;
        build_progress_phase_end(job->phase, s, ok);
        if (job->n_phases < BUILD_MAX_PHASES)
                job->phases[job->n_phases++] = (struct build_phase){job->phase, s};
        job->phase = NULL;
}

/* The pipeline opens "prepare" before the strategy runs; the strategy's first phase takes it
 * over (with its time), so every second is counted once under the name that says what it was. */
static void phase_open_placeholder(struct build_job *job, const char *phase) {
        phase_close(job, !(job->failed && job->failed_phase == job->phase));
        job->phase = phase;
        job->phase_started_ms = spawn_now_ms();
        job->phase_placeholder = true;
}

void build_phase_begin(struct build_job *job, const char *phase) {
        if (job->phase_placeholder && !job->failed) {
                job->phase_placeholder = false;
                job->phase = phase;
                build_progress_phase_start(phase);
                return;
        }
        phase_close(job, !(job->failed && job->failed_phase == job->phase));
        job->phase = phase;
        job->phase_started_ms = spawn_now_ms();
        build_progress_phase_start(phase);
}

void build_phase_add(struct build_job *job, const char *phase, double seconds) {
        if (job->n_phases < BUILD_MAX_PHASES)
                job->phases[job->n_phases++] = (struct build_phase){phase, seconds};
        job->phase_started_ms = spawn_now_ms();
}

/* Steps: the pipeline owns their logs, so every strategy's look the same. */

static void step_tail_reset(struct build_job *job) {
        for (size_t i = 0; i < ELEMENTSOF(job->step_tail); i++) {
                free(job->step_tail[i]);
                job->step_tail[i] = NULL;
        }
        job->step_tail_next = 0;
}

static char *step_tail_join(const struct build_job *job) {
        char *out = NULL;
        size_t n;
        FILE *f = open_memstream(&out, &n);

        if (!f)
                return NULL;
        for (size_t k = 0; k < ELEMENTSOF(job->step_tail); k++) {
                const char *s = job->step_tail[(job->step_tail_next + k) % ELEMENTSOF(job->step_tail)];
                if (s)
                        fprintf(f, "%s\n", s);
        }
        return fclose(f) == 0 ? out : NULL;
}

static void step_close(struct build_job *job) {
        if (job->step_log_fd >= 0)
                (void) close(job->step_log_fd);
        job->step_log_fd = -EBADF;
}

void build_step_begin(struct build_job *job, size_t step) {
        _cleanup_free_ char *name = NULL;

        step_close(job);
        step_tail_reset(job);
        free(job->step_log_path);
        job->step_log_path = NULL;
        job->step = step;
        job->step_running = true;
        job->step_started_ms = spawn_now_ms();
        if (asprintf(&name, "step-%02zu.log", step) >= 0 && (job->step_log_path = path_join(job->log_dir, name)))
                job->step_log_fd = open(job->step_log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (job->step_log_fd < 0)
                log_warning("Failed to create the step's log %s: %m", strempty(job->step_log_path));
        const char *cmd = step >= 1 && step <= job->n_steps ? job->plan->steps[step - 1] : "";
        log_info("Step %zu/%zu: %s", step, job->n_steps, cmd);
        build_progress_step_start(step, job->n_steps, cmd);
}

void build_step_line(struct build_job *job, const char *line) {
        if (job->step_log_fd >= 0) {
                (void) write_all(job->step_log_fd, line, strlen(line));
                (void) write_all(job->step_log_fd, "\n", 1);
        }
        if (log_get_max_level() >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "%s%s\n", job->log_prefix, line);
        free(job->step_tail[job->step_tail_next]);
        job->step_tail[job->step_tail_next] = strdup(line);
        job->step_tail_next = (job->step_tail_next + 1) % ELEMENTSOF(job->step_tail);
        build_progress_step_line(line);
}

int build_step_end(struct build_job *job, size_t step, const struct spawn_result *res) {
        double s = (double) (spawn_now_ms() - job->step_started_ms) / 1000.0;
        bool ok = res->exit_code == 0 && !res->signal && !res->timed_out;
        char how[128];

        step_close(job);
        if (ok) {
                job->step_running = false;
                log_info("Step %zu/%zu done in %.1f s (log: %s)", step, job->n_steps, s, strempty(job->step_log_path));
                build_progress_step_end(step, job->n_steps, "ok", s, job->step_log_path);
                return 0;
        }
        const char *status = signals_interrupted() ? "interrupted" : res->timed_out ? "timeout" : "failed";
        build_progress_step_end(step, job->n_steps, status, s, job->step_log_path);
        int r = signals_interrupted() ? build_fail(job, XB_EXIT_BUILD_FAILED, "Interrupted during step %zu", step)
                                      : build_fail(job, XB_EXIT_BUILD_FAILED, "Step %zu %s", step,
                                                   spawn_result_describe(res, how, sizeof how));
        _cleanup_free_ char *tail = step_tail_join(job);
        build_fail_tail(job, tail, job->step_log_path);
        job->step_running = false;
        return r;
}

static void step_line_cb(void *userdata, const char *line) {
        build_step_line(userdata, line);
}

void build_step_spawn_io(struct build_job *job, struct spawn_req *req) {
        req->output = SPAWN_OUTPUT_CAPTURE;
        req->log_path = NULL;
        req->echo = false;
        req->on_line = step_line_cb;
        req->userdata = job;
        req->on_tick = build_progress_tick;
        req->tick_userdata = NULL;
        req->timeout_ms = job->recipe->timeout * 1000U;
        req->flags |= SPAWN_NEW_PGRP;
}

char **build_step_env(const struct build_job *job) {
        char **env = rootfs_base_env();
        STRV_FOREACH(e, job->plan->env) {
                const char *eq = strchr(*e, '=');
                if (!env || !eq)
                        continue;
                _cleanup_free_ char *name = strndup(*e, (size_t) (eq - *e));
                if (!name || strv_env_set(&env, name, eq + 1) < 0)
                        return strv_free(env);
        }
        if (env && job->source.epoch >= 0 && !strv_env_get(env, "SOURCE_DATE_EPOCH") &&
            strv_extendf(&env, "SOURCE_DATE_EPOCH=%lld", job->source.epoch) < 0)
                return strv_free(env);
        return env;
}

char *build_log_path(const struct build_job *job, const char *name) {
        return path_join(job->log_dir, name);
}

char *build_cache_log_path(const struct build_job *job, const char *name) {
        _cleanup_free_ char *logs = cache_sub(job->cache, "logs", NULL);
        if (!logs || mkdir_p(logs, 0755) < 0)
                return NULL;
        return path_join(logs, name);
}

/* The stages the pipeline runs itself. */

static void transfer_cb(void *userdata, const char *what, uint64_t done, uint64_t total) {
        (void) userdata;
        build_progress_transfer(what, done, total);
}

static int lay_out_source(struct build_job *job) {
        const struct recipe *rc = job->recipe;
        _cleanup_free_ char *pdir = path_join(rc->dir, "patches"), *patches = pdir ? path_join(pdir, rc->name) : NULL;
        _cleanup_free_ char *parent = job->src_dir ? path_dirname(job->src_dir) : NULL;
        int r;

        if (!patches || !parent)
                return -ENOMEM;
        if ((r = mkdir_p(parent, 0755)) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", parent);
        struct source_opts so = {.override = job->opts->source_override, .patches_dir = patches, .http = {.retries = 3},
                                 .git_mirrors = job->opts->git_mirrors, .extra_overrides = job->opts->extra_sources,
                                 .transfer = transfer_cb};
        if (!job->opts->source_override && rc->source.kind == SOURCE_DEBIAN)
                log_info("Source: Debian source package %s %s", rc->source.package, rc->source.deb_version);
        else
                log_info("Source: %s", job->opts->source_override ? job->opts->source_override
                                       : rc->source.kind == SOURCE_LOCAL ? rc->source.path : rc->source.url);
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        r = source_prepare(rc, job->cache, &so, job->src_dir, &job->source, &e);
        if (r >= 0)
                return 0;
        if (job->source.failed_patch)
                return build_fail(job, XB_EXIT_BAD_INPUT, "Patch '%s' does not apply: %s", job->source.failed_patch,
                                  xb_detail_text(&e, r));
        return build_fail(job, xb_exit_code_for(r), "Failed to prepare the source: %s", xb_detail_text(&e, r));
}

static int write_steps(struct build_job *job) {
        size_t i = 0;
        int r;

        if ((r = mkdir_p(job->steps_dir, 0755)) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %m", job->steps_dir);
        /* Files, so a step is never interpolated into a command line. */
        STRV_FOREACH(s, job->plan->steps) {
                _cleanup_free_ char *name = NULL, *path = NULL, *text = NULL;
                if (asprintf(&name, "step-%02zu.sh", ++i) < 0 || !(path = path_join(job->steps_dir, name)) ||
                    asprintf(&text, "# xbuild step %zu, run as /bin/sh -e\n%s\n", i, *s) < 0)
                        return -ENOMEM;
                if ((r = write_file_text(path, text)) < 0)
                        return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to write '%s': %m", path);
        }
        return 0;
}

static int run_steps_one_by_one(struct build_job *job) {
        for (size_t i = 1; i <= job->n_steps; i++) {
                _cleanup_free_ char *name = NULL, *script = NULL;
                int r;

                if (signals_interrupted())
                        return build_fail(job, XB_EXIT_BUILD_FAILED, "Interrupted before step %zu", i);
                if (asprintf(&name, "step-%02zu.sh", i) < 0 || !(script = path_join(job->steps_dir, name)))
                        return -ENOMEM;
                struct build_step st = {.index = i, .command = job->plan->steps[i - 1], .script = script, .name = name,
                                        .timeout_s = job->recipe->timeout};
                build_step_begin(job, i);
                r = job->ops->run_step(job, &st);
                if (r < 0) {
                        step_close(job);
                        build_progress_step_end(i, job->n_steps, "failed",
                                                (double) (spawn_now_ms() - job->step_started_ms) / 1000.0, job->step_log_path);
                        spawn_result_clear(&st.result);
                        if (!job->failed)
                                build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to run step %zu: %m", i);
                        job->step_running = false;
                        return r;
                }
                r = build_step_end(job, i, &st.result);
                spawn_result_clear(&st.result);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A failure that nobody explained yet (a strategy operation's or the pipeline's own bare
 * -errno, out of memory) gets a message naming what failed and where: a failed build never
 * ends silent, nor with exit 0. Returns r. */
static int said(struct build_job *job, int r, const char *what) {
        if (r < 0 && !job->failed) {
                int exit_code = xb_exit_code_for(r);
                build_fail_errno(job, r, exit_code == XB_EXIT_OK ? XB_EXIT_BUILD_FAILED : exit_code, "Failed to %s (%s): %m",
                                 what, strempty(job->phase));
        }
        return r;
}

/* Runs a strategy's operation when it has one. */
#define RUN_OP(job, op, ...) said((job), (job)->ops->op ? (job)->ops->op(__VA_ARGS__) : 0, "run the strategy's " #op)

static int job_paths(struct build_job *job) {
        if (!(job->src_dir = path_join(job->session->dir, job->ops->src_subdir)) ||
            !(job->steps_dir = path_join(job->session->dir, job->ops->steps_subdir)))
                return -ENOMEM;
        return 0;
}

static void job_clear(struct build_job *job) {
        step_close(job);
        step_tail_reset(job);
        free(job->step_log_path);
        free(job->log_dir);
        free(job->src_dir);
        free(job->steps_dir);
        free(job->priv);
        free(job->error);
        free(job->failed_log);
        free(job->failed_tail);
        free(job->teardown_error);
        free(job->toolchain_version);
        source_result_clear(&job->source);
        session_free(job->session);
}

static void print_summary(const struct build_job *job, const struct build_report *rep, const char *report_path) {
        char a[32], w[32];
        if (log_get_max_level() < LOG_LEVEL_INFO)
                return;
        fprintf(stderr, "\n+-- Summary ------------------------------------------------------------\n");
        fprintf(stderr, "| Status:    %s (exit %d)%s%s\n", rep->status, rep->exit_code, rep->error ? ": " : "",
                strempty(rep->error));
        fprintf(stderr, "| Build:     %s for %s, %s strategy\n", job->recipe->name, job->ai->name, rep->strategy);
        fprintf(stderr, "| Phases:   ");
        for (size_t i = 0; i < rep->n_phases; i++)
                fprintf(stderr, " %s %.1fs%s", rep->phases[i].name, rep->phases[i].seconds, i + 1 < rep->n_phases ? "," : "");
        fprintf(stderr, "\n| Total:     %.1f s\n", rep->total_seconds);
        fprintf(stderr, "| Space:     build tree %s, artifacts %s\n", format_bytes(rep->work_bytes, w, sizeof w),
                format_bytes(rep->artifact_bytes, a, sizeof a));
        if (rep->test) {
                const struct test_result *t = rep->test;
                if (!t->error)
                        fprintf(stderr, "| Test:      passed: the container printed '%s', %.1f s from VM start to its exit\n",
                                strempty(t->expected), t->vm_to_exit_s);
                else
                        fprintf(stderr, "| Test:      %s: %s\n", strempty(t->status), t->error);
                fprintf(stderr, "|           ");
                for (size_t i = 0, n = 0; i < _TEST_CHECK_MAX; i++)
                        if (t->checks[i].ran)
                                fprintf(stderr, "%s %s %s", n++ ? "," : "", test_check_id_to_string(i),
                                        test_check_status_to_string(t->checks[i].status));
                fprintf(stderr, "\n");
        }
        if (rep->failed_log)
                fprintf(stderr, "| Log:       %s\n", rep->failed_log);
        fprintf(stderr, "| Report:    %s\n", strempty(report_path));
        fprintf(stderr, "+-----------------------------------------------------------------------\n");
}

static int write_report(struct build_job *job, const struct artifacts_result *ar, const struct test_result *test,
                        char *const *build_host, long long started_ms, unsigned long long work_bytes) {
        const struct recipe *rc = job->recipe;
        const struct build_opts *o = job->opts;
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *step_cmd = job->failed_step >= 1 && job->failed_step <= job->n_steps ? job->plan->steps[job->failed_step - 1]
                                                                                         : NULL;
        struct build_report rep = {
                .recipe = rc->name,
                .recipe_file = rc->path,
                .variant = rc->variant,
                .arch = job->ai->name,
                .strategy = strategy_to_string(job->ops->id),
                .strategy_reason = job->plan->reason,
                .source_kind = o->source_override ? "override" : source_kind_to_string(rc->source.kind),
                .source_where = o->source_override ? o->source_override : rc->source.kind == SOURCE_LOCAL ? rc->source.path
                                                                                                         : rc->source.url,
                .source_is_path = o->source_override || rc->source.kind == SOURCE_LOCAL,
                .source_commit = rc->source.kind == SOURCE_GIT ? rc->source.commit : NULL,
                .source_sha256 = rc->source.kind == SOURCE_TARBALL ? rc->source.sha256 : NULL,
                .source_package = o->source_override || rc->source.kind != SOURCE_DEBIAN ? NULL : rc->source.package,
                .source_version = o->source_override || rc->source.kind != SOURCE_DEBIAN ? NULL : rc->source.deb_version,
                .source_epoch = job->source.epoch,
                .toolchain = job->plan->toolchain,
                .toolchain_version = job->toolchain_version,
                .rootfs = job->plan->rootfs,
                .build_host = build_host,
                .status = build_status_to_string(job->failed ? job->status : BUILD_OK),
                .exit_code = job->failed ? job->exit_code : XB_EXIT_OK,
                .error = job->failed ? job->error : NULL,
                .failed_phase = job->failed ? job->failed_phase : NULL,
                .failed_step = job->failed ? job->failed_step : 0,
                .failed_step_command = job->failed ? step_cmd : NULL,
                .failed_log = job->failed_log,
                .failed_tail = job->failed_tail,
                .teardown_error = job->teardown_error,
                .phases = job->phases,
                .n_phases = job->n_phases,
                .total_seconds = (double) (spawn_now_ms() - started_ms) / 1000.0,
                .work_bytes = work_bytes,
                .artifact_bytes = ar ? ar->bytes : 0,
                .artifacts = ar ? ar->results : NULL,
                .n_artifacts = ar ? ar->n_results : 0,
                .verified = ar && ar->verified,
                .test = test,
        };
        int r;

        r = build_report_write(&rep, job->out_dir, &path);
        if (r < 0)
                log_warning_errno(r, "Failed to write %s/report.json: %m", job->out_dir);
        else
                log_info("Report: %s", path);
        if (build_progress_get_mode() == BUILD_PROGRESS_JSON && build_report_format(&rep, false, &text) >= 0)
                build_progress_event_json("report", text);
        else if (o->print_report && build_report_format(&rep, true, &text) >= 0)
                fputs(text, stdout);
        print_summary(job, &rep, path);
        return r;
}

int build_run(const struct strategy_ops *ops, const struct recipe_bundle *bundle, const struct plan *plan,
              const struct cache *cache, const struct build_opts *opts) {
        struct build_job job = {
                .ops = ops,
                .recipe = bundle->recipe,
                .plan = plan,
                .toolchain = bundle->toolchain,
                .rootfs = recipe_bundle_rootfs(bundle, plan->rootfs),
                .cache = cache,
                .opts = opts,
                .ai = arch_info(plan->arch),
                .out_dir = plan->out_dir,
                .n_steps = strv_length(plan->steps),
                .step_log_fd = -EBADF,
                .source = {.epoch = -1},
        };
        struct artifacts_result ar = {0};
        _cleanup_strv_free_ char **build_host = NULL;
        _cleanup_free_ char *below = NULL;
        unsigned long long work_bytes = 0;
        long long started = spawn_now_ms();
        bool have_session = false, have_test = false;
        struct test_result test = {0};
        int r;

        assert(ops && (ops->run_step || ops->run_steps));
        /* The checkout, the steps and what they write get the same modes whatever the caller's
         * umask (dpkg-buildpackage does the same): the same source gives the same bytes and
         * modes. Restored on return. */
        mode_t saved_umask = umask(022);
        (void) snprintf(job.log_prefix, sizeof job.log_prefix, "[%s %s %s] ", job.recipe->name, job.ai->name,
                        strategy_to_string(ops->id));
        phase_open_placeholder(&job, "prepare");
        if (!(job.log_dir = path_join(plan->out_dir, "logs")) || (ops->priv_size && !(job.priv = calloc(1, ops->priv_size)))) {
                build_fail_errno(&job, -ENOMEM, XB_EXIT_BUILD_FAILED, "Failed to start the build: %m");
                goto report;
        }
        /* OUT is the user's; below it nothing is followed through a symlink planted there. */
        r = asprintf(&below, "%s/logs", plan->out_rel) < 0 ? -ENOMEM
                                                                                 : mkdir_p_beneath(plan->out_root, below, 0755);
        if (r < 0) {
                build_fail_errno(&job, r, r == -ELOOP ? XB_EXIT_BAD_INPUT : XB_EXIT_BUILD_FAILED,
                                 "Failed to create '%s'%s: %m", job.log_dir,
                                 r == -ELOOP ? " (a symlink below the output directory: refusing to write through it)" : "");
                job_clear(&job);
                (void) umask(saved_umask);
                return job.exit_code;
        }
        if (RUN_OP(&job, probe, &job) < 0)
                goto report;
        r = ops->session ? RUN_OP(&job, session, &job, &job.session) : session_create(cache->root, &job.session);
        if (r < 0) {
                if (!job.failed)
                        build_fail_errno(&job, r, XB_EXIT_BUILD_FAILED, "Failed to create a session: %m");
                goto report;
        }
        have_session = true;
        log_debug("Session: %s", job.session->dir);
        if (job_paths(&job) < 0) {
                build_fail_errno(&job, -ENOMEM, XB_EXIT_BUILD_FAILED, "Failed to start the build: %m");
                goto teardown;
        }
        /* The source first: a bad --source (a repository that lacks a blob, a pin that does
         * not match) is found in seconds, not after minutes of root file system work. */
        build_phase_begin(&job, "source");
        if (said(&job, lay_out_source(&job), "lay out the source") < 0 || said(&job, write_steps(&job), "write the steps") < 0)
                goto teardown;
        if (signals_interrupted()) {
                build_fail(&job, XB_EXIT_BUILD_FAILED, "Interrupted");
                goto teardown;
        }
        phase_open_placeholder(&job, "prepare");
        if (RUN_OP(&job, prepare, &job) < 0)
                goto teardown;
        if (signals_interrupted()) {
                build_fail(&job, XB_EXIT_BUILD_FAILED, "Interrupted");
                goto teardown;
        }
        build_phase_begin(&job, "stage");
        if (RUN_OP(&job, stage, &job) < 0)
                goto teardown;

        build_phase_begin(&job, "steps");
        r = ops->run_step ? said(&job, run_steps_one_by_one(&job), "run the steps") : RUN_OP(&job, run_steps, &job);
        if (r < 0 || job.failed)
                goto teardown;
        if (signals_interrupted()) {
                build_fail(&job, XB_EXIT_BUILD_FAILED, "Interrupted");
                goto teardown;
        }

        if (ops->interactive)
                goto teardown;
        build_phase_begin(&job, "collect");
        const char *tree = job.src_dir;
        if (RUN_OP(&job, fetch_artifacts, &job, &tree) < 0 || said(&job, artifacts_collect(&job, tree), "collect the artifacts") < 0)
                goto teardown;
        build_phase_begin(&job, "verify");
        if (said(&job, artifacts_verify(&job, ops->sysroot ? ops->sysroot(&job) : NULL, &ar), "verify the artifacts") < 0)
                goto teardown;
        if (RUN_OP(&job, build_host, &job, &build_host) < 0)
                goto teardown;

teardown:
        if (job.src_dir && disk_usage(job.session ? job.session->dir : job.src_dir, &work_bytes) < 0)
                work_bytes = 0;
        build_phase_begin(&job, "teardown");
        /* The session first: a strategy's lock (the cross work dir) covers its removal. */
        if (have_session) {
                r = session_destroy(job.session, opts->keep);
                if (opts->keep)
                        log_info("Session kept in %s", job.session->dir);
                else if (r < 0) {
                        job.teardown_error = r == -EBUSY ? session_busy_reason(job.session) : NULL;
                        if (!job.teardown_error && asprintf(&job.teardown_error, "Failed to remove the session %s: %s",
                                                            job.session->dir, xb_strerror(r)) < 0)
                                job.teardown_error = NULL;
                        log_error("%s", strempty(job.teardown_error));
                }
        }
        if (ops->teardown && (r = ops->teardown(&job)) < 0) {
                log_error("Failed to tear down the %s strategy: %s", strategy_to_string(ops->id), xb_strerror(r));
                if (!job.teardown_error && asprintf(&job.teardown_error, "Failed to tear down the %s strategy: %s",
                                                    strategy_to_string(ops->id), xb_strerror(r)) < 0)
                        job.teardown_error = NULL;
        }
        /* What was left on the host outranks how the build ended: exit 5 either way, and
         * report.json keeps both. */
        if (job.teardown_error && !job.failed)
                record_failure(&job, XB_EXIT_CLEANUP_INCOMPLETE, strdup(job.teardown_error));
        else if (job.teardown_error)
                job.exit_code = XB_EXIT_CLEANUP_INCOMPLETE;
        /* After the teardown: the build's session is gone, the artifacts are in OUT. */
        if (opts->test && !job.failed && !ops->interactive && bundle->recipe->test) {
                build_phase_begin(&job, "test");
                struct functest_req fq = {.recipe = bundle->recipe, .rootfs = recipe_bundle_rootfs(bundle, bundle->recipe->rootfs),
                                          .kconfig = bundle->kconfig, .arch = plan->arch, .cache = cache, .vm = opts->vm,
                                          .artifacts_dir = plan->out_dir, .log_dir = job.log_dir, .keep = opts->keep};
                have_test = true;
                r = functest_run(&fq, &test);
                if (r != XB_EXIT_OK) {
                        /* functest said it; the build's outcome is the test's. */
                        record_failure(&job, r, strdup(strempty(test.error)));
                        if (!job.failed_tail && test.failed_tail)
                                job.failed_tail = strdup(test.failed_tail);
                        if (!job.failed_log && test.console_log)
                                job.failed_log = strdup(test.console_log);
                        if (r == XB_EXIT_VERIFY_FAILED && !signals_interrupted())
                                job.status = BUILD_TEST_FAILED;
                }
        }
report:
        phase_close(&job, !(job.failed && job.failed_phase == job.phase));
        if (!ops->interactive)
                (void) write_report(&job, &ar, have_test ? &test : NULL, build_host, started, work_bytes);
        test_result_clear(&test);
        int exit_code = job.failed ? job.exit_code : XB_EXIT_OK;
        artifacts_result_clear(&ar);
        job_clear(&job);
        (void) umask(saved_umask);
        return exit_code;
}
