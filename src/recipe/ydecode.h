/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/diag.h"
#include "ydoc.h"

/* Typed accessors over a ydoc tree for the schema decoders. Each returns 0, or
 * -XB_E_RECIPE_VALUE (-ENOMEM) with the diag pointing at the offending node. 'what' is the
 * dotted path of the field for messages ("source.commit", "artifacts[1].path"). ret_ values
 * are set only on success. */

/* Sets the diag at n and returns -XB_E_RECIPE_VALUE. */
int yd_error(struct xb_diag *d, const struct ynode *n, const char *fmt, ...) _printf_(3, 4);

int yd_expect_map(const struct ynode *n, const char *what, struct xb_diag *d);
/* Unknown keys are errors with a did-you-mean from allowed (NULL-terminated). */
int yd_check_keys(const struct ynode *map, const char *what, const char *const *allowed,
                  struct xb_diag *d);
/* Both of the above: a mapping whose keys are all in allowed. */
int yd_mapping(const struct ynode *n, const char *what, const char *const *allowed,
               struct xb_diag *d);
/* A required key: missing is an error at the mapping's position. */
int yd_require(const struct ynode *map, const char *what, const char *key,
               const struct ynode **ret, struct xb_diag *d);

/* A non-null, non-empty scalar. */
int yd_string(const struct ynode *n, const char *what, char **ret, struct xb_diag *d);
/* true/false only: YAML 1.1's yes/no/on/off are refused as ambiguous. */
int yd_bool(const struct ynode *n, const char *what, bool *ret, struct xb_diag *d);
/* A plain decimal integer in [min, max]. */
int yd_uint(const struct ynode *n, const char *what, unsigned min, unsigned max, unsigned *ret,
            struct xb_diag *d);
/* A list of non-empty strings (may be empty unless nonempty). */
int yd_strv(const struct ynode *n, const char *what, bool nonempty, char ***ret,
            struct xb_diag *d);
/* A mapping NAME: value -> "NAME=value" vector; NAME must be a valid environment name. */
int yd_env(const struct ynode *n, const char *what, char ***ret, struct xb_diag *d);

/* The closest candidate within a small edit distance, or NULL. */
const char *yd_did_you_mean(const char *s, const char *const *candidates);

/* Helpers for validators. */
bool yd_is_hex(const char *s, size_t len);
bool yd_is_env_name(const char *s);
/* Lowercase name: [a-z0-9][a-z0-9._+-]*, at most 64 characters. */
bool yd_is_name(const char *s);
