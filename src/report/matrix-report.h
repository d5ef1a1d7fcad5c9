/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>

/* A matrix run rendered for people and machines, from matrix.json's object (docs/matrix.md):
 * pure functions of it, so they can be rendered again from a kept matrix.json. */

#define MATRIX_SCHEMA "xbuild-matrix/1"

/* JUnit XML as GitLab, Jenkins and GitHub's test reporters read it: one testsuite, one
 * testcase per cell (classname xbuild.RECIPE[@VARIANT], name ARCH/STRATEGY), phases and paths as
 * properties, <failure> with the failing step's last lines, <skipped> with the plan's reason. */
char *matrix_report_junit(json_object *matrix);

/* One self-contained static HTML page: no script, no external resource. The grid coloured by
 * status, per-phase timing bars, artifacts with size and sha256, verification, links (relative)
 * to each cell's log and report, the comparisons across strategies and the regressions. */
char *matrix_report_html(json_object *matrix);
