/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a person (or a program) sees of a build while it runs. One process-wide state, like
 * the log's: the pipeline reports phases, steps and artifacts here, and the mode decides how
 * they are shown:
 *   tty    a status line on stderr under the log, redrawn at most 5 times a second: the step
 *          running, its elapsed time, its latest output line (cut to the terminal's width);
 *          cleared before any log line is printed and drawn again after it;
 *   plain  no status line; a heartbeat line every 30 s while a step runs
 *          ("Step 2/5 still running after 1m30s: <latest line>");
 *   json   one JSON object per line on the events fd (phase-start/phase-end, step-start/step-end
 *          with status, artifact, transfer, summary), for CI and for programs that drive xbuild;
 *          human log lines stay on stderr.
 * auto is tty when stderr is a terminal, else plain. Nothing here fails a build: write errors
 * are ignored. */
enum build_progress_mode {
        BUILD_PROGRESS_AUTO,
        BUILD_PROGRESS_TTY,
        BUILD_PROGRESS_PLAIN,
        BUILD_PROGRESS_JSON,
        _BUILD_PROGRESS_MAX,
        _BUILD_PROGRESS_INVALID = -22,
};

enum build_progress_mode build_progress_mode_from_string(const char *s);
const char *build_progress_mode_to_string(enum build_progress_mode m);

/* events_fd: where json events go (json mode only; usually STDOUT_FILENO). Registers a log
 * hook so log lines never mix with the status line. auto (or an invalid mode) resolves here;
 * it also picks plain on TERM=dumb and when the log level is below info (--quiet). Before
 * init and after finish every other call is a no-op. */
void build_progress_init(enum build_progress_mode mode, int events_fd);
/* The mode init resolved (never auto then); BUILD_PROGRESS_AUTO before init. */
enum build_progress_mode build_progress_get_mode(void);
/* Clears the status line and drops the log hook. */
void build_progress_finish(void);

void build_progress_phase_start(const char *phase);
void build_progress_phase_end(const char *phase, double seconds, bool ok);

/* n: the number of steps; cmd: the step's text as the recipe wrote it (first line shown). */
void build_progress_step_start(size_t step, size_t n, const char *cmd);
/* A line of the running step's output (the latest one is shown). */
void build_progress_step_line(const char *line);
/* status: "ok", "failed", "timeout", "interrupted". */
void build_progress_step_end(size_t step, size_t n, const char *status, double seconds, const char *log_path);

void build_progress_artifact(const char *name, const char *path, bool verified);

/* A transfer (git fetch: objects; downloads: bytes). total 0: unknown. */
void build_progress_transfer(const char *what, uint64_t done, uint64_t total);

/* Called at least once a second by whoever waits on a long child (spawn's on_tick): redraws
 * the elapsed time, emits the plain heartbeat. */
void build_progress_tick(void *userdata);

/* Free-form event in json mode: {"event": name, KEY: VALUE...} with string values; kv is a
 * NULL-terminated list of "KEY=VALUE". Other modes ignore it. */
void build_progress_event(const char *name, char *const *kv);

/* json mode: a whole JSON document (the report) as one event line {"event": "report", "report": DOC}. */
void build_progress_event_json(const char *name, const char *json_text);
