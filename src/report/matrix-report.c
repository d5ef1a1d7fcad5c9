/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json-util.h"
#include "core/macro.h"
#include "matrix-report.h"




static size_t len(json_object *a) {
        return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* Text for XML and HTML alike: markup characters as entities, and the control characters XML
 * 1.0 cannot carry at all (a build log can hold anything) as U+FFFD. */
/* The length of the valid UTF-8 sequence at p (1..4), 0 when it is not one. */
static size_t utf8_len(const unsigned char *p) {
        if (p[0] < 0x80)
                return 1;
        size_t n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || (n == 2 && p[0] < 0xc2) || (n == 4 && p[0] > 0xf4))
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        if (n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
                return 0; /* overlong, surrogates */
        if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
                return 0;
        return n;
}

/* Text for XML and HTML alike: markup characters as entities; what XML 1.0 cannot carry at all
 * (control characters, invalid UTF-8: a build log can hold anything) as U+FFFD. */
static void esc(FILE *f, const char *s) {
        for (const unsigned char *p = (const unsigned char *) strempty(s); *p;) {
                size_t n = utf8_len(p);
                /* U+FFFE and U+FFFF are well-formed but not characters XML allows: one U+FFFD. */
                bool nonchar = n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe;
                if (n == 0 || nonchar || (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')) {
                        fputs("\xef\xbf\xbd", f);
                        p += nonchar ? 3 : 1;
                        continue;
                }
                switch (*p) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                case '\'':
                        fputs("&#39;", f);
                        break;
                default:
                        (void) fwrite(p, 1, n, f);
                }
                p += n;
        }
}

/* open_memstream's buffer is only final once the stream is closed. */
static char *finish(FILE *f, char **buf) {
        if (fclose(f) != 0) {
                free(*buf);
                return NULL;
        }
        return *buf;
}

struct counts {
        size_t passed, failed, skipped, other;
        double seconds;
};

static struct counts count(json_object *cells) {
        struct counts c = {0};
        for (size_t i = 0; i < len(cells); i++) {
                json_object *x = json_object_array_get_idx(cells, i);
                const char *s = strempty(json_get_str(x, "status"));
                if (streq(s, "passed"))
                        c.passed++;
                else if (streq(s, "failed") || streq(s, "interrupted"))
                        c.failed++;
                else if (streq(s, "skipped"))
                        c.skipped++;
                else
                        c.other++;
                c.seconds += json_get_num(x, "seconds", 0.0);
        }
        return c;
}

/* xbuild.RECIPE[@VARIANT]: the cell id's first part (a recipe given as a path is named by its
 * file name there). */
static void classname(FILE *f, json_object *cell) {
        const char *id = strempty(json_get_str(cell, "id"));
        _cleanup_free_ char *head = strndup(id, strcspn(id, "/"));
        fputs("xbuild.", f);
        esc(f, head);
}

static void property(FILE *f, const char *name, const char *value) {
        fputs("        <property name=\"", f);
        esc(f, name);
        fputs("\" value=\"", f);
        esc(f, value);
        fputs("\"/>\n", f);
}

char *matrix_report_junit(json_object *m) {
        json_object *cells = json_get(m, "cells");
        struct counts c = count(cells);
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"xbuild matrix ", f);
        esc(f, json_get_str(m, "name"));
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", len(cells),
                c.failed, c.skipped + c.other, c.seconds);
        fputs("  <testsuite name=\"", f);
        esc(f, json_get_str(m, "name"));
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\" timestamp=\"", len(cells),
                c.failed, c.skipped + c.other, c.seconds);
        esc(f, json_get_str(m, "started_at"));
        fputs("\">\n", f);
        for (size_t i = 0; i < len(cells); i++) {
                json_object *x = json_object_array_get_idx(cells, i), *phases = json_get(x, "phases_seconds"), *fail = json_get(x, "failure");
                const char *status = strempty(json_get_str(x, "status"));
                fputs("    <testcase classname=\"", f);
                classname(f, x);
                fputs("\" name=\"", f);
                esc(f, json_get_str(x, "arch"));
                fputc('/', f);
                esc(f, json_get_str(x, "strategy"));
                fprintf(f, "\" time=\"%.3f\">\n      <properties>\n", json_get_num(x, "seconds", 0.0));
                property(f, "status", status);
                if (json_get_str(x, "build_status"))
                        property(f, "build_status", json_get_str(x, "build_status"));
                if (phases && json_object_is_type(phases, json_type_object)) {
                        json_object_object_foreach(phases, k, v) {
                                char name[80], val[32];
                                (void) snprintf(name, sizeof name, "phase.%s", k);
                                (void) snprintf(val, sizeof val, "%.3f", json_object_get_double(v));
                                property(f, name, val);
                        }
                }
                static const char *const paths[] = {"log", "report", "dir", NULL};
                for (const char *const *p = paths; *p; p++)
                        if (json_get_str(x, *p))
                                property(f, *p, json_get_str(x, *p));
                fputs("      </properties>\n", f);
                if (streq(status, "failed") || streq(status, "interrupted")) {
                        fputs("      <failure message=\"", f);
                        esc(f, json_get_str(x, "reason") ?: status);
                        fputs("\" type=\"", f);
                        esc(f, json_get_str(x, "build_status") ?: status);
                        fputs("\">", f);
                        if (json_get_str(fail, "phase")) {
                                fputs("phase: ", f);
                                esc(f, json_get_str(fail, "phase"));
                                fputc('\n', f);
                        }
                        if (json_get_str(fail, "command")) {
                                fputs("step: ", f);
                                esc(f, json_get_str(fail, "command"));
                                fputc('\n', f);
                        }
                        esc(f, json_get_str(fail, "last_lines") ?: json_get_str(x, "reason"));
                        fputs("</failure>\n", f);
                } else if (!streq(status, "passed")) {
                        fputs("      <skipped message=\"", f);
                        esc(f, json_get_str(x, "reason") ?: status);
                        fputs("\"/>\n", f);
                }
                if (json_get_str(x, "log")) {
                        fputs("      <system-out>log: ", f);
                        esc(f, json_get_str(x, "log"));
                        fputs("</system-out>\n", f);
                }
                fputs("    </testcase>\n", f);
        }
        fputs("  </testsuite>\n</testsuites>\n", f);
        return finish(f, &buf);
}

static const char css[] =
        "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}"
        "th{background:#f3f3f3;text-align:left}.passed{background:#c8f0c8}.failed,.interrupted{background:#f6c4c4}"
        ".skipped{background:#e6e6e6;color:#555}.not-run{background:#f6efd2}code,pre{font:12px ui-monospace,monospace}"
        "pre{background:#f7f7f7;padding:.5em;overflow-x:auto;max-height:20em}"
        ".bar{display:flex;height:12px;width:320px;background:#eee}.bar span{display:block;height:12px}"
        ".p0{background:#4e79a7}.p1{background:#f28e2b}.p2{background:#e15759}.p3{background:#76b7b2}"
        ".p4{background:#59a14f}.p5{background:#edc948}.p6{background:#b07aa1}.p7{background:#9c755f}"
        ".p8{background:#ff9da7}.p9{background:#bab0ac}"
        ".legend span{display:inline-block;margin-right:.8em}.legend i{display:inline-block;width:10px;height:10px;margin-right:3px}";

static void html_link(FILE *f, const char *href, const char *text) {
        if (!href)
                return;
        fputs("<a href=\"", f);
        esc(f, href);
        fputs("\">", f);
        esc(f, text);
        fputs("</a> ", f);
}

/* An id attribute and fragment safe whatever the cell id holds: [A-Za-z0-9_-], the rest as _XX. */
static void cell_anchor(FILE *f, json_object *x) {
        for (const unsigned char *p = (const unsigned char *) strempty(json_get_str(x, "id")); *p; p++)
                if (isalnum(*p) || *p == '-')
                        fputc(*p, f);
                else
                        fprintf(f, "_%02x", *p);
}

/* One colour per phase name, the same in every cell's bar. */
static int phase_colour(const char *name) {
        static const char *const known[] = {"source", "toolchain", "sysroot", "rootfs", "stage",
                                            "steps",  "collect",   "verify",  "teardown", "test"};
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (streq(name, known[i]))
                        return (int) i;
        return 9;
}

static void phase_bar(FILE *f, json_object *phases) {
        double total = 0;
        if (!phases || !json_object_is_type(phases, json_type_object))
                return;
        json_object_object_foreach(phases, k0, v0) {
                (void) k0;
                total += json_object_get_double(v0);
        }
        if (total <= 0)
                return;
        fputs("<div class=\"bar\">", f);
        json_object_object_foreach(phases, k, v) {
                double s = json_object_get_double(v);
                fprintf(f, "<span class=\"p%d\" style=\"width:%.2f%%\" title=\"", phase_colour(k), s / total * 100.0);
                esc(f, k);
                fprintf(f, " %.1f s\"></span>", s);
        }
        fputs("</div><div class=\"legend\">", f);
        json_object_object_foreach(phases, k2, v2) {
                fprintf(f, "<span><i class=\"p%d\"></i>", phase_colour(k2));
                esc(f, k2);
                fprintf(f, " %.1f s</span>", json_object_get_double(v2));
        }
        fputs("</div>", f);
}

static void grid(FILE *f, json_object *cells) {
        /* Columns: the strategies in order of appearance; rows: recipe[@variant] × arch. */
        const char *strats[8];
        size_t ns = 0;
        for (size_t i = 0; i < len(cells); i++) {
                const char *s = strempty(json_get_str(json_object_array_get_idx(cells, i), "strategy"));
                bool seen = false;
                for (size_t k = 0; k < ns; k++)
                        seen = seen || streq(strats[k], s);
                if (!seen && ns < ELEMENTSOF(strats))
                        strats[ns++] = s;
        }
        fputs("<table><tr><th>recipe</th><th>arch</th>", f);
        for (size_t k = 0; k < ns; k++) {
                fputs("<th>", f);
                esc(f, strats[k]);
                fputs("</th>", f);
        }
        fputs("</tr>\n", f);
        for (size_t i = 0; i < len(cells); i++) {
                json_object *x = json_object_array_get_idx(cells, i);
                /* A row starts at the first cell of its recipe, variant and arch. */
                bool first = true;
                for (size_t j = 0; j < i && first; j++) {
                        json_object *y = json_object_array_get_idx(cells, j);
                        first = !(streq(strempty(json_get_str(y, "recipe")), strempty(json_get_str(x, "recipe"))) &&
                                  streq(strempty(json_get_str(y, "variant")), strempty(json_get_str(x, "variant"))) &&
                                  streq(strempty(json_get_str(y, "arch")), strempty(json_get_str(x, "arch"))));
                }
                if (!first)
                        continue;
                const char *id = strempty(json_get_str(x, "id"));
                _cleanup_free_ char *head = strndup(id, strcspn(id, "/"));
                fputs("<tr><td>", f);
                esc(f, head);
                fputs("</td><td>", f);
                esc(f, json_get_str(x, "arch"));
                fputs("</td>", f);
                for (size_t k = 0; k < ns; k++) {
                        json_object *hit = NULL;
                        for (size_t j = i; j < len(cells) && !hit; j++) {
                                json_object *y = json_object_array_get_idx(cells, j);
                                if (streq(strempty(json_get_str(y, "recipe")), strempty(json_get_str(x, "recipe"))) &&
                                    streq(strempty(json_get_str(y, "variant")), strempty(json_get_str(x, "variant"))) &&
                                    streq(strempty(json_get_str(y, "arch")), strempty(json_get_str(x, "arch"))) &&
                                    streq(strempty(json_get_str(y, "strategy")), strats[k]))
                                        hit = y;
                        }
                        if (!hit) {
                                fputs("<td>—</td>", f);
                                continue;
                        }
                        fputs("<td class=\"", f);
                        esc(f, json_get_str(hit, "status"));
                        fputs("\"><a href=\"#", f);
                        cell_anchor(f, hit);
                        fputs("\">", f);
                        esc(f, json_get_str(hit, "status"));
                        fputs("</a>", f);
                        if (json_get(hit, "seconds"))
                                fprintf(f, " %.0f s", json_get_num(hit, "seconds", 0.0));
                        fputs("</td>", f);
                }
                fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
}

static void cell_details(FILE *f, json_object *x) {
        json_object *arts = json_get(x, "artifacts"), *fail = json_get(x, "failure"), *test = json_get(x, "test");
        fputs("<h3 id=\"", f);
        cell_anchor(f, x);
        fputs("\" class=\"", f);
        esc(f, json_get_str(x, "status"));
        fputs("\">", f);
        esc(f, json_get_str(x, "id"));
        fputs(": ", f);
        esc(f, json_get_str(x, "status"));
        fputs("</h3>\n<p>", f);
        if (json_get_str(x, "reason")) {
                esc(f, json_get_str(x, "reason"));
                fputs("<br>", f);
        }
        html_link(f, json_get_str(x, "log"), "log");
        html_link(f, json_get_str(x, "report"), "report.json");
        html_link(f, json_get_str(test, "report"), "test-report.json");
        if (json_get(x, "verified"))
                fprintf(f, " verified: %s", json_object_get_boolean(json_get(x, "verified")) ? "yes" : "no");
        if (json_get_str(test, "status")) {
                fputs(" · functional test: ", f);
                esc(f, json_get_str(test, "status"));
        }
        if (json_get_str(x, "toolchain_version")) {
                fputs(" · toolchain: ", f);
                esc(f, json_get_str(x, "toolchain_version"));
        }
        fputs("</p>\n", f);
        phase_bar(f, json_get(x, "phases_seconds"));
        if (len(arts)) {
                fputs("<table><tr><th>artifact</th><th>bytes</th><th>sha256</th><th>ELF</th><th>smoke runs</th></tr>\n", f);
                for (size_t i = 0; i < len(arts); i++) {
                        json_object *a = json_object_array_get_idx(arts, i);
                        json_object *ok = json_get(a, "ok");
                        fprintf(f, "<tr class=\"%s\"><td>", ok && !json_object_get_boolean(ok) ? "failed" : "");
                        html_link(f, json_get_str(a, "path"), strempty(json_get_str(a, "name")));
                        fprintf(f, "</td><td>%.0f</td><td><code>", json_get_num(a, "size", 0.0));
                        esc(f, json_get_str(a, "sha256"));
                        fputs("</code></td><td>", f);
                        esc(f, json_get_str(a, "elf"));
                        fprintf(f, "</td><td>%.0f/%.0f</td></tr>\n", json_get_num(a, "runs_ok", 0.0), json_get_num(a, "runs", 0.0));
                }
                fputs("</table>\n", f);
        }
        if (fail && (json_get_str(fail, "last_lines") || json_get_str(fail, "command"))) {
                fputs("<pre>", f);
                if (json_get_str(fail, "command")) {
                        fputs("$ ", f);
                        esc(f, json_get_str(fail, "command"));
                        fputc('\n', f);
                }
                esc(f, json_get_str(fail, "last_lines"));
                fputs("</pre>\n", f);
        }
}

char *matrix_report_html(json_object *m) {
        json_object *cells = json_get(m, "cells"), *cmps = json_get(m, "comparisons"), *regs = json_get(m, "regressions");
        struct counts c = count(cells);
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>xbuild matrix ", f);
        esc(f, json_get_str(m, "name"));
        fprintf(f, "</title><style>%s</style></head><body>\n<h1>xbuild matrix ", css);
        esc(f, json_get_str(m, "name"));
        fputs("</h1>\n<p>", f);
        esc(f, json_get_str(m, "started_at"));
        fprintf(f, " · %zu passed, %zu failed, %zu skipped%s · %.0f s</p>\n", c.passed, c.failed, c.skipped,
                c.other ? ", some not run" : "", json_get_num(m, "total_seconds", 0.0));
        grid(f, cells);
        if (len(regs)) {
                fprintf(f, "<h2>Regressions against the baseline (%zu)</h2>\n<ul>\n", len(regs));
                for (size_t i = 0; i < len(regs); i++) {
                        json_object *r = json_object_array_get_idx(regs, i);
                        fputs("<li class=\"failed\"><b>", f);
                        esc(f, json_get_str(r, "cell"));
                        fputs("</b> ", f);
                        esc(f, json_get_str(r, "kind"));
                        fputs(": ", f);
                        esc(f, json_get_str(r, "detail"));
                        fputs("</li>\n", f);
                }
                fputs("</ul>\n", f);
        }
        if (len(cmps)) {
                fputs("<h2>Across strategies</h2>\n", f);
                for (size_t i = 0; i < len(cmps); i++) {
                        json_object *x = json_object_array_get_idx(cmps, i), *arts = json_get(x, "artifacts");
                        json_object *id = json_get(x, "identical");
                        fprintf(f, "<h3 class=\"%s\">", id && json_object_get_boolean(id) ? "passed" : "failed");
                        esc(f, json_get_str(x, "recipe"));
                        if (json_get_str(x, "variant")) {
                                fputc('@', f);
                                esc(f, json_get_str(x, "variant"));
                        }
                        fputc(' ', f);
                        esc(f, json_get_str(x, "arch"));
                        fputs(": ", f);
                        esc(f, json_get_str(x, "summary"));
                        fputs("</h3>\n<table><tr><th>artifact</th><th>sha256 by strategy</th><th>why they differ</th></tr>\n", f);
                        for (size_t k = 0; k < len(arts); k++) {
                                json_object *a = json_object_array_get_idx(arts, k), *h = json_get(a, "sha256");
                                fputs("<tr><td>", f);
                                esc(f, json_get_str(a, "name"));
                                fputs("</td><td>", f);
                                if (h && json_object_is_type(h, json_type_object)) {
                                        json_object_object_foreach(h, s, v) {
                                                esc(f, s);
                                                fputs(": <code>", f);
                                                esc(f, v ? json_object_get_string(v) : "(none)");
                                                fputs("</code><br>", f);
                                        }
                                }
                                fputs("</td><td><pre>", f);
                                esc(f, json_get_str(a, "explanation") ?: "identical");
                                fputs("</pre></td></tr>\n", f);
                        }
                        fputs("</table>\n", f);
                }
        }
        fputs("<h2>Cells</h2>\n", f);
        for (size_t i = 0; i < len(cells); i++)
                cell_details(f, json_object_array_get_idx(cells, i));
        fputs("</body></html>\n", f);
        return finish(f, &buf);
}
