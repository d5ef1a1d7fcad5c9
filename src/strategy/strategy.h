/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "recipe/strategy-name.h"

/* A build strategy is a table of operations; strategy/pipeline.c runs every build through the
 * same sequence and owns everything the strategies share (the timer, the session, the source,
 * the step loop and the step logs, collecting, verifying, report.json, progress, teardown):
 *
 *   probe -> session (or the pipeline's default) -> source laid out in SESSION/src_subdir and
 *   steps written to SESSION/steps_subdir -> prepare -> stage -> run_step for each step (or run_steps) ->
 *   fetch_artifacts -> collect into OUT -> verify (sysroot) -> report (build_host) ->
 *   teardown -> the session removed (unless --keep).
 *
 * Contract for every operation: return 0 on success, or a negative errno / project code on
 * failure after saying why with build_fail() (which logs it once and records it for
 * report.json). An operation that returns an error without build_fail() gets a generic
 * message naming the phase. Operations never call exit() and never print the report.
 * teardown runs on every path once session() succeeded, also after SIGINT/SIGTERM; it must
 * tolerate a prepare that stopped half-way. Adding a strategy is one file with one of these
 * tables and one line in strategy_ops_for(). */
struct build_job;
struct build_step;
struct session;

struct strategy_ops {
        enum xb_strategy id;
        /* Zeroed private state of this size is at job->priv for the whole build. */
        size_t priv_size;
        /* Where the pipeline lays the source out and writes step-NN.sh, relative to the
         * session directory. */
        const char *src_subdir;
        const char *steps_subdir;
        /* A session for a person, not a build ('xbuild shell'): nothing is collected,
         * verified or reported after run_steps. */
        bool interactive;

        /* Can it run here at all, and why not (a sentence for the report); NULL: always.
         * Called before anything is created. */
        int (*probe)(struct build_job *job);
        /* The session directory (NULL: a fresh one under the cache's sessions/). */
        int (*session)(struct build_job *job, struct session **ret);
        /* What the steps need besides the source (which is already laid out): toolchain, root
         * file system, VM kit, remote host. Opens its own phases with build_phase_begin(). */
        int (*prepare)(struct build_job *job);
        /* After prepare, with the source and the steps in place: send them, write a prologue,
         * run a canary; NULL: nothing to do. */
        int (*stage)(struct build_job *job);
        /* Runs one step and fills step->result, whatever its status; an error return means it
         * could not be run at all (a lost connection). Output goes through
         * build_step_spawn_io(). Exactly one of run_step and run_steps is set. */
        int (*run_step)(struct build_job *job, struct build_step *step);
        /* Runs all steps at once (a VM boots once), calling build_step_begin(),
         * build_step_line() and build_step_end() as they happen; stops at the first failed
         * step. */
        int (*run_steps)(struct build_job *job);
        /* The directory the artifacts' paths are relative to, after the steps (NULL op: the
         * source directory). *ret is owned by the job's private state. */
        int (*fetch_artifacts)(struct build_job *job, const char **ret);
        /* The ARM tree dynamic executables are checked and run against, as layers topmost first
         * (the root file system with its build dependencies), NULL-terminated; NULL: none. */
        char *const *(*sysroot)(struct build_job *job);
        /* "KEY=VALUE" facts about where it was built, for report.json (NULL: this host). */
        int (*build_host)(struct build_job *job, char ***ret);
        /* Releases what prepare and stage took (the VM kit, the ssh master, locks). */
        int (*teardown)(struct build_job *job);
};

/* The table for a strategy, or NULL when this build has none. */
const struct strategy_ops *strategy_ops_for(enum xb_strategy s);

extern const struct strategy_ops strategy_cross_ops;
extern const struct strategy_ops strategy_chroot_ops;
extern const struct strategy_ops strategy_qemu_ops;
extern const struct strategy_ops strategy_remote_ops;
extern const struct strategy_ops strategy_qemu_shell_ops;
