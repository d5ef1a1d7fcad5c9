/* SPDX-License-Identifier: MIT */
/* The build pipeline driven by a fake strategy that runs steps on this host (no root): success,
 * a failing step, a failing verification, SIGTERM during a step, a teardown that fails, a
 * prepare that fails. Each checks the exit code, report.json and the json progress events. */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chroot/session.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/signals.h"
#include "core/strv.h"
#include "recipe/catalog.h"
#include "report/build-progress.h"
#include "strategy/pipeline.h"
#include "tap.h"

static char tmp[] = "/tmp/xb-test-pipeline-XXXXXX";
static bool teardown_fails;
static bool prepare_fails;
static bool prepare_fails_bare; /* returns -EIO without saying why */
static const char *plant_symlink_to; /* OUT/fake becomes a symlink to this directory */
static int teardown_calls;
static int prepare_calls;
static bool break_source; /* the recipe's source directory is gone when the build starts */

static int fake_prepare(struct build_job *job) {
        prepare_calls++;
        build_phase_begin(job, "fake-setup");
        if (prepare_fails)
                return build_fail(job, XB_EXIT_HOST_MISSING, "The fake host lacks what it needs");
        if (prepare_fails_bare)
                return -EIO;
        return 0;
}

static int fake_run_step(struct build_job *job, struct build_step *st) {
        char *argv[] = {(char *) "/bin/sh", (char *) "-e", (char *) st->script, NULL};
        struct spawn_req io = {.argv = argv, .cwd = job->src_dir, .stdin_fd = -1};
        build_step_spawn_io(job, &io);
        return spawn_run(&io, &st->result);
}

static int fake_teardown(struct build_job *job) {
        (void) job;
        teardown_calls++;
        return teardown_fails ? -EIO : 0;
}

static const struct strategy_ops fake_ops = {
        .id = XB_STRATEGY_CROSS,
        .src_subdir = "src",
        .steps_subdir = "steps",
        .prepare = fake_prepare,
        .run_step = fake_run_step,
        .teardown = fake_teardown,
};

/* A minimal static ARM EABI5 hard-float executable header: what verification reads. */
static void write_arm_elf(const char *path) {
        unsigned char e[52 + 32] = {0x7f, 'E', 'L', 'F', 1, 1, 1};
        e[16] = 2;                      /* ET_EXEC */
        e[18] = 40;                     /* EM_ARM */
        e[20] = 1;                      /* EV_CURRENT */
        e[28] = 52;                     /* e_phoff */
        e[36] = 0x00, e[37] = 0x04, e[39] = 0x05; /* e_flags: EABI5, hard-float */
        e[40] = 52;                     /* e_ehsize */
        e[42] = 32;                     /* e_phentsize */
        e[44] = 1;                      /* e_phnum */
        e[52] = 1;                      /* PT_LOAD */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
        if (fd >= 0) {
                (void) write_all(fd, e, sizeof e);
                (void) close(fd);
        }
}

#define RECIPE_FMT                                                                                         \
        "name: fake\nsummary: the pipeline's test\narches: [armhf]\nsource: {local: src}\n" \
        "steps:\n%s" \
        "artifacts:\n  - path: built/engine\n    install_as: engine\n    expect: {static: %s}\n"

struct outcome {
        int exit_code;
        json_object *report;
        char *events;
};

static void outcome_clear(struct outcome *o) {
        json_object_put(o->report);
        free(o->events);
}

static int run_fake(const char *name, const char *steps, const char *want_static, struct outcome *out) {
        _cleanup_free_ char *dir = path_join(tmp, name), *recipe = NULL, *text = NULL, *src = NULL, *elf = NULL;
        _cleanup_free_ char *outdir = NULL, *cachedir = path_join(tmp, "cache"), *events = NULL, *report = NULL;
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_(recipe_bundle_freep) struct recipe_bundle *b = NULL;
        _cleanup_(plan_freep) struct plan *p = NULL;
        _cleanup_(cache_freep) struct cache *cache = NULL;
        struct xb_diag d = {0};
        int r;

        *out = (struct outcome){0};
        if (mkdir(dir, 0755) < 0 || !(src = path_join(dir, "src")) || mkdir(src, 0755) < 0 ||
            !(elf = path_join(src, "engine.elf")) || !(recipe = path_join(dir, "fake.yaml")) ||
            asprintf(&text, RECIPE_FMT, steps, want_static) < 0 || write_file_text(recipe, text) < 0 ||
            !(outdir = path_join(dir, "out")) || !(events = path_join(dir, "events.jsonl")) ||
            !(report = path_join(outdir, "fake/armhf/report.json")))
                return -1;
        write_arm_elf(elf);
        if (break_source)
                (void) rm_rf(src);
        if (plant_symlink_to) {
                _cleanup_free_ char *link = path_join(outdir, "fake");
                if (!link || mkdir(outdir, 0755) < 0 || symlink(plant_symlink_to, link) < 0)
                        return -1;
        }
        if (catalog_open(getenv("XB_TEST_DATA"), &cat) < 0 || catalog_load_bundle(cat, recipe, NULL, &b, &d) < 0) {
                tap_diag("recipe: %s", d.msg);
                return -1;
        }
        struct host_facts host = {.jobs = 1, .cache_dir = cachedir, .out_dir = outdir};
        if (plan_make(b->recipe, NULL, XB_ARCH_ARMHF, XB_STRATEGY_CROSS, &host, &p) < 0 || mkdir_p(cachedir, 0755) < 0 ||
            cache_open(cachedir, &cache) < 0)
                return -1;
        int efd = open(events, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        struct build_opts o = {0};
        signals_reset_for_tests();
        build_progress_init(BUILD_PROGRESS_JSON, efd);
        /* The verification's lines go to stdout, which is TAP's here. */
        fflush(stdout);
        int saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        (void) dup2(devnull, STDOUT_FILENO);
        out->exit_code = build_run(&fake_ops, b, p, cache, &o);
        fflush(stdout);
        (void) dup2(saved, STDOUT_FILENO);
        (void) close(saved);
        (void) close(devnull);
        build_progress_finish();
        (void) close(efd);
        out->report = json_object_from_file(report);
        if ((r = read_full_file(events, 1 << 20, &out->events, NULL)) < 0)
                out->events = strdup("");
        return 0;
}

static const char *jstr(json_object *o, const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        json_object *v = o;
        for (char *save = NULL, *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
                if (!json_object_object_get_ex(v, k, &v))
                        v = NULL;
        return v ? json_object_get_string(v) : NULL;
}

/* Every line of the events parses, and the events named come in this order. */
static bool events_in_order(const char *events, const char *const *want) {
        const char *l = events;
        size_t k = 0;
        while (*l) {
                size_t n = strcspn(l, "\n");
                _cleanup_free_ char *line = strndup(l, n);
                json_object *o = json_tokener_parse(line);
                if (!o)
                        return false;
                const char *ev = jstr(o, "event"), *st = jstr(o, "status");
                char key[96];
                (void) snprintf(key, sizeof key, "%s%s%s", strempty(ev), st ? ":" : "", strempty(st));
                if (want[k] && (streq(key, want[k]) || streq(strempty(ev), want[k])))
                        k++;
                json_object_put(o);
                l += n + (l[n] ? 1 : 0);
        }
        return !want[k];
}

/* The ok field of the phase-end event of phase (-1: no such event). */
static int phase_end_ok(const char *events, const char *phase) {
        int ok = -1;
        for (const char *l = events; *l;) {
                size_t n = strcspn(l, "\n");
                _cleanup_free_ char *line = strndup(l, n);
                json_object *o = json_tokener_parse(line), *v;
                if (o && streq(strempty(jstr(o, "event")), "phase-end") && streq(strempty(jstr(o, "phase")), phase) &&
                    json_object_object_get_ex(o, "ok", &v))
                        ok = json_object_get_boolean(v);
                json_object_put(o);
                l += n + (l[n] ? 1 : 0);
        }
        return ok;
}

int main(void) {
        struct outcome o;
        int r;

        if (!mkdtemp(tmp))
                return perror("mkdtemp"), 1;

        /* A caller's umask of 077 changes nothing the build writes. */
        mode_t saved = umask(077);
        r = run_fake("ok", "  - mkdir -p built && cp engine.elf built/engine\n  - echo two && umask\n", "true", &o);
        (void) umask(saved);
        tap_ok(r == 0 && o.exit_code == 0, "success: exit 0 (%d)", o.exit_code);
        tap_ok(o.report && streq(strempty(jstr(o.report, "status")), "ok") && json_object_get_boolean(json_object_object_get(o.report, "verified")) &&
                       !json_object_object_get(o.report, "failure"),
               "success: report.json status ok, verified, no failure");
        tap_ok(o.report && jstr(o.report, "phases_seconds.fake-setup") && jstr(o.report, "phases_seconds.steps") &&
                       jstr(o.report, "phases_seconds.verify") && jstr(o.report, "phases_seconds.teardown"),
               "success: the strategy's phase and the pipeline's are timed");
        static const char *const ok_events[] = {"phase-start", "step-start", "step-end:ok", "step-start", "step-end:ok",
                                                "artifact", "report", NULL};
        tap_ok(events_in_order(strempty(o.events), ok_events), "success: json events, one per line, in order");
        tap_ok(teardown_calls == 1, "success: teardown ran once");
        {
                _cleanup_free_ char *log = NULL, *art = path_join(tmp, "ok/out/fake/armhf/engine");
                _cleanup_free_ char *logp = path_join(tmp, "ok/out/fake/armhf/logs/step-02.log");
                struct stat st;
                tap_ok(logp && read_full_file(logp, 4096, &log, NULL) >= 0 && strstr(log, "0022") && art &&
                               stat(art, &st) == 0 && (st.st_mode & 07777) == 0755,
                       "under a caller's umask 077: steps run with 022, the artifact is 0755");
        }
        outcome_clear(&o);

        r = run_fake("stepfail", "  - echo first\n  - echo 'the compiler said no' && exit 3\n  - echo never\n", "true", &o);
        tap_ok(r == 0 && o.exit_code == 1, "failing step: exit 1 (%d)", o.exit_code);
        tap_ok(o.report && streq(strempty(jstr(o.report, "status")), "build-failed") &&
                       streq(strempty(jstr(o.report, "failure.step")), "2") &&
                       streq(strempty(jstr(o.report, "failure.phase")), "steps") &&
                       strstr(strempty(jstr(o.report, "failure.last_lines")), "the compiler said no") &&
                       strstr(strempty(jstr(o.report, "failure.log")), "logs/step-02.log") &&
                       strstr(strempty(jstr(o.report, "failure.message")), "exited with status 3"),
               "failing step: report names the step, its log, its last lines: %s", strempty(jstr(o.report, "failure.message")));
        static const char *const fail_events[] = {"step-end:ok", "step-end:failed", "report", NULL};
        tap_ok(events_in_order(strempty(o.events), fail_events) && !strstr(strempty(o.events), "\"step\":3"),
               "failing step: step-end failed, step 3 never started");
        tap_ok(teardown_calls == 2, "failing step: teardown ran");
        tap_ok(phase_end_ok(strempty(o.events), "steps") == 0 && phase_end_ok(strempty(o.events), "source") == 1 &&
                       phase_end_ok(strempty(o.events), "teardown") == 1,
               "failing step: the steps phase ends not ok, the others ok");
        outcome_clear(&o);

        r = run_fake("verifyfail", "  - mkdir -p built && cp engine.elf built/engine\n", "false", &o);
        tap_ok(r == 0 && o.exit_code == 3, "failing verification: exit 3 (%d)", o.exit_code);
        tap_ok(o.report && streq(strempty(jstr(o.report, "status")), "verify-failed") &&
                       streq(strempty(jstr(o.report, "failure.phase")), "verify") &&
                       !json_object_get_boolean(json_object_object_get(o.report, "verified")),
               "failing verification: status verify-failed in the verify phase");
        outcome_clear(&o);

        /* The step sends SIGTERM to this process (its parent), as a user's kill would. */
        signals_forward_install(false);
        r = run_fake("sigterm", "  - echo started && kill -TERM $PPID && sleep 30\n  - echo never\n", "true", &o);
        tap_ok(r == 0 && o.exit_code == 1, "SIGTERM during a step: exit 1 (%d)", o.exit_code);
        tap_ok(o.report && streq(strempty(jstr(o.report, "status")), "interrupted") &&
                       streq(strempty(jstr(o.report, "failure.step")), "1"),
               "SIGTERM during a step: status interrupted, at step 1");
        static const char *const int_events[] = {"step-start", "step-end:interrupted", "report", NULL};
        tap_ok(events_in_order(strempty(o.events), int_events), "SIGTERM: the step ends interrupted in the events");
        if (!events_in_order(strempty(o.events), int_events))
                tap_diag("events: %s", strempty(o.events));
        tap_ok(teardown_calls == 4, "SIGTERM: teardown ran");
        outcome_clear(&o);
        signals_reset_for_tests();

        teardown_fails = true;
        r = run_fake("teardown", "  - mkdir -p built && cp engine.elf built/engine\n", "true", &o);
        tap_ok(r == 0 && o.exit_code == 5, "teardown that fails after a good build: exit 5 (%d)", o.exit_code);
        tap_ok(o.report && streq(strempty(jstr(o.report, "status")), "cleanup-failed") && jstr(o.report, "teardown_error") &&
                       json_object_get_boolean(json_object_object_get(o.report, "verified")),
               "teardown that fails: status cleanup-failed, artifacts still verified");
        outcome_clear(&o);
        teardown_fails = false;

        prepare_fails = true;
        r = run_fake("prepare", "  - echo never\n", "true", &o);
        tap_ok(r == 0 && o.exit_code == 4, "prepare that fails: exit 4 (%d)", o.exit_code);
        tap_ok(o.report && streq(strempty(jstr(o.report, "status")), "host-failure") &&
                       streq(strempty(jstr(o.report, "failure.phase")), "fake-setup") &&
                       strstr(strempty(jstr(o.report, "failure.message")), "fake host lacks"),
               "prepare that fails: report.json says where and why");
        tap_ok(!strstr(strempty(o.events), "step-start"), "prepare that fails: no step started");
        outcome_clear(&o);
        prepare_fails = false;

        prepare_fails_bare = true;
        r = run_fake("bare", "  - echo never\n", "true", &o);
        prepare_fails_bare = false;
        tap_ok(r == 0 && o.exit_code == 1 &&
                       streq(strempty(jstr(o.report, "failure.message")),
                             "Failed to run the strategy's prepare (fake-setup): Input/output error"),
               "an operation failing without a word: exit 1, a message naming it and the phase (%s)",
               strempty(jstr(o.report, "failure.message")));
        outcome_clear(&o);

        break_source = true;
        int prepared_before = prepare_calls;
        r = run_fake("nosource", "  - echo never\n", "true", &o);
        break_source = false;
        tap_ok(r == 0 && o.exit_code != 0 && streq(strempty(jstr(o.report, "failure.phase")), "source") &&
                       prepare_calls == prepared_before,
               "a source that cannot be laid out: failed in the source phase, before the strategy prepared anything");
        outcome_clear(&o);

        {
                _cleanup_free_ char *elsewhere = path_join(tmp, "elsewhere");
                plant_symlink_to = elsewhere;
                r = elsewhere && mkdir(elsewhere, 0755) == 0 ? run_fake("planted", "  - mkdir -p built && cp engine.elf built/engine\n", "true", &o) : -1;
                plant_symlink_to = NULL;
                _cleanup_free_ char *arch_dir = path_join(elsewhere, "armhf");
                tap_ok(r == 0 && o.exit_code == 2 && arch_dir && access(arch_dir, F_OK) < 0,
                       "OUT/NAME planted as a symlink: refused with exit 2 (%d), nothing written through it", o.exit_code);
                outcome_clear(&o);
        }
        {
                /* A wait for a busy lock (a host in use, a work directory) ends on SIGTERM. */
                _cleanup_free_ char *cdir = path_join(tmp, "cache");
                _cleanup_(cache_freep) struct cache *c = NULL;
                _cleanup_close_ int held = -EBADF, waited = -EBADF;
                signals_reset_for_tests();
                signals_forward_install(false);
                r = cdir && cache_open(cdir, &c) >= 0 ? cache_lock(c, "busy-host", NULL, &held) : -1;
                pid_t killer = fork();
                if (killer == 0) {
                        usleep(300 * 1000);
                        (void) kill(getppid(), SIGTERM);
                        _exit(0);
                }
                int w = r >= 0 && killer > 0 ? cache_lock(c, "busy-host", NULL, &waited) : 0;
                if (killer > 0)
                        (void) waitpid(killer, NULL, 0);
                tap_ok(w == -EINTR && waited < 0, "a wait for a busy lock ends on SIGTERM (%d)", w);
                signals_reset_for_tests();
        }
        {
                _cleanup_free_ char *sessions = path_join(tmp, "cache/sessions");
                tap_ok(!sessions || access(sessions, F_OK) < 0 || rmdir(sessions) == 0,
                       "no session directory is left behind");
        }
        (void) rm_rf(tmp);
        return tap_done();
}
