/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/strv.h"
#include "expand.h"
#include "core/units.h"
#include "core/url.h"
#include "fetch/debsrc.h"
#include "recipe.h"
#include "schema-util.h"
#include "ydecode.h"
#include "ydoc.h"

static const char *const source_kind_names[_SOURCE_KIND_MAX] = {"git", "tarball", "local", "debian"};

const char *source_kind_to_string(enum source_kind k) {
        return k >= 0 && k < _SOURCE_KIND_MAX ? source_kind_names[k] : NULL;
}

static void source_clear(struct recipe_source *s) {
        free(s->url);
        free(s->ref);
        free(s->commit);
        free(s->sha256);
        free(s->path);
        free(s->package);
        free(s->deb_version);
        free(s->upstream_version);
        free(s->suite);
        free(s->component);
        free(s->mirror);
        free(s->keyring);
}

static void expect_clear(struct recipe_expect *e) {
        for (size_t i = 0; i < e->n_runs; i++) {
                strv_free(e->runs ? e->runs[i] : NULL);
                free(e->run_outputs ? e->run_outputs[i] : NULL);
                strv_free(e->run_envs ? e->run_envs[i] : NULL);
        }
        free(e->runs);
        free(e->run_outputs);
        free(e->run_envs);
}

struct recipe *recipe_free(struct recipe *r) {
        if (!r)
                return NULL;
        free(r->path);
        free(r->dir);
        free(r->name);
        free(r->summary);
        free(r->version);
        source_clear(&r->source);
        for (size_t i = 0; i < r->n_extra_sources; i++) {
                free(r->extra_sources[i].dest);
                source_clear(&r->extra_sources[i].source);
        }
        free(r->extra_sources);
        free(r->toolchain);
        free(r->rootfs);
        free(r->kconfig);
        strv_free(r->build_deps);
        strv_free(r->host_deps);
        strv_free(r->env);
        strv_free(r->steps);
        strv_free(r->patches);
        for (size_t i = 0; i < r->n_artifacts; i++) {
                free(r->artifacts[i].path);
                free(r->artifacts[i].install_as);
                expect_clear(&r->artifacts[i].expect);
        }
        free(r->artifacts);
        for (size_t a = 0; a < _XB_ARCH_MAX; a++) {
                struct recipe_arch *ra = &r->per_arch[a];
                strv_free(ra->env);
                strv_free(ra->build_deps);
                strv_free(ra->steps);
                for (size_t i = 0; i < ra->n_artifacts; i++) {
                        free(ra->artifacts[i].path);
                        free(ra->artifacts[i].install_as);
                        expect_clear(&ra->artifacts[i].expect);
                }
                free(ra->artifacts);
        }
        for (size_t i = 0; i < _XB_STRATEGY_MAX; i++) {
                strv_free(r->strategies[i].env);
                strv_free(r->strategies[i].build_deps);
                strv_free(r->strategies[i].steps);
                free(r->strategies[i].rootfs);
        }
        recipe_test_free(r->test);
        strv_free(r->variants);
        free(r->variant);
        free(r);
        return NULL;
}

const char *recipe_version(const struct recipe *r) {
        if (r->version)
                return r->version;
        if (r->source.kind == SOURCE_GIT && r->source.ref) {
                const char *v = r->source.ref;
                if (strneq(v, "refs/tags/", STRLEN("refs/tags/")))
                        v += STRLEN("refs/tags/");
                return v[0] == 'v' && v[1] >= '0' && v[1] <= '9' ? v + 1 : v;
        }
        if (r->source.kind == SOURCE_DEBIAN)
                return r->source.upstream_version;
        return NULL;
}

const struct recipe_artifact *recipe_artifacts(const struct recipe *r, enum xb_arch a, size_t *ret_n) {
        if (a >= 0 && a < _XB_ARCH_MAX && r->per_arch[a].n_artifacts) {
                *ret_n = r->per_arch[a].n_artifacts;
                return r->per_arch[a].artifacts;
        }
        *ret_n = r->n_artifacts;
        return r->artifacts;
}

char *const *recipe_steps(const struct recipe *r, enum xb_strategy s, enum xb_arch a) {
        if (s >= 0 && s < _XB_STRATEGY_MAX && r->strategies[s].steps)
                return r->strategies[s].steps;
        if (a >= 0 && a < _XB_ARCH_MAX && r->per_arch[a].steps)
                return r->per_arch[a].steps;
        return r->steps;
}

char *const *recipe_build_deps(const struct recipe *r, enum xb_strategy s, enum xb_arch a) {
        if (s >= 0 && s < _XB_STRATEGY_MAX && r->strategies[s].build_deps)
                return r->strategies[s].build_deps;
        if (a >= 0 && a < _XB_ARCH_MAX && r->per_arch[a].build_deps)
                return r->per_arch[a].build_deps;
        return r->build_deps;
}

bool recipe_supports_arch(const struct recipe *r, enum xb_arch a) {
        for (size_t i = 0; i < r->n_arches; i++)
                if (r->arches[i] == a)
                        return true;
        return false;
}

static int parse_arches(const struct ynode *n, struct recipe *rc, struct xb_diag *d) {
        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'arches' must be a list, not %s", ynode_type_name(n));
        if (n->n == 0)
                return yd_error(d, n, "'arches' must name at least one architecture");
        for (size_t i = 0; i < n->n; i++) {
                enum xb_arch a;
                int r = schema_arch(n->items[i], "arches", &a, d);
                if (r < 0)
                        return r;
                if (recipe_supports_arch(rc, a))
                        return yd_error(d, n->items[i], "architecture '%s' is listed twice",
                                            arch_to_string(a));
                rc->arches[rc->n_arches++] = a;
        }
        return 0;
}

static bool url_has_scheme(const char *u, const char *const *schemes) {
        for (const char *const *s = schemes; *s; s++)
                if (strneq(u, *s, strlen(*s)) && u[strlen(*s)])
                        return true;
        return false;
}

/* debian: PACKAGE, version: EXACT, and optionally suite, component, mirror, keyring. */
static int parse_debian_source(const struct ynode *n, const struct ynode *kind_node, struct recipe_source *src,
                               struct xb_diag *d) {
        static const char *const http_schemes[] = {"https://", "http://", "file://", NULL};
        const struct ynode *v;
        int r;

        if ((r = yd_string(kind_node, "source.debian", &src->package, d)) < 0)
                return r;
        if (!debsrc_valid_package(src->package))
                return yd_error(d, kind_node, "'source.debian' must be a Debian source package name such as runc, not '%s'",
                                src->package);
        if ((r = schema_require_string(n, "source", "version", &src->deb_version, d)) < 0)
                return r;
        if (!debsrc_valid_version(src->deb_version))
                return yd_error(d, ynode_get(n, "version"),
                                "'source.version' must be an exact Debian version such as 1.1.5+ds1-1, not '%s'",
                                src->deb_version);
        if (!(src->upstream_version = debsrc_upstream_version(src->deb_version)))
                return -ENOMEM;
        static const char *const names[] = {"suite", "component", NULL};
        char **const fields[] = {&src->suite, &src->component};
        for (size_t i = 0; names[i]; i++) {
                char what[32];
                (void) snprintf(what, sizeof what, "source.%s", names[i]);
                if ((v = ynode_get(n, names[i])) && (r = yd_string(v, what, fields[i], d)) < 0)
                        return r;
                if (v && !debsrc_valid_suite(*fields[i]))
                        return yd_error(d, v, "'%s' must be a name such as %s, not '%s'", what,
                                        i == 0 ? "bookworm" : "main", *fields[i]);
        }
        if ((v = ynode_get(n, "mirror"))) {
                if ((r = yd_string(v, "source.mirror", &src->mirror, d)) < 0)
                        return r;
                if (!url_has_scheme(src->mirror, http_schemes))
                        return yd_error(d, v, "'source.mirror' must be an https://, http:// or file:// URL");
        }
        if ((v = ynode_get(n, "keyring"))) {
                if ((r = yd_string(v, "source.keyring", &src->keyring, d)) < 0)
                        return r;
                if (src->keyring[0] != '/')
                        return yd_error(d, v, "'source.keyring' must be an absolute path");
        }
        return 0;
}

static int parse_source(const struct ynode *n, const char *dir, struct recipe_source *src, bool with_dest,
                        struct xb_diag *d) {
        static const char *const keys[] = {"git",        "tarball", "local",
                                           "ref",        "commit",  "submodules",
                                           "sha256",     "strip_components", "debian", "version", "suite",
                                           "component", "mirror", "keyring", NULL};
        static const char *const keys_dest[] = {"git",    "tarball",          "local", "ref", "commit", "submodules",
                                                "sha256", "strip_components", "debian", "version", "suite",
                                                "component", "mirror", "keyring", "dest",  NULL};
        static const char *const git_schemes[] = {"https://", "http://", "git://", "ssh://",
                                                  "file://", NULL};
        static const char *const http_schemes[] = {"https://", "http://", "file://", NULL};
        const struct ynode *kind_node = NULL, *v;
        int r, kinds = 0;

        r = yd_mapping(n, "source", with_dest ? keys_dest : keys, d);
        if (r < 0)
                return r;
        for (int k = 0; k < _SOURCE_KIND_MAX; k++)
                if ((v = ynode_get(n, source_kind_names[k]))) {
                        if (kinds++ > 0)
                                return yd_error(d, v,
                                                    "'source' takes exactly one of git, tarball, local or debian");
                        kind_node = v;
                        src->kind = (enum source_kind) k;
                }
        if (!kind_node)
                return yd_error(d, n, "'source' needs one of git, tarball, local or debian");

        /* Keys that belong to another kind are errors, not silently ignored. */
        static const struct {
                const char *key;
                enum source_kind kind;
        } owner[] = {
                {"ref", SOURCE_GIT},           {"commit", SOURCE_GIT},
                {"submodules", SOURCE_GIT},    {"sha256", SOURCE_TARBALL},
                {"strip_components", SOURCE_TARBALL}, {"version", SOURCE_DEBIAN},
                {"suite", SOURCE_DEBIAN},      {"component", SOURCE_DEBIAN},
                {"mirror", SOURCE_DEBIAN},     {"keyring", SOURCE_DEBIAN},
        };
        for (size_t i = 0; i < ELEMENTSOF(owner); i++)
                if ((v = ynode_get_key(n, owner[i].key)) && owner[i].kind != src->kind)
                        return yd_error(d, v, "'source.%s' applies to %s sources, not %s",
                                            owner[i].key, source_kind_names[owner[i].kind],
                                            source_kind_names[src->kind]);

        switch (src->kind) {
        case SOURCE_DEBIAN:
                return parse_debian_source(n, kind_node, src, d);
        case SOURCE_GIT:
                r = yd_string(kind_node, "source.git", &src->url, d);
                if (r < 0)
                        return r;
                /* A leading '-' (of the URL, its user or its host) would be read as an option by
                 * any tool the URL reaches. */
                if (url_git_smuggles_option(src->url))
                        return yd_error(d, kind_node, "'source.git' must not start with '-' nor have a user or host "
                                                      "starting with '-' (it would be read as an option)");
                if (
                    !(url_has_scheme(src->url, git_schemes) || src->url[0] == '/' ||
                      (strchr(src->url, '@') && strchr(src->url, ':'))))
                        return yd_error(d, kind_node,
                                            "'source.git' must be an https://, http://, git://, ssh:// or file:// URL, user@host:path, or an absolute path");
                r = schema_require_string(n, "source", "ref", &src->ref, d);
                if (r < 0)
                        return r;
                if (src->ref[0] == '-')
                        return yd_error(d, ynode_get(n, "ref"), "'source.ref' must not start with '-'");
                r = schema_require_string(n, "source", "commit", &src->commit, d);
                if (r < 0)
                        return r;
                if (!yd_is_hex(src->commit, 40))
                        return yd_error(d, ynode_get(n, "commit"),
                                            "'source.commit' must be 40 lowercase hexadecimal digits, got '%s'",
                                            src->commit);
                if ((v = ynode_get(n, "submodules")) && (r = yd_bool(v, "source.submodules", &src->submodules, d)) < 0)
                        return r;
                return 0;
        case SOURCE_TARBALL:
                r = yd_string(kind_node, "source.tarball", &src->url, d);
                if (r < 0)
                        return r;
                if (!url_has_scheme(src->url, http_schemes))
                        return yd_error(d, kind_node,
                                            "'source.tarball' must be an https://, http:// or file:// URL");
                r = schema_require_string(n, "source", "sha256", &src->sha256, d);
                if (r < 0)
                        return r;
                if (!yd_is_hex(src->sha256, 64))
                        return yd_error(d, ynode_get(n, "sha256"),
                                            "'source.sha256' must be 64 lowercase hexadecimal digits, got '%s'",
                                            src->sha256);
                if ((v = ynode_get(n, "strip_components")) &&
                    (r = yd_uint(v, "source.strip_components", 0, 16, &src->strip_components, d)) < 0)
                        return r;
                return 0;
        case SOURCE_LOCAL:
        default: {
                _cleanup_free_ char *p = NULL;
                r = yd_string(kind_node, "source.local", &p, d);
                if (r < 0)
                        return r;
                if (p[0] == '-')
                        return yd_error(d, kind_node, "'source.local' must not start with '-'");
                _cleanup_free_ char *joined = p[0] == '/' ? strdup(p) : path_join(dir, p);
                if (!joined || !(src->path = path_normalize(joined)))
                        return -ENOMEM;
                return 0;
        }
        }
}

/* sources: more repositories, each laid out at dest inside the main tree, pinned like it. */
static int parse_extra_sources(const struct ynode *n, const char *dir, struct recipe *rc, struct xb_diag *d) {
        int r;

        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'sources' must be a list, not %s", ynode_type_name(n));
        if (!(rc->extra_sources = calloc(n->n + 1, sizeof *rc->extra_sources)))
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                struct recipe_extra_source *es = &rc->extra_sources[rc->n_extra_sources++];
                const struct ynode *v;
                char what[64];
                (void) snprintf(what, sizeof what, "sources[%zu]", i);
                if (n->items[i]->type != YNODE_MAP)
                        return yd_error(d, n->items[i], "'%s' must be a mapping with dest and a source", what);
                if ((r = parse_source(n->items[i], dir, &es->source, true, d)) < 0)
                        return r;
                if ((r = yd_require(n->items[i], what, "dest", &v, d)) < 0 || (r = yd_string(v, what, &es->dest, d)) < 0)
                        return r;
                if (!path_is_safe_relative(es->dest))
                        return yd_error(d, v, "'%s.dest' must be a relative path inside the source tree (no leading '/', "
                                        "no '..')", what);
                for (size_t j = 0; j < i; j++)
                        if (streq(rc->extra_sources[j].dest, es->dest))
                                return yd_error(d, v, "'%s.dest' is also sources[%zu]'s", what, j);
        }
        return 0;
}

/* One run's arguments, decoded by hand: an argument may be the empty string. */
static int parse_run_args(const struct ynode *run, const char *item, char ***ret, struct xb_diag *d) {
        _cleanup_strv_free_ char **args = NULL;
        int r;

        if (run->type != YNODE_SEQ)
                return yd_error(d, run, "'%s' must be a list of arguments such as [\"--version\"], not %s", item,
                                ynode_type_name(run));
        if (!(args = calloc(run->n + 1, sizeof(char *))))
                return -ENOMEM;
        for (size_t j = 0; j < run->n; j++) {
                const struct ynode *a = run->items[j];
                if (a->type != YNODE_SCALAR || ynode_is_null(a))
                        return yd_error(d, a, "'%s[%zu]' must be a string, not %s", item, j, ynode_type_name(a));
                if ((r = schema_check_expand(a, item, d)) < 0)
                        return r;
                if (!(args[j] = strdup(a->value)))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(args);
        return 0;
}

/* A run is [ARGS...] or {args: [ARGS...], output: REGEX, env: {NAME: value}}: the regex (POSIX
 * extended) must match the run's output, so that a --version answered by qemu itself, not by
 * the program, does not pass. */
static int parse_run(const struct ynode *run, const char *item, struct recipe_expect *e, size_t i, struct xb_diag *d) {
        static const char *const keys[] = {"args", "output", "env", NULL};
        const struct ynode *v;
        char sub[160];
        int r;

        if (run->type != YNODE_MAP)
                return parse_run_args(run, item, &e->runs[i], d);
        if ((r = yd_mapping(run, item, keys, d)) < 0)
                return r;
        (void) snprintf(sub, sizeof sub, "%s.args", item);
        if ((r = yd_require(run, item, "args", &v, d)) < 0 || (r = parse_run_args(v, sub, &e->runs[i], d)) < 0)
                return r;
        if ((v = ynode_get(run, "output"))) {
                regex_t re;
                (void) snprintf(sub, sizeof sub, "%s.output", item);
                if ((r = yd_string(v, sub, &e->run_outputs[i], d)) < 0)
                        return r;
                int rc = regcomp(&re, e->run_outputs[i], REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
                if (rc != 0) {
                        char msg[128];
                        (void) regerror(rc, &re, msg, sizeof msg);
                        return yd_error(d, v, "'%s' is not a valid regular expression: %s", sub, msg);
                }
                regfree(&re);
        }
        if ((v = ynode_get(run, "env"))) {
                (void) snprintf(sub, sizeof sub, "%s.env", item);
                if ((r = schema_env(v, sub, &e->run_envs[i], d)) < 0)
                        return r;
        }
        return 0;
}

static int parse_runs(const struct ynode *n, const char *what, struct recipe_expect *e, struct xb_diag *d) {
        char item[128];
        int r;

        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'%s' must be a list of argument lists, not %s", what, ynode_type_name(n));
        if (!(e->runs = calloc(n->n + 1, sizeof *e->runs)) || !(e->run_outputs = calloc(n->n + 1, sizeof(char *))) ||
            !(e->run_envs = calloc(n->n + 1, sizeof(char **))))
                return -ENOMEM;
        e->n_runs = n->n;
        for (size_t i = 0; i < n->n; i++) {
                (void) snprintf(item, sizeof item, "%s[%zu]", what, i);
                if ((r = parse_run(n->items[i], item, e, i, d)) < 0)
                        return r;
        }
        return 0;
}

static int parse_expect(const struct ynode *n, const char *what, struct recipe_expect *e,
                        struct xb_diag *d) {
        static const char *const keys[] = {"static", "pie", "shared_library", "runs", "timeout", NULL};
        char sub[128];
        const struct ynode *v;
        bool b;
        int r;

        r = yd_mapping(n, what, keys, d);
        if (r < 0)
                return r;
        if ((v = ynode_get(n, "static"))) {
                (void) snprintf(sub, sizeof sub, "%s.static", what);
                r = yd_bool(v, sub, &b, d);
                if (r < 0)
                        return r;
                e->static_link = b;
        }
        if ((v = ynode_get(n, "pie"))) {
                (void) snprintf(sub, sizeof sub, "%s.pie", what);
                if ((r = yd_bool(v, sub, &b, d)) < 0)
                        return r;
                e->pie = b;
        }
        if ((v = ynode_get(n, "shared_library"))) {
                (void) snprintf(sub, sizeof sub, "%s.shared_library", what);
                if ((r = yd_bool(v, sub, &b, d)) < 0)
                        return r;
                e->shared_library = b;
        }
        if ((v = ynode_get(n, "runs"))) {
                (void) snprintf(sub, sizeof sub, "%s.runs", what);
                r = parse_runs(v, sub, e, d);
                if (r < 0)
                        return r;
        }
        if ((v = ynode_get(n, "timeout"))) {
                (void) snprintf(sub, sizeof sub, "%s.timeout", what);
                r = yd_uint(v, sub, 1, 86400, &e->timeout, d);
                if (r < 0)
                        return r;
        }
        /* A library is checked, not run. */
        if (e->shared_library == 1 && e->runs && e->runs[0])
                return yd_error(d, ynode_get(n, "runs"), "'%s.runs': a shared library is not run; drop runs or "
                                "shared_library", what);
        if (e->shared_library == 1 && e->static_link == 1)
                return yd_error(d, ynode_get(n, "static"), "'%s.static': a shared library is not static", what);
        return 0;
}

/* What a strategy or an arch may override: env (added over), build_deps and steps (replaced). */
static int parse_overrides(const struct ynode *n, const char *what, char ***env, char ***deps, char ***steps,
                           struct xb_diag *d) {
        const struct ynode *v;
        char sub[128];
        int r;

        if ((v = ynode_get(n, "env"))) {
                (void) snprintf(sub, sizeof sub, "%s.env", what);
                if ((r = schema_env(v, sub, env, d)) < 0)
                        return r;
        }
        if ((v = ynode_get(n, "build_deps"))) {
                (void) snprintf(sub, sizeof sub, "%s.build_deps", what);
                if ((r = schema_packages(v, sub, deps, d)) < 0)
                        return r;
        }
        if ((v = ynode_get(n, "steps"))) {
                (void) snprintf(sub, sizeof sub, "%s.steps", what);
                if ((r = yd_strv(v, sub, true, steps, d)) < 0)
                        return r;
        }
        return 0;
}

/* The artifact list under key (artifacts, per_arch.armhf.artifacts). */
static int parse_artifact_list(const struct ynode *n, const char *key, struct recipe_artifact **ret_arts, size_t *ret_n,
                               struct xb_diag *d) {
        static const char *const keys[] = {"path", "install_as", "tree", "expect", NULL};
        char what[96], sub[128];
        int r;

        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'%s' must be a list, not %s", key, ynode_type_name(n));
        if (n->n == 0)
                return yd_error(d, n, "'%s' must list at least one file", key);
        *ret_arts = calloc(n->n, sizeof **ret_arts);
        if (!*ret_arts)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *a = n->items[i], *v;
                struct recipe_artifact *art = &(*ret_arts)[(*ret_n)++];

                art->expect.static_link = -1;
                art->expect.pie = -1;
                art->expect.shared_library = -1;
                art->expect.timeout = RECIPE_DEFAULT_RUN_TIMEOUT;
                (void) snprintf(what, sizeof what, "%s[%zu]", key, i);
                r = yd_mapping(a, what, keys, d);
                if (r < 0)
                        return r;
                (void) snprintf(sub, sizeof sub, "%s.path", what);
                r = yd_require(a, what, "path", &v, d);
                if (r < 0)
                        return r;
                r = yd_string(v, sub, &art->path, d);
                if (r < 0)
                        return r;
                if (!path_is_safe_relative(art->path))
                        return yd_error(d, v,
                                            "'%s' must be a relative path inside the source tree (no leading '/', no '..')",
                                            sub);
                r = schema_check_expand(v, sub, d);
                if (r < 0)
                        return r;
                if ((v = ynode_get(a, "install_as"))) {
                        (void) snprintf(sub, sizeof sub, "%s.install_as", what);
                        r = yd_string(v, sub, &art->install_as, d);
                        if (r < 0)
                                return r;
                        if (!path_is_filename(art->install_as))
                                return yd_error(d, v, "'%s' must be a plain file name", sub);
                } else if (!(art->install_as = strdup(path_basename(art->path))))
                        return -ENOMEM;
                if (!path_is_filename(art->install_as))
                        return yd_error(d, a, "'%s' needs an install_as file name", what);
                for (size_t j = 0; j < i; j++)
                        if (streq((*ret_arts)[j].install_as, art->install_as))
                                return yd_error(d, a, "'%s' installs as '%s' like %s[%zu]", what, art->install_as, key, j);
                if ((v = ynode_get(a, "tree"))) {
                        (void) snprintf(sub, sizeof sub, "%s.tree", what);
                        if ((r = yd_bool(v, sub, &art->tree, d)) < 0)
                                return r;
                }
                if ((v = ynode_get(a, "expect"))) {
                        (void) snprintf(sub, sizeof sub, "%s.expect", what);
                        if (art->tree)
                                return yd_error(d, v, "'%s': a tree's files are checked for the arch, not against "
                                                "expectations; declare its programs as artifacts of their own", sub);
                        r = parse_expect(v, sub, &art->expect, d);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int parse_artifacts(const struct ynode *n, struct recipe *rc, struct xb_diag *d) {
        return parse_artifact_list(n, "artifacts", &rc->artifacts, &rc->n_artifacts, d);
}

/* per_arch: ARCH: {env, build_deps, steps, artifacts}, for what differs by arch (a static
 * link on arm64, a dynamic one on armhf). */
static int parse_per_arch(const struct ynode *n, struct recipe *rc, struct xb_diag *d) {
        static const char *const keys[] = {"env", "build_deps", "steps", "artifacts", NULL};
        int r;

        if ((r = yd_mapping(n, "per_arch", arch_names(), d)) < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                enum xb_arch a;
                char what[64], sub[96];
                const struct ynode *m = n->items[i], *v;
                if ((r = schema_arch(n->keys[i], "per_arch", &a, d)) < 0)
                        return r;
                if (!recipe_supports_arch(rc, a))
                        return yd_error(d, n->keys[i], "'per_arch.%s': the recipe's arches do not list %s", arch_to_string(a),
                                        arch_to_string(a));
                struct recipe_arch *ra = &rc->per_arch[a];
                ra->set = true;
                (void) snprintf(what, sizeof what, "per_arch.%s", arch_to_string(a));
                if ((r = yd_mapping(m, what, keys, d)) < 0)
                        return r;
                if ((r = parse_overrides(m, what, &ra->env, &ra->build_deps, &ra->steps, d)) < 0)
                        return r;
                if ((v = ynode_get(m, "artifacts"))) {
                        (void) snprintf(sub, sizeof sub, "%s.artifacts", what);
                        if ((r = parse_artifact_list(v, sub, &ra->artifacts, &ra->n_artifacts, d)) < 0)
                                return r;
                }
        }
        return 0;
}

static int parse_strategy(const struct ynode *n, const char *name, struct recipe_strategy *s,
                          struct xb_diag *d) {
        static const char *const keys[] = {"enabled", "env", "build_deps", "steps", "rootfs", NULL};
        char what[64], sub[96];
        const struct ynode *v;
        int r;

        (void) snprintf(what, sizeof what, "strategies.%s", name);
        s->set = true;
        s->enabled = true;
        r = yd_mapping(n, what, keys, d);
        if (r < 0)
                return r;
        if ((v = ynode_get(n, "enabled"))) {
                (void) snprintf(sub, sizeof sub, "%s.enabled", what);
                if ((r = yd_bool(v, sub, &s->enabled, d)) < 0)
                        return r;
        }
        if ((r = parse_overrides(n, what, &s->env, &s->build_deps, &s->steps, d)) < 0)
                return r;
        if ((v = ynode_get(n, "rootfs"))) {
                (void) snprintf(sub, sizeof sub, "%s.rootfs", what);
                if ((r = schema_name(v, sub, &s->rootfs, d)) < 0)
                        return r;
                s->rootfs_pos = (struct ypos){v->line, v->col};
        }
        return 0;
}

static int parse_strategies(const struct ynode *n, struct recipe *rc, struct xb_diag *d) {
        int r;

        r = yd_mapping(n, "strategies", strategy_names(), d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                enum xb_strategy s = strategy_from_string(n->keys[i]->value);
                r = parse_strategy(n->items[i], n->keys[i]->value, &rc->strategies[s], d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_prefer(const struct ynode *n, struct recipe *rc, struct xb_diag *d) {
        if (n->type != YNODE_SEQ)
                return yd_error(d, n, "'prefer' must be a list of strategies, not %s",
                                    ynode_type_name(n));
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *v = n->items[i];
                enum xb_strategy s;
                int r = schema_strategy(v, "prefer", &s, d);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < rc->n_prefer; j++)
                        if (rc->prefer[j] == s)
                                return yd_error(d, v, "strategy '%s' is listed twice",
                                                    strategy_to_string(s));
                rc->prefer[rc->n_prefer++] = s;
        }
        return 0;
}

static int parse_patches(const struct ynode *n, struct recipe *rc, struct xb_diag *d) {
        int r = yd_strv(n, "patches", false, &rc->patches, d);
        if (r < 0)
                return r;
        for (size_t i = 0; rc->patches[i]; i++)
                if (!path_is_filename(rc->patches[i]))
                        return yd_error(d, n->items[i],
                                            "'patches[%zu]' must be a file name under recipes/patches/%s/",
                                            i, rc->name);
        return 0;
}

static int recipe_from_tree(const struct ynode *root, const char *dir, struct recipe *rc,
                            struct xb_diag *d) {
        static const char *const keys[] = {"name",  "summary",    "arches",    "source",
                                           "toolchain", "rootfs",  "kconfig",   "build_deps",
                                           "env",   "steps",      "patches",   "artifacts",
                                           "strategies", "prefer", "timeout",   "network", "memory", "test", "version",
                                           "per_arch", "host_deps", "sources", "variants", "accelerate", NULL};
        const struct ynode *v;
        int r;

        r = yd_mapping(root, "recipe", keys, d);
        if (r < 0)
                return r;

        if ((r = yd_require(root, "recipe", "name", &v, d)) < 0 ||
            (r = schema_name(v, "name", &rc->name, d)) < 0)
                return r;
        rc->name_pos = (struct ypos){v->line, v->col};
        if ((r = schema_require_string(root, "recipe", "summary", &rc->summary, d)) < 0)
                return r;
        if ((v = ynode_get(root, "version"))) {
                if ((r = yd_string(v, "version", &rc->version, d)) < 0)
                        return r;
                if (rc->version[0] == '-' || strpbrk(rc->version, " \t\n/$'\"\\`"))
                        return yd_error(d, v, "'version' is a plain version string such as 1.1.15, not '%s'", rc->version);
        }
        if ((r = yd_require(root, "recipe", "arches", &v, d)) < 0 ||
            (r = parse_arches(v, rc, d)) < 0)
                return r;
        if ((r = yd_require(root, "recipe", "source", &v, d)) < 0 ||
            (r = parse_source(v, dir, &rc->source, false, d)) < 0)
                return r;
        if ((v = ynode_get(root, "sources")) && (r = parse_extra_sources(v, dir, rc, d)) < 0)
                return r;
        if ((v = ynode_get(root, "toolchain"))) {
                if ((r = schema_name(v, "toolchain", &rc->toolchain, d)) < 0)
                        return r;
                rc->toolchain_pos = (struct ypos){v->line, v->col};
        }
        if ((v = ynode_get(root, "rootfs"))) {
                if ((r = schema_name(v, "rootfs", &rc->rootfs, d)) < 0)
                        return r;
                rc->rootfs_pos = (struct ypos){v->line, v->col};
        } else if (!(rc->rootfs = strdup(RECIPE_DEFAULT_ROOTFS)))
                return -ENOMEM;
        if ((v = ynode_get(root, "kconfig"))) {
                if ((r = schema_name(v, "kconfig", &rc->kconfig, d)) < 0)
                        return r;
                rc->kconfig_pos = (struct ypos){v->line, v->col};
        }
        if ((v = ynode_get(root, "build_deps"))) {
                if ((r = schema_packages(v, "build_deps", &rc->build_deps, d)) < 0)
                        return r;
        } else if (!(rc->build_deps = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(root, "host_deps"))) {
                if ((r = schema_packages(v, "host_deps", &rc->host_deps, d)) < 0)
                        return r;
        } else if (!(rc->host_deps = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(root, "env"))) {
                if ((r = schema_env(v, "env", &rc->env, d)) < 0)
                        return r;
        } else if (!(rc->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((r = yd_require(root, "recipe", "steps", &v, d)) < 0 ||
            (r = yd_strv(v, "steps", true, &rc->steps, d)) < 0)
                return r;
        if ((v = ynode_get(root, "patches"))) {
                if ((r = parse_patches(v, rc, d)) < 0)
                        return r;
        } else if (!(rc->patches = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((r = yd_require(root, "recipe", "artifacts", &v, d)) < 0 ||
            (r = parse_artifacts(v, rc, d)) < 0)
                return r;
        if ((v = ynode_get(root, "strategies")) && (r = parse_strategies(v, rc, d)) < 0)
                return r;
        if ((v = ynode_get(root, "per_arch")) && (r = parse_per_arch(v, rc, d)) < 0)
                return r;
        if ((v = ynode_get(root, "prefer")) && (r = parse_prefer(v, rc, d)) < 0)
                return r;
        rc->timeout = RECIPE_DEFAULT_TIMEOUT;
        if ((v = ynode_get(root, "timeout")) &&
            (r = yd_uint(v, "timeout", 1, 7 * 86400, &rc->timeout, d)) < 0)
                return r;
        if ((v = ynode_get(root, "network")) && (r = yd_bool(v, "network", &rc->network, d)) < 0)
                return r;
        if ((v = ynode_get(root, "accelerate"))) {
                bool on;
                if ((r = yd_bool(v, "accelerate", &on, d)) < 0)
                        return r;
                rc->no_accelerate = !on;
        }
        if ((v = ynode_get(root, "memory"))) {
                _cleanup_free_ char *m = NULL;
                if ((r = yd_string(v, "memory", &m, d)) < 0)
                        return r;
                if (parse_size_mib(m, 16, 1ULL << 22, &rc->memory_mib) < 0)
                        return yd_error(d, v, "'memory' must be a size like 3G or 2048M");
        }
        if ((v = ynode_get(root, "test")) && (r = recipe_test_parse(v, &rc->test, d)) < 0)
                return r;
        return 0;
}

/* What a variant may replace: how the engine is obtained and built, not what it is. */
static const char *const variant_keys[] = {"version",    "source",   "sources",  "toolchain", "rootfs",
                                           "build_deps", "host_deps", "env",     "steps",     "patches",
                                           "artifacts",  "strategies", "per_arch", "prefer",  "timeout",
                                           "network",    "memory",   "test",     "kconfig",   "accelerate", NULL};

/* The recipe's mapping with the variant's keys in place of its own (a shallow copy: the
 * nodes stay the document's, so every error still points into the file). */
static int merge_variant(const struct ynode *root, const struct ynode *var, struct ynode *ret) {
        *ret = (struct ynode){.type = YNODE_MAP, .line = root->line, .col = root->col};
        size_t cap = root->n + var->n;
        if (!(ret->keys = calloc(cap + 1, sizeof *ret->keys)) || !(ret->items = calloc(cap + 1, sizeof *ret->items)))
                return -ENOMEM;
        for (size_t i = 0; i < root->n; i++) {
                const char *k = root->keys[i]->value;
                if (streq(k, "variants"))
                        continue;
                const struct ynode *over = ynode_get_key(var, k);
                ret->keys[ret->n] = (struct ynode *) (over ? over : root->keys[i]);
                ret->items[ret->n++] = (struct ynode *) (over ? ynode_get(var, k) : root->items[i]);
        }
        for (size_t i = 0; i < var->n; i++)
                if (!ynode_get(root, var->keys[i]->value)) {
                        ret->keys[ret->n] = var->keys[i];
                        ret->items[ret->n++] = var->items[i];
                }
        return 0;
}

static void merged_clear(struct ynode *m) {
        free(m->keys);
        free(m->items);
}

static int recipe_decode_one(const struct ynode *root, const char *dir, const char *filename, struct recipe **ret,
                             struct xb_diag *d) {
        _cleanup_(recipe_freep) struct recipe *rc = calloc(1, sizeof *rc);
        int r;

        if (!rc || !(rc->path = strdup(filename)) || !(rc->dir = strdup(dir)))
                return -ENOMEM;
        r = recipe_from_tree(root, rc->dir, rc, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rc);
        return 0;
}

static int recipe_decode_variant(const struct ynode *root, const char *filename, const char *variant,
                                 struct recipe **ret, struct xb_diag *d) {
        _cleanup_(recipe_freep) struct recipe *rc = NULL, *chosen = NULL;
        _cleanup_free_ char *dir = NULL, *cwd = NULL, *absdir = NULL;
        const struct ynode *vars = root->type == YNODE_MAP ? ynode_get(root, "variants") : NULL;
        int r;

        if (!(dir = path_dirname(filename)))
                return -ENOMEM;
        /* Local sources are relative to the recipe's directory, whatever our cwd is later. */
        if (dir[0] != '/') {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return -errno;
                absdir = streq(dir, ".") ? TAKE_PTR(cwd) : path_join(cwd, dir);
        } else
                absdir = TAKE_PTR(dir);
        if (!absdir)
                return -ENOMEM;
        r = recipe_decode_one(root, absdir, filename, &rc, d);
        if (r < 0)
                return r;
        if (!(rc->variants = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if (vars) {
                if (vars->type != YNODE_MAP)
                        return yd_error(d, vars, "'variants' must be a mapping of names to recipe keys");
                for (size_t i = 0; i < vars->n; i++) {
                        const struct ynode *k = vars->keys[i], *v = vars->items[i];
                        _cleanup_(recipe_freep) struct recipe *vr = NULL;
                        _cleanup_free_ char *name = NULL;
                        struct ynode merged = {0};
                        char what[96];
                        if ((r = schema_name(k, "variants", &name, d)) < 0)
                                return r;
                        (void) snprintf(what, sizeof what, "variants.%s", name);
                        if (v->type != YNODE_MAP)
                                return yd_error(d, v, "'%s' must be a mapping of recipe keys", what);
                        if ((r = yd_mapping(v, what, variant_keys, d)) < 0)
                                return r;
                        r = merge_variant(root, v, &merged);
                        if (r >= 0)
                                r = recipe_decode_one(&merged, absdir, filename, &vr, d);
                        merged_clear(&merged);
                        if (r < 0)
                                return r;
                        if (strv_extend(&rc->variants, name) < 0)
                                return -ENOMEM;
                        if (variant && streq(variant, name)) {
                                chosen = TAKE_PTR(vr);
                                if (!(chosen->variant = strdup(name)))
                                        return -ENOMEM;
                        }
                }
        }
        if (variant && !chosen) {
                _cleanup_free_ char *names = strv_join(rc->variants, ", ");
                diag_set(d, rc->name_pos.line, rc->name_pos.col,
                         "recipe '%s' has no variant '%s' (%s%s)", rc->name, variant,
                         rc->variants[0] ? "it has: " : "it has no variants:", rc->variants[0] ? strempty(names) : "");
                return -XB_E_NOT_FOUND;
        }
        if (chosen) {
                chosen->variants = TAKE_PTR(rc->variants);
                *ret = TAKE_PTR(chosen);
        } else
                *ret = TAKE_PTR(rc);
        return 0;
}

static int recipe_decode(const struct ynode *root, const char *filename, void **ret, struct xb_diag *d) {
        return recipe_decode_variant(root, filename, NULL, (struct recipe **) ret, d);
}

int recipe_parse(const char *data, size_t size, const char *filename, struct recipe **ret,
                 struct xb_diag *reterr) {
        return schema_parse(data, size, filename, recipe_decode, (void **) ret, reterr);
}

int recipe_load(const char *path, struct recipe **ret, struct xb_diag *reterr) {
        return schema_load(path, recipe_decode, (void **) ret, reterr);
}

int recipe_parse_variant(const char *data, size_t size, const char *filename, const char *variant,
                         struct recipe **ret, struct xb_diag *reterr) {
        _cleanup_(ynode_freep) struct ynode *root = NULL;
        struct xb_diag d = {0};
        int r;

        if (!variant)
                return recipe_parse(data, size, filename, ret, reterr);
        diag_set_file(&d, filename);
        r = ydoc_parse(data, size, &root, &d);
        if (r >= 0)
                r = recipe_decode_variant(root, filename ? filename : "<input>", variant, ret, &d);
        if (r < 0 && r != -ENOMEM && reterr)
                *reterr = d;
        return r;
}

int recipe_load_variant(const char *path, const char *variant, struct recipe **ret, struct xb_diag *reterr) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r = schema_read_file(path, &data, &size, reterr);
        if (r < 0)
                return r;
        return recipe_parse_variant(data, size, path, variant, ret, reterr);
}
