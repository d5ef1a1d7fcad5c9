/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "qemu/disk-image.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "fetch-opts.h"
#include "strategy/chroot-root.h"
#include "rootfs/prepare.h"

static const char *arg_arch = NULL;

static const char usage[] =
        "Usage: xbuild rootfs list\n"
        "       xbuild rootfs prepare|remove NAME --arch ARCH\n"
        "\n"
        "  list      The prepared root file systems in the cache\n"
        "  prepare   Make NAME for ARCH now (debootstrap or its tarball), as a build would\n"
        "  remove    Delete the prepared NAME (every arch unless --arch) and its dependency layers\n"
        "\n"
        "Options:\n"
        "  -a, --arch=ARCH       armhf, armel or arm64\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        if (c != 'a')
                return -1;
        arg_arch = arg;
        return 0;
}

static int do_list(void) {
        _cleanup_(cache_freep) struct cache *c = NULL;
        _cleanup_free_ char *base = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        if ((r = cli_open_cache(&c)) != 0)
                return r;
        if (!(base = cache_sub(c, "rootfs", NULL)))
                return log_error_errno(-ENOMEM, "Failed to list root file systems: %m"), XB_EXIT_BUILD_FAILED;
        d = opendir(base);
        if (!d)
                return XB_EXIT_OK;
        while ((de = readdir(d))) {
                _cleanup_free_ char *dir = NULL, *marker = NULL;
                if (de->d_name[0] == '.' || strstr(de->d_name, ".partial-") || !(dir = path_join(base, de->d_name)) ||
                    !(marker = path_join(dir, ".xbuild-rootfs")) || !path_exists(marker))
                        continue;
                printf("%s  %s/tree\n", de->d_name, dir);
                _cleanup_closedir_ DIR *sd = opendir(dir);
                struct dirent *se;
                while (sd && (se = readdir(sd)))
                        if (strneq(se->d_name, "deps-", 5) && !strstr(se->d_name, ".partial-"))
                                printf("  + %s\n", se->d_name);
        }
        return XB_EXIT_OK;
}

int cmd_rootfs(int argc, char **argv) {
        static const struct option opts[] = {{"arch", required_argument, NULL, 'a'}, {0}};
        enum xb_arch a = _XB_ARCH_INVALID;
        int r;

        r = cli_parse(argc, argv, "a:", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r < 1)
                return cli_usage_error("rootfs", "missing list, prepare or remove");
        const char *action = argv[r];
        if (arg_arch && (a = arch_from_string(arg_arch)) < 0)
                return cli_usage_error("rootfs", "unknown architecture '%s' (armhf, armel, arm64)", arg_arch);
        if (streq(action, "list"))
                return argc - r == 1 ? do_list() : cli_usage_error("rootfs", "list takes no NAME");
        if (!streq(action, "prepare") && !streq(action, "remove"))
                return cli_usage_error("rootfs", "unknown action '%s' (list, prepare, remove)", action);
        if (argc - r != 2)
                return cli_usage_error("rootfs", "%s needs NAME", action);
        const char *name = argv[r + 1];
        if (streq(action, "prepare")) {
                _cleanup_(rootfs_def_freep) struct rootfs_def *rf = NULL;
                _cleanup_(cache_freep) struct cache *c = NULL;
                struct root_setup rs = {0};
                if (a < 0)
                        return cli_usage_error("rootfs", "prepare needs --arch");
                if ((r = cli_load_rootfs(name, &rf)) != 0 || (r = cli_open_cache(&c)) != 0)
                        return r;
                struct xb_detail e = {0};
                r = root_setup(c, rf, a, NULL, &rs, &e);
                if (r < 0)
                        return cli_report_error(r, &e);
                printf("%s\n", rs.base);
                root_setup_clear(&rs);
                return XB_EXIT_OK;
        }
        _cleanup_(rootfs_def_freep) struct rootfs_def *rf = NULL;
        _cleanup_(cache_freep) struct cache *c = NULL;
        unsigned removed = 0;
        if ((r = cli_load_rootfs(name, &rf)) != 0 || (r = cli_open_cache(&c)) != 0)
                return r;
        r = rootfs_remove(c, rf->name, a, &removed);
        if (r < 0)
                return log_error_errno(r, "Failed to remove rootfs '%s': %m", rf->name), XB_EXIT_CLEANUP_INCOMPLETE;
        /* The VM images made from what was just removed go with it. */
        unsigned images = 0;
        r = vm_images_remove_orphans(c, &images);
        if (r < 0)
                return log_error_errno(r, "Failed to remove VM images of rootfs '%s': %m", rf->name), XB_EXIT_CLEANUP_INCOMPLETE;
        printf("%u prepared trees removed", removed);
        if (images)
                printf(", %u VM images made from them", images);
        putchar('\n');
        return XB_EXIT_OK;
}
