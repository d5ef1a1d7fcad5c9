/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "core/diag.h"
#include "core/macro.h"
#include "recipe/arch.h"

/* The user's ARM build hosts, $XDG_CONFIG_HOME/xbuild/hosts.yaml (or --hosts FILE):
 *
 *   hosts:
 *     - name: odroid              # a lowercase name, unique
 *       ssh: builder@odroid:22    # [USER@]HOST[:PORT]
 *       arch: armhf               # what it builds
 *       memory: 2G                # optional: RAM + swap to plan with when the probe cannot tell
 *       jobs: 4                   # optional: parallel jobs (default: its CPUs)
 *       ssh_config: ~/.ssh/odroid.conf   # optional: ssh -F (relative: to this file)
 *
 * With several hosts, builds are spread over them: one build per host at a time. */
struct remote_host {
        char *name;
        char *ssh;
        enum xb_arch arch;
        unsigned long long memory_mib; /* 0: unknown */
        unsigned jobs;                 /* 0: the host's CPUs */
        char *ssh_config;              /* absolute, or NULL */
};

struct remote_hosts {
        char *path;
        struct remote_host *hosts;
        size_t n;
};

struct remote_hosts *remote_hosts_free(struct remote_hosts *h);
DEFINE_FREEP(struct remote_hosts, remote_hosts_free)

/* The default file: $XDG_CONFIG_HOME/xbuild/hosts.yaml or ~/.config/xbuild/hosts.yaml. */
int remote_hosts_default_path(char **ret);
int remote_hosts_parse(const char *data, size_t size, const char *filename, struct remote_hosts **ret,
                       struct xb_diag *reterr);
/* -ENOENT when the file does not exist. */
int remote_hosts_load(const char *path, struct remote_hosts **ret, struct xb_diag *reterr);
const struct remote_host *remote_hosts_find(const struct remote_hosts *h, const char *name);
size_t remote_hosts_count_arch(const struct remote_hosts *h, enum xb_arch a);
