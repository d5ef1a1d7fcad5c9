/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Installs a handler that turns SIGINT/SIGTERM into SIGTERM for the running child, and
 * remembers that it happened. */
void signals_forward_install(bool ignore_sigint);
bool signals_interrupted(void);
/* Forgets an earlier interruption, so that one process can run several builds (tests only:
 * a real interruption ends the process). Does not change the installed handlers. */
void signals_reset_for_tests(void);
