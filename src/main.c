/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/errors.h"
#include "core/log.h"

#ifndef XB_VERSION
#define XB_VERSION "unknown"
#endif

struct verb {
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
};

static const struct verb verbs[] = {
        {"build", cmd_build, "Build a recipe for an ARM architecture and verify it"},
        {"matrix", cmd_matrix, "Build recipes x arches x strategies, with a report people read and CI consumes"},
        {"test", cmd_test, "Prove a built engine runs: its daemon and a container in the ARM VM"},
        {"shell", cmd_shell, "A root shell in the build VM of a recipe (qemu-system), source and steps inside"},
        {"plan", cmd_plan, "Show which strategy would build a recipe, why, and what it would run"},
        {"show", cmd_show, "Show a recipe as xbuild resolved it"},
        {"list", cmd_list, "List recipes, rootfs definitions, toolchains and kconfig profiles"},
        {"fetch", cmd_fetch, "Fetch and verify a recipe's source, a rootfs tarball or a URL"},
        {"cache", cmd_cache, "List, verify or prune the download cache"},
        {"unpack", cmd_unpack, "Extract a tarball or .deb safely"},
        {"verify", cmd_verify, "Check an executable is for the target and runs (ELF, qemu smoke runs)"},
        {"check-config", cmd_check_config, "Check a kernel configuration against an engine's needs"},
        {"run", cmd_run, "Run an ARM program in a throw-away session on a cached root file system"},
        {"rootfs", cmd_rootfs, "List, prepare or remove cached ARM root file systems"},
        {"clean", cmd_clean, "Remove what killed runs left in the cache"},
        {"binfmt", cmd_binfmt, "Show, install or remove the qemu-user binfmt_misc entries"},
};

static void usage(FILE *f) {
        fputs("Usage: xbuild [OPTIONS] VERB [ARGS...]\n"
              "       xbuild [OPTIONS] RECIPE [BUILD OPTIONS]   (same as 'xbuild build RECIPE')\n"
              "\n"
              "Builds container engines, with their daemon, for ARM boards (armhf, armel, arm64)\n"
              "by cross compiling, in an emulated ARM chroot, in an emulated ARM machine or on an\n"
              "ARM host over ssh, and proves the result runs.\n"
              "\n"
              "Verbs:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
        fputs("\n"
              "Options:\n" CLI_COMMON_HELP
              "      --version         Print the version\n"
              "\n"
              "'xbuild VERB --help' describes each verb.\n"
              "\n"
              "Exit status: 0 ok, 1 build failed, 2 bad input or usage, 3 verification or the\n"
              "functional test failed, 4 the host lacks something, 5 cleanup incomplete, 6 the\n"
              "build or test VM failed (panic, hang).\n",
              f);
}

int main(int argc, char **argv) {
        static const struct option opts[] = {CLI_COMMON_OPTIONS, {"version", no_argument, NULL, ARG_VERSION}, {0}};
        int c;

        /* Global options stop at the verb ('+'): the verb parses the rest. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:hvq", opts, NULL)) >= 0) {
                int r;
                switch (c) {
                case 'h':
                        usage(stdout);
                        return XB_EXIT_OK;
                case ARG_VERSION:
                        printf("xbuild %s\n", XB_VERSION);
                        return XB_EXIT_OK;
                case '?':
                        if (optopt)
                                return cli_usage_error(NULL, "unknown option '-%c'", optopt);
                        return cli_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
                case ':':
                        return cli_usage_error(NULL, "option '%s' needs a value", argv[optind - 1]);
                default:
                        r = cli_common_option(c, optarg);
                        if (r <= 0)
                                return cli_usage_error(NULL, "invalid value '%s' for --color (auto, always, never)",
                                                       optarg);
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return XB_EXIT_BAD_INPUT;
        }

        char **vargv = argv + optind;
        int vargc = argc - optind;
        if (streq(vargv[0], "help")) {
                if (vargc == 1) {
                        usage(stdout);
                        return XB_EXIT_OK;
                }
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (streq(vargv[1], verbs[i].name)) {
                                char *hargv[] = {vargv[1], (char *) "--help", NULL};
                                return verbs[i].run(2, hargv);
                        }
                return cli_usage_error(NULL, "unknown verb '%s'", vargv[1]);
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(vargv[0], verbs[i].name))
                        return verbs[i].run(vargc, vargv);

        /* 'xbuild RECIPE ...' is 'xbuild build RECIPE ...'. */
        if (vargv[0][0] != '-') {
                /* vargv[-1] exists: it is argv[optind - 1] (at least argv[0]). */
                char *saved = vargv[-1];
                vargv[-1] = (char *) "build";
                c = cmd_build(vargc + 1, vargv - 1);
                vargv[-1] = saved;
                return c;
        }
        return cli_usage_error(NULL, "unknown verb '%s'", vargv[0]);
}
