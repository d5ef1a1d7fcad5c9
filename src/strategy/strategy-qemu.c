/* SPDX-License-Identifier: MIT */
/* The qemu-system strategy: the recipe's steps run inside a full ARM virtual machine
 * (-M virt, TCG), unattended.
 *   rootfs + build_deps (as chroot) -> kernel kit -> ext4 root image -> session with the job
 *   share (src, out, steps, job) -> boot, steps, power off -> artifacts -> verify.
 * The guest side is the initrd's /init (qemu/initrd.c); this side watches the console. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu-job.h"
#include "chroot/session.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strv.h"
#include "fetch/source.h"
#include "qemu/disk-image.h"
#include "qemu/initrd.h"
#include "qemu/kit.h"
#include "qemu/vm-run.h"
#include "rootfs/prepare.h"

#define TAIL_LINES 20

/* The console as the steps' logs: one file per step, the last lines kept for errors. */
struct step_logs {
        const struct build_ctx *ctx;
        size_t n_steps;
        int fd;
        unsigned step;
        char *log_path;
        char *tail[TAIL_LINES];
        size_t tail_next;
        long long started;
        int failed_status;
        char machine[32];
        char prefix[64];
};

static void tail_reset(struct step_logs *l) {
        for (size_t i = 0; i < TAIL_LINES; i++) {
                free(l->tail[i]);
                l->tail[i] = NULL;
        }
        l->tail_next = 0;
}

static char *tail_join(struct step_logs *l) {
        FILE *f;
        char *out = NULL;
        size_t n;

        if (!(f = open_memstream(&out, &n)))
                return NULL;
        for (size_t k = 0; k < TAIL_LINES; k++) {
                const char *s = l->tail[(l->tail_next + k) % TAIL_LINES];
                if (s)
                        fprintf(f, "%s\n", s);
        }
        if (fclose(f) != 0)
                return NULL;
        return out;
}

static void step_logs_clear(struct step_logs *l) {
        if (l->fd >= 0)
                (void) close(l->fd);
        l->fd = -EBADF;
        free(l->log_path);
        l->log_path = NULL;
        tail_reset(l);
}

static void on_job_start(void *userdata, const char *uptime, const char *machine) {
        struct step_logs *l = userdata;
        (void) snprintf(l->machine, sizeof l->machine, "%s", machine);
        log_info("VM up: the job started at guest uptime %s s (uname -m: %s)", uptime, machine);
}

static void on_step_start(void *userdata, unsigned step) {
        struct step_logs *l = userdata;
        _cleanup_free_ char *name = NULL;

        step_logs_clear(l);
        l->step = step;
        l->started = build_now_ms();
        if (step >= 1 && step <= l->n_steps)
                log_info("Step %u/%zu: %s", step, l->n_steps, l->ctx->plan->steps[step - 1]);
        if (asprintf(&name, "step-%02u.log", step) < 0 || !(l->log_path = path_join(l->ctx->log_dir, name)))
                return;
        l->fd = open(l->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void on_step_end(void *userdata, unsigned step, int status) {
        struct step_logs *l = userdata;
        if (status == 0)
                log_info("Step %u/%zu done in %.1f s (log: %s)", step, l->n_steps,
                         (double) (build_now_ms() - l->started) / 1000.0, strempty(l->log_path));
        else
                l->failed_status = status;
}

static void on_output(void *userdata, unsigned step, const char *line) {
        struct step_logs *l = userdata;
        if (log_get_max_level() >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "%s%s\n", l->prefix, line);
        if (step == 0 || step != l->step)
                return;
        if (l->fd >= 0) {
                (void) write_all(l->fd, line, strlen(line));
                (void) write_all(l->fd, "\n", 1);
        }
        free(l->tail[l->tail_next]);
        l->tail[l->tail_next] = strdup(line);
        l->tail_next = (l->tail_next + 1) % TAIL_LINES;
}

/* The guest's view of the build environment, sourced by the rootfs's /bin/sh before each
 * step: values single-quoted, so they are data to the shell. */
static int write_prologue(const char *path, char *const *env) {
        _cleanup_free_ char *text = NULL;
        size_t n;
        FILE *f = open_memstream(&text, &n);

        if (!f)
                return -ENOMEM;
        fputs("# xbuild job environment, sourced before each step\n", f);
        STRV_FOREACH(e, env) {
                const char *eq = strchr(*e, '=');
                if (!eq || eq == *e)
                        continue;
                fprintf(f, "export %.*s='", (int) (eq - *e), *e);
                for (const char *c = eq + 1; *c; c++) {
                        if (*c == '\'')
                                fputs("'\\''", f);
                        else
                                fputc(*c, f);
                }
                fputs("'\n", f);
        }
        fputs("cd /xbuild/src\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_text(path, text);
}

static char **job_env(const struct plan *p, long long epoch) {
        char **env = build_step_env(p);
        if (env && epoch >= 0 && !strv_env_get(env, "SOURCE_DATE_EPOCH") && strv_extendf(&env, "SOURCE_DATE_EPOCH=%lld", epoch) < 0)
                return strv_free(env);
        return env;
}

static void print_tail(const char *tail) {
        for (const char *l = tail ? tail : ""; *l;) {
                size_t n = strcspn(l, "\n");
                fprintf(stderr, "    %.*s\n", (int) n, l);
                l += n + (l[n] ? 1 : 0);
        }
}

/* The kernel and initrd: the kit's, or the user's (--kernel/--initrd); an initrd without
 * modules for a user kernel that has its drivers built in. */
static int vm_boot_files(const struct build_ctx *ctx, const char *session_dir, struct vm_kit *kit, char **ret_kernel,
                         char **ret_initrd) {
        const struct vm_opts *o = ctx->vm;
        _cleanup_free_ char *logs = cache_sub(ctx->cache, "logs", NULL), *logname = NULL, *log_path = NULL;
        char msg[1024];
        bool created = false;
        int r;

        if (o->kernel && o->initrd) {
                if (!(*ret_kernel = strdup(o->kernel)) || !(*ret_initrd = strdup(o->initrd)))
                        return XB_EXIT_BUILD_FAILED;
                return XB_EXIT_OK;
        }
        if (!logs || mkdir_p(logs, 0755) < 0 || asprintf(&logname, "vm-kit-%s.log", arch_to_string(ctx->plan->arch)) < 0 ||
            !(log_path = path_join(logs, logname)))
                return log_error_errno(-ENOMEM, "Failed to prepare logs: %m"), XB_EXIT_BUILD_FAILED;
        struct vm_kit_req req = {.cache = ctx->cache, .rf = ctx->rootfs, .arch = ctx->plan->arch, .http = {.retries = 3},
                                 .log_path = log_path, .echo = log_get_max_level() >= LOG_LEVEL_DEBUG};
        r = vm_kit_prepare(&req, kit, &created, msg, sizeof msg);
        if (r < 0) {
                log_error("Failed to prepare the %s VM kernel: %s", arch_to_string(ctx->plan->arch), msg[0] ? msg : xb_strerror(r));
                return r == -XB_E_CHECKSUM || r == -XB_E_FETCH || r == -XB_E_NOT_AVAILABLE || r == -XB_E_HTTP_STATUS
                               ? XB_EXIT_HOST_MISSING
                               : XB_EXIT_BUILD_FAILED;
        }
        if (created)
                log_info("Prepared the VM kernel %s and initrd in %s", kit->package, kit->dir);
        else
                log_debug("VM kernel: %s (%s)", kit->package, kit->dir);
        if (o->kernel) {
                _cleanup_free_ char *initrd = path_join(session_dir, "initrd-nomodules.img");
                if (!initrd || (r = initrd_write(initrd, kit->busybox, NULL, msg, sizeof msg)) < 0) {
                        log_error("Failed to make an initrd for %s: %s", o->kernel, initrd ? msg : "out of memory");
                        return XB_EXIT_BUILD_FAILED;
                }
                *ret_kernel = strdup(o->kernel);
                *ret_initrd = TAKE_PTR(initrd);
        } else {
                *ret_kernel = strdup(kit->kernel);
                *ret_initrd = strdup(o->initrd ? o->initrd : kit->initrd);
        }
        return *ret_kernel && *ret_initrd ? XB_EXIT_OK : XB_EXIT_BUILD_FAILED;
}

/* Prepares everything a VM run needs: rootfs, kernel, image, the session with its share.
 * Shared by builds and 'xbuild shell'. */
int strategy_qemu_prepare(const struct build_ctx *ctx, struct qemu_job *job) {
        const struct plan *p = ctx->plan;
        char msg[1024];
        bool created;
        int r, ret;

        *job = (struct qemu_job){.ctx = ctx};
        build_timer_start(&job->timer);
        if ((ret = root_setup(ctx->cache, ctx->rootfs, p->arch, p->build_deps, &job->rs)) != 0)
                return ret;
        build_timer_mark(&job->timer, "rootfs");
        if ((r = session_create(ctx->cache->root, &job->session)) < 0)
                return log_error_errno(r, "Failed to create a session: %m"), XB_EXIT_BUILD_FAILED;
        log_debug("Session: %s", job->session->dir);
        if ((ret = vm_boot_files(ctx, job->session->dir, &job->kit, &job->kernel, &job->initrd)) != XB_EXIT_OK)
                return ret;
        build_timer_mark(&job->timer, "kernel");
        r = vm_image_prepare(ctx->cache, job->rs.lowers, job->rs.log_path, log_get_max_level() >= LOG_LEVEL_DEBUG, &job->image,
                             &created, msg, sizeof msg);
        if (r < 0) {
                log_error("Failed to make the VM's root disk: %s", msg[0] ? msg : xb_strerror(r));
                return r == -XB_E_NOT_AVAILABLE ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED;
        }
        log_info("VM root disk: %s%s", job->image, created ? " (made now)" : "");
        build_timer_mark(&job->timer, "image");

        if (!(job->share = path_join(job->session->dir, "share")) || !(job->src = path_join(job->share, "src")) ||
            !(job->jobdir = path_join(job->share, "job")))
                return XB_EXIT_BUILD_FAILED;
        _cleanup_free_ char *out = path_join(job->share, "out"), *steps = path_join(job->share, "steps");
        if (!out || !steps || mkdir(job->share, 0755) < 0 || mkdir(out, 0755) < 0 || mkdir(steps, 0755) < 0 ||
            mkdir(job->jobdir, 0755) < 0)
                return log_error_errno(-errno, "Failed to prepare the job share: %m"), XB_EXIT_BUILD_FAILED;
        if ((ret = build_prepare_source(ctx, job->src, &job->sr)) != XB_EXIT_OK)
                return ret;
        build_timer_mark(&job->timer, "source");
        _cleanup_strv_free_ char **env = job_env(p, job->sr.epoch);
        _cleanup_free_ char *prologue = path_join(job->jobdir, "prologue.sh");
        if (!env || !prologue || (r = write_prologue(prologue, env)) < 0 || (r = build_write_steps(p->steps, steps)) < 0)
                return log_error_errno(r < 0 ? r : -ENOMEM, "Failed to write the job: %m"), XB_EXIT_BUILD_FAILED;

        unsigned char rnd[8];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return log_error_errno(-errno, "Failed to make a nonce: %m"), XB_EXIT_BUILD_FAILED;
        for (size_t i = 0; i < sizeof rnd; i++)
                (void) snprintf(job->nonce + 2 * i, 3, "%02x", rnd[i]);
        job->config = (struct vm_config){
                .va = vm_arch(p->arch),
                .kernel = job->kernel,
                .initrd = job->initrd,
                .image = job->image,
                .share = job->share,
                .tmp_dir = job->session->dir,
                .cpus = ctx->vm->cpus,
                /* A recipe that says it needs more than the default gets it, unless --memory. */
                .memory_mib = !ctx->vm->memory_given && ctx->recipe->memory_mib > ctx->vm->memory_mib ? ctx->recipe->memory_mib
                                                                                                       : ctx->vm->memory_mib,
                .nonce = job->nonce,
                .network = ctx->recipe->network,
        };
        return XB_EXIT_OK;
}

int qemu_job_finish(struct qemu_job *job, int ret) {
        const struct build_ctx *ctx = job->ctx;
        if (job->session) {
                int r = session_destroy(job->session, ctx->keep);
                if (ctx->keep)
                        log_info("Session kept in %s", job->session->dir);
                else if (r < 0) {
                        log_error_errno(r, "Failed to remove the session %s: %m", job->session->dir);
                        if (ret == XB_EXIT_OK)
                                ret = XB_EXIT_CLEANUP_INCOMPLETE;
                }
                job->session = session_free(job->session);
        }
        source_result_clear(&job->sr);
        root_setup_clear(&job->rs);
        vm_kit_clear(&job->kit);
        free(job->kernel);
        free(job->initrd);
        free(job->image);
        free(job->share);
        free(job->src);
        free(job->jobdir);
        *job = (struct qemu_job){0};
        return ret;
}

/* Why the VM ended, when the job did not run to its end; an exit code. */
static int report_vm_end(const struct build_ctx *ctx, const struct vm_outcome *o, const struct step_logs *l,
                         const char *console) {
        const struct recipe *rc = ctx->recipe;
        switch (o->end) {
        case VM_END_STEP_TIMEOUT:
                log_error("Step %u timed out after %u s: the VM was stopped; last lines of %s:", o->step, rc->timeout,
                          strempty(l->log_path));
                print_tail(o->tail);
                return XB_EXIT_BUILD_FAILED;
        case VM_END_INTERRUPTED:
                log_error("Interrupted");
                return XB_EXIT_BUILD_FAILED;
        case VM_END_BOOT_TIMEOUT:
                log_error("The VM did not start the job within %u s (boot watchdog): QEMU was stopped; last console lines (%s):",
                          ctx->vm->boot_timeout_s, console);
                break;
        case VM_END_PANIC:
                if (o->step)
                        log_error("The guest kernel panicked during step %u: %s; last console lines (%s):", o->step, o->detail,
                                  console);
                else
                        log_error("The guest kernel panicked: %s; last console lines (%s):", o->detail, console);
                break;
        case VM_END_INIT_ERROR:
                log_error("The VM could not start the job: %s; last console lines (%s):", o->detail, console);
                break;
        default:
                log_error("%s%s%s; last console lines (%s):", vm_end_to_string(o->end), o->detail[0] ? ": " : "", o->detail,
                          console);
                break;
        }
        print_tail(o->tail);
        return XB_EXIT_GUEST_FAILED;
}

int strategy_qemu_build(const struct build_ctx *ctx) {
        const struct recipe *rc = ctx->recipe;
        const struct plan *p = ctx->plan;
        const struct vm_arch *va = vm_arch(p->arch);
        struct qemu_job job;
        struct vm_outcome o = {0};
        _cleanup_free_ char *console = path_join(ctx->log_dir, "console.log");
        struct step_logs l = {.ctx = ctx, .n_steps = strv_length(p->steps), .fd = -EBADF};
        int r, ret;

        if ((ret = strategy_qemu_prepare(ctx, &job)) != XB_EXIT_OK)
                return qemu_job_finish(&job, ret);
        if (!console)
                return qemu_job_finish(&job, XB_EXIT_BUILD_FAILED);
        (void) unlink(console);
        (void) snprintf(l.prefix, sizeof l.prefix, "[%s %s vm] ", rc->name, arch_to_string(p->arch));

        log_info("Booting the %s VM (%s -M virt -cpu %s, %u CPUs, %llu MiB, TCG); console log: %s", arch_to_string(p->arch),
                 va->qemu, va->cpu, job.config.cpus, job.config.memory_mib, console);
        struct vm_watch w = {.boot_timeout_s = ctx->vm->boot_timeout_s, .step_timeout_s = rc->timeout, .console_log = console};
        struct vm_job_hooks hooks = {.job_start = on_job_start, .step_start = on_step_start, .step_end = on_step_end,
                                     .output = on_output, .userdata = &l};
        r = vm_run_job(&job.config, &w, &hooks, &o);
        if (r < 0) {
                log_error_errno(r, "Failed to start %s: %m", va->qemu);
                ret = r == -ENOENT ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        /* Boot and steps are separate phases: the boot is the VM's fixed cost. */
        build_timer_add(&job.timer, "boot", o.boot_s);
        build_timer_add(&job.timer, "steps", o.job_s);
        if (signals_interrupted() && o.end != VM_END_JOB_DONE)
                o.end = VM_END_INTERRUPTED;
        if (o.end != VM_END_JOB_DONE) {
                ret = report_vm_end(ctx, &o, &l, console);
                goto finish;
        }
        log_info("VM: boot %.1f s, steps %.1f s", o.boot_s, o.job_s);
        if (!streq(l.machine, va->uname_m)) {
                log_error("Canary failed: the guest's 'uname -m' printed '%s' (expected %s)", l.machine, va->uname_m);
                ret = XB_EXIT_GUEST_FAILED;
                goto finish;
        }
        if (o.job_status != 0) {
                /* The share holds the guest's own record of the status: the console is only a pipe. */
                _cleanup_free_ char *name = NULL, *path = NULL, *text = NULL;
                int status = o.job_status;
                if (asprintf(&name, "status-%02u", o.step) >= 0 && (path = path_join(job.jobdir, name)) &&
                    read_full_file(path, 64, &text, NULL) >= 0)
                        status = (int) strtol(text, NULL, 10);
                struct spawn_result res = {.exit_code = status, .tail = tail_join(&l)};
                ret = build_step_finished(0, o.step, l.n_steps, &res, strempty(l.log_path), l.started);
                goto finish;
        }
        if (l.step != l.n_steps) {
                log_error("The VM ran %u of %zu steps", l.step, l.n_steps);
                ret = XB_EXIT_GUEST_FAILED;
                goto finish;
        }
        ret = build_collect_artifacts(ctx, job.src);
        build_timer_mark(&job.timer, "collect");
        if (ret == XB_EXIT_OK) {
                _cleanup_strv_free_ char **where = NULL;
                if (strv_extendf(&where, "kind=qemu-system") < 0 || strv_extendf(&where, "machine=%s", l.machine) < 0 ||
                    strv_extendf(&where, "qemu=%s -M virt -cpu %s", va->qemu, va->cpu) < 0 ||
                    strv_extendf(&where, "cpus=%u", job.config.cpus) < 0 ||
                    strv_extendf(&where, "memory_mib=%llu", job.config.memory_mib) < 0 ||
                    strv_extendf(&where, "kernel=%s", job.kit.package ? job.kit.package : job.kernel) < 0 ||
                    strv_extendf(&where, "root_image=%s", job.image) < 0)
                        ret = XB_EXIT_BUILD_FAILED;
                else
                        ret = build_verify_and_report(ctx, job.rs.base, rc->source.kind == SOURCE_GIT ? rc->source.commit : NULL,
                                                      job.sr.epoch, NULL, where, job.timer.phases, job.timer.n);
        }
finish:
        step_logs_clear(&l);
        vm_outcome_clear(&o);
        return qemu_job_finish(&job, ret);
}
