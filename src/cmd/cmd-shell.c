/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "fetch-opts.h"
#include "plan-load.h"
#include "strategy/qemu-job.h"

static const char usage[] =
        "Usage: xbuild shell RECIPE --strategy=qemu-system [OPTIONS]\n"
        "\n"
        "Boot the VM a qemu-system build of RECIPE would use, with the source in /xbuild/src,\n"
        "the steps in /xbuild/steps and the build's environment, and give its console to this\n"
        "terminal: a root shell in the ARM root file system. The root disk is a snapshot;\n"
        "leaving the shell powers the VM off and discards every change but those under\n"
        "/xbuild (which go too, unless --keep). Ctrl-A x stops a VM that no longer answers.\n"
        "\n"
        "Options:\n" PLAN_HELP CLI_COMMON_HELP;

int cmd_shell(int argc, char **argv) {
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        _cleanup_(plan_freep) struct plan *p = NULL;
        _cleanup_(toolchain_freep) struct toolchain *tc = NULL;
        _cleanup_(rootfs_def_freep) struct rootfs_def *rf = NULL;
        _cleanup_(cache_freep) struct cache *cache = NULL;
        _cleanup_free_ char *out_dir = NULL, *log_dir = NULL, *console = NULL;
        struct plan_args args;
        struct qemu_job job;
        int r, ret;

        r = plan_command(argc, argv, usage, &args, &rc, &tc, &p);
        if (r != 0)
                return r == PLAN_DONE ? XB_EXIT_OK : r;
        if (!args.strategy || p->shown != XB_STRATEGY_QEMU_SYSTEM)
                return cli_usage_error("shell", "give --strategy=qemu-system: the VM is the only shell in this version");
        if (p->chosen < 0) {
                log_error("Cannot start a shell for '%s' on %s: %s", rc->name, arch_to_string(p->arch), p->reason);
                return XB_EXIT_HOST_MISSING;
        }
        if ((r = cli_load_rootfs(p->rootfs, &rf)) != 0 || (r = cli_open_cache(&cache)) != 0)
                return r;
        if (asprintf(&out_dir, "%s/%s/%s", args.out_dir ? args.out_dir : "out", rc->name, arch_to_string(p->arch)) < 0 ||
            !(log_dir = path_join(out_dir, "logs")) || !(console = path_join(log_dir, "shell-console.log")))
                return log_error_errno(-ENOMEM, "Failed to start: %m"), XB_EXIT_BUILD_FAILED;
        if ((r = mkdir_p(log_dir, 0755)) < 0)
                return log_error_errno(r, "Failed to create '%s': %m", log_dir), XB_EXIT_BUILD_FAILED;
        struct build_ctx ctx = {.recipe = rc, .plan = p, .cache = cache, .rootfs = rf, .source_override = args.source,
                                .out_dir = out_dir, .log_dir = log_dir, .keep = args.keep, .vm = &args.vm};
        /* ^C belongs to the guest's shell while QEMU runs; SIGTERM still stops it. */
        signals_forward_install(true);
        ret = strategy_qemu_prepare(&ctx, &job);
        if (ret == XB_EXIT_OK) {
                job.config.shell = true;
                job.config.shell_log = console;
                log_info("Booting the %s VM; the shell starts in /xbuild/src, steps are in /xbuild/steps "
                         "(console log: %s)", arch_to_string(p->arch), console);
                r = vm_run_interactive(&job.config);
                if (r < 0) {
                        log_error_errno(r, "Failed to start %s: %m", job.config.va->qemu);
                        ret = r == -ENOENT ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED;
                } else if (r != 0) {
                        log_error("%s ended with status %d", job.config.va->qemu, r);
                        ret = XB_EXIT_GUEST_FAILED;
                } else
                        log_info("The VM powered off");
        }
        return qemu_job_finish(&job, ret);
}
