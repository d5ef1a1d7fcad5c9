/* SPDX-License-Identifier: MIT */
#pragma once

#include "build.h"
#include "chroot-root.h"
#include "fetch/source.h"
#include "qemu/kit.h"
#include "qemu/vm-run.h"
#include "report/build-report.h"

/* One VM run being prepared or run: what 'build --strategy=qemu-system' and 'shell' share. */
struct qemu_job {
        const struct build_ctx *ctx;
        struct root_setup rs;
        struct session *session;
        struct vm_kit kit;
        struct source_result sr;
        char *kernel, *initrd, *image;
        char *share;  /* SESSION/share: /xbuild in the guest */
        char *src;    /* share/src */
        char *jobdir; /* share/job: prologue.sh, status-NN */
        char nonce[17];
        struct vm_config config;
        struct build_timer timer;
};

/* Root file system, kernel and initrd, root image, the session and its share with the source
 * and the steps; job->config is ready to run. Returns an exit code (reported). Call
 * qemu_job_finish() whatever it returned. */
int strategy_qemu_prepare(const struct build_ctx *ctx, struct qemu_job *job);
/* Removes the session (unless --keep) and frees; returns ret, or 5 when the session could not
 * be removed after a success. */
int qemu_job_finish(struct qemu_job *job, int ret);
