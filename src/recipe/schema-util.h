/* SPDX-License-Identifier: MIT */
#pragma once

#include "arch.h"
#include "core/diag.h"
#include "strategy-name.h"
#include "ydoc.h"

/* Validators shared by the recipe, rootfs, toolchain and kconfig schemas. Same contract as
 * ydecode.h: 0, or -XB_E_RECIPE_VALUE with the diag at the node. */

int schema_require_string(const struct ynode *map, const char *what, const char *key, char **ret,
                          struct xb_diag *d);
/* A lowercase identifier (recipe, rootfs, toolchain and profile names). */
int schema_name(const struct ynode *n, const char *what, char **ret, struct xb_diag *d);
int schema_arch(const struct ynode *n, const char *what, enum xb_arch *ret, struct xb_diag *d);
int schema_strategy(const struct ynode *n, const char *what, enum xb_strategy *ret,
                    struct xb_diag *d);
/* An environment mapping whose values may use ${var}. */
int schema_env(const struct ynode *n, const char *what, char ***ret, struct xb_diag *d);
/* A list of Debian package names, optionally with ":arch". */
int schema_packages(const struct ynode *n, const char *what, char ***ret, struct xb_diag *d);
/* ${var} names and syntax in a scalar; the column points at the '$' where it can. */
int schema_check_expand(const struct ynode *n, const char *what, struct xb_diag *d);
/* Reads a YAML file within the size limit, with a located error when it is too large. */
int schema_read_file(const char *path, char **ret, size_t *ret_size, struct xb_diag *d);

/* Decodes a parsed document into a new object (allocated by the callback, which also frees
 * it on failure). */
typedef int (*schema_decode_fn)(const struct ynode *root, const char *filename, void **ret,
                                struct xb_diag *d);
/* Strict YAML parse plus decode; the diag carries filename. ret set only on success. */
int schema_parse(const char *data, size_t size, const char *filename, schema_decode_fn decode,
                 void **ret, struct xb_diag *reterr);
int schema_load(const char *path, schema_decode_fn decode, void **ret, struct xb_diag *reterr);
