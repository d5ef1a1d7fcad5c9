/* SPDX-License-Identifier: MIT */
#pragma once

#include "core/errors.h"

#include <stdbool.h>

#include "fetch/cache.h"
#include "fetch/http.h"
#include "recipe/arch.h"
#include "recipe/rootfs.h"

/* What a full-system VM of each architecture is made of. */
struct vm_arch {
        const char *qemu;        /* qemu-system-arm */
        const char *cpu;         /* cortex-a15 */
        const char *deb_arch;    /* the Debian arch of kernel and busybox (armel boots armhf's) */
        const char *kernel_meta; /* linux-image-armmp-lpae: LPAE for -M virt and > 3 GiB */
        const char *uname_m;     /* what the guest kernel answers */
};
const struct vm_arch *vm_arch(enum xb_arch a);

/* The kernel and initrd for one architecture, made once per (arch, suite, mirror) and kept:
 *   CACHE/vm/kit-DEBARCH-SUITE-KEY/{vmlinuz, initrd.img, busybox, config, kver, package, modules/}
 * modules/ is the package's lib/modules/KVER with the modules.dep the host's depmod made: the
 * guest mounts it read-only at /lib/modules/KVER, so an engine's modprobe finds every module.
 * The kernel and busybox-static packages come from the host's Debian mirror through apt with a
 * private configuration (CACHE/vm/apt-DEBARCH-SUITE; the host's dpkg and apt state are never
 * touched): apt checks the signed index, its SHA256 pins the download, which goes through the
 * fetch layer into the blob cache. A kit appears whole (built in NAME.partial-PID, renamed)
 * under a cache lock; once it exists no network is needed. */
struct vm_kit {
        char *dir;
        char *kernel, *initrd, *busybox;
        char *config;  /* the kernel's configuration (boot/config-KVER) */
        char *modules; /* lib/modules/KVER */
        char *kver;    /* 6.1.0-xx-armmp-lpae */
        char *package; /* the kernel's .deb: linux-image-6.1.0-xx-armmp-lpae_6.1.yyy-1_armhf.deb */
};
void vm_kit_clear(struct vm_kit *k);

struct vm_kit_req {
        const struct cache *cache;
        const struct rootfs_def *rf; /* suite, mirror and keyring (Debian roots); else the host's */
        enum xb_arch arch;
        struct http_opts http;
        const char *log_path; /* apt, depmod, modprobe output */
        bool echo;
};

/* Returns 0, or -XB_E_NOT_AVAILABLE (a host tool, the mirror or a package is missing), the
 * fetch layer's errors, -errno; err says why in one line. *ret_created: made by this call. */
int vm_kit_prepare(const struct vm_kit_req *req, struct vm_kit *ret, bool *ret_created, struct xb_detail *err);

/* What a VM boots: the kit's kernel and initrd, or the user's (--kernel and --initrd); a user
 * kernel alone gets an initrd without modules, written to scratch_dir. The kit is prepared
 * only when needed. Errors: vm_kit_prepare's, a download's as -XB_E_NOT_AVAILABLE. */
struct vm_boot {
        char *kernel, *initrd;
        struct vm_kit kit;     /* empty when the user gave both */
        bool kit_created;      /* made by this call */
};
void vm_boot_clear(struct vm_boot *b);
int vm_boot_prepare(const struct vm_kit_req *req, const char *kernel, const char *initrd, const char *scratch_dir,
                    struct vm_boot *ret, struct xb_detail *err);

/* Parsers of apt's output, exposed for tests.
 * 'apt-cache depends PKG': the first "Depends: NAME" whose NAME starts with prefix. */
int apt_parse_depends(const char *text, const char *prefix, char **ret);
/* 'apt-get download --print-uris': "'URL' FILE SIZE SHA256:HEX" for the file whose name
 * starts with "PACKAGE_". -ENOENT when absent, -EBADMSG when the line lacks a SHA256.
 * ret_file (may be NULL): FILE, which carries the version. */
int apt_parse_print_uris(const char *text, const char *package, char **ret_url, char **ret_sha256, char **ret_file);
