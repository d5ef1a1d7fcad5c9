/* SPDX-License-Identifier: MIT */
/* The remote strategy: a native build on an ARM host over ssh (remote/conn.c holds the host).
 * prepare: pick the host, probe it (arch, memory, disk, tools, packages); stage: source,
 * steps, environment and runner as one tar stream into the plan's work directory (the parent
 * of XB_SRCDIR, relative to the login directory); each step under the runner, whose stdin is
 * our lifeline; artifacts back as a tar stream, extracted safely; teardown: the remote work
 * directory removed, the ssh master stopped. */
#include <fcntl.h>
#include <string.h>

#include "chroot/session.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/signals.h"
#include "core/strv.h"
#include "pipeline.h"
#include "remote/conn.h"
#include "rootfs/prepare.h"

struct remote_build {
        bool prepared;        /* conn was initialised */
        struct remote_conn conn;
        struct remote_facts facts;
        bool low_memory;
        char *work;           /* remote, relative to the login directory */
        bool work_created;
        char *fetched;        /* SESSION/fetched: the artifacts' tree */
        char *sysroot[2]; /* the prepared rootfs's tree, as one layer */
};

static unsigned remote_jobs(const struct remote_build *rb) {
        return rb->low_memory ? 1 : rb->conn.jobs ? rb->conn.jobs : rb->facts.cpus ? rb->facts.cpus : 1;
}

static int remote_prepare(struct build_job *job) {
        struct remote_build *rb = job->priv;
        const struct plan *p = job->plan;
        const struct recipe *rc = job->recipe;
        const struct remote_opts *o = job->opts->remote;
        struct remote_facts *facts = &rb->facts;
        _cleanup_free_ char *log_path = build_log_path(job, "ssh.log");
        struct xb_detail e = {0};
        int r;

        rb->prepared = true;
        rb->conn.lock_fd = -EBADF;
        build_phase_begin(job, "probe");
        if (!log_path || !(rb->work = strdup(p->work_dir)))
                return -ENOMEM;
        if ((r = remote_conn_pick(&rb->conn, job->cache, o->hosts, o->hosts_path, o->host, p->arch, &e)) < 0 ||
            (r = remote_conn_open(&rb->conn, o->ssh_config, o->accept_new_host_key, log_path, &e)) < 0)
                return build_fail_error(job, r, &e);

        /* Probe: the right arch, enough memory and disk, the tools and packages. */
        log_info("Probing %s", rb->conn.label);
        if ((r = remote_conn_probe(&rb->conn, p->build_deps, facts, &e)) < 0)
                return build_fail_error(job, r, &e);
        if ((r = remote_check_facts(facts, rb->conn.label, p->arch, rc->name, rc->memory_mib, p->build_deps, &rb->low_memory,
                                    &e)) < 0)
                return build_fail_error(job, r, &e);
        if (!facts->missing_packages)
                return 0;
        if ((r = remote_conn_install_deps(&rb->conn, facts->missing_packages, o->install_deps, &e)) < 0)
                return build_fail_error(job, r, &e);
        return 0;
}

/* Environment and runner beside the source and the steps, all as one tar stream. */
static int remote_stage(struct build_job *job) {
        struct remote_build *rb = job->priv;
        _cleanup_free_ char *dir = path_dirname(job->src_dir), *envf = NULL, *runner = NULL, *upload = NULL;
        struct xb_detail e = {0};
        int r;

        if (!dir || !(envf = path_join(dir, "env.sh")) || !(runner = path_join(dir, "runner.sh")) ||
            !(upload = path_join(job->session->dir, "upload.tar")))
                return -ENOMEM;
        if ((r = remote_write_env(envf, job->plan->env, job->source.epoch, remote_jobs(rb), rb->low_memory)) < 0 ||
            (r = write_file_text(runner, remote_runner_script())) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to write the job in %s: %m", dir);
        rb->work_created = true;
        log_info("Sending the source to %s:%s", rb->conn.label, rb->work);
        if ((r = remote_conn_send_tree(&rb->conn, dir, rb->work, upload, &e)) < 0)
                return build_fail_error(job, r, &e);
        return 0;
}

static int remote_run_step(struct build_job *job, struct build_step *st) {
        struct remote_build *rb = job->priv;
        _cleanup_free_ char *cmd = NULL, *qw = shell_quote(rb->work);
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_close_ int life_rd = -EBADF, life_wr = -EBADF;
        int lifeline[2], r;

        if (!qw || asprintf(&cmd, "sh %s/runner.sh %s %u %02zu", qw, qw, st->timeout_s, st->index) < 0)
                return -ENOMEM;
        if (pipe2(lifeline, O_CLOEXEC) < 0)
                return -errno;
        life_rd = lifeline[0], life_wr = lifeline[1];
        if ((r = ssh_argv(&rb->conn.ssh, cmd, &argv)) < 0)
                return r;
        /* stdin is a pipe we hold: the runner stops the step when it closes. */
        struct spawn_req req = {.argv = argv, .stdin_fd = life_rd};
        build_step_spawn_io(job, &req);
        req.timeout_ms = (st->timeout_s + 60) * 1000U;
        r = spawn_run(&req, &st->result);
        /* ssh's 255 (the runner never passes a step's 255 on); after ^C it is ours. */
        if (r >= 0 && st->result.exit_code == 255 && !st->result.signal && !signals_interrupted()) {
                const char *last;
                int len;
                spawn_result_last_line(&st->result, &last, &len);
                return build_fail(job, XB_EXIT_BUILD_FAILED,
                                  "Lost the connection to %s during step %zu (ssh: %.*s); the host stops the step and removes "
                                  "its work directory by itself",
                                  rb->conn.label, st->index, len, last);
        }
        return r;
}

/* Artifacts back as a tar stream into SESSION/fetched. */
static int remote_fetch_artifacts(struct build_job *job, const char **ret) {
        struct remote_build *rb = job->priv;
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_free_ char *src = path_join(rb->work, "src"), *tar = path_join(job->session->dir, "artifacts.tar");
        struct xb_detail e = {0};
        int r;

        for (size_t i = 0; i < job->plan->n_artifacts; i++)
                if (strv_extend(&paths, job->plan->artifacts[i].path) < 0)
                        return -ENOMEM;
        if (!src || !tar || !(rb->fetched = path_join(job->session->dir, "fetched")))
                return -ENOMEM;
        if ((r = remote_conn_fetch_files(&rb->conn, src, paths, tar, rb->fetched, &e)) < 0)
                return build_fail_error(job, r, &e);
        *ret = rb->fetched;
        return 0;
}

/* Dynamic executables: the recipe's ARM rootfs as the sysroot when it is prepared. */
static char *const *remote_sysroot(struct build_job *job) {
        struct remote_build *rb = job->priv;
        _cleanup_free_ char *entry = NULL;
        if (!rb->sysroot[0] && job->rootfs && rootfs_is_prepared(job->cache, job->rootfs, job->plan->arch) &&
            rootfs_entry_dir(job->cache, job->rootfs, job->plan->arch, &entry) >= 0)
                rb->sysroot[0] = path_join(entry, "tree");
        return rb->sysroot[0] ? rb->sysroot : NULL;
}

static int remote_build_host(struct build_job *job, char ***ret) {
        struct remote_build *rb = job->priv;
        const struct remote_facts *f = &rb->facts;
        return strv_splitf(ret, "kind=remote\nhost=%s\nmachine=%s\ncpus=%u\nmemory_mib=%llu\nswap_mib=%llu\njobs=%u",
                           rb->conn.label, f->machine, f->cpus, f->mem_kb / 1024, f->swap_kb / 1024, remote_jobs(rb));
}

static int remote_teardown(struct build_job *job) {
        struct remote_build *rb = job->priv;
        int r = 0;

        if (!rb->prepared)
                return 0;
        if (rb->work_created)
                remote_conn_remove(&rb->conn, rb->work);
        if ((r = remote_conn_close(&rb->conn)) < 0)
                log_warning_errno(r, "Failed to remove ssh's control directory: %m");
        remote_facts_clear(&rb->facts);
        free(rb->work);
        free(rb->fetched);
        free(rb->sysroot[0]);
        return r;
}

const struct strategy_ops strategy_remote_ops = {
        .id = XB_STRATEGY_REMOTE,
        .priv_size = sizeof(struct remote_build),
        .src_subdir = "job/src",
        .steps_subdir = "job/steps",
        .prepare = remote_prepare,
        .stage = remote_stage,
        .run_step = remote_run_step,
        .fetch_artifacts = remote_fetch_artifacts,
        .sysroot = remote_sysroot,
        .build_host = remote_build_host,
        .teardown = remote_teardown,
};
