/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "fetch-opts.h"
#include "plan-load.h"
#include "strategy/build.h"
#include "strategy/chroot-root.h"

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
        _cleanup_(toolchain_freep) struct toolchain *tc = NULL;
        struct plan_args args;
        int r;

        r = plan_command(argc, argv, usage, &args, &rc, &tc, &p);
        if (r != 0)
                return r == PLAN_DONE ? XB_EXIT_OK : r;
        if (p->chosen < 0) {
                log_error("Cannot build '%s' for %s: %s", rc->name, arch_to_string(p->arch), p->reason);
                log_info("Run 'xbuild plan %s --arch %s' to see what each strategy needs.", rc->name,
                         arch_to_string(p->arch));
                return XB_EXIT_HOST_MISSING;
        }
        log_info("Building %s for %s with the %s strategy: %s", rc->name, arch_to_string(p->arch),
                 strategy_to_string(p->chosen), p->reason);

        _cleanup_(rootfs_def_freep) struct rootfs_def *rf = NULL;
        _cleanup_(cache_freep) struct cache *cache = NULL;
        _cleanup_free_ char *out_dir = NULL, *log_dir = NULL;
        if ((r = cli_load_rootfs(p->rootfs, &rf)) != 0 || (r = cli_open_cache(&cache)) != 0)
                return r;
        if (asprintf(&out_dir, "%s/%s/%s", args.out_dir ? args.out_dir : "out", rc->name, arch_to_string(p->arch)) < 0 ||
            !(log_dir = path_join(out_dir, "logs")))
                return log_error_errno(-ENOMEM, "Failed to build: %m"), XB_EXIT_BUILD_FAILED;
        if ((r = mkdir_p(log_dir, 0755)) < 0)
                return log_error_errno(r, "Failed to create '%s': %m", log_dir), XB_EXIT_BUILD_FAILED;
        struct build_ctx ctx = {.recipe = rc, .plan = p, .cache = cache, .rootfs = rf, .source_override = args.source,
                                .out_dir = out_dir, .log_dir = log_dir, .keep = args.keep,
                                .no_install = args.no_install, .vm = &args.vm, .remote = &args.remote};
        signals_forward_install(false);
        switch (p->chosen) {
        case XB_STRATEGY_CHROOT:
                r = strategy_chroot_build(&ctx);
                break;
        case XB_STRATEGY_CROSS:
                r = strategy_cross_build(&ctx, tc);
                break;
        case XB_STRATEGY_QEMU_SYSTEM:
                r = strategy_qemu_build(&ctx);
                break;
        case XB_STRATEGY_REMOTE:
                r = strategy_remote_build(&ctx);
                break;
        default:
                /* plan_make() chooses only implemented strategies. */
                log_error("Strategy '%s' has no driver in this build", strategy_to_string(p->chosen));
                return XB_EXIT_HOST_MISSING;
        }
        if (r == XB_EXIT_OK)
                log_info("Built %s for %s: %s", rc->name, arch_to_string(p->arch), out_dir);
        return r;
}
