/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "chroot/session.h"
#include "core/errors.h"
#include "core/path.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "verify.h"

void verify_result_clear(struct verify_result *r) {
        elf_info_clear(&r->elf);
        for (size_t i = 0; i < r->n_runs; i++) {
                strv_free(r->runs[i].argv);
                free(r->runs[i].output);
        }
        free(r->runs);
        r->runs = NULL;
        r->n_runs = 0;
}

/* A smoke run never runs on the host as it is: a freshly built container runtime's --version
 * may mount, unshare or write. It runs in a throw-away sandbox (xbuild-session --sandbox: mount,
 * PID, IPC, UTS and network namespaces, a user namespace when not root; a tmpfs root holding
 * only qemu, the artifact and the sysroot, all read-only, a fresh /proc, a tmpfs /tmp, a few
 * device nodes). qemu is run directly, not through binfmt_misc. */
static int smoke_argv(const char *helper, const char *qemu, const char *artifact, char *const *sysroot, char *const *args,
                      char *const *env, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *dst = path_join("/xbuild/bin", path_basename(artifact));
        int r;

        if (!dst)
                return -ENOMEM;
        _cleanup_strv_free_ char **vars = NULL;
        _cleanup_free_ char *dir = path_dirname(artifact);
        if (!dir)
                return -ENOMEM;
        if ((r = strv_env_set(&vars, "PATH", "/xbuild/bin:/usr/sbin:/usr/bin:/sbin:/bin")) < 0 ||
            (r = strv_env_set(&vars, "HOME", "/tmp")) < 0 || (r = strv_env_set(&vars, "LANG", "C.UTF-8")) < 0)
                return r;
        /* A dynamic program runs with the libraries built beside it (liblxc for lxc-start):
         * their directory, read-only, first on the guest's library path. */
        if (sysroot && (r = strv_env_set(&vars, "LD_LIBRARY_PATH", "/xbuild/bin")) < 0)
                return r;
        STRV_FOREACH(e, env) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *name = eq ? strndup(*e, (size_t) (eq - *e)) : NULL;
                if (!name || (r = strv_env_set(&vars, name, eq + 1)) < 0)
                        return -ENOMEM;
        }
        if ((r = strv_extend_many(&argv, helper, "--sandbox", "--hostname", "xbuild-verify", "--cwd", "/tmp", "--bind-file",
                                  qemu, "/xbuild/qemu")) < 0 ||
            (r = sysroot ? strv_extend_many(&argv, "--bind", dir, "/xbuild/bin", "ro")
                         : strv_extend_many(&argv, "--bind-file", artifact, dst)) < 0)
                return r;
        STRV_FOREACH(v, vars)
                if ((r = strv_extend_many(&argv, "--env", *v)) < 0)
                        return r;
        /* Several layers (the rootfs and its build dependencies) become one read-only overlay. */
        STRV_FOREACH(l, sysroot)
                if ((r = strv_extend_many(&argv, "--sysroot-layer", *l)) < 0)
                        return r;
        if ((r = strv_extend_many(&argv, "--", "/xbuild/qemu")) < 0 ||
            (sysroot && sysroot[0] && (r = strv_extend_many(&argv, "-L", "/xbuild/sysroot")) < 0) ||
            (r = strv_extend(&argv, dst)) < 0 ||
            (r = strv_extend_strv(&argv, (char **) args)) < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int atoi_or_zero(const char *s) {
        int v = 0;
        for (; *s >= '0' && *s <= '9' && v < 1000; s++)
                v = v * 10 + (*s - '0');
        return v;
}

/* The sandbox's init reports a killed program as 128+N; qemu-user says which signal. */
static int qemu_signal(const char *output) {
        const char *p = strstr(output, "qemu: uncaught target signal ");
        return p ? atoi_or_zero(p + STRLEN("qemu: uncaught target signal ")) : 0;
}

/* Debian 12's binutils drops the Thumb bit of IRELATIVE targets (glibc's memcpy, memchr) in
 * static 32-bit ARM programs whose code passes about 16 MiB: they die before their first
 * system call, on a board as under qemu. Said when it fits, rather than a bare crash. */
static const char *static_arm_trap_hint(const struct elf_info *e, const char *path, int sig) {
        struct stat st;
        if (e->machine != 40 || e->elf_class != 1 || !e->is_static || (sig != SIGSEGV && sig != SIGILL && sig != SIGBUS))
                return NULL;
        if (stat(path, &st) < 0 || st.st_size < (16LL << 20))
                return NULL;
        return "a static 32-bit ARM program over 16 MiB that crashes at start-up: Debian 12's linker drops the Thumb bit "
               "of IRELATIVE relocations (glibc's memcpy/memchr) in programs that large, so it would crash on a board "
               "too; link it dynamically on this arch, or build it with CGO_ENABLED=0 where the engine allows";
}

/* The whole output of a smoke run, for its regex (the report keeps only the last lines): a
 * --help runs to hundreds of lines and the line looked for may be anywhere. Bounded. */
#define SMOKE_OUTPUT_MAX (1U << 20)
struct smoke_output {
        char *data;
        size_t len;
};

static void smoke_output_line(void *userdata, const char *line) {
        struct smoke_output *o = userdata;
        size_t l = strlen(line);
        if (!o->data || o->len + l + 2 > SMOKE_OUTPUT_MAX)
                return;
        memcpy(o->data + o->len, line, l);
        o->len += l;
        o->data[o->len++] = '\n';
        o->data[o->len] = 0;
}

/* Exit status, signal, expected output (matched against all of it) and known traps, into vr. */
static void judge_run(struct verify_run *vr, const struct elf_info *e, const char *path, const char *expected,
                      const char *all_output) {
        int sig = vr->signal ? vr->signal : qemu_signal(vr->output);
        if (!vr->signal && sig && vr->exit_code == 128 + sig) {
                vr->signal = sig;
                vr->ok = false;
        }
        if (!vr->ok)
                vr->hint = static_arm_trap_hint(e, path, vr->signal);
        vr->expected = expected;
        if (vr->ok && expected) {
                regex_t re;
                if (regcomp(&re, expected, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0)
                        vr->output_mismatch = true;
                else {
                        vr->output_mismatch = regexec(&re, all_output ? all_output : vr->output, 0, NULL, 0) != 0;
                        regfree(&re);
                }
                vr->ok = !vr->output_mismatch;
        }
}

int verify_artifact(const char *path, const struct verify_opts *o, struct verify_result *ret, struct xb_detail *err) {
        const struct arch_info *ai = arch_info(o->arch);
        _cleanup_free_ char *qemu = NULL, *qname = NULL, *helper = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail elf_err = {0};
        char desc[256];
        size_t n_runs = 0;
        int r;

        *ret = (struct verify_result){0};
        (void) snprintf(ret->path, sizeof ret->path, "%s", path);
        r = sha256_file(path, ret->sha256);
        if (r < 0)
                return xb_detail_set(err, r, "cannot read %s: %s", path, strerror(-r));
        /* elf_msg is report data either way: why the ELF does not fit, or what it is. */
        r = elf_parse_file(path, &ret->elf, &elf_err);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                r = elf_check_arch(&ret->elf, o->arch, &o->want, &elf_err);
        ret->elf_ok = r >= 0;
        (void) snprintf(ret->elf_msg, sizeof ret->elf_msg, "%s",
                        ret->elf_ok ? elf_describe(&ret->elf, desc, sizeof desc) : xb_detail_text(&elf_err, r));
        ret->ok = ret->elf_ok;

        for (char ***a = o->runs; a && *a; a++)
                n_runs++;
        if (n_runs == 0)
                return 0;
        ret->runs = calloc(n_runs, sizeof *ret->runs);
        if (!ret->runs)
                return -ENOMEM;
        ret->n_runs = n_runs;
        for (size_t i = 0; i < n_runs; i++)
                if (!(ret->runs[i].argv = strv_copy(o->runs[i])))
                        return -ENOMEM;
        /* A binary for another machine cannot be run meaningfully: report, don't try. */
        if (!ret->elf_ok) {
                for (size_t i = 0; i < n_runs; i++) {
                        ret->runs[i].exit_code = -1; /* not run */
                        ret->runs[i].output = strdup("");
                }
                return 0;
        }
        if (asprintf(&qname, "qemu-%s-static", ai->qemu_user) < 0)
                return -ENOMEM;
        qemu = spawn_find_program(qname, NULL);
        if (!qemu)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "%s is needed for the smoke runs: apt-get install qemu-user-static", qname);
        if ((r = session_helper_path(&helper)) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "the session helper xbuild-session is missing (%s): smoke "
                                     "runs need it", xb_strerror(r));
        for (size_t i = 0; i < n_runs; i++) {
                struct verify_run *vr = &ret->runs[i];
                _cleanup_strv_free_ char **argv = NULL;
                struct spawn_result res = {0};

                if ((r = smoke_argv(helper, qemu, path, ret->elf.is_static ? NULL : o->sysroot, vr->argv,
                                    o->envs ? o->envs[i] : NULL, &argv)) < 0)
                        return r;
                _cleanup_free_ char *all = o->outputs && o->outputs[i] ? calloc(1, SMOKE_OUTPUT_MAX) : NULL;
                struct smoke_output so = {.data = all};
                struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                        .timeout_ms = (o->timeout_s ? o->timeout_s : 60) * 1000U, .kill_grace_ms = 2000,
                                        .flags = SPAWN_NEW_PGRP, .on_line = all ? smoke_output_line : NULL,
                                        .userdata = all ? &so : NULL};
                r = spawn_run(&req, &res);
                if (r < 0)
                        return xb_detail_set(err, r, "cannot run %s: %s", qemu, xb_strerror(r));
                vr->exit_code = res.exit_code;
                vr->signal = res.signal;
                vr->timed_out = res.timed_out;
                vr->ok = res.exit_code == 0 && !res.signal && !res.timed_out;
                vr->output = res.tail ? strdup(res.tail) : strdup("");
                spawn_result_clear(&res);
                if (!vr->output)
                        return -ENOMEM;
                /* The sandbox itself could not be made (no user namespaces for this user, no
                 * CAP_SYS_ADMIN): the host lacks something, the artifact is not at fault. */
                if (vr->exit_code == 125 && strstr(vr->output, "xbuild session: cannot create namespaces"))
                        return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                             "smoke runs need a sandbox and this host refuses one (%.*s): run as root "
                                             "or allow unprivileged user namespaces",
                                             (int) strcspn(vr->output, "\n"), vr->output);
                judge_run(vr, &ret->elf, path, o->outputs ? o->outputs[i] : NULL, all);
                if (!vr->ok)
                        ret->ok = false;
        }
        return 0;
}

json_object *verify_result_json(const struct verify_result *r) {
        json_object *o = json_object_new_object(), *elf = json_object_new_object(), *runs = json_object_new_array();
        char desc[256];

        json_object_object_add(o, "path", json_object_new_string(r->path));
        json_object_object_add(o, "sha256", json_object_new_string(r->sha256));
        json_object_object_add(elf, "ok", json_object_new_boolean(r->elf_ok));
        json_object_object_add(elf, "detail", json_object_new_string(r->elf_msg));
        if (r->elf.elf_class) {
                json_object_object_add(elf, "description", json_object_new_string(elf_describe(&r->elf, desc, sizeof desc)));
                json_object_object_add(elf, "class", json_object_new_int((int) r->elf.elf_class * 32));
                json_object_object_add(elf, "machine", json_object_new_string(elf_machine_name(r->elf.machine)));
                json_object_object_add(elf, "static", json_object_new_boolean(r->elf.is_static));
                json_object_object_add(elf, "kind", json_object_new_string(elf_kind(&r->elf)));
                json_object_object_add(elf, "pie", json_object_new_boolean(r->elf.pie));
                json_object_object_add(elf, "soname", r->elf.soname[0] ? json_object_new_string(r->elf.soname) : NULL);
                json_object_object_add(elf, "interpreter",
                                       r->elf.interpreter[0] ? json_object_new_string(r->elf.interpreter) : NULL);
                if (r->elf.machine == 40) {
                        json_object_object_add(elf, "eabi", json_object_new_int((int) r->elf.arm_eabi));
                        json_object_object_add(elf, "float_abi", r->elf.arm_float < 0 ? NULL
                                                                 : json_object_new_string(r->elf.arm_float ? "hard" : "soft"));
                }
                json_object *needed = json_object_new_array();
                STRV_FOREACH(n, r->elf.needed)
                        json_object_array_add(needed, json_object_new_string(*n));
                json_object_object_add(elf, "needed", needed);
                if (r->elf.go) {
                        json_object *go = json_object_new_object();
                        json_object_object_add(go, "version", json_object_new_string(r->elf.go_version));
                        json_object_object_add(go, "goarm", json_object_new_string(r->elf.go_arm));
                        json_object_object_add(go, "tags", json_object_new_string(r->elf.go_tags));
                        json_object_object_add(elf, "go", go);
                }
        }
        json_object_object_add(o, "elf", elf);
        for (size_t i = 0; i < r->n_runs; i++) {
                json_object *ro = json_object_new_object(), *args = json_object_new_array();
                STRV_FOREACH(a, r->runs[i].argv)
                        json_object_array_add(args, json_object_new_string(*a));
                json_object_object_add(ro, "args", args);
                json_object_object_add(ro, "ok", json_object_new_boolean(r->runs[i].ok));
                json_object_object_add(ro, "exit_code", json_object_new_int(r->runs[i].exit_code));
                json_object_object_add(ro, "signal", json_object_new_int(r->runs[i].signal));
                json_object_object_add(ro, "timed_out", json_object_new_boolean(r->runs[i].timed_out));
                json_object_object_add(ro, "output", json_object_new_string(r->runs[i].output ? r->runs[i].output : ""));
                json_object_object_add(ro, "expected_output",
                                       r->runs[i].expected ? json_object_new_string(r->runs[i].expected) : NULL);
                json_object_object_add(ro, "output_matched", r->runs[i].expected
                                                                     ? json_object_new_boolean(!r->runs[i].output_mismatch)
                                                                     : NULL);
                json_object_object_add(ro, "hint", r->runs[i].hint ? json_object_new_string(r->runs[i].hint) : NULL);
                json_object_array_add(runs, ro);
        }
        json_object_object_add(o, "runs", runs);
        json_object_object_add(o, "ok", json_object_new_boolean(r->ok));
        return o;
}

void verify_fprint(FILE *f, const struct verify_result *v) {
        fprintf(f, "%s: %s\n", v->path, v->ok ? "verified" : "VERIFICATION FAILED");
        fprintf(f, "  elf: %s%s\n", v->elf_ok ? "" : "FAIL ", v->elf_msg);
        for (size_t i = 0; i < v->n_runs; i++) {
                const struct verify_run *r = &v->runs[i];
                fprintf(f, "  run:");
                STRV_FOREACH(a, r->argv)
                        fprintf(f, " '%s'", *a);
                if (r->ok)
                        fprintf(f, ": ok\n");
                else if (r->exit_code == -1 && !r->signal && !r->timed_out)
                        fprintf(f, ": not run (the ELF checks failed)\n");
                else if (r->output_mismatch)
                        fprintf(f, ": FAIL, its output does not match /%s/\n", r->expected);
                else if (r->timed_out)
                        fprintf(f, ": FAIL, timed out\n");
                else if (r->signal)
                        fprintf(f, ": FAIL, killed by signal %d\n", r->signal);
                else
                        fprintf(f, ": FAIL, exit status %d\n", r->exit_code);
                if (!r->ok && r->output && *r->output)
                        for (const char *l = r->output; *l;) {
                                size_t n = strcspn(l, "\n");
                                fprintf(f, "      %.*s\n", (int) n, l);
                                l += n + (l[n] ? 1 : 0);
                        }
                if (r->hint)
                        fprintf(f, "      why: %s\n", r->hint);
        }
        fprintf(f, "  sha256: %s\n", v->sha256);
}

void verify_print(const struct verify_result *v) {
        verify_fprint(stdout, v);
}

