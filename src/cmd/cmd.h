/* SPDX-License-Identifier: MIT */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "core/diag.h"
#include "core/errors.h"
#include "recipe/catalog.h"
#include "recipe/recipe.h"

/* The verbs. Each takes its own argv (argv[0] is the verb's name) and returns the process
 * exit code (enum xb_exit). Verbs do the logging; the modules below them do not. */
int cmd_build(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_unpack(int argc, char **argv);
int cmd_binfmt(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_rootfs(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
/* build and shell: plan, then the pipeline (shell: the VM's console instead of the steps). */
int cmd_build_with(const char *verb, int argc, char **argv, const char *usage, bool shell);



/* Options every verb accepts, before or after the verb. */
enum {
        ARG_COLOR = 0x100,
        ARG_DATA_DIR,
        ARG_CACHE_DIR,
        ARG_VERSION,
        _ARG_COMMON_MAX,
};

#define CLI_COMMON_SHORT "+hvq"
#define CLI_COMMON_OPTIONS                                                                         \
        {"help", no_argument, NULL, 'h'}, {"verbose", no_argument, NULL, 'v'},                     \
                {"quiet", no_argument, NULL, 'q'}, {"color", required_argument, NULL, ARG_COLOR},  \
                {"data-dir", required_argument, NULL, ARG_DATA_DIR},                               \
                {"cache-dir", required_argument, NULL, ARG_CACHE_DIR}

#define CLI_COMMON_HELP                                                                            \
        "  -v, --verbose         Debug output\n"                                                   \
        "  -q, --quiet           Only errors and warnings\n"                                       \
        "      --color=WHEN      auto (default), always or never\n"                                \
        "      --data-dir=DIR    Where recipes/ and toolchains/ are\n"                             \
        "      --cache-dir=DIR   Cache directory (default: $XDG_CACHE_HOME/xbuild)\n"              \
        "  -h, --help            Show this help\n"

/* Parses argv with the verb's options and the common ones; calls handle() for the verb's
 * own. Positional arguments are permuted to the end; returns the index of the first, or a
 * negative exit code: -XB_EXIT_OK after --help was printed, -XB_EXIT_BAD_INPUT on a usage
 * error (already reported). */
int cli_parse(int argc, char **argv, const char *verb_short, const struct option *verb_long,
              const char *usage, int (*handle)(int c, const char *arg));
/* Common options, also for main's global ones: 1 handled, 0 not ours, <0 usage error. */
int cli_common_option(int c, const char *arg);
int cli_usage_error(const char *verb, const char *fmt, ...) _printf_(2, 3);
/* --git-mirror URL=PATH: PATH a git repository; a usage error (reported, -1) otherwise. */
int cli_check_git_mirror(const char *verb, const char *arg);
/* --extra-source DEST=PATH: PATH exists; a usage error (reported, -1) otherwise. */
int cli_check_extra_source(const char *verb, const char *arg);

const char *cli_data_dir(void);
const char *cli_cache_dir(void);

/* Opens the catalog, logging failures. */
int cli_open_catalog(struct catalog **ret);
/* Loads a recipe by name or path and prints its located error; returns 0 or an exit code. */
/* variant: --variant NAME, or NULL for the recipe itself. */
/* --variant's value: a name as recipes spell them; a usage error otherwise (-1). */
int cli_check_variant(const char *verb, const char *arg);
int cli_load_recipe(const struct catalog *c, const char *arg, const char *variant, struct recipe **ret);
/* Prints a diag as the one line FILE:LINE:COL: message. */
void cli_print_diag(const struct xb_diag *d);
/* Resolves --arch (NULL: the recipe's first) and checks the recipe supports it. */
int cli_pick_arch(const struct recipe *rc, const char *arg, enum xb_arch *ret);
int cli_pick_strategy(const char *arg, enum xb_strategy *ret);
/* Logs a lower layer's failure (its message, or the code's text) and returns the exit code
 * for r; clears e. */
int cli_report_error(int r, struct xb_detail *e);
/* A rootfs definition by name or path, with its located error reported. */
int cli_load_rootfs(const char *arg, struct rootfs_def **ret);
