/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"
#include "core/macro.h"
#include "recipe/arch.h"

/* binfmt_misc: which interpreter the kernel runs for ARM executables. xbuild registers
 * qemu-user-static with the F flag (the kernel opens the interpreter at registration, so it
 * works inside any chroot without copying qemu into it), under names starting with "xbuild-",
 * and only ever removes those. Modules here do not log; they return -errno or XB_E_*. */

#define BINFMT_MNT "/proc/sys/fs/binfmt_misc"
#define BINFMT_OURS_PREFIX "xbuild-"

struct binfmt_rule {
        char name[64];
        unsigned offset;
        unsigned char magic[128], mask[128];
        size_t len; /* of magic and mask */
        char interpreter[4096];
        char flags[16];
};

/* What the kernel reports for a registered entry. */
struct binfmt_entry {
        struct binfmt_rule rule;
        bool enabled;
        bool ours; /* its name starts with BINFMT_OURS_PREFIX */
};

/* "arm" for armhf and armel, "aarch64" for arm64. */
const char *binfmt_qemu_name(enum xb_arch a);

/* Parses a systemd binfmt.d line ":name:M:offset:magic:mask:interpreter:flags" (\xNN escapes). */
int binfmt_rule_parse(const char *line, struct binfmt_rule *ret);
/* The line to write to /proc/sys/fs/binfmt_misc/register. NULL on OOM. */
char *binfmt_rule_format(const struct binfmt_rule *r);
/* Parses the kernel's /proc/sys/fs/binfmt_misc/NAME text. */
int binfmt_entry_parse(const char *name, const char *text, struct binfmt_entry *ret);
/* Whether an executable of arch would be handled by this rule (its magic/mask match an ELF
 * header of that machine, executable or PIE). */
bool binfmt_rule_matches_arch(const struct binfmt_rule *r, enum xb_arch a);

/* Debian's definition of qemu-NAME (qemu-user-static's /usr/lib/binfmt.d/qemu-NAME.conf),
 * registered by us as xbuild-qemu-NAME with the F flag. -ENOENT without qemu-user-static. */
int binfmt_default_rule(const char *binfmt_d, enum xb_arch a, struct binfmt_rule *ret);

/* Mounts binfmt_misc at mnt when it is not (it is not at boot on these machines). */
int binfmt_ensure_mounted(const char *mnt, bool *ret_mounted_now);
bool binfmt_is_mounted(const char *mnt);
int binfmt_list(const char *mnt, struct binfmt_entry **ret, size_t *ret_n);

/* Why an entry would not serve xbuild's chroots, or NULL when it is fine. */
const char *binfmt_entry_problem(const struct binfmt_entry *e);

/* Whether interpreter can run arch's programs inside a chroot with the F flag: the kernel opens
 * it at registration, but a dynamically linked one still looks for its ELF interpreter and
 * libraries in the chroot. 0 when it is statically linked; -XB_E_NOT_AVAILABLE when it is
 * dynamic, or cannot be read or is no ELF file, with a sentence in err naming it and
 * qemu-user-static's binary for arch. */
int binfmt_interpreter_check(const char *interpreter, enum xb_arch a, struct xb_detail *err);

int binfmt_register(const char *mnt, const struct binfmt_rule *r);
/* Removes an entry (writes -1); refuses names that are not ours with -EPERM. */
int binfmt_remove(const char *mnt, const char *name);
/* Enables (1) or disables (0) an entry. */
int binfmt_set_enabled(const char *mnt, const char *name, bool enabled);

enum binfmt_action {
        BINFMT_ALREADY,    /* our entry is there */
        BINFMT_REUSED,     /* a foreign entry serves well */
        BINFMT_REGISTERED, /* we registered ours */
        BINFMT_CONFLICT,   /* foreign entries would be used and are unfit; nothing changed */
};

struct binfmt_setup_result {
        enum binfmt_action action;
        char name[64];     /* the entry that will serve */
        char detail[1024]; /* the unfit entries and why, for CONFLICT (and for --force) */
        bool mounted_now;
};

/* Makes sure ARM executables of arch run through qemu with the F flag. A foreign entry that
 * fits is reused; unfit foreign entries are explained and left alone unless force, which
 * disables them (remembered in state_file so binfmt_teardown re-enables them). An interpreter
 * of qemu-user-static's definition that binfmt_interpreter_check() refuses is never
 * registered and nothing is changed: -XB_E_NOT_AVAILABLE with its sentence in err. */
int binfmt_setup(const char *mnt, const char *binfmt_d, const char *state_file, enum xb_arch a,
                 bool force, struct binfmt_setup_result *ret, struct xb_detail *err);
/* Removes our entries for arch (any arch: _XB_ARCH_INVALID) and re-enables what we disabled. */
int binfmt_teardown(const char *mnt, const char *state_file, enum xb_arch a, unsigned *ret_removed);

#define BINFMT_STATE_FILE "/run/xbuild/binfmt-disabled"
