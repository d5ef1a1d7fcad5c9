/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/path.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "plan.h"
#include "recipe/expand.h"

static bool real_has_program(const char *name, void *userdata) {
        (void) userdata;
        char *p = spawn_find_program(name, NULL);
        bool found = p != NULL;
        free(p);
        return found;
}

void host_facts_init(struct host_facts *h, const char *cache_dir, const char *out_dir,
                     const char *remote_host) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        *h = (struct host_facts){
                .is_root = geteuid() == 0,
                .jobs = n > 0 ? (unsigned) n : 1,
                .cache_dir = cache_dir,
                .out_dir = out_dir,
                .remote_host = remote_host,
                .has_program = real_has_program,
        };
}

void plan_free(struct plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < _XB_STRATEGY_MAX; i++)
                free(p->probes[i].detail);
        free(p->reason);
        free(p->out_root);
        free(p->out_dir);
        free(p->out_rel);
        free(p->work_dir);
        free(p->toolchain);
        free(p->rootfs);
        free(p->accel);
        strv_free(p->build_deps);
        strv_free(p->env);
        strv_free(p->steps);
        for (size_t i = 0; i < p->n_artifacts; i++) {
                free(p->artifacts[i].path);
                free(p->artifacts[i].dest);
                for (char ***run = p->artifacts[i].runs; run && *run; run++)
                        strv_free(*run);
                free(p->artifacts[i].runs);
        }
        free(p->artifacts);
        free(p);
}

static bool has(const struct host_facts *h, const char *prog) {
        return h->has_program && h->has_program(prog, h->userdata);
}

/* What each strategy needs from the host. None is implemented in this version: the probe
 * still reports the host's readiness so the user can prepare it. */
static int probe(const struct recipe *rc, const struct toolchain *tc, enum xb_arch arch,
                 enum xb_strategy s, const struct host_facts *h, struct strategy_probe *ret) {
        const struct arch_info *ai = arch_info(arch);
        char prog[128], missing[512] = "", will[256] = "";
        int n = 0;

#define NEED(cond, what)                                                                           \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        n += snprintf(missing + n, sizeof missing - (size_t) MIN(n, (int) sizeof missing), \
                                      "%s%s", n ? ", " : "", (what));                              \
        } while (0)

        ret->recipe_allows = !rc->strategies[s].set || rc->strategies[s].enabled;
        ret->implemented = true;
        switch (s) {
        case XB_STRATEGY_CROSS: {
                /* The toolchain may be installed on demand (root with apt), which the detail says. */
                bool installable = h->is_root && has(h, "apt-get");
                (void) snprintf(prog, sizeof prog, "%s-gcc", ai->triplet);
                NEED(tc, "a toolchain in the recipe");
                if (tc && !has(h, prog) && installable)
                        (void) snprintf(will, sizeof will, "; will install %s", prog);
                else if (tc && !has(h, prog)) {
                        /* Say which packages give it. */
                        char hint[384];
                        int o = snprintf(hint, sizeof hint, "%s (apt-get install", prog);
                        for (char **pk = tc->host_packages; pk && *pk && o < (int) sizeof hint; pk++)
                                o += snprintf(hint + o, sizeof hint - (size_t) o, " %s", *pk);
                        for (char **pk = tc->arches[arch].packages; pk && *pk && o < (int) sizeof hint; pk++)
                                o += snprintf(hint + o, sizeof hint - (size_t) o, " %s", *pk);
                        if (o < (int) sizeof hint)
                                (void) snprintf(hint + o, sizeof hint - (size_t) o, ")");
                        NEED(false, hint);
                }
                if (tc && tc->kind == TOOLCHAIN_GO) {
                        if (!has(h, "go") && installable)
                                (void) snprintf(will + strlen(will), sizeof will - strlen(will), "%s go", will[0] ? "," : "; will install");
                        else
                                NEED(has(h, "go"), "go");
                }
                /* Target libraries come from the ARM rootfs: preparing it needs what chroot needs. */
                char *const *deps = recipe_build_deps(rc, s, arch);
                if (deps && deps[0]) {
                        (void) snprintf(prog, sizeof prog, "qemu-%s-static", ai->qemu_user);
                        NEED(has(h, prog), prog);
                        NEED(h->is_root, "root (for the ARM sysroot)");
                }
                break;
        }
        case XB_STRATEGY_CHROOT:
                (void) snprintf(prog, sizeof prog, "qemu-%s-static", ai->qemu_user);
                NEED(has(h, prog), prog);
                NEED(h->is_root, "root (for mount namespaces)");
                break;
        case XB_STRATEGY_QEMU_SYSTEM:
                NEED(has(h, ai->qemu_system), ai->qemu_system);
                NEED(has(h, "mkfs.ext4"), "mkfs.ext4");
                /* The initrd's module order comes from the host's kmod; the kernel through apt. */
                NEED(has(h, "depmod") && has(h, "modprobe"), "kmod");
                NEED(has(h, "apt-get"), "apt-get");
                /* The root image is made from the same rootfs as chroot's, deps installed by qemu-user. */
                (void) snprintf(prog, sizeof prog, "qemu-%s-static", ai->qemu_user);
                NEED(has(h, prog), prog);
                NEED(h->is_root, "root (for the rootfs and its image)");
                break;
        case XB_STRATEGY_REMOTE:
                NEED(has(h, "ssh"), "ssh");
                NEED(h->remote_host, "a host (--host user@host, or hosts in hosts.yaml)");
                if (h->remote_host)
                        (void) snprintf(will, sizeof will, "; host: %s", h->remote_host);
                break;
        default:
                return -EINVAL;
        }
#undef NEED
        ret->host_ready = missing[0] == 0;
        if (asprintf(&ret->detail, "%s%s%s%s%s",
                     ret->recipe_allows ? "" : "disabled by the recipe; ",
                     ret->implemented ? "" : "not implemented in this version; ",
                     ret->host_ready ? "host has what it needs" : "host lacks: ",
                     missing, ret->host_ready ? will : "") < 0)
                return -ENOMEM;
        return 0;
}

#define PLAN_N_VARS 14

static int make_vars(const struct recipe *rc, enum xb_arch arch, enum xb_strategy s,
                     const struct host_facts *h, char *buf[6], struct expand_var vars[PLAN_N_VARS]) {
        const struct arch_info *ai = arch_info(arch);
        const char *rootfs = rc->strategies[s].rootfs ? rc->strategies[s].rootfs : rc->rootfs;
        const char *cache = h->cache_dir ? h->cache_dir : "~/.cache/xbuild";

        if (asprintf(&buf[0], "%u", h->jobs ? h->jobs : 1) < 0)
                return -ENOMEM;
        switch (s) {
        case XB_STRATEGY_CROSS:
                /* The host builds in a work dir; the recipe's ARM rootfs (with its build_deps) is
                 * mounted at WORK/sysroot for the steps. */
                (void) rootfs;
                if (asprintf(&buf[1], "%s/work/%s-%s/src", cache, rc->name, ai->name) < 0 ||
                    asprintf(&buf[2], "%s/work/%s-%s/out", cache, rc->name, ai->name) < 0)
                        return -ENOMEM;
                /* Without build_deps there is no sysroot: the steps see it empty. */
                char *const *deps = recipe_build_deps(rc, s, arch);
                if (deps && deps[0] ? asprintf(&buf[3], "%s/work/%s-%s/sysroot", cache, rc->name, ai->name) < 0
                                    : !(buf[3] = strdup("")))
                        return -ENOMEM;
                break;
        case XB_STRATEGY_REMOTE:
                /* Relative to the login directory on the host; one directory per build. */
                free(buf[0]);
                buf[0] = NULL;
                if (asprintf(&buf[0], "%u", h->remote_jobs ? h->remote_jobs : h->jobs ? h->jobs : 1) < 0 ||
                    asprintf(&buf[1], ".xbuild-work/%s-%s-%s/src", rc->name, ai->name, h->build_id ? h->build_id : "ID") < 0 ||
                    asprintf(&buf[2], ".xbuild-work/%s-%s-%s/out", rc->name, ai->name, h->build_id ? h->build_id : "ID") < 0 ||
                    !(buf[3] = strdup("/")))
                        return -ENOMEM;
                break;
        default:
                /* Inside the ARM environment the paths are fixed. */
                if (!(buf[1] = strdup("/xbuild/src")) || !(buf[2] = strdup("/xbuild/out")) ||
                    !(buf[3] = strdup("/")))
                        return -ENOMEM;
        }
        vars[0] = (struct expand_var){"name", rc->name};
        vars[1] = (struct expand_var){"arch", ai->name};
        vars[2] = (struct expand_var){"triplet", ai->triplet};
        vars[3] = (struct expand_var){"goarch", ai->goarch};
        vars[4] = (struct expand_var){"goarm", strempty(ai->goarm)};
        vars[5] = (struct expand_var){"qemu_arch", ai->qemu_user};
        vars[6] = (struct expand_var){"jobs", buf[0]};
        vars[7] = (struct expand_var){"srcdir", buf[1]};
        vars[8] = (struct expand_var){"outdir", buf[2]};
        vars[9] = (struct expand_var){"rootfs", buf[3]};
        vars[10] = (struct expand_var){"sysroot", buf[3]};
        /* What upstream stamps its version with: the checkout has no .git to ask. */
        vars[11] = (struct expand_var){"commit", strempty(rc->source.commit)};
        vars[12] = (struct expand_var){"ref", strempty(rc->source.kind == SOURCE_DEBIAN ? rc->source.deb_version : rc->source.ref)};
        vars[13] = (struct expand_var){"version", strempty(recipe_version(rc))};
        return 0;
}

static int env_apply(char ***env, char *const *add, const struct expand_var *vars, size_t n) {
        STRV_FOREACH(e, add) {
                _cleanup_free_ char *name = NULL, *value = NULL;
                const char *eq = strchr(*e, '=');
                int r;

                if (!eq)
                        continue;
                name = strndup(*e, (size_t) (eq - *e));
                if (!name)
                        return -ENOMEM;
                r = expand_string(eq + 1, vars, n, &value);
                if (r < 0)
                        return r;
                r = strv_env_set(env, name, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_env(struct plan *p, const struct recipe *rc, const struct toolchain *tc,
                     enum xb_strategy s, const struct expand_var *vars, size_t n) {
        static const char *const exported[] = {"name",    "arch",   "triplet", "goarch", "goarm", "jobs",
                                               "srcdir",  "outdir", "sysroot", "commit", "ref",   "version"};
        int r;

        if (!(p->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        /* Steps see the xbuild variables as XB_NAME, XB_ARCH...: steps are shell scripts and
         * are never ${var}-expanded by xbuild, so the shell does it. */
        for (size_t i = 0; i < ELEMENTSOF(exported); i++)
                for (size_t k = 0; k < n; k++)
                        if (streq(vars[k].name, exported[i])) {
                                char key[32];
                                size_t j = 0;
                                memcpy(key, "XB_", 3);
                                for (; vars[k].name[j] && j + 4 < sizeof key; j++)
                                        key[3 + j] = (char) toupper((unsigned char) vars[k].name[j]);
                                key[3 + j] = 0;
                                if ((r = strv_env_set(&p->env, key, vars[k].value)) < 0)
                                        return r;
                        }
        /* Go never reaches for the network on its own (modules come from vendor/, which Go
         * 1.14+ uses by itself when vendor/modules.txt is there, or from GOPATH), nor swaps in
         * another toolchain (Go 1.21+): a recipe saying network: true, or setting these, decides
         * otherwise. */
        if (rc->toolchain && streq(rc->toolchain, "go") && !rc->network &&
            ((r = strv_env_set(&p->env, "GOPROXY", "off")) < 0 || (r = strv_env_set(&p->env, "GOTOOLCHAIN", "local")) < 0))
                return r;
        if (tc && (r = env_apply(&p->env, tc->target_env, vars, n)) < 0)
                return r;
        if (tc && s == XB_STRATEGY_CROSS) {
                if ((r = env_apply(&p->env, tc->env, vars, n)) < 0 ||
                    (r = env_apply(&p->env, tc->arches[p->arch].env, vars, n)) < 0)
                        return r;
                /* The sysroot wired once, by the toolchain, for every recipe built against it. */
                char *const *deps = recipe_build_deps(rc, s, p->arch);
                if (deps && deps[0] && (r = env_apply(&p->env, tc->sysroot_env, vars, n)) < 0)
                        return r;
        }
        if ((r = env_apply(&p->env, rc->env, vars, n)) < 0 || (r = env_apply(&p->env, rc->per_arch[p->arch].env, vars, n)) < 0)
                return r;
        return env_apply(&p->env, rc->strategies[s].env, vars, n);
}

static int choose(struct plan *p, const struct recipe *rc, enum xb_strategy forced) {
        bool seen[_XB_STRATEGY_MAX] = {false};

        /* The recipe's preference first, then the default fastest-first order. */
        for (size_t i = 0; i < rc->n_prefer; i++) {
                p->order[p->n_order++] = rc->prefer[i];
                seen[rc->prefer[i]] = true;
        }
        for (int s = 0; s < _XB_STRATEGY_MAX; s++)
                if (!seen[s])
                        p->order[p->n_order++] = (enum xb_strategy) s;

        p->chosen = _XB_STRATEGY_INVALID;
        if (forced >= 0) {
                const struct strategy_probe *pr = &p->probes[forced];
                p->forced = true;
                p->shown = forced;
                if (pr->implemented && pr->host_ready && pr->recipe_allows) {
                        p->chosen = forced;
                        return asprintf(&p->reason, "%s was requested with --strategy",
                                        strategy_to_string(forced)) < 0 ? -ENOMEM : 0;
                }
                return asprintf(&p->reason, "%s was requested but cannot run: %s",
                                strategy_to_string(forced), pr->detail) < 0 ? -ENOMEM : 0;
        }

        p->shown = _XB_STRATEGY_INVALID;
        for (size_t i = 0; i < p->n_order; i++) {
                enum xb_strategy s = p->order[i];
                const struct strategy_probe *pr = &p->probes[s];
                if (!pr->recipe_allows)
                        continue;
                if (p->shown < 0)
                        p->shown = s;
                if (pr->implemented && pr->host_ready) {
                        p->chosen = p->shown = s;
                        return asprintf(&p->reason, "%s is the first strategy in order (%s) that can run here",
                                        strategy_to_string(s),
                                        rc->n_prefer ? "the recipe's 'prefer', then fastest first"
                                                     : "fastest first") < 0 ? -ENOMEM : 0;
                }
        }
        if (p->shown < 0)
                p->shown = XB_STRATEGY_CROSS;
        return asprintf(&p->reason,
                        "no strategy can build here: see what each one lacks above (remote needs --host or a hosts.yaml entry)") < 0
                       ? -ENOMEM
                       : 0;
}

int plan_make(const struct recipe *rc, const struct toolchain *tc, enum xb_arch arch,
              enum xb_strategy forced, const struct host_facts *host, struct plan **ret) {
        _cleanup_(plan_freep) struct plan *p = NULL;
        char *buf[6] = {NULL};
        struct expand_var vars[PLAN_N_VARS];
        const char *out = host->out_dir ? host->out_dir : "out";
        int r;

        if (!recipe_supports_arch(rc, arch))
                return -EINVAL;
        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->recipe = rc;
        p->arch = arch;
        /* A variant builds the same engine another way: its own directory, never over the other. */
        if (!(p->out_root = strdup(out)) ||
            asprintf(&p->out_rel, "%s%s%s/%s", rc->name, rc->variant ? "@" : "", strempty(rc->variant), arch_to_string(arch)) < 0 ||
            !(p->out_dir = path_join(out, p->out_rel)))
                return -ENOMEM;
        for (int s = 0; s < _XB_STRATEGY_MAX; s++) {
                r = probe(rc, tc, arch, (enum xb_strategy) s, host, &p->probes[s]);
                if (r < 0)
                        return r;
        }
        r = choose(p, rc, forced);
        if (r < 0)
                return r;

        const struct recipe_strategy *st = &rc->strategies[p->shown];
        if (!(p->rootfs = strdup(st->rootfs ? st->rootfs : rc->rootfs)))
                return -ENOMEM;
        if (rc->toolchain && !(p->toolchain = strdup(rc->toolchain)))
                return -ENOMEM;
        if (!(p->build_deps = strv_copy(recipe_build_deps(rc, p->shown, arch))) ||
            !(p->steps = strv_copy(recipe_steps(rc, p->shown, arch))))
                return -ENOMEM;

        r = make_vars(rc, arch, p->shown, host, buf, vars);
        /* Where the strategy works outside an ARM root: decided here once, never read back from
         * the environment. */
        if (r >= 0 && (p->shown == XB_STRATEGY_CROSS || p->shown == XB_STRATEGY_REMOTE) && !(p->work_dir = path_dirname(buf[1])))
                r = -ENOMEM;
        if (r >= 0)
                r = build_env(p, rc, tc, p->shown, vars, ELEMENTSOF(vars));
        size_t n_arts;
        const struct recipe_artifact *arts = recipe_artifacts(rc, arch, &n_arts);
        if (r >= 0 && !(p->artifacts = calloc(n_arts + 1, sizeof *p->artifacts)))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n_arts; i++) {
                struct plan_artifact *a = &p->artifacts[p->n_artifacts++];
                a->def = &arts[i];
                r = expand_string(arts[i].path, vars, ELEMENTSOF(vars), &a->path);
                if (r >= 0 && !(a->dest = path_join(p->out_dir, arts[i].install_as)))
                        r = -ENOMEM;
                size_t nr = arts[i].expect.n_runs;
                if (r >= 0 && !(a->runs = calloc(nr + 1, sizeof *a->runs)))
                        r = -ENOMEM;
                for (size_t k = 0; r >= 0 && k < nr; k++) {
                        if (!(a->runs[k] = calloc(strv_length(arts[i].expect.runs[k]) + 1, sizeof(char *))))
                                r = -ENOMEM;
                        for (size_t j = 0; r >= 0 && arts[i].expect.runs[k][j]; j++)
                                r = expand_string(arts[i].expect.runs[k][j], vars, ELEMENTSOF(vars), &a->runs[k][j]);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(buf); i++)
                free(buf[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}
