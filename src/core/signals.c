/* SPDX-License-Identifier: MIT */
#include <signal.h>

#include "core/spawn.h"
#include "signals.h"

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) {
        (void) sig;
        interrupted = 1;
        if (spawn_running_pid > 0)
                (void) kill(spawn_running_pid, SIGTERM);
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
