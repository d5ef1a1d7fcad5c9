/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"
#include "kit.h"

/* One QEMU process: a -M virt machine booting the kit's kernel and initrd, the root disk
 * attached with snapshot=on (writes land in a temporary overlay QEMU deletes), the job share
 * as virtio-9p (mounted at /xbuild by the initrd), the serial console read by us line by line
 * and always kept in a log, never left unread. */
struct vm_config {
        const struct vm_arch *va;
        const char *kernel, *initrd, *image;
        const char *share;       /* host directory: /xbuild in the guest */
        const char *tmp_dir;     /* where QEMU keeps the snapshot overlay */
        unsigned cpus;
        unsigned long long memory_mib;
        const char *nonce;       /* hex, for the console markers */
        bool shell;              /* interactive: the console is our terminal */
        bool network;            /* user-mode network (outbound); else a NIC that reaches nothing */
        const char *shell_log;   /* shell: QEMU copies the console here */
        const char *modules;     /* the kit's modules tree: /lib/modules/KVER in the guest,
                                  * read-only; NULL: none */
        const char *cgroup;      /* "v1": one hierarchy per controller; NULL or "v2": unified */
        long long clock_epoch;   /* the host's time at launch: the guest's clock is never
                                  * earlier; 0: not given */
};

/* The QEMU command line (pure; for tests and 'plan'). */
int vm_qemu_argv(const struct vm_config *c, char ***ret);

/* "2048", "2048M", "2G", "2GiB" -> MiB. -EINVAL on anything else or out of 128 MiB..1 TiB. */
int vm_parse_memory(const char *s, unsigned long long *ret_mib);

enum vm_end {
        VM_END_JOB_DONE,      /* the job ran to its end: see job_status */
        VM_END_BOOT_TIMEOUT,  /* no job-start marker within the boot watchdog */
        VM_END_STEP_TIMEOUT,  /* a step ran past its timeout (the guest was killed) */
        VM_END_PANIC,         /* the guest kernel panicked */
        VM_END_INIT_ERROR,    /* the initrd could not set the job up */
        VM_END_QEMU_EXITED,   /* QEMU ended without a job end (its own error, or a reset) */
        VM_END_INTERRUPTED,   /* we were asked to stop */
        _VM_END_MAX,
        _VM_END_INVALID = -EINVAL,
};
const char *vm_end_to_string(enum vm_end e);

struct vm_job_hooks {
        void (*job_start)(void *userdata, const char *uptime, const char *machine);
        void (*step_start)(void *userdata, unsigned step);
        void (*step_end)(void *userdata, unsigned step, int status);
        /* Every console line that is not a marker, with the step it belongs to (0: none). */
        void (*output)(void *userdata, unsigned step, const char *line);
        void *userdata;
};

struct vm_watch {
        unsigned boot_timeout_s; /* QEMU start to job-start */
        unsigned step_timeout_s; /* each step; 0: none */
        const char *console_log; /* every console line, appended */
        void (*on_tick)(void *userdata); /* optional: at least once a second while QEMU runs */
        void *tick_userdata;
};

struct vm_outcome {
        enum vm_end end;
        int job_status;        /* JOB_DONE: 0 or the failed step's status */
        unsigned step;         /* the step running or failed (0: none) */
        double boot_s;         /* QEMU start to job-start */
        double job_s;          /* job-start to job-end */
        char detail[256];      /* INIT_ERROR, QEMU_EXITED: why */
        char *tail;            /* the last console lines, '\n'-joined */
};
void vm_outcome_clear(struct vm_outcome *o);

/* Runs QEMU to its end, enforcing the watchdogs; QEMU is always reaped (SIGTERM, then
 * SIGKILL). Returns 0 with *out filled whatever the guest did, -errno when QEMU could not be
 * started. */
int vm_run_job(const struct vm_config *c, const struct vm_watch *w, const struct vm_job_hooks *hooks,
               struct vm_outcome *out);

/* The job share (/xbuild in the guest) beside the source and steps already there: out/,
 * job/prologue.sh with env; a fresh nonce for the console markers. */
int vm_share_prepare(const char *share, char *const *env, char ret_nonce[17], struct xb_detail *err);
/* The status the guest recorded for a step in the share (the console is only a pipe), or
 * fallback. */
int vm_share_step_status(const char *share, unsigned step, int fallback);

/* Why the VM ended without reaching the job's end, in one line (malloc'd; NULL: OOM). */
char *vm_outcome_describe(const struct vm_outcome *o, const struct vm_watch *w);

/* Interactive: the console on our terminal until the guest powers off. Returns QEMU's exit
 * status, or -errno. */
int vm_run_interactive(const struct vm_config *c);

/* Parses one console line for the marker of nonce: returns the text after
 * "XBUILD-<nonce> " or NULL. */
const char *vm_marker(const char *line, const char *nonce);
