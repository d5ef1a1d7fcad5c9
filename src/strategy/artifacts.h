/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "pipeline.h"
#include "verify/verify.h"

/* The build's artifacts: copied out of the build tree, then proven. */
struct artifacts_result {
        struct verify_result *results; /* one per artifact checked so far */
        size_t n_results;
        bool verified;                 /* all of them, and each passed */
        unsigned long long bytes;      /* their size */
};
void artifacts_result_clear(struct artifacts_result *ar);

/* Copies the plan's artifacts from tree into OUT/NAME/ARCH: each path resolved inside tree (a
 * symlink can never make it copy a host file), regular files only, written under a temporary
 * name and renamed. 0, or build_fail()'s error. */
int artifacts_collect(struct build_job *job, const char *tree);

/* Checks each collected artifact against the recipe's expectations (sysroot: the ARM tree
 * for dynamic executables), prints the results. 0 when every artifact passed, else
 * build_fail()'s error (exit 3 for a failed check). */
int artifacts_verify(struct build_job *job, char *const *sysroot, struct artifacts_result *ar);
