/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "archive/extract.h"
#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/progress.h"

static unsigned arg_strip = 0;
static bool arg_deb = false;
static int arg_owner = -1;
static uint64_t arg_max_entries = 0;

static const char usage[] =
        "Usage: xbuild unpack ARCHIVE DIR [OPTIONS]\n"
        "\n"
        "Extract a tarball (any compression libarchive reads) or a .deb's data into DIR, which\n"
        "must not exist, with xbuild's safety rules: no absolute paths, no '..', nothing written\n"
        "through a symlink, no hard link out of the tree. On a refused entry nothing is left.\n"
        "\n"
        "Options:\n"
        "      --strip-components=N  Drop N leading path components\n"
        "      --deb                 ARCHIVE is a Debian package: unpack its data member\n"
        "      --same-owner          Restore owners (the default as root)\n"
        "      --no-same-owner       Files belong to the caller\n"
        "      --max-entries=N       Refuse archives with more entries (default 4000000)\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        char *end;
        switch (c) {
        case 0x500: {
                unsigned long v = strtoul(arg, &end, 10);
                if (*end || end == arg || arg[0] == '-' || v > 64)
                        return cli_usage_error("unpack", "--strip-components takes a number from 0 to 64"), -1;
                arg_strip = (unsigned) v;
                return 0;
        }
        case 0x501:
                arg_deb = true;
                return 0;
        case 0x502:
                arg_owner = 1;
                return 0;
        case 0x503:
                arg_owner = 0;
                return 0;
        case 0x504: {
                unsigned long long v = strtoull(arg, &end, 10);
                if (*end || end == arg || arg[0] == '-' || v == 0)
                        return cli_usage_error("unpack", "--max-entries takes a positive number"), -1;
                arg_max_entries = v;
                return 0;
        }
        default:
                return -1;
        }
}

static void on_progress(void *u, uint64_t entries, uint64_t read, uint64_t total) {
        (void) entries;
        progress_update(u, read, total, true);
}

int cmd_unpack(int argc, char **argv) {
        static const struct option opts[] = {{"strip-components", required_argument, NULL, 0x500},
                                             {"deb", no_argument, NULL, 0x501},
                                             {"same-owner", no_argument, NULL, 0x502},
                                             {"no-same-owner", no_argument, NULL, 0x503},
                                             {"max-entries", required_argument, NULL, 0x504},
                                             {0}};
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        struct extract_result res;
        struct progress pg;
        int r;

        r = cli_parse(argc, argv, "", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r != 2)
                return cli_usage_error("unpack", "needs ARCHIVE and DIR");
        const char *archive = argv[r], *dest = argv[r + 1];
        struct extract_opts eo = {.strip_components = arg_strip,
                                  .max_entries = arg_max_entries,
                                  .keep_owner = arg_owner >= 0 ? arg_owner : geteuid() == 0,
                                  .progress = on_progress,
                                  .userdata = &pg};
        progress_init(&pg, archive);
        r = arg_deb ? archive_extract_deb(archive, dest, &eo, &res, &e) : archive_extract(archive, dest, &eo, &res, &e);
        long long ms = progress_done(&pg);
        if (r == -EEXIST)
                return log_error("Refusing to unpack into '%s': it exists", dest), XB_EXIT_BAD_INPUT;
        if (r < 0) {
                if (res.write_failed) /* the disk, not the archive: a full one, say */
                        log_error("Failed to write '%s%s%s': %s; nothing was left in '%s'", dest, res.path[0] ? "/" : "",
                                  res.path, xb_detail_text(&e, r), dest);
                else if (r == -XB_E_ARCHIVE_UNSAFE && res.entry[0])
                        log_error("Refused archive entry '%s' of '%s': %s; nothing was left in '%s'", res.entry, archive,
                                  xb_detail_text(&e, r), dest);
                else if (res.entry[0])
                        log_error("Failed to unpack '%s': entry '%s': %s; nothing was left in '%s'", archive,
                                  res.entry, xb_detail_text(&e, r), dest);
                else
                        log_error("Failed to unpack '%s': %s", archive, xb_detail_text(&e, r));
                return xb_exit_code_for(r);
        }
        log_info("Unpacked %llu entries into %s in %.2f s", (unsigned long long) res.entries, dest, (double) ms / 1000.0);
        return XB_EXIT_OK;
}
