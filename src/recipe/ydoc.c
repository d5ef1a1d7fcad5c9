/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <yaml.h>

#include "core/errors.h"
#include "ydoc.h"

struct ynode *ynode_free(struct ynode *n) {
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n; i++) {
                if (n->keys)
                        ynode_free(n->keys[i]);
                ynode_free(n->items[i]);
        }
        free(n->keys);
        free(n->items);
        free(n->value);
        free(n);
        return NULL;
}

const char *ynode_type_name(const struct ynode *n) {
        if (!n)
                return "nothing";
        switch (n->type) {
        case YNODE_MAP:
                return "a mapping";
        case YNODE_SEQ:
                return "a list";
        default:
                return ynode_is_null(n) ? "null" : "a scalar";
        }
}

bool ynode_is_null(const struct ynode *n) {
        if (!n || n->type != YNODE_SCALAR || n->style != YSTYLE_PLAIN)
                return false;
        return n->len == 0 || streq(n->value, "~") || streq(n->value, "null") ||
               streq(n->value, "Null") || streq(n->value, "NULL");
}

const struct ynode *ynode_get(const struct ynode *map, const char *key) {
        if (!map || map->type != YNODE_MAP)
                return NULL;
        for (size_t i = 0; i < map->n; i++)
                if (streq(map->keys[i]->value, key))
                        return map->items[i];
        return NULL;
}

const struct ynode *ynode_get_key(const struct ynode *map, const char *key) {
        if (!map || map->type != YNODE_MAP)
                return NULL;
        for (size_t i = 0; i < map->n; i++)
                if (streq(map->keys[i]->value, key))
                        return map->keys[i];
        return NULL;
}

/* Character-accurate positions for the byte-level checks (libyaml counts characters too). */
struct cursor {
        unsigned line, col;
};

static void advance(struct cursor *c, unsigned char b) {
        if (b == '\n') {
                c->line++;
                c->col = 1;
        } else if ((b & 0xC0) != 0x80)
                c->col++;
}

static int check_encoding(const char *data, size_t size, struct xb_diag *d) {
        const unsigned char *s = (const unsigned char *) data;
        struct cursor c = {1, 1};

        for (size_t i = 0; i < size;) {
                unsigned char b = s[i];
                size_t need;
                uint32_t cp;

                if (b < 0x80) {
                        if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F) {
                                diag_set(d, c.line, c.col,
                                         "control character U+%04X is not allowed", b);
                                return -XB_E_RECIPE_ENCODING;
                        }
                        advance(&c, b);
                        i++;
                        continue;
                }
                if (b >= 0xC2 && b <= 0xDF)
                        need = 1, cp = b & 0x1F;
                else if (b >= 0xE0 && b <= 0xEF)
                        need = 2, cp = b & 0x0F;
                else if (b >= 0xF0 && b <= 0xF4)
                        need = 3, cp = b & 0x07;
                else
                        goto bad;
                if (size - i <= need)
                        goto bad;
                for (size_t k = 1; k <= need; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                goto bad;
                        cp = (cp << 6) | (s[i + k] & 0x3F);
                }
                /* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
                if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
                    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
                        goto bad;
                /* libyaml would skip one at the start of any line; YAML allows it only at the
                 * start of the stream (where the caller has dropped it already). */
                if (cp == 0xFEFF) {
                        diag_set(d, c.line, c.col, "a byte-order mark (U+FEFF) is allowed only at the start of the file");
                        return -XB_E_RECIPE_ENCODING;
                }
                c.col++;
                i += need + 1;
                continue;
        bad:
                diag_set(d, c.line, c.col, "invalid UTF-8 (byte 0x%02X); recipes must be UTF-8",
                         b);
                return -XB_E_RECIPE_ENCODING;
        }
        return 0;
}

struct span {
        size_t start, end;
};

struct builder {
        struct ynode **stack; /* open collections */
        size_t depth;
        struct ynode *root;
        struct span *block_spans; /* literal/folded scalars: their lines may hold tabs */
        size_t n_spans, spans_cap;
        unsigned documents;
};

/* Block scalars arrive in document order and never overlap: binary search, so a hostile file
 * of many block scalars full of tabs stays linear-logarithmic. */
static bool in_block_scalar(const struct builder *b, size_t idx) {
        size_t lo = 0, hi = b->n_spans;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (idx < b->block_spans[mid].start)
                        hi = mid;
                else if (idx >= b->block_spans[mid].end)
                        lo = mid + 1;
                else
                        return true;
        }
        return false;
}

/* Finds a tab in a line's leading white space (outside block scalars), on or before
 * max_line (0 = anywhere). YAML forbids tabs for indentation; libyaml's own message for them
 * ("found character that cannot start any token") does not say so. */
static bool find_indent_tab(const struct builder *b, const char *data, size_t size,
                            unsigned max_line, struct cursor *ret) {
        struct cursor c = {1, 1};
        bool leading = true;

        for (size_t i = 0; i < size; i++) {
                unsigned char ch = (unsigned char) data[i];
                if (max_line && c.line > max_line)
                        return false;
                if (ch == '\t' && leading && !in_block_scalar(b, i)) {
                        *ret = c;
                        return true;
                }
                if (ch != ' ' && ch != '\t')
                        leading = false;
                if (ch == '\n')
                        leading = true;
                advance(&c, ch);
        }
        return false;
}

static struct ynode *node_new(enum ynode_type type, const yaml_mark_t *m) {
        struct ynode *n = calloc(1, sizeof *n);
        if (!n)
                return NULL;
        n->type = type;
        n->line = (unsigned) m->line + 1;
        n->col = (unsigned) m->column + 1;
        return n;
}

static int node_append(struct ynode *parent, struct ynode *child) {
        if (parent->n == parent->cap) {
                size_t cap = parent->cap ? parent->cap * 2 : 4;
                struct ynode **items = realloc(parent->items, cap * sizeof *items);
                if (!items)
                        return -ENOMEM;
                parent->items = items;
                parent->cap = cap;
        }
        parent->items[parent->n++] = child;
        return 0;
}

/* A mapping collects key, value, key, value... in items while open: keys are split off and
 * checked when it closes. */
static int map_finish(struct ynode *m, struct xb_diag *d) {
        size_t pairs = m->n / 2;
        struct ynode **keys = calloc(pairs ? pairs : 1, sizeof *keys);
        struct ynode **vals = calloc(pairs ? pairs : 1, sizeof *vals);
        size_t *order = calloc(pairs ? pairs : 1, sizeof *order);
        int r = 0;

        if (!keys || !vals || !order) {
                free(keys), free(vals), free(order);
                return -ENOMEM;
        }
        for (size_t i = 0; i < pairs; i++) {
                keys[i] = m->items[2 * i];
                vals[i] = m->items[2 * i + 1];
                order[i] = i;
        }
        free(m->items);
        free(m->keys);
        m->keys = keys;
        m->items = vals;
        m->n = pairs;
        m->cap = pairs;

        for (size_t i = 0; i < pairs; i++)
                if (keys[i]->type != YNODE_SCALAR) {
                        diag_set(d, keys[i]->line, keys[i]->col,
                                 "mapping keys must be plain strings, not %s",
                                 ynode_type_name(keys[i]));
                        free(order);
                        return -XB_E_RECIPE_SYNTAX;
                }

        /* Duplicate keys: sort indices by key text (stable by position) so a 100k-key map
         * costs n log n, then report the later of the first duplicate pair in file order. */
        for (size_t gap = pairs / 2; gap > 0; gap /= 2) /* shell sort: no qsort_r context */
                for (size_t i = gap; i < pairs; i++)
                        for (size_t j = i; j >= gap; j -= gap) {
                                struct ynode *a = keys[order[j - gap]], *b = keys[order[j]];
                                int c = a->len != b->len ? (a->len < b->len ? -1 : 1)
                                                         : memcmp(a->value, b->value, a->len);
                                if (c < 0 || (c == 0 && order[j - gap] < order[j]))
                                        break;
                                size_t t = order[j];
                                order[j] = order[j - gap];
                                order[j - gap] = t;
                        }
        size_t dup = SIZE_MAX, first = 0;
        for (size_t i = 1; i < pairs; i++) {
                struct ynode *a = keys[order[i - 1]], *b = keys[order[i]];
                if (a->len == b->len && memcmp(a->value, b->value, a->len) == 0 &&
                    order[i] < dup) {
                        dup = order[i];
                        first = order[i - 1];
                }
        }
        if (dup != SIZE_MAX) {
                /* Equal keys sort in position order, but the first of the run is the one
                 * to name as "first defined". */
                for (size_t i = 0; i < pairs; i++)
                        if (i < first && keys[i]->len == keys[dup]->len &&
                            memcmp(keys[i]->value, keys[dup]->value, keys[i]->len) == 0)
                                first = i;
                diag_set(d, keys[dup]->line, keys[dup]->col,
                         "duplicate key '%s' (first defined at line %u)", keys[dup]->value,
                         keys[first]->line);
                r = -XB_E_RECIPE_SYNTAX;
        }
        free(order);
        return r;
}

static int attach(struct builder *b, struct ynode *n, struct xb_diag *d) {
        int r;

        if (b->depth == 0) {
                b->root = n;
                return 0;
        }
        r = node_append(b->stack[b->depth - 1], n);
        if (r < 0) {
                ynode_free(n);
                return r;
        }
        (void) d;
        return 0;
}

static int reject_anchor_tag(const yaml_event_t *ev, struct xb_diag *d) {
        const yaml_char_t *anchor = NULL, *tag = NULL;

        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                anchor = ev->data.scalar.anchor;
                tag = ev->data.scalar.tag;
                break;
        case YAML_SEQUENCE_START_EVENT:
                anchor = ev->data.sequence_start.anchor;
                tag = ev->data.sequence_start.tag;
                break;
        case YAML_MAPPING_START_EVENT:
                anchor = ev->data.mapping_start.anchor;
                tag = ev->data.mapping_start.tag;
                break;
        default:
                return 0;
        }
        if (anchor) {
                diag_set(d, (unsigned) ev->start_mark.line + 1, (unsigned) ev->start_mark.column + 1,
                         "anchors ('&%s') are not allowed in recipes", (const char *) anchor);
                return -XB_E_RECIPE_SYNTAX;
        }
        if (tag) {
                diag_set(d, (unsigned) ev->start_mark.line + 1, (unsigned) ev->start_mark.column + 1,
                         "tags ('%s') are not allowed in recipes", (const char *) tag);
                return -XB_E_RECIPE_SYNTAX;
        }
        return 0;
}

static enum yscalar_style style_of(yaml_scalar_style_t s) {
        switch (s) {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE:
                return YSTYLE_SINGLE;
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
                return YSTYLE_DOUBLE;
        case YAML_LITERAL_SCALAR_STYLE:
                return YSTYLE_LITERAL;
        case YAML_FOLDED_SCALAR_STYLE:
                return YSTYLE_FOLDED;
        default:
                return YSTYLE_PLAIN;
        }
}

static int handle_event(struct builder *b, const yaml_event_t *ev, struct xb_diag *d) {
        unsigned line = (unsigned) ev->start_mark.line + 1, col = (unsigned) ev->start_mark.column + 1;
        struct ynode *n;
        int r;

        r = reject_anchor_tag(ev, d);
        if (r < 0)
                return r;

        switch (ev->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (++b->documents > 1) {
                        diag_set(d, line, col, "only one YAML document is allowed per file");
                        return -XB_E_RECIPE_SYNTAX;
                }
                return 0;
        case YAML_ALIAS_EVENT:
                diag_set(d, line, col, "aliases ('*%s') are not allowed in recipes",
                         (const char *) ev->data.alias.anchor);
                return -XB_E_RECIPE_SYNTAX;
        case YAML_SCALAR_EVENT:
                if (ev->data.scalar.length > YDOC_MAX_SCALAR) {
                        diag_set(d, line, col, "scalar of %zu bytes is over the limit of %u bytes",
                                 ev->data.scalar.length, YDOC_MAX_SCALAR);
                        return -XB_E_RECIPE_TOO_LARGE;
                }
                if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length)) {
                        /* A "\0" escape: C strings and argv cannot carry it. */
                        diag_set(d, line, col, "NUL characters are not allowed in values");
                        return -XB_E_RECIPE_VALUE;
                }
                n = node_new(YNODE_SCALAR, &ev->start_mark);
                if (!n)
                        return -ENOMEM;
                n->value = strndup((const char *) ev->data.scalar.value, ev->data.scalar.length);
                if (!n->value) {
                        ynode_free(n);
                        return -ENOMEM;
                }
                n->len = ev->data.scalar.length;
                n->style = style_of(ev->data.scalar.style);
                if (n->style == YSTYLE_LITERAL || n->style == YSTYLE_FOLDED) {
                        if (b->n_spans == b->spans_cap) {
                                size_t cap = b->spans_cap ? b->spans_cap * 2 : 8;
                                struct span *sp = realloc(b->block_spans, cap * sizeof *sp);
                                if (!sp) {
                                        ynode_free(n);
                                        return -ENOMEM;
                                }
                                b->block_spans = sp;
                                b->spans_cap = cap;
                        }
                        struct span *s = b->block_spans;
                        s[b->n_spans++] = (struct span){ev->start_mark.index, ev->end_mark.index};
                }
                return attach(b, n, d);
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                if (b->depth >= YDOC_MAX_DEPTH) {
                        diag_set(d, line, col, "nesting deeper than %u levels", YDOC_MAX_DEPTH);
                        return -XB_E_RECIPE_TOO_LARGE;
                }
                n = node_new(ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ,
                             &ev->start_mark);
                if (!n)
                        return -ENOMEM;
                r = attach(b, n, d);
                if (r < 0)
                        return r;
                b->stack[b->depth++] = n;
                return 0;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                assert(b->depth > 0);
                n = b->stack[--b->depth];
                if (n->type == YNODE_MAP)
                        return map_finish(n, d);
                return 0;
        default:
                return 0;
        }
}

int ydoc_parse(const char *data, size_t size, struct ynode **ret, struct xb_diag *reterr) {
        struct ynode *stack[YDOC_MAX_DEPTH];
        struct builder b = {.stack = stack};
        yaml_parser_t parser;
        struct xb_diag d = {0};
        struct cursor tab;
        bool done = false;
        int r = 0;

        assert(data && ret);
        if (reterr)
                memcpy(d.file, reterr->file, sizeof d.file);
        if (size > YDOC_MAX_FILE_SIZE) {
                diag_set(&d, 1, 1, "file of %zu bytes is over the limit of %u bytes", size,
                         YDOC_MAX_FILE_SIZE);
                r = -XB_E_RECIPE_TOO_LARGE;
                goto finish_noparser;
        }
        /* A UTF-8 byte-order mark may open the stream (YAML 1.2, 5.2); positions count from
         * the character after it. Passed to libyaml it would undo the column of a "---". */
        if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
                data += 3, size -= 3;
        r = check_encoding(data, size, &d);
        if (r < 0)
                goto finish_noparser;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

        while (!done) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&parser, &ev)) {
                        if (parser.error == YAML_MEMORY_ERROR) {
                                r = -ENOMEM;
                                break;
                        }
                        yaml_mark_t m = parser.problem_mark;
                        if (find_indent_tab(&b, data, size, (unsigned) m.line + 1, &tab))
                                diag_set(&d, tab.line, tab.col,
                                         "tab character used for indentation; use spaces");
                        else if (parser.context)
                                diag_set(&d, (unsigned) m.line + 1, (unsigned) m.column + 1,
                                         "YAML syntax error: %s %s", parser.problem,
                                         parser.context);
                        else
                                diag_set(&d, (unsigned) m.line + 1, (unsigned) m.column + 1,
                                         "YAML syntax error: %s", parser.problem);
                        r = -XB_E_RECIPE_SYNTAX;
                        break;
                }
                done = ev.type == YAML_STREAM_END_EVENT;
                r = handle_event(&b, &ev, &d);
                yaml_event_delete(&ev);
                if (r < 0)
                        break;
        }
        yaml_parser_delete(&parser);

        if (r >= 0 && find_indent_tab(&b, data, size, 0, &tab)) {
                diag_set(&d, tab.line, tab.col, "tab character used for indentation; use spaces");
                r = -XB_E_RECIPE_SYNTAX;
        }
        if (r >= 0 && !b.root) {
                diag_set(&d, 1, 1, "file is empty: expected a mapping");
                r = -XB_E_RECIPE_VALUE;
        }
        free(b.block_spans);
        if (r < 0) {
                /* Open collections are owned by the root already. */
                ynode_free(b.root);
                goto finish_noparser;
        }
        *ret = b.root;
        return 0;

finish_noparser:
        if (r == -ENOMEM)
                return r;
        if (reterr)
                *reterr = d;
        return r;
}
