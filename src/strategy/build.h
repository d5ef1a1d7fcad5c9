/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "fetch/cache.h"
#include "recipe/recipe.h"
#include "recipe/rootfs.h"
#include "strategy/plan.h"

/* What every strategy's build driver gets, and what it reports. Drivers log their own
 * failures (once) and return an exit code (enum xb_exit). */
/* The qemu-system strategy's machine. */
struct vm_opts {
        unsigned cpus;
        unsigned long long memory_mib;
        bool memory_given;        /* --memory: else the recipe's memory: when it says more */
        unsigned boot_timeout_s;  /* QEMU start to the job's start */
        const char *kernel;       /* --kernel, NULL: Debian's, from the kit */
        const char *initrd;       /* --initrd */
};

/* The remote strategy's host. */
struct remote_opts {
        const char *host;        /* --host: a hosts.yaml name or [USER@]HOST[:PORT]; NULL: the pool */
        const char *hosts_file;  /* --hosts, NULL: $XDG_CONFIG_HOME/xbuild/hosts.yaml */
        const char *ssh_config;  /* --ssh-config: ssh -F */
        bool accept_new_host_key;
        bool install_deps;       /* --remote-install-deps */
};

struct build_ctx {
        const struct recipe *recipe;
        const struct plan *plan;
        const struct cache *cache;
        const struct rootfs_def *rootfs;
        const char *source_override; /* --source */
        const char *out_dir;         /* OUT/NAME/ARCH */
        const char *log_dir;         /* OUT/NAME/ARCH/logs */
        bool keep;                   /* keep the session for inspection */
        bool no_install;             /* never install host packages (toolchains) */
        const struct vm_opts *vm;    /* qemu-system */
        const struct remote_opts *remote;
};

struct source_result;
/* The recipe's source (or --source) laid out in dest with its patches, logged; 0 or an exit
 * code (reported). */
int build_prepare_source(const struct build_ctx *ctx, const char *dest, struct source_result *sr);

/* Tells why a step failed: its status and the last lines of its log, indented. */
struct spawn_result;
void build_report_step_failure(size_t step, const struct spawn_result *res, const char *log_path);

/* After a step was started (start_r: what the spawn returned): logs its success, or why it
 * could not start or failed, with its log's tail. Clears res. Returns XB_EXIT_OK or
 * XB_EXIT_BUILD_FAILED. */
int build_step_finished(int start_r, size_t step, size_t n_steps, struct spawn_result *res, const char *log_path,
                        long long started_ms);

/* The whole environment of a step inside an ARM root: the standard one, then the plan's. */
char **build_step_env(const struct plan *p);
/* The steps as DIR/step-NN.sh files, so they are never interpolated into a command line. */
int build_write_steps(char *const *steps, const char *dir);

/* Milliseconds of CLOCK_MONOTONIC, for phase timings. */
long long build_now_ms(void);

/* Phase timings for report.json: each phase is the time since the previous mark. */
struct build_phase {
        const char *name;
        double seconds;
};
struct build_timer {
        struct build_phase phases[8];
        size_t n;
        long long t;
};
void build_timer_start(struct build_timer *bt);
/* Records the time since the last mark as phase label (phases past the eighth are dropped). */
void build_timer_mark(struct build_timer *bt, const char *label);
/* A phase measured elsewhere (the VM's boot); the next mark counts from now. */
void build_timer_add(struct build_timer *bt, const char *label, double seconds);

/* Copies the plan's artifacts from a source tree into ctx->out_dir: each path resolved inside
 * the tree (a symlink can never make it copy a host file), regular files only, written to a
 * temporary name and renamed. Returns 0 or an exit code (reported). */
int build_collect_artifacts(const struct build_ctx *ctx, const char *src_tree);

/* After the artifacts are collected: verify each against the recipe's expectations (sysroot:
 * the ARM tree for dynamic executables), print the results, write report.json. Returns 0, or
 * XB_EXIT_VERIFY_FAILED / another exit code (reported). phases: timings so far. build_host:
 * "KEY=VALUE" facts about where it was built (the VM, the remote host), or NULL. */
int build_verify_and_report(const struct build_ctx *ctx, const char *sysroot, const char *commit, long long epoch,
                            const char *toolchain_version, char *const *build_host, const struct build_phase *phases,
                            size_t n_phases);

int strategy_chroot_build(const struct build_ctx *ctx);
int strategy_qemu_build(const struct build_ctx *ctx);
int strategy_remote_build(const struct build_ctx *ctx);
struct toolchain;
int strategy_cross_build(const struct build_ctx *ctx, const struct toolchain *tc);
