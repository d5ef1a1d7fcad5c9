/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "binfmt/binfmt.h"
#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"

static const char *arg_arch = NULL;
static bool arg_json = false, arg_force = false;

static const char usage[] =
        "Usage: xbuild binfmt status|install|remove [OPTIONS]\n"
        "\n"
        "  status    binfmt_misc entries that run ARM programs: interpreter, flags, whether\n"
        "            xbuild registered them, and what is wrong with them for chroots\n"
        "  install   Mount binfmt_misc if needed and register qemu-user-static with the F flag\n"
        "            (builds do this themselves); a fitting existing entry is reused, unfit\n"
        "            ones are explained and left alone unless --force\n"
        "  remove    Remove the entries xbuild registered (never others), re-enabling any that\n"
        "            --force disabled\n"
        "\n"
        "Options:\n"
        "  -a, --arch=ARCH       armhf, armel or arm64 (default: all)\n"
        "      --force           install: disable unfit entries that would be used instead\n"
        "      --json            status as JSON\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        if (c == 'a')
                arg_arch = arg;
        else if (c == 'j')
                arg_json = true;
        else if (c == 0x600)
                arg_force = true;
        else
                return -1;
        return 0;
}

static void arches_of(const struct binfmt_rule *r, char *buf, size_t size) {
        buf[0] = 0;
        for (int a = 0; a < _XB_ARCH_MAX; a++)
                if (binfmt_rule_matches_arch(r, (enum xb_arch) a)) {
                        if (buf[0])
                                strncat(buf, ",", size - strlen(buf) - 1);
                        strncat(buf, arch_to_string((enum xb_arch) a), size - strlen(buf) - 1);
                }
}

static int do_status(void) {
        _cleanup_free_ struct binfmt_entry *v = NULL;
        size_t n = 0;
        int r;

        if (!binfmt_is_mounted(BINFMT_MNT)) {
                if (arg_json)
                        puts("{\"mounted\": false, \"entries\": []}");
                else
                        printf("binfmt_misc is not mounted at %s ('xbuild binfmt install' mounts it)\n", BINFMT_MNT);
                return XB_EXIT_OK;
        }
        r = binfmt_list(BINFMT_MNT, &v, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", BINFMT_MNT), XB_EXIT_HOST_MISSING;
        json_object *root = arg_json ? json_object_new_object() : NULL, *arr = arg_json ? json_object_new_array() : NULL;
        for (size_t i = 0; i < n; i++) {
                char arches[64];
                const char *problem = binfmt_entry_problem(&v[i]);
                arches_of(&v[i].rule, arches, sizeof arches);
                if (!arches[0] && !v[i].ours)
                        continue; /* not about ARM */
                if (arr) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(v[i].rule.name));
                        json_object_object_add(o, "enabled", json_object_new_boolean(v[i].enabled));
                        json_object_object_add(o, "interpreter", json_object_new_string(v[i].rule.interpreter));
                        json_object_object_add(o, "flags", json_object_new_string(v[i].rule.flags));
                        json_object_object_add(o, "arches", json_object_new_string(arches));
                        json_object_object_add(o, "registered_by_xbuild", json_object_new_boolean(v[i].ours));
                        json_object_object_add(o, "problem", problem ? json_object_new_string(problem) : NULL);
                        json_object_array_add(arr, o);
                } else
                        printf("%-22s %-8s %-10s flags %-5s %s%s\n    %s%s\n", v[i].rule.name,
                               v[i].enabled ? "enabled" : "disabled", arches, v[i].rule.flags,
                               v[i].ours ? "registered by xbuild" : "not xbuild's", "",
                               v[i].rule.interpreter, problem ? "" : "");
                if (!arr && problem)
                        printf("    problem: %s\n", problem);
        }
        if (root) {
                json_object_object_add(root, "mounted", json_object_new_boolean(true));
                json_object_object_add(root, "entries", arr);
                puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(root);
        }
        return XB_EXIT_OK;
}

static int do_install(int arches_mask) {
        int ret = XB_EXIT_OK;
        bool seen_qemu[2] = {false, false};

        for (int a = 0; a < _XB_ARCH_MAX; a++) {
                _cleanup_(xb_detail_clear) struct xb_detail e = {0};
                struct binfmt_setup_result res;
                int r, q = streq(binfmt_qemu_name((enum xb_arch) a), "arm") ? 0 : 1;
                if (!(arches_mask & (1 << a)) || seen_qemu[q])
                        continue; /* armhf and armel share qemu-arm */
                seen_qemu[q] = true;
                r = binfmt_setup(BINFMT_MNT, NULL, BINFMT_STATE_FILE, (enum xb_arch) a, arg_force, &res, &e);
                if (r == -ENOENT)
                        return log_error("No qemu-user-static definition for %s: install it (apt-get install qemu-user-static)",
                                         arch_to_string((enum xb_arch) a)),
                               XB_EXIT_HOST_MISSING;
                if (r < 0)
                        return log_error("Failed to set up binfmt_misc for %s: %s", arch_to_string((enum xb_arch) a),
                                         xb_detail_text(&e, r)),
                               XB_EXIT_HOST_MISSING;
                if (res.mounted_now)
                        log_info("Mounted binfmt_misc at %s", BINFMT_MNT);
                switch (res.action) {
                case BINFMT_ALREADY:
                        printf("%s: %s already registered%s%s\n", arch_to_string((enum xb_arch) a), res.name,
                               res.detail[0] ? "; disabled: " : "", res.detail);
                        break;
                case BINFMT_REUSED:
                        printf("%s: reusing %s (fit for chroots)\n", arch_to_string((enum xb_arch) a), res.name);
                        break;
                case BINFMT_REGISTERED:
                        printf("%s: registered %s%s%s\n", arch_to_string((enum xb_arch) a), res.name,
                               res.detail[0] ? "; disabled: " : "", res.detail);
                        break;
                case BINFMT_CONFLICT:
                        log_error("%s: entries that would run ARM programs are unfit, nothing changed: %s. "
                                  "Fix or remove them, or pass --force to disable them while xbuild's is registered",
                                  arch_to_string((enum xb_arch) a), res.detail);
                        ret = XB_EXIT_HOST_MISSING;
                }
        }
        return ret;
}

int cmd_binfmt(int argc, char **argv) {
        static const struct option opts[] = {{"arch", required_argument, NULL, 'a'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"force", no_argument, NULL, 0x600},
                                             {0}};
        int r, mask = (1 << XB_ARCH_ARMHF) | (1 << XB_ARCH_ARMEL) | (1 << XB_ARCH_ARM64);
        enum xb_arch one = _XB_ARCH_INVALID;

        r = cli_parse(argc, argv, "a:", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error("binfmt", argc - r == 0 ? "missing status, install or remove" : "too many arguments");
        const char *action = argv[r];
        if (arg_arch) {
                one = arch_from_string(arg_arch);
                if (one < 0)
                        return cli_usage_error("binfmt", "unknown architecture '%s' (armhf, armel, arm64)", arg_arch);
                mask = 1 << one;
        }
        if (streq(action, "status"))
                return do_status();
        if (!streq(action, "install") && !streq(action, "remove"))
                return cli_usage_error("binfmt", "unknown action '%s' (status, install, remove)", action);
        if (geteuid() != 0)
                return log_error("binfmt %s needs root", action), XB_EXIT_HOST_MISSING;
        if (streq(action, "install"))
                return do_install(mask);
        unsigned removed = 0;
        r = binfmt_teardown(BINFMT_MNT, BINFMT_STATE_FILE, one, &removed);
        if (r < 0)
                return log_error_errno(r, "Failed to remove xbuild's binfmt entries: %m"), XB_EXIT_CLEANUP_INCOMPLETE;
        printf("%u entries removed\n", removed);
        return XB_EXIT_OK;
}
