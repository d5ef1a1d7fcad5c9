/* SPDX-License-Identifier: MIT */
/* libFuzzer target: every schema over arbitrary bytes. Any return code is fine; crashes,
 * leaks, hangs and sanitizer reports are not. */
#include <stddef.h>
#include <stdint.h>

#include "recipe/kconfig-profile.h"
#include "recipe/recipe.h"
#include "recipe/rootfs.h"
#include "recipe/toolchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xb_diag d = {0};
        struct recipe *rc = NULL;
        struct rootfs_def *rf = NULL;
        struct toolchain *tc = NULL;
        struct kconfig_profile *kp = NULL;

        if (recipe_parse((const char *) data, size, "/fuzz/recipe.yaml", &rc, &d) == 0)
                recipe_free(rc);
        if (rootfs_def_parse((const char *) data, size, "fuzz.yaml", &rf, &d) == 0)
                rootfs_def_free(rf);
        if (toolchain_parse((const char *) data, size, "fuzz.yaml", &tc, &d) == 0)
                toolchain_free(tc);
        if (kconfig_profile_parse((const char *) data, size, "fuzz.yaml", &kp, &d) == 0)
                kconfig_profile_free(kp);
        return 0;
}
