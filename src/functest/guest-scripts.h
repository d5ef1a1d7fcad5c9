/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "recipe/recipe-test.h"
#include "report/test-report.h"

/* The functional test's guest side: the steps the VM's init runs in order (qemu/initrd.c's
 * protocol), as shell text for the guest's /bin/sh, never for the host's. The recipe's own
 * text goes into files of its own (test/daemon.sh, ready.sh, image.sh, run.sh) that the steps
 * run, so nothing of it is quoted into our scripts. */
#define GUEST_MAX_STEPS 4

struct guest_scripts {
        enum test_check_id checks[GUEST_MAX_STEPS]; /* what step N+1 is */
        size_t n_steps;
};

/* The steps of a test: setup, daemon (when the recipe has one), image (when it has one), run. */
void guest_scripts_plan(const struct recipe_test *t, struct guest_scripts *ret);
/* The text of one step. guest_dir: where the guest keeps the test's files. */
int guest_step_text(const struct recipe_test *t, const char *guest_dir, enum test_check_id step, char **ret);
/* Writes the recipe's scripts to test_dir (/xbuild/test in the guest) and step-NN.sh to
 * steps_dir. */
int guest_scripts_write(const struct recipe_test *t, const char *guest_dir, const char *test_dir, const char *steps_dir,
                        struct guest_scripts *ret);

/* The host's reading of what the guest wrote. The value of KEY in KEY=VALUE lines (setup.info;
 * malloc'd, NULL: absent or OOM). */
char *guest_info_get(const char *info, const char *key);
/* Whether text has line as one of its lines, trailing spaces and CRs ignored (a serial
 * console and some engines end lines with CRs). */
bool guest_output_has_line(const char *text, const char *line);
