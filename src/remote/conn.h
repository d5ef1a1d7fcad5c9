/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/errors.h"
#include "core/spawn.h"
#include "fetch/cache.h"
#include "hosts.h"
#include "probe.h"
#include "ssh.h"

/* A build host for the length of one build: chosen (a name from hosts.yaml, [USER@]HOST[:PORT],
 * or the first free host of the pool for the arch), locked in the cache so one build uses it
 * at a time, reached through one multiplexed ssh connection whose control socket lives in a
 * private directory. Errors: negative codes with err saying why; -XB_E_USAGE for a host that
 * cannot be (exit 2), -XB_E_NOT_AVAILABLE for one that cannot build (exit 4). */
struct remote_conn {
        struct ssh_target target;
        char *label;          /* how the host is named in messages */
        char *ssh_config;     /* hosts.yaml's ssh_config for the host */
        unsigned jobs;        /* hosts.yaml, 0: not said */
        int lock_fd;
        struct ssh_opts ssh;
        char *log_path;       /* ssh's own output outside the steps */
        char control_dir[64]; /* a unix socket path has 108 bytes */
};

/* host: --host, NULL: the pool. hosts/hosts_path: hosts.yaml as loaded (NULL: none). */
int remote_conn_pick(struct remote_conn *c, const struct cache *cache, const struct remote_hosts *hosts,
                     const char *hosts_path, const char *host, enum xb_arch arch, struct xb_detail *err);
/* ssh_config: --ssh-config (over hosts.yaml's); log_path: where ssh's own lines go. */
int remote_conn_open(struct remote_conn *c, const char *ssh_config, bool accept_new, const char *log_path,
                     struct xb_detail *err);
/* Stops the master, removes the control directory, drops the lock, frees. Safe on a zeroed
 * or half-opened c (lock_fd must be -EBADF or a lock). */
int remote_conn_close(struct remote_conn *c);

/* Runs one remote command (ssh's output captured into log_path, or the connection's log).
 * 0 when ssh ran (res says how), -errno when it could not be started. */
int remote_conn_run(struct remote_conn *c, const char *cmd, int stdin_fd, int stdout_fd, const char *log_path,
                    unsigned timeout_s, struct spawn_result *res);
/* A command that must succeed: every failure explained in err. */
int remote_conn_simple(struct remote_conn *c, const char *doing, const char *cmd, int stdin_fd, unsigned timeout_s,
                       struct xb_detail *err);
/* ssh's own failure (255 or no answer), explained: -XB_E_NOT_AVAILABLE. */
int remote_conn_ssh_failure(const struct remote_conn *c, const char *doing, const struct spawn_result *res,
                            struct xb_detail *err);

/* The host's facts in one round trip (deps: the build_deps to look for). */
int remote_conn_probe(struct remote_conn *c, char *const *deps, struct remote_facts *ret, struct xb_detail *err);

/* dir packed into tar (a local path), unpacked on the host into remote_dir. */
int remote_conn_send_tree(struct remote_conn *c, const char *dir, const char *remote_dir, const char *tar,
                          struct xb_detail *err);
/* paths (relative to remote_dir on the host) back through tar into dest, safely extracted. */
int remote_conn_fetch_files(struct remote_conn *c, const char *remote_dir, char *const *paths, const char *tar,
                            const char *dest, struct xb_detail *err);
/* rm -rf on the host; a failure is a warning (the runner removes its work dir by itself). */
void remote_conn_remove(struct remote_conn *c, const char *remote_dir);

/* Whether the probed host can build for arch: the right machine and tools (else
 * -XB_E_NOT_AVAILABLE); warns about memory below what the recipe declares (then
 * *ret_low_memory), little disk, no dpkg to check deps with. */
int remote_check_facts(const struct remote_facts *f, const char *label, enum xb_arch arch, const char *recipe,
                       unsigned long long memory_mib, char *const *deps, bool *ret_low_memory, struct xb_detail *err);

/* Installs the packages with apt-get on the host (as root, or sudo -n) when allowed; else
 * -XB_E_NOT_AVAILABLE naming them. */
int remote_conn_install_deps(struct remote_conn *c, char *const *pkgs, bool allowed, struct xb_detail *err);

/* The steps' environment file: env over the host's limits (XB_JOBS, and one job at a time
 * when low on memory), SOURCE_DATE_EPOCH; values single-quoted. */
int remote_write_env(const char *path, char *const *env, long long epoch, unsigned jobs, bool low_memory);
