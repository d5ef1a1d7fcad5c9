/* SPDX-License-Identifier: MIT */
/* The accelerated chroot's decision: dpkg status texts of a host and a root in, which compilers
 * run natively, the wrappers and the one line the plan prints out. */
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/strv.h"
#include "strategy/accel.h"
#include "tap.h"

#define INST "Status: install ok installed\n"

static const char root_status[] =
        "Package: gcc\n" INST "Version: 4:12.2.0-3\nDepends: cpp (= 4:12.2.0-3), gcc-12 (>= 12.2.0-1~)\n\n"
        "Package: gcc-12\n" INST "Version: 12.2.0-14+deb12u1\nDepends: cpp-12 (= 12.2.0-14+deb12u1)\n\n"
        "Package: g++\n" INST "Version: 4:12.2.0-3\nDepends: cpp (= 4:12.2.0-3), g++-12 (>= 12.2.0-1~), gcc-12 (>= 12.2.0-1~)\n\n"
        "Package: g++-12\n" INST "Version: 12.2.0-14+deb12u1\n\n"
        "Package: golang-go\n" INST "Source: golang-defaults\nVersion: 2:1.19~1\nDepends: golang-1.19-go, golang-src (>= 2:1.19~1)\n\n"
        "Package: golang-1.19-go\n" INST "Version: 1.19.8-2\n\n"
        "Package: removed\nStatus: deinstall ok config-files\nVersion: 1\n";

static const char host_status[] =
        "Package: gcc-12-arm-linux-gnueabihf\n" INST "Source: gcc-12-cross (15)\nVersion: 12.2.0-14cross1\n\n"
        "Package: golang-1.19-go\n" INST "Version: 1.19.8-2\n";

static bool streq_ptr(const char *a, const char *b) {
        return a && b && streq(a, b);
}

static bool all_there(const char *path, void *u) {
        return true;
}
static bool none_there(const char *path, void *u) {
        return false;
}

static const char *link_target(char **links, const char *name) {
        for (char **l = links; l && l[0] && l[1]; l += 2)
                if (streq(l[0], name))
                        return l[1];
        return NULL;
}

static void test_status(void) {
        _cleanup_free_ char *v = dpkg_status_version(root_status, "gcc-12"), *d = dpkg_status_depends_on(root_status, "gcc", "gcc-", ""),
                            *g = dpkg_status_depends_on(root_status, "golang-go", "golang-", "-go"),
                            *x = dpkg_status_version(root_status, "removed"), *n = dpkg_status_version(root_status, "gcc-1");
        tap_ok(v && streq(v, "12.2.0-14+deb12u1"), "dpkg status: an installed package's version");
        tap_ok(d && streq(d, "gcc-12") && g && streq(g, "golang-1.19-go"), "dpkg status: the compiler a default package depends on");
        tap_ok(!x && !n, "dpkg status: a removed package or a name prefix is not installed");
        static const char odd[] = "Package: gcc\nStatus: hold ok installed\nVersion: 4:12.2.0-3\n"
                                  "Depends: gcc-arm-linux-gnueabihf | gcc-12:any (>= 12), cpp\n\n"
                                  "Package: golang-go\nStatus: install ok installed\nDepends: golang-src, golang-1.21-go\n";
        _cleanup_free_ char *o1 = dpkg_status_depends_on(odd, "gcc", "gcc-", ""), *o2 = dpkg_status_depends_on(odd, "golang-go", "golang-", "-go"),
                            *o3 = dpkg_status_version(odd, "gcc");
        tap_ok(o1 && streq(o1, "gcc-12") && o2 && streq(o2, "golang-1.21-go") && o3 && streq(o3, "4:12.2.0-3"),
               "dpkg status: held packages count, names need a version digit, :any dropped, later dependencies scanned");
}

static void test_decide(void) {
        struct accel_inputs in = {.mode = ACCEL_AUTO, .recipe_allows = true, .arch = XB_ARCH_ARMHF,
                                  .chroot_status = root_status, .host_status = host_status, .host_has = all_there};
        _cleanup_(accel_plan_clear) struct accel_plan p = {0};
        tap_ok(accel_decide(&in, &p) == 0 && p.active && p.cc.used && p.go.used && !p.cxx.used, "gcc and Go native, g++ not");
        tap_ok(!p.cc.same_version && p.go.same_version, "12.2.0-14cross1 is not 12.2.0-14+deb12u1; Go 1.19.8-2 on both sides is the same");
        tap_ok(p.cxx.why_not && strstr(p.cxx.why_not, "g++: stays emulated"), "g++ stays emulated, saying why");
        tap_ok(streq_ptr(link_target(p.links, "cc"), "/native/usr/bin/arm-linux-gnueabihf-gcc-12") &&
                       streq_ptr(link_target(p.links, "gcc-12"), "/native/usr/bin/arm-linux-gnueabihf-gcc-12") &&
                       streq_ptr(link_target(p.links, "arm-linux-gnueabihf-gcc"), "/native/usr/bin/arm-linux-gnueabihf-gcc-12") &&
                       streq_ptr(link_target(p.links, "go"), "/native/usr/lib/go-1.19/bin/go") && !link_target(p.links, "g++"),
               "wrappers: cc, gcc-12, the triplet's name, go; none for g++");
        tap_ok(strstr(p.summary, "accelerated (--accelerate=auto): native gcc-12-arm-linux-gnueabihf 12.2.0-14cross1") &&
                       strstr(p.summary, "another version") && strstr(p.summary, "still emulated: g++"),
               "the summary says which, both versions and what stays emulated");

        _cleanup_strv_free_ char **env = accel_step_env(&p, XB_ARCH_ARMHF, (char *[]){(char *) "PATH=/usr/bin:/bin", (char *) "CGO_ENABLED=0", NULL});
        tap_ok(env && streq_ptr(strv_env_get(env, "PATH"), "/native/bin:/usr/bin:/bin") &&
                       streq_ptr(strv_env_get(env, "GOARCH"), "arm") && streq_ptr(strv_env_get(env, "GOARM"), "7") &&
                       streq_ptr(strv_env_get(env, "CGO_ENABLED"), "0"),
               "step env: /native/bin first, GOARCH/GOARM for the target, the recipe's CGO_ENABLED kept");
}

static void test_fallbacks(void) {
        struct accel_inputs in = {.mode = ACCEL_AUTO, .recipe_allows = true, .arch = XB_ARCH_ARM64,
                                  .chroot_status = root_status, .host_status = host_status, .host_has = all_there};
        struct accel_plan p = {0};
        tap_ok(accel_decide(&in, &p) == 0 && p.active && !p.cc.used && p.go.used &&
                       strstr(p.summary, "gcc: the host has no gcc-12-aarch64-linux-gnu"),
               "arm64 without the arm64 cross gcc: only Go native, the summary says why gcc is not");
        accel_plan_clear(&p);
        in.host_has = none_there;
        tap_ok(accel_decide(&in, &p) == 0 && !p.active && strneq(p.summary, "emulated: ", 10), "programs missing on the host: emulated");
        accel_plan_clear(&p);
        in.mode = ACCEL_ON;
        tap_ok(accel_decide(&in, &p) == 0 && !p.active && strneq(p.summary, "--accelerate=on, but", 20), "on with nothing to run natively: said for the build to refuse");
        accel_plan_clear(&p);
        in = (struct accel_inputs){.mode = ACCEL_OFF, .recipe_allows = true, .chroot_status = root_status, .host_status = host_status};
        tap_ok(accel_decide(&in, &p) == 0 && !p.active && streq(p.summary, "emulated: --accelerate=off"), "off");
        accel_plan_clear(&p);
        in.mode = ACCEL_AUTO;
        in.recipe_allows = false;
        tap_ok(accel_decide(&in, &p) == 0 && !p.active && streq(p.summary, "emulated: the recipe says accelerate: false"), "the recipe's opt-out");
        accel_plan_clear(&p);
        in.recipe_allows = true;
        in.chroot_status = NULL;
        tap_ok(accel_decide(&in, &p) == 0 && !p.active && !p.root_known && strstr(p.summary, "decided when the root"), "root not prepared: decided later");
        accel_plan_clear(&p);
        in.chroot_status = "Package: make\n" INST "Version: 4.3-4.1\n";
        in.host_has = all_there;
        tap_ok(accel_decide(&in, &p) == 0 && !p.active && strstr(p.summary, "the root has no gcc, g++ or Go"), "a root without compilers: nothing to replace");
        accel_plan_clear(&p);
        tap_ok(accel_mode_from_string("on") == ACCEL_ON && accel_mode_from_string("sometimes") < 0, "modes");
}

int main(void) {
        test_status();
        test_decide();
        test_fallbacks();
        return tap_done();
}
