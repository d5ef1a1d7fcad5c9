/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "plan-load.h"
#include "strategy/plan-json.h"

static const char usage[] =
        "Usage: xbuild plan RECIPE [OPTIONS]\n"
        "\n"
        "Show what building RECIPE would run: each strategy's readiness on this host, the one\n"
        "chosen and why, the environment, the steps and the artifacts. Runs nothing.\n"
        "RECIPE is a name from recipes/ or a path to a YAML file.\n"
        "\n"
        "Options:\n" PLAN_HELP CLI_COMMON_HELP;

int cmd_plan(int argc, char **argv) {
        _cleanup_(plan_inputs_clear) struct plan_inputs in = {0};
        int r;

        r = plan_command(argc, argv, usage, &in);
        if (r != 0)
                return r == PLAN_DONE ? XB_EXIT_OK : r;
        const struct plan *p = in.plan;
        if (in.args.json) {
                json_object *j = plan_to_json(p);
                if (!j)
                        return log_error_errno(-ENOMEM, "Failed to render the plan: %m"), XB_EXIT_BUILD_FAILED;
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else
                plan_print(p);
        return XB_EXIT_OK;
}
