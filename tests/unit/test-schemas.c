/* SPDX-License-Identifier: MIT */
/* Rootfs definitions, toolchains and kconfig profiles: the shipped files load, and their
 * schemas are as strict as the recipe's. */
#include <string.h>

#include "core/errors.h"
#include "core/path.h"
#include "core/strv.h"
#include "recipe/kconfig-profile.h"
#include "recipe/rootfs.h"
#include "recipe/toolchain.h"
#include "tap.h"

static char *data_path(const char *rel) {
        const char *root = getenv("XB_TEST_DATA");
        return path_join(root ? root : ".", rel);
}

static void test_shipped(void) {
        struct xb_diag d = {0};
        _cleanup_free_ char *p1 = data_path("recipes/rootfs/debian-bookworm.yaml");
        _cleanup_free_ char *p2 = data_path("recipes/rootfs/archlinuxarm-armv7.yaml");
        _cleanup_free_ char *p3 = data_path("toolchains/go.yaml");
        _cleanup_free_ char *p4 = data_path("recipes/kconfig/docker-1.10.yaml");
        struct rootfs_def *rf = NULL;
        struct toolchain *tc = NULL;
        struct kconfig_profile *kp = NULL;

        tap_ok(rootfs_def_load(p1, &rf, &d) == 0 && rf->provider == ROOTFS_DEBOOTSTRAP && !rf->mirror &&
                       streq(rf->suite, "bookworm") && streq(rf->variant, "minbase") && rf->n_arches == 3,
               "debian-bookworm: debootstrap, mirror from the host (%s)", d.msg);
        rootfs_def_free(rf);
        rf = NULL;
        tap_ok(rootfs_def_load(p2, &rf, &d) == 0 && rf->provider == ROOTFS_TARBALL &&
                       rf->tarballs[XB_ARCH_ARMHF].set && rf->package_manager == PKG_PACMAN,
               "archlinuxarm-armv7: tarball for armhf (%s)", d.msg);
        rootfs_def_free(rf);
        tap_ok(toolchain_load(p3, &tc, &d) == 0 && tc->kind == TOOLCHAIN_GO && tc->arches[XB_ARCH_ARMEL].set &&
                       streq(strv_env_get(tc->arches[XB_ARCH_ARMEL].env, "GOARM"), "5"),
               "go toolchain (%s)", d.msg);
        toolchain_free(tc);
        tap_ok(kconfig_profile_load(p4, &kp, &d) == 0 && kp->n_groups == 4, "docker-1.10 profile (%s)", d.msg);
        if (kp) {
                const struct kconfig_option *o = NULL;
                for (size_t i = 0; i < kp->groups[0].n_options; i++)
                        if (streq(kp->groups[0].options[i].name, "DEVPTS_MULTIPLE_INSTANCES"))
                                o = &kp->groups[0].options[i];
                tap_ok(o && o->until == (4u << 16 | 7u << 8) && o->since == 0 && o->level == KCONFIG_REQUIRED,
                       "version-gated option");
        }
        kconfig_profile_free(kp);
}

struct bad {
        int kind; /* 0 rootfs, 1 toolchain, 2 kconfig */
        const char *name, *yaml;
        unsigned line, col;
        const char *msg;
};

#define RF "name: r\nsummary: s\narches: [armhf]\n"
#define TC "name: t\nsummary: s\nkind: gcc\n"
#define KP "name: k\nsummary: s\n"

static const struct bad bad_cases[] = {
        {0, "rootfs: unknown provider", RF "provider: debootsrap\n", 4, 11, "did you mean 'debootstrap'?"},
        {0, "rootfs: section of the other provider", RF "provider: debootstrap\ndebootstrap: {suite: bookworm}\ntarball: {}\n",
         6, 1, "'tarball' does not apply to provider 'debootstrap'"},
        {0, "rootfs: missing provider section", RF "provider: tarball\n", 1, 1, "missing required key 'tarball'"},
        {0, "rootfs: tarball for an arch not listed", RF "provider: tarball\ntarball:\n  arm64: {url: 'https://x/a', sha256: a}\n",
         6, 3, "not in this rootfs's arches"},
        {0, "rootfs: tarball sha256 short", RF "provider: tarball\ntarball:\n  armhf: {url: 'https://x/a', sha256: abc}\n",
         6, 39, "64 lowercase hexadecimal"},
        {0, "rootfs: missing tarball for an arch", "name: r\nsummary: s\narches: [armhf, arm64]\nprovider: tarball\ntarball:\n  armhf: {url: 'https://x/a', sha256: '0000000000000000000000000000000000000000000000000000000000000000'}\n",
         6, 3, "no entry for architecture 'arm64'"},
        {0, "rootfs: bad mirror", RF "provider: debootstrap\ndebootstrap: {suite: bookworm, mirror: 'ftp://x'}\n", 5, 40,
         "must be 'host' or an http(s)://"},
        {0, "rootfs: relative keyring", RF "provider: debootstrap\ndebootstrap: {suite: bookworm, keyring: k.gpg}\n", 5, 41,
         "absolute path"},
        {0, "rootfs: unknown variant", RF "provider: debootstrap\ndebootstrap: {suite: bookworm, variant: tiny}\n", 5, 41,
         "unknown debootstrap.variant 'tiny' (known: minbase, buildd, fakechroot)"},
        {1, "toolchain: unknown kind", "name: t\nsummary: s\nkind: clang\n", 3, 7, "'kind' must be gcc or go"},
        {1, "toolchain: unknown arch", TC "arches:\n  mips: {packages: [gcc]}\n", 5, 3, "unknown key 'mips'"},
        {1, "toolchain: arch entry without packages", TC "arches:\n  armhf: {env: {CC: gcc}}\n", 5, 10,
         "missing required key 'packages' in arches.armhf"},
        {1, "toolchain: bad variable", TC "env: {CC: '${tripplet}-gcc'}\narches:\n  armhf: {packages: [gcc]}\n", 4, 12,
         "unknown variable"},
        {2, "kconfig: CONFIG_ prefix", KP "groups:\n  - name: g\n    options:\n      - {name: CONFIG_NAMESPACES}\n", 6, 16,
         "without CONFIG_"},
        {2, "kconfig: bad level", KP "groups:\n  - name: g\n    options:\n      - {name: NAMESPACES, level: must}\n", 6, 35,
         "required or optional"},
        {2, "kconfig: unquoted version is still checked", KP "groups:\n  - name: g\n    options:\n      - {name: A, until: 4.x}\n", 6, 26,
         "kernel version"},
        {2, "kconfig: until before since", KP "groups:\n  - name: g\n    options:\n      - {name: A, since: '4.7', until: '3.19'}\n", 6, 40,
         "later version than 'since'"},
        {2, "kconfig: empty groups", KP "groups: []\n", 3, 9, "non-empty list"},
};

static void test_bad(void) {
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
                const struct bad *c = &bad_cases[i];
                struct xb_diag d = {0};
                void *obj = NULL;
                int r;

                if (c->kind == 0)
                        r = rootfs_def_parse(c->yaml, strlen(c->yaml), "x.yaml", (struct rootfs_def **) &obj, &d);
                else if (c->kind == 1)
                        r = toolchain_parse(c->yaml, strlen(c->yaml), "x.yaml", (struct toolchain **) &obj, &d);
                else
                        r = kconfig_profile_parse(c->yaml, strlen(c->yaml), "x.yaml",
                                                  (struct kconfig_profile **) &obj, &d);
                tap_ok(r == -XB_E_RECIPE_VALUE && !obj && d.line == c->line && d.col == c->col && strstr(d.msg, c->msg),
                       "%s: %d %u:%u %s", c->name, r, d.line, d.col, d.msg);
        }
}

static void test_kversion(void) {
        kversion_t v;
        tap_ok(kversion_parse("4.7", &v) == 0 && v == (4u << 16 | 7u << 8), "4.7");
        tap_ok(kversion_parse("3.10.105", &v) == 0 && v == (3u << 16 | 10u << 8 | 105u), "3.10.105");
        tap_ok(kversion_parse("4", &v) < 0 && kversion_parse("4.7.1.2", &v) < 0 && kversion_parse("v4.7", &v) < 0 &&
                       kversion_parse("4..7", &v) < 0 && kversion_parse("4.300", &v) < 0,
               "malformed versions refused");
}

int main(void) {
        test_shipped();
        test_bad();
        test_kversion();
        return tap_done();
}
