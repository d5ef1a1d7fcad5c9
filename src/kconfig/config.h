/* SPDX-License-Identifier: MIT */
#pragma once

#include "core/errors.h"
#include "core/macro.h"
#include "recipe/kconfig-profile.h"

/* A kernel's configuration: CONFIG_ name -> value ("y", "m", a string or number), read from a
 * .config, a gzip'd /proc/config.gz, a Debian kernel package (its /boot/config-*), or a kernel
 * image built with IKCONFIG. */
struct kconfig {
        char **names;  /* without CONFIG_ */
        char **values;
        size_t n, cap;
        kversion_t version; /* from the "# Linux/ARCH X.Y.Z Kernel Configuration" header, 0 if none */
        char source[256];   /* what it was read from, for messages */
};

struct kconfig *kconfig_free(struct kconfig *k);
DEFINE_FREEP(struct kconfig, kconfig_free)

int kconfig_parse_text(const char *text, size_t n, struct kconfig **ret);
/* Detects the kind of file. -XB_E_ARCHIVE (err says why) when it holds no configuration. */
int kconfig_load(const char *path, struct kconfig **ret, struct xb_detail *err);
/* NULL when the option is not set. */
const char *kconfig_get(const struct kconfig *k, const char *name);
