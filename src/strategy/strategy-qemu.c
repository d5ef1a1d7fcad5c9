/* SPDX-License-Identifier: MIT */
/* The qemu-system strategy: the recipe's steps run inside a full ARM virtual machine
 * (-M virt, TCG), unattended. prepare: the rootfs and build_deps (as chroot), the kernel kit,
 * the ext4 root image; the job share SESSION/share is /xbuild in the guest (src, out, steps,
 * job/prologue.sh). One boot runs every step: the initrd's /init (qemu/initrd.c) marks them
 * on the console, which this side watches. 'xbuild shell' is the same with the console on the
 * terminal instead of the steps. */
#include <string.h>
#include <time.h>

#include "chroot-root.h"
#include "chroot/session.h"
#include "core/log.h"
#include "core/path.h"
#include "core/signals.h"
#include "core/strv.h"
#include "pipeline.h"
#include "qemu/disk-image.h"
#include "qemu/vm-run.h"
#include "report/build-progress.h"

struct qemu_build {
        struct root_setup rs;
        struct vm_boot boot;
        char *image;
        char *share;  /* SESSION/share: /xbuild in the guest */
        char nonce[17];
        struct vm_config config;
        char machine[32]; /* the guest's uname -m */
};

static int qemu_prepare(struct build_job *job) {
        struct qemu_build *q = job->priv;
        bool created;
        int r;

        build_phase_begin(job, "rootfs");
        if ((r = root_setup_for_job(job, job->plan->build_deps, &q->rs)) < 0)
                return r;
        build_phase_begin(job, "kernel");
        _cleanup_free_ char *logname = NULL, *log_path = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        if (asprintf(&logname, "vm-kit-%s.log", job->ai->name) < 0 || !(log_path = build_cache_log_path(job, logname)))
                return -ENOMEM;
        struct vm_kit_req req = {.cache = job->cache, .rf = job->rootfs, .arch = job->plan->arch, .http = {.retries = 3},
                                 .log_path = log_path, .echo = log_get_max_level() >= LOG_LEVEL_DEBUG};
        if ((r = vm_boot_prepare(&req, job->opts->vm->kernel, job->opts->vm->initrd, job->session->dir, &q->boot, &e)) < 0)
                return build_fail_error(job, r, &e);
        if (q->boot.kit_created)
                log_info("Prepared the VM kernel %s and initrd in %s", q->boot.kit.package, q->boot.kit.dir);
        build_phase_begin(job, "image");
        r = vm_image_prepare(job->cache, q->rs.lowers, q->rs.log_path, log_get_max_level() >= LOG_LEVEL_DEBUG, &q->image,
                             &created, &e);
        if (r < 0)
                return build_fail(job, r == -XB_E_NOT_AVAILABLE ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED,
                                  "Failed to make the VM's root disk: %s", xb_detail_text(&e, r));
        log_info("VM root disk: %s%s", q->image, created ? " (made now)" : "");
        return 0;
}

/* The share beside the source and the steps (out/, job/prologue.sh), the machine's config. */
static int qemu_stage(struct build_job *job) {
        struct qemu_build *q = job->priv;
        const struct vm_opts *vo = job->opts->vm;
        _cleanup_strv_free_ char **env = build_step_env(job);
        struct xb_detail e = {0};
        int r;

        if (!env || !(q->share = path_join(job->session->dir, "share")))
                return -ENOMEM;
        if ((r = vm_share_prepare(q->share, env, q->nonce, &e)) < 0)
                return build_fail_error(job, r, &e);
        q->config = (struct vm_config){
                .va = vm_arch(job->plan->arch),
                .kernel = q->boot.kernel,
                .initrd = q->boot.initrd,
                .image = q->image,
                .share = q->share,
                .tmp_dir = job->session->dir,
                .cpus = vo->cpus,
                /* A recipe that says it needs more than the default gets it, unless --memory. */
                .memory_mib = !vo->memory_given && job->recipe->memory_mib > vo->memory_mib ? job->recipe->memory_mib
                                                                                            : vo->memory_mib,
                .nonce = q->nonce,
                .network = job->recipe->network,
                /* A kernel of the user's has no module tree of ours. */
                .modules = vo->kernel ? NULL : q->boot.kit.modules,
                .clock_epoch = (long long) time(NULL),
        };
        return 0;
}

static void on_job_start(void *userdata, const char *uptime, const char *machine) {
        struct build_job *job = userdata;
        struct qemu_build *q = job->priv;
        (void) snprintf(q->machine, sizeof q->machine, "%s", machine);
        log_info("VM up: the job started at guest uptime %s s (uname -m: %s)", uptime, machine);
        build_phase_begin(job, "steps");
}

static void on_step_start(void *userdata, unsigned step) {
        build_step_begin(userdata, step);
}

static void on_step_end(void *userdata, unsigned step, int status) {
        struct spawn_result ok = {0};
        /* A failure is judged after the run, with the status the guest wrote to the share. */
        if (status == 0)
                (void) build_step_end(userdata, step, &ok);
}

static void on_output(void *userdata, unsigned step, const char *line) {
        struct build_job *job = userdata;
        if (step != 0 && step == job->step)
                build_step_line(job, line);
        else if (log_get_max_level() >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "%s%s\n", job->log_prefix, line);
}

static int qemu_run_steps(struct build_job *job) {
        struct qemu_build *q = job->priv;
        const struct vm_arch *va = q->config.va;
        _cleanup_(vm_outcome_clear) struct vm_outcome o = {0};
        _cleanup_free_ char *console = build_log_path(job, "console.log");
        int r;

        if (!console)
                return -ENOMEM;
        (void) unlink(console);
        log_info("Booting the %s VM (%s -M virt -cpu %s, %u CPUs, %llu MiB, TCG); console log: %s", job->ai->name, va->qemu,
                 va->cpu, q->config.cpus, q->config.memory_mib, console);
        struct vm_watch w = {.boot_timeout_s = job->opts->vm->boot_timeout_s, .step_timeout_s = job->recipe->timeout,
                             .console_log = console, .on_tick = build_progress_tick};
        struct vm_job_hooks hooks = {.job_start = on_job_start, .step_start = on_step_start, .step_end = on_step_end,
                                     .output = on_output, .userdata = job};
        /* The boot is the VM's fixed cost: its own phase, until the job starts. */
        build_phase_begin(job, "boot");
        r = vm_run_job(&q->config, &w, &hooks, &o);
        if (r < 0)
                return build_fail_errno(job, r, r == -ENOENT ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED,
                                        "Failed to start %s: %m", va->qemu);
        if (signals_interrupted() && o.end != VM_END_JOB_DONE)
                o.end = VM_END_INTERRUPTED;
        if (o.end != VM_END_JOB_DONE) {
                _cleanup_free_ char *why = vm_outcome_describe(&o, &w);
                bool build = o.end == VM_END_STEP_TIMEOUT || o.end == VM_END_INTERRUPTED;
                build_fail(job, build ? XB_EXIT_BUILD_FAILED : XB_EXIT_GUEST_FAILED, "%s", why ? why : "The VM failed");
                if (o.end != VM_END_INTERRUPTED)
                        build_fail_tail(job, o.tail, o.end == VM_END_STEP_TIMEOUT ? job->step_log_path : console);
                return -EIO;
        }
        log_info("VM: boot %.1f s, steps %.1f s", o.boot_s, o.job_s);
        if (!streq(q->machine, va->uname_m))
                return build_fail(job, XB_EXIT_GUEST_FAILED, "Canary failed: the guest's 'uname -m' printed '%s' (expected %s)",
                                  q->machine, va->uname_m);
        if (o.job_status != 0) {
                struct spawn_result res = {.exit_code = vm_share_step_status(q->share, o.step, o.job_status)};
                return build_step_end(job, o.step, &res);
        }
        if (job->step != job->n_steps)
                return build_fail(job, XB_EXIT_GUEST_FAILED, "The VM ran %zu of %zu steps", job->step, job->n_steps);
        return 0;
}

static char *const *qemu_sysroot(struct build_job *job) {
        return ((struct qemu_build *) job->priv)->rs.lowers;
}

static int qemu_build_host(struct build_job *job, char ***ret) {
        struct qemu_build *q = job->priv;
        const struct vm_arch *va = q->config.va;
        return strv_splitf(ret, "kind=qemu-system\nmachine=%s\nqemu=%s -M virt -cpu %s\ncpus=%u\nmemory_mib=%llu\n"
                                "kernel=%s\nroot_image=%s",
                           q->machine, va->qemu, va->cpu, q->config.cpus, q->config.memory_mib,
                           q->boot.kit.package ? q->boot.kit.package : q->boot.kernel, q->image);
}

static int qemu_teardown(struct build_job *job) {
        struct qemu_build *q = job->priv;
        root_setup_clear(&q->rs);
        vm_boot_clear(&q->boot);
        free(q->image);
        free(q->share);
        return 0;
}

/* 'xbuild shell': the console is the terminal; the session ends when the guest powers off. */
static int qemu_run_shell(struct build_job *job) {
        struct qemu_build *q = job->priv;
        _cleanup_free_ char *console = build_log_path(job, "shell-console.log");
        int r;

        if (!console)
                return -ENOMEM;
        q->config.shell = true;
        q->config.shell_log = console;
        log_info("Booting the %s VM; the shell starts in /xbuild/src, steps are in /xbuild/steps (console log: %s)",
                 job->ai->name, console);
        /* ^C belongs to the guest's shell while QEMU runs (the preparation before stops on it);
         * SIGTERM still stops QEMU. */
        signals_forward_install(true);
        r = vm_run_interactive(&q->config);
        signals_forward_install(false);
        if (r < 0)
                return build_fail_errno(job, r, r == -ENOENT ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED,
                                        "Failed to start %s: %m", q->config.va->qemu);
        if (r != 0)
                return build_fail(job, XB_EXIT_GUEST_FAILED, "%s ended with status %d", q->config.va->qemu, r);
        log_info("The VM powered off");
        return 0;
}

const struct strategy_ops strategy_qemu_ops = {
        .id = XB_STRATEGY_QEMU_SYSTEM,
        .priv_size = sizeof(struct qemu_build),
        .src_subdir = "share/src",
        .steps_subdir = "share/steps",
        .probe = root_setup_probe,
        .prepare = qemu_prepare,
        .stage = qemu_stage,
        .run_steps = qemu_run_steps,
        .sysroot = qemu_sysroot,
        .build_host = qemu_build_host,
        .teardown = qemu_teardown,
};

const struct strategy_ops strategy_qemu_shell_ops = {
        .id = XB_STRATEGY_QEMU_SYSTEM,
        .priv_size = sizeof(struct qemu_build),
        .src_subdir = "share/src",
        .steps_subdir = "share/steps",
        .interactive = true,
        .probe = root_setup_probe,
        .prepare = qemu_prepare,
        .stage = qemu_stage,
        .run_steps = qemu_run_shell,
        .teardown = qemu_teardown,
};
