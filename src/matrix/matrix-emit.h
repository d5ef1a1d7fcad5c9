/* SPDX-License-Identifier: MIT */
#pragma once

#include "matrix-file.h"

/* A matrix scaled out on a CI engine that exists, not on a scheduler of ours: one job per cell,
 * each a one-cell 'xbuild matrix' (so a cell a runner cannot build is "skipped" exactly as
 * locally), its directory uploaded; then one job that downloads them all and runs 'xbuild
 * matrix merge' for the same matrix.json, junit.xml and index.html (docs/matrix.md).
 * matrix_file names the matrix file as the jobs should pass it (relative to the repository). */

enum matrix_emit_kind {
        MATRIX_EMIT_GITHUB, /* a GitHub Actions workflow: strategy.matrix.include, one entry per cell */
        MATRIX_EMIT_GITLAB, /* a GitLab CI file: parallel:matrix, one entry per cell */
};

/* The most jobs one file may hold: GitHub's matrix takes 256 entries, GitLab's parallel:matrix 200. */
#define MATRIX_EMIT_MAX_GITHUB 256
#define MATRIX_EMIT_MAX_GITLAB 200

/* NULL on allocation failure (the caller checks n against the limits above first). */
char *matrix_emit(enum matrix_emit_kind kind, const struct matrix_file *m, const struct matrix_cell *cells, size_t n);
