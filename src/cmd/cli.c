/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "core/path.h"
#include "fetch/gitsrc.h"
#include "core/errors.h"
#include "core/log.h"
#include "recipe/ydecode.h"

static const char *arg_data_dir = NULL;
static const char *arg_cache_dir = NULL;

const char *cli_data_dir(void) {
        return arg_data_dir;
}

const char *cli_cache_dir(void) {
        return arg_cache_dir;
}

int cli_usage_error(const char *verb, const char *fmt, ...) {
        char buf[1024];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (verb)
                log_error("%s: %s (see 'xbuild %s --help')", verb, buf, verb);
        else
                log_error("%s (see 'xbuild --help')", buf);
        return XB_EXIT_BAD_INPUT;
}

int cli_common_option(int c, const char *arg) {
        switch (c) {
        case 'v':
                log_set_max_level(LOG_LEVEL_DEBUG);
                return 1;
        case 'q':
                log_set_max_level(LOG_LEVEL_WARNING);
                return 1;
        case ARG_COLOR:
                if (streq(arg, "auto"))
                        log_set_color(-1);
                else if (streq(arg, "always"))
                        log_set_color(1);
                else if (streq(arg, "never"))
                        log_set_color(0);
                else
                        return -1;
                return 1;
        case ARG_DATA_DIR:
                arg_data_dir = arg;
                return 1;
        case ARG_CACHE_DIR:
                arg_cache_dir = arg;
                return 1;
        default:
                return 0;
        }
}

int cli_parse(int argc, char **argv, const char *verb_short, const struct option *verb_long,
              const char *usage, int (*handle)(int c, const char *arg)) {
        static const struct option common[] = {CLI_COMMON_OPTIONS};
        struct option opts[64];
        char shortopts[64];
        size_t n = 0;
        int c;

        for (size_t i = 0; i < ELEMENTSOF(common); i++)
                opts[n++] = common[i];
        for (const struct option *o = verb_long; o && o->name && n < ELEMENTSOF(opts) - 1; o++)
                opts[n++] = *o;
        opts[n] = (struct option){0};
        /* No '+': GNU getopt permutes, so options may follow the recipe name. */
        (void) snprintf(shortopts, sizeof shortopts, ":hvq%s", verb_short ? verb_short : "");

        opterr = 0;
        optind = 0; /* 0, not 1: re-initialises glibc's getopt for this argv */
        while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) >= 0) {
                int r;
                if (c == 'h') {
                        fputs(usage, stdout);
                        return -XB_EXIT_OK;
                }
                if (c == '?') {
                        if (optopt)
                                return -cli_usage_error(argv[0], "unknown option '-%c'", optopt);
                        return -cli_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
                }
                if (c == ':')
                        return -cli_usage_error(argv[0], "option '%s' needs a value", argv[optind - 1]);
                r = cli_common_option(c, optarg);
                if (r < 0)
                        return -cli_usage_error(argv[0], "invalid value '%s' for --color (auto, always, never)",
                                                optarg);
                if (r > 0)
                        continue;
                r = handle ? handle(c, optarg) : -1;
                if (r < 0)
                        return -XB_EXIT_BAD_INPUT;
        }
        return optind;
}

void cli_print_diag(const struct xb_diag *d) {
        log_located(LOG_LEVEL_ERROR, d->file[0] ? d->file : "<input>", d->line, d->col, d->msg);
}

int cli_open_catalog(struct catalog **ret) {
        int r = catalog_open(arg_data_dir, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to find xbuild's data directory: %m"), XB_EXIT_HOST_MISSING;
        log_debug("Data directory: %s", (*ret)->root);
        return 0;
}

int cli_check_variant(const char *verb, const char *arg) {
        size_t n = strlen(arg);
        if (n == 0 || n > 64 || arg[0] == '-' || strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != n)
                return cli_usage_error(verb, "--variant '%s': give a variant name such as debian", arg), -1;
        return 0;
}

int cli_load_recipe(const struct catalog *c, const char *arg, const char *variant, struct recipe **ret) {
        struct xb_diag d = {0};
        int r = catalog_load_recipe(c, arg, variant, ret, &d);

        if (r == -ENOMEM)
                return log_error_errno(r, "Failed to load recipe '%s': %m", arg), XB_EXIT_BUILD_FAILED;
        if (r < 0) {
                cli_print_diag(&d);
                return XB_EXIT_BAD_INPUT;
        }
        return 0;
}

/* "unknown KIND 'value' (did you mean 'x'?)" or "(known: ...)", as a usage error. */
static int unknown_value(const char *kind, const char *value, const char *const *candidates,
                         const char *known) {
        const char *g = yd_did_you_mean(value, candidates);
        if (g)
                return cli_usage_error(NULL, "unknown %s '%s' (did you mean '%s'?)", kind, value, g);
        return cli_usage_error(NULL, "unknown %s '%s' (known: %s)", kind, value, known);
}

int cli_pick_arch(const struct recipe *rc, const char *arg, enum xb_arch *ret) {
        enum xb_arch a;

        if (!arg) {
                *ret = rc->arches[0];
                return 0;
        }
        a = arch_from_string(arg);
        if (a < 0)
                return unknown_value("architecture", arg, arch_names(), "armhf, armel, arm64");
        if (!recipe_supports_arch(rc, a)) {
                char list[64] = "";
                for (size_t i = 0; i < rc->n_arches; i++) {
                        if (i)
                                strncat(list, ", ", sizeof list - strlen(list) - 1);
                        strncat(list, arch_to_string(rc->arches[i]), sizeof list - strlen(list) - 1);
                }
                log_error("recipe '%s' does not support %s (it supports: %s)", rc->name, arg, list);
                return XB_EXIT_BAD_INPUT;
        }
        *ret = a;
        return 0;
}

int cli_pick_strategy(const char *arg, enum xb_strategy *ret) {
        enum xb_strategy s;

        if (!arg || streq(arg, "auto")) {
                *ret = _XB_STRATEGY_INVALID;
                return 0;
        }
        s = strategy_from_string(arg);
        if (s < 0)
                return unknown_value("strategy", arg, strategy_names(),
                                     "auto, cross, chroot, qemu-system, remote");
        *ret = s;
        return 0;
}

int cli_load_rootfs(const char *arg, struct rootfs_def **ret) {
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_free_ char *path = NULL;
        struct xb_diag d = {0};
        int r;

        if ((r = cli_open_catalog(&cat)) != 0)
                return r;
        r = catalog_find(cat, CATALOG_ROOTFS, arg, &path, &d);
        if (r >= 0)
                r = rootfs_def_load(path, ret, &d);
        if (r == -ENOMEM)
                return log_error_errno(r, "Failed to load rootfs '%s': %m", arg), XB_EXIT_BUILD_FAILED;
        if (r < 0) {
                cli_print_diag(&d);
                return XB_EXIT_BAD_INPUT;
        }
        return 0;
}

int cli_report_error(int r, struct xb_detail *e) {
        int exit_code = xb_exit_code_for(r);
        log_error("%s", xb_detail_text(e, r));
        xb_detail_clear(e);
        return exit_code == XB_EXIT_OK ? XB_EXIT_BUILD_FAILED : exit_code;
}

int cli_check_git_mirror(const char *verb, const char *arg) {
        const char *eq = strrchr(arg, '=');
        if (arg[0] == '-' || !eq || eq == arg || !eq[1])
                return cli_usage_error(verb, "--git-mirror takes URL=PATH, not '%s'", arg), -1;
        if (!gitsrc_is_repository(eq + 1))
                return cli_usage_error(verb, "--git-mirror %s: '%s' is not a git repository", arg, eq + 1), -1;
        return 0;
}

int cli_check_extra_source(const char *verb, const char *arg) {
        const char *eq = strchr(arg, '=');
        if (arg[0] == '-' || !eq || eq == arg || !eq[1] || eq[1] == '-')
                return cli_usage_error(verb, "--extra-source takes DEST=PATH, not '%s'", arg), -1;
        if (!path_is_dir(eq + 1))
                return cli_usage_error(verb, "--extra-source %s: '%s' is not a directory", arg, eq + 1), -1;
        return 0;
}
