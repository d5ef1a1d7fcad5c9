/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"
#include "core/macro.h"

/* A strict YAML reader on top of libyaml. It builds a small tree with positions and refuses
 * what a recipe never needs and what makes YAML dangerous or ambiguous: duplicate keys
 * (libyaml accepts them silently), anchors and aliases (billion-laughs), tags, several
 * documents, tabs in indentation, control characters, invalid UTF-8, and anything over the
 * size limits below. */

#define YDOC_MAX_FILE_SIZE (1024U * 1024U)
#define YDOC_MAX_SCALAR (64U * 1024U)
#define YDOC_MAX_DEPTH 32U

enum ynode_type {
        YNODE_SCALAR,
        YNODE_MAP,
        YNODE_SEQ,
};

enum yscalar_style {
        YSTYLE_PLAIN,
        YSTYLE_SINGLE,
        YSTYLE_DOUBLE,
        YSTYLE_LITERAL,
        YSTYLE_FOLDED,
};

struct ynode {
        enum ynode_type type;
        unsigned line, col; /* 1-based */
        /* scalar */
        char *value;
        size_t len;
        enum yscalar_style style;
        /* map: keys[i] (always scalars) -> items[i]; seq: items[i] */
        struct ynode **keys;
        struct ynode **items;
        size_t n;
        size_t cap; /* allocated slots of items while parsing */
};

struct ynode *ynode_free(struct ynode *n);
DEFINE_FREEP(struct ynode, ynode_free)

/* Parses one document. Returns 0 and the root, or a negative XB_E_RECIPE_* code with *reterr
 * filled (file name left as the caller set it). */
int ydoc_parse(const char *data, size_t size, struct ynode **ret, struct xb_diag *reterr);

const char *ynode_type_name(const struct ynode *n);
/* A plain scalar spelling null: empty, ~, null, Null, NULL. */
bool ynode_is_null(const struct ynode *n);
/* Map lookup by key; NULL when absent. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* The key node itself, for errors about the key rather than its value. */
const struct ynode *ynode_get_key(const struct ynode *map, const char *key);
