/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/random.h>

#include "cmd.h"
#include "core/dirs.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/strv.h"
#include "plan-load.h"
#include "qemu/vm-run.h"
#include "report/build-progress.h"
#include "remote/hosts.h"
#include "remote/ssh.h"
#include "rootfs/prepare.h"
#include "strategy/accel.h"

static struct plan_args arg_plan = {.vm = {.cpus = 2, .memory_mib = 2048, .boot_timeout_s = 300}};

/* A whole number in [min, max], or a usage error naming the option. */
static int parse_unsigned(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max)
                return cli_usage_error(NULL, "%s: '%s' is not a number from %u to %u", opt, arg, min, max), -1;
        *ret = (unsigned) v;
        return 1;
}

static int parse_file(const char *opt, const char *arg, const char **ret) {
        if (arg[0] == '-')
                return cli_usage_error(NULL, "%s must not start with '-'", opt), -1;
        if (access(arg, R_OK) < 0)
                return cli_usage_error(NULL, "%s: '%s': %s", opt, arg, strerror(errno)), -1;
        *ret = arg;
        return 1;
}

static int plan_args_option(struct plan_args *a, int c, const char *arg) {
        switch (c) {
        case 'a':
                a->arch = arg;
                return 1;
        case 's':
                a->strategy = arg;
                return 1;
        case 'H': {
                struct ssh_target t;
                if (arg[0] == '-')
                        return cli_usage_error(NULL, "--host must not start with '-'"), -1;
                if (ssh_target_parse(arg, &t) < 0)
                        return cli_usage_error(NULL, "--host '%s': give [USER@]HOST[:PORT] or a host name from hosts.yaml", arg), -1;
                ssh_target_clear(&t);
                a->host = a->remote.host = arg;
                return 1;
        }
        case 'o':
                a->out_dir = arg;
                return 1;
        case 'j':
                a->json = true;
                return 1;
        case 0x210:
                if (arg[0] == '-')
                        return cli_usage_error(NULL, "--source must not start with '-'"), -1;
                a->source = arg;
                return 1;
        case 0x211:
                a->keep = true;
                return 1;
        case 0x212:
                a->no_install = true;
                return 1;
        case 0x213:
                return parse_unsigned("--cpus", arg, 1, 8, &a->vm.cpus);
        case 0x214:
                if (vm_parse_memory(arg, &a->vm.memory_mib) < 0)
                        return cli_usage_error(NULL, "--memory: give a size from 128M to 1024G, e.g. 3G or 2048M"), -1;
                a->vm.memory_given = true;
                return 1;
        case 0x215:
                return parse_unsigned("--boot-timeout", arg, 5, 3600, &a->vm.boot_timeout_s);
        case 0x216:
                return parse_file("--kernel", arg, &a->vm.kernel);
        case 0x217:
                return parse_file("--initrd", arg, &a->vm.initrd);
        case 0x218:
                return parse_file("--hosts", arg, &a->remote.hosts_file);
        case 0x219:
                return parse_file("--ssh-config", arg, &a->remote.ssh_config);
        case 0x21a:
                a->remote.accept_new_host_key = true;
                return 1;
        case 0x21b:
                a->remote.install_deps = true;
                return 1;
        case 0x21c:
                if (build_progress_mode_from_string(arg) < 0)
                        return cli_usage_error(NULL, "--progress: give auto, tty, plain or json"), -1;
                a->progress = arg;
                return 1;
        case 0x21d:
                a->test = true;
                return 1;
        case 0x222:
                if (accel_mode_from_string(arg) < 0)
                        return cli_usage_error(NULL, "--accelerate: give auto, on or off"), -1;
                a->accelerate = accel_mode_from_string(arg);
                return 1;
        case 0x21f:
                if (a->n_git_mirrors == ELEMENTSOF(a->git_mirrors) - 1)
                        return cli_usage_error(NULL, "at most 16 --git-mirror"), -1;
                if (cli_check_git_mirror(NULL, arg) < 0)
                        return -1;
                a->git_mirrors[a->n_git_mirrors++] = (char *) arg;
                return 1;
        case 0x220:
                if (a->n_extra_sources == ELEMENTSOF(a->extra_sources) - 1)
                        return cli_usage_error(NULL, "at most 16 --extra-source"), -1;
                if (cli_check_extra_source(NULL, arg) < 0)
                        return -1;
                a->extra_sources[a->n_extra_sources++] = (char *) arg;
                return 1;
        case 0x221:
                if (cli_check_variant(NULL, arg) < 0)
                        return -1;
                a->variant = arg;
                return 1;
        case 0x21e:
                if (arg[0] == '-')
                        return cli_usage_error(NULL, "--artifacts must not start with '-'"), -1;
                a->artifacts = arg;
                return 1;
        default:
                return 0;
        }
}

static int handle(int c, const char *arg) {
        return plan_args_option(&arg_plan, c, arg) > 0 ? 0 : -1;
}

void plan_inputs_clear(struct plan_inputs *in) {
        recipe_bundle_free(in->bundle);
        remote_hosts_free(in->hosts);
        free(in->hosts_path);
        plan_free(in->plan);
        *in = (struct plan_inputs){0};
}

/* hosts.yaml, once: the remote strategy's pool and named hosts. A broken file is bad input
 * when it matters: given with --hosts, or for the remote strategy. */
static int load_hosts(struct plan_inputs *in, enum xb_strategy strategy) {
        const struct remote_opts *o = &in->args.remote;
        struct xb_diag d = {0};
        int r;

        if (o->hosts_file)
                in->hosts_path = strdup(o->hosts_file);
        else
                (void) remote_hosts_default_path(&in->hosts_path);
        if (!in->hosts_path)
                return 0;
        r = remote_hosts_load(in->hosts_path, &in->hosts, &d);
        if (r == -ENOENT && o->hosts_file)
                return log_error("Hosts file '%s' does not exist", in->hosts_path), XB_EXIT_BAD_INPUT;
        if (r < 0 && r != -ENOENT && (o->hosts_file || strategy == XB_STRATEGY_REMOTE)) {
                if (d.msg[0])
                        cli_print_diag(&d);
                else
                        log_error_errno(r, "Failed to read '%s': %m", in->hosts_path);
                return XB_EXIT_BAD_INPUT;
        }
        return 0;
}

/* The chroot's acceleration as far as the cache tells it (nothing is prepared here): the root
 * with the plan's build_deps when it is there, else only what the host has. */
static int plan_accel(struct plan_inputs *in, const char *cache_dir) {
        struct plan *p = in->plan;
        const struct rootfs_def *rf = recipe_bundle_rootfs(in->bundle, p->rootfs);
        struct cache c = {.root = (char *) cache_dir};
        _cleanup_strv_free_ char **layers = NULL;
        _cleanup_(accel_plan_clear) struct accel_plan a = {0};
        enum accel_mode mode = in->args.accelerate;
        int r;

        if (rf)
                (void) rootfs_cached_layers(&c, rf, p->arch, p->build_deps, &layers);
        if ((r = accel_decide_here(mode, !in->bundle->recipe->no_accelerate, p->arch, layers, &a)) < 0)
                return r;
        p->accel = TAKE_PTR(a.summary);
        return 0;
}

static int plan_load(struct plan_inputs *in, const char *recipe_arg) {
        const struct plan_args *a = &in->args;
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_free_ char *cache = NULL, *pool = NULL;
        struct host_facts host;
        enum xb_strategy strategy;
        enum xb_arch arch;
        char build_id[13];
        unsigned char rnd[6];
        struct xb_diag d = {0};
        int r;

        if ((r = cli_pick_strategy(a->strategy, &strategy)) != 0 || (r = cli_open_catalog(&cat)) != 0)
                return r;
        r = catalog_load_bundle(cat, recipe_arg, a->variant, &in->bundle, &d);
        if (r == -ENOMEM)
                return log_error_errno(r, "Failed to load recipe '%s': %m", recipe_arg), XB_EXIT_BUILD_FAILED;
        if (r < 0)
                return cli_print_diag(&d), XB_EXIT_BAD_INPUT;
        const struct recipe *rc = in->bundle->recipe;
        if ((r = cli_pick_arch(rc, a->arch, &arch)) != 0)
                return r;
        r = xb_cache_dir(cli_cache_dir(), &cache);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the cache directory (set --cache-dir): %m"),
                       XB_EXIT_HOST_MISSING;
        if ((r = load_hosts(in, strategy)) != 0)
                return r;
        const struct remote_host *named = a->host ? remote_hosts_find(in->hosts, a->host) : NULL;
        /* Without --host, the remote strategy can use the hosts file's hosts of this arch. */
        if (!a->host && remote_hosts_count_arch(in->hosts, arch) > 0 &&
            asprintf(&pool, "%zu %s host(s) of %s", remote_hosts_count_arch(in->hosts, arch), arch_to_string(arch),
                     in->hosts_path) < 0)
                pool = NULL;
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return log_error_errno(-errno, "Failed to make a build id: %m"), XB_EXIT_BUILD_FAILED;
        for (size_t i = 0; i < sizeof rnd; i++)
                (void) snprintf(build_id + 2 * i, 3, "%02x", rnd[i]);
        host_facts_init(&host, cache, a->out_dir, a->host ? a->host : pool);
        host.build_id = build_id;
        host.remote_jobs = named ? named->jobs : 0;
        r = plan_make(rc, in->bundle->toolchain, arch, strategy, &host, &in->plan);
        if (r < 0)
                return log_error_errno(r, "Failed to plan '%s': %m", rc->name), XB_EXIT_BUILD_FAILED;
        if (in->plan->shown == XB_STRATEGY_CHROOT && (r = plan_accel(in, cache)) < 0)
                return log_error_errno(r, "Failed to plan '%s': %m", rc->name), XB_EXIT_BUILD_FAILED;
        in->args.remote.hosts = in->hosts;
        in->args.remote.hosts_path = in->hosts_path;
        return 0;
}

int plan_command(int argc, char **argv, const char *usage, struct plan_inputs *ret) {
        static const struct option opts[] = {PLAN_LONG_OPTIONS, {0}};
        int r;

        *ret = (struct plan_inputs){0};
        r = cli_parse(argc, argv, PLAN_SHORT, opts, usage, handle);
        if (r == 0)
                return PLAN_DONE;
        if (r < 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error(argv[0], argc - r == 0 ? "missing RECIPE" : "too many arguments");
        ret->args = arg_plan;
        return plan_load(ret, argv[r]);
}

static void print_list(const char *title, char *const *l) {
        printf("%-12s", title);
        if (!l || !*l)
                printf(" (none)");
        STRV_FOREACH(s, l)
                printf(" %s", *s);
        putchar('\n');
}

void plan_print(const struct plan *p) {
        const struct recipe *rc = p->recipe;
        const struct arch_info *ai = arch_info(p->arch);
        const struct recipe_source *src = &rc->source;

        printf("recipe:      %s (%s)\n", rc->name, rc->path);
        printf("arch:        %s (%s, GOARCH=%s%s%s)\n", ai->name, ai->triplet, ai->goarch,
               ai->goarm ? " GOARM=" : "", strempty(ai->goarm));
        if (src->kind == SOURCE_GIT)
                printf("source:      git %s at %s (commit %s)\n", src->url, src->ref, src->commit);
        else if (src->kind == SOURCE_TARBALL)
                printf("source:      tarball %s (sha256 %s)\n", src->url, src->sha256);
        else if (src->kind == SOURCE_DEBIAN)
                printf("source:      Debian source package %s %s (%s/%s), verified along the archive's signed chain\n",
                       src->package, src->deb_version, src->suite ?: "bookworm", src->component ?: "main");
        else
                printf("source:      local directory %s\n", src->path);
        printf("toolchain:   %s\n", p->toolchain ? p->toolchain : "(none)");
        printf("rootfs:      %s\n", p->rootfs);
        printf("\nstrategies, in order of preference:\n");
        for (size_t i = 0; i < p->n_order; i++) {
                enum xb_strategy s = p->order[i];
                const struct strategy_probe *pr = &p->probes[s];
                bool ok = pr->implemented && pr->host_ready && pr->recipe_allows;
                printf("  %-12s %-4s %s\n", strategy_to_string(s), ok ? "ok" : "no", pr->detail);
        }
        printf("\nchosen:      %s\n", p->chosen >= 0 ? strategy_to_string(p->chosen) : "none");
        printf("why:         %s\n", p->reason);
        printf("\nwhat %s would run:\n", strategy_to_string(p->shown));
        print_list("build deps:", p->build_deps);
        if (p->accel)
                printf("compilers:   %s\n", p->accel);
        printf("environment:\n");
        STRV_FOREACH(e, p->env)
                printf("  %s\n", *e);
        printf("steps (each run as /bin/sh -e in %s):\n", strv_env_get(p->env, "XB_SRCDIR"));
        size_t n = 0;
        STRV_FOREACH(s, p->steps)
                printf("  %zu. %s\n", ++n, *s);
        printf("artifacts:\n");
        for (size_t i = 0; i < p->n_artifacts; i++) {
                const struct recipe_expect *e = &p->artifacts[i].def->expect;
                printf("  %s -> %s\n", p->artifacts[i].path, p->artifacts[i].dest);
                if (e->static_link >= 0)
                        printf("      must be %s\n", e->static_link ? "statically linked" : "dynamically linked");
                if (e->pie >= 0)
                        printf("      must %sbe position-independent\n", e->pie ? "" : "not ");
                if (e->shared_library == 1)
                        printf("      must be a shared library\n");
                for (char ***run = e->runs; run && *run; run++) {
                        printf("      smoke run:");
                        STRV_FOREACH(a, *run)
                                printf(" '%s'", *a);
                        printf(" (%us limit)\n", e->timeout);
                }
        }
}
