/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "recipe/arch.h"

/* What an ARM host has, asked in one ssh round trip before anything is sent to it. */
struct remote_facts {
        char machine[32];              /* uname -m */
        unsigned cpus;
        unsigned long long mem_kb, swap_kb, disk_free_kb; /* disk: in the login directory */
        bool has_dpkg;
        char **lacking_tools;          /* of those the build needs on the host */
        char **missing_packages;       /* of the recipe's build_deps (Debian hosts) */
};
void remote_facts_clear(struct remote_facts *f);

/* The remote side: sh -c SCRIPT xbuild-probe PACKAGES... (the packages as arguments, so they
 * are data). */
const char *remote_probe_script(void);
/* Parses what the script printed. */
int remote_probe_parse(const char *text, struct remote_facts *ret);

/* Whether a host whose 'uname -m' is machine runs programs for a: armhf on ARMv7 or an
 * AArch32 ARMv8 kernel, armel on ARMv5 and later, arm64 on AArch64. */
bool remote_arch_matches(enum xb_arch a, const char *machine);

/* The remote runner of one step: sh runner.sh WORK TIMEOUT NN. The step runs under GNU
 * timeout (its own process group, killed whole when the time is up); the runner watches its
 * stdin, the ssh channel, and when it closes (the connection dropped, xbuild died) kills the
 * step's group and removes WORK, so a lost connection never leaves a build running. */
const char *remote_runner_script(void);
