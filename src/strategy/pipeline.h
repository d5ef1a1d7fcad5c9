/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"
#include "core/spawn.h"
#include "fetch/cache.h"
#include "fetch/source.h"
#include "recipe/catalog.h"
#include "report/build-report.h"
#include "strategy/plan.h"
#include "strategy/strategy.h"

/* One build, from a loaded recipe bundle and its plan to report.json: build_run() is the only
 * way anything is built. Strategies see the job below and report through the functions
 * declared here. */

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
struct remote_hosts;
struct remote_opts {
        const char *host;        /* --host: a hosts.yaml name or [USER@]HOST[:PORT]; NULL: the pool */
        const char *hosts_file;  /* --hosts, NULL: $XDG_CONFIG_HOME/xbuild/hosts.yaml */
        const char *ssh_config;  /* --ssh-config: ssh -F */
        bool accept_new_host_key;
        bool install_deps;       /* --remote-install-deps */
        /* hosts.yaml as loaded once for the plan (NULL: none), and its path. */
        const struct remote_hosts *hosts;
        const char *hosts_path;
};

struct build_opts {
        const char *source_override; /* --source */
        bool keep;                   /* keep the session for inspection */
        bool no_install;             /* never install host packages (toolchains) */
        bool print_report;           /* --json: report.json on stdout too */
        const struct vm_opts *vm;
        const struct remote_opts *remote;
        bool test;                   /* --test: the recipe's functional test after the build */
        char *const *git_mirrors;    /* --git-mirror URL=PATH */
        char *const *extra_sources;  /* --extra-source DEST=PATH */
        int accelerate;              /* chroot: enum accel_mode (--accelerate), 0: auto */
};

/* report.json's status: how the build ended. */
enum build_status {
        BUILD_OK,
        BUILD_FAILED,        /* a step failed, an artifact is missing */
        BUILD_VERIFY_FAILED, /* built, but an artifact failed its checks */
        BUILD_INTERRUPTED,   /* SIGINT/SIGTERM/SIGHUP */
        BUILD_HOST_FAILURE,  /* the host, the VM or the remote host could not do its part */
        BUILD_BAD_INPUT,     /* an input found wrong only now (a patch, hosts.yaml, a flag) */
        BUILD_CLEANUP_FAILED, /* built and verified, but the session could not be removed */
        BUILD_TEST_FAILED,   /* built and verified, but the functional test failed (--test) */
        _BUILD_STATUS_MAX,
        _BUILD_STATUS_INVALID = -22,
};
const char *build_status_to_string(enum build_status s);

#define BUILD_MAX_PHASES 16

struct build_job {
        /* What to build; read-only for strategies. */
        const struct strategy_ops *ops;
        const struct recipe *recipe;
        const struct plan *plan;
        const struct toolchain *toolchain; /* NULL: none */
        const struct rootfs_def *rootfs;   /* the plan's */
        const struct cache *cache;
        const struct build_opts *opts;
        const struct arch_info *ai;
        const char *out_dir; /* the plan's OUT/NAME/ARCH */
        char *log_dir;     /* OUT/NAME/ARCH/logs */
        char log_prefix[96]; /* "[NAME ARCH strategy] " for echoed output */

        /* Set by the pipeline. */
        struct session *session;
        char *src_dir;   /* SESSION/src_subdir: the source tree on this host */
        char *steps_dir; /* SESSION/steps_subdir: step-NN.sh */
        struct source_result source; /* commit, SOURCE_DATE_EPOCH */
        void *priv;      /* ops->priv_size bytes, zeroed */
        char *toolchain_version; /* set by the strategy when it knows (cross) */

        /* The running step (0: none): its log, the tail kept for errors, the progress. */
        size_t step;
        bool step_running;  /* between build_step_begin() and its end */
        size_t n_steps;
        int step_log_fd;
        char *step_log_path;
        char *step_tail[20];
        size_t step_tail_next;
        long long step_started_ms;

        /* Phases: the open one, and those that ended. */
        const char *phase;
        bool phase_placeholder; /* "prepare", until the strategy names its first phase */
        long long phase_started_ms;
        struct build_phase phases[BUILD_MAX_PHASES];
        size_t n_phases;

        /* The first failure: what report.json and the exit code say. */
        bool failed;
        enum build_status status;
        int exit_code;
        char *error;          /* one line */
        const char *failed_phase;
        size_t failed_step;   /* 0: not in a step */
        char *failed_log;     /* the log that says more */
        char *failed_tail;    /* its last lines */
        char *teardown_error; /* the session or the host could not be cleaned up */
};

/* What a strategy hands the pipeline for one step, and gets back. */
struct build_step {
        size_t index;          /* 1-based */
        const char *command;   /* the step as the recipe wrote it */
        const char *script;    /* host path of step-NN.sh */
        const char *name;      /* "step-NN.sh", for paths inside the build environment */
        unsigned timeout_s;    /* the recipe's */
        struct spawn_result result;
        bool lost;             /* the strategy lost the build environment (said with build_fail) */
};

/* Runs the whole build. Returns the process exit code (enum xb_exit); report.json is written
 * whatever happened after the session was created, and also when prepare failed. */
int build_run(const struct strategy_ops *ops, const struct recipe_bundle *bundle, const struct plan *plan,
              const struct cache *cache, const struct build_opts *opts);

/* Records the build's first failure and logs it (once); later failures are logged only.
 * exit_code: enum xb_exit; the status follows from it (1: build-failed, 3: verify-failed,
 * 4/6: host-failure, 2: bad-input) unless the build was interrupted. Returns -EIO (r for
 * build_fail_errno) so an operation can 'return build_fail(...)'. */
int build_fail(struct build_job *job, int exit_code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int build_fail_errno(struct build_job *job, int r, int exit_code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* The failure of a lower layer: its message (or the code's text), the exit code that
 * xb_exit_code_for(r) gives; clears e. Returns r. */
int build_fail_error(struct build_job *job, int r, struct xb_detail *e);
/* Adds the last lines of a log to the failure (printed indented, kept in report.json). */
void build_fail_tail(struct build_job *job, const char *tail, const char *log_path);

/* Ends the open phase (recorded with its time) and opens phase; the strategy's first one
 * takes over the pipeline's "prepare" placeholder and its time. */
void build_phase_begin(struct build_job *job, const char *phase);
/* A phase measured elsewhere (the VM's boot); the open phase starts again now. */
void build_phase_add(struct build_job *job, const char *phase, double seconds);

/* For strategies that run steps themselves (run_steps): the step's start, each line of its
 * output, its end (res: how it ended; the pipeline judges and reports it). */
void build_step_begin(struct build_job *job, size_t step);
void build_step_line(struct build_job *job, const char *line);
/* Returns 0 when the step succeeded, else the build_fail() error. */
int build_step_end(struct build_job *job, size_t step, const struct spawn_result *res);
/* Fills req's output handling for a step's child: captured, each line through the pipeline
 * (log file, tail, progress, echo with -v), the recipe's timeout, its own process group,
 * progress ticks. */
void build_step_spawn_io(struct build_job *job, struct spawn_req *req);

/* The standard environment of a step inside an ARM root (PATH, HOME, LANG...), the plan's
 * over it, and SOURCE_DATE_EPOCH from the source unless the recipe sets one. */
char **build_step_env(const struct build_job *job);
/* A strategy's own log file in the logs directory (ssh.log, toolchain.log). */
char *build_log_path(const struct build_job *job, const char *name);

/* A CACHE/logs/NAME file for work shared between builds (rootfs, VM kit). */
char *build_cache_log_path(const struct build_job *job, const char *name);
