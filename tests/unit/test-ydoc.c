/* SPDX-License-Identifier: MIT */
/* The strict YAML reader: the tree, positions, and what it allows that looks close to what it
 * refuses (tabs inside block scalars and quoted strings, '&' and '*' inside strings). */
#include <string.h>

#include "core/errors.h"
#include "recipe/ydoc.h"
#include "tap.h"

static struct ynode *parse(const char *s, struct xb_diag *d) {
        struct ynode *n = NULL;
        int r = ydoc_parse(s, strlen(s), &n, d);
        return r < 0 ? NULL : n;
}

int main(void) {
        struct xb_diag d = {0};
        struct ynode *n;

        n = parse("a: 1\nb:\n  - x\n  - 'y'\nc: {d: \"e\"}\n", &d);
        tap_ok(n && n->type == YNODE_MAP && n->n == 3, "mapping with three keys");
        const struct ynode *b = ynode_get(n, "b");
        tap_ok(b && b->type == YNODE_SEQ && b->n == 2 && b->line == 3 && b->col == 3,
               "sequence position is its first item");
        tap_ok(b && b->items[1]->style == YSTYLE_SINGLE && streq(b->items[1]->value, "y") &&
                       b->items[1]->line == 4 && b->items[1]->col == 5,
               "quoted scalar position and style");
        tap_ok(ynode_get(ynode_get(n, "c"), "d") && streq(ynode_get(ynode_get(n, "c"), "d")->value, "e"),
               "nested flow mapping");
        tap_ok(!ynode_get(n, "zz"), "absent key");
        ynode_free(n);

        /* A byte-order mark opens a stream, and only there. */
        n = parse("\xEF\xBB\xBF---\nname: x\nb: 2\n", &d);
        tap_ok(n && streq(ynode_get(n, "name")->value, "x") && ynode_get(n, "name")->line == 2 &&
                       ynode_get(n, "name")->col == 7,
               "a BOM before '---' is accepted; positions count from after it");
        ynode_free(n);
        n = parse("\xEF\xBB\xBF" "name: x\n", &d);
        tap_ok(n && streq(ynode_get(n, "name")->value, "x"), "a BOM before the first key is accepted");
        ynode_free(n);
        d = (struct xb_diag){0};
        n = parse("name: x\n\xEF\xBB\xBF" "b: 2\n", &d);
        tap_ok(!n && d.line == 2 && d.col == 1 && strstr(d.msg, "byte-order mark"), "a BOM elsewhere: refused at 2:1 (%u:%u %s)",
               d.line, d.col, d.msg);
        ynode_free(n);

        n = parse("script: |\n  all:\n  \techo tab inside a block scalar\n", &d);
        tap_ok(n && strstr(ynode_get(n, "script")->value, "\techo"), "tab inside a literal block is content");
        ynode_free(n);

        n = parse("a: \"tab\there\"\nb: 'x & *y'\n", &d);
        tap_ok(n && streq(ynode_get(n, "a")->value, "tab\there") && streq(ynode_get(n, "b")->value, "x & *y"),
               "escaped tab and & * inside strings are plain text");
        ynode_free(n);

        n = parse("a: \nb: ~\nc: null\nd: ''\ne: 'null'\n", &d);
        tap_ok(n && ynode_is_null(ynode_get(n, "a")) && ynode_is_null(ynode_get(n, "b")) &&
                       ynode_is_null(ynode_get(n, "c")) && !ynode_is_null(ynode_get(n, "d")) &&
                       !ynode_is_null(ynode_get(n, "e")),
               "null spellings; quoted ones are strings");
        ynode_free(n);

        n = parse("\xef\xbb\xbf" "a: b\n", &d);
        tap_ok(n && ynode_get(n, "a"), "UTF-8 byte order mark accepted");
        ynode_free(n);

        n = parse("a: b\r\nc: d\r\n", &d);
        tap_ok(n && streq(ynode_get(n, "c")->value, "d"), "CRLF line ends");
        ynode_free(n);

        memset(&d, 0, sizeof d);
        n = parse("a:\n  b: 1\n\tc: 2\n", &d);
        tap_ok(!n && d.line == 3 && d.col == 1 && strstr(d.msg, "tab"), "tab indentation found even where libyaml fails first");

        memset(&d, 0, sizeof d);
        n = parse("a: [1, 2\n", &d);
        tap_ok(!n && strstr(d.msg, "YAML syntax error") && d.line == 2, "libyaml's own errors are located: %u:%u %s",
               d.line, d.col, d.msg);
        return tap_done();
}
