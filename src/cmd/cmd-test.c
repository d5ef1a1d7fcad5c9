/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/signals.h"
#include "fetch-opts.h"
#include "functest/functest.h"
#include "plan-load.h"
#include "report/build-progress.h"

static const char usage[] =
        "Usage: xbuild test RECIPE [--arch=ARCH] [--artifacts=DIR] [OPTIONS]\n"
        "\n"
        "Prove the engine runs: boot the ARM VM (qemu-system -M virt) whatever strategy built\n"
        "the artifacts, install them, start the daemon, make a test image from the target's\n"
        "busybox-static and run a container that must print the recipe's expected line (the\n"
        "recipe's 'test:' section). The guest kernel is checked against the recipe's kconfig\n"
        "profile first. Writes OUT/RECIPE/ARCH/test-report.json and logs/test-*.log. Exit 0\n"
        "passed, 3 the engine failed a check, 6 the VM failed, 4 the host lacks something, 2\n"
        "no artifacts or no test section.\n"
        "\n"
        "Options:\n" PLAN_HELP CLI_COMMON_HELP;

int cmd_test(int argc, char **argv) {
        _cleanup_(plan_inputs_clear) struct plan_inputs in = {0};
        _cleanup_(cache_freep) struct cache *cache = NULL;
        _cleanup_free_ char *below = NULL, *log_dir = NULL, *report = NULL;
        struct test_result res = {0};
        int r;

        r = plan_command(argc, argv, usage, &in);
        if (r != 0)
                return r == PLAN_DONE ? XB_EXIT_OK : r;
        const struct recipe_bundle *b = in.bundle;
        const struct plan *p = in.plan;
        if (in.args.strategy || in.args.host)
                return cli_usage_error("test", "the test always runs in the qemu-system VM: --strategy and --host do not apply");
        if (in.args.test || in.args.source)
                return cli_usage_error("test", "--test and --source are for 'xbuild build'");
        if (!b->recipe->test)
                return log_error("Recipe '%s' has no 'test:' section (docs/functional-test.md)", b->recipe->name),
                       XB_EXIT_BAD_INPUT;
        /* OUT is the user's; below it nothing is followed through a symlink planted there. */
        if (asprintf(&below, "%s/logs", p->out_rel) < 0 ||
            !(log_dir = path_join(p->out_dir, "logs")))
                return log_error("Out of memory"), XB_EXIT_BUILD_FAILED;
        if ((r = mkdir_p_beneath(p->out_root, below, 0755)) < 0)
                return log_error_errno(r, "Failed to create '%s': %m", log_dir),
                       r == -ELOOP ? XB_EXIT_BAD_INPUT : XB_EXIT_BUILD_FAILED;
        struct functest_req q = {.recipe = b->recipe, .rootfs = recipe_bundle_rootfs(b, b->recipe->rootfs),
                                 .kconfig = b->kconfig, .arch = p->arch, .cache = cache, .vm = &in.args.vm,
                                 .artifacts_dir = in.args.artifacts ? in.args.artifacts : p->out_dir,
                                 .log_dir = log_dir, .keep = in.args.keep};
        log_info("Testing %s for %s with the artifacts in %s", b->recipe->name, arch_to_string(p->arch), q.artifacts_dir);
        /* Missing artifacts are bad input: said before the cache is touched. */
        r = functest_precheck(&q, &res);
        if (r == XB_EXIT_OK) {
                test_result_clear(&res);
                if ((r = cli_open_cache(&cache)) != 0)
                        return r;
                q.cache = cache;
                signals_forward_install(false);
                build_progress_init(in.args.progress ? build_progress_mode_from_string(in.args.progress)
                                                     : BUILD_PROGRESS_AUTO,
                                    STDOUT_FILENO);
                r = functest_run(&q, &res);
                build_progress_finish();
        }
        int w = test_report_write(&res, b->recipe->name, arch_to_string(p->arch), q.artifacts_dir, p->out_dir, &report);
        if (w < 0)
                log_warning_errno(w, "Failed to write %s/test-report.json: %m", p->out_dir);
        else
                log_info("Test report: %s", report);
        if (in.args.json && report) {
                _cleanup_free_ char *text = NULL;
                if (read_full_file(report, 1 << 20, &text, NULL) >= 0)
                        fputs(text, stdout);
        }
        test_result_clear(&res);
        return r;
}
