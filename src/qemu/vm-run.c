/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "core/units.h"
#include "core/fileio.h"
#include "core/path.h"
#include "initrd.h"
#include "vm-run.h"

/* After the guest said its last word (job-end, a panic): time for QEMU to exit by itself. */
#define SHUTDOWN_GRACE_MS 60000LL
#define PANIC_GRACE_MS 3000LL
/* Between steps, and from job-start to the first step. */
#define BETWEEN_STEPS_MS 120000LL

static const char *const vm_end_names[_VM_END_MAX] = {
        [VM_END_JOB_DONE] = "job done",
        [VM_END_BOOT_TIMEOUT] = "boot watchdog expired",
        [VM_END_STEP_TIMEOUT] = "step timed out",
        [VM_END_PANIC] = "guest kernel panic",
        [VM_END_INIT_ERROR] = "guest init failed",
        [VM_END_QEMU_EXITED] = "QEMU exited before the job ended",
        [VM_END_INTERRUPTED] = "interrupted",
};

const char *vm_end_to_string(enum vm_end e) {
        return e >= 0 && e < _VM_END_MAX ? vm_end_names[e] : NULL;
}

void vm_outcome_clear(struct vm_outcome *o) {
        free(o->tail);
        *o = (struct vm_outcome){0};
}

int vm_parse_memory(const char *s, unsigned long long *ret_mib) {
        return parse_size_mib(s, 128, 1ULL << 20, ret_mib);
}

/* QEMU's -drive/-fsdev option syntax: a ',' inside a value is written ",,". */
static char *qemu_escape(const char *s) {
        size_t n = strlen(s), commas = 0;
        for (size_t i = 0; i < n; i++)
                commas += s[i] == ',';
        char *out = malloc(n + commas + 1), *p = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                *p++ = s[i];
                if (s[i] == ',')
                        *p++ = ',';
        }
        *p = 0;
        return out;
}

int vm_qemu_argv(const struct vm_config *c, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *image = qemu_escape(c->image), *share = qemu_escape(c->share);
        int r = 0;

        if (!image || !share)
                return -ENOMEM;
#define ADD(...)                                                                                   \
        do {                                                                                       \
                if ((r = strv_extendf(&argv, __VA_ARGS__)) < 0)                                    \
                        return r;                                                                  \
        } while (0)
        ADD("%s", c->va->qemu);
        /* -nodefaults: no default NIC wanting a boot ROM Debian ships in another package; no
         * reboot, and panic=-1: a guest that panics or resets ends QEMU instead of looping. */
        ADD("-M");
        ADD("virt");
        ADD("-cpu");
        ADD("%s", c->va->cpu);
        ADD("-smp");
        ADD("%u", c->cpus);
        ADD("-m");
        ADD("%lluM", c->memory_mib);
        ADD("-nodefaults");
        ADD("-no-user-config");
        ADD("-no-reboot");
        ADD("-display");
        ADD("none");
        ADD("-kernel");
        ADD("%s", c->kernel);
        ADD("-initrd");
        ADD("%s", c->initrd);
        ADD("-append");
        ADD("console=ttyAMA0 panic=-1 loglevel=4 rdinit=/init xbuild.nonce=%s%s%s%s xbuild.cgroup=%s xbuild.epoch=%lld", c->nonce,
            c->shell ? " xbuild.shell=1" : "", c->network ? " xbuild.net=1" : "", c->modules ? " xbuild.modules=1" : "",
            c->cgroup && streq(c->cgroup, "v1") ? "v1" : "v2", c->clock_epoch);
        ADD("-drive");
        ADD("if=none,id=root,file=%s,format=raw,snapshot=on", image);
        ADD("-device");
        ADD("virtio-blk-pci,drive=root");
        ADD("-device");
        ADD("virtio-rng-pci");
        ADD("-fsdev");
        ADD("local,id=share,path=%s,security_model=none", share);
        ADD("-device");
        ADD("virtio-9p-pci,fsdev=share,mount_tag=xbuild");
        if (c->modules) {
                _cleanup_free_ char *mods = qemu_escape(c->modules);
                if (!mods)
                        return -ENOMEM;
                ADD("-fsdev");
                ADD("local,id=modules,path=%s,security_model=none,readonly=on", mods);
                ADD("-device");
                ADD("virtio-9p-pci,fsdev=modules,mount_tag=modules");
        }
        /* A NIC is there either way (a build may probe for one); restrict=on gives it no way out. */
        ADD("-netdev");
        ADD("user,id=n0,restrict=%s", c->network ? "off" : "on");
        ADD("-device");
        ADD("virtio-net-pci,netdev=n0,romfile=");
        if (c->shell) {
                ADD("-monitor");
                ADD("none");
                ADD("-chardev");
                _cleanup_free_ char *log = c->shell_log ? qemu_escape(c->shell_log) : NULL;
                if (c->shell_log && !log)
                        return -ENOMEM;
                /* signal=off: ^C goes to the guest's shell, not to QEMU. */
                ADD("stdio,id=con0,mux=on,signal=off%s%s", log ? ",logfile=" : "", strempty(log));
                ADD("-serial");
                ADD("chardev:con0");
        } else {
                ADD("-monitor");
                ADD("none");
                ADD("-serial");
                ADD("stdio");
        }
#undef ADD
        *ret = TAKE_PTR(argv);
        return 0;
}

const char *vm_marker(const char *line, const char *nonce) {
        const char *p = strstr(line, "XBUILD-");
        size_t n = strlen(nonce);

        /* Anywhere in the line: a kernel message may have been printed just before it. */
        while (p) {
                if (strneq(p + STRLEN("XBUILD-"), nonce, n) && p[STRLEN("XBUILD-") + n] == ' ')
                        return p + STRLEN("XBUILD-") + n + 1;
                p = strstr(p + 1, "XBUILD-");
        }
        return NULL;
}

struct watch_state {
        const struct vm_watch *w;
        const struct vm_job_hooks *hooks;
        const char *nonce;
        long long deadline, started, job_started;
        enum { PHASE_BOOT, PHASE_STEP, PHASE_BETWEEN, PHASE_DONE, PHASE_PANIC, PHASE_INIT_ERROR } phase;
        unsigned step;
        int job_status;
        bool job_ended;
        struct vm_outcome *out;
};

static void on_console_line(void *userdata, const char *line) {
        struct watch_state *s = userdata;
        const struct vm_job_hooks *h = s->hooks;
        const char *m = vm_marker(line, s->nonce);
        long long now = spawn_now_ms();

        if (!m) {
                const char *panic = strstr(line, "Kernel panic - not syncing");
                if (panic && s->phase != PHASE_PANIC) {
                        /* The trace that follows pushes this line out of the tail: keep it. */
                        (void) snprintf(s->out->detail, sizeof s->out->detail, "%s", panic);
                        /* QEMU ends by itself (panic=-1, -no-reboot); the trace follows first. */
                        s->phase = PHASE_PANIC;
                        s->deadline = now + PANIC_GRACE_MS;
                }
                if (h && h->output)
                        h->output(h->userdata, s->phase == PHASE_STEP ? s->step : 0, line);
                return;
        }
        if (strneq(m, "job-start ", STRLEN("job-start "))) {
                char uptime[32] = "", machine[32] = "";
                (void) sscanf(m + STRLEN("job-start "), "%31s %31s", uptime, machine);
                s->out->boot_s = (double) (now - s->started) / 1000.0;
                s->job_started = now;
                s->phase = PHASE_BETWEEN;
                s->deadline = now + BETWEEN_STEPS_MS;
                if (h && h->job_start)
                        h->job_start(h->userdata, uptime, machine);
        } else if (strneq(m, "step-start ", STRLEN("step-start "))) {
                s->step = (unsigned) strtoul(m + STRLEN("step-start "), NULL, 10);
                s->phase = PHASE_STEP;
                s->deadline = s->w->step_timeout_s ? now + (long long) s->w->step_timeout_s * 1000 : 0;
                if (h && h->step_start)
                        h->step_start(h->userdata, s->step);
        } else if (strneq(m, "step-end ", STRLEN("step-end "))) {
                unsigned n = 0;
                int st = -1;
                (void) sscanf(m + STRLEN("step-end "), "%u %d", &n, &st);
                s->phase = PHASE_BETWEEN;
                s->deadline = now + BETWEEN_STEPS_MS;
                if (h && h->step_end)
                        h->step_end(h->userdata, n, st);
        } else if (strneq(m, "job-end ", STRLEN("job-end "))) {
                s->job_status = (int) strtol(m + STRLEN("job-end "), NULL, 10);
                s->job_ended = true;
                s->out->job_s = s->job_started ? (double) (now - s->job_started) / 1000.0 : 0;
                s->phase = PHASE_DONE;
                s->deadline = now + SHUTDOWN_GRACE_MS;
        } else if (strneq(m, "init-error ", STRLEN("init-error "))) {
                (void) snprintf(s->out->detail, sizeof s->out->detail, "%s", m + STRLEN("init-error "));
                s->phase = PHASE_INIT_ERROR;
                s->deadline = now + SHUTDOWN_GRACE_MS;
        }
}

static int qemu_env(const struct vm_config *c, char ***ret) {
        extern char **environ;
        char **env = strv_copy(environ);
        /* snapshot=on keeps its overlay in TMPDIR: the session's, so it goes with it. */
        if (!env || (c->tmp_dir && strv_env_set(&env, "TMPDIR", c->tmp_dir) < 0)) {
                strv_free(env);
                return -ENOMEM;
        }
        *ret = env;
        return 0;
}

int vm_run_job(const struct vm_config *c, const struct vm_watch *w, const struct vm_job_hooks *hooks,
               struct vm_outcome *out) {
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        struct vm_outcome o = {0};
        struct watch_state s = {.w = w, .hooks = hooks, .nonce = c->nonce, .out = &o};
        struct spawn_result res = {0};
        int r;

        if ((r = vm_qemu_argv(c, &argv)) < 0 || (r = qemu_env(c, &env)) < 0)
                return r;
        s.started = spawn_now_ms();
        s.deadline = s.started + (long long) w->boot_timeout_s * 1000;
        struct spawn_req req = {.argv = argv, .envp = env, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                .log_path = w->console_log, .flags = SPAWN_NEW_PGRP, .on_line = on_console_line,
                                .userdata = &s, .deadline_ms = &s.deadline, .on_tick = w->on_tick,
                                .tick_userdata = w->tick_userdata};
        if (log_get_max_level() >= LOG_LEVEL_DEBUG) {
                _cleanup_free_ char *line = strv_join(argv, " ");
                log_debug("QEMU: %s", strempty(line));
        }
        r = spawn_run(&req, &res);
        if (r < 0)
                return r;

        o.step = s.step;
        o.job_status = s.job_status;
        o.tail = TAKE_PTR(res.tail);
        if (s.job_ended)
                o.end = VM_END_JOB_DONE; /* a slow power-off after it changes nothing */
        else if (s.phase == PHASE_PANIC)
                o.end = VM_END_PANIC;
        else if (s.phase == PHASE_INIT_ERROR)
                o.end = VM_END_INIT_ERROR;
        else if (res.timed_out && s.phase == PHASE_BOOT)
                o.end = VM_END_BOOT_TIMEOUT;
        else if (res.timed_out)
                o.end = VM_END_STEP_TIMEOUT;
        else if (res.signal == SIGTERM || res.signal == SIGINT)
                o.end = VM_END_INTERRUPTED;
        else {
                char how[128];
                o.end = VM_END_QEMU_EXITED;
                (void) snprintf(o.detail, sizeof o.detail, "QEMU %s", spawn_result_describe(&res, how, sizeof how));
        }
        *out = o;
        return 0;
}

int vm_run_interactive(const struct vm_config *c) {
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        struct spawn_result res = {0};
        int r;

        if ((r = vm_qemu_argv(c, &argv)) < 0 || (r = qemu_env(c, &env)) < 0)
                return r;
        struct spawn_req req = {.argv = argv, .envp = env, .stdin_fd = 0, .output = SPAWN_OUTPUT_INHERIT};
        r = spawn_run(&req, &res);
        if (r < 0)
                return r;
        r = res.signal ? 128 + res.signal : res.exit_code;
        spawn_result_clear(&res);
        return r;
}

char *vm_outcome_describe(const struct vm_outcome *o, const struct vm_watch *w) {
        char *s = NULL;
        int r;

        switch (o->end) {
        case VM_END_STEP_TIMEOUT:
                r = asprintf(&s, "Step %u timed out after %u s: the VM was stopped", o->step, w->step_timeout_s);
                break;
        case VM_END_INTERRUPTED:
                r = asprintf(&s, "Interrupted");
                break;
        case VM_END_BOOT_TIMEOUT:
                r = asprintf(&s, "The VM did not start the job within %u s (boot watchdog): QEMU was stopped",
                             w->boot_timeout_s);
                break;
        case VM_END_PANIC:
                if (o->step)
                        r = asprintf(&s, "The guest kernel panicked during step %u: %s", o->step, o->detail);
                else
                        r = asprintf(&s, "The guest kernel panicked: %s", o->detail);
                break;
        case VM_END_INIT_ERROR:
                r = asprintf(&s, "The VM could not start the job: %s", o->detail);
                break;
        default:
                r = asprintf(&s, "%s%s%s", vm_end_to_string(o->end), o->detail[0] ? ": " : "", o->detail);
                break;
        }
        return r < 0 ? NULL : s;
}

int vm_share_prepare(const char *share, char *const *env, char ret_nonce[17], struct xb_detail *err) {
        _cleanup_free_ char *out = path_join(share, "out"), *job = path_join(share, "job"), *prologue = NULL;
        unsigned char rnd[8];
        int r;

        if (!out || !job || !(prologue = path_join(job, "prologue.sh")))
                return -ENOMEM;
        if (mkdir(out, 0755) < 0 || mkdir(job, 0755) < 0)
                return r = -errno, xb_detail_set(err, r, "Failed to prepare the job share %s: %s", share, xb_strerror(r));
        if ((r = initrd_write_prologue(prologue, env)) < 0)
                return xb_detail_set(err, r, "Failed to write '%s': %s", prologue, xb_strerror(r));
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return r = -errno, xb_detail_set(err, r, "Failed to make a nonce: %s", xb_strerror(r));
        for (size_t i = 0; i < sizeof rnd; i++)
                (void) snprintf(ret_nonce + 2 * i, 3, "%02x", rnd[i]);
        return 0;
}

int vm_share_step_status(const char *share, unsigned step, int fallback) {
        _cleanup_free_ char *name = NULL, *path = NULL, *text = NULL;
        if (asprintf(&name, "job/status-%02u", step) >= 0 && (path = path_join(share, name)) &&
            read_full_file(path, 64, &text, NULL) >= 0)
                return (int) strtol(text, NULL, 10);
        return fallback;
}
