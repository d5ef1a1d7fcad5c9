/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "chroot/session.h"
#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "fetch/cache-partials.h"
#include "fetch-opts.h"
#include "qemu/disk-image.h"

static const char usage[] =
        "Usage: xbuild clean\n"
        "\n"
        "Remove what runs that were killed left in the cache: session directories whose xbuild\n"
        "is gone and half-made root file systems, dependency layers and git mirrors\n"
        "(NAME.partial-PID of a dead PID), and VM root images whose root file system or\n"
        "dependency layer was removed. A directory something is still mounted on is never\n"
        "touched; nothing outside the cache is.\n"
        "\n"
        "Options:\n" CLI_COMMON_HELP;

int cmd_clean(int argc, char **argv) {
        _cleanup_(cache_freep) struct cache *c = NULL;
        unsigned removed = 0, busy = 0;
        int r;

        r = cli_parse(argc, argv, "", NULL, usage, NULL);
        if (r <= 0)
                return -r;
        if (argc - r != 0)
                return cli_usage_error("clean", "takes no arguments");
        if ((r = cli_open_cache(&c)) != 0)
                return r;
        r = session_clean_stale(c->root, &removed, &busy);
        if (r < 0)
                return log_error_errno(r, "Failed to clean sessions: %m"), XB_EXIT_CLEANUP_INCOMPLETE;
        unsigned partials = 0, pbusy = 0;
        r = cache_clean_partials(c->root, &partials, &pbusy);
        if (r < 0)
                return log_error_errno(r, "Failed to clean interrupted preparations: %m"), XB_EXIT_CLEANUP_INCOMPLETE;
        unsigned images = 0;
        r = vm_images_remove_orphans(c, &images);
        if (r < 0)
                return log_error_errno(r, "Failed to clean VM images: %m"), XB_EXIT_CLEANUP_INCOMPLETE;
        printf("%u stale sessions removed, %u interrupted preparations removed", removed, partials);
        if (images)
                printf(", %u orphaned VM images removed", images);
        if (busy + pbusy)
                printf(", %u left because something is mounted in them", busy + pbusy);
        putchar('\n');
        return busy + pbusy ? XB_EXIT_CLEANUP_INCOMPLETE : XB_EXIT_OK;
}
