/* SPDX-License-Identifier: MIT */
/* Build progress: json events (one parseable object per line, the right fields, rising "t",
 * transfers rate-limited), the tty status line and the log hooks that keep it apart from log
 * lines, modes by name, and spawn's ticks. */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"
#include "core/spawn.h"
#include "report/build-progress.h"
#include "tap.h"

static char *tmp_file(int *ret_fd) {
        char *path = strdup("/tmp/xb-progress-XXXXXX");
        int fd = path ? mkstemp(path) : -1;
        if (fd < 0) {
                free(path);
                return NULL;
        }
        *ret_fd = fd;
        return path;
}

static char *slurp(const char *path) {
        char *text = NULL;
        return read_full_file(path, 1 << 20, &text, NULL) < 0 ? NULL : text;
}

/* stderr into a file for the duration of a test, so the status line can be looked at. */
static int stderr_saved = -1;
static void stderr_to(int fd) {
        stderr_saved = dup(STDERR_FILENO);
        (void) dup2(fd, STDERR_FILENO);
}
static void stderr_restore(void) {
        (void) dup2(stderr_saved, STDERR_FILENO);
        close(stderr_saved);
}

/* "" when missing or not a string, so that a wrong event fails its test instead of the run. */
static const char *jstr(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : "";
}

static int64_t jint(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
                       ? json_object_get_int64(v)
                       : -1;
}

static double jdouble(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_double)
                       ? json_object_get_double(v)
                       : -1.0;
}

static bool jnull(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && !v;
}

static int jbool(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean)
                       ? json_object_get_boolean(v)
                       : -1;
}

static void test_modes(void) {
        static const char *const names[] = {"auto", "tty", "plain", "json"};
        static const enum build_progress_mode modes[] = {BUILD_PROGRESS_AUTO, BUILD_PROGRESS_TTY,
                                                         BUILD_PROGRESS_PLAIN, BUILD_PROGRESS_JSON};
        for (size_t i = 0; i < 4; i++) {
                tap_ok(build_progress_mode_from_string(names[i]) == modes[i], "mode '%s' accepted",
                       names[i]);
                tap_ok(streq(build_progress_mode_to_string(modes[i]), names[i]), "mode '%s' named back",
                       names[i]);
        }
        tap_ok(build_progress_mode_from_string("JSON") < 0 && build_progress_mode_from_string("") < 0 &&
                       build_progress_mode_from_string("bar") < 0 &&
                       build_progress_mode_from_string(NULL) < 0,
               "other modes rejected");
        tap_ok(!build_progress_mode_to_string(_BUILD_PROGRESS_INVALID), "no name for an invalid mode");
        tap_ok(build_progress_get_mode() == BUILD_PROGRESS_AUTO, "auto before init");
}

static void test_json(void) {
        int fd = -1, efd = -1;
        char *path = tmp_file(&fd), *epath = tmp_file(&efd), *text, *err;
        char *kv[] = {(char *) "status=ok", (char *) "steps=2", (char *) "event=hijack", NULL};
        json_object *ev[64] = {0};
        size_t n = 0, transfers = 0, last_transfer = 0;
        bool all_parse = true, all_envelope = true, t_rises = true;
        double t_prev = -1;

        if (!path || !epath) {
                tap_ok(false, "temporary files");
                return;
        }
        stderr_to(efd);
        build_progress_init(BUILD_PROGRESS_JSON, fd);
        tap_ok(build_progress_get_mode() == BUILD_PROGRESS_JSON, "json mode set");
        build_progress_phase_start("build");
        build_progress_step_start(1, 2, "make\nmake install");
        build_progress_step_line("compiling foo.c");
        build_progress_tick(NULL);
        usleep(20000);
        build_progress_step_end(1, 2, "ok", 0.5, "/tmp/logs/step-1.log");
        build_progress_step_start(2, 2, "make install");
        build_progress_step_end(2, 2, "failed", 1.25, NULL);
        build_progress_artifact("dockerd", "/out/dockerd", true);
        for (unsigned i = 1; i <= 1000; i++)
                build_progress_transfer("objects", i, 1000);
        build_progress_transfer("objects", 1000, 1000); /* libgit2 repeats the end: no event */
        build_progress_event("summary", kv);
        build_progress_event_json("report", "{\"status\":\"ok\",\"steps\":[1,2]}");
        build_progress_phase_end("build", 1.5, true);
        build_progress_finish();
        build_progress_step_start(3, 3, "after finish"); /* a no-op now */
        stderr_restore();

        text = slurp(path);
        err = slurp(epath);
        tap_ok(text && text[0] && text[strlen(text) - 1] == '\n', "events written, newline-terminated");
        tap_ok(err && !err[0], "json mode draws no status line (stderr: '%s')", err ? err : "?");
        for (char *line = text, *nl; line && *line && n < ELEMENTSOF(ev); line = nl + 1) {
                nl = strchr(line, '\n');
                *nl = 0;
                ev[n] = json_tokener_parse(line);
                if (!ev[n] || !json_object_is_type(ev[n], json_type_object)) {
                        all_parse = false;
                        tap_diag("unparseable: %s", line);
                        n++;
                        continue;
                }
                double t = jdouble(ev[n], "t");
                if (!*jstr(ev[n], "event") || t < 0)
                        all_envelope = false;
                if (t < t_prev)
                        t_rises = false;
                t_prev = t;
                if (streq(jstr(ev[n], "event"), "transfer")) {
                        transfers++;
                        last_transfer = n;
                }
                n++;
        }
        tap_ok(n >= 9 && all_parse, "every line parses as one JSON object (%zu lines)", n);
        tap_ok(all_envelope, "every event has \"event\" and a numeric \"t\"");
        tap_ok(t_rises && t_prev > 0.015, "\"t\" never goes back and counts from init (%.3f)", t_prev);
        tap_ok(transfers >= 1 && transfers <= 3, "1000 transfer calls: %zu events", transfers);
        if (n < 9 || !all_parse)
                goto finish;

        tap_ok(streq(jstr(ev[0], "event"), "phase-start") && streq(jstr(ev[0], "phase"), "build"),
               "phase-start {phase}");
        tap_ok(streq(jstr(ev[1], "event"), "step-start") && jint(ev[1], "step") == 1 &&
                       jint(ev[1], "steps") == 2 && streq(jstr(ev[1], "command"), "make\nmake install"),
               "step-start {step, steps, command}");
        tap_ok(streq(jstr(ev[2], "event"), "step-end") && jint(ev[2], "step") == 1 &&
                       jint(ev[2], "steps") == 2 && streq(jstr(ev[2], "status"), "ok") &&
                       jdouble(ev[2], "seconds") == 0.5 && streq(jstr(ev[2], "log"), "/tmp/logs/step-1.log"),
               "step-end {step, steps, status, seconds, log}");
        tap_ok(streq(jstr(ev[4], "event"), "step-end") && streq(jstr(ev[4], "status"), "failed") &&
                       jdouble(ev[4], "seconds") == 1.25 && jnull(ev[4], "log"),
               "step-end without a log: null");
        tap_ok(streq(jstr(ev[5], "event"), "artifact") && streq(jstr(ev[5], "name"), "dockerd") &&
                       streq(jstr(ev[5], "path"), "/out/dockerd") && jbool(ev[5], "verified") == 1,
               "artifact {name, path, verified}");
        json_object *lt = ev[last_transfer];
        tap_ok(streq(jstr(lt, "what"), "objects") && jint(lt, "done") == 1000 && jint(lt, "total") == 1000,
               "the last transfer event is the final one");
        tap_ok(streq(jstr(ev[6], "event"), "transfer") && jint(ev[6], "done") == 1, "the first one too");
        size_t i = last_transfer + 1;
        tap_ok(streq(jstr(ev[i], "event"), "summary") && streq(jstr(ev[i], "status"), "ok") &&
                       streq(jstr(ev[i], "steps"), "2"),
               "free-form event with string values; \"event\" not replaced");
        json_object *rep = NULL;
        tap_ok(streq(jstr(ev[i + 1], "event"), "report") &&
                       json_object_object_get_ex(ev[i + 1], "report", &rep) && streq(jstr(rep, "status"), "ok"),
               "a whole document as one event");
        tap_ok(i + 3 == n && streq(jstr(ev[i + 2], "event"), "phase-end") &&
                       streq(jstr(ev[i + 2], "phase"), "build") && jdouble(ev[i + 2], "seconds") == 1.5 &&
                       jbool(ev[i + 2], "ok") == 1,
               "phase-end {phase, seconds, ok}, and nothing after finish");
finish:
        for (size_t k = 0; k < n; k++)
                json_object_put(ev[k]);
        free(text);
        free(err);
        close(fd);
        close(efd);
        unlink(path);
        unlink(epath);
        free(path);
        free(epath);
}

static void test_tty(void) {
        int fd = -1;
        char *path = tmp_file(&fd), *text, long_line[300];

        if (!path) {
                tap_ok(false, "temporary file");
                return;
        }
        memset(long_line, 'x', sizeof long_line - 1);
        long_line[sizeof long_line - 1] = 0;
        memcpy(long_line, "\033[31mred\033[0m\ttab", STRLEN("\033[31mred\033[0m\ttab"));

        stderr_to(fd);
        build_progress_init(BUILD_PROGRESS_TTY, -1);
        build_progress_phase_start("build");
        usleep(210000); /* redraws are 200 ms apart at least */
        build_progress_step_start(2, 5, "\n  make all\nmake install");
        usleep(210000);
        build_progress_step_line(long_line);
        log_info("a log line");
        usleep(210000);
        build_progress_tick(NULL);
        build_progress_finish();
        log_info("after finish");
        stderr_restore();
        text = slurp(path);

        tap_ok(text && strstr(text, "\r\033[K  [build 0s] "), "between steps: the phase");
        tap_ok(text && strstr(text, "\r\033[K  [step 2/5 0s] make all"),
               "status line shows the step and its command");
        tap_ok(text && strstr(text, "\r\033[K  [step 2/5 0s] red tabxxx"), "escapes dropped, tab a blank");
        bool narrow = text != NULL;
        for (char *p = text ? strstr(text, "\r\033[K") : NULL; p; p = strstr(p + 1, "\r\033[K")) {
                size_t w = strcspn(p + STRLEN("\r\033[K"), "\r\n");
                if (w > 79)
                        narrow = false;
        }
        tap_ok(narrow, "status lines cut to the width (80 without a terminal)");
        tap_ok(text && strstr(text, "\r\033[Ka log line\n\r\033[K  [step 2/5 0s]"),
               "a log line clears the status line, which comes back under it");
        tap_ok(text && strstr(text, "\r\033[Kafter finish\n") && !strstr(text, "after finish\n\r"),
               "finish clears the line and drops the hooks");
        tap_ok(text && strlen(text) > 0 && !strstr(text, "\033[31m"), "no escapes from the output");
        free(text);
        close(fd);
        unlink(path);
        free(path);
}

static void test_plain(void) {
        int fd = -1;
        char *path = tmp_file(&fd), *text;

        if (!path) {
                tap_ok(false, "temporary file");
                return;
        }
        stderr_to(fd);
        build_progress_init(BUILD_PROGRESS_PLAIN, STDOUT_FILENO);
        build_progress_step_start(1, 1, "make");
        build_progress_step_line("output");
        build_progress_tick(NULL);
        build_progress_transfer("bytes", 10, 100);
        build_progress_event("summary", NULL);
        build_progress_step_end(1, 1, "ok", 0.1, NULL);
        build_progress_finish();
        stderr_restore();
        text = slurp(path);
        tap_ok(text && !text[0], "plain mode: quiet before the first heartbeat, no events");
        free(text);
        close(fd);
        unlink(path);
        free(path);
}

static int hook_before, hook_after;
static void count_before(void) {
        hook_before++;
        log_info("logged from a hook"); /* printed, without re-entering the hooks */
}
static void count_after(void) {
        hook_after++;
}

static void test_log_hooks(void) {
        int fd = -1;
        char *path = tmp_file(&fd), *text;

        if (!path) {
                tap_ok(false, "temporary file");
                return;
        }
        stderr_to(fd);
        log_set_write_hooks(count_before, count_after);
        log_info("one");
        log_debug("below the level: not written, no hooks");
        log_set_write_hooks(NULL, NULL);
        log_info("two");
        stderr_restore();
        text = slurp(path);
        tap_ok(hook_before == 1 && hook_after == 1, "hooks around each written line (%d, %d)", hook_before,
               hook_after);
        tap_ok(text && streq(text, "logged from a hook\none\ntwo\n"), "a hook may log");
        free(text);
        close(fd);
        unlink(path);
        free(path);
}

static void count_tick(void *userdata) {
        (*(int *) userdata)++;
}

static void test_ticks(void) {
        char *argv[] = {(char *) "sleep", (char *) "2.5", NULL};
        int ticks = 0;
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                .on_tick = count_tick, .tick_userdata = &ticks};
        struct spawn_result res = {0};
        long long t0 = spawn_now_ms();
        int r;

        r = spawn_run(&req, &res);
        tap_ok(r == 0 && res.exit_code == 0, "sleep 2.5 ran");
        tap_ok(ticks >= 2 && ticks <= 3, "on_tick called %d times in %lld ms", ticks,
               spawn_now_ms() - t0);
        spawn_result_clear(&res);

        char *argv2[] = {(char *) "sh", (char *) "-c", (char *) "sleep 1.3; exit 4", NULL};
        ticks = 0;
        req.argv = argv2;
        req.timeout_ms = 10000;
        r = spawn_run(&req, &res);
        tap_ok(r == 0 && res.exit_code == 4 && !res.timed_out && ticks == 1, "with a timeout too (%d tick)",
               ticks);
        spawn_result_clear(&res);
}

int main(void) {
        test_modes();
        test_json();
        test_tty();
        test_plain();
        test_log_hooks();
        test_ticks();
        return tap_done();
}
