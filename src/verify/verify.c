/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
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

int verify_artifact(const char *path, const struct verify_opts *o, struct verify_result *ret, struct xb_detail *err) {
        const struct arch_info *ai = arch_info(o->arch);
        _cleanup_free_ char *qemu = NULL, *qname = NULL;
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
                r = elf_check_arch(&ret->elf, o->arch, o->want_static, &elf_err);
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
        for (size_t i = 0; i < n_runs; i++) {
                struct verify_run *vr = &ret->runs[i];
                _cleanup_strv_free_ char **argv = NULL;
                struct spawn_result res = {0};

                /* qemu directly, not binfmt: no root needed, and a static binary needs no rootfs. */
                if (strv_extend(&argv, qemu) < 0 ||
                    (!ret->elf.is_static && o->sysroot && (strv_extend(&argv, "-L") < 0 || strv_extend(&argv, o->sysroot) < 0)) ||
                    strv_extend(&argv, path) < 0 || strv_extend_strv(&argv, vr->argv) < 0)
                        return -ENOMEM;
                struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                        .timeout_ms = (o->timeout_s ? o->timeout_s : 60) * 1000U, .kill_grace_ms = 2000,
                                        .flags = SPAWN_NEW_PGRP};
                r = spawn_run(&req, &res);
                if (r < 0)
                        return xb_detail_set(err, r, "cannot run %s: %s", qemu, xb_strerror(r));
                vr->exit_code = res.exit_code;
                vr->signal = res.signal;
                vr->timed_out = res.timed_out;
                vr->ok = res.exit_code == 0 && !res.signal && !res.timed_out;
                vr->output = res.tail ? strdup(res.tail) : strdup("");
                spawn_result_clear(&res);
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
                json_object_object_add(elf, "interpreter", r->elf.is_static ? NULL : json_object_new_string(r->elf.interpreter));
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
        }
        fprintf(f, "  sha256: %s\n", v->sha256);
}

void verify_print(const struct verify_result *v) {
        verify_fprint(stdout, v);
}

