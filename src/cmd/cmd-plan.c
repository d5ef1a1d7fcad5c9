/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "plan-load.h"
#include "report/plan-json.h"

static struct plan_args arg_plan;

static const char usage[] =
        "Usage: xbuild plan RECIPE [OPTIONS]\n"
        "\n"
        "Show what building RECIPE would run: each strategy's readiness on this host, the one\n"
        "chosen and why, the environment, the steps and the artifacts. Runs nothing.\n"
        "RECIPE is a name from recipes/ or a path to a YAML file.\n"
        "\n"
        "Options:\n" PLAN_HELP CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        return plan_args_option(&arg_plan, c, arg) > 0 ? 0 : -1;
}

int cmd_plan(int argc, char **argv) {
        static const struct option opts[] = {PLAN_LONG_OPTIONS, {0}};
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        _cleanup_(plan_freep) struct plan *p = NULL;
        int r;

        r = cli_parse(argc, argv, PLAN_SHORT, opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error("plan", argc - r == 0 ? "missing RECIPE" : "too many arguments");
        r = plan_load(&arg_plan, argv[r], &rc, &p);
        if (r != 0)
                return r;
        if (arg_plan.json) {
                json_object *j = plan_to_json(p);
                if (!j)
                        return log_error_errno(-ENOMEM, "Failed to render the plan: %m"), XB_EXIT_BUILD_FAILED;
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else
                plan_print(p);
        return XB_EXIT_OK;
}
