/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/diag.h"
#include "core/macro.h"
#include "ydoc.h"

/* A recipe's functional test (the 'test:' section): the proof that the built engine runs
 * containers, in the ARM VM. Documented in docs/recipe-reference.md and docs/functional-test.md.
 * The scripts are shell text run by /bin/sh inside the guest, never on the host. */

enum recipe_cgroup {
        RECIPE_CGROUP_V2, /* the unified hierarchy at /sys/fs/cgroup (modern engines) */
        RECIPE_CGROUP_V1, /* one hierarchy per controller, as cgroupfs-mount does (Docker 1.10) */
        _RECIPE_CGROUP_MAX,
        _RECIPE_CGROUP_INVALID = -22,
};
const char *recipe_cgroup_to_string(enum recipe_cgroup c);

#define RECIPE_TEST_DEFAULT_TIMEOUT 120U
#define RECIPE_TEST_DEFAULT_READY_TIMEOUT 60U

struct recipe_test {
        char **deps;            /* packages over the recipe's rootfs in the test VM's root */
        char **modules;         /* loaded with the guest's modprobe before the daemon starts */
        enum recipe_cgroup cgroup;
        unsigned long long memory_mib; /* 0: the VM's default */
        char *daemon;           /* started in the background; NULL: the engine has no daemon */
        char *ready;            /* with daemon: exits 0 once the daemon serves */
        unsigned ready_timeout; /* seconds */
        char *image;            /* makes the test image from $XB_TEST_ROOTFS / $XB_TEST_IMAGE; NULL: none */
        char *run;              /* runs the container */
        char *expect;           /* a line the run must print, may use ${var} */
        unsigned timeout;       /* seconds for the image and for the run, each */
};

void recipe_test_clear(struct recipe_test *t);
struct recipe_test *recipe_test_free(struct recipe_test *t);
DEFINE_FREEP(struct recipe_test, recipe_test_free)

/* Decodes the 'test' mapping. Returns 0, -ENOMEM or -XB_E_RECIPE_VALUE with d at the node. */
int recipe_test_parse(const struct ynode *n, struct recipe_test **ret, struct xb_diag *d);

/* A kernel module name as modprobe takes it. */
bool recipe_test_module_name_ok(const char *s);
