/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "build-report.h"
#include "core/path.h"
#include "fetch/cache.h"

#ifndef XB_VERSION
#define XB_VERSION "unknown"
#endif

int build_report_write(const struct build_ctx *ctx, const struct build_report *rep, char **ret_path) {
        const struct recipe *rc = ctx->recipe;
        const struct plan *p = ctx->plan;
        json_object *o = json_object_new_object(), *phases = json_object_new_object(), *arts = json_object_new_array();
        json_object *src = json_object_new_object();
        _cleanup_free_ char *path = path_join(ctx->out_dir, "report.json");
        char when[32];
        time_t now = time(NULL);
        int r;

        if (!o || !phases || !arts || !src || !path) {
                json_object_put(o), json_object_put(phases), json_object_put(arts), json_object_put(src);
                return -ENOMEM;
        }
        (void) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        json_object_object_add(o, "xbuild", json_object_new_string(XB_VERSION));
        json_object_object_add(o, "recipe", json_object_new_string(rc->name));
        json_object_object_add(o, "recipe_file", json_object_new_string(rc->path));
        json_object_object_add(o, "arch", json_object_new_string(arch_to_string(p->arch)));
        json_object_object_add(o, "strategy", json_object_new_string(strategy_to_string(p->chosen)));
        json_object_object_add(o, "strategy_reason", json_object_new_string(p->reason));
        json_object_object_add(o, "built_at", json_object_new_string(when));
        json_object_object_add(src, "kind", json_object_new_string(ctx->source_override ? "override" : source_kind_to_string(rc->source.kind)));
        if (ctx->source_override)
                json_object_object_add(src, "path", json_object_new_string(ctx->source_override));
        else if (rc->source.kind == SOURCE_LOCAL)
                json_object_object_add(src, "path", json_object_new_string(rc->source.path));
        else
                json_object_object_add(src, "url", json_object_new_string(rc->source.url));
        if (rep->source_commit)
                json_object_object_add(src, "commit", json_object_new_string(rep->source_commit));
        if (rc->source.kind == SOURCE_TARBALL)
                json_object_object_add(src, "sha256", json_object_new_string(rc->source.sha256));
        if (rep->source_epoch >= 0)
                json_object_object_add(src, "source_date_epoch", json_object_new_int64(rep->source_epoch));
        json_object_object_add(o, "source", src);
        json_object_object_add(o, "toolchain", p->toolchain ? json_object_new_string(p->toolchain) : NULL);
        json_object_object_add(o, "toolchain_version", rep->toolchain_version ? json_object_new_string(rep->toolchain_version) : NULL);
        json_object_object_add(o, "rootfs", json_object_new_string(p->rootfs));
        if (rep->build_host) {
                struct json_object *bh = json_object_new_object();
                for (char *const *e = rep->build_host; bh && *e; e++) {
                        const char *eq = strchr(*e, '=');
                        _cleanup_free_ char *k = eq ? strndup(*e, (size_t) (eq - *e)) : NULL;
                        if (k)
                                json_object_object_add(bh, k, json_object_new_string(eq + 1));
                }
                json_object_object_add(o, "build_host", bh);
        }
        for (size_t i = 0; i < rep->n_phases; i++)
                json_object_object_add(phases, rep->phases[i].name, json_object_new_double(rep->phases[i].seconds));
        json_object_object_add(o, "phases_seconds", phases);
        for (size_t i = 0; i < rep->n_artifacts; i++)
                json_object_array_add(arts, verify_result_json(&rep->artifacts[i]));
        json_object_object_add(o, "artifacts", arts);
        json_object_object_add(o, "verified", json_object_new_boolean(rep->ok));

        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *withnl = NULL;
        r = asprintf(&withnl, "%s\n", text) < 0 ? -ENOMEM : write_file_atomic(path, withnl, strlen(withnl), 0644);
        json_object_put(o);
        if (r >= 0 && ret_path)
                *ret_path = TAKE_PTR(path);
        return r;
}
