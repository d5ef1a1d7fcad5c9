/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/strv.h"
#include "verify/verify.h"

static const char *arg_arch = "armhf";
static int arg_static = -1, arg_pie = -1, arg_library = -1;
static bool arg_json = false;
static char **arg_runs[17];
static size_t arg_n_runs = 0;
static const char *arg_sysroot = NULL;
static unsigned arg_timeout = 60;

static const char usage[] =
        "Usage: xbuild verify FILE [OPTIONS]\n"
        "\n"
        "Check that FILE is an executable for the target: ELF class, machine, EABI version and\n"
        "float ABI (armhf: hard-float, armel: soft-float; GOARM for Go binaries), static, dynamic or\n"
        "a shared library, PIE or not, and run it under qemu-user with each --run, in a throw-away\n"
        "sandbox (its own namespaces, no network, nothing of the host but qemu and FILE).\n"
        "Exit 3 when a check fails.\n"
        "\n"
        "Options:\n"
        "  -a, --arch=ARCH       armhf (default), armel or arm64\n"
        "      --static          Must be statically linked\n"
        "      --dynamic         Must be dynamically linked\n"
        "      --pie             Must be position-independent (Android 5+ runs nothing else)\n"
        "      --no-pie          Must be position-dependent\n"
        "      --shared-library  Must be a shared library (checked, not run)\n"
        "      --run=ARGS        Run FILE with these space-separated arguments; must exit 0\n"
        "                        (repeatable; --run= runs it without arguments)\n"
        "      --timeout=S       Seconds for each run (default 60)\n"
        "      --sysroot=DIR     Library prefix for dynamic executables (qemu -L)\n"
        "      --json            Machine-readable result\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        char *end;
        switch (c) {
        case 'a':
                arg_arch = arg;
                return 0;
        case 0x800:
                arg_static = 1;
                return 0;
        case 0x801:
                arg_static = 0;
                return 0;
        case 0x805:
                arg_pie = 1;
                return 0;
        case 0x806:
                arg_pie = 0;
                return 0;
        case 0x807:
                arg_library = 1;
                return 0;
        case 0x802: {
                char **argv = NULL;
                if (arg_n_runs == ELEMENTSOF(arg_runs) - 1)
                        return cli_usage_error("verify", "at most 16 --run"), -1;
                _cleanup_free_ char *copy = strdup(arg);
                for (char *save = NULL, *t = copy ? strtok_r(copy, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save))
                        if (strv_extend(&argv, t) < 0)
                                return -1;
                if (!argv && !(argv = calloc(1, sizeof(char *))))
                        return -1;
                arg_runs[arg_n_runs++] = argv;
                return 0;
        }
        case 0x803: {
                unsigned long v = strtoul(arg, &end, 10);
                if (*end || !v || v > 86400)
                        return cli_usage_error("verify", "--timeout takes seconds from 1 to 86400"), -1;
                arg_timeout = (unsigned) v;
                return 0;
        }
        case 0x804:
                arg_sysroot = arg;
                return 0;
        case 'j':
                arg_json = true;
                return 0;
        default:
                return -1;
        }
}

int cmd_verify(int argc, char **argv) {
        static const struct option opts[] = {{"arch", required_argument, NULL, 'a'}, {"static", no_argument, NULL, 0x800},
                                             {"dynamic", no_argument, NULL, 0x801}, {"run", required_argument, NULL, 0x802},
                                             {"timeout", required_argument, NULL, 0x803},
                                             {"sysroot", required_argument, NULL, 0x804}, {"json", no_argument, NULL, 'j'},
                                             {"pie", no_argument, NULL, 0x805}, {"no-pie", no_argument, NULL, 0x806},
                                             {"shared-library", no_argument, NULL, 0x807},
                                             {0}};
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        struct verify_result v = {0};
        int r, ret;

        r = cli_parse(argc, argv, "a:", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error("verify", argc - r == 0 ? "missing FILE" : "too many arguments");
        enum xb_arch a = arch_from_string(arg_arch);
        if (a < 0)
                return cli_usage_error("verify", "unknown architecture '%s' (armhf, armel, arm64)", arg_arch);
        if (arg_library == 1 && arg_n_runs > 0)
                return cli_usage_error("verify", "a shared library is checked, not run: drop --run");
        struct verify_opts o = {.arch = a, .want = {arg_static, arg_pie, arg_library}, .runs = arg_runs,
                                .timeout_s = arg_timeout,
                                .sysroot = arg_sysroot ? (char *const[]){(char *) arg_sysroot, NULL} : NULL};
        r = verify_artifact(argv[r], &o, &v, &e);
        if (r < 0) {
                log_error("Failed to verify: %s", xb_detail_text(&e, r));
                ret = xb_exit_code_for(r) == XB_EXIT_HOST_MISSING ? XB_EXIT_HOST_MISSING
                      : r == -ENOENT                              ? XB_EXIT_BAD_INPUT
                                                                  : XB_EXIT_BUILD_FAILED;
        } else {
                if (arg_json) {
                        json_object *j = verify_result_json(&v);
                        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                        json_object_put(j);
                } else
                        verify_print(&v);
                ret = v.ok ? XB_EXIT_OK : XB_EXIT_VERIFY_FAILED;
        }
        verify_result_clear(&v);
        for (size_t i = 0; i < arg_n_runs; i++)
                strv_free(arg_runs[i]);
        return ret;
}
