/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"

/* The VM's initrd, made on the host without emulation: a static busybox, the kernel modules
 * that reach the root disk and the job share (every virtio, ext4 and 9p driver is a module in
 * Debian's armmp and arm64 kernels), and an /init that mounts the root disk and the share, runs
 * the job's steps in the root file system and powers off.
 *
 * The guest side of the job protocol, all on the serial console:
 *   XBUILD-<nonce> job-start <uptime>        the share is mounted, steps follow
 *   XBUILD-<nonce> step-start <n>            output of step n follows
 *   XBUILD-<nonce> step-end <n> <status>     its exit status
 *   XBUILD-<nonce> job-end <status>          0, or the first failed step's status
 *   XBUILD-<nonce> init-error <text>         the init could not set the job up
 * The nonce is on the kernel command line (xbuild.nonce=), so nothing a step prints by
 * accident is taken for a marker. Statuses are also written to the share (job/status-NN). */

/* The modules /init loads, by name, in an order that satisfies their dependencies once
 * expanded with modprobe --show-depends. */
extern const char *const initrd_wanted_modules[];
/* Modules left out although a dependency names them (crc32-arm-ce: a 3 s self-test under
 * TCG, and cortex-a15 lacks the instructions anyway; crc32c_generic serves). */
bool initrd_module_excluded(const char *file_name);

/* Parses the output of 'modprobe --show-depends' ("insmod PATH [ARGS]" lines, "builtin NAME"
 * lines) and appends each module path not yet in *list (NULL-terminated strv). Paths
 * excluded by initrd_module_excluded() are skipped. Returns 0 or -ENOMEM. */
int initrd_parse_show_depends(const char *text, char ***list);

/* The text of /init. */
const char *initrd_init_script(void);

/* Writes a gzip'd newc cpio to path (atomically): /init, /bin/busybox from busybox_path, the
 * modules (paths on the host; .ko, or .ko.xz/.ko.zst decompressed) as /lib/modules/NN-name.ko
 * with /lib/modules/order, and /dev/console. Timestamps are zero, so the same inputs give the
 * same bytes. Returns 0 or -errno / -XB_E_ARCHIVE (err says why). */
int initrd_write(const char *path, const char *busybox_path, char *const *modules, struct xb_detail *err);

/* The job's environment for the guest (job/prologue.sh), sourced by /bin/sh before each step:
 * values single-quoted, so they are data to the shell; then cd /xbuild/src. */
int initrd_write_prologue(const char *path, char *const *env);
