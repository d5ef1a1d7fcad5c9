/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>

#include "core/json-util.h"
#include <string.h>
#include <time.h>

#include "build-report.h"
#include "core/atomic-file.h"
#include "fetch/cache.h"
#include "core/path.h"

#ifndef XB_VERSION
#define XB_VERSION "unknown"
#endif


static json_object *report_json(const struct build_report *rep) {
        json_object *o = json_object_new_object(), *src = json_object_new_object(), *phases = json_object_new_object();
        json_object *arts = json_object_new_array();
        char when[32];
        time_t now = time(NULL);

        if (!o || !src || !phases || !arts) {
                json_object_put(o), json_object_put(src), json_object_put(phases), json_object_put(arts);
                return NULL;
        }
        (void) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        json_object_object_add(o, "xbuild", json_object_new_string(XB_VERSION));
        json_object_object_add(o, "recipe", json_str_or_null(rep->recipe));
        json_object_object_add(o, "recipe_file", json_str_or_null(rep->recipe_file));
        json_object_object_add(o, "variant", json_str_or_null(rep->variant));
        json_object_object_add(o, "arch", json_str_or_null(rep->arch));
        json_object_object_add(o, "strategy", json_str_or_null(rep->strategy));
        json_object_object_add(o, "strategy_reason", json_str_or_null(rep->strategy_reason));
        json_object_object_add(o, "built_at", json_object_new_string(when));
        json_object_object_add(o, "status", json_str_or_null(rep->status));
        json_object_object_add(o, "exit_code", json_object_new_int(rep->exit_code));
        if (rep->error) {
                json_object *f = json_object_new_object();
                json_object_object_add(f, "message", json_object_new_string(rep->error));
                json_object_object_add(f, "phase", json_str_or_null(rep->failed_phase));
                if (rep->failed_step) {
                        json_object_object_add(f, "step", json_object_new_int64((int64_t) rep->failed_step));
                        json_object_object_add(f, "command", json_str_or_null(rep->failed_step_command));
                }
                json_object_object_add(f, "log", json_str_or_null(rep->failed_log));
                json_object_object_add(f, "last_lines", json_str_or_null(rep->failed_tail));
                json_object_object_add(o, "failure", f);
        } else
                json_object_object_add(o, "failure", NULL);
        if (rep->teardown_error)
                json_object_object_add(o, "teardown_error", json_object_new_string(rep->teardown_error));
        json_object_object_add(src, "kind", json_str_or_null(rep->source_kind));
        if (rep->source_where)
                json_object_object_add(src, rep->source_is_path ? "path" : "url", json_object_new_string(rep->source_where));
        if (rep->source_commit)
                json_object_object_add(src, "commit", json_object_new_string(rep->source_commit));
        if (rep->source_sha256)
                json_object_object_add(src, "sha256", json_object_new_string(rep->source_sha256));
        if (rep->source_package)
                json_object_object_add(src, "package", json_object_new_string(rep->source_package));
        if (rep->source_version)
                json_object_object_add(src, "version", json_object_new_string(rep->source_version));
        if (rep->source_epoch >= 0)
                json_object_object_add(src, "source_date_epoch", json_object_new_int64(rep->source_epoch));
        json_object_object_add(o, "source", src);
        json_object_object_add(o, "toolchain", json_str_or_null(rep->toolchain));
        json_object_object_add(o, "toolchain_version", json_str_or_null(rep->toolchain_version));
        json_object_object_add(o, "rootfs", json_str_or_null(rep->rootfs));
        if (rep->build_host) {
                json_object *bh = json_object_new_object();
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
        json_object_object_add(o, "total_seconds", json_object_new_double(rep->total_seconds));
        json_object_object_add(o, "work_bytes", json_object_new_int64((int64_t) rep->work_bytes));
        json_object_object_add(o, "artifact_bytes", json_object_new_int64((int64_t) rep->artifact_bytes));
        for (size_t i = 0; i < rep->n_artifacts; i++)
                json_object_array_add(arts, verify_result_json(&rep->artifacts[i]));
        json_object_object_add(o, "artifacts", arts);
        json_object_object_add(o, "verified", json_object_new_boolean(rep->verified));
        json_object_object_add(o, "test", rep->test ? test_result_json(rep->test) : NULL);
        return o;
}

int build_report_format(const struct build_report *rep, bool pretty, char **ret) {
        json_object *o = report_json(rep);
        char *text = NULL;

        if (!o)
                return -ENOMEM;
        const char *s = json_object_to_json_string_ext(
                o, (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) | JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = s && asprintf(&text, "%s\n", s) >= 0 ? 0 : -ENOMEM;
        json_object_put(o);
        if (r >= 0)
                *ret = text;
        return r;
}

int build_report_write(const struct build_report *rep, const char *dir, char **ret_path) {
        _cleanup_free_ char *path = path_join(dir, "report.json"), *text = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        if ((r = build_report_format(rep, true, &text)) < 0)
                return r;
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r >= 0 && ret_path)
                *ret_path = TAKE_PTR(path);
        return r;
}
