/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

/* ${var} expansion in recipe values. It is plain text substitution from a fixed table, never
 * a shell: "$$" is a literal '$', "${name}" must name a known variable, and a '$' followed by
 * anything else is left as it is (so "$HOME" reaches the build environment untouched).
 *
 * The variables (documented in docs/recipe-reference.md):
 *   name arch triplet goarch goarm qemu_arch jobs srcdir outdir rootfs sysroot commit ref version */

struct expand_var {
        const char *name;
        const char *value;
};

/* NULL-terminated list of the variable names. */
const char *const *expand_var_names(void);

/* Checks syntax and names without values. On error returns -XB_E_RECIPE_VALUE with the byte
 * offset of the '$' and a message. */
int expand_check(const char *s, size_t *reterr_offset, char *reterr_msg, size_t msg_size);

/* Substitutes from vars (n entries); a known name missing from vars expands to "". */
int expand_string(const char *s, const struct expand_var *vars, size_t n, char **ret);
