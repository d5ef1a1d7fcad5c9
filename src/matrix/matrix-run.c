/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/json-util.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/signals.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "matrix-run.h"


/* SELF [--cache-dir C] [--data-dir D] VERB NAME --arch A --strategy S [--variant V] */
static int base_argv(const struct matrix_run_opts *o, const struct matrix_cell *c, const char *verb, char ***ret) {
        _cleanup_strv_free_ char **a = NULL;
        if (strv_extend(&a, o->self) < 0 || (o->cache_dir && strv_extend_many(&a, "--cache-dir", o->cache_dir) < 0) ||
            (o->data_dir && strv_extend_many(&a, "--data-dir", o->data_dir) < 0) ||
            strv_extend_many(&a, verb, c->recipe->name, "--arch", arch_to_string(c->arch), "--strategy",
                             strategy_to_string(c->strategy)) < 0 ||
            (c->recipe->variant && strv_extend_many(&a, "--variant", c->recipe->variant) < 0))
                return -ENOMEM;
        *ret = TAKE_PTR(a);
        return 0;
}

static const char *last_line(const struct spawn_result *sr, char *buf, size_t size) {
        const char *l;
        int n;
        spawn_result_last_line(sr, &l, &n);
        (void) snprintf(buf, size, "%.*s", n, l);
        return buf;
}

/* The plan, as 'xbuild plan --json' gives it (kept as CELL/plan.json). *ret NULL with
 * *ret_error set when the plan itself failed (a bad recipe). */
static int cell_plan(const struct matrix_run_opts *o, const struct matrix_cell *c, const char *dir, json_object **ret,
                     char **ret_error) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *path = path_join(dir, "plan.json");
        _cleanup_(spawn_result_clear) struct spawn_result sr = {0};
        _cleanup_close_ int fd = -EBADF;
        char buf[1024], how[128];
        int r;

        *ret = NULL;
        *ret_error = NULL;
        if (!path || (r = base_argv(o, c, "plan", &argv)) < 0 || strv_extend(&argv, "--json") < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .stdout_fd = fd, .output = SPAWN_OUTPUT_FD,
                                .timeout_ms = 300000, .flags = SPAWN_NEW_PGRP};
        if ((r = spawn_run(&req, &sr)) < 0)
                return r;
        if (sr.exit_code != 0 || sr.signal)
                return asprintf(ret_error, "xbuild plan %s: %s", spawn_result_describe(&sr, how, sizeof how),
                                last_line(&sr, buf, sizeof buf)) < 0 ? -ENOMEM : 0;
        *ret = json_object_from_file(path);
        if (!*ret)
                return asprintf(ret_error, "xbuild plan gave no JSON (%s)", path) < 0 ? -ENOMEM : 0;
        return 0;
}


static json_object *copy_key(json_object *from, const char *key) {
        json_object *v;
        if (!from || !json_object_object_get_ex(from, key, &v) || !v)
                return NULL;
        return json_object_get(v);
}


/* What the matrix keeps of each artifact: name, size, sha256, the ELF description, Go's build
 * info, whether its checks and smoke runs passed. */
static json_object *artifacts_summary(json_object *report, const char *out_dir) {
        json_object *arts, *list = json_object_new_array();
        if (!list || !report || !json_object_object_get_ex(report, "artifacts", &arts) || !json_object_is_type(arts, json_type_array))
                return list;
        for (size_t i = 0; i < json_object_array_length(arts); i++) {
                json_object *a = json_object_array_get_idx(arts, i), *elf = NULL, *x = json_object_new_object();
                const char *path = json_get_str(a, "path");
                struct stat st;
                if (!x)
                        continue;
                (void) json_object_object_get_ex(a, "elf", &elf);
                const char *base = path ? strrchr(path, '/') : NULL;
                json_object_object_add(x, "name", json_str_or_null(base ? base + 1 : path));
                /* Relative to the matrix's out dir, for links that survive moving it. */
                size_t ol = strlen(out_dir);
                json_object_object_add(x, "path", json_str_or_null(path && strneq(path, out_dir, ol) && path[ol] == '/' ? path + ol + 1 : path));
                json_object_object_add(x, "size", path && lstat(path, &st) == 0 ? json_object_new_int64((int64_t) st.st_size) : NULL);
                json_object_object_add(x, "sha256", copy_key(a, "sha256"));
                json_object_object_add(x, "ok", copy_key(a, "ok"));
                json_object_object_add(x, "elf", json_str_or_null(json_get_str(elf, "description")));
                json_object_object_add(x, "go", copy_key(elf, "go"));
                json_object *runs;
                int n = 0, ok = 0;
                if (json_object_object_get_ex(a, "runs", &runs) && json_object_is_type(runs, json_type_array))
                        for (size_t k = 0; k < json_object_array_length(runs); k++, n++) {
                                json_object *okv;
                                if (json_object_object_get_ex(json_object_array_get_idx(runs, k), "ok", &okv) &&
                                    json_object_get_boolean(okv))
                                        ok++;
                        }
                json_object_object_add(x, "runs", json_object_new_int(n));
                json_object_object_add(x, "runs_ok", json_object_new_int(ok));
                json_object_array_add(list, x);
        }
        return list;
}

static char *rel(const char *out_dir, const char *path) {
        size_t ol = strlen(out_dir);
        return strdup(strneq(path, out_dir, ol) && path[ol] == '/' ? path + ol + 1 : path);
}

static void cell_progress(const struct matrix_run_opts *o, size_t i, size_t n, const struct matrix_cell *c,
                          const char *status, double secs, const char *why) {
        if (o->quiet)
                return;
        log_info("matrix: [%zu/%zu] %s: %s%s%s (%.1f s)", i + 1, n, c->id, status, why ? ": " : "", strempty(why), secs);
}

static int run_cell(const struct matrix_run_opts *o, const struct matrix_cell *c, size_t i, size_t n, json_object *cell) {
        _cleanup_free_ char *cells = path_join(o->out_dir, "cells"), *dir = NULL, *log = NULL, *plan_err = NULL;
        _cleanup_(json_putp) json_object *plan = NULL;
        _cleanup_strv_free_ char **argv = NULL;
        long long t0 = spawn_now_ms();
        int r;

        if (!cells || !(dir = path_join(cells, c->dir)) || !(log = path_join(dir, "xbuild.log")))
                return -ENOMEM;
        /* A cell's directory is this matrix's output: a rerun replaces it whole. */
        if ((r = rm_rf_unless_mounted(dir)) < 0 || (r = mkdir_p(dir, 0755)) < 0)
                return r;
        _cleanup_free_ char *rdir = rel(o->out_dir, dir), *rlog = rel(o->out_dir, log);
        json_object_object_add(cell, "dir", json_str_or_null(rdir));
        if (c->recipe->arches && !(c->recipe->arches & (1U << c->arch))) {
                char why[96];
                (void) snprintf(why, sizeof why, "the recipe does not build for %s (not in its arches)", arch_to_string(c->arch));
                json_object_object_add(cell, "status", json_object_new_string("skipped"));
                json_object_object_add(cell, "reason", json_object_new_string(why));
                cell_progress(o, i, n, c, "skipped", 0.0, why);
                return 0;
        }
        if ((r = cell_plan(o, c, dir, &plan, &plan_err)) < 0)
                return r;
        if (!plan) {
                json_object_object_add(cell, "status", json_object_new_string("failed"));
                json_object_object_add(cell, "reason", json_str_or_null(plan_err));
                cell_progress(o, i, n, c, "failed", (double) (spawn_now_ms() - t0) / 1000.0, plan_err);
                return 0;
        }
        json_object *chosen = NULL;
        if (!json_object_object_get_ex(plan, "chosen", &chosen) || !chosen) {
                const char *why = json_get_str(plan, "reason");
                json_object_object_add(cell, "status", json_object_new_string("skipped"));
                json_object_object_add(cell, "reason", json_str_or_null(why ? why : "the strategy cannot run on this host"));
                cell_progress(o, i, n, c, "skipped", (double) (spawn_now_ms() - t0) / 1000.0, why);
                return 0;
        }

        if ((r = base_argv(o, c, "build", &argv)) < 0 || strv_extend_many(&argv, "--out-dir", dir, "--progress", "plain") < 0 ||
            (c->options.source && strv_extend_many(&argv, "--source", c->options.source) < 0) ||
            (c->options.memory && strv_extend_many(&argv, "--memory", c->options.memory) < 0) ||
            (c->options.test > 0 && strv_extend(&argv, "--test") < 0))
                return -ENOMEM;
        _cleanup_(spawn_result_clear) struct spawn_result sr = {0};
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .log_path = log,
                                .timeout_ms = c->options.timeout * 1000U, .kill_grace_ms = 30000, .flags = SPAWN_NEW_PGRP};
        if ((r = spawn_run(&req, &sr)) < 0)
                return r;
        double secs = (double) (spawn_now_ms() - t0) / 1000.0;
        json_object_object_add(cell, "log", json_str_or_null(rlog));
        json_object_object_add(cell, "seconds", json_object_new_double(secs));
        json_object_object_add(cell, "exit_code", sr.signal ? NULL : json_object_new_int(sr.exit_code));

        /* The build's own report says what happened (it is written whatever the outcome). */
        const char *name = json_get_str(plan, "recipe"), *variant = json_get_str(plan, "variant");
        _cleanup_free_ char *nv = NULL;
        if (name && asprintf(&nv, "%s%s%s", name, variant ? "@" : "", strempty(variant)) < 0)
                nv = NULL;
        _cleanup_free_ char *rdirname = nv ? path_join(dir, nv) : NULL;
        _cleanup_free_ char *adir = rdirname ? path_join(rdirname, arch_to_string(c->arch)) : NULL;
        _cleanup_free_ char *rpath = adir ? path_join(adir, "report.json") : NULL, *tpath = adir ? path_join(adir, "test-report.json") : NULL;
        _cleanup_(json_putp) json_object *report = rpath ? json_object_from_file(rpath) : NULL;
        _cleanup_(json_putp) json_object *test = c->options.test > 0 && tpath ? json_object_from_file(tpath) : NULL;
        if (report) {
                _cleanup_free_ char *rr = rel(o->out_dir, rpath);
                json_object_object_add(cell, "report", json_str_or_null(rr));
                json_object_object_add(cell, "build_status", copy_key(report, "status"));
                json_object_object_add(cell, "phases_seconds", copy_key(report, "phases_seconds"));
                json_object_object_add(cell, "verified", copy_key(report, "verified"));
                json_object_object_add(cell, "source", copy_key(report, "source"));
                json_object_object_add(cell, "toolchain", copy_key(report, "toolchain"));
                json_object_object_add(cell, "toolchain_version", copy_key(report, "toolchain_version"));
                json_object_object_add(cell, "failure", copy_key(report, "failure"));
        }
        json_object_object_add(cell, "artifacts", artifacts_summary(report, o->out_dir));
        if (test) {
                _cleanup_free_ char *tr = rel(o->out_dir, tpath);
                json_object *t = json_object_new_object();
                json_object_object_add(t, "report", json_str_or_null(tr));
                json_object_object_add(t, "status", copy_key(test, "status"));
                json_object_object_add(cell, "test", t);
        }

        char how[128], buf[1024];
        const char *status = "passed", *why = NULL;
        if (sr.timed_out) {
                status = "failed";
                (void) snprintf(buf, sizeof buf, "timed out after %u s (cells[].timeout)", c->options.timeout);
                why = buf;
        } else if (signals_interrupted()) {
                status = "interrupted";
                why = "interrupted";
        } else if (sr.signal || sr.exit_code != 0) {
                json_object *f = NULL, *m = NULL;
                status = "failed";
                if (report && json_object_object_get_ex(report, "failure", &f) && f && json_object_object_get_ex(f, "message", &m))
                        (void) snprintf(buf, sizeof buf, "%s", json_object_get_string(m));
                else
                        (void) snprintf(buf, sizeof buf, "xbuild build %s: %s", spawn_result_describe(&sr, how, sizeof how),
                                        last_line(&sr, (char[1024]){0}, 1024));
                why = buf;
        }
        json_object_object_add(cell, "status", json_object_new_string(status));
        json_object_object_add(cell, "reason", json_str_or_null(why));
        cell_progress(o, i, n, c, status, secs, why);
        return 0;
}

static void cell_identity(json_object *cell, const struct matrix_cell *c) {
        json_object_object_add(cell, "id", json_object_new_string(c->id));
        json_object_object_add(cell, "recipe", json_object_new_string(c->recipe->name));
        json_object_object_add(cell, "variant", json_str_or_null(c->recipe->variant));
        json_object_object_add(cell, "arch", json_object_new_string(arch_to_string(c->arch)));
        json_object_object_add(cell, "strategy", json_object_new_string(strategy_to_string(c->strategy)));
}

static void cell_failed(json_object *cell, const char *what, int r) {
        char buf[256];
        (void) snprintf(buf, sizeof buf, "%s: %s", what, xb_strerror(r));
        json_object_object_add(cell, "status", json_object_new_string("failed"));
        json_object_object_add(cell, "reason", json_object_new_string(buf));
}

static void cell_not_run(json_object *cell) {
        json_object_object_add(cell, "status", json_object_new_string("not-run"));
        json_object_object_add(cell, "reason", json_object_new_string("the matrix was interrupted"));
}

/* The emulator-bound strategies: two of them at once would only share the same CPUs. */
static bool emulated(const struct matrix_cell *c) {
        return c->strategy == XB_STRATEGY_CHROOT || c->strategy == XB_STRATEGY_QEMU_SYSTEM;
}

static char *result_path(const struct matrix_run_opts *o, const struct matrix_cell *c) {
        _cleanup_free_ char *cells = path_join(o->out_dir, "cells"), *name = NULL;
        if (!cells || asprintf(&name, ".%s.cell.json", c->dir) < 0)
                return NULL;
        return path_join(cells, name);
}

/* --jobs N: each cell in a worker process of its own (its build still its own 'xbuild build'),
 * at most N at once and one emulated (chroot, qemu-system) among them; the worker hands its
 * cell's JSON back in a file. */
static int run_parallel(const struct matrix_run_opts *o, const struct matrix_cell *cells, size_t n, json_object **objs) {
        _cleanup_free_ pid_t *pids = calloc(n + 1, sizeof(pid_t));
        _cleanup_free_ bool *started = calloc(n + 1, sizeof(bool));
        size_t running = 0, done = 0;
        bool emu_busy = false, told = false;

        if (!pids || !started)
                return -ENOMEM;
        _cleanup_free_ char *cdir = path_join(o->out_dir, "cells");
        if (!cdir || mkdir_p(cdir, 0755) < 0)
                return -ENOMEM;
        while (done < n) {
                while (!signals_interrupted() && running < o->jobs) {
                        size_t pick = n;
                        for (size_t i = 0; i < n && pick == n; i++)
                                if (!started[i] && !(emulated(&cells[i]) && emu_busy))
                                        pick = i;
                        if (pick == n)
                                break;
                        started[pick] = true;
                        /* A result left by an earlier, killed run must never be taken for this one's. */
                        _cleanup_free_ char *stale = result_path(o, &cells[pick]);
                        if (stale)
                                (void) unlink(stale);
                        pid_t pid = fork();
                        if (pid < 0) {
                                cell_failed(objs[pick], "xbuild could not start the cell", -errno);
                                done++;
                                continue;
                        }
                        if (pid == 0) {
                                /* The worker goes with the matrix, whatever ends it. */
                                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                                json_object *mine = json_object_new_object();
                                _cleanup_free_ char *rp = result_path(o, &cells[pick]);
                                if (!mine || !rp)
                                        _exit(2);
                                cell_identity(mine, &cells[pick]);
                                int r = run_cell(o, &cells[pick], pick, n, mine);
                                if (r < 0)
                                        cell_failed(mine, "xbuild could not run the cell", r);
                                _exit(json_object_to_file(rp, mine) < 0 ? 2 : 0);
                        }
                        pids[pick] = pid;
                        running++;
                        emu_busy = emu_busy || emulated(&cells[pick]);
                }
                if (running == 0) {
                        /* Interrupted: what never started is not-run. */
                        for (size_t i = 0; i < n; i++)
                                if (!started[i]) {
                                        started[i] = true;
                                        cell_not_run(objs[i]);
                                        done++;
                                }
                        continue;
                }
                /* A SIGINT/SIGTERM that came while we were not waiting: pass it on now. */
                if (signals_interrupted() && !told) {
                        told = true;
                        for (size_t i = 0; i < n; i++)
                                if (pids[i] > 0)
                                        (void) kill(pids[i], SIGTERM);
                }
                int st;
                pid_t w = waitpid(-1, &st, 0);
                if (w < 0) {
                        if (errno != EINTR)
                                return -errno;
                        /* A SIGINT/SIGTERM reached us: pass it on to every worker, once. */
                        if (signals_interrupted() && !told) {
                                told = true;
                                for (size_t i = 0; i < n; i++)
                                        if (pids[i] > 0)
                                                (void) kill(pids[i], SIGTERM);
                        }
                        continue;
                }
                for (size_t i = 0; i < n; i++) {
                        if (pids[i] != w)
                                continue;
                        pids[i] = 0;
                        running--;
                        done++;
                        if (emulated(&cells[i]))
                                emu_busy = false;
                        _cleanup_free_ char *rp = result_path(o, &cells[i]);
                        json_object *got = rp ? json_object_from_file(rp) : NULL;
                        if (rp)
                                (void) unlink(rp);
                        if (got) {
                                json_object_object_foreach(got, k, v) json_object_object_add(objs[i], k, json_object_get(v));
                                json_object_put(got);
                        } else
                                cell_failed(objs[i], "the cell's worker ended without a result", -EIO);
                }
        }
        return 0;
}

int matrix_run(const struct matrix_file *m, const struct matrix_run_opts *o, json_object **ret) {
        _cleanup_free_ struct matrix_cell *all = NULL, *cells = NULL;
        _cleanup_free_ json_object **objs = NULL;
        _cleanup_(json_putp) json_object *list = json_object_new_array();
        size_t n_all = 0, n = 0;
        int r;

        if (!list)
                return -ENOMEM;
        if ((r = matrix_cells(m, &all, &n_all)) < 0)
                return r;
        if (!(cells = calloc(n_all + 1, sizeof *cells)) || !(objs = calloc(n_all + 1, sizeof *objs)))
                return -ENOMEM;
        for (size_t i = 0; i < n_all; i++)
                if (!o->only || streq(o->only, all[i].id))
                        cells[n++] = all[i];
        for (size_t i = 0; i < n; i++) {
                if (!(objs[i] = json_object_new_object()))
                        return -ENOMEM;
                json_object_array_add(list, objs[i]);
                cell_identity(objs[i], &cells[i]);
        }
        if (o->jobs > 1 && n > 1) {
                if ((r = run_parallel(o, cells, n, objs)) < 0)
                        return r;
        } else
                for (size_t i = 0; i < n; i++) {
                        if (signals_interrupted()) {
                                cell_not_run(objs[i]);
                                continue;
                        }
                        r = run_cell(o, &cells[i], i, n, objs[i]);
                        /* Our own trouble (a disk, a fork) fails this cell, named, not the others. */
                        if (r < 0)
                                cell_failed(objs[i], "xbuild could not run the cell", r);
                }
        *ret = TAKE_PTR(list);
        return 0;
}
