/* SPDX-License-Identifier: MIT */
/* Planning is pure: a fake host decides what each probe finds. */
#include <string.h>

#include "core/strv.h"
#include "recipe/recipe.h"
#include "strategy/plan.h"
#include "core/errors.h"
#include "recipe/toolchain.h"
#include "tap.h"

static const char recipe_yaml[] =
        "name: demo\nsummary: s\narches: [armhf, arm64]\nsource: {local: .}\n"
        "env: {CFLAGS: -O2, TARGET: '${triplet}', OVERRIDE: base}\n"
        "steps: [make]\nartifacts:\n  - path: 'out/${arch}/demo'\n"
        "strategies:\n  cross: {env: {OVERRIDE: cross}}\n  remote: {enabled: false}\n";

static bool fake_has(const char *name, void *u) {
        return strv_contains((char *const *) u, name);
}

int main(void) {
        struct recipe *rc = NULL;
        struct xb_diag d = {0};
        struct plan *p = NULL;
        char *have[] = {(char *) "arm-linux-gnueabihf-gcc", (char *) "ssh", NULL};
        struct host_facts host = {.is_root = false, .jobs = 8, .cache_dir = "/c", .out_dir = "/o",
                                  .remote_host = "u@h", .has_program = fake_has, .userdata = have};

        if (recipe_parse(recipe_yaml, strlen(recipe_yaml), "/r/demo.yaml", &rc, &d) < 0) {
                tap_ok(0, "recipe: %s", d.msg);
                return tap_done();
        }
        tap_ok(plan_make(rc, NULL, XB_ARCH_ARMEL, _XB_STRATEGY_INVALID, &host, &p) == -EINVAL,
               "an arch the recipe lacks is refused");
        tap_ok(plan_make(rc, NULL, XB_ARCH_ARMHF, _XB_STRATEGY_INVALID, &host, &p) == 0, "plan for armhf");
        tap_ok(!p->probes[XB_STRATEGY_CROSS].host_ready && strstr(p->probes[XB_STRATEGY_CROSS].detail, "a toolchain in the recipe") &&
                       !p->probes[XB_STRATEGY_CHROOT].host_ready &&
                       strstr(p->probes[XB_STRATEGY_CHROOT].detail, "qemu-arm-static") &&
                       strstr(p->probes[XB_STRATEGY_CHROOT].detail, "root"),
               "probes see the fake host: %s", p->probes[XB_STRATEGY_CHROOT].detail);
        tap_ok(!p->probes[XB_STRATEGY_REMOTE].recipe_allows && strstr(p->probes[XB_STRATEGY_REMOTE].detail, "disabled"),
               "recipe-disabled strategy");
        tap_ok(p->chosen == _XB_STRATEGY_INVALID && p->shown == XB_STRATEGY_CROSS && strstr(p->reason, "no strategy can build here"),
               "the one implemented strategy lacks qemu and root here: nothing is chosen, and the plan says so");
        tap_ok(p->probes[XB_STRATEGY_CHROOT].implemented && p->probes[XB_STRATEGY_CROSS].implemented &&
                       p->probes[XB_STRATEGY_QEMU_SYSTEM].implemented && p->probes[XB_STRATEGY_REMOTE].implemented,
               "every strategy is implemented");
        tap_ok(!p->probes[XB_STRATEGY_QEMU_SYSTEM].host_ready &&
                       strstr(p->probes[XB_STRATEGY_QEMU_SYSTEM].detail, "qemu-system-arm") &&
                       strstr(p->probes[XB_STRATEGY_QEMU_SYSTEM].detail, "mkfs.ext4") &&
                       strstr(p->probes[XB_STRATEGY_QEMU_SYSTEM].detail, "kmod"),
               "qemu-system names what it lacks: %s", p->probes[XB_STRATEGY_QEMU_SYSTEM].detail);
        tap_ok(streq(strv_env_get(p->env, "TARGET"), "arm-linux-gnueabihf") &&
                       streq(strv_env_get(p->env, "OVERRIDE"), "cross") &&
                       streq(strv_env_get(p->env, "XB_JOBS"), "8") &&
                       streq(strv_env_get(p->env, "XB_SRCDIR"), "/c/work/demo-armhf/src") &&
                       streq(strv_env_get(p->env, "XB_SYSROOT"), "") && streq(strempty(p->work_dir), "/c/work/demo-armhf") &&
                       streq(strempty(p->out_dir), "/o/demo/armhf"),
               "cross environment: variables expanded, strategy env over recipe env, no sysroot without build_deps, "
               "the work and output directories decided");
        tap_ok(p->n_artifacts == 1 && streq(p->artifacts[0].path, "out/armhf/demo") &&
                       streq(p->artifacts[0].dest, "/o/demo/armhf/demo"),
               "artifact paths");
        plan_free(p);
        p = NULL;

        tap_ok(plan_make(rc, NULL, XB_ARCH_ARM64, XB_STRATEGY_CHROOT, &host, &p) == 0 && p->forced &&
                       p->shown == XB_STRATEGY_CHROOT && strstr(p->reason, "chroot was requested but cannot run"),
               "forced strategy: shown, and why it cannot run");
        tap_ok(streq(strv_env_get(p->env, "XB_SRCDIR"), "/xbuild/src") &&
                       streq(strv_env_get(p->env, "OVERRIDE"), "base") && !strv_env_get(p->env, "XB_GOARM")[0],
               "chroot environment: fixed paths inside, no cross override, empty GOARM on arm64");
        tap_ok(p->probes[XB_STRATEGY_CROSS].host_ready == false, "no aarch64 cross gcc on the fake host");
        plan_free(p);
        p = NULL;

        char *have2[] = {(char *) "qemu-arm-static", NULL};
        struct host_facts root_host = host;
        root_host.is_root = true;
        root_host.userdata = have2;
        tap_ok(plan_make(rc, NULL, XB_ARCH_ARMHF, _XB_STRATEGY_INVALID, &root_host, &p) == 0 &&
                       p->chosen == XB_STRATEGY_CHROOT && p->shown == XB_STRATEGY_CHROOT && strstr(p->reason, "first strategy"),
               "root with qemu-arm-static: auto chooses chroot (%s)", p ? p->reason : "");
        plan_free(p);
        p = NULL;

        /* Fastest first: with chroot impossible (no qemu-user), a VM host still is not enough
         * for qemu-system, which builds its image from the same qemu-user rootfs. */
        char *have3[] = {(char *) "qemu-system-aarch64", (char *) "mkfs.ext4", (char *) "depmod", (char *) "modprobe",
                         (char *) "apt-get", (char *) "qemu-aarch64-static", NULL};
        root_host.userdata = have3;
        tap_ok(plan_make(rc, NULL, XB_ARCH_ARM64, _XB_STRATEGY_INVALID, &root_host, &p) == 0 &&
                       p->chosen == XB_STRATEGY_CHROOT,
               "arm64 with every VM tool: chroot still comes first (%s)", p ? p->reason : "");
        plan_free(p);
        p = NULL;
        tap_ok(plan_make(rc, NULL, XB_ARCH_ARM64, XB_STRATEGY_QEMU_SYSTEM, &root_host, &p) == 0 &&
                       p->chosen == XB_STRATEGY_QEMU_SYSTEM && streq(strv_env_get(p->env, "XB_SRCDIR"), "/xbuild/src"),
               "arm64 --strategy=qemu-system: chosen, paths inside the guest are /xbuild");
        plan_free(p);
        p = NULL;
        recipe_free(rc);
        {
                /* Version stamps: the checkout has no .git, so the pin and the ref are variables. */
                static const char git_yaml[] =
                        "name: vdemo\nsummary: s\narches: [armhf]\n"
                        "source: {git: 'https://example.invalid/r.git', ref: v1.1.15, commit: 0123456789abcdef0123456789abcdef01234567}\n"
                        "env: {STAMP: '${version}-${commit}', REF: '${ref}'}\nsteps: [make]\n"
                        "artifacts: [{path: 'b/x-${version}', expect: {runs: [[--arch, '${arch}'], []]}}]\n";
                static const char own_yaml[] = "name: odemo\nsummary: s\nversion: 6.0.5+ds\narches: [armhf]\n"
                                               "source: {local: .}\nsteps: [make]\nartifacts: [{path: x}]\n";
                struct recipe *gr = NULL, *orc = NULL;
                struct plan *gp = NULL;
                tap_ok(recipe_parse(git_yaml, strlen(git_yaml), "/r/vdemo.yaml", &gr, &d) == 0 &&
                               plan_make(gr, NULL, XB_ARCH_ARMHF, XB_STRATEGY_CHROOT, &host, &gp) == 0 &&
                               streq(strv_env_get(gp->env, "STAMP"), "1.1.15-0123456789abcdef0123456789abcdef01234567") &&
                               streq(strv_env_get(gp->env, "REF"), "v1.1.15") &&
                               streq(strv_env_get(gp->env, "XB_VERSION"), "1.1.15") &&
                               streq(strv_env_get(gp->env, "XB_COMMIT"), "0123456789abcdef0123456789abcdef01234567") &&
                               streq(gp->artifacts[0].path, "b/x-1.1.15") && streq(gp->artifacts[0].runs[0][1], "armhf") &&
                               gp->artifacts[0].runs[1] && !gp->artifacts[0].runs[1][0] && !gp->artifacts[0].runs[2],
                       "${version} (the ref without its v), ${commit}, ${ref}; XB_VERSION and XB_COMMIT for steps; smoke-run "
                       "arguments expanded");
                tap_ok(recipe_parse(own_yaml, strlen(own_yaml), "/r/odemo.yaml", &orc, &d) == 0 &&
                               streq(recipe_version(orc), "6.0.5+ds") && orc->source.kind == SOURCE_LOCAL,
                       "a recipe's own version: wins, even without git");
                plan_free(gp);
                recipe_free(gr);
                recipe_free(orc);
        }
        {
                /* Per arch: containerd is dynamic on armhf (the static-link trap), static on arm64. */
                static const char yaml[] =
                        "name: pdemo\nsummary: s\narches: [armhf, arm64]\nsource: {local: .}\n"
                        "env: {LINK: static, KEEP: base}\nsteps: [make static]\n"
                        "artifacts: [{path: bin/d, expect: {static: true}}]\n"
                        "per_arch:\n  armhf:\n    env: {LINK: dynamic}\n    steps: [make dynamic]\n"
                        "    artifacts: [{path: bin/d, expect: {static: false}}]\n"
                        "strategies:\n  chroot: {steps: [make in-chroot]}\n";
                struct recipe *pr = NULL;
                struct plan *hf = NULL, *a64 = NULL, *ch = NULL;
                int r = recipe_parse(yaml, strlen(yaml), "/r/pdemo.yaml", &pr, &d);
                tap_ok(r == 0, "per_arch parses (%s)", d.msg);
                if (r == 0) {
                        tap_ok(plan_make(pr, NULL, XB_ARCH_ARMHF, XB_STRATEGY_CROSS, &host, &hf) == 0 &&
                                       streq(hf->steps[0], "make dynamic") && streq(strv_env_get(hf->env, "LINK"), "dynamic") &&
                                       streq(strv_env_get(hf->env, "KEEP"), "base") && hf->artifacts[0].def->expect.static_link == 0,
                               "armhf: its own steps, env over the recipe's, its own artifact expectations");
                        tap_ok(plan_make(pr, NULL, XB_ARCH_ARM64, XB_STRATEGY_CROSS, &host, &a64) == 0 &&
                                       streq(a64->steps[0], "make static") && streq(strv_env_get(a64->env, "LINK"), "static") &&
                                       a64->artifacts[0].def->expect.static_link == 1,
                               "arm64: the recipe's");
                        tap_ok(plan_make(pr, NULL, XB_ARCH_ARMHF, XB_STRATEGY_CHROOT, &host, &ch) == 0 &&
                                       streq(ch->steps[0], "make in-chroot"),
                               "a strategy's own steps still win over the arch's");
                }
                plan_free(hf);
                plan_free(a64);
                plan_free(ch);
                recipe_free(pr);
        }
        {
                /* A variant replaces whole keys; a Debian source stamps ${ref}/${version}; Go never
                 * reaches for the network unless the recipe says so. */
                static const char yaml[] =
                        "name: vr\nsummary: s\narches: [armhf]\ntoolchain: go\n"
                        "source: {git: 'https://example.invalid/r.git', ref: v1.1.15, commit: 0123456789abcdef0123456789abcdef01234567}\n"
                        "env: {A: upstream, B: kept-only-upstream}\nsteps: [make]\nartifacts: [{path: x}]\n"
                        "variants:\n  debian:\n    source: {debian: runc, version: '1.1.5+ds1-1+deb12u1'}\n"
                        "    env: {A: 'debian-${version}-${ref}', GOPROXY: direct}\n"
                        "  net:\n    network: true\n";
                struct recipe *up = NULL, *deb = NULL, *net = NULL;
                struct plan *pu = NULL, *pd = NULL, *pn = NULL;
                struct xb_diag vd = {0};
                int r1 = recipe_parse_variant(yaml, strlen(yaml), "/r/vr.yaml", NULL, &up, &vd);
                int r2 = recipe_parse_variant(yaml, strlen(yaml), "/r/vr.yaml", "debian", &deb, &vd);
                int r3 = recipe_parse_variant(yaml, strlen(yaml), "/r/vr.yaml", "net", &net, &vd);
                tap_ok(r1 == 0 && r2 == 0 && r3 == 0 && !up->variant && streq(deb->variant, "debian") &&
                               strv_length(up->variants) == 2 && streq(deb->variants[1], "net"),
                       "variants parse; the recipe knows its variants and which one it is (%s)", vd.msg);
                if (r1 == 0 && r2 == 0 && r3 == 0) {
                        tap_ok(plan_make(up, NULL, XB_ARCH_ARMHF, XB_STRATEGY_CHROOT, &host, &pu) == 0 &&
                                       streq(strv_env_get(pu->env, "A"), "upstream") &&
                                       streq(strv_env_get(pu->env, "GOPROXY"), "off") &&
                                       streq(strv_env_get(pu->env, "GOTOOLCHAIN"), "local"),
                               "a Go recipe: GOPROXY=off and GOTOOLCHAIN=local by default");
                        tap_ok(plan_make(deb, NULL, XB_ARCH_ARMHF, XB_STRATEGY_CHROOT, &host, &pd) == 0 &&
                                       streq(strv_env_get(pd->env, "A"), "debian-1.1.5-1.1.5+ds1-1+deb12u1") &&
                                       !strv_env_get(pd->env, "B") && streq(strv_env_get(pd->env, "GOPROXY"), "direct") &&
                                       streq(strv_env_get(pd->env, "XB_COMMIT"), "") && deb->source.kind == SOURCE_DEBIAN &&
                                       streq(pd->out_rel, "vr@debian/armhf") && streq(pd->out_dir, "/o/vr@debian/armhf"),
                               "the debian variant: its env whole, ${version} upstream's, ${ref} Debian's, the recipe's GOPROXY wins, "
                               "its own out dir");
                        tap_ok(plan_make(net, NULL, XB_ARCH_ARMHF, XB_STRATEGY_CHROOT, &host, &pn) == 0 &&
                                       !strv_env_get(pn->env, "GOPROXY") && net->source.kind == SOURCE_GIT,
                               "network: true: no GOPROXY default; what a variant does not give is the recipe's");
                }
                /* The toolchain's target_env reaches every strategy; its env only cross. */
                static const char tcy[] = "name: go\nsummary: s\nkind: go\ntarget_env: {GOARM: '${goarm}', GOFLAGS: -trimpath}\n"
                                          "env: {CC: '${triplet}-gcc'}\narches:\n  armhf: {packages: [gcc-arm-linux-gnueabihf]}\n";
                struct toolchain *tc = NULL;
                struct plan *tch = NULL, *tcr = NULL;
                tap_ok(toolchain_parse(tcy, strlen(tcy), "/t/go.yaml", &tc, &vd) == 0 && r1 == 0 &&
                               plan_make(up, tc, XB_ARCH_ARMHF, XB_STRATEGY_CHROOT, &host, &tch) == 0 &&
                               plan_make(up, tc, XB_ARCH_ARMHF, XB_STRATEGY_CROSS, &host, &tcr) == 0 &&
                               streq(strempty(strv_env_get(tch->env, "GOARM")), "7") &&
                               streq(strempty(strv_env_get(tch->env, "GOFLAGS")), "-trimpath") && !strv_env_get(tch->env, "CC") &&
                               streq(strempty(strv_env_get(tcr->env, "GOARM")), "7") &&
                               streq(strempty(strv_env_get(tcr->env, "CC")), "arm-linux-gnueabihf-gcc"),
                       "target_env for chroot and cross alike, env for cross only (%s)", vd.msg);
                plan_free(tch);
                plan_free(tcr);
                toolchain_free(tc);
                struct recipe *bad = NULL;
                tap_ok(recipe_parse_variant(yaml, strlen(yaml), "/r/vr.yaml", "nope", &bad, &vd) == -XB_E_NOT_FOUND &&
                               strstr(vd.msg, "has no variant 'nope' (it has: debian, net)"),
                       "an unknown variant names those there are");
                plan_free(pu);
                plan_free(pd);
                plan_free(pn);
                recipe_free(up);
                recipe_free(deb);
                recipe_free(net);
        }
        return tap_done();
}
