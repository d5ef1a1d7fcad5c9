/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "plan-load.h"

static const char usage[] =
        "Usage: xbuild build RECIPE [OPTIONS]\n"
        "       xbuild RECIPE [OPTIONS]\n"
        "\n"
        "Build RECIPE for an ARM architecture, verify the artifacts and write them to\n"
        "OUT/RECIPE/ARCH/. RECIPE is a name from recipes/ or a path to a YAML file.\n"
        "\n"
        "Options:\n" PLAN_HELP CLI_COMMON_HELP;

int cmd_build(int argc, char **argv) {
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        _cleanup_(plan_freep) struct plan *p = NULL;
        struct plan_args args;
        int r;

        r = plan_command(argc, argv, usage, &args, &rc, &p);
        if (r != 0)
                return r == PLAN_DONE ? XB_EXIT_OK : r;
        if (p->chosen < 0) {
                log_error("Cannot build '%s' for %s: %s", rc->name, arch_to_string(p->arch), p->reason);
                log_info("Run 'xbuild plan %s --arch %s' to see what each strategy needs.", rc->name,
                         arch_to_string(p->arch));
                return XB_EXIT_HOST_MISSING;
        }
        /* Unreachable until a strategy is implemented: plan never chooses one that is not. */
        log_error("Strategy '%s' has no driver in this build", strategy_to_string(p->chosen));
        return XB_EXIT_HOST_MISSING;
}
