/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>

#include "core/errors.h"

/* The cells of several matrix runs (the one-cell runs of CI jobs, downloaded), as one "cells"
 * array whose paths are relative to out_dir (or absolute when a run lies outside it). Each DIR
 * holds a matrix.json of schema xbuild-matrix/1. A cell id seen twice is an error naming both
 * directories. *ret_name: the matrix's name (the first run's). Returns 0, -EINVAL (err names
 * the directory at fault), -ENOMEM. */
int matrix_merge(char *const *dirs, const char *out_dir, json_object **ret_cells, char **ret_name, char **ret_file,
                 struct xb_detail *err);
