/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/macro.h"
#include "recipe/arch.h"

/* The accelerated chroot (pmbootstrap's crossdirect, openSUSE's accelerated OBS): the host's
 * cross gcc/g++ for the target triplet and the host's Go run natively inside the ARM session.
 * The host's /usr is bound read-only at /native/usr, wrappers in /native/bin (first in PATH)
 * name the compilers, and the x86 loader and libraries are found through two symlinks the
 * session adds to its own upper layer. Everything else (make, sh, configure's test programs,
 * the build's own tools) still runs emulated, against the session's root as sysroot.
 *
 * The decision is pure: it reads the dpkg status of the host and of the chroot, so the plan
 * (before the root exists, from the cache) and the build (from the real layers) make it the
 * same way and tests can feed any pair. */

#define ACCEL_NATIVE_DIR "/native"

enum accel_mode {
        ACCEL_AUTO,
        ACCEL_ON,
        ACCEL_OFF,
        _ACCEL_MODE_MAX,
        _ACCEL_MODE_INVALID = -EINVAL,
};

const char *accel_mode_to_string(enum accel_mode m);
enum accel_mode accel_mode_from_string(const char *s);

/* One compiler: the chroot's own and the host's that may replace it. */
struct accel_tool {
        bool used;              /* runs natively in the session */
        char *chroot_package;   /* gcc-12, g++-12, golang-1.19-go */
        char *chroot_version;
        char *host_package;     /* gcc-12-arm-linux-gnueabihf, golang-1.19-go */
        char *host_version;
        bool same_version;      /* the same source version: the same bytes as the emulated build */
        char *program;          /* the host's executable (/usr/bin/arm-linux-gnueabihf-gcc-12) */
        char *why_not;          /* when not used and the chroot has one: why */
};

struct accel_plan {
        enum accel_mode mode;
        bool active;               /* some compiler runs natively */
        bool root_known;           /* the chroot's dpkg status was read */
        struct accel_tool cc, cxx, go;
        char *summary;             /* one line: the mode and why */
        /* In the session (when active): pairs of wrapper name and its target under /native. */
        char **links;
        char *go_root;             /* /usr/lib/go-1.19 on the host (Go used) */
};

void accel_plan_clear(struct accel_plan *p);

struct accel_inputs {
        enum accel_mode mode;
        bool recipe_allows;        /* the recipe's accelerate: (default true) */
        enum xb_arch arch;
        const char *chroot_status; /* the chroot's /var/lib/dpkg/status; NULL: not prepared yet */
        const char *host_status;   /* the host's /var/lib/dpkg/status; NULL: none (not Debian) */
        /* Whether an executable exists on the host at path; NULL: use access(2). */
        bool (*host_has)(const char *path, void *userdata);
        void *userdata;
};

/* Decides which compilers run natively. Returns 0, or -ENOMEM; mode on with nothing to
 * accelerate is not an error here (the build refuses it, naming summary). */
int accel_decide(const struct accel_inputs *in, struct accel_plan *ret);

/* The same for this host and a root of layers (topmost first; NULL: not prepared yet). */
int accel_decide_here(enum accel_mode mode, bool recipe_allows, enum xb_arch a, char *const *layers,
                      struct accel_plan *ret);

/* The Version of an installed package in a dpkg status text, or NULL (malloc'd). */
char *dpkg_status_version(const char *status, const char *package);
/* The first package in an installed package's Depends named prefix, a digit, ..., suffix
 * (golang-go, "golang-", "-go" -> golang-1.19-go; gcc, "gcc-", "" -> gcc-12), its :arch
 * qualifier dropped, or NULL (malloc'd). */
char *dpkg_status_depends_on(const char *status, const char *package, const char *prefix, const char *suffix);

/* Environment a step needs with the plan active, applied over env (a new vector): PATH with
 * /native/bin first; with Go: GOOS, GOARCH, GOARM and CGO_ENABLED=1 unless env says. */
char **accel_step_env(const struct accel_plan *p, enum xb_arch arch, char *const *env);
