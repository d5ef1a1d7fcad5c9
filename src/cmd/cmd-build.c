/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/signals.h"
#include "fetch-opts.h"
#include "plan-load.h"
#include "report/build-progress.h"

static const char usage[] =
        "Usage: xbuild build RECIPE [OPTIONS]\n"
        "       xbuild RECIPE [OPTIONS]\n"
        "\n"
        "Build RECIPE for an ARM architecture, verify the artifacts and write them to\n"
        "OUT/RECIPE/ARCH/ with report.json, which says how the build ended whatever happened.\n"
        "RECIPE is a name from recipes/ or a path to a YAML file.\n"
        "\n"
        "Options:\n" PLAN_HELP CLI_COMMON_HELP;

/* The verbs that build: a plan that can run, and the cache. Returns 0 or an exit code
 * (reported). */
static int build_setup(const char *verb, const struct plan_inputs *in, struct cache **ret_cache) {
        const struct recipe *rc = in->bundle->recipe;
        const struct plan *p = in->plan;

        if (p->chosen < 0) {
                log_error("Cannot %s '%s' for %s: %s", verb, rc->name, arch_to_string(p->arch), p->reason);
                log_info("Run 'xbuild plan %s --arch %s' to see what each strategy needs.", rc->name, arch_to_string(p->arch));
                return XB_EXIT_HOST_MISSING;
        }
        return cli_open_cache(ret_cache);
}

int cmd_build_with(const char *verb, int argc, char **argv, const char *verb_usage, bool shell) {
        _cleanup_(plan_inputs_clear) struct plan_inputs in = {0};
        _cleanup_(cache_freep) struct cache *cache = NULL;
        int r;

        r = plan_command(argc, argv, verb_usage, &in);
        if (r != 0)
                return r == PLAN_DONE ? XB_EXIT_OK : r;
        const struct recipe *rc = in.bundle->recipe;
        const struct plan *p = in.plan;
        if (shell && (!in.args.strategy || p->shown != XB_STRATEGY_QEMU_SYSTEM))
                return cli_usage_error("shell", "give --strategy=qemu-system: the VM is the only shell in this version");
        if (in.args.artifacts)
                return cli_usage_error(shell ? "shell" : "build", "--artifacts is for 'xbuild test'");
        if (shell && in.args.test)
                return cli_usage_error("shell", "--test is for 'xbuild build'");
        if (in.args.test && !rc->test)
                return log_error("Recipe '%s' has no 'test:' section to run with --test (docs/functional-test.md)", rc->name),
                       XB_EXIT_BAD_INPUT;
        if ((r = build_setup(verb, &in, &cache)) != 0)
                return r;
        const struct strategy_ops *ops = shell ? &strategy_qemu_shell_ops : strategy_ops_for(p->chosen);
        if (!ops) /* plan_make() chooses only implemented strategies */
                return log_error("Strategy '%s' has no driver in this build", strategy_to_string(p->chosen)),
                       XB_EXIT_HOST_MISSING;
        if (!shell)
                log_info("Building %s for %s with the %s strategy: %s", rc->name, arch_to_string(p->arch),
                         strategy_to_string(p->chosen), p->reason);
        struct build_opts o = {.source_override = in.args.source, .keep = in.args.keep,
                               .no_install = in.args.no_install, .print_report = in.args.json, .vm = &in.args.vm,
                               .remote = &in.args.remote, .test = in.args.test, .git_mirrors = in.args.git_mirrors,
                               .extra_sources = in.args.extra_sources, .accelerate = in.args.accelerate};
        signals_forward_install(false);
        build_progress_init(shell ? BUILD_PROGRESS_PLAIN
                            : in.args.progress ? build_progress_mode_from_string(in.args.progress)
                                               : BUILD_PROGRESS_AUTO,
                            STDOUT_FILENO);
        r = build_run(ops, in.bundle, p, cache, &o);
        build_progress_finish();
        if (r == XB_EXIT_OK && !shell)
                log_info("Built %s for %s: %s", rc->name, arch_to_string(p->arch), p->out_dir);
        return r;
}

int cmd_build(int argc, char **argv) {
        return cmd_build_with("build", argc, argv, usage, false);
}
