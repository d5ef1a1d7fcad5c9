/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strv.h"

static bool arg_json = false;

static const char usage[] =
        "Usage: xbuild list [recipes|rootfs|toolchains|kconfig] [OPTIONS]\n"
        "\n"
        "List what xbuild knows: engine recipes, rootfs definitions, toolchains and kernel\n"
        "config profiles, each with its summary. Every file is validated; an invalid one is\n"
        "reported with its FILE:LINE:COL and makes the exit code 2.\n"
        "\n"
        "Options:\n"
        "      --json            Machine-readable output\n" CLI_COMMON_HELP;

static const char *const section_names[_CATALOG_KIND_MAX] = {
        [CATALOG_RECIPE] = "recipes",
        [CATALOG_ROOTFS] = "rootfs",
        [CATALOG_TOOLCHAIN] = "toolchains",
        [CATALOG_KCONFIG] = "kconfig",
};

static int handle(int c, const char *arg) {
        (void) arg;
        if (c != 'j')
                return -1;
        arg_json = true;
        return 0;
}

/* Loads one entry for its summary and arches; on failure fills d. */
static int describe(const struct catalog *cat, enum catalog_kind k, const char *name,
                    char **ret_summary, char **ret_arches, struct xb_diag *d) {
        _cleanup_free_ char *path = NULL;
        char arches[64] = "";
        int r;

        r = catalog_find(cat, k, name, &path, d);
        if (r < 0)
                return r;
#define ADD_ARCHES(list, n)                                                                        \
        for (size_t i = 0; i < (n); i++) {                                                         \
                if (i)                                                                             \
                        strcat(arches, ",");                                                       \
                strcat(arches, arch_to_string(list[i]));                                           \
        }
        switch (k) {
        case CATALOG_RECIPE: {
                _cleanup_(recipe_freep) struct recipe *x = NULL;
                if ((r = catalog_load_recipe(cat, name, NULL, &x, d)) < 0)
                        return r;
                ADD_ARCHES(x->arches, x->n_arches);
                /* Its variants after the summary: what --variant can ask for. */
                _cleanup_free_ char *vars = x->variants && x->variants[0] ? strv_join(x->variants, ", ") : NULL;
                if (vars ? asprintf(ret_summary, "%s (variants: %s)", x->summary, vars) < 0 : !(*ret_summary = strdup(x->summary)))
                        *ret_summary = NULL;
                break;
        }
        case CATALOG_ROOTFS: {
                _cleanup_(rootfs_def_freep) struct rootfs_def *x = NULL;
                if ((r = rootfs_def_load(path, &x, d)) < 0)
                        return r;
                ADD_ARCHES(x->arches, x->n_arches);
                *ret_summary = strdup(x->summary);
                break;
        }
        case CATALOG_TOOLCHAIN: {
                _cleanup_(toolchain_freep) struct toolchain *x = NULL;
                if ((r = toolchain_load(path, &x, d)) < 0)
                        return r;
                for (int a = 0; a < _XB_ARCH_MAX; a++)
                        if (x->arches[a].set) {
                                if (arches[0])
                                        strcat(arches, ",");
                                strcat(arches, arch_to_string((enum xb_arch) a));
                        }
                *ret_summary = strdup(x->summary);
                break;
        }
        default: {
                _cleanup_(kconfig_profile_freep) struct kconfig_profile *x = NULL;
                if ((r = kconfig_profile_load(path, &x, d)) < 0)
                        return r;
                *ret_summary = strdup(x->summary);
        }
        }
#undef ADD_ARCHES
        *ret_arches = strdup(arches);
        return *ret_summary && *ret_arches ? 0 : -ENOMEM;
}

int cmd_list(int argc, char **argv) {
        static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        json_object *root = NULL;
        int r, ret = XB_EXIT_OK, only = -1;

        r = cli_parse(argc, argv, "", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r > 1)
                return cli_usage_error("list", "too many arguments");
        if (argc - r == 1) {
                for (int k = 0; k < _CATALOG_KIND_MAX; k++)
                        if (streq(argv[r], section_names[k]))
                                only = k;
                if (only < 0)
                        return cli_usage_error("list", "unknown section '%s' (recipes, rootfs, toolchains, kconfig)",
                                               argv[r]);
        }
        if ((r = cli_open_catalog(&cat)) != 0)
                return r;
        if (arg_json && !(root = json_object_new_object()))
                return log_error_errno(-ENOMEM, "Failed to list: %m"), XB_EXIT_BUILD_FAILED;

        for (int k = 0; k < _CATALOG_KIND_MAX; k++) {
                _cleanup_strv_free_ char **names = NULL;
                json_object *arr = NULL;

                if (only >= 0 && k != only)
                        continue;
                r = catalog_list(cat, (enum catalog_kind) k, &names);
                if (r < 0) {
                        _cleanup_free_ char *dir = catalog_dir(cat, (enum catalog_kind) k);
                        log_error_errno(r, "Failed to read '%s': %m", strempty(dir));
                        ret = XB_EXIT_BAD_INPUT;
                        continue;
                }
                if (root) {
                        arr = json_object_new_array();
                        json_object_object_add(root, section_names[k], arr);
                } else
                        printf("%s%s:\n", k > 0 && only < 0 ? "\n" : "", section_names[k]);
                STRV_FOREACH(n, names) {
                        _cleanup_free_ char *summary = NULL, *arches = NULL;
                        struct xb_diag d = {0};
                        r = describe(cat, (enum catalog_kind) k, *n, &summary, &arches, &d);
                        if (r < 0) {
                                if (r == -ENOMEM)
                                        return log_error_errno(r, "Failed to list: %m"), XB_EXIT_BUILD_FAILED;
                                cli_print_diag(&d);
                                ret = XB_EXIT_BAD_INPUT;
                        }
                        if (arr) {
                                json_object *o = json_object_new_object();
                                json_object_object_add(o, "name", json_object_new_string(*n));
                                json_object_object_add(o, "valid", json_object_new_boolean(r >= 0));
                                json_object_object_add(o, "summary", summary ? json_object_new_string(summary) : NULL);
                                json_object_object_add(o, "arches", arches ? json_object_new_string(arches) : NULL);
                                json_object_array_add(arr, o);
                        } else if (r >= 0)
                                printf("  %-22s %-18s %s\n", *n, arches[0] ? arches : "-", summary);
                        else
                                printf("  %-22s %-18s (invalid, see the error above)\n", *n, "-");
                }
        }
        if (root) {
                puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(root);
        }
        return ret;
}
