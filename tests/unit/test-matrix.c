/* SPDX-License-Identifier: MIT */
/* The matrix's pure parts: the grid a file describes (excludes, rules, ids), the regressions
 * against a baseline, ELF section differences, the JUnit text. The runner itself is
 * tests/cli/cli-matrix.sh. */
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/macro.h"
#include "matrix/matrix-compare.h"
#include "matrix/matrix-file.h"
#include "report/matrix-report.h"
#include "tap.h"
#include "verify/elf-sections.h"

static const char file[] = "name: nightly\n"
                           "recipes: [runc, runc@debian, /x/y/tinytar.yaml]\n"
                           "arches: [armhf, arm64]\n"
                           "strategies: [cross, chroot]\n"
                           "exclude:\n"
                           "  - {recipe: runc, variant: debian, strategy: chroot}\n"
                           "  - {arch: arm64, strategy: chroot}\n"
                           "  - {recipe: tinytar, arch: arm64}\n"
                           "cells:\n"
                           "  - {match: {recipe: runc}, timeout: 100, memory: 3G}\n"
                           "  - {match: {recipe: runc, arch: arm64}, timeout: 200, test: true}\n"
                           "  - {match: {strategy: chroot}, source: ../src/runc}\n";

static void test_grid(void) {
        struct matrix_file *m = NULL;
        struct matrix_cell *cells = NULL;
        struct xb_diag d = {0};
        size_t n = 0;

        int r = matrix_file_parse(file, strlen(file), "/etc/m/nightly.yaml", &m, &d);
        tap_ok(r == 0 && m->n_recipes == 3 && streq(m->recipes[1].name, "runc") && streq(m->recipes[1].variant, "debian"),
               "parses; NAME@VARIANT splits (%s)", d.msg);
        if (r < 0)
                return;
        r = matrix_cells(m, &cells, &n);
        tap_ok(r == 0 && n == 7, "12 points, 5 excluded (two patterns overlapping on one; a path recipe matched by its file's name): 7 cells (%zu)", n);
        /* Order: recipe, arch, strategy. */
        tap_ok(streq(cells[0].id, "runc/armhf/cross") && streq(cells[1].id, "runc/armhf/chroot") &&
                       streq(cells[2].id, "runc/arm64/cross") && streq(cells[3].id, "runc@debian/armhf/cross") &&
                       streq(cells[5].id, "tinytar/armhf/cross") && streq(cells[5].dir, "tinytar-armhf-cross"),
               "ids and directory names; a path recipe is named by its file");
        tap_ok(cells[0].options.timeout == 100 && streq(cells[0].options.memory, "3G") && cells[0].options.test == 0 &&
                       cells[2].options.timeout == 200 && cells[2].options.test == 1 && streq(cells[2].options.memory, "3G"),
               "rules merge, later ones win field by field");
        tap_ok(streq(cells[1].options.source, "/etc/src/runc") && !cells[0].options.source,
               "a relative source is taken from the matrix file's directory");
        tap_ok(cells[3].options.timeout == 100, "a rule with recipe: matches the recipe's variants too");
        free(cells);
        matrix_file_free(m);

        char *err = NULL;
        tap_ok(matrix_file_from_lists("tiny-engine,runc@debian", "armhf", "cross,chroot", &m, &err) == 0 && m->n_recipes == 2 &&
                       m->n_strategies == 2,
               "an ad-hoc grid from lists");
        matrix_file_free(m);
        m = NULL;
        tap_ok(matrix_file_from_lists("a,a", "armhf", "cross", &m, &err) == -EINVAL && strstr(err, "listed twice"),
               "a recipe listed twice is refused");
        free(err);
        tap_ok(matrix_file_from_lists("a", "", "cross", &m, &err) == -EINVAL && strstr(err, "--arches needs at least one"),
               "an empty list is refused, naming the option");
        free(err);
}

static json_object *cell(const char *id, const char *status, double secs, const char *commit, const char *tc, double size,
                         const char *sha) {
        json_object *c = json_object_new_object(), *src = json_object_new_object(), *arts = json_object_new_array(),
                    *a = json_object_new_object();
        json_object_object_add(c, "id", json_object_new_string(id));
        json_object_object_add(c, "status", json_object_new_string(status));
        json_object_object_add(c, "seconds", json_object_new_double(secs));
        if (commit)
                json_object_object_add(src, "commit", json_object_new_string(commit));
        json_object_object_add(c, "source", src);
        json_object_object_add(c, "toolchain_version", tc ? json_object_new_string(tc) : NULL);
        json_object_object_add(a, "name", json_object_new_string("x"));
        json_object_object_add(a, "size", json_object_new_double(size));
        json_object_object_add(a, "sha256", json_object_new_string(sha));
        json_object_array_add(arts, a);
        json_object_object_add(c, "artifacts", arts);
        return c;
}

static bool has(json_object *regs, const char *id, const char *kind) {
        for (size_t i = 0; i < json_object_array_length(regs); i++) {
                json_object *r = json_object_array_get_idx(regs, i), *c, *k;
                if (json_object_object_get_ex(r, "cell", &c) && json_object_object_get_ex(r, "kind", &k) &&
                    streq(json_object_get_string(c), id) && streq(json_object_get_string(k), kind))
                        return true;
        }
        return false;
}

static void test_regressions(void) {
        json_object *now = json_object_new_array(), *then = json_object_new_array();
        json_object_array_add(now, cell("a", "failed", 1, "c1", "gcc", 100, "h"));
        json_object_array_add(then, cell("a", "passed", 1, "c1", "gcc", 100, "h"));
        json_object_array_add(now, cell("b", "passed", 30, "c1", "gcc", 120, "h2"));
        json_object_array_add(then, cell("b", "passed", 20, "c1", "gcc", 100, "h1"));
        json_object_array_add(now, cell("c", "passed", 2.5, "c1", "gcc 13", 105, "h2"));
        json_object_array_add(then, cell("c", "passed", 1, "c1", "gcc 12", 100, "h1"));
        json_object_array_add(now, cell("d", "passed", 10, NULL, "gcc", 100, "h2"));
        json_object_array_add(then, cell("d", "passed", 10, NULL, "gcc", 100, "h1"));
        json_object_array_add(now, cell("new", "failed", 10, NULL, "gcc", 100, "h2"));
        json_object *regs = matrix_regressions(now, then);
        tap_ok(has(regs, "a", "newly-failing"), "passed then, failed now: newly-failing");
        tap_ok(has(regs, "b", "slower") && has(regs, "b", "bigger") && has(regs, "b", "sha256-changed"),
               "+50 %% time, +20 %% size, other bytes from the same commit and toolchain");
        tap_ok(!has(regs, "c", "slower") && !has(regs, "c", "bigger") && !has(regs, "c", "sha256-changed"),
               "+1.5 s is noise, +5 %% size is not 10 %%, another toolchain may give other bytes");
        tap_ok(!has(regs, "d", "sha256-changed"), "an unpinned source proves nothing about bytes");
        tap_ok(json_object_array_length(regs) == 4, "nothing for a cell the baseline lacks (%zu)", json_object_array_length(regs));
        json_object_put(regs);
        json_object_put(now);
        json_object_put(then);
}

static void test_sections(void) {
        struct elf_section a[] = {{".text", 100, "aa"}, {".rodata", 50, "bb"}, {".note.go.buildid", 100, "cc"}, {".bss", 8, ""}};
        struct elf_section b[] = {{".text", 104, "ab"}, {".rodata", 50, "bb"}, {".note.go.buildid", 100, "cd"}, {".extra", 1, "ee"}};
        _cleanup_free_ char *d = elf_sections_diff(a, 4, b, 4, "cross", "chroot", 10);
        tap_ok(d && strstr(d, "section .text: 100 bytes (cross) vs 104 (chroot)") &&
                       strstr(d, "section .note.go.buildid: same size (100 bytes), different content") && !strstr(d, ".rodata") &&
                       strstr(d, "only in cross: .bss") && strstr(d, "only in chroot: .extra"),
               "section differences named, equal ones left out");
        _cleanup_free_ char *same = elf_sections_diff(a, 4, a, 4, "x", "y", 10), *cut = elf_sections_diff(a, 4, b, 4, "x", "y", 2);
        tap_ok(same && !same[0] && cut && strstr(cut, "... 2 more"), "identical: nothing; over the limit: counted");
        struct elf_section *s = NULL;
        size_t n = 0;
        /* This test program itself: a real ELF file with its compiler's signature. */
        char *self = NULL;
        size_t sz = 0;
        char comment[256];
        if (read_full_file("/proc/self/exe", 1 << 28, &self, &sz) == 0) {
                tap_ok(elf_sections((unsigned char *) self, sz, &s, &n) == 0 && n > 10 && ({
                               bool text = false;
                               for (size_t i = 0; i < n; i++)
                                       text = text || (streq(s[i].name, ".text") && s[i].size > 0 && strlen(s[i].sha256) == 64);
                               text;
                       }),
                       "a real ELF file's sections, .text hashed");
                tap_ok(elf_section_text((unsigned char *) self, sz, ".comment", comment, sizeof comment) == 0 &&
                               (strstr(comment, "GCC:") || strstr(comment, "clang")) &&
                               elf_section_text((unsigned char *) self, sz, ".no-such", comment, sizeof comment) == -ENOENT,
                       ".comment read as text (%s)", comment);
                free(s);
                s = NULL;
                for (size_t len = 0; len < sz && len < 4096; len += 97) /* truncated copies never read past their end */
                        if (elf_sections((unsigned char *) self, len, &s, &n) == 0)
                                free(TAKE_PTR(s));
                free(self);
        }
        tap_ok(elf_sections((const unsigned char *) "\177ELF", 4, &s, &n) == -EINVAL &&
                       elf_sections((const unsigned char *) "not an elf at all, long enough to read a header from it......", 60, &s, &n) == -EINVAL,
               "a truncated or foreign file is refused");
}

static void test_junit(void) {
        json_object *m = json_object_new_object(), *cells = json_object_new_array(), *c = json_object_new_object(),
                    *fail = json_object_new_object();
        json_object_object_add(m, "name", json_object_new_string("n<&>"));
        json_object_object_add(c, "id", json_object_new_string("r@v/armhf/cross"));
        json_object_object_add(c, "arch", json_object_new_string("armhf"));
        json_object_object_add(c, "strategy", json_object_new_string("cross"));
        json_object_object_add(c, "status", json_object_new_string("failed"));
        json_object_object_add(c, "reason", json_object_new_string("step \"1\" failed"));
        json_object_object_add(fail, "last_lines", json_object_new_string("a\001b <x> & ]]> latin1:\xe9 \xef\xbf\xbe ok:\xc3\xa9"));
        json_object_object_add(c, "failure", fail);
        json_object_array_add(cells, c);
        json_object_object_add(m, "cells", cells);
        _cleanup_free_ char *x = matrix_report_junit(m), *h = matrix_report_html(m);
        tap_ok(x && strstr(x, "name=\"xbuild matrix n&lt;&amp;&gt;\"") && strstr(x, "classname=\"xbuild.r@v\" name=\"armhf/cross\"") &&
                       strstr(x, "message=\"step &quot;1&quot; failed\"") && strstr(x, "a\xef\xbf\xbd" "b &lt;x&gt; &amp; ]]&gt;") &&
                       !strchr(x, '\001'),
               "JUnit: names, attributes and text escaped; control characters replaced");
        tap_ok(x && strstr(x, "latin1:\xef\xbf\xbd \xef\xbf\xbd ok:\xc3\xa9"), "invalid UTF-8 and U+FFFE replaced, valid UTF-8 kept");
        tap_ok(h && strstr(h, "id=\"r_40v_2farmhf_2fcross\"") && strstr(h, "href=\"#r_40v_2farmhf_2fcross\""),
               "HTML anchors made of [A-Za-z0-9_-] only");
        tap_ok(h && !strstr(h, "<script") && strstr(h, "a\xef\xbf\xbd" "b &lt;x&gt;") && strstr(h, "<td class=\"failed\">"),
               "HTML: escaped, no script, the cell coloured by status");
        json_object_put(m);
}

int main(void) {
        test_grid();
        test_regressions();
        test_sections();
        test_junit();
        return tap_done();
}
