/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>

#include "core/spawn.h"
#include "signals.h"

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) {
        pid_t pid = spawn_running_pid, pgid = spawn_running_pgid;
        int saved = errno; /* the interrupted code may be about to read it */
        (void) sig;
        interrupted = 1;
        /* The whole group of a step started with SPAWN_NEW_PGRP (a shell killed alone would
         * leave its foreground child holding the output pipe), and the child itself until it
         * is reaped. */
        if (pgid > 0)
                (void) kill(-pgid, SIGTERM);
        if (pid > 0)
                (void) kill(pid, SIGTERM);
        errno = saved;
}

void signals_forward_install(bool ignore_sigint) {
        struct sigaction sa = {.sa_handler = on_signal};
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
        if (ignore_sigint)
                (void) signal(SIGINT, SIG_IGN);
        else
                (void) sigaction(SIGINT, &sa, NULL);
}

bool signals_interrupted(void) {
        return interrupted;
}

void signals_reset_for_tests(void) {
        interrupted = 0;
}
