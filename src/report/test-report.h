/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The functional test's outcome: report.json's "test" object (xbuild build --test) and the
 * body of OUT/NAME/ARCH/test-report.json (xbuild test). Pure data: functest fills it. The
 * fields are documented in docs/functional-test.md. */

enum test_check_status {
        TEST_CHECK_OK,
        TEST_CHECK_FAILED,
        TEST_CHECK_SKIPPED, /* an earlier check failed, or the recipe has no such part */
        _TEST_CHECK_STATUS_MAX,
        _TEST_CHECK_STATUS_INVALID = -22,
};
const char *test_check_status_to_string(enum test_check_status s);

/* The checks, in the order they run. */
enum test_check_id {
        TEST_CHECK_BOOT,    /* the VM booted its kernel and reached the job */
        TEST_CHECK_KCONFIG, /* the guest kernel against the recipe's kconfig profile */
        TEST_CHECK_SETUP,   /* artifacts installed, modules loaded, test rootfs made, clock */
        TEST_CHECK_DAEMON,  /* the daemon started and became ready */
        TEST_CHECK_IMAGE,   /* the test image was made */
        TEST_CHECK_RUN,     /* the container ran and exited 0 */
        TEST_CHECK_OUTPUT,  /* it printed the expected line */
        _TEST_CHECK_MAX,
        _TEST_CHECK_INVALID = -22,
};
const char *test_check_id_to_string(enum test_check_id c);

struct test_check {
        bool ran;                 /* false: not reached (reported as skipped) */
        enum test_check_status status;
        double seconds;           /* < 0: not timed */
        char *detail;             /* one line, or NULL */
};

struct test_result {
        const char *status;       /* passed, failed, error, interrupted */
        int exit_code;            /* enum xb_exit */
        char *error;              /* one line; NULL when passed */
        struct test_check checks[_TEST_CHECK_MAX];
        double vm_to_exit_s;      /* QEMU start to the container's exit; < 0: not reached */
        char *machine;            /* the guest's uname -m */
        char *kernel_release;     /* the guest's uname -r */
        char *kernel_package;     /* the .deb it came from */
        const char *cgroup;       /* v1, v2: as the recipe asked */
        char *cgroup_mounted;     /* v1, v2, none: what the guest had at setup */
        bool clock_known;
        long long clock_skew_s;   /* guest minus host at the setup step */
        json_object *kconfig;     /* kcheck_json() of the guest kernel, owned; NULL: no profile */
        char *kconfig_verdict;    /* ok, missing-required (NULL: no profile) */
        char *expected;           /* the line the container had to print */
        char *console_log, *daemon_log, *run_log;
        char *failed_tail;        /* the last lines that say why */
};

void test_result_clear(struct test_result *t);
/* A new JSON object (NULL: OOM). */
json_object *test_result_json(const struct test_result *t);
/* Writes DIR/test-report.json (the result with what was tested) atomically. */
int test_report_write(const struct test_result *t, const char *recipe, const char *arch, const char *artifacts_dir,
                      const char *dir, char **ret_path);
