/* SPDX-License-Identifier: MIT */
/* The remote strategy: a native build on an ARM host over ssh.
 *   pick a host (--host, or a free one of hosts.yaml for the arch) -> probe it (arch, memory,
 *   disk, tools, packages) -> source, steps, environment and runner as one tar stream into
 *   ~/.xbuild-work/ID -> each step under the runner -> artifacts back as a tar stream, extracted
 *   safely -> the remote work dir removed (always) -> verify. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/copy.h"
#include "archive/extract.h"
#include "build.h"
#include "chroot-root.h"
#include "chroot/session.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strv.h"
#include "fetch/source.h"
#include "remote/hosts.h"
#include "remote/probe.h"
#include "remote/ssh.h"
#include "report/build-report.h"
#include "rootfs/prepare.h"

struct remote_run {
        const struct build_ctx *ctx;
        struct ssh_target target;
        char *label;          /* how the host is named in messages */
        char *ssh_config;     /* hosts.yaml's ssh_config for the host */
        unsigned jobs;        /* hosts.yaml, 0: the probe's */
        int lock_fd;
        struct session *session;
        struct ssh_opts ssh;
        char *work;           /* remote, relative to the login directory */
        bool work_created;
        char *log_path;       /* ssh's own output during setup and cleanup */
        char control_dir[64]; /* the multiplexing socket's: a unix socket path has 108 bytes */
};

/* Runs one remote command. Returns 0 when ssh ran (res says how), -errno otherwise. */
static int ssh_run(struct remote_run *rr, const char *cmd, int stdin_fd, int stdout_fd, const char *log_path,
                   const char *prefix, unsigned timeout_s, void (*on_line)(void *, const char *), void *userdata,
                   struct spawn_result *res) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if ((r = ssh_argv(&rr->ssh, cmd, &argv)) < 0)
                return r;
        log_debug("ssh %s: %s", rr->label, cmd);
        struct spawn_req req = {.argv = argv, .stdin_fd = stdin_fd, .stdout_fd = stdout_fd,
                                .output = stdout_fd >= 0 ? SPAWN_OUTPUT_FD : SPAWN_OUTPUT_CAPTURE,
                                .log_path = log_path ? log_path : rr->log_path,
                                .echo = log_get_max_level() >= LOG_LEVEL_DEBUG, .log_prefix = prefix,
                                .timeout_ms = timeout_s * 1000U, .flags = SPAWN_NEW_PGRP, .on_line = on_line,
                                .userdata = userdata};
        return spawn_run(&req, res);
}

/* ssh's own failure (255), explained; an exit code. */
static int report_ssh_failure(const struct remote_run *rr, const char *doing, const struct spawn_result *res) {
        const char *last;
        int len;

        spawn_result_last_line(res, &last, &len);
        if (ssh_is_host_key_error(res->tail))
                log_error("The host key of %s is unknown or has changed: refused. Check it and add it to known_hosts, or pass "
                          "--accept-new-host-key for a first connection (%s: %.*s)",
                          rr->label, doing, len, last);
        else if (res->timed_out)
                log_error("Failed to %s on %s: no answer in time", doing, rr->label);
        else
                log_error("Failed to %s on %s: ssh: %.*s", doing, rr->label, len, last);
        return XB_EXIT_HOST_MISSING;
}

/* A simple command that must succeed; its failure is reported. */
static int ssh_simple(struct remote_run *rr, const char *doing, const char *cmd, int stdin_fd, unsigned timeout_s) {
        struct spawn_result res = {0};
        char how[128];
        int r = ssh_run(rr, cmd, stdin_fd, -1, NULL, "  ", timeout_s, NULL, NULL, &res);
        int ret = XB_EXIT_OK;

        if (r < 0) {
                log_error_errno(r, "Failed to run ssh: %m");
                ret = r == -ENOENT ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED;
        } else if (res.exit_code == 255 || res.timed_out)
                ret = report_ssh_failure(rr, doing, &res);
        else if (res.exit_code != 0 || res.signal) {
                const char *last;
                int len;
                spawn_result_last_line(&res, &last, &len);
                log_error("Failed to %s on %s: %s: %.*s", doing, rr->label, spawn_result_describe(&res, how, sizeof how), len, last);
                ret = XB_EXIT_BUILD_FAILED;
        }
        spawn_result_clear(&res);
        return ret;
}

/* --host (a hosts.yaml name or [USER@]HOST[:PORT]), or the first free host of the pool for
 * the arch, held with a lock for the whole build: one build per host at a time. */
static int pick_host(const struct build_ctx *ctx, struct remote_run *rr) {
        const struct remote_opts *o = ctx->remote;
        _cleanup_(remote_hosts_freep) struct remote_hosts *hosts = NULL;
        _cleanup_free_ char *path = NULL, *key = NULL;
        const struct remote_host *h = NULL;
        struct xb_diag d = {0};
        int r;

        if (o->hosts_file)
                path = strdup(o->hosts_file);
        else if (remote_hosts_default_path(&path) < 0)
                path = NULL;
        if (path) {
                r = remote_hosts_load(path, &hosts, &d);
                if (r < 0 && r != -ENOENT) {
                        char buf[1600];
                        if (d.msg[0])
                                log_error("%s", diag_format(&d, buf, sizeof buf));
                        else
                                log_error_errno(r, "Failed to read '%s': %m", path);
                        return XB_EXIT_BAD_INPUT;
                }
                if (r == -ENOENT && o->hosts_file)
                        return log_error("Hosts file '%s' does not exist", path), XB_EXIT_BAD_INPUT;
        }
        if (o->host) {
                h = remote_hosts_find(hosts, o->host);
                if (!h) {
                        if (ssh_target_parse(o->host, &rr->target) < 0)
                                return log_error("--host '%s' is neither a host of %s nor [USER@]HOST[:PORT]", o->host,
                                                 path ? path : "hosts.yaml"),
                                       XB_EXIT_BAD_INPUT;
                        if (!(rr->label = strdup(o->host)) || asprintf(&key, "remote-%s", o->host) < 0)
                                return XB_EXIT_BUILD_FAILED;
                        rr->lock_fd = -EBADF;
                        return cache_lock(ctx->cache, key, NULL, &rr->lock_fd) < 0 ? XB_EXIT_BUILD_FAILED : XB_EXIT_OK;
                }
        } else {
                size_t n = remote_hosts_count_arch(hosts, ctx->plan->arch);
                if (n == 0)
                        return log_error("No %s host: give --host USER@HOST or list hosts in %s", arch_to_string(ctx->plan->arch),
                                         path ? path : "hosts.yaml"),
                               XB_EXIT_HOST_MISSING;
                /* The first free one; when all are busy, wait for the first. */
                for (size_t i = 0; i < hosts->n && !h; i++) {
                        if (hosts->hosts[i].arch != ctx->plan->arch)
                                continue;
                        free(key);
                        key = NULL;
                        if (asprintf(&key, "remote-%s", hosts->hosts[i].ssh) < 0)
                                return XB_EXIT_BUILD_FAILED;
                        if (cache_try_lock(ctx->cache, key, &rr->lock_fd) >= 0)
                                h = &hosts->hosts[i];
                }
                if (!h) {
                        for (size_t i = 0; i < hosts->n && !h; i++)
                                if (hosts->hosts[i].arch == ctx->plan->arch)
                                        h = &hosts->hosts[i];
                        log_info("All %zu %s hosts are busy; waiting for %s", n, arch_to_string(ctx->plan->arch), h->name);
                        free(key);
                        key = NULL;
                        if (asprintf(&key, "remote-%s", h->ssh) < 0 || cache_lock(ctx->cache, key, NULL, &rr->lock_fd) < 0)
                                return XB_EXIT_BUILD_FAILED;
                }
        }
        if (h->arch != ctx->plan->arch)
                return log_error("Host '%s' builds %s, not %s (%s)", h->name, arch_to_string(h->arch),
                                 arch_to_string(ctx->plan->arch), hosts->path),
                       XB_EXIT_BAD_INPUT;
        if (ssh_target_parse(h->ssh, &rr->target) < 0 || asprintf(&rr->label, "%s (%s)", h->name, h->ssh) < 0)
                return XB_EXIT_BUILD_FAILED;
        if (o->host && rr->lock_fd < 0) {
                if (asprintf(&key, "remote-%s", h->ssh) < 0 || cache_lock(ctx->cache, key, NULL, &rr->lock_fd) < 0)
                        return XB_EXIT_BUILD_FAILED;
        }
        rr->jobs = h->jobs;
        if (h->ssh_config && !(rr->ssh_config = strdup(h->ssh_config)))
                return XB_EXIT_BUILD_FAILED;
        return XB_EXIT_OK;
}

static int probe_host(struct remote_run *rr, char *const *deps, struct remote_facts *facts) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *cmd = NULL;
        struct spawn_result res = {0};
        int r;

        if (strv_extend(&words, "sh") < 0 || strv_extend(&words, "-c") < 0 || strv_extend(&words, remote_probe_script()) < 0 ||
            strv_extend(&words, "xbuild-probe") < 0 || strv_extend_strv(&words, deps) < 0 || !(cmd = shell_join(words)))
                return XB_EXIT_BUILD_FAILED;
        r = ssh_run(rr, cmd, -1, -1, NULL, "  ", 120, NULL, NULL, &res);
        if (r < 0) {
                log_error_errno(r, "Failed to run ssh: %m");
                return r == -ENOENT ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED;
        }
        if (res.exit_code == 255 || res.timed_out || res.signal) {
                int ret = report_ssh_failure(rr, "probe the host", &res);
                spawn_result_clear(&res);
                return ret;
        }
        r = remote_probe_parse(res.tail, facts);
        spawn_result_clear(&res);
        if (r < 0) {
                log_error("%s answered the probe with nothing usable (is its login shell a POSIX sh?)", rr->label);
                return XB_EXIT_HOST_MISSING;
        }
        return XB_EXIT_OK;
}

/* The environment of the steps: the plan's, and the host's limits. Values single-quoted. */
static int write_env(const char *path, const struct plan *p, long long epoch, unsigned jobs, bool low_memory) {
        _cleanup_strv_free_ char **env = strv_copy(p->env);
        _cleanup_free_ char *text = NULL;
        size_t n;
        FILE *f;

        if (!env || (epoch >= 0 && !strv_env_get(env, "SOURCE_DATE_EPOCH") && strv_extendf(&env, "SOURCE_DATE_EPOCH=%lld", epoch) < 0) ||
            strv_extendf(&env, "XB_JOBS=%u", low_memory ? 1 : jobs) < 0 ||
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

int strategy_remote_build(const struct build_ctx *ctx) {
        const struct recipe *rc = ctx->recipe;
        const struct plan *p = ctx->plan;
        struct remote_run rr = {.ctx = ctx, .lock_fd = -EBADF};
        struct remote_facts facts = {0};
        struct source_result sr = {0};
        struct build_timer timer;
        _cleanup_free_ char *job = NULL, *src = NULL, *steps = NULL, *envf = NULL, *runner = NULL, *upload = NULL,
                            *fetched_tar = NULL, *fetched = NULL, *logs = NULL, *sysroot = NULL;
        char msg[512], prefix[96];
        int r, ret;

        build_timer_start(&timer);

        if ((ret = pick_host(ctx, &rr)) != XB_EXIT_OK)
                goto finish;
        if ((r = session_create(ctx->cache->root, &rr.session)) < 0) {
                log_error_errno(r, "Failed to create a session: %m");
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        (void) snprintf(rr.control_dir, sizeof rr.control_dir, "/tmp/xbuild-ssh-XXXXXX");
        if (!mkdtemp(rr.control_dir)) {
                log_error_errno(-errno, "Failed to create a directory for ssh's control socket: %m");
                rr.control_dir[0] = 0;
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        rr.ssh = (struct ssh_opts){.target = &rr.target, .config = ctx->remote->ssh_config ? ctx->remote->ssh_config : rr.ssh_config,
                                   .control_dir = rr.control_dir, .accept_new = ctx->remote->accept_new_host_key};
        if (!(logs = path_join(ctx->log_dir, "ssh.log"))) {
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        (void) unlink(logs);
        rr.log_path = logs;

        /* Probe: the right arch, enough memory and disk, the tools and packages. */
        log_info("Probing %s", rr.label);
        if ((ret = probe_host(&rr, p->build_deps, &facts)) != XB_EXIT_OK)
                goto finish;
        unsigned long long mem_mib = (facts.mem_kb + facts.swap_kb) / 1024;
        log_info("%s: %s, %u CPUs, %llu MiB RAM + %llu MiB swap, %llu MiB free disk", rr.label, facts.machine, facts.cpus,
                 facts.mem_kb / 1024, facts.swap_kb / 1024, facts.disk_free_kb / 1024);
        if (!remote_arch_matches(p->arch, facts.machine)) {
                log_error("%s is %s (uname -m): it cannot build %s natively. Pick a host of that architecture", rr.label,
                          facts.machine, arch_to_string(p->arch));
                ret = XB_EXIT_HOST_MISSING;
                goto finish;
        }
        if (facts.lacking_tools) {
                _cleanup_free_ char *l = strv_join(facts.lacking_tools, ", ");
                log_error("%s lacks %s, which a remote build needs (coreutils, tar)", rr.label, strempty(l));
                ret = XB_EXIT_HOST_MISSING;
                goto finish;
        }
        bool low_memory = rc->memory_mib && mem_mib < rc->memory_mib;
        if (low_memory)
                log_warning("%s has %llu MiB of RAM and swap; %s declares it needs %llu MiB: building with one job at a time "
                            "(XB_JOBS=1, GOMAXPROCS=1, MAKEFLAGS=-j1). Add swap on the board if it still runs out",
                            rr.label, mem_mib, rc->name, rc->memory_mib);
        if (facts.disk_free_kb && facts.disk_free_kb < 1024 * 1024)
                log_warning("%s has only %llu MiB free in the login directory", rr.label, facts.disk_free_kb / 1024);
        if (p->build_deps && p->build_deps[0] && !facts.has_dpkg)
                log_warning("%s has no dpkg: cannot check the build dependencies (%zu packages)", rr.label, strv_length(p->build_deps));
        if (facts.missing_packages) {
                _cleanup_free_ char *l = strv_join(facts.missing_packages, " ");
                if (!ctx->remote->install_deps) {
                        log_error("%s lacks build dependencies: %s. Install them there, or pass --remote-install-deps", rr.label,
                                  strempty(l));
                        ret = XB_EXIT_HOST_MISSING;
                        goto finish;
                }
                _cleanup_free_ char *pk = shell_join(facts.missing_packages), *cmd = NULL;
                /* As root, or through sudo without a password prompt: BatchMode has no terminal. */
                if (!pk || asprintf(&cmd,
                                    "if [ \"$(id -u)\" = 0 ]; then s=; else s='sudo -n'; fi; "
                                    "DEBIAN_FRONTEND=noninteractive $s apt-get install -y --no-install-recommends -- %s",
                                    pk) < 0) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                log_info("Installing on %s: %s", rr.label, strempty(l));
                if ((ret = ssh_simple(&rr, "install the build dependencies", cmd, -1, 3600)) != XB_EXIT_OK)
                        goto finish;
        }
        build_timer_mark(&timer, "probe");

        /* The job, locally: source, steps, environment, runner; then one tar stream. */
        if (!(job = path_join(rr.session->dir, "job")) || !(src = path_join(job, "src")) || !(steps = path_join(job, "steps")) ||
            !(envf = path_join(job, "env.sh")) || !(runner = path_join(job, "runner.sh")) ||
            !(upload = path_join(rr.session->dir, "upload.tar")) || !(fetched_tar = path_join(rr.session->dir, "artifacts.tar")) ||
            !(fetched = path_join(rr.session->dir, "fetched"))) {
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        if (mkdir(job, 0755) < 0) {
                log_error_errno(-errno, "Failed to create '%s': %m", job);
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        if ((ret = build_prepare_source(ctx, src, &sr)) != XB_EXIT_OK)
                goto finish;
        unsigned jobs = rr.jobs ? rr.jobs : facts.cpus ? facts.cpus : 1;
        if (mkdir(steps, 0755) < 0 || (r = build_write_steps(p->steps, steps)) < 0 ||
            (r = write_env(envf, p, sr.epoch, jobs, low_memory)) < 0 || (r = write_file_text(runner, remote_runner_script())) < 0 ||
            (msg[0] = 0, r = archive_tar_tree(job, upload, msg, sizeof msg)) < 0) {
                log_error("Failed to prepare the job: %s", msg[0] ? msg : r < 0 ? xb_strerror(r) : strerror(errno));
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        unsigned char rnd[6];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd ||
            asprintf(&rr.work, ".xbuild-work/%s-%s-%02x%02x%02x%02x%02x%02x", rc->name, arch_to_string(p->arch), rnd[0], rnd[1],
                     rnd[2], rnd[3], rnd[4], rnd[5]) < 0) {
                ret = XB_EXIT_BUILD_FAILED;
                goto finish;
        }
        {
                _cleanup_free_ char *qw = shell_quote(rr.work), *cmd = NULL;
                _cleanup_close_ int fd = open(upload, O_RDONLY | O_CLOEXEC);
                if (!qw || fd < 0 || asprintf(&cmd, "mkdir -p %s && tar -C %s -xf -", qw, qw) < 0) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                rr.work_created = true;
                log_info("Sending the source to %s:%s", rr.label, rr.work);
                if ((ret = ssh_simple(&rr, "send the source", cmd, fd, 3600)) != XB_EXIT_OK)
                        goto finish;
        }
        build_timer_mark(&timer, "source");

        /* The steps. stdin of each is a pipe we hold: the runner's lifeline. */
        (void) snprintf(prefix, sizeof prefix, "[%s %s remote] ", rc->name, arch_to_string(p->arch));
        size_t n_steps = strv_length(p->steps);
        for (size_t i = 0; i < n_steps; i++) {
                _cleanup_free_ char *logname = NULL, *log_path = NULL, *cmd = NULL, *qw = shell_quote(rr.work);
                struct spawn_result res = {0};
                long long t0 = build_now_ms();
                int lifeline[2];

                if (signals_interrupted()) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                if (!qw || asprintf(&logname, "step-%02zu.log", i + 1) < 0 || !(log_path = path_join(ctx->log_dir, logname)) ||
                    asprintf(&cmd, "sh %s/runner.sh %s %u %02zu", qw, qw, rc->timeout, i + 1) < 0 || pipe2(lifeline, O_CLOEXEC) < 0) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                (void) unlink(log_path);
                log_info("Step %zu/%zu: %s", i + 1, n_steps, p->steps[i]);
                r = ssh_run(&rr, cmd, lifeline[0], -1, log_path, prefix, rc->timeout + 60, NULL, NULL, &res);
                (void) close(lifeline[0]);
                (void) close(lifeline[1]);
                if (r >= 0 && res.exit_code == 255) {
                        const char *last;
                        int len;
                        spawn_result_last_line(&res, &last, &len);
                        log_error("Lost the connection to %s during step %zu (ssh: %.*s); the host stops the step and removes "
                                  "its work directory by itself",
                                  rr.label, i + 1, len, last);
                        spawn_result_clear(&res);
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                if ((ret = build_step_finished(r, i + 1, n_steps, &res, log_path, t0)) != XB_EXIT_OK)
                        goto finish;
        }
        build_timer_mark(&timer, "steps");

        /* Artifacts back as a tar stream, extracted with the same checks as any archive. */
        {
                _cleanup_strv_free_ char **words = NULL;
                _cleanup_free_ char *qw = shell_quote(rr.work), *paths = NULL, *cmd = NULL;
                for (size_t i = 0; i < p->n_artifacts; i++)
                        if (strv_extend(&words, p->artifacts[i].path) < 0) {
                                ret = XB_EXIT_BUILD_FAILED;
                                goto finish;
                        }
                _cleanup_close_ int fd = open(fetched_tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (!qw || fd < 0 || !(paths = shell_join(words)) ||
                    asprintf(&cmd, "cd %s/src && tar -cf - -- %s", qw, paths) < 0) {
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
                struct spawn_result res = {0};
                r = ssh_run(&rr, cmd, -1, fd, NULL, "  ", 3600, NULL, NULL, &res);
                if (r < 0 || res.exit_code == 255) {
                        ret = r < 0 ? XB_EXIT_BUILD_FAILED : report_ssh_failure(&rr, "fetch the artifacts", &res);
                        spawn_result_clear(&res);
                        goto finish;
                }
                /* tar's status is not fatal: a missing artifact is named below. */
                spawn_result_clear(&res);
                struct extract_opts eo = {0};
                struct extract_result er = {0};
                if ((r = archive_extract(fetched_tar, fetched, &eo, &er)) < 0) {
                        log_error("Failed to unpack the artifacts from %s: %s%s%s", rr.label, er.entry, er.entry[0] ? ": " : "",
                                  er.msg[0] ? er.msg : xb_strerror(r));
                        ret = XB_EXIT_BUILD_FAILED;
                        goto finish;
                }
        }
        ret = build_collect_artifacts(ctx, fetched);
        build_timer_mark(&timer, "collect");
        if (ret == XB_EXIT_OK) {
                /* Dynamic executables: the recipe's ARM rootfs as the sysroot when it is prepared. */
                if (ctx->rootfs && rootfs_is_prepared(ctx->cache, ctx->rootfs, p->arch)) {
                        _cleanup_free_ char *entry = NULL;
                        if (rootfs_entry_dir(ctx->cache, ctx->rootfs, p->arch, &entry) >= 0)
                                sysroot = path_join(entry, "tree");
                }
                _cleanup_strv_free_ char **where = NULL;
                if (strv_extendf(&where, "kind=remote") < 0 || strv_extendf(&where, "host=%s", rr.label) < 0 ||
                    strv_extendf(&where, "machine=%s", facts.machine) < 0 || strv_extendf(&where, "cpus=%u", facts.cpus) < 0 ||
                    strv_extendf(&where, "memory_mib=%llu", facts.mem_kb / 1024) < 0 ||
                    strv_extendf(&where, "swap_mib=%llu", facts.swap_kb / 1024) < 0 || strv_extendf(&where, "jobs=%u", low_memory ? 1 : jobs) < 0)
                        ret = XB_EXIT_BUILD_FAILED;
                else
                        ret = build_verify_and_report(ctx, sysroot, rc->source.kind == SOURCE_GIT ? rc->source.commit : NULL,
                                                      sr.epoch, NULL, where, timer.phases, timer.n);
        }

finish:
        if (rr.work_created) {
                _cleanup_free_ char *qw = shell_quote(rr.work), *cmd = NULL;
                if (qw && asprintf(&cmd, "rm -rf -- %s", qw) >= 0) {
                        struct spawn_result res = {0};
                        r = ssh_run(&rr, cmd, -1, -1, NULL, "  ", 600, NULL, NULL, &res);
                        if (r < 0 || res.exit_code != 0 || res.signal) {
                                log_warning("Could not remove %s on %s now (the remote runner removes it when its "
                                            "connection is gone)",
                                            rr.work, rr.label);
                        }
                        spawn_result_clear(&res);
                }
        }
        if (rr.session) {
                _cleanup_strv_free_ char **argv = NULL;
                if (ssh_exit_argv(&rr.ssh, &argv) >= 0) {
                        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_NULL, .timeout_ms = 10000};
                        struct spawn_result res = {0};
                        (void) spawn_run(&req, &res);
                        spawn_result_clear(&res);
                }
                /* Ours alone (mkdtemp, 0700): a master that exits after -O exit returned, or died
                 * with the connection, may still leave its socket in it. */
                if (rr.control_dir[0] && (r = rm_rf(rr.control_dir)) < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to remove %s: %m", rr.control_dir);
                r = session_destroy(rr.session, ctx->keep);
                if (ctx->keep)
                        log_info("Session kept in %s", rr.session->dir);
                else if (r < 0) {
                        log_error_errno(r, "Failed to remove the session %s: %m", rr.session->dir);
                        if (ret == XB_EXIT_OK)
                                ret = XB_EXIT_CLEANUP_INCOMPLETE;
                }
                session_free(rr.session);
        }
        if (rr.lock_fd >= 0)
                (void) close(rr.lock_fd);
        remote_facts_clear(&facts);
        source_result_clear(&sr);
        ssh_target_clear(&rr.target);
        free(rr.label);
        free(rr.work);
        free(rr.ssh_config);
        return ret;
}
