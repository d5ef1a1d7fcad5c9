/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "matrix-file.h"

/* Runs every cell of a matrix, one after the other, each as its own 'xbuild build' process (the
 * same pipeline, its own out dir OUT/cells/CELL/, log and report.json; a failure stops only its
 * cell). Before building, 'xbuild plan --json' decides whether the cell's strategy can run on
 * this host: when not, the cell is "skipped" with the plan's reason. */

struct matrix_run_opts {
        const char *out_dir;   /* where cells/ goes */
        const char *self;      /* the xbuild executable to run */
        const char *cache_dir; /* passed on: --cache-dir, --data-dir (NULL: not given) */
        const char *data_dir;
        bool quiet;            /* no per-cell lines on stderr */
        const char *only;      /* run only the cell of this id (a CI job's one cell); NULL: all */
        unsigned jobs;         /* cells at once (0, 1: one after the other); never two emulated
                                * ones (chroot, qemu-system) at the same time */
};

/* *ret: the "cells" array of matrix.json (docs/matrix.md), one object per cell in order.
 * Returns 0 whatever the cells did, or -errno when the matrix itself cannot run. An
 * interruption (SIGINT/SIGTERM) stops the running cell and marks the rest "not-run". */
int matrix_run(const struct matrix_file *m, const struct matrix_run_opts *o, json_object **ret);
