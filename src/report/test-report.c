/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/atomic-file.h"
#include "core/json-util.h"
#include "core/macro.h"
#include "core/path.h"
#include "test-report.h"

static const char *const check_status_names[_TEST_CHECK_STATUS_MAX] = {"ok", "failed", "skipped"};
static const char *const check_names[_TEST_CHECK_MAX] = {"boot", "kconfig", "setup", "daemon", "image", "run", "output"};

const char *test_check_status_to_string(enum test_check_status s) {
        return s >= 0 && s < _TEST_CHECK_STATUS_MAX ? check_status_names[s] : NULL;
}

const char *test_check_id_to_string(enum test_check_id c) {
        return c >= 0 && c < _TEST_CHECK_MAX ? check_names[c] : NULL;
}

void test_result_clear(struct test_result *t) {
        free(t->error);
        for (size_t i = 0; i < _TEST_CHECK_MAX; i++)
                free(t->checks[i].detail);
        free(t->machine);
        free(t->kernel_release);
        free(t->kernel_package);
        free(t->cgroup_mounted);
        json_object_put(t->kconfig);
        free(t->kconfig_verdict);
        free(t->expected);
        free(t->console_log);
        free(t->daemon_log);
        free(t->run_log);
        free(t->failed_tail);
        *t = (struct test_result){0};
}


static json_object *seconds_or_null(double s) {
        return s >= 0 ? json_object_new_double(s) : NULL;
}

json_object *test_result_json(const struct test_result *t) {
        json_object *o = json_object_new_object(), *checks = json_object_new_array(), *timings = json_object_new_object(),
                    *logs = json_object_new_object(), *guest = json_object_new_object();

        if (!o || !checks || !timings || !logs || !guest) {
                json_object_put(o), json_object_put(checks), json_object_put(timings), json_object_put(logs),
                        json_object_put(guest);
                return NULL;
        }
        json_object_object_add(o, "status", json_str_or_null(t->status));
        json_object_object_add(o, "exit_code", json_object_new_int(t->exit_code));
        json_object_object_add(o, "error", json_str_or_null(t->error));
        for (size_t i = 0; i < _TEST_CHECK_MAX; i++) {
                const struct test_check *c = &t->checks[i];
                json_object *j = json_object_new_object();
                if (!j)
                        continue;
                json_object_object_add(j, "name", json_object_new_string(check_names[i]));
                json_object_object_add(j, "status",
                                       json_object_new_string(c->ran ? check_status_names[c->status] : "skipped"));
                json_object_object_add(j, "seconds", c->ran ? seconds_or_null(c->seconds) : NULL);
                json_object_object_add(j, "detail", json_str_or_null(c->detail));
                json_object_array_add(checks, j);
        }
        json_object_object_add(o, "checks", checks);
        /* The figures people compare between runs, by name. */
        json_object_object_add(timings, "boot", t->checks[TEST_CHECK_BOOT].ran ? seconds_or_null(t->checks[TEST_CHECK_BOOT].seconds) : NULL);
        json_object_object_add(timings, "daemon_ready",
                               t->checks[TEST_CHECK_DAEMON].ran ? seconds_or_null(t->checks[TEST_CHECK_DAEMON].seconds) : NULL);
        json_object_object_add(timings, "image", t->checks[TEST_CHECK_IMAGE].ran ? seconds_or_null(t->checks[TEST_CHECK_IMAGE].seconds) : NULL);
        json_object_object_add(timings, "container_run",
                               t->checks[TEST_CHECK_RUN].ran ? seconds_or_null(t->checks[TEST_CHECK_RUN].seconds) : NULL);
        json_object_object_add(timings, "vm_start_to_container_exit", seconds_or_null(t->vm_to_exit_s));
        json_object_object_add(o, "seconds", timings);
        json_object_object_add(guest, "machine", json_str_or_null(t->machine));
        json_object_object_add(guest, "kernel_release", json_str_or_null(t->kernel_release));
        json_object_object_add(guest, "kernel_package", json_str_or_null(t->kernel_package));
        json_object_object_add(guest, "cgroup", json_str_or_null(t->cgroup));
        json_object_object_add(guest, "cgroup_mounted", json_str_or_null(t->cgroup_mounted));
        json_object_object_add(guest, "clock_skew_seconds", t->clock_known ? json_object_new_int64(t->clock_skew_s) : NULL);
        json_object_object_add(o, "guest", guest);
        json_object_object_add(o, "kconfig_verdict", json_str_or_null(t->kconfig_verdict));
        json_object_object_add(o, "kconfig", t->kconfig ? json_object_get(t->kconfig) : NULL);
        json_object_object_add(o, "expected", json_str_or_null(t->expected));
        json_object_object_add(logs, "console", json_str_or_null(t->console_log));
        json_object_object_add(logs, "daemon", json_str_or_null(t->daemon_log));
        json_object_object_add(logs, "run", json_str_or_null(t->run_log));
        json_object_object_add(o, "logs", logs);
        json_object_object_add(o, "last_lines", json_str_or_null(t->failed_tail));
        return o;
}

int test_report_write(const struct test_result *t, const char *recipe, const char *arch, const char *artifacts_dir,
                      const char *dir, char **ret_path) {
        _cleanup_free_ char *path = path_join(dir, "test-report.json"), *text = NULL;
        json_object *o = json_object_new_object(), *body = test_result_json(t);
        char when[32];
        time_t now = time(NULL);
        int r;

        if (!path || !o || !body) {
                json_object_put(o), json_object_put(body);
                return -ENOMEM;
        }
        (void) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        json_object_object_add(o, "recipe", json_str_or_null(recipe));
        json_object_object_add(o, "arch", json_str_or_null(arch));
        json_object_object_add(o, "artifacts_dir", json_str_or_null(artifacts_dir));
        json_object_object_add(o, "tested_at", json_object_new_string(when));
        json_object_object_add(o, "test", body);
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        r = s && asprintf(&text, "%s\n", s) >= 0 ? 0 : -ENOMEM;
        json_object_put(o);
        if (r < 0)
                return r;
        r = write_file_atomic(path, text, strlen(text), 0644);
        if (r >= 0 && ret_path)
                *ret_path = TAKE_PTR(path);
        return r;
}
