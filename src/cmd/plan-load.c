/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cmd.h"
#include "core/dirs.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/strv.h"
#include "plan-load.h"
#include "qemu/vm-run.h"
#include "remote/hosts.h"
#include "remote/ssh.h"

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
        default:
                return 0;
        }
}

static int handle(int c, const char *arg) {
        return plan_args_option(&arg_plan, c, arg) > 0 ? 0 : -1;
}

static int plan_load(const struct plan_args *a, const char *recipe_arg, struct recipe **ret_recipe,
                     struct toolchain **ret_toolchain, struct plan **ret_plan) {
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        _cleanup_(toolchain_freep) struct toolchain *tc = NULL;
        _cleanup_free_ char *cache = NULL;
        struct host_facts host;
        enum xb_strategy strategy;
        enum xb_arch arch;
        int r;

        if ((r = cli_pick_strategy(a->strategy, &strategy)) != 0)
                return r;
        if ((r = cli_open_catalog(&cat)) != 0 || (r = cli_load_recipe(cat, recipe_arg, &rc)) != 0)
                return r;
        if ((r = cli_pick_arch(rc, a->arch, &arch)) != 0)
                return r;
        if (rc->toolchain) {
                _cleanup_free_ char *p = NULL;
                struct xb_diag d = {0};
                /* catalog_load_recipe checked it loads; this cannot fail but for OOM/races. */
                r = catalog_find(cat, CATALOG_TOOLCHAIN, rc->toolchain, &p, &d);
                if (r >= 0)
                        r = toolchain_load(p, &tc, &d);
                if (r < 0) {
                        cli_print_diag(&d);
                        return XB_EXIT_BAD_INPUT;
                }
        }
        r = xb_cache_dir(cli_cache_dir(), &cache);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the cache directory (set --cache-dir): %m"),
                       XB_EXIT_HOST_MISSING;
        /* Without --host, the remote strategy can use the hosts file's hosts of this arch. */
        _cleanup_free_ char *pool = NULL;
        if (!a->host) {
                _cleanup_(remote_hosts_freep) struct remote_hosts *hosts = NULL;
                _cleanup_free_ char *hp = NULL;
                struct xb_diag hd = {0};
                if (a->remote.hosts_file)
                        hp = strdup(a->remote.hosts_file);
                else
                        (void) remote_hosts_default_path(&hp);
                r = hp ? remote_hosts_load(hp, &hosts, &hd) : -ENOENT;
                /* A broken hosts file is bad input when it matters: given, or for the remote strategy. */
                if (r < 0 && r != -ENOENT && (a->remote.hosts_file || strategy == XB_STRATEGY_REMOTE)) {
                        if (hd.msg[0])
                                cli_print_diag(&hd);
                        else
                                log_error_errno(r, "Failed to read '%s': %m", hp);
                        return XB_EXIT_BAD_INPUT;
                }
                if (r >= 0 && remote_hosts_count_arch(hosts, arch) > 0 &&
                    asprintf(&pool, "%zu %s host(s) of %s", remote_hosts_count_arch(hosts, arch), arch_to_string(arch), hp) < 0)
                        pool = NULL;
        }
        host_facts_init(&host, cache, a->out_dir, a->host ? a->host : pool);
        r = plan_make(rc, tc, arch, strategy, &host, ret_plan);
        if (r < 0)
                return log_error_errno(r, "Failed to plan '%s': %m", rc->name), XB_EXIT_BUILD_FAILED;
        *ret_recipe = TAKE_PTR(rc);
        *ret_toolchain = TAKE_PTR(tc);
        return 0;
}

int plan_command(int argc, char **argv, const char *usage, struct plan_args *ret_args,
                 struct recipe **ret_recipe, struct toolchain **ret_toolchain, struct plan **ret_plan) {
        static const struct option opts[] = {PLAN_LONG_OPTIONS, {0}};
        int r;

        r = cli_parse(argc, argv, PLAN_SHORT, opts, usage, handle);
        if (r == 0)
                return PLAN_DONE;
        if (r < 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error(argv[0], argc - r == 0 ? "missing RECIPE" : "too many arguments");
        r = plan_load(&arg_plan, argv[r], ret_recipe, ret_toolchain, ret_plan);
        if (r == 0)
                *ret_args = arg_plan;
        return r;
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
                for (char ***run = e->runs; run && *run; run++) {
                        printf("      smoke run:");
                        STRV_FOREACH(a, *run)
                                printf(" '%s'", *a);
                        printf(" (%us limit)\n", e->timeout);
                }
        }
}
