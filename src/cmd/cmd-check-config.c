/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "kconfig/check.h"

static const char *arg_profile = NULL, *arg_recipe = NULL, *arg_version = NULL, *arg_fragment = NULL;
static bool arg_running = false, arg_json = false;

static const char usage[] =
        "Usage: xbuild check-config CONFIG|--running [OPTIONS]\n"
        "\n"
        "Can this kernel run the engine? Checks a kernel configuration against a requirement\n"
        "profile (recipes/kconfig/), as docker's check-config.sh and lxc-checkconfig do, for\n"
        "any kernel: CONFIG is a .config, a config.gz copied off a board, a Debian kernel\n"
        "package (.deb), or a kernel image built with IKCONFIG. Exit 0 when every required\n"
        "option holds, 1 when some are missing, 2 when the input cannot be read.\n"
        "\n"
        "Options:\n"
        "      --running           This host's kernel (/proc/config.gz or /boot/config-$(uname -r)),\n"
        "                          plus runtime checks (cgroups mounted, user namespaces)\n"
        "      --profile=NAME      A profile from recipes/kconfig (default: docker-1.10)\n"
        "      --recipe=RECIPE     The profile a recipe names\n"
        "      --kernel-version=V  Judge version-gated options for V (default: the config's header)\n"
        "      --fragment=FILE     Write the missing options as a config fragment for merge_config.sh\n"
        "      --json              Machine-readable output\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        switch (c) {
        case 0x900:
                arg_running = true;
                return 0;
        case 0x901:
                arg_profile = arg;
                return 0;
        case 0x902:
                arg_recipe = arg;
                return 0;
        case 0x903:
                arg_version = arg;
                return 0;
        case 0x904:
                arg_fragment = arg;
                return 0;
        case 'j':
                arg_json = true;
                return 0;
        default:
                return -1;
        }
}

/* What the configuration alone cannot tell, on the running host. */
static void runtime_checks(json_object *root) {
        struct statfs sf;
        _cleanup_free_ char *userns = NULL;
        bool cgroup2 = statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == 0x63677270;
        bool cgroup1 = !cgroup2 && path_exists("/sys/fs/cgroup/memory");
        bool ns = read_full_file("/proc/sys/user/max_user_namespaces", 64, &userns, NULL) >= 0 && atol(userns) > 0;
        if (root) {
                json_object *r = json_object_new_object();
                json_object_object_add(r, "cgroups_mounted", json_object_new_string(cgroup2 ? "v2" : cgroup1 ? "v1" : "no"));
                json_object_object_add(r, "user_namespaces", json_object_new_boolean(ns));
                json_object_object_add(root, "runtime", r);
                return;
        }
        printf("\nRuntime (this host):\n- cgroups: %s\n- user namespaces: %s\n",
               cgroup2 ? "mounted (v2)" : cgroup1 ? "mounted (v1)" : "NOT MOUNTED", ns ? "available" : "unavailable");
}

int cmd_check_config(int argc, char **argv) {
        static const struct option opts[] = {{"running", no_argument, NULL, 0x900}, {"profile", required_argument, NULL, 0x901},
                                             {"recipe", required_argument, NULL, 0x902},
                                             {"kernel-version", required_argument, NULL, 0x903},
                                             {"fragment", required_argument, NULL, 0x904}, {"json", no_argument, NULL, 'j'},
                                             {0}};
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_(kconfig_profile_freep) struct kconfig_profile *prof = NULL;
        _cleanup_(kconfig_freep) struct kconfig *k = NULL;
        _cleanup_free_ char *ppath = NULL, *running = NULL;
        struct kcheck c = {0};
        struct xb_diag d = {0};
        kversion_t version = 0;
        int r;

        r = cli_parse(argc, argv, "", opts, usage, handle);
        if (r <= 0)
                return -r;
        const char *input = r < argc ? argv[r] : NULL;
        if (argc - r != (arg_running ? 0 : 1))
                return cli_usage_error("check-config", arg_running ? "--running takes no CONFIG" : "missing CONFIG (or --running)");
        if (arg_version && kversion_parse(arg_version, &version) < 0)
                return cli_usage_error("check-config", "--kernel-version takes a version such as 4.7 or 6.1.0");
        if (arg_profile && arg_recipe)
                return cli_usage_error("check-config", "--profile and --recipe exclude each other");
        if ((r = cli_open_catalog(&cat)) != 0)
                return r;
        const char *pname = arg_profile ? arg_profile : "docker-1.10";
        if (arg_recipe) {
                _cleanup_(recipe_freep) struct recipe *rc = NULL;
                if ((r = cli_load_recipe(cat, arg_recipe, NULL, &rc)) != 0)
                        return r;
                if (!rc->kconfig)
                        return log_error("Recipe '%s' names no kconfig profile", rc->name), XB_EXIT_BAD_INPUT;
                r = catalog_find(cat, CATALOG_KCONFIG, rc->kconfig, &ppath, &d);
        } else
                r = catalog_find(cat, CATALOG_KCONFIG, pname, &ppath, &d);
        if (r >= 0)
                r = kconfig_profile_load(ppath, &prof, &d);
        if (r < 0) {
                cli_print_diag(&d);
                return XB_EXIT_BAD_INPUT;
        }

        if (arg_running) {
                struct utsname u;
                input = "/proc/config.gz";
                if (!path_exists(input) && uname(&u) == 0 && asprintf(&running, "/boot/config-%s", u.release) >= 0)
                        input = running;
        }
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        r = kconfig_load(input, &k, &e);
        if (r < 0)
                return log_error("Failed to read a kernel configuration from '%s': %s", input, xb_detail_text(&e, r)),
                       XB_EXIT_BAD_INPUT;
        r = kcheck_run(prof, k, version, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to check: %m"), XB_EXIT_BUILD_FAILED;
        if (arg_json) {
                json_object *j = kcheck_json(&c, prof, k);
                if (arg_running)
                        runtime_checks(j);
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else {
                printf("Checking %s against profile %s%s\n\n", input, prof->name,
                       c.version ? "" : " (kernel version unknown: every option applies)");
                kcheck_print(&c, prof, log_use_color() && isatty(STDOUT_FILENO));
                if (arg_running)
                        runtime_checks(NULL);
        }
        if (arg_fragment) {
                _cleanup_free_ char *frag = kcheck_fragment(&c, prof);
                if (!frag || write_file_text(arg_fragment, frag) < 0) {
                        kcheck_clear(&c);
                        return log_error("Failed to write '%s'", arg_fragment), XB_EXIT_BUILD_FAILED;
                }
        }
        r = c.missing_required ? 1 : 0;
        kcheck_clear(&c);
        return r;
}
