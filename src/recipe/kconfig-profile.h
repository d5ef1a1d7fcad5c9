/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/diag.h"
#include "core/macro.h"

/* A kernel-config requirement profile (recipes/kconfig/NAME.yaml): which CONFIG_ options an
 * engine needs, grouped as docker's check-config.sh and lxc-checkconfig group them. */

enum kconfig_level {
        KCONFIG_REQUIRED,
        KCONFIG_OPTIONAL,
        _KCONFIG_LEVEL_MAX,
        _KCONFIG_LEVEL_INVALID = -EINVAL,
};

/* A kernel version as major*65536 + minor*256 + patch; 0 = unbounded. */
typedef unsigned kversion_t;

struct kconfig_option {
        char *name;     /* without the CONFIG_ prefix */
        enum kconfig_level level;
        char *reason;   /* may be NULL */
        char **any_of;  /* alternatives that satisfy it instead; may be empty */
        kversion_t since; /* applies from this version on (inclusive) */
        kversion_t until; /* applies before this version (exclusive) */
        bool module_ok;   /* =m suffices (default true) */
};

struct kconfig_group {
        char *name;
        struct kconfig_option *options;
        size_t n_options;
};

struct kconfig_profile {
        char *path;
        char *name;
        char *summary;
        struct kconfig_group *groups;
        size_t n_groups;
};

const char *kconfig_level_to_string(enum kconfig_level l);
/* "4.7", "3.10.1" -> kversion; -EINVAL on anything else. */
int kversion_parse(const char *s, kversion_t *ret);
struct kconfig_profile *kconfig_profile_free(struct kconfig_profile *p);
DEFINE_FREEP(struct kconfig_profile, kconfig_profile_free)
int kconfig_profile_parse(const char *data, size_t size, const char *filename,
                          struct kconfig_profile **ret, struct xb_diag *reterr);
int kconfig_profile_load(const char *path, struct kconfig_profile **ret, struct xb_diag *reterr);
