/* SPDX-License-Identifier: MIT */
#pragma once

#include "strategy/build.h"
#include "verify/verify.h"

/* OUT/NAME/ARCH/report.json: what was built, from what, how, how long each phase took, and
 * every artifact's checks and sha256. */
struct build_report {
        const char *source_commit; /* NULL unless git */
        long long source_epoch;    /* -1: unknown */
        const char *toolchain_version;
        char *const *build_host; /* "KEY=VALUE": the VM or remote host, NULL for this one */
        struct build_phase phases[8];
        size_t n_phases;
        const struct verify_result *artifacts;
        size_t n_artifacts;
        bool ok;
};

int build_report_write(const struct build_ctx *ctx, const struct build_report *rep, char **ret_path);
