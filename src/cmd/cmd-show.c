/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <stdio.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/strv.h"
#include "strategy/plan-json.h"

static bool arg_json = false;
static const char *arg_variant = NULL;

static const char usage[] =
        "Usage: xbuild show RECIPE [OPTIONS]\n"
        "\n"
        "Show RECIPE as xbuild resolved it: defaults filled in, local paths made absolute,\n"
        "references to toolchains, rootfs and kconfig profiles checked.\n"
        "\n"
        "Options:\n"
        "      --variant=NAME    The recipe as its variant NAME (e.g. debian)\n"
        "      --json            Machine-readable output\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        if (c == 0x300) {
                if (cli_check_variant("show", arg) < 0)
                        return -1;
                arg_variant = arg;
                return 0;
        }
        if (c != 'j')
                return -1;
        arg_json = true;
        return 0;
}

static void print_strv(const char *title, char *const *l) {
        printf("%s:", title);
        if (!l || !*l)
                printf(" (none)");
        STRV_FOREACH(s, l)
                printf("\n  %s", *s);
        putchar('\n');
}

static void show_text(const struct recipe *rc) {
        const struct recipe_source *s = &rc->source;

        printf("name: %s\nsummary: %s\nfile: %s\narches:", rc->name, rc->summary, rc->path);
        for (size_t i = 0; i < rc->n_arches; i++)
                printf(" %s", arch_to_string(rc->arches[i]));
        if (rc->variants && rc->variants[0]) {
                printf("\nvariants:");
                for (char **v = rc->variants; *v; v++)
                        printf(" %s", *v);
        }
        if (rc->variant)
                printf("\nshown as variant: %s", rc->variant);
        printf("\nsource: %s\n", source_kind_to_string(s->kind));
        if (s->kind == SOURCE_GIT)
                printf("  url: %s\n  ref: %s\n  commit: %s\n  submodules: %s\n", s->url, s->ref,
                       s->commit, s->submodules ? "true" : "false");
        else if (s->kind == SOURCE_TARBALL)
                printf("  url: %s\n  sha256: %s\n  strip_components: %u\n", s->url, s->sha256,
                       s->strip_components);
        else if (s->kind == SOURCE_DEBIAN)
                printf("  package: %s\n  version: %s\n  suite: %s\n  component: %s\n", s->package, s->deb_version,
                       s->suite ?: "bookworm", s->component ?: "main");
        else
                printf("  path: %s\n", s->path);
        for (size_t i = 0; i < rc->n_extra_sources; i++) {
                const struct recipe_extra_source *es = &rc->extra_sources[i];
                printf("sources[%zu]: %s at %s", i, source_kind_to_string(es->source.kind), es->dest);
                if (es->source.kind == SOURCE_GIT)
                        printf(" (%s %s, commit %s)", es->source.url, es->source.ref, es->source.commit);
                putchar('\n');
        }
        if (rc->version)
                printf("version: %s\n", rc->version);
        printf("toolchain: %s\nrootfs: %s\nkconfig: %s\ntimeout: %u s per step\n",
               rc->toolchain ? rc->toolchain : "(none)", rc->rootfs,
               rc->kconfig ? rc->kconfig : "(none)", rc->timeout);
        print_strv("build_deps", rc->build_deps);
        print_strv("env", rc->env);
        print_strv("steps", rc->steps);
        print_strv("patches", rc->patches);
        printf("artifacts:\n");
        for (size_t i = 0; i < rc->n_artifacts; i++) {
                const struct recipe_artifact *a = &rc->artifacts[i];
                printf("  %s -> %s", a->path, a->install_as);
                if (a->expect.shared_library == 1)
                        printf(" (shared library)");
                else if (a->expect.static_link >= 0)
                        printf(" (%s)", a->expect.static_link ? "static" : "dynamic");
                if (a->expect.pie >= 0)
                        printf(" (%s)", a->expect.pie ? "PIE" : "not PIE");
                putchar('\n');
                for (char ***run = a->expect.runs; run && *run; run++) {
                        printf("    runs:");
                        STRV_FOREACH(x, *run)
                                printf(" '%s'", *x);
                        putchar('\n');
                }
        }
        for (int a = 0; a < _XB_ARCH_MAX; a++) {
                const struct recipe_arch *ra = &rc->per_arch[a];
                if (!ra->set)
                        continue;
                printf("per_arch %s:", arch_to_string((enum xb_arch) a));
                if (ra->env && ra->env[0])
                        printf(" env");
                if (ra->build_deps)
                        printf(" build_deps");
                if (ra->steps)
                        printf(" steps");
                if (ra->n_artifacts)
                        printf(" artifacts");
                printf(" (over the recipe's)\n");
        }
        printf("strategies:\n");
        for (int i = 0; i < _XB_STRATEGY_MAX; i++) {
                const struct recipe_strategy *st = &rc->strategies[i];
                printf("  %s: %s", strategy_to_string((enum xb_strategy) i),
                       !st->set || st->enabled ? "enabled" : "disabled");
                if (st->rootfs)
                        printf(", rootfs %s", st->rootfs);
                STRV_FOREACH(e, st->env)
                        printf(", %s", *e);
                if (st->steps)
                        printf(", own steps");
                if (st->build_deps)
                        printf(", own build_deps");
                putchar('\n');
        }
        if (rc->test) {
                const struct recipe_test *t = rc->test;
                printf("test: in the ARM VM, cgroup %s, expects '%s'\n", recipe_cgroup_to_string(t->cgroup), t->expect);
                if (t->daemon)
                        printf("  daemon: %s (ready: %s, %u s)\n", t->daemon, t->ready, t->ready_timeout);
                if (t->image)
                        printf("  image: %s\n", t->image);
                printf("  run: %s (%u s)\n", t->run, t->timeout);
        }
        if (rc->n_prefer) {
                printf("prefer:");
                for (size_t i = 0; i < rc->n_prefer; i++)
                        printf(" %s", strategy_to_string(rc->prefer[i]));
                putchar('\n');
        }
}

int cmd_show(int argc, char **argv) {
        static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"variant", required_argument, NULL, 0x300}, {0}};
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        int r;

        r = cli_parse(argc, argv, "", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error("show", argc - r == 0 ? "missing RECIPE" : "too many arguments");
        if ((r = cli_open_catalog(&cat)) != 0 || (r = cli_load_recipe(cat, argv[optind], arg_variant, &rc)) != 0)
                return r;
        if (arg_json) {
                json_object *j = recipe_to_json(rc);
                if (!j)
                        return log_error_errno(-ENOMEM, "Failed to render the recipe: %m"), XB_EXIT_BUILD_FAILED;
                puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else
                show_text(rc);
        return XB_EXIT_OK;
}
