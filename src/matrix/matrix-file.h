/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"
#include "core/macro.h"
#include "recipe/arch.h"
#include "recipe/strategy-name.h"

/* A build matrix (docs/matrix.md): recipes × arches × strategies, minus excludes, each cell
 * with its own options. Read by the same strict YAML reader as recipes (FILE:LINE:COL, exit 2). */

struct matrix_recipe {
        char *name;    /* a recipe name or path, as 'xbuild build' takes it */
        char *variant; /* NULL: the recipe itself */
        unsigned line, col; /* where the file names it (0: the command line) */
        unsigned arches;    /* bit per enum xb_arch the recipe builds for; 0: not known */
};

/* A pattern over cells: NULL / invalid members match anything. */
struct matrix_match {
        char *recipe;
        char *variant;
        enum xb_arch arch;
        enum xb_strategy strategy;
};

struct matrix_options {
        char *source;            /* --source */
        char *memory;            /* --memory (qemu-system VMs) */
        unsigned timeout;        /* seconds for the whole cell; 0: none */
        int test;                /* -1: not said, else --test */
};

struct matrix_rule {
        struct matrix_match match;
        struct matrix_options options;
};

struct matrix_file {
        char *path;
        char *name;
        struct matrix_recipe *recipes;
        size_t n_recipes;
        enum xb_arch arches[_XB_ARCH_MAX];
        size_t n_arches;
        enum xb_strategy strategies[_XB_STRATEGY_MAX];
        size_t n_strategies;
        struct matrix_match *excludes;
        size_t n_excludes;
        struct matrix_rule *rules; /* cells: later rules override earlier ones */
        size_t n_rules;
        bool test; /* test: true for every cell */
};

struct matrix_file *matrix_file_free(struct matrix_file *m);
DEFINE_FREEP(struct matrix_file, matrix_file_free)

int matrix_file_parse(const char *data, size_t size, const char *filename, struct matrix_file **ret,
                      struct xb_diag *reterr);
int matrix_file_load(const char *path, struct matrix_file **ret, struct xb_diag *reterr);

/* An ad-hoc grid from comma-separated lists (--recipes a,b@debian --arches ... --strategies
 * ...). An empty list is an error naming the option (-EINVAL, *ret_bad names it). */
int matrix_file_from_lists(const char *recipes, const char *arches, const char *strategies, struct matrix_file **ret,
                           char **ret_error);

struct matrix_cell {
        const struct matrix_recipe *recipe;
        enum xb_arch arch;
        enum xb_strategy strategy;
        struct matrix_options options; /* the rules that match, merged (strings borrowed) */
        char id[160];                  /* RECIPE[@VARIANT]/ARCH/STRATEGY */
        char dir[160];                 /* RECIPE[@VARIANT]-ARCH-STRATEGY: a file name */
};

/* Every cell in order (recipe, then arch, then strategy), excludes left out. -ENOTUNIQ when
 * two recipes give the same id (a/runc.yaml and b/runc.yaml), -ENAMETOOLONG for an id over
 * the limit. */
int matrix_cells(const struct matrix_file *m, struct matrix_cell **ret, size_t *ret_n);
bool matrix_match_cell(const struct matrix_match *p, const struct matrix_recipe *r, enum xb_arch a, enum xb_strategy s);
