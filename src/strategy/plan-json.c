/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/json-util.h"
#include "core/strv.h"
#include "plan-json.h"

static json_object *strv_json(char *const *l) {
        json_object *a = json_object_new_array();
        STRV_FOREACH(s, l)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

static json_object *env_json(char *const *l) {
        json_object *o = json_object_new_object();
        STRV_FOREACH(s, l) {
                const char *eq = strchr(*s, '=');
                if (!eq)
                        continue;
                char *k = strndup(*s, (size_t) (eq - *s));
                if (k)
                        json_object_object_add(o, k, json_object_new_string(eq + 1));
                free(k);
        }
        return o;
}


static json_object *source_json(const struct recipe_source *s) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "kind", json_object_new_string(source_kind_to_string(s->kind)));
        switch (s->kind) {
        case SOURCE_GIT:
                json_object_object_add(o, "url", json_object_new_string(s->url));
                json_object_object_add(o, "ref", json_object_new_string(s->ref));
                json_object_object_add(o, "commit", json_object_new_string(s->commit));
                json_object_object_add(o, "submodules", json_object_new_boolean(s->submodules));
                break;
        case SOURCE_TARBALL:
                json_object_object_add(o, "url", json_object_new_string(s->url));
                json_object_object_add(o, "sha256", json_object_new_string(s->sha256));
                json_object_object_add(o, "strip_components",
                                       json_object_new_int((int) s->strip_components));
                break;
        case SOURCE_DEBIAN:
                json_object_object_add(o, "package", json_object_new_string(s->package));
                json_object_object_add(o, "version", json_object_new_string(s->deb_version));
                json_object_object_add(o, "suite", json_object_new_string(s->suite ?: "bookworm"));
                json_object_object_add(o, "component", json_object_new_string(s->component ?: "main"));
                break;
        default:
                json_object_object_add(o, "path", json_object_new_string(s->path));
        }
        return o;
}

static json_object *expect_json(const struct recipe_expect *e) {
        json_object *o = json_object_new_object(), *runs = json_object_new_array();
        json_object_object_add(o, "static",
                               e->static_link < 0 ? NULL : json_object_new_boolean(e->static_link));
        json_object_object_add(o, "pie", e->pie < 0 ? NULL : json_object_new_boolean(e->pie));
        json_object_object_add(o, "shared_library", e->shared_library < 0 ? NULL : json_object_new_boolean(e->shared_library));
        for (size_t i = 0; i < e->n_runs; i++) {
                json_object *run = json_object_new_object();
                json_object_object_add(run, "args", strv_json(e->runs[i]));
                json_object_object_add(run, "output", e->run_outputs[i] ? json_object_new_string(e->run_outputs[i]) : NULL);
                json_object_object_add(run, "env", e->run_envs[i] ? strv_json(e->run_envs[i]) : NULL);
                json_object_array_add(runs, run);
        }
        json_object_object_add(o, "runs", runs);
        json_object_object_add(o, "timeout", json_object_new_int((int) e->timeout));
        return o;
}

static json_object *recipe_test_json(const struct recipe_test *t) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "deps", strv_json(t->deps));
        json_object_object_add(o, "modules", strv_json(t->modules));
        json_object_object_add(o, "cgroup", json_object_new_string(recipe_cgroup_to_string(t->cgroup)));
        json_object_object_add(o, "memory_mib", t->memory_mib ? json_object_new_int64((int64_t) t->memory_mib) : NULL);
        if (t->daemon) {
                json_object *d = json_object_new_object();
                json_object_object_add(d, "run", json_object_new_string(t->daemon));
                json_object_object_add(d, "ready", json_object_new_string(t->ready));
                json_object_object_add(d, "timeout", json_object_new_int((int) t->ready_timeout));
                json_object_object_add(o, "daemon", d);
        } else
                json_object_object_add(o, "daemon", NULL);
        json_object_object_add(o, "image", json_str_or_null(t->image));
        json_object_object_add(o, "run", json_object_new_string(t->run));
        json_object_object_add(o, "expect", json_object_new_string(t->expect));
        json_object_object_add(o, "timeout", json_object_new_int((int) t->timeout));
        return o;
}

static json_object *artifacts_json(const struct recipe_artifact *list, size_t n, json_object *arts) {
        for (size_t i = 0; arts && i < n; i++) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, "path", json_object_new_string(list[i].path));
                json_object_object_add(a, "install_as", json_object_new_string(list[i].install_as));
                json_object_object_add(a, "expect", expect_json(&list[i].expect));
                json_object_array_add(arts, a);
        }
        return arts;
}

json_object *recipe_to_json(const struct recipe *rc) {
        json_object *o = json_object_new_object(), *arches = json_object_new_array();
        json_object *arts = json_object_new_array(), *strats = json_object_new_object();
        json_object *prefer = json_object_new_array();

        if (!o || !arches || !arts || !strats || !prefer) {
                json_object_put(o), json_object_put(arches), json_object_put(arts);
                json_object_put(strats), json_object_put(prefer);
                return NULL;
        }
        json_object_object_add(o, "name", json_object_new_string(rc->name));
        json_object_object_add(o, "summary", json_object_new_string(rc->summary));
        json_object_object_add(o, "file", json_object_new_string(rc->path));
        json_object_object_add(o, "variant", rc->variant ? json_object_new_string(rc->variant) : NULL);
        json_object *variants = json_object_new_array();
        for (char **v = rc->variants; variants && v && *v; v++)
                json_object_array_add(variants, json_object_new_string(*v));
        json_object_object_add(o, "variants", variants);
        for (size_t i = 0; i < rc->n_arches; i++)
                json_object_array_add(arches, json_object_new_string(arch_to_string(rc->arches[i])));
        json_object_object_add(o, "arches", arches);
        json_object_object_add(o, "source", source_json(&rc->source));
        json_object *extra = json_object_new_array();
        for (size_t i = 0; extra && i < rc->n_extra_sources; i++) {
                json_object *es = source_json(&rc->extra_sources[i].source);
                if (es)
                        json_object_object_add(es, "dest", json_object_new_string(rc->extra_sources[i].dest));
                json_object_array_add(extra, es);
        }
        json_object_object_add(o, "sources", extra);
        json_object_object_add(o, "toolchain", json_str_or_null(rc->toolchain));
        json_object_object_add(o, "rootfs", json_object_new_string(rc->rootfs));
        json_object_object_add(o, "kconfig", json_str_or_null(rc->kconfig));
        json_object_object_add(o, "build_deps", strv_json(rc->build_deps));
        json_object_object_add(o, "host_deps", strv_json(rc->host_deps));
        json_object_object_add(o, "env", env_json(rc->env));
        json_object_object_add(o, "steps", strv_json(rc->steps));
        json_object_object_add(o, "patches", strv_json(rc->patches));
        json_object_object_add(o, "artifacts", artifacts_json(rc->artifacts, rc->n_artifacts, arts));
        json_object *per_arch = json_object_new_object();
        for (int a = 0; a < _XB_ARCH_MAX; a++) {
                const struct recipe_arch *ra = &rc->per_arch[a];
                if (!ra->set)
                        continue;
                json_object *ao = json_object_new_object();
                json_object_object_add(ao, "env", ra->env ? env_json(ra->env) : NULL);
                json_object_object_add(ao, "build_deps", ra->build_deps ? strv_json(ra->build_deps) : NULL);
                json_object_object_add(ao, "steps", ra->steps ? strv_json(ra->steps) : NULL);
                json_object_object_add(ao, "artifacts",
                                       ra->n_artifacts ? artifacts_json(ra->artifacts, ra->n_artifacts, json_object_new_array())
                                                       : NULL);
                json_object_object_add(per_arch, arch_to_string((enum xb_arch) a), ao);
        }
        json_object_object_add(o, "per_arch", per_arch);
        for (int s = 0; s < _XB_STRATEGY_MAX; s++) {
                const struct recipe_strategy *st = &rc->strategies[s];
                json_object *so = json_object_new_object();
                json_object_object_add(so, "enabled", json_object_new_boolean(!st->set || st->enabled));
                json_object_object_add(so, "env", env_json(st->env));
                json_object_object_add(so, "build_deps", st->build_deps ? strv_json(st->build_deps) : NULL);
                json_object_object_add(so, "steps", st->steps ? strv_json(st->steps) : NULL);
                json_object_object_add(so, "rootfs", json_str_or_null(st->rootfs));
                json_object_object_add(strats, strategy_to_string((enum xb_strategy) s), so);
        }
        json_object_object_add(o, "strategies", strats);
        for (size_t i = 0; i < rc->n_prefer; i++)
                json_object_array_add(prefer, json_object_new_string(strategy_to_string(rc->prefer[i])));
        json_object_object_add(o, "prefer", prefer);
        json_object_object_add(o, "timeout", json_object_new_int((int) rc->timeout));
        json_object_object_add(o, "test", rc->test ? recipe_test_json(rc->test) : NULL);
        return o;
}

json_object *plan_to_json(const struct plan *p) {
        json_object *o = json_object_new_object(), *probes = json_object_new_object();
        json_object *order = json_object_new_array(), *arts = json_object_new_array();

        if (!o || !probes || !order || !arts) {
                json_object_put(o), json_object_put(probes), json_object_put(order), json_object_put(arts);
                return NULL;
        }
        json_object_object_add(o, "recipe", json_object_new_string(p->recipe->name));
        json_object_object_add(o, "variant", p->recipe->variant ? json_object_new_string(p->recipe->variant) : NULL);
        json_object_object_add(o, "file", json_object_new_string(p->recipe->path));
        json_object_object_add(o, "arch", json_object_new_string(arch_to_string(p->arch)));
        json_object_object_add(o, "triplet", json_object_new_string(arch_info(p->arch)->triplet));
        for (size_t i = 0; i < p->n_order; i++)
                json_object_array_add(order, json_object_new_string(strategy_to_string(p->order[i])));
        json_object_object_add(o, "order", order);
        for (int s = 0; s < _XB_STRATEGY_MAX; s++) {
                const struct strategy_probe *pr = &p->probes[s];
                json_object *po = json_object_new_object();
                json_object_object_add(po, "implemented", json_object_new_boolean(pr->implemented));
                json_object_object_add(po, "host_ready", json_object_new_boolean(pr->host_ready));
                json_object_object_add(po, "recipe_allows", json_object_new_boolean(pr->recipe_allows));
                json_object_object_add(po, "detail", json_object_new_string(pr->detail));
                json_object_object_add(probes, strategy_to_string((enum xb_strategy) s), po);
        }
        json_object_object_add(o, "probes", probes);
        json_object_object_add(o, "chosen", json_str_or_null(strategy_to_string(p->chosen)));
        json_object_object_add(o, "forced", json_object_new_boolean(p->forced));
        json_object_object_add(o, "shown", json_object_new_string(strategy_to_string(p->shown)));
        json_object_object_add(o, "reason", json_object_new_string(p->reason));
        json_object_object_add(o, "toolchain", json_str_or_null(p->toolchain));
        json_object_object_add(o, "rootfs", json_object_new_string(p->rootfs));
        json_object_object_add(o, "build_deps", strv_json(p->build_deps));
        if (p->accel)
                json_object_object_add(o, "accelerate", json_object_new_string(p->accel));
        json_object_object_add(o, "env", env_json(p->env));
        json_object_object_add(o, "steps", strv_json(p->steps));
        for (size_t i = 0; i < p->n_artifacts; i++) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, "path", json_object_new_string(p->artifacts[i].path));
                json_object_object_add(a, "dest", json_object_new_string(p->artifacts[i].dest));
                json_object_object_add(a, "expect", expect_json(&p->artifacts[i].def->expect));
                json_object_array_add(arts, a);
        }
        json_object_object_add(o, "artifacts", arts);
        return o;
}
