/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

/* What a matrix's cells say beyond each cell (docs/matrix.md), from matrix.json's "cells". */

/* Against a previous run's cells (--baseline PREV/matrix.json), per cell id present in both:
 *   "newly-failing"   passed then, failed now;
 *   "slower"          both passed, wall time up more than 20 % (and more than 2 s);
 *   "bigger"          an artifact's size up more than 10 %;
 *   "sha256-changed"  the same source (commit, tarball digest or Debian version) and toolchain
 *                     version, different bytes: a reproducibility break.
 * Returns the "regressions" array: {cell, kind, detail}. */
json_object *matrix_regressions(json_object *cells, json_object *baseline_cells);

/* Cells of one recipe (and variant) and arch built by different strategies, all passed: each
 * artifact's sha256 compared. Identical: "bit-identical across strategies". Different: an
 * explanation — diffoscope's when explain_with_diffoscope is set (its text kept in
 * OUT/compare/), else the ELF sections that differ and Go's build information. out_dir: where
 * the cells' artifacts are (their paths are relative to it). Returns the "comparisons" array. */
json_object *matrix_comparisons(json_object *cells, const char *out_dir, bool explain_with_diffoscope);
