/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "config.h"
#include "recipe/kconfig-profile.h"

/* A profile's requirements against a configuration, as docker's check-config.sh and
 * lxc-checkconfig report them. */
enum kcheck_state {
        KCHECK_ENABLED,   /* =y */
        KCHECK_MODULE,    /* =m, and a module suffices */
        KCHECK_ALTERNATIVE, /* missing, but one of any_of holds */
        KCHECK_MISSING,
        KCHECK_NOT_APPLICABLE, /* outside its kernel version range */
};

struct kcheck_item {
        const struct kconfig_group *group;
        const struct kconfig_option *opt;
        enum kcheck_state state;
        const char *via; /* the alternative that holds */
};

struct kcheck {
        struct kcheck_item *items;
        size_t n;
        unsigned missing_required, missing_optional, ok;
        kversion_t version;
};

void kcheck_clear(struct kcheck *c);
/* version: the kernel's (0: take it from the config; unknown means every option applies). */
int kcheck_run(const struct kconfig_profile *p, const struct kconfig *k, kversion_t version, struct kcheck *ret);
void kcheck_print(const struct kcheck *c, const struct kconfig_profile *p, bool colour);
json_object *kcheck_json(const struct kcheck *c, const struct kconfig_profile *p, const struct kconfig *k);
/* A fragment setting exactly the missing options (=y, or =m where a module suffices). */
char *kcheck_fragment(const struct kcheck *c, const struct kconfig_profile *p);
