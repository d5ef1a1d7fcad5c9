/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/json-util.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/spawn.h"
#include "matrix-compare.h"
#include "verify/elf-sections.h"




static json_object *find_cell(json_object *cells, const char *id) {
        for (size_t i = 0; id && cells && i < json_object_array_length(cells); i++) {
                json_object *c = json_object_array_get_idx(cells, i);
                const char *cid = json_get_str(c, "id");
                if (cid && streq(cid, id))
                        return c;
        }
        return NULL;
}

static json_object *find_artifact(json_object *cell, const char *name) {
        json_object *arts = json_get(cell, "artifacts");
        for (size_t i = 0; name && arts && i < json_object_array_length(arts); i++) {
                json_object *a = json_object_array_get_idx(arts, i);
                const char *n = json_get_str(a, "name");
                if (n && streq(n, name))
                        return a;
        }
        return NULL;
}

/* What pins the source: "commit X", "sha256 X", "debian P V", or NULL (a directory). */
static char *source_identity(json_object *cell) {
        json_object *s = json_get(cell, "source");
        const char *v;
        char *r = NULL;
        if ((v = json_get_str(s, "commit")))
                return asprintf(&r, "commit %s", v) < 0 ? NULL : r;
        if ((v = json_get_str(s, "sha256")))
                return asprintf(&r, "sha256 %s", v) < 0 ? NULL : r;
        if ((v = json_get_str(s, "version")) && json_get_str(s, "package"))
                return asprintf(&r, "debian %s %s", json_get_str(s, "package"), v) < 0 ? NULL : r;
        return NULL;
}

static void add_regression(json_object *list, const char *id, const char *kind, const char *fmt, ...) _printf_(4, 5);
static void add_regression(json_object *list, const char *id, const char *kind, const char *fmt, ...) {
        json_object *r = json_object_new_object();
        char buf[512];
        va_list ap;
        if (!r)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        json_object_object_add(r, "cell", json_object_new_string(id));
        json_object_object_add(r, "kind", json_object_new_string(kind));
        json_object_object_add(r, "detail", json_object_new_string(buf));
        json_object_array_add(list, r);
}

json_object *matrix_regressions(json_object *cells, json_object *baseline_cells) {
        json_object *list = json_object_new_array();
        for (size_t i = 0; list && cells && i < json_object_array_length(cells); i++) {
                json_object *now = json_object_array_get_idx(cells, i);
                const char *id = json_get_str(now, "id");
                json_object *then = find_cell(baseline_cells, id);
                const char *sn = json_get_str(now, "status"), *st = json_get_str(then, "status");
                if (!then || !sn || !st)
                        continue;
                if (streq(st, "passed") && streq(sn, "failed")) {
                        add_regression(list, id, "newly-failing", "passed in the baseline, failed now: %s",
                                       strempty(json_get_str(now, "reason")));
                        continue;
                }
                if (!streq(st, "passed") || !streq(sn, "passed"))
                        continue;
                double tn = json_get_num(now, "seconds", -1), tt = json_get_num(then, "seconds", -1);
                if (tn >= 0 && tt > 0 && tn > tt * 1.2 && tn - tt > 2.0)
                        add_regression(list, id, "slower", "%.1f s, was %.1f s (+%.0f %%)", tn, tt, (tn / tt - 1.0) * 100.0);
                _cleanup_free_ char *src_now = source_identity(now), *src_then = source_identity(then);
                const char *tc_now = json_get_str(now, "toolchain_version"), *tc_then = json_get_str(then, "toolchain_version");
                bool same_inputs = src_now && src_then && streq(src_now, src_then) && tc_now && tc_then && streq(tc_now, tc_then);
                json_object *arts = json_get(now, "artifacts");
                for (size_t k = 0; arts && k < json_object_array_length(arts); k++) {
                        json_object *a = json_object_array_get_idx(arts, k);
                        const char *name = json_get_str(a, "name");
                        json_object *b = find_artifact(then, name);
                        if (!b)
                                continue;
                        double zn = json_get_num(a, "size", -1), zt = json_get_num(b, "size", -1);
                        if (zn >= 0 && zt > 0 && zn > zt * 1.1)
                                add_regression(list, id, "bigger", "%s: %.0f bytes, was %.0f (+%.0f %%)", name, zn, zt,
                                               (zn / zt - 1.0) * 100.0);
                        const char *hn = json_get_str(a, "sha256"), *ht = json_get_str(b, "sha256");
                        if (same_inputs && hn && ht && !streq(hn, ht))
                                add_regression(list, id, "sha256-changed",
                                               "%s: sha256 %.12s…, was %.12s… from the same source (%s) and toolchain (%s): "
                                               "a reproducibility break",
                                               name, hn, ht, src_now, tc_now);
                }
        }
        return list;
}

static int read_file_bytes(const char *path, unsigned char **ret, size_t *ret_size) {
        char *data = NULL;
        int r = read_full_file(path, (size_t) 1 << 31, &data, ret_size);
        *ret = (unsigned char *) data;
        return r;
}

/* Why a and b differ, from their ELF sections and Go's build information. */
static char *explain_elf(const char *pa, const char *na, json_object *aa, const char *pb, const char *nb, json_object *ab) {
        _cleanup_free_ unsigned char *da = NULL, *db = NULL;
        _cleanup_free_ struct elf_section *sa = NULL, *sb = NULL;
        size_t la = 0, lb = 0, ca = 0, cb = 0;
        char *out = NULL, *d = NULL;

        if (read_file_bytes(pa, &da, &la) < 0 || read_file_bytes(pb, &db, &lb) < 0)
                return strdup("the artifacts are not both readable to compare");
        if (elf_sections(da, la, &sa, &ca) < 0 || elf_sections(db, lb, &sb, &cb) < 0)
                return strdup("not both ELF files: compare them with diffoscope");
        d = elf_sections_diff(sa, ca, sb, cb, na, nb, 12);
        /* .comment: each compiler that contributed code signs there (gcc's version string). */
        char cma[256], cmb[256];
        _cleanup_free_ char *cc = NULL;
        if (elf_section_text(da, la, ".comment", cma, sizeof cma) == 0 && elf_section_text(db, lb, ".comment", cmb, sizeof cmb) == 0 &&
            !streq(cma, cmb))
                (void) asprintf(&cc, "C compilers: %s (%s) vs %s (%s)", cma, na, cmb, nb);
        json_object *ga = json_get(aa, "go"), *gb = json_get(ab, "go");
        const char *va = json_get_str(ga, "version"), *vb = json_get_str(gb, "version"), *ta = json_get_str(ga, "tags"), *tb = json_get_str(gb, "tags");
        const char *ma = json_get_str(ga, "goarm"), *mb = json_get_str(gb, "goarm");
        _cleanup_free_ char *go = NULL;
        if (va && vb && !streq(va, vb))
                (void) asprintf(&go, "Go %s (%s) vs %s (%s)", va, na, vb, nb);
        else if (ma && mb && !streq(ma, mb))
                (void) asprintf(&go, "GOARM=%s (%s) vs %s (%s)", ma, na, mb, nb);
        else if (ta && tb && !streq(ta, tb))
                (void) asprintf(&go, "build tags '%s' (%s) vs '%s' (%s)", ta, na, tb, nb);
        /* The Go build ID alone: it hashes the compiler binary that ran, the host's or the ARM one. */
        if (d && !cc && !go && strneq(d, "section .note.go.buildid:", 25) && !strchr(d, '\n')) {
                free(d);
                return strdup("only Go's build ID differs (.note.go.buildid is derived from the toolchain that ran: the "
                              "host's for cross, the ARM one natively); -ldflags=-buildid= makes the bytes the same (the "
                              "go toolchain's GOFLAGS has it, unless the recipe passes -ldflags of its own)");
        }
        if (asprintf(&out, "%s%s%s%s%s", cc ? cc : "", cc ? "\n" : "", go ? go : "", go ? "\n" : "",
                     d && d[0] ? d : "sections identical; the difference is outside them (headers, padding)") < 0)
                out = NULL;
        free(d);
        return out;
}

/* diffoscope's text report into OUT/compare/NAME.txt; the explanation names it. */
static char *explain_diffoscope(const char *out_dir, const char *key, const char *pa, const char *pb) {
        _cleanup_free_ char *dir = path_join(out_dir, "compare"), *file = NULL, *rel = NULL, *out = NULL;
        if (!dir || asprintf(&rel, "compare/%s.diffoscope.txt", key) < 0 || !(file = path_join(out_dir, rel)) ||
            mkdir_p(dir, 0755) < 0)
                return NULL;
        char *argv[] = {(char *) "diffoscope", (char *) "--text", file, (char *) "--no-progress", (char *) pa, (char *) pb, NULL};
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_NULL, .timeout_ms = 900000,
                                .flags = SPAWN_NEW_PGRP};
        _cleanup_(spawn_result_clear) struct spawn_result sr = {0};
        int r = spawn_run(&req, &sr);
        /* diffoscope exits 1 when the files differ: that is its answer, not a failure. */
        if (r < 0 || sr.signal || sr.exit_code > 1 || !path_exists(file))
                return NULL;
        if (read_file_tail(file, 8, &out) < 0)
                out = NULL;
        char *res = NULL;
        if (asprintf(&res, "diffoscope: %s (last lines:\n%s)", rel, strempty(out)) < 0)
                return NULL;
        return res;
}

/* Artifact paths are relative to the matrix's out dir, or absolute (a merged run outside it). */
static char *artifact_path(const char *out_dir, json_object *a) {
        const char *p = strempty(json_get_str(a, "path"));
        return p[0] == '/' ? strdup(p) : path_join(out_dir, p);
}

static bool has_diffoscope(void) {
        _cleanup_free_ char *p = spawn_find_program("diffoscope", NULL);
        return p != NULL;
}

json_object *matrix_comparisons(json_object *cells, const char *out_dir, bool explain_with_diffoscope) {
        json_object *list = json_object_new_array();
        size_t n = cells ? json_object_array_length(cells) : 0;
        _cleanup_free_ bool *done = calloc(n + 1, sizeof(bool));
        bool diffoscope = explain_with_diffoscope && has_diffoscope();

        if (!list || !done)
                return list;
        for (size_t i = 0; i < n; i++) {
                json_object *c = json_object_array_get_idx(cells, i);
                const char *st = json_get_str(c, "status"), *recipe = json_get_str(c, "recipe"), *arch = json_get_str(c, "arch");
                const char *variant = json_get_str(c, "variant");
                if (done[i] || !st || !streq(st, "passed") || !recipe || !arch)
                        continue;
                /* The group: same recipe, variant and arch, passed, other strategies. */
                size_t group[16], g = 0;
                group[g++] = i;
                for (size_t j = i + 1; j < n && g < ELEMENTSOF(group); j++) {
                        json_object *d = json_object_array_get_idx(cells, j);
                        const char *s2 = json_get_str(d, "status"), *r2 = json_get_str(d, "recipe"), *a2 = json_get_str(d, "arch"),
                                   *v2 = json_get_str(d, "variant");
                        if (s2 && streq(s2, "passed") && r2 && streq(r2, recipe) && a2 && streq(a2, arch) &&
                            streq(strempty(v2), strempty(variant))) {
                                group[g++] = j;
                                done[j] = true;
                        }
                }
                if (g < 2)
                        continue;
                json_object *cmp = json_object_new_object(), *strats = json_object_new_array(), *arts = json_object_new_array();
                if (!cmp || !strats || !arts) {
                        json_object_put(cmp), json_object_put(strats), json_object_put(arts);
                        continue;
                }
                for (size_t k = 0; k < g; k++)
                        json_object_array_add(strats, json_object_new_string(
                                                              strempty(json_get_str(json_object_array_get_idx(cells, group[k]), "strategy"))));
                bool all_same = true;
                json_object *first_arts = json_get(c, "artifacts");
                for (size_t k = 0; first_arts && k < json_object_array_length(first_arts); k++) {
                        json_object *a0 = json_object_array_get_idx(first_arts, k), *x = json_object_new_object(),
                                    *hashes = json_object_new_object();
                        const char *name = json_get_str(a0, "name"), *h0 = json_get_str(a0, "sha256");
                        bool same = true;
                        if (!x || !hashes || !name) {
                                json_object_put(x), json_object_put(hashes);
                                continue;
                        }
                        json_object *differing = NULL;
                        for (size_t q = 0; q < g; q++) {
                                json_object *cq = json_object_array_get_idx(cells, group[q]), *aq = find_artifact(cq, name);
                                const char *hq = json_get_str(aq, "sha256");
                                json_object_object_add(hashes, strempty(json_get_str(cq, "strategy")), hq ? json_object_new_string(hq) : NULL);
                                if (!hq || !h0 || !streq(hq, h0)) {
                                        same = false;
                                        if (!differing)
                                                differing = cq;
                                }
                        }
                        json_object_object_add(x, "name", json_object_new_string(name));
                        json_object_object_add(x, "sha256", hashes);
                        json_object_object_add(x, "identical", json_object_new_boolean(same));
                        if (!same && differing && find_artifact(differing, name)) {
                                json_object *ad = find_artifact(differing, name);
                                const char *sa = strempty(json_get_str(c, "strategy")), *sd = strempty(json_get_str(differing, "strategy"));
                                _cleanup_free_ char *pa = artifact_path(out_dir, a0), *pd = artifact_path(out_dir, ad);
                                _cleanup_free_ char *why = NULL, *key = NULL;
                                /* A file name of its own, whatever the recipe (a path) or artifact is called. */
                                if (diffoscope && asprintf(&key, "%s-%s-vs-%s", strempty(json_get_str(c, "dir")), name, sd) >= 0) {
                                        for (char *kc = key; *kc; kc++)
                                                if (!isalnum((unsigned char) *kc) && !strchr("-_.@", *kc))
                                                        *kc = '_';
                                        why = explain_diffoscope(out_dir, key, pa, pd);
                                }
                                if (!why)
                                        why = explain_elf(pa, sa, a0, pd, sd, ad);
                                /* Different compilers or C libraries explain most of it: say so first. */
                                const char *ta = json_get_str(c, "toolchain_version"), *td = json_get_str(differing, "toolchain_version");
                                char *both = NULL;
                                if (why && ta && td && !streq(ta, td) &&
                                    asprintf(&both, "toolchains differ: %s (%s) vs %s (%s)\n%s", ta, sa, td, sd, why) >= 0) {
                                        free(why);
                                        why = both;
                                }
                                json_object_object_add(x, "explanation", why ? json_object_new_string(why) : NULL);
                        }
                        all_same = all_same && same;
                        json_object_array_add(arts, x);
                }
                json_object_object_add(cmp, "recipe", json_object_new_string(recipe));
                json_object_object_add(cmp, "variant", variant ? json_object_new_string(variant) : NULL);
                json_object_object_add(cmp, "arch", json_object_new_string(arch));
                json_object_object_add(cmp, "strategies", strats);
                json_object_object_add(cmp, "identical", json_object_new_boolean(all_same && json_object_array_length(arts) > 0));
                json_object_object_add(cmp, "summary", json_object_new_string(all_same && json_object_array_length(arts) > 0
                                                                                     ? "bit-identical across strategies"
                                                                                     : "different bytes across strategies"));
                json_object_object_add(cmp, "artifacts", arts);
                json_object_array_add(list, cmp);
        }
        return list;
}
