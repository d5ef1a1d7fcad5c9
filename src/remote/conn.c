/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/copy.h"
#include "archive/extract.h"
#include "conn.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/rm-rf.h"
#include "core/strv.h"

/* The lock that makes a host ours for the build; key remote-SSH. wait: block until free. */
static int lock_host(const struct cache *cache, const char *ssh, bool wait, int *ret_fd) {
        _cleanup_free_ char *key = NULL;
        if (asprintf(&key, "remote-%s", ssh) < 0)
                return -ENOMEM;
        return wait ? cache_lock(cache, key, NULL, ret_fd) : cache_try_lock(cache, key, ret_fd);
}

int remote_conn_pick(struct remote_conn *c, const struct cache *cache, const struct remote_hosts *hosts,
                     const char *hosts_path, const char *host, enum xb_arch arch, struct xb_detail *err) {
        const struct remote_host *h = NULL;
        const char *file = hosts_path ? hosts_path : "hosts.yaml";
        int r;

        if (host && !(h = remote_hosts_find(hosts, host))) {
                if (ssh_target_parse(host, &c->target) < 0)
                        return xb_detail_set(err, -XB_E_USAGE, "--host '%s' is neither a host of %s nor [USER@]HOST[:PORT]",
                                             host, file);
                if (!(c->label = strdup(host)))
                        return -ENOMEM;
                return lock_host(cache, host, true, &c->lock_fd);
        }
        if (!h) {
                size_t n = remote_hosts_count_arch(hosts, arch);
                if (n == 0)
                        return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "No %s host: give --host USER@HOST or list hosts in %s",
                                             arch_to_string(arch), file);
                /* The first free one; when all are busy, wait for the first. */
                for (size_t i = 0; i < hosts->n && !h; i++)
                        if (hosts->hosts[i].arch == arch && lock_host(cache, hosts->hosts[i].ssh, false, &c->lock_fd) >= 0)
                                h = &hosts->hosts[i];
                for (size_t i = 0; i < hosts->n && !h; i++)
                        if (hosts->hosts[i].arch == arch) {
                                h = &hosts->hosts[i];
                                log_info("All %zu %s hosts are busy; waiting for %s", n, arch_to_string(arch), h->name);
                                if ((r = lock_host(cache, h->ssh, true, &c->lock_fd)) < 0)
                                        return r;
                        }
        }
        if (h->arch != arch)
                return xb_detail_set(err, -XB_E_USAGE, "Host '%s' builds %s, not %s (%s)", h->name, arch_to_string(h->arch),
                                     arch_to_string(arch), file);
        if (ssh_target_parse(h->ssh, &c->target) < 0 || asprintf(&c->label, "%s (%s)", h->name, h->ssh) < 0)
                return -ENOMEM;
        if (c->lock_fd < 0 && (r = lock_host(cache, h->ssh, true, &c->lock_fd)) < 0)
                return r;
        c->jobs = h->jobs;
        if (h->ssh_config && !(c->ssh_config = strdup(h->ssh_config)))
                return -ENOMEM;
        return 0;
}

int remote_conn_open(struct remote_conn *c, const char *ssh_config, bool accept_new, const char *log_path,
                     struct xb_detail *err) {
        (void) snprintf(c->control_dir, sizeof c->control_dir, "/tmp/xbuild-ssh-XXXXXX");
        if (!mkdtemp(c->control_dir)) {
                int r = -errno;
                c->control_dir[0] = 0;
                return xb_detail_set(err, r, "Failed to create a directory for ssh's control socket: %s", xb_strerror(r));
        }
        c->ssh = (struct ssh_opts){.target = &c->target, .config = ssh_config ? ssh_config : c->ssh_config,
                                   .control_dir = c->control_dir, .accept_new = accept_new};
        if (!(c->log_path = strdup(log_path)))
                return -ENOMEM;
        (void) unlink(c->log_path);
        return 0;
}

int remote_conn_close(struct remote_conn *c) {
        int r, ret = 0;

        if (c->control_dir[0]) {
                _cleanup_strv_free_ char **argv = NULL;
                if (ssh_exit_argv(&c->ssh, &argv) >= 0) {
                        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_NULL, .timeout_ms = 10000};
                        _cleanup_(spawn_result_clear) struct spawn_result res = {0};
                        (void) spawn_run(&req, &res);
                }
                /* Ours alone (mkdtemp, 0700): a master that exits after -O exit returned, or
                 * died with the connection, may still leave its socket in it. */
                if ((r = rm_rf(c->control_dir)) < 0 && r != -ENOENT)
                        ret = r;
        }
        if (c->lock_fd >= 0)
                (void) close(c->lock_fd);
        ssh_target_clear(&c->target);
        free(c->label);
        free(c->ssh_config);
        free(c->log_path);
        *c = (struct remote_conn){.lock_fd = -EBADF};
        return ret;
}

int remote_conn_run(struct remote_conn *c, const char *cmd, int stdin_fd, int stdout_fd, const char *log_path,
                    unsigned timeout_s, struct spawn_result *res) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if ((r = ssh_argv(&c->ssh, cmd, &argv)) < 0)
                return r;
        log_debug("ssh %s: %s", c->label, cmd);
        struct spawn_req req = {.argv = argv, .stdin_fd = stdin_fd, .stdout_fd = stdout_fd,
                                .output = stdout_fd >= 0 ? SPAWN_OUTPUT_FD : SPAWN_OUTPUT_CAPTURE,
                                .log_path = log_path ? log_path : c->log_path,
                                .echo = log_get_max_level() >= LOG_LEVEL_DEBUG, .log_prefix = "  ",
                                .timeout_ms = timeout_s * 1000U, .flags = SPAWN_NEW_PGRP};
        return spawn_run(&req, res);
}

int remote_conn_ssh_failure(const struct remote_conn *c, const char *doing, const struct spawn_result *res,
                            struct xb_detail *err) {
        const char *last;
        int len;

        spawn_result_last_line(res, &last, &len);
        if (ssh_is_host_key_error(res->tail))
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "The host key of %s is unknown or has changed: refused. Check it and add it to "
                                     "known_hosts, or pass --accept-new-host-key for a first connection (%s: %.*s)",
                                     c->label, doing, len, last);
        if (res->timed_out)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "Failed to %s on %s: no answer in time", doing, c->label);
        return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "Failed to %s on %s: ssh: %.*s", doing, c->label, len, last);
}

int remote_conn_simple(struct remote_conn *c, const char *doing, const char *cmd, int stdin_fd, unsigned timeout_s,
                       struct xb_detail *err) {
        _cleanup_(spawn_result_clear) struct spawn_result res = {0};
        char how[128];
        const char *last;
        int len, r = remote_conn_run(c, cmd, stdin_fd, -1, NULL, timeout_s, &res);

        if (r < 0)
                return xb_detail_set(err, r == -ENOENT ? -XB_E_NOT_AVAILABLE : r, "Failed to run ssh: %s", xb_strerror(r));
        if (res.exit_code == 255 || res.timed_out)
                return remote_conn_ssh_failure(c, doing, &res, err);
        if (res.exit_code == 0 && !res.signal)
                return 0;
        spawn_result_last_line(&res, &last, &len);
        return xb_detail_set(err, -EIO, "Failed to %s on %s: %s: %.*s", doing, c->label,
                             spawn_result_describe(&res, how, sizeof how), len, last);
}

int remote_conn_probe(struct remote_conn *c, char *const *deps, struct remote_facts *ret, struct xb_detail *err) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *cmd = NULL;
        _cleanup_(spawn_result_clear) struct spawn_result res = {0};
        int r;

        if (strv_extend(&words, "sh") < 0 || strv_extend(&words, "-c") < 0 || strv_extend(&words, remote_probe_script()) < 0 ||
            strv_extend(&words, "xbuild-probe") < 0 || strv_extend_strv(&words, deps) < 0 || !(cmd = shell_join(words)))
                return -ENOMEM;
        r = remote_conn_run(c, cmd, -1, -1, NULL, 120, &res);
        if (r < 0)
                return xb_detail_set(err, r == -ENOENT ? -XB_E_NOT_AVAILABLE : r, "Failed to run ssh: %s", xb_strerror(r));
        if (res.exit_code == 255 || res.timed_out || res.signal)
                return remote_conn_ssh_failure(c, "probe the host", &res, err);
        if (remote_probe_parse(res.tail, ret) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "%s answered the probe with nothing usable (is its login shell a POSIX sh?)", c->label);
        return 0;
}

int remote_write_env(const char *path, char *const *plan_env, long long epoch, unsigned jobs, bool low_memory) {
        _cleanup_strv_free_ char **env = strv_copy(plan_env);
        _cleanup_free_ char *text = NULL;
        char jobs_s[16];
        size_t n;
        FILE *f;

        (void) snprintf(jobs_s, sizeof jobs_s, "%u", low_memory ? 1 : jobs);
        if (!env || (epoch >= 0 && !strv_env_get(env, "SOURCE_DATE_EPOCH") && strv_extendf(&env, "SOURCE_DATE_EPOCH=%lld", epoch) < 0) ||
            strv_env_set(&env, "XB_JOBS", jobs_s) < 0 ||
            (low_memory && (strv_env_set(&env, "GOMAXPROCS", "1") < 0 || strv_env_set(&env, "MAKEFLAGS", "-j1") < 0)))
                return -ENOMEM;
        if (!(f = open_memstream(&text, &n)))
                return -ENOMEM;
        fputs("# xbuild remote step environment\n", f);
        STRV_FOREACH(e, env) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *q = eq ? shell_quote(eq + 1) : NULL;
                if (q)
                        fprintf(f, "export %.*s=%s\n", (int) (eq - *e), *e, q);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_text(path, text);
}

int remote_check_facts(const struct remote_facts *f, const char *label, enum xb_arch arch, const char *recipe,
                       unsigned long long memory_mib, char *const *deps, bool *ret_low_memory, struct xb_detail *err) {
        unsigned long long mem_mib = (f->mem_kb + f->swap_kb) / 1024;

        log_info("%s: %s, %u CPUs, %llu MiB RAM + %llu MiB swap, %llu MiB free disk", label, f->machine, f->cpus,
                 f->mem_kb / 1024, f->swap_kb / 1024, f->disk_free_kb / 1024);
        if (!remote_arch_matches(arch, f->machine))
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "%s is %s (uname -m): it cannot build %s natively. Pick a host of that architecture",
                                     label, f->machine, arch_to_string(arch));
        if (f->lacking_tools) {
                _cleanup_free_ char *l = strv_join(f->lacking_tools, ", ");
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "%s lacks %s, which a remote build needs (coreutils, tar)",
                                     label, strempty(l));
        }
        *ret_low_memory = memory_mib && mem_mib < memory_mib;
        if (*ret_low_memory)
                log_warning("%s has %llu MiB of RAM and swap; %s declares it needs %llu MiB: building with one job at a time "
                            "(XB_JOBS=1, GOMAXPROCS=1, MAKEFLAGS=-j1). Add swap on the board if it still runs out",
                            label, mem_mib, recipe, memory_mib);
        if (f->disk_free_kb && f->disk_free_kb < 1024 * 1024)
                log_warning("%s has only %llu MiB free in the login directory", label, f->disk_free_kb / 1024);
        if (deps && deps[0] && !f->has_dpkg)
                log_warning("%s has no dpkg: cannot check the build dependencies (%zu packages)", label, strv_length(deps));
        return 0;
}

int remote_conn_install_deps(struct remote_conn *c, char *const *pkgs, bool allowed, struct xb_detail *err) {
        _cleanup_free_ char *l = strv_join(pkgs, " "), *quoted = shell_join(pkgs), *cmd = NULL;

        if (!l || !quoted)
                return -ENOMEM;
        if (!allowed)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "%s lacks build dependencies: %s. Install them there, or pass --remote-install-deps",
                                     c->label, l);
        /* As root, or through sudo without a password prompt: BatchMode has no terminal. */
        if (asprintf(&cmd,
                     "if [ \"$(id -u)\" = 0 ]; then s=; else s='sudo -n'; fi; "
                     "DEBIAN_FRONTEND=noninteractive $s apt-get install -y --no-install-recommends -- %s",
                     quoted) < 0)
                return -ENOMEM;
        log_info("Installing on %s: %s", c->label, l);
        return remote_conn_simple(c, "install the build dependencies", cmd, -1, 3600, err);
}

int remote_conn_send_tree(struct remote_conn *c, const char *dir, const char *remote_dir, const char *tar,
                          struct xb_detail *err) {
        _cleanup_free_ char *qw = shell_quote(remote_dir), *cmd = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        int r;

        if (!qw || asprintf(&cmd, "mkdir -p %s && tar -C %s -xf -", qw, qw) < 0)
                return -ENOMEM;
        if ((r = archive_tar_tree(dir, tar, &e)) < 0)
                return xb_detail_set(err, r, "Failed to pack %s: %s", dir, xb_detail_text(&e, r));
        if ((fd = open(tar, O_RDONLY | O_CLOEXEC)) < 0)
                return r = -errno, xb_detail_set(err, r, "Failed to open '%s': %s", tar, xb_strerror(r));
        return remote_conn_simple(c, "send the source", cmd, fd, 3600, err);
}

int remote_conn_fetch_files(struct remote_conn *c, const char *remote_dir, char *const *paths, const char *tar,
                            const char *dest, struct xb_detail *err) {
        _cleanup_free_ char *qw = shell_quote(remote_dir), *qp = shell_join(paths), *cmd = NULL;
        _cleanup_(spawn_result_clear) struct spawn_result res = {0};
        _cleanup_close_ int fd = -EBADF;
        struct extract_opts eo = {0};
        struct extract_result er = {0};
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        int r;

        if (!qw || !qp || asprintf(&cmd, "cd %s && tar -cf - -- %s", qw, qp) < 0)
                return -ENOMEM;
        if ((fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
                return r = -errno, xb_detail_set(err, r, "Failed to create '%s': %s", tar, xb_strerror(r));
        if ((r = remote_conn_run(c, cmd, -1, fd, NULL, 3600, &res)) < 0)
                return xb_detail_set(err, r, "Failed to run ssh: %s", xb_strerror(r));
        if (res.exit_code == 255)
                return remote_conn_ssh_failure(c, "fetch the artifacts", &res, err);
        /* tar's own status is not fatal: the caller names a missing file. Extracted with the
         * same checks as any archive. */
        if ((r = archive_extract(tar, dest, &eo, &er, &e)) < 0)
                return xb_detail_set(err, r, "Failed to unpack the artifacts from %s: %s%s%s", c->label, er.entry,
                                     er.entry[0] ? ": " : "", xb_detail_text(&e, r));
        return 0;
}

void remote_conn_remove(struct remote_conn *c, const char *remote_dir) {
        _cleanup_free_ char *qw = shell_quote(remote_dir), *cmd = NULL;
        _cleanup_(spawn_result_clear) struct spawn_result res = {0};
        if (qw && asprintf(&cmd, "rm -rf -- %s", qw) >= 0 &&
            (remote_conn_run(c, cmd, -1, -1, NULL, 600, &res) < 0 || res.exit_code != 0 || res.signal))
                log_warning("Could not remove %s on %s now (the remote runner removes it when its connection is gone)",
                            remote_dir, c->label);
}
