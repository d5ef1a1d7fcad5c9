/* SPDX-License-Identifier: MIT */
/* The spawner against real processes: exec errors, exit codes, signals, captured lines, log
 * files, timeouts that take the whole process group, environment, cwd and fd hygiene. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "tap.h"

static int lines_seen;
static void count_line(void *u, const char *line) {
        (void) u;
        (void) line;
        lines_seen++;
}

static int run_sh(const char *script, struct spawn_req *base, struct spawn_result *res) {
        char *argv[] = {(char *) "sh", (char *) "-c", (char *) script, NULL};
        struct spawn_req req = base ? *base : (struct spawn_req){.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE};
        req.argv = argv;
        return spawn_run(&req, res);
}

static bool gone(pid_t pid) {
        for (int i = 0; i < 100; i++) {
                char path[64], *stat = NULL;
                snprintf(path, sizeof path, "/proc/%d/stat", pid);
                if (read_full_file(path, 4096, &stat, NULL) < 0)
                        return true;
                /* A zombie waiting for init counts as gone. */
                char *p = strrchr(stat, ')');
                bool zombie = p && p[1] == ' ' && p[2] == 'Z';
                free(stat);
                if (zombie)
                        return true;
                usleep(20000);
        }
        return false;
}

int main(void) {
        struct spawn_result res = {0};
        char tmpl[] = "/tmp/xb-spawn-XXXXXX", *dir = mkdtemp(tmpl), log[256], pidfile[256];
        char *argv_missing[] = {(char *) "xbuild-no-such-program-here", NULL};
        struct spawn_req req = {.argv = argv_missing, .stdin_fd = -1};
        int r;

        r = spawn_run(&req, &res);
        tap_ok(r == -ENOENT, "missing program: -ENOENT, not exit 127 (%d)", r);
        char *argv_dir[] = {(char *) "/tmp", NULL};
        req.argv = argv_dir;
        tap_ok(spawn_run(&req, &res) == -EACCES, "exec of a directory fails in the parent");

        tap_ok(run_sh("exit 3", NULL, &res) == 0 && res.exit_code == 3 && res.signal == 0 && !res.timed_out,
               "exit status");
        spawn_result_clear(&res);
        tap_ok(run_sh("kill -TERM $$", NULL, &res) == 0 && res.signal == SIGTERM, "terminating signal");
        char desc[64];
        tap_ok(strstr(spawn_result_describe(&res, desc, sizeof desc), "TERM") != NULL, "described: %s", desc);
        spawn_result_clear(&res);

        snprintf(log, sizeof log, "%s/step.log", dir);
        struct spawn_req cap = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .log_path = log,
                                .on_line = count_line};
        lines_seen = 0;
        tap_ok(run_sh("echo one; echo two >&2; printf last", &cap, &res) == 0 && res.exit_code == 0,
               "captured run");
        tap_ok(lines_seen == 3, "three lines, the last without newline (%d)", lines_seen);
        tap_ok(res.tail && streq(res.tail, "one\ntwo\nlast\n"), "tail keeps stdout and stderr in order");
        spawn_result_clear(&res);
        char *content = NULL;
        tap_ok(read_full_file(log, 1 << 20, &content, NULL) == 0 && streq(content, "one\ntwo\nlast\n"),
               "log file has every line");
        free(content);

        tap_ok(run_sh("seq 1 100", NULL, &res) == 0 && res.tail && !strstr(res.tail, "\n80\n") &&
                       strncmp(res.tail, "81\n", 3) == 0 && strstr(res.tail, "\n100\n"),
               "tail keeps the last 20 lines");
        spawn_result_clear(&res);

        lines_seen = 0;
        struct spawn_req cb = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .on_line = count_line};
        tap_ok(run_sh("head -c 20000 /dev/zero | tr '\\0' x", &cb, &res) == 0 && lines_seen == 3,
               "a 20000-byte line is cut at 8192 bytes, not lost (%d pieces)", lines_seen);
        spawn_result_clear(&res);

        snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
        char script[512];
        snprintf(script, sizeof script, "sleep 30 & echo $! > %s; wait", pidfile);
        struct spawn_req to = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .timeout_ms = 300,
                               .kill_grace_ms = 500, .flags = SPAWN_NEW_PGRP};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = run_sh(script, &to, &res);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        tap_ok(r == 0 && res.timed_out && res.signal != 0, "timeout kills (signal %d)", res.signal);
        tap_ok(secs < 5.0, "timeout honoured (%.2fs)", secs);
        spawn_result_clear(&res);
        char *pidtxt = NULL;
        tap_ok(read_full_file(pidfile, 64, &pidtxt, NULL) == 0 && gone((pid_t) strtol(pidtxt, NULL, 10)),
               "the step's background grandchild died with its group");
        free(pidtxt);

        char *envp[] = {(char *) "PATH=/usr/bin:/bin", (char *) "XB_PROBE=from-env", NULL};
        struct spawn_req env = {.envp = envp, .cwd = dir, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE};
        tap_ok(run_sh("echo \"$XB_PROBE $HOME\"; pwd", &env, &res) == 0 && res.tail &&
                       strstr(res.tail, "from-env \n") && strstr(res.tail, dir),
               "only the given environment, and the cwd");
        spawn_result_clear(&res);

        int leak = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
        dup2(leak, 57);
        tap_ok(run_sh("ls /proc/self/fd/; cat", NULL, &res) == 0 && res.tail && !strstr(res.tail, "57\n") &&
                       res.exit_code == 0,
               "no inherited descriptors; stdin is /dev/null");
        spawn_result_clear(&res);
        close(leak);
        close(57);

        unlink(log);
        unlink(pidfile);
        rmdir(dir);
        return tap_done();
}
