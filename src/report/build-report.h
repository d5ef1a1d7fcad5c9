/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "test-report.h"
#include "verify/verify.h"

/* OUT/NAME/ARCH/report.json: how a build ended and why, what was built, from what, how, how
 * long each phase took, and every artifact's checks and sha256. Written for every build that
 * got past loading its recipe; a field that does not apply is null or absent. Pure data: the
 * pipeline fills it. */
struct build_phase {
        const char *name;
        double seconds;
};

struct build_report {
        const char *recipe, *recipe_file, *arch, *strategy, *strategy_reason;
        const char *variant; /* NULL: the recipe itself */
        const char *source_kind;   /* git, tarball, local, override */
        const char *source_where;  /* url or path */
        bool source_is_path;
        const char *source_commit; /* NULL unless git */
        const char *source_sha256; /* NULL unless tarball */
        const char *source_package; /* debian: the source package and its exact version */
        const char *source_version;
        long long source_epoch;    /* -1: unknown */
        const char *toolchain, *toolchain_version, *rootfs;
        char *const *build_host;   /* "KEY=VALUE": the VM or remote host, NULL for this one */
        const char *status;        /* ok, build-failed, verify-failed, interrupted, ... */
        int exit_code;
        const char *error;         /* one line; NULL when ok */
        const char *failed_phase;
        size_t failed_step;        /* 0: none */
        const char *failed_step_command;
        const char *failed_log;
        const char *failed_tail;
        const char *teardown_error;
        const struct build_phase *phases;
        size_t n_phases;
        double total_seconds;
        unsigned long long work_bytes;     /* the build tree on this host, before teardown */
        unsigned long long artifact_bytes;
        const struct verify_result *artifacts;
        size_t n_artifacts;
        bool verified;             /* every artifact was built and passed its checks */
        const struct test_result *test; /* the functional test; NULL: not run */
};

/* The report as pretty JSON text ending in a newline. */
int build_report_format(const struct build_report *rep, bool pretty, char **ret);
/* Writes DIR/report.json atomically; *ret_path: its path. */
int build_report_write(const struct build_report *rep, const char *dir, char **ret_path);
