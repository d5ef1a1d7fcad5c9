/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/strv.h"
#include "core/units.h"
#include "recipe-test.h"
#include "schema-util.h"
#include "ydecode.h"

static const char *const cgroup_names[_RECIPE_CGROUP_MAX] = {"v2", "v1"};

const char *recipe_cgroup_to_string(enum recipe_cgroup c) {
        return c >= 0 && c < _RECIPE_CGROUP_MAX ? cgroup_names[c] : NULL;
}

void recipe_test_clear(struct recipe_test *t) {
        strv_free(t->deps);
        strv_free(t->modules);
        free(t->daemon);
        free(t->ready);
        free(t->image);
        free(t->run);
        free(t->expect);
        *t = (struct recipe_test){0};
}

struct recipe_test *recipe_test_free(struct recipe_test *t) {
        if (t) {
                recipe_test_clear(t);
                free(t);
        }
        return NULL;
}

bool recipe_test_module_name_ok(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64 || s[0] == '-')
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static int parse_daemon(const struct ynode *n, struct recipe_test *t, struct xb_diag *d) {
        static const char *const keys[] = {"run", "ready", "timeout", NULL};
        const struct ynode *v;
        int r;

        if ((r = yd_mapping(n, "test.daemon", keys, d)) < 0)
                return r;
        if ((r = schema_require_string(n, "test.daemon", "run", &t->daemon, d)) < 0 ||
            (r = schema_require_string(n, "test.daemon", "ready", &t->ready, d)) < 0)
                return r;
        if ((v = ynode_get(n, "timeout")) && (r = yd_uint(v, "test.daemon.timeout", 1, 3600, &t->ready_timeout, d)) < 0)
                return r;
        return 0;
}

int recipe_test_parse(const struct ynode *n, struct recipe_test **ret, struct xb_diag *d) {
        static const char *const keys[] = {"deps", "modules", "cgroup", "memory", "daemon", "image",
                                           "run",  "expect",  "timeout", NULL};
        _cleanup_(recipe_test_freep) struct recipe_test *t = calloc(1, sizeof *t);
        const struct ynode *v;
        int r;

        if (!t)
                return -ENOMEM;
        t->timeout = RECIPE_TEST_DEFAULT_TIMEOUT;
        t->ready_timeout = RECIPE_TEST_DEFAULT_READY_TIMEOUT;
        if ((r = yd_mapping(n, "test", keys, d)) < 0)
                return r;
        if ((v = ynode_get(n, "deps"))) {
                if ((r = schema_packages(v, "test.deps", &t->deps, d)) < 0)
                        return r;
        } else if (!(t->deps = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(n, "modules"))) {
                if ((r = yd_strv(v, "test.modules", false, &t->modules, d)) < 0)
                        return r;
                for (size_t i = 0; t->modules[i]; i++)
                        if (!recipe_test_module_name_ok(t->modules[i]))
                                return yd_error(d, v->items[i], "'test.modules[%zu]' is not a kernel module name: '%s'", i,
                                                t->modules[i]);
        } else if (!(t->modules = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(n, "cgroup"))) {
                _cleanup_free_ char *s = NULL;
                if ((r = yd_string(v, "test.cgroup", &s, d)) < 0)
                        return r;
                if (streq(s, "v1"))
                        t->cgroup = RECIPE_CGROUP_V1;
                else if (streq(s, "v2"))
                        t->cgroup = RECIPE_CGROUP_V2;
                else
                        return yd_error(d, v, "'test.cgroup' must be v1 or v2, not '%s'", s);
        }
        if ((v = ynode_get(n, "memory"))) {
                _cleanup_free_ char *m = NULL;
                if ((r = yd_string(v, "test.memory", &m, d)) < 0)
                        return r;
                if (parse_size_mib(m, 128, 1ULL << 20, &t->memory_mib) < 0)
                        return yd_error(d, v, "'test.memory' must be a size from 128M, like 1G or 768M");
        }
        if ((v = ynode_get(n, "daemon")) && (r = parse_daemon(v, t, d)) < 0)
                return r;
        if ((v = ynode_get(n, "image")) && (r = yd_string(v, "test.image", &t->image, d)) < 0)
                return r;
        if ((r = schema_require_string(n, "test", "run", &t->run, d)) < 0)
                return r;
        if ((r = yd_require(n, "test", "expect", &v, d)) < 0 || (r = yd_string(v, "test.expect", &t->expect, d)) < 0 ||
            (r = schema_check_expand(v, "test.expect", d)) < 0)
                return r;
        if (strchr(t->expect, '\n'))
                return yd_error(d, v, "'test.expect' is one line the container prints");
        size_t len = strlen(t->expect);
        if (strchr(" \t\r", t->expect[len - 1]) || strchr(" \t", t->expect[0]))
                return yd_error(d, v, "'test.expect' must not start or end with blanks (they are not compared)");
        /* Only what the test VM knows: no build paths. */
        static const char *const build_only[] = {"${jobs}", "${srcdir}", "${outdir}", "${rootfs}", "${sysroot}", NULL};
        for (const char *const *b = build_only; *b; b++)
                if (strstr(t->expect, *b))
                        return yd_error(d, v, "'test.expect' may use ${name}, ${arch}, ${triplet}, ${goarch}, ${goarm}, "
                                              "${qemu_arch}, ${commit}, ${ref} and ${version}, not %s", *b);
        if ((v = ynode_get(n, "timeout")) && (r = yd_uint(v, "test.timeout", 1, 86400, &t->timeout, d)) < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}
