/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/errors.h"
#include "core/hash.h"
#include "elf.h"
#include "recipe/recipe.h"

/* Proof that an artifact is what it claims: its ELF headers against the target, then each
 * expected command run under qemu-user with a time limit. A Docker binary whose
 * 'daemon --help' fails is a failure here: the client-only trap of the 2016 report. */

struct verify_run {
        char **argv;
        int exit_code, signal;
        bool timed_out, ok;
        char *output;          /* the last lines */
        const char *expected;  /* the regex its output had to match, or NULL */
        bool output_mismatch;  /* it ran, but its output did not match */
        const char *hint;      /* a known cause for this failure, or NULL */
};

struct verify_result {
        char path[4096];
        char sha256[SHA256_HEX_LEN + 1];
        struct elf_info elf;
        bool elf_ok;
        char elf_msg[512];
        struct verify_run *runs;
        size_t n_runs;
        bool ok;
};

void verify_result_clear(struct verify_result *r);

struct verify_opts {
        enum xb_arch arch;
        struct elf_want want;    /* static, PIE, shared library: -1 each when not checked */
        char ***runs;            /* argument vectors, NULL-terminated; NULL: none */
        char *const *outputs;    /* per run: a regex its output must match, or NULL (NULL: none) */
        char **const *envs;      /* per run: NAME=value added to its environment (NULL: none) */
        unsigned timeout_s;      /* per run */
        char *const *sysroot;    /* the ARM tree dynamic executables run against (qemu -L), as
                                  * layers topmost first, NULL-terminated; NULL: none */
};

/* Returns 0 when the checks could be made (see ret->ok), or -errno / -XB_E_NOT_AVAILABLE (no
 * qemu-user for the arch) with err set. */
int verify_artifact(const char *path, const struct verify_opts *o, struct verify_result *ret, struct xb_detail *err);

json_object *verify_result_json(const struct verify_result *r);

/* The result as lines on stdout (xbuild verify, builds). */
void verify_print(const struct verify_result *v);
void verify_fprint(FILE *f, const struct verify_result *v);
