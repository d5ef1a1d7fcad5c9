/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/path.h"
#include "core/strv.h"
#include "core/units.h"
#include "matrix-file.h"
#include "recipe/schema-util.h"
#include "recipe/ydecode.h"

static void options_clear(struct matrix_options *o) {
        free(o->source);
        free(o->memory);
}

static void match_clear(struct matrix_match *m) {
        free(m->recipe);
        free(m->variant);
}

struct matrix_file *matrix_file_free(struct matrix_file *m) {
        if (!m)
                return NULL;
        free(m->path);
        free(m->name);
        for (size_t i = 0; i < m->n_recipes; i++) {
                free(m->recipes[i].name);
                free(m->recipes[i].variant);
        }
        free(m->recipes);
        for (size_t i = 0; i < m->n_excludes; i++)
                match_clear(&m->excludes[i]);
        free(m->excludes);
        for (size_t i = 0; i < m->n_rules; i++) {
                match_clear(&m->rules[i].match);
                options_clear(&m->rules[i].options);
        }
        free(m->rules);
        free(m);
        return NULL;
}

static bool valid_variant(const char *v) {
        size_t n = strlen(v);
        return n > 0 && n <= 64 && v[0] != '-' && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

/* "NAME" or "NAME@VARIANT". -EINVAL when it is neither. */
static int split_recipe(const char *s, struct matrix_recipe *ret) {
        const char *at = strrchr(s, '@');
        *ret = (struct matrix_recipe){0};
        if (!s[0] || s[0] == '-' || (at && (at == s || !valid_variant(at + 1))))
                return -EINVAL;
        if (!(ret->name = at ? strndup(s, (size_t) (at - s)) : strdup(s)) || (at && !(ret->variant = strdup(at + 1)))) {
                free(ret->name);
                return -ENOMEM;
        }
        return 0;
}

static bool same_recipe(const struct matrix_recipe *a, const struct matrix_recipe *b) {
        return streq(a->name, b->name) && streq(strempty(a->variant), strempty(b->variant));
}

static int add_recipe(struct matrix_file *m, const char *s) {
        struct matrix_recipe r;
        int k = split_recipe(s, &r);
        if (k < 0)
                return k;
        for (size_t i = 0; i < m->n_recipes; i++)
                if (same_recipe(&m->recipes[i], &r)) {
                        free(r.name);
                        free(r.variant);
                        return -EEXIST;
                }
        struct matrix_recipe *n = realloc(m->recipes, (m->n_recipes + 1) * sizeof *n);
        if (!n) {
                free(r.name);
                free(r.variant);
                return -ENOMEM;
        }
        m->recipes = n;
        m->recipes[m->n_recipes++] = r;
        return 0;
}

static int parse_recipes(const struct ynode *n, struct matrix_file *m, struct xb_diag *d) {
        if (n->type != YNODE_SEQ || n->n == 0)
                return yd_error(d, n, "'recipes' must be a non-empty list of recipe names (NAME or NAME@VARIANT)");
        for (size_t i = 0; i < n->n; i++) {
                _cleanup_free_ char *s = NULL;
                char what[32];
                int r;
                (void) snprintf(what, sizeof what, "recipes[%zu]", i);
                if ((r = yd_string(n->items[i], what, &s, d)) < 0)
                        return r;
                r = add_recipe(m, s);
                if (r >= 0) {
                        m->recipes[m->n_recipes - 1].line = n->items[i]->line;
                        m->recipes[m->n_recipes - 1].col = n->items[i]->col;
                }
                if (r == -EINVAL)
                        return yd_error(d, n->items[i], "'%s' must be a recipe name or path, optionally with @VARIANT, not '%s'",
                                        what, s);
                if (r == -EEXIST)
                        return yd_error(d, n->items[i], "'%s': %s is listed twice", what, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_arches(const struct ynode *n, struct matrix_file *m, struct xb_diag *d) {
        if (n->type != YNODE_SEQ || n->n == 0)
                return yd_error(d, n, "'arches' must be a non-empty list of armhf, armel, arm64");
        for (size_t i = 0; i < n->n; i++) {
                enum xb_arch a;
                int r = schema_arch(n->items[i], "arches", &a, d);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < m->n_arches; j++)
                        if (m->arches[j] == a)
                                return yd_error(d, n->items[i], "'arches': %s is listed twice", arch_to_string(a));
                m->arches[m->n_arches++] = a;
        }
        return 0;
}

static int parse_strategies(const struct ynode *n, struct matrix_file *m, struct xb_diag *d) {
        if (n->type != YNODE_SEQ || n->n == 0)
                return yd_error(d, n, "'strategies' must be a non-empty list of cross, chroot, qemu-system, remote");
        for (size_t i = 0; i < n->n; i++) {
                enum xb_strategy s;
                int r = schema_strategy(n->items[i], "strategies", &s, d);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < m->n_strategies; j++)
                        if (m->strategies[j] == s)
                                return yd_error(d, n->items[i], "'strategies': %s is listed twice", strategy_to_string(s));
                m->strategies[m->n_strategies++] = s;
        }
        return 0;
}

static int parse_match(const struct ynode *n, const char *what, struct matrix_match *ret, struct xb_diag *d) {
        static const char *const keys[] = {"recipe", "variant", "arch", "strategy", NULL};
        const struct ynode *v;
        char w[96];
        int r;

        *ret = (struct matrix_match){.arch = _XB_ARCH_INVALID, .strategy = _XB_STRATEGY_INVALID};
        if ((r = yd_mapping(n, what, keys, d)) < 0)
                return r;
        if (n->n == 0)
                return yd_error(d, n, "'%s' must name at least one of recipe, variant, arch, strategy", what);
        (void) snprintf(w, sizeof w, "%s.recipe", what);
        if ((v = ynode_get(n, "recipe")) && (r = yd_string(v, w, &ret->recipe, d)) < 0)
                return r;
        (void) snprintf(w, sizeof w, "%s.variant", what);
        if ((v = ynode_get(n, "variant"))) {
                if ((r = yd_string(v, w, &ret->variant, d)) < 0)
                        return r;
                if (!valid_variant(ret->variant))
                        return yd_error(d, v, "'%s' must be a variant name such as debian", w);
        }
        (void) snprintf(w, sizeof w, "%s.arch", what);
        if ((v = ynode_get(n, "arch")) && (r = schema_arch(v, w, &ret->arch, d)) < 0)
                return r;
        (void) snprintf(w, sizeof w, "%s.strategy", what);
        if ((v = ynode_get(n, "strategy")) && (r = schema_strategy(v, w, &ret->strategy, d)) < 0)
                return r;
        return 0;
}

static int parse_excludes(const struct ynode *n, struct matrix_file *m, struct xb_diag *d) {
        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'exclude' must be a list of {recipe, variant, arch, strategy} patterns");
        if (!(m->excludes = calloc(n->n + 1, sizeof *m->excludes)))
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                char what[32];
                (void) snprintf(what, sizeof what, "exclude[%zu]", i);
                int r = parse_match(n->items[i], what, &m->excludes[m->n_excludes++], d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_rules(const struct ynode *n, struct matrix_file *m, struct xb_diag *d) {
        static const char *const keys[] = {"match", "source", "memory", "timeout", "test", NULL};
        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'cells' must be a list of {match, source, memory, timeout, test}");
        if (!(m->rules = calloc(n->n + 1, sizeof *m->rules)))
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *it = n->items[i], *v;
                struct matrix_rule *rule = &m->rules[m->n_rules++];
                char what[32], w[48];
                int r;
                rule->options.test = -1;
                rule->match = (struct matrix_match){.arch = _XB_ARCH_INVALID, .strategy = _XB_STRATEGY_INVALID};
                (void) snprintf(what, sizeof what, "cells[%zu]", i);
                if ((r = yd_mapping(it, what, keys, d)) < 0)
                        return r;
                (void) snprintf(w, sizeof w, "%s.match", what);
                if ((r = yd_require(it, what, "match", &v, d)) < 0 || (r = parse_match(v, w, &rule->match, d)) < 0)
                        return r;
                if ((v = ynode_get(it, "source"))) {
                        (void) snprintf(w, sizeof w, "%s.source", what);
                        if ((r = yd_string(v, w, &rule->options.source, d)) < 0)
                                return r;
                        if (rule->options.source[0] == '-')
                                return yd_error(d, v, "'%s' must not start with '-'", w);
                        if (rule->options.source[0] != '/') {
                                /* Relative to the matrix file, like a recipe's local source. */
                                _cleanup_free_ char *dir = path_dirname(m->path), *abs = NULL;
                                _cleanup_free_ char *cwd = dir && dir[0] != '/' ? getcwd(NULL, 0) : NULL;
                                _cleanup_free_ char *base = cwd ? path_join(cwd, dir) : dir ? strdup(dir) : NULL;
                                if (!base || !(abs = path_join(base, rule->options.source)))
                                        return -ENOMEM;
                                free(rule->options.source);
                                rule->options.source = path_normalize(abs);
                                if (!rule->options.source)
                                        return -ENOMEM;
                        }
                }
                if ((v = ynode_get(it, "memory"))) {
                        unsigned long long mib;
                        (void) snprintf(w, sizeof w, "%s.memory", what);
                        if ((r = yd_string(v, w, &rule->options.memory, d)) < 0)
                                return r;
                        if (parse_size_mib(rule->options.memory, 128, 1ULL << 20, &mib) < 0)
                                return yd_error(d, v, "'%s' must be a size like 3G or 2048M", w);
                }
                if ((v = ynode_get(it, "timeout"))) {
                        (void) snprintf(w, sizeof w, "%s.timeout", what);
                        if ((r = yd_uint(v, w, 1, 7 * 86400, &rule->options.timeout, d)) < 0)
                                return r;
                }
                if ((v = ynode_get(it, "test"))) {
                        bool b;
                        (void) snprintf(w, sizeof w, "%s.test", what);
                        if ((r = yd_bool(v, w, &b, d)) < 0)
                                return r;
                        rule->options.test = b;
                }
        }
        return 0;
}

static int matrix_decode(const struct ynode *root, const char *filename, void **ret, struct xb_diag *d) {
        static const char *const keys[] = {"name", "recipes", "arches", "strategies", "exclude", "cells", "test", NULL};
        _cleanup_(matrix_file_freep) struct matrix_file *m = calloc(1, sizeof *m);
        const struct ynode *v;
        int r;

        if (!m || !(m->path = strdup(filename)))
                return -ENOMEM;
        if ((r = yd_mapping(root, "matrix", keys, d)) < 0)
                return r;
        if ((v = ynode_get(root, "name"))) {
                if ((r = schema_name(v, "name", &m->name, d)) < 0)
                        return r;
        } else {
                const char *b = strrchr(filename, '/');
                b = b ? b + 1 : filename;
                size_t n = strcspn(b, ".");
                if (!(m->name = strndup(b, n ? n : strlen(b))))
                        return -ENOMEM;
        }
        if ((r = yd_require(root, "matrix", "recipes", &v, d)) < 0 || (r = parse_recipes(v, m, d)) < 0 ||
            (r = yd_require(root, "matrix", "arches", &v, d)) < 0 || (r = parse_arches(v, m, d)) < 0 ||
            (r = yd_require(root, "matrix", "strategies", &v, d)) < 0 || (r = parse_strategies(v, m, d)) < 0)
                return r;
        if ((v = ynode_get(root, "exclude")) && (r = parse_excludes(v, m, d)) < 0)
                return r;
        if ((v = ynode_get(root, "cells")) && (r = parse_rules(v, m, d)) < 0)
                return r;
        if ((v = ynode_get(root, "test")) && (r = yd_bool(v, "test", &m->test, d)) < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int matrix_file_parse(const char *data, size_t size, const char *filename, struct matrix_file **ret,
                      struct xb_diag *reterr) {
        return schema_parse(data, size, filename, matrix_decode, (void **) ret, reterr);
}

int matrix_file_load(const char *path, struct matrix_file **ret, struct xb_diag *reterr) {
        return schema_load(path, matrix_decode, (void **) ret, reterr);
}

/* "a,b,,c" -> {a, b, c}; NULL -> {}. */
static int split_commas(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (const char *p = s; p && *p;) {
                size_t n = strcspn(p, ",");
                if (n > 0) {
                        _cleanup_free_ char *w = strndup(p, n);
                        if (!w || strv_extend(&l, w) < 0)
                                return -ENOMEM;
                }
                p += n + (p[n] == ',');
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int matrix_file_from_lists(const char *recipes, const char *arches, const char *strategies, struct matrix_file **ret,
                           char **ret_error) {
        _cleanup_(matrix_file_freep) struct matrix_file *m = calloc(1, sizeof *m);
        _cleanup_strv_free_ char **rl = NULL, **al = NULL, **sl = NULL;
        int r;

        *ret_error = NULL;
        if (!m || !(m->path = strdup("(command line)")) || !(m->name = strdup("adhoc")))
                return -ENOMEM;
        if ((r = split_commas(recipes, &rl)) < 0 || (r = split_commas(arches, &al)) < 0 ||
            (r = split_commas(strategies, &sl)) < 0)
                return r;
        STRV_FOREACH(s, rl) {
                r = add_recipe(m, *s);
                if (r == -EINVAL || r == -EEXIST)
                        return asprintf(ret_error, "--recipes: '%s' %s", *s,
                                        r == -EINVAL ? "is not NAME or NAME@VARIANT" : "is listed twice") < 0 ? -ENOMEM : -EINVAL;
                if (r < 0)
                        return r;
        }
        STRV_FOREACH(s, al) {
                enum xb_arch a = arch_from_string(*s);
                if (a < 0 || m->n_arches == _XB_ARCH_MAX)
                        return asprintf(ret_error, "--arches: '%s' is not armhf, armel or arm64 (or is listed twice)", *s) < 0
                                       ? -ENOMEM : -EINVAL;
                for (size_t j = 0; j < m->n_arches; j++)
                        if (m->arches[j] == a)
                                return asprintf(ret_error, "--arches: %s is listed twice", *s) < 0 ? -ENOMEM : -EINVAL;
                m->arches[m->n_arches++] = a;
        }
        STRV_FOREACH(s, sl) {
                enum xb_strategy st = strategy_from_string(*s);
                if (st < 0)
                        return asprintf(ret_error, "--strategies: '%s' is not cross, chroot, qemu-system or remote", *s) < 0
                                       ? -ENOMEM : -EINVAL;
                for (size_t j = 0; j < m->n_strategies; j++)
                        if (m->strategies[j] == st)
                                return asprintf(ret_error, "--strategies: %s is listed twice", *s) < 0 ? -ENOMEM : -EINVAL;
                m->strategies[m->n_strategies++] = st;
        }
        const char *missing = !m->n_recipes ? "--recipes" : !m->n_arches ? "--arches" : !m->n_strategies ? "--strategies" : NULL;
        if (missing)
                return asprintf(ret_error, "%s needs at least one value (a comma-separated list)", missing) < 0 ? -ENOMEM
                                                                                                             : -EINVAL;
        *ret = TAKE_PTR(m);
        return 0;
}

/* A path as recipe: its file name without .yaml stands for it in ids and patterns. */
static const char *recipe_stem(const char *name, size_t *ret_len) {
        const char *base = strrchr(name, '/');
        base = base ? base + 1 : name;
        size_t bl = strlen(base);
        if (bl > 5 && streq(base + bl - 5, ".yaml"))
                bl -= 5;
        else if (bl > 4 && streq(base + bl - 4, ".yml"))
                bl -= 4;
        *ret_len = bl;
        return base;
}

static bool recipe_matches(const char *pattern, const char *name) {
        size_t bl;
        const char *base = recipe_stem(name, &bl);
        return streq(pattern, name) || (strlen(pattern) == bl && strneq(pattern, base, bl));
}

bool matrix_match_cell(const struct matrix_match *p, const struct matrix_recipe *r, enum xb_arch a, enum xb_strategy s) {
        return (!p->recipe || recipe_matches(p->recipe, r->name)) && (!p->variant || streq(p->variant, strempty(r->variant))) &&
               (p->arch < 0 || p->arch == a) && (p->strategy < 0 || p->strategy == s);
}

int matrix_cells(const struct matrix_file *m, struct matrix_cell **ret, size_t *ret_n) {
        size_t cap = m->n_recipes * m->n_arches * m->n_strategies, n = 0;
        _cleanup_free_ struct matrix_cell *cells = calloc(cap + 1, sizeof *cells);

        if (!cells)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_recipes; i++)
                for (size_t j = 0; j < m->n_arches; j++)
                        for (size_t k = 0; k < m->n_strategies; k++) {
                                const struct matrix_recipe *r = &m->recipes[i];
                                enum xb_arch a = m->arches[j];
                                enum xb_strategy s = m->strategies[k];
                                bool excluded = false;
                                for (size_t e = 0; e < m->n_excludes && !excluded; e++)
                                        excluded = matrix_match_cell(&m->excludes[e], r, a, s);
                                if (excluded)
                                        continue;
                                struct matrix_cell *c = &cells[n++];
                                *c = (struct matrix_cell){.recipe = r, .arch = a, .strategy = s,
                                                          .options = {.test = m->test}};
                                for (size_t q = 0; q < m->n_rules; q++) {
                                        const struct matrix_rule *rule = &m->rules[q];
                                        if (!matrix_match_cell(&rule->match, r, a, s))
                                                continue;
                                        if (rule->options.source)
                                                c->options.source = rule->options.source;
                                        if (rule->options.memory)
                                                c->options.memory = rule->options.memory;
                                        if (rule->options.timeout)
                                                c->options.timeout = rule->options.timeout;
                                        if (rule->options.test >= 0)
                                                c->options.test = rule->options.test;
                                }
                                size_t bl;
                                const char *base = recipe_stem(r->name, &bl);
                                int k1 = snprintf(c->id, sizeof c->id, "%.*s%s%s/%s/%s", (int) bl, base, r->variant ? "@" : "",
                                                  strempty(r->variant), arch_to_string(a), strategy_to_string(s));
                                int k2 = snprintf(c->dir, sizeof c->dir, "%.*s%s%s-%s-%s", (int) bl, base, r->variant ? "@" : "",
                                                  strempty(r->variant), arch_to_string(a), strategy_to_string(s));
                                if (k1 < 0 || (size_t) k1 >= sizeof c->id || k2 < 0 || (size_t) k2 >= sizeof c->dir)
                                        return -ENAMETOOLONG;
                                /* Two recipes named alike (a/runc.yaml, b/runc.yaml) would share a directory. */
                                for (size_t q = 0; q + 1 < n; q++)
                                        if (streq(cells[q].id, c->id))
                                                return -ENOTUNIQ;
                        }
        *ret = TAKE_PTR(cells);
        *ret_n = n;
        return 0;
}
