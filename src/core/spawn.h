/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Every child process xbuild starts goes through here: argv and env vectors, never a shell. */

enum spawn_output {
        SPAWN_OUTPUT_INHERIT, /* child writes to our stdout/stderr */
        SPAWN_OUTPUT_NULL,    /* /dev/null */
        SPAWN_OUTPUT_CAPTURE, /* stdout+stderr merged, read line by line (log file, callback, tail) */
        SPAWN_OUTPUT_FD,      /* stdout to stdout_fd (data), stderr read as with CAPTURE */
};

enum {
        SPAWN_NEW_PGRP = 1 << 0, /* own process group, so a timeout kills the whole step */
};

struct spawn_req {
        char *const *argv;      /* argv[0] without '/' is looked up in PATH of envp (or ours) */
        char *const *envp;      /* NULL: inherit ours */
        const char *cwd;        /* NULL: ours */
        int stdin_fd;           /* < 0: /dev/null */
        int stdout_fd;          /* SPAWN_OUTPUT_FD */
        enum spawn_output output;
        const char *log_path;   /* CAPTURE: append each line here (created 0644) */
        const char *log_prefix; /* CAPTURE: when echo is set, "PREFIX line" goes to stderr */
        bool echo;
        unsigned flags;
        unsigned timeout_ms; /* 0: none. On expiry: SIGTERM to the child (its group), then
                              * SIGKILL after kill_grace_ms (default 5000). */
        unsigned kill_grace_ms;
        void (*on_line)(void *userdata, const char *line);
        void *userdata;
        /* A watchdog the on_line callback may move: an absolute CLOCK_MONOTONIC time in ms
         * (0: none) at which the child is stopped as on a timeout; read again after every
         * line. Set it to the past to stop the child at once. */
        long long *deadline_ms;
        /* Optional: called at least once a second while the child runs, whatever its output
         * (spawn_run then never sleeps in poll for more than 1000 ms); for progress display. */
        void (*on_tick)(void *userdata);
        void *tick_userdata;
};

struct spawn_result {
        int exit_code;  /* valid when signal == 0 */
        int signal;     /* terminating signal, 0 if it exited */
        bool timed_out;
        char *tail;     /* CAPTURE: the last lines of output, '\n'-joined; caller frees */
};

void spawn_result_clear(struct spawn_result *r);
/* CLOCK_MONOTONIC in milliseconds, the clock of deadline_ms. */
long long spawn_now_ms(void);

/* Starts the child; returns -errno when the fork or the exec failed (the exec's errno is
 * carried back over a CLOEXEC pipe, so "no such program" is an error here, not exit 127). */
int spawn_start(const struct spawn_req *req, pid_t *ret_pid, int *ret_output_fd);

/* Runs to completion: starts, drains output, enforces the timeout, reaps. Returns 0 when the
 * child ran (whatever its status: see ret), -errno when it could not be started. */
int spawn_run(const struct spawn_req *req, struct spawn_result *ret);

/* The child spawn_run() is waiting for (0 when none), for signal handlers that pass a
 * SIGINT or SIGTERM on as SIGTERM. */
extern volatile pid_t spawn_running_pid;
/* Its process group when it was started with SPAWN_NEW_PGRP (0 otherwise), kept until its last
 * straggler is killed: the group is what a SIGTERM must reach. */
extern volatile pid_t spawn_running_pgid;

/* A one-line human description of how the child ended, e.g. "exited with status 3". */
const char *spawn_result_describe(const struct spawn_result *r, char *buf, size_t size);

/* The last non-empty line of the captured tail ("" when none), as pointer and length. */
void spawn_result_last_line(const struct spawn_result *r, const char **ret, int *ret_len);

/* Resolves a program name in the given PATH value (NULL: ours). Returns a malloc'd path,
 * or NULL with errno set (ENOENT). */
char *spawn_find_program(const char *name, const char *path_env);
