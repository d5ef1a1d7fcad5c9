/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive/copy.h"
#include "chroot/session.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/signals.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "functest.h"
#include "guest-scripts.h"
#include "kconfig/check.h"
#include "kconfig/config.h"
#include "qemu/disk-image.h"
#include "qemu/kit.h"
#include "qemu/vm-run.h"
#include "recipe/expand.h"
#include "report/build-progress.h"
#include "rootfs/prepare.h"
#include "strategy/chroot-root.h"

/* Where the guest keeps the test's files: on the root disk (ext4, so overlay works on it),
 * thrown away with the snapshot. */
#define GUEST_TEST_DIR "/var/lib/xbuild-test"

struct functest {
        const struct functest_req *req;
        const struct recipe_test *t;
        struct test_result *res;
        const struct arch_info *ai;
        struct session *session;
        char *share;
        struct root_setup rs;
        struct vm_boot boot;
        char *image;
        char nonce[17];
        char machine[32];
        /* The guest's steps: which check each one is, its start and the last line it printed. */
        enum test_check_id steps[GUEST_MAX_STEPS];
        size_t n_steps;
        long long qemu_started_ms, step_started_ms;
        char *last_line[GUEST_MAX_STEPS + 1];
        char *console_tail; /* the console's last lines, for a failure */
};

static void functest_clear(struct functest *f) {
        if (f->session) {
                int r = session_destroy(f->session, f->req->keep);
                if (f->req->keep)
                        log_info("Test session kept in %s", f->session->dir);
                else if (r < 0)
                        log_warning_errno(r, "Failed to remove the test session %s: %m", f->session->dir);
                session_free(f->session);
        }
        free(f->share);
        root_setup_clear(&f->rs);
        vm_boot_clear(&f->boot);
        free(f->image);
        for (size_t i = 0; i <= GUEST_MAX_STEPS; i++)
                free(f->last_line[i]);
        free(f->console_tail);
}

/* The first failure decides the status and the exit code; later ones are logged only. */
static int fail(struct functest *f, int exit_code, const char *fmt, ...) _printf_(3, 4);
static int fail(struct functest *f, int exit_code, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        log_error("%s", msg ? msg : "The functional test failed");
        /* An interruption is one outcome, whatever it cut short (as for builds). */
        if (signals_interrupted())
                exit_code = XB_EXIT_BUILD_FAILED;
        if (!f->res->error) {
                f->res->error = msg ? TAKE_PTR(msg) : strdup("The functional test failed");
                f->res->exit_code = exit_code;
                f->res->status = signals_interrupted()                 ? "interrupted"
                                 : exit_code == XB_EXIT_VERIFY_FAILED ? "failed"
                                                                       : "error";
        }
        return -EIO;
}

static void check_set(struct functest *f, enum test_check_id id, enum test_check_status st, double seconds,
                      const char *detail) {
        struct test_check *c = &f->res->checks[id];
        c->ran = true;
        c->status = st;
        c->seconds = seconds;
        free(c->detail);
        c->detail = detail ? strdup(detail) : NULL;
}

/* Every artifact the recipe installs in the artifacts directory: a regular file, or a
 * directory for an install tree (tree: true). */
static int check_artifacts(struct functest *f) {
        const struct recipe *rc = f->req->recipe;
        size_t n;
        const struct recipe_artifact *arts = recipe_artifacts(rc, f->req->arch, &n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = path_join(f->req->artifacts_dir, arts[i].install_as);
                struct stat st;
                if (!p)
                        return -ENOMEM;
                if (stat(p, &st) < 0 || (arts[i].tree ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
                        return fail(f, XB_EXIT_BAD_INPUT,
                                    "No artifact %s'%s' in %s to test: build it first (xbuild build %s --arch %s) or give "
                                    "--artifacts DIR",
                                    arts[i].tree ? "tree " : "", arts[i].install_as, f->req->artifacts_dir, rc->name,
                                    f->ai->name);
        }
        return 0;
}

static int copy_artifact(const char *src, const char *dst) {
        /* The user's directory: a symlink there is theirs to follow (stat() above did). */
        _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC), out = -EBADF;
        struct stat st;
        if (in < 0)
                return -errno;
        if (fstat(in, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0755);
        if (out < 0)
                return -errno;
        return copy_fd_data(in, out);
}

/* The share: src/ (the prologue's working directory), artifacts/, test/ with the recipe's
 * scripts, steps/, and out/ + job/ from vm_share_prepare(). */
static int lay_out_share(struct functest *f) {
        const struct recipe *rc = f->req->recipe;
        _cleanup_free_ char *src = NULL, *arts = NULL, *test = NULL, *steps = NULL;
        _cleanup_strv_free_ char **env = rootfs_base_env();
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        struct guest_scripts gs = {0};
        int r;

        if (!env || !(f->share = path_join(f->session->dir, "share")) || !(src = path_join(f->share, "src")) ||
            !(arts = path_join(f->share, "artifacts")) || !(test = path_join(f->share, "test")) ||
            !(steps = path_join(f->share, "steps")))
                return -ENOMEM;
        if (mkdir(f->share, 0755) < 0 || mkdir(src, 0755) < 0 || mkdir(arts, 0755) < 0 || mkdir(test, 0755) < 0 ||
            mkdir(steps, 0755) < 0)
                return fail(f, XB_EXIT_BUILD_FAILED, "Failed to lay out the test share in %s: %s", f->share, strerror(errno));
        size_t n_arts;
        const struct recipe_artifact *list = recipe_artifacts(rc, f->req->arch, &n_arts);
        for (size_t i = 0; i < n_arts; i++) {
                _cleanup_free_ char *from = path_join(f->req->artifacts_dir, list[i].install_as),
                                    *to = path_join(arts, list[i].install_as);
                if (!from || !to)
                        return -ENOMEM;
                /* An install tree goes whole, links as links (liblxc's soname chain); the guest
                 * lays it over its root (guest-scripts.c). */
                if (list[i].tree) {
                        xb_detail_clear(&e);
                        if ((r = archive_copy_tree(from, to, &e)) < 0)
                                return fail(f, XB_EXIT_BUILD_FAILED, "Failed to copy the tree %s into the test share: %s",
                                            from, xb_detail_text(&e, r));
                } else if ((r = copy_artifact(from, to)) < 0)
                        return fail(f, XB_EXIT_BUILD_FAILED, "Failed to copy %s into the test share: %s", from, xb_strerror(r));
        }
        if (strv_env_set(&env, "XB_NAME", rc->name) < 0 || strv_env_set(&env, "XB_ARCH", f->ai->name) < 0 ||
            strv_env_set(&env, "XB_TEST_DIR", GUEST_TEST_DIR) < 0 ||
            strv_env_set(&env, "XB_TEST_ROOTFS", GUEST_TEST_DIR "/rootfs") < 0 ||
            strv_env_set(&env, "XB_TEST_IMAGE", GUEST_TEST_DIR "/busybox.tar") < 0)
                return -ENOMEM;
        if ((r = guest_scripts_write(f->t, GUEST_TEST_DIR, test, steps, &gs)) < 0)
                return fail(f, XB_EXIT_BUILD_FAILED, "Failed to write the test's scripts in %s: %s", f->share, xb_strerror(r));
        memcpy(f->steps, gs.checks, sizeof f->steps);
        f->n_steps = gs.n_steps;
        if ((r = vm_share_prepare(f->share, env, f->nonce, &e)) < 0)
                return fail(f, XB_EXIT_BUILD_FAILED, "%s", xb_detail_text(&e, r));
        return 0;
}

/* The packages the test VM's root needs over the rootfs: the recipe's, busybox-static (the
 * test image) and kmod when modules are loaded. */
static int test_deps(const struct recipe_test *t, char ***ret) {
        _cleanup_strv_free_ char **deps = strv_copy(t->deps);
        if (!deps)
                return -ENOMEM;
        if (!strv_contains(deps, "busybox-static") && strv_extend(&deps, "busybox-static") < 0)
                return -ENOMEM;
        if (t->modules[0] && !strv_contains(deps, "kmod") && strv_extend(&deps, "kmod") < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(deps);
        return 0;
}

static int prepare(struct functest *f) {
        const struct functest_req *q = f->req;
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        _cleanup_strv_free_ char **deps = NULL;
        _cleanup_free_ char *logs = NULL, *kitlog = NULL, *pkgs = NULL;
        bool created;
        int r;

        if ((r = session_create(q->cache->root, &f->session)) < 0)
                return fail(f, XB_EXIT_BUILD_FAILED, "Failed to create a test session: %s", xb_strerror(r));
        if ((r = lay_out_share(f)) < 0)
                return r;
        if ((r = test_deps(f->t, &deps)) < 0)
                return r;
        if (!(pkgs = strv_join(deps, " ")))
                return -ENOMEM;
        log_info("Test VM root: %s with %s", q->rootfs->name, pkgs);
        if ((r = root_setup(q->cache, q->rootfs, q->arch, deps, &f->rs, &e)) < 0)
                return fail(f, xb_exit_code_for(r), "Failed to prepare the test VM's root: %s", xb_detail_text(&e, r));
        xb_detail_clear(&e);
        if (!(logs = cache_sub(q->cache, "logs", NULL)) || mkdir_p(logs, 0755) < 0 ||
            asprintf(&kitlog, "%s/vm-kit-%s.log", logs, f->ai->name) < 0)
                return -ENOMEM;
        struct vm_kit_req kq = {.cache = q->cache, .rf = q->rootfs, .arch = q->arch, .http = {.retries = 3},
                                .log_path = kitlog, .echo = log_get_max_level() >= LOG_LEVEL_DEBUG};
        if ((r = vm_boot_prepare(&kq, q->vm->kernel, q->vm->initrd, f->session->dir, &f->boot, &e)) < 0)
                return fail(f, xb_exit_code_for(r), "%s", xb_detail_text(&e, r));
        xb_detail_clear(&e);
        r = vm_image_prepare(q->cache, f->rs.lowers, f->rs.log_path, log_get_max_level() >= LOG_LEVEL_DEBUG, &f->image,
                             &created, &e);
        if (r < 0)
                return fail(f, r == -XB_E_NOT_AVAILABLE ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED,
                            "Failed to make the test VM's root disk: %s", xb_detail_text(&e, r));
        log_info("Test VM root disk: %s%s", f->image, created ? " (made now)" : "");
        return 0;
}

static double since_s(long long ms) {
        return (double) (spawn_now_ms() - ms) / 1000.0;
}

static void on_job_start(void *userdata, const char *uptime, const char *machine) {
        struct functest *f = userdata;
        (void) snprintf(f->machine, sizeof f->machine, "%s", machine);
        check_set(f, TEST_CHECK_BOOT, TEST_CHECK_OK, since_s(f->qemu_started_ms), NULL);
        log_info("Test VM up in %.1f s (guest uptime %s s, uname -m: %s)", f->res->checks[TEST_CHECK_BOOT].seconds, uptime,
                 machine);
}

static void on_step_start(void *userdata, unsigned step) {
        struct functest *f = userdata;
        f->step_started_ms = spawn_now_ms();
        if (step >= 1 && step <= f->n_steps)
                log_info("Test: %s", test_check_id_to_string(f->steps[step - 1]));
}

static void on_step_end(void *userdata, unsigned step, int status) {
        struct functest *f = userdata;
        if (step < 1 || step > f->n_steps)
                return;
        enum test_check_id id = f->steps[step - 1];
        check_set(f, id, status == 0 ? TEST_CHECK_OK : TEST_CHECK_FAILED, since_s(f->step_started_ms), f->last_line[step]);
        if (id == TEST_CHECK_RUN)
                f->res->vm_to_exit_s = since_s(f->qemu_started_ms);
}

static void on_output(void *userdata, unsigned step, const char *line) {
        struct functest *f = userdata;
        if (step >= 1 && step <= f->n_steps && line[strspn(line, " \t\r")]) {
                char *copy = strdup(line);
                if (copy) {
                        copy[strcspn(copy, "\r")] = 0;
                        free(f->last_line[step]);
                        f->last_line[step] = copy;
                }
        }
        if (log_get_max_level() >= LOG_LEVEL_DEBUG)
                fprintf(stderr, "[test %s] %s\n", f->ai->name, line);
}

static int boot(struct functest *f) {
        const struct functest_req *q = f->req;
        const struct vm_arch *va = vm_arch(q->arch);
        _cleanup_(vm_outcome_clear) struct vm_outcome o = {0};
        unsigned step_timeout = (f->t->ready_timeout > f->t->timeout ? f->t->ready_timeout : f->t->timeout) + 120;
        int r;

        struct vm_config c = {
                .va = va,
                .kernel = f->boot.kernel,
                .initrd = f->boot.initrd,
                .image = f->image,
                .share = f->share,
                .tmp_dir = f->session->dir,
                .cpus = q->vm->cpus,
                .memory_mib = !q->vm->memory_given && f->t->memory_mib ? f->t->memory_mib : q->vm->memory_mib,
                .nonce = f->nonce,
                .modules = q->vm->kernel ? NULL : f->boot.kit.modules,
                .cgroup = recipe_cgroup_to_string(f->t->cgroup),
                .clock_epoch = (long long) time(NULL),
        };
        /* The guest's own timeouts (readiness, each script) say more; this one stops a hung
         * guest. */
        struct vm_watch w = {.boot_timeout_s = q->vm->boot_timeout_s, .step_timeout_s = step_timeout,
                             .console_log = f->res->console_log, .on_tick = build_progress_tick};
        struct vm_job_hooks hooks = {.job_start = on_job_start, .step_start = on_step_start, .step_end = on_step_end,
                                     .output = on_output, .userdata = f};
        (void) unlink(f->res->console_log);
        log_info("Booting the %s test VM (%s -M virt -cpu %s, %u CPUs, %llu MiB, cgroup %s); console log: %s", f->ai->name,
                 va->qemu, va->cpu, c.cpus, c.memory_mib, c.cgroup, f->res->console_log);
        f->qemu_started_ms = spawn_now_ms();
        r = vm_run_job(&c, &w, &hooks, &o);
        if (r < 0)
                return fail(f, r == -ENOENT ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED, "Failed to start %s: %s", va->qemu,
                            xb_strerror(r));
        if (signals_interrupted() && o.end != VM_END_JOB_DONE)
                o.end = VM_END_INTERRUPTED;
        if (o.tail && !(f->console_tail = strdup(o.tail)))
                return -ENOMEM;
        if (o.end == VM_END_INTERRUPTED)
                return fail(f, XB_EXIT_BUILD_FAILED, "Interrupted");
        if (o.end != VM_END_JOB_DONE) {
                _cleanup_free_ char *why = vm_outcome_describe(&o, &w);
                if (!f->res->checks[TEST_CHECK_BOOT].ran)
                        check_set(f, TEST_CHECK_BOOT, TEST_CHECK_FAILED, -1, why);
                else if (o.step >= 1 && o.step <= f->n_steps)
                        check_set(f, f->steps[o.step - 1], TEST_CHECK_FAILED, since_s(f->step_started_ms), why);
                /* A hung step is the engine's failure; a VM that cannot boot is ours. */
                return fail(f, o.end == VM_END_STEP_TIMEOUT ? XB_EXIT_VERIFY_FAILED : XB_EXIT_GUEST_FAILED, "%s",
                            why ? why : "The test VM failed");
        }
        if (!streq(f->machine, va->uname_m))
                return fail(f, XB_EXIT_GUEST_FAILED, "Canary failed: the test guest's 'uname -m' printed '%s' (expected %s)",
                            f->machine, va->uname_m);
        return 0;
}

static void read_setup_info(struct functest *f) {
        _cleanup_free_ char *path = path_join(f->share, "out/setup.info"), *info = NULL, *clock = NULL;
        if (!path || read_full_file(path, 65536, &info, NULL) < 0)
                return;
        f->res->machine = guest_info_get(info, "machine");
        f->res->kernel_release = guest_info_get(info, "release");
        f->res->cgroup_mounted = guest_info_get(info, "cgroup");
        clock = guest_info_get(info, "clock");
        long long stamp = 0;
        if (clock && sscanf(clock, "%lld", &stamp) == 1) {
                /* The file's mtime is the host's clock (the share is a host directory). */
                struct stat st;
                if (stat(path, &st) == 0) {
                        f->res->clock_known = true;
                        f->res->clock_skew_s = stamp - (long long) st.st_mtime;
                }
        }
}

/* Before the boot: the guest kernel's configuration (the file the kit's package ships for
 * the kernel it boots) against the profile, as 'check-config --running' would judge it in the
 * guest; the guest's runtime facts (cgroups mounted) come from its setup step. */
static void check_kconfig(struct functest *f) {
        const struct kconfig_profile *p = f->req->kconfig;
        _cleanup_(kconfig_freep) struct kconfig *k = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        struct kcheck c = {0};
        kversion_t v = 0;
        char detail[160];
        int r;

        if (!p || !f->boot.kit.config)
                return;
        if ((r = kconfig_load(f->boot.kit.config, &k, &e)) < 0) {
                log_warning("Cannot read the guest kernel's configuration %s: %s", f->boot.kit.config, xb_detail_text(&e, r));
                return;
        }
        if (f->boot.kit.kver)
                (void) kversion_parse(f->boot.kit.kver, &v);
        if (kcheck_run(p, k, v, &c) < 0)
                return;
        f->res->kconfig = kcheck_json(&c, p, k);
        f->res->kconfig_verdict = strdup(c.missing_required ? "missing-required" : "ok");
        (void) snprintf(detail, sizeof detail, "profile %s: %u required missing, %u optional missing, %u ok", p->name,
                        c.missing_required, c.missing_optional, c.ok);
        check_set(f, TEST_CHECK_KCONFIG, c.missing_required ? TEST_CHECK_FAILED : TEST_CHECK_OK, -1, detail);
        if (c.missing_required)
                log_warning("The guest kernel lacks options profile %s requires (%u): see the test report", p->name,
                            c.missing_required);
        else
                log_info("Guest kernel against profile %s: every required option holds", p->name);
        kcheck_clear(&c);
}

/* The first failed step's check, in order; the output judged when the run succeeded. */
static void judge(struct functest *f) {
        const struct recipe_test *t = f->t;
        for (size_t i = 0; i < f->n_steps; i++) {
                const struct test_check *c = &f->res->checks[f->steps[i]];
                if (c->ran && c->status == TEST_CHECK_OK)
                        continue;
                const char *what = test_check_id_to_string(f->steps[i]);
                if (!c->ran) {
                        /* The console is only a pipe: the status the guest wrote to the share
                         * says whether the step ran when its markers were lost. */
                        int st = vm_share_step_status(f->share, (unsigned) i + 1, -1);
                        if (st == 0) {
                                check_set(f, f->steps[i], TEST_CHECK_OK, -1, NULL);
                                continue;
                        }
                        if (st < 0) {
                                (void) fail(f, XB_EXIT_GUEST_FAILED, "The test VM ended before its '%s' step", what);
                                return;
                        }
                        check_set(f, f->steps[i], TEST_CHECK_FAILED, -1, NULL);
                }
                switch (f->steps[i]) {
                case TEST_CHECK_DAEMON:
                        (void) fail(f, XB_EXIT_VERIFY_FAILED, "The daemon did not become ready: %s",
                                    c->detail ? c->detail : "see the daemon log");
                        break;
                case TEST_CHECK_RUN:
                        (void) fail(f, XB_EXIT_VERIFY_FAILED, "The container run failed: %s", c->detail ? c->detail : "no output");
                        break;
                default:
                        (void) fail(f, XB_EXIT_VERIFY_FAILED, "The test's %s step failed: %s", what,
                                    c->detail ? c->detail : "no output");
                        break;
                }
                return;
        }
        _cleanup_free_ char *out = NULL;
        if (read_full_file(f->res->run_log, 1 << 20, &out, NULL) < 0)
                out = NULL;
        if (out && guest_output_has_line(out, f->res->expected)) {
                check_set(f, TEST_CHECK_OUTPUT, TEST_CHECK_OK, -1, f->res->expected);
                return;
        }
        _cleanup_free_ char *last = NULL;
        if (read_file_tail(f->res->run_log, 1, &last) < 0)
                last = NULL;
        check_set(f, TEST_CHECK_OUTPUT, TEST_CHECK_FAILED, -1, last && *last ? last : "(nothing)");
        (void) fail(f, XB_EXIT_VERIFY_FAILED, "The container did not print '%s' (its last line: '%s')", f->res->expected,
                    last && *last ? last : "(nothing)");
        (void) t;
}

/* The guest's logs out of the share into the log directory. */
static void collect_logs(struct functest *f) {
        static const struct {
                const char *name;
                size_t off;
        } logs[] = {
                {"daemon.log", offsetof(struct test_result, daemon_log)},
                {"run.out", offsetof(struct test_result, run_log)},
        };
        for (size_t i = 0; i < ELEMENTSOF(logs); i++) {
                char *dst = *(char **) ((char *) f->res + logs[i].off);
                _cleanup_free_ char *src = f->share ? path_join(f->share, "out") : NULL, *from = NULL;
                _cleanup_close_ int in = -EBADF, out = -EBADF;
                if (!dst || !src || !(from = path_join(src, logs[i].name)))
                        continue;
                in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (in < 0)
                        continue;
                out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (out < 0 || copy_fd_data(in, out) < 0)
                        log_warning("Failed to keep %s as %s", from, dst);
        }
}

static void print_indented(const char *text) {
        for (const char *p = text, *eol; p && *p; p = eol ? eol + 1 : NULL) {
                eol = strchr(p, '\n');
                fprintf(stderr, "    %.*s\n", eol ? (int) (eol - p) : (int) strlen(p), p);
        }
}

/* On failure: the daemon's last lines, then the console's; both kept for the report. */
static void print_tails(struct functest *f) {
        _cleanup_free_ char *daemon = NULL, *joined = NULL;
        if (f->res->daemon_log && read_file_tail(f->res->daemon_log, 20, &daemon) >= 0 && *daemon) {
                log_error("Last lines of the daemon's log (%s):", f->res->daemon_log);
                print_indented(daemon);
        }
        if (f->console_tail && *f->console_tail) {
                log_error("Last lines of the console (%s):", f->res->console_log);
                print_indented(f->console_tail);
        }
        if (daemon && *daemon) {
                if (asprintf(&joined, "daemon log:\n%s\nconsole:\n%s", daemon, strempty(f->console_tail)) >= 0)
                        f->res->failed_tail = TAKE_PTR(joined);
        } else if (f->console_tail)
                f->res->failed_tail = strdup(f->console_tail);
}

/* "boot 21.5 s, setup 1.2 s, daemon 0.3 s, run 0.4 s": the timed checks that ran. */
static char *format_timings(const struct test_result *t) {
        char *text = NULL;
        size_t n;
        FILE *f = open_memstream(&text, &n);
        if (!f)
                return NULL;
        for (size_t i = 0, k = 0; i < _TEST_CHECK_MAX; i++)
                if (t->checks[i].ran && t->checks[i].seconds >= 0)
                        fprintf(f, "%s%s %.1f s", k++ ? ", " : "", test_check_id_to_string(i), t->checks[i].seconds);
        if (fclose(f) != 0)
                return NULL;
        return text;
}

static int expected_line(const struct functest_req *q, const struct arch_info *ai, char **ret) {
        struct expand_var vars[] = {
                {"name", q->recipe->name}, {"arch", ai->name},         {"triplet", ai->triplet},
                {"goarch", ai->goarch},    {"goarm", strempty(ai->goarm)}, {"qemu_arch", ai->qemu_user},
                {"commit", strempty(q->recipe->source.commit)}, {"ref", strempty(q->recipe->source.ref)},
                {"version", strempty(recipe_version(q->recipe))},
        };
        return expand_string(q->recipe->test->expect, vars, ELEMENTSOF(vars), ret);
}

/* The result's defaults, the expected line, the log paths, and whether the artifacts are
 * there: everything that needs neither the cache nor root. */
static int begin(struct functest *f) {
        const struct functest_req *q = f->req;
        struct test_result *res = f->res;

        *res = (struct test_result){.status = "passed", .vm_to_exit_s = -1, .cgroup = recipe_cgroup_to_string(f->t->cgroup)};
        for (size_t i = 0; i < _TEST_CHECK_MAX; i++)
                res->checks[i].seconds = -1;
        if (expected_line(q, f->ai, &res->expected) < 0 || !(res->console_log = path_join(q->log_dir, "test-console.log")) ||
            (f->t->daemon && !(res->daemon_log = path_join(q->log_dir, "test-daemon.log"))) ||
            !(res->run_log = path_join(q->log_dir, "test-run.log")))
                return fail(f, XB_EXIT_BUILD_FAILED, "Out of memory");
        return check_artifacts(f);
}

int functest_precheck(const struct functest_req *q, struct test_result *res) {
        struct functest f = {.req = q, .t = q->recipe->test, .res = res, .ai = arch_info(q->arch)};
        (void) begin(&f);
        functest_clear(&f);
        return res->exit_code;
}

int functest_run(const struct functest_req *q, struct test_result *res) {
        struct functest f = {.req = q, .t = q->recipe->test, .res = res, .ai = arch_info(q->arch)};
        _cleanup_free_ char *timings = NULL;
        long long started = spawn_now_ms();
        int r;

        assert(q->recipe->test && q->cache);
        if (begin(&f) < 0) {
                functest_clear(&f);
                return res->exit_code;
        }
        if (mkdir_p(q->log_dir, 0755) < 0) {
                (void) fail(&f, XB_EXIT_BUILD_FAILED, "Failed to create '%s': %s", q->log_dir, strerror(errno));
                functest_clear(&f);
                return res->exit_code;
        }
        /* A previous run's logs must not pass for this one's. */
        const char *const logs[] = {res->console_log, res->daemon_log, res->run_log};
        for (size_t i = 0; i < ELEMENTSOF(logs); i++)
                if (logs[i])
                        (void) unlink(logs[i]);
        r = prepare(&f);
        if (r == -ENOMEM)
                (void) fail(&f, XB_EXIT_BUILD_FAILED, "Out of memory");
        if (r >= 0) {
                /* A kernel of the user's: its configuration and package are not the kit's. */
                if (!q->vm->kernel) {
                        if (f.boot.kit.package)
                                res->kernel_package = strdup(f.boot.kit.package);
                        check_kconfig(&f);
                }
                r = signals_interrupted() ? fail(&f, XB_EXIT_BUILD_FAILED, "Interrupted") : boot(&f);
        }
        if (r < 0 && !res->error)
                (void) fail(&f, XB_EXIT_BUILD_FAILED, "The functional test could not run: %s", xb_strerror(r));
        if (f.share)
                read_setup_info(&f);
        collect_logs(&f);
        if (r >= 0)
                judge(&f);
        if (res->error)
                print_tails(&f);
        else
                log_info("Functional test passed: '%s' from the container, %.1f s from VM start to its exit (%s)",
                         res->expected, res->vm_to_exit_s, strempty(timings = format_timings(res)));
        log_debug("Functional test: %.1f s in all", since_s(started));
        functest_clear(&f);
        return res->exit_code;
}
