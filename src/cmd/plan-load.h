/* SPDX-License-Identifier: MIT */
#pragma once

#include "remote/hosts.h"
#include "strategy/pipeline.h"
#include "strategy/plan.h"

/* Shared by plan and build: parse the common planning options, load the recipe and its
 * toolchain, and plan. */
struct plan_args {
        const char *arch;
        const char *strategy;
        const char *host;
        const char *out_dir;
        const char *source; /* --source */
        const char *variant; /* --variant: one of the recipe's variants: (e.g. debian) */
        bool keep;          /* --keep */
        bool no_install;    /* --no-install */
        bool json;
        const char *progress; /* --progress */
        bool test;            /* --test */
        int accelerate;       /* --accelerate: enum accel_mode (0: auto) */
        const char *artifacts; /* test: --artifacts */
        char *git_mirrors[17];  /* --git-mirror URL=PATH, NULL-terminated */
        size_t n_git_mirrors;
        char *extra_sources[17]; /* --extra-source DEST=PATH */
        size_t n_extra_sources;
        struct vm_opts vm; /* qemu-system: --cpus, --memory, --boot-timeout, --kernel, --initrd */
        struct remote_opts remote; /* remote: --host, --hosts, --ssh-config, ... */
};

#define PLAN_SHORT "a:s:o:"
#define PLAN_LONG_OPTIONS                                                                          \
        {"arch", required_argument, NULL, 'a'}, {"strategy", required_argument, NULL, 's'},        \
                {"host", required_argument, NULL, 'H'}, {"out-dir", required_argument, NULL, 'o'}, \
                {"json", no_argument, NULL, 'j'}, {"source", required_argument, NULL, 0x210},           \
                {"keep", no_argument, NULL, 0x211}, {"no-install", no_argument, NULL, 0x212},          \
                {"cpus", required_argument, NULL, 0x213}, {"memory", required_argument, NULL, 0x214},   \
                {"boot-timeout", required_argument, NULL, 0x215},                                      \
                {"kernel", required_argument, NULL, 0x216}, {"initrd", required_argument, NULL, 0x217},  \
                {"hosts", required_argument, NULL, 0x218}, {"ssh-config", required_argument, NULL, 0x219}, \
                {"accept-new-host-key", no_argument, NULL, 0x21a},                                      \
                {"remote-install-deps", no_argument, NULL, 0x21b},                                      \
                {"progress", required_argument, NULL, 0x21c}, {"test", no_argument, NULL, 0x21d},           \
                {"artifacts", required_argument, NULL, 0x21e}, {"git-mirror", required_argument, NULL, 0x21f},            \
                {"extra-source", required_argument, NULL, 0x220}, {"variant", required_argument, NULL, 0x221}, \
                {"accelerate", required_argument, NULL, 0x222}

#define PLAN_HELP                                                                                  \
        "  -a, --arch=ARCH       armhf, armel or arm64 (default: the recipe's first)\n"            \
        "  -s, --strategy=S      auto (default), cross, chroot, qemu-system or remote\n"           \
        "      --host=HOST       remote: [USER@]HOST[:PORT] or a name from hosts.yaml\n"          \
        "  -o, --out-dir=DIR     Where artifacts go (default: out)\n"                              \
        "      --variant=NAME    Build the recipe's variant NAME (its variants:, e.g. debian:\n"  \
        "                        from the Debian source package)\n"                             \
        "      --source=PATH     A local git repository or directory instead of the recipe's\n"   \
        "                        source (a git repository's pinned commit is still verified)\n"   \
        "      --git-mirror=URL=PATH  A local repository for a submodule's URL (repeatable)\n"    \
        "      --extra-source=DEST=PATH  A local copy of the recipe's sources: entry at DEST\n"  \
        "      --keep            Keep the build session for inspection\n"                        \
        "      --accelerate=MODE chroot: auto (default), on or off: the host's cross gcc/g++ and\n" \
        "                        Go run natively in the ARM session (docs/accelerated-chroot.md)\n" \
        "      --no-install      Never install a missing cross toolchain (exit 4 naming it)\n"   \
        "      --json            Machine-readable output (build: report.json on stdout)\n"      \
        "      --progress=MODE   build: auto (default), tty, plain or json (events on stdout)\n" \
        "      --test            build: then run the recipe's functional test in the ARM VM\n"   \
        "      --artifacts=DIR   test: the artifacts to test (default: OUT/RECIPE/ARCH)\n"       \
        "qemu-system:\n"                                                                         \
        "      --cpus=N          Virtual CPUs (default 2)\n"                                     \
        "      --memory=SIZE     Guest RAM, e.g. 3G or 2048M (default 2G, or the recipe's memory:)\n" \
        "      --boot-timeout=S  Seconds from QEMU start to the job's start (default 300)\n"      \
        "      --kernel=FILE     Boot this kernel (its drivers built in, or with --initrd)\n"    \
        "      --initrd=FILE     Boot this initrd instead of xbuild's\n"                          \
        "remote:\n"                                                                              \
        "      --hosts=FILE      Build hosts (default: $XDG_CONFIG_HOME/xbuild/hosts.yaml)\n"    \
        "      --ssh-config=FILE Passed to ssh -F\n"                                             \
        "      --accept-new-host-key  Trust an unknown host key on first contact (never a\n"     \
        "                        changed one)\n"                                                 \
        "      --remote-install-deps  apt-get install missing build_deps on the host\n"

/* What plan, build and shell share: the options, the recipe with what it refers to, hosts.yaml
 * and the plan, each loaded once. */
struct plan_inputs {
        struct plan_args args;
        struct recipe_bundle *bundle;
        struct remote_hosts *hosts; /* NULL: no hosts.yaml */
        char *hosts_path;
        struct plan *plan;
};
void plan_inputs_clear(struct plan_inputs *in);

/* The shared front of 'plan', 'build' and 'shell': parses the options and the one RECIPE,
 * loads and checks it, and plans. Returns 0 with *ret filled; PLAN_DONE when --help was
 * printed; or an exit code, already reported. Call plan_inputs_clear() in every case. */
#define PLAN_DONE (-1)
int plan_command(int argc, char **argv, const char *usage, struct plan_inputs *ret);
/* Human-readable plan on stdout. */
void plan_print(const struct plan *p);
