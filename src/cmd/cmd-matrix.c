/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "core/atomic-file.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "core/signals.h"
#include "core/spawn.h"
#include "core/json-util.h"
#include "matrix/matrix-compare.h"
#include "matrix/matrix-emit.h"
#include "matrix/matrix-merge.h"
#include "recipe/catalog.h"
#include "recipe/recipe.h"
#include "matrix/matrix-file.h"
#include "matrix/matrix-run.h"
#include "report/matrix-report.h"

#ifndef XB_VERSION
#define XB_VERSION "unknown"
#endif

static const char *arg_recipes = NULL, *arg_arches = NULL, *arg_strategies = NULL;
static const char *arg_out_dir = NULL, *arg_baseline = NULL;
static bool arg_json = false, arg_test = false, arg_no_diffoscope = false;
static const char *arg_only = NULL, *arg_emit = NULL;
static unsigned arg_jobs = 1;

static const char usage[] =
        "Usage: xbuild matrix FILE.yaml [OPTIONS]\n"
        "       xbuild matrix --recipes=R1,R2@VARIANT --arches=A1,A2 --strategies=S1,S2 [OPTIONS]\n"
        "       xbuild matrix FILE.yaml --emit=github|gitlab > CI-FILE\n"
        "       xbuild matrix merge DIR... [--out-dir=OUT] [--baseline=FILE]\n"
        "\n"
        "Build every cell of a matrix (recipes x arches x strategies, minus the file's excludes),\n"
        "each through the same pipeline as 'xbuild build', one after the other; a failing cell\n"
        "does not stop the others, a strategy this host cannot run is 'skipped' with the plan's\n"
        "reason. Writes OUT/matrix.json, OUT/junit.xml and OUT/index.html, and each cell's out\n"
        "dir, log and report.json under OUT/cells/. Cells of one recipe and arch built by\n"
        "different strategies are compared byte for byte. The file format: docs/matrix.md.\n"
        "\n"
        "Options:\n"
        "      --recipes=LIST     Recipes (NAME or NAME@VARIANT), comma-separated; with FILE,\n"
        "                         replaces the file's list\n"
        "      --arches=LIST      armhf, armel, arm64, comma-separated (likewise)\n"
        "      --strategies=LIST  cross, chroot, qemu-system, remote, comma-separated (likewise)\n"
        "  -o, --out-dir=DIR      Where everything goes (default: out/matrix/NAME)\n"
        "      --baseline=FILE    A previous run's matrix.json: regressions are marked\n"
        "      --test             Also run each recipe's functional test in the ARM VM\n"
        "      --no-diffoscope    Explain differences from ELF sections even when diffoscope\n"
        "                         is installed\n"
        "  -j, --jobs=N           Cells at once (default 1); never two emulated ones (chroot,\n"
        "                         qemu-system) together: they would share the same CPUs\n"
        "      --only=CELL        Run only the cell of that id (RECIPE[@VARIANT]/ARCH/STRATEGY):\n"
        "                         what each job of an emitted CI file runs\n"
        "      --emit=KIND        Write a CI file instead of running: github (Actions,\n"
        "                         strategy.matrix) or gitlab (parallel:matrix), one job per cell\n"
        "                         and a last one running 'xbuild matrix merge'\n"
        "      --json             Print matrix.json on stdout\n"
        "\n"
        "'merge' gathers the matrix.json of several runs (the CI jobs' one-cell runs,\n"
        "downloaded) into one matrix.json, junit.xml and index.html in OUT.\n" CLI_COMMON_HELP
        "\n"
        "Exit status: 0 every cell passed or was skipped, 1 some cell failed (or the run was\n"
        "interrupted), 2 bad input, 4 the host lacks what the matrix itself needs.\n";

static int handle(int c, const char *arg) {
        switch (c) {
        case 0x400:
                arg_recipes = arg;
                return 0;
        case 0x401:
                arg_arches = arg;
                return 0;
        case 0x402:
                arg_strategies = arg;
                return 0;
        case 'o':
                if (arg[0] == '-')
                        return cli_usage_error("matrix", "--out-dir must not start with '-'"), -1;
                arg_out_dir = arg;
                return 0;
        case 0x403:
                if (arg[0] == '-')
                        return cli_usage_error("matrix", "--baseline must not start with '-'"), -1;
                arg_baseline = arg;
                return 0;
        case 0x404:
                arg_test = true;
                return 0;
        case 0x405:
                arg_no_diffoscope = true;
                return 0;
        case 0x406:
                arg_only = arg;
                return 0;
        case 'j': {
                char *end;
                unsigned long v = strtoul(arg, &end, 10);
                if (!arg[0] || *end || arg[0] == '-' || v < 1 || v > 64)
                        return cli_usage_error("matrix", "--jobs: '%s' is not a number from 1 to 64", arg), -1;
                arg_jobs = (unsigned) v;
                return 0;
        }
        case 0x407:
                if (!streq(arg, "github") && !streq(arg, "gitlab"))
                        return cli_usage_error("matrix", "--emit: give github or gitlab"), -1;
                arg_emit = arg;
                return 0;
        case 0x408:
                arg_json = true;
                return 0;
        default:
                return -1;
        }
}

/* --recipes/--arches/--strategies over a file's lists. */
static int apply_lists(struct matrix_file **m) {
        _cleanup_(matrix_file_freep) struct matrix_file *lists = NULL;
        _cleanup_free_ char *err = NULL;
        struct matrix_file *f = *m;
        int r = matrix_file_from_lists(arg_recipes ?: "x", arg_arches ?: "armhf", arg_strategies ?: "cross", &lists, &err);
        if (r < 0)
                return r == -EINVAL ? cli_usage_error("matrix", "%s", err) : (log_error_errno(r, "Failed: %m"), XB_EXIT_BUILD_FAILED);
        if (arg_recipes) {
                struct matrix_recipe *t = f->recipes;
                size_t tn = f->n_recipes;
                f->recipes = lists->recipes, f->n_recipes = lists->n_recipes;
                lists->recipes = t, lists->n_recipes = tn;
        }
        if (arg_arches) {
                memcpy(f->arches, lists->arches, sizeof f->arches);
                f->n_arches = lists->n_arches;
        }
        if (arg_strategies) {
                memcpy(f->strategies, lists->strategies, sizeof f->strategies);
                f->n_strategies = lists->n_strategies;
        }
        return 0;
}

static void iso_now(char buf[32]) {
        time_t now = time(NULL);
        (void) strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

static int write_text(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = path_join(dir, name);
        if (!p || !text)
                return -ENOMEM;
        return write_file_atomic(p, text, strlen(text), 0644);
}

/* Every recipe (and variant) must load before anything runs: a typo is bad input, not a night
 * of failed cells. Records which arches each builds for. */
static int check_recipes(struct matrix_file *m) {
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        int r;

        if ((r = cli_open_catalog(&cat)) != 0)
                return r;
        for (size_t i = 0; i < m->n_recipes; i++) {
                struct matrix_recipe *mr = &m->recipes[i];
                _cleanup_(recipe_freep) struct recipe *rc = NULL;
                struct xb_diag d = {0};
                r = catalog_load_recipe(cat, mr->name, mr->variant, &rc, &d);
                if (r == -ENOMEM)
                        return log_error_errno(r, "Failed: %m"), XB_EXIT_BUILD_FAILED;
                if (r < 0) {
                        char msg[sizeof d.msg + sizeof d.file + 64];
                        (void) snprintf(msg, sizeof msg, "recipes[%zu]: %s%s%s", i, d.file[0] ? d.file : "",
                                        d.file[0] ? ": " : "", d.msg);
                        if (mr->line)
                                log_located(LOG_LEVEL_ERROR, m->path, mr->line, mr->col, msg);
                        else
                                log_error("--recipes: %s", msg);
                        return XB_EXIT_BAD_INPUT;
                }
                for (size_t a = 0; a < rc->n_arches; a++)
                        mr->arches |= 1U << rc->arches[a];
        }
        return 0;
}

/* The previous run's matrix.json, read before anything runs: a bad one writes nothing. */
static int load_baseline(json_object **ret) {
        *ret = NULL;
        if (!arg_baseline)
                return 0;
        json_object *b = json_object_from_file(arg_baseline);
        const char *schema = json_get_str(b, "schema");
        json_object *bc = json_get(b, "cells");
        if (!b || !schema || !streq(schema, MATRIX_SCHEMA) || !bc || !json_object_is_type(bc, json_type_array)) {
                log_error("%s: not a matrix.json of schema %s (%s)", arg_baseline, MATRIX_SCHEMA,
                          b ? "no cells or another schema" : json_util_get_last_err() ?: "unreadable");
                json_object_put(b);
                return XB_EXIT_BAD_INPUT;
        }
        *ret = b;
        return 0;
}

static char *absolute_out(const char *given) {
        if (given[0] == '/')
                return path_normalize(given);
        _cleanup_free_ char *cwd = getcwd(NULL, 0), *j = cwd ? path_join(cwd, given) : NULL;
        return j ? path_normalize(j) : NULL;
}

/* matrix.json, junit.xml and index.html in out, from the cells (taken) and what is around them;
 * the summary line; the exit status. */
static int finish(const char *out, const char *name, const char *file, json_object *cells, const char *started,
                  double seconds, json_object *baseline) {
        _cleanup_(json_putp) json_object *doc = json_object_new_object();
        json_object *host = json_object_new_object(), *counts = json_object_new_object();
        size_t passed = 0, failed = 0, skipped = 0, notrun = 0, nreg = 0;
        char finished[32];
        struct utsname u;
        int r;

        if (!doc || !host || !counts) {
                json_object_put(host), json_object_put(counts), json_object_put(cells);
                return log_error_errno(-ENOMEM, "Failed: %m"), XB_EXIT_BUILD_FAILED;
        }
        iso_now(finished);
        if (uname(&u) == 0) {
                json_object_object_add(host, "machine", json_object_new_string(u.machine));
                json_object_object_add(host, "kernel", json_object_new_string(u.release));
        }
        for (size_t i = 0; i < json_object_array_length(cells); i++) {
                const char *st = strempty(json_get_str(json_object_array_get_idx(cells, i), "status"));
                if (streq(st, "passed"))
                        passed++;
                else if (streq(st, "skipped"))
                        skipped++;
                else if (streq(st, "not-run"))
                        notrun++;
                else
                        failed++;
        }
        json_object_object_add(counts, "passed", json_object_new_int64((int64_t) passed));
        json_object_object_add(counts, "failed", json_object_new_int64((int64_t) failed));
        json_object_object_add(counts, "skipped", json_object_new_int64((int64_t) skipped));
        json_object_object_add(counts, "not_run", json_object_new_int64((int64_t) notrun));
        json_object_object_add(doc, "schema", json_object_new_string(MATRIX_SCHEMA));
        json_object_object_add(doc, "xbuild", json_object_new_string(XB_VERSION));
        json_object_object_add(doc, "name", json_object_new_string(name));
        json_object_object_add(doc, "file", json_str_or_null(file));
        json_object_object_add(doc, "started_at", json_object_new_string(started));
        json_object_object_add(doc, "finished_at", json_object_new_string(finished));
        json_object_object_add(doc, "total_seconds", json_object_new_double(seconds));
        json_object_object_add(doc, "host", host);
        json_object_object_add(doc, "counts", counts);
        json_object_object_add(doc, "cells", cells);
        json_object_object_add(doc, "comparisons", matrix_comparisons(cells, out, !arg_no_diffoscope));
        json_object *regs = baseline ? matrix_regressions(cells, json_get(baseline, "cells")) : json_object_new_array();
        nreg = regs ? json_object_array_length(regs) : 0;
        json_object_object_add(doc, "baseline", json_str_or_null(arg_baseline));
        json_object_object_add(doc, "regressions", regs);

        const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *junit = matrix_report_junit(doc), *html = matrix_report_html(doc);
        if ((r = mkdir_p(out, 0755)) < 0 || (r = write_text(out, "matrix.json", text)) < 0 ||
            (r = write_text(out, "junit.xml", junit)) < 0 || (r = write_text(out, "index.html", html)) < 0)
                return log_error_errno(r, "Failed to write the matrix's reports in %s: %m", out), XB_EXIT_BUILD_FAILED;
        if (arg_json)
                puts(text);
        log_info("matrix %s: %zu passed, %zu failed, %zu skipped%s%s; %s/index.html", name, passed, failed, skipped,
                 notrun ? ", some not run (interrupted)" : "", nreg ? ", regressions against the baseline" : "", out);
        return failed || notrun ? XB_EXIT_BUILD_FAILED : XB_EXIT_OK;
}

static int matrix_merge_command(int argc, char **argv, int first) {
        _cleanup_(json_putp) json_object *baseline = NULL;
        _cleanup_free_ char *name = NULL, *file = NULL, *out = NULL, *given = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        json_object *cells = NULL;
        char started[32];
        int r;

        if (first >= argc)
                return cli_usage_error("matrix", "merge: give the directories of the runs to merge");
        if (arg_recipes || arg_arches || arg_strategies || arg_only || arg_emit || arg_test)
                return cli_usage_error("matrix", "merge takes only --out-dir, --baseline, --no-diffoscope and --json");
        for (int i = first; i < argc; i++)
                if (argv[i][0] == '-')
                        return cli_usage_error("matrix", "merge: '%s' must not start with '-'", argv[i]);
        if ((r = load_baseline(&baseline)) != 0)
                return r;
        iso_now(started);
        long long t0 = spawn_now_ms();
        /* Where the merged run goes decides how its paths are written: settle it first. */
        if (arg_out_dir)
                given = strdup(arg_out_dir);
        if (given && !(out = absolute_out(given)))
                return log_error_errno(-ENOMEM, "Failed: %m"), XB_EXIT_BUILD_FAILED;
        r = matrix_merge(argv + first, out ? out : ".", &cells, &name, &file, &e);
        if (r == -EINVAL)
                return log_error("merge: %s", xb_detail_text(&e, r)), XB_EXIT_BAD_INPUT;
        if (r < 0)
                return log_error_errno(r, "Failed to merge: %m"), XB_EXIT_BUILD_FAILED;
        if (!out) {
                /* The default out dir depends on the name: paths are made again against it. */
                json_object_put(cells);
                cells = NULL;
                _cleanup_free_ char *dflt = NULL;
                if (asprintf(&dflt, "out/matrix/%s", name) < 0 || !(out = absolute_out(dflt)))
                        return log_error_errno(-ENOMEM, "Failed: %m"), XB_EXIT_BUILD_FAILED;
                free(name), free(file);
                name = file = NULL;
                if ((r = matrix_merge(argv + first, out, &cells, &name, &file, &e)) < 0)
                        return log_error("merge: %s", xb_detail_text(&e, r)), XB_EXIT_BAD_INPUT;
        }
        return finish(out, name, file, cells, started, (double) (spawn_now_ms() - t0) / 1000.0, baseline);
}

int cmd_matrix(int argc, char **argv) {
        static const struct option opts[] = {{"recipes", required_argument, NULL, 0x400},
                                             {"arches", required_argument, NULL, 0x401},
                                             {"strategies", required_argument, NULL, 0x402},
                                             {"out-dir", required_argument, NULL, 'o'},
                                             {"baseline", required_argument, NULL, 0x403},
                                             {"test", no_argument, NULL, 0x404},
                                             {"no-diffoscope", no_argument, NULL, 0x405},
                                             {"only", required_argument, NULL, 0x406},
                                             {"emit", required_argument, NULL, 0x407},
                                             {"json", no_argument, NULL, 0x408},
                                             {"jobs", required_argument, NULL, 'j'},
                                             {0}};
        _cleanup_(matrix_file_freep) struct matrix_file *m = NULL;
        _cleanup_(json_putp) json_object *baseline = NULL;
        _cleanup_free_ char *out = NULL, *err = NULL;
        _cleanup_free_ struct matrix_cell *cells = NULL;
        size_t ncells = 0;
        json_object *results = NULL;
        char started[32];
        int r;

        r = cli_parse(argc, argv, "o:j:", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r >= 1 && streq(argv[optind], "merge"))
                return matrix_merge_command(argc, argv, optind + 1);
        if (argc - r > 1)
                return cli_usage_error("matrix", "too many arguments");
        if (argc - r == 1) {
                struct xb_diag d = {0};
                r = matrix_file_load(argv[optind], &m, &d);
                if (r == -ENOMEM)
                        return log_error_errno(r, "Failed to load %s: %m", argv[optind]), XB_EXIT_BUILD_FAILED;
                if (r < 0)
                        return cli_print_diag(&d), XB_EXIT_BAD_INPUT;
                if ((arg_recipes || arg_arches || arg_strategies) && (r = apply_lists(&m)) != 0)
                        return r;
        } else {
                if (!arg_recipes && !arg_arches && !arg_strategies)
                        return cli_usage_error("matrix", "give a matrix file, or --recipes, --arches and --strategies");
                r = matrix_file_from_lists(arg_recipes, arg_arches, arg_strategies, &m, &err);
                if (r == -EINVAL)
                        return cli_usage_error("matrix", "%s", err);
                if (r < 0)
                        return log_error_errno(r, "Failed: %m"), XB_EXIT_BUILD_FAILED;
        }
        if (arg_test)
                m->test = true;
        if ((r = check_recipes(m)) != 0)
                return r;
        r = matrix_cells(m, &cells, &ncells);
        if (r == -ENOTUNIQ || r == -ENAMETOOLONG) {
                log_error("%s: %s", m->path, r == -ENOTUNIQ ? "two recipes give cells the same id (recipes are named by their "
                                                               "file name): rename one"
                                                             : "a recipe name or path too long for a cell id");
                return XB_EXIT_BAD_INPUT;
        }
        if (r < 0)
                return log_error_errno(r, "Failed: %m"), XB_EXIT_BUILD_FAILED;
        if (arg_only) {
                bool found = false;
                for (size_t i = 0; i < ncells && !found; i++)
                        found = streq(cells[i].id, arg_only);
                if (!found)
                        return cli_usage_error("matrix", "--only: the matrix has no cell '%s' (ids are RECIPE[@VARIANT]/ARCH/STRATEGY)",
                                               arg_only);
        }
        if (arg_emit) {
                if (argc - optind != 1 || arg_recipes || arg_arches || arg_strategies)
                        return cli_usage_error("matrix", "--emit needs a matrix file as it is (the CI jobs run that file), "
                                                         "without --recipes, --arches or --strategies");
                size_t max = streq(arg_emit, "github") ? MATRIX_EMIT_MAX_GITHUB : MATRIX_EMIT_MAX_GITLAB;
                if (ncells > max) {
                        log_error("%s: %zu cells, more than %s takes in one matrix (%zu): split the file", m->path, ncells,
                                  arg_emit, max);
                        return XB_EXIT_BAD_INPUT;
                }
                _cleanup_free_ char *text = matrix_emit(streq(arg_emit, "github") ? MATRIX_EMIT_GITHUB : MATRIX_EMIT_GITLAB, m,
                                                        cells, ncells);
                if (!text)
                        return log_error_errno(-ENOMEM, "Failed: %m"), XB_EXIT_BUILD_FAILED;
                fputs(text, stdout);
                return XB_EXIT_OK;
        }
        if ((r = load_baseline(&baseline)) != 0)
                return r;
        _cleanup_free_ char *given = NULL;
        if (arg_out_dir)
                given = strdup(arg_out_dir);
        else if (asprintf(&given, "out/matrix/%s", m->name) < 0)
                given = NULL;
        /* Absolute: the cells run with their own --out-dir, and links are made relative to it. */
        if (!given || !(out = absolute_out(given)))
                return log_error_errno(-ENOMEM, "Failed: %m"), XB_EXIT_BUILD_FAILED;
        if ((r = mkdir_p(out, 0755)) < 0)
                return log_error_errno(r, "Failed to create %s: %m", out), XB_EXIT_BUILD_FAILED;
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return log_error_errno(-errno, "Failed to find xbuild's own executable: %m"), XB_EXIT_HOST_MISSING;
        exe[n] = 0;

        signals_forward_install(false);
        iso_now(started);
        long long t0 = spawn_now_ms();
        struct matrix_run_opts ro = {.out_dir = out, .self = exe, .cache_dir = cli_cache_dir(), .data_dir = cli_data_dir(),
                                     .only = arg_only, .jobs = arg_jobs};
        r = matrix_run(m, &ro, &results);
        if (r < 0)
                return log_error_errno(r, "Failed to run the matrix: %m"), XB_EXIT_BUILD_FAILED;
        return finish(out, m->name, m->path, results, started, (double) (spawn_now_ms() - t0) / 1000.0, baseline);
}
