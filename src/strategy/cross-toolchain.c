/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "cross-toolchain.h"

/* The first line a program prints for --version (or "version" for go). */
static char *tool_version(char *const *argv) {
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .timeout_ms = 30000};
        struct spawn_result res = {0};
        char *v = NULL;
        if (spawn_run(&req, &res) >= 0 && res.exit_code == 0 && res.tail)
                v = strndup(res.tail, strcspn(res.tail, "\n"));
        spawn_result_clear(&res);
        return v;
}

/* Makes sure the toolchain's programs exist, installing its Debian packages when root. */
int cross_toolchain_ensure(const struct toolchain *tc, enum xb_arch arch, bool may_install, const char *log_path,
                           char **ret_version, struct xb_detail *err) {
        const struct arch_info *ai = arch_info(arch);
        _cleanup_free_ char *gcc = NULL, *gcc_path = NULL, *go_path = NULL;
        _cleanup_strv_free_ char **pkgs = NULL;
        int r;

        if (asprintf(&gcc, "%s-gcc", ai->triplet) < 0)
                return -ENOMEM;
        gcc_path = spawn_find_program(gcc, NULL);
        if (tc->kind == TOOLCHAIN_GO)
                go_path = spawn_find_program("go", NULL);
        if (!gcc_path || (tc->kind == TOOLCHAIN_GO && !go_path)) {
                if (strv_extend_strv(&pkgs, tc->host_packages) < 0 || strv_extend_strv(&pkgs, tc->arches[arch].packages) < 0)
                        return -ENOMEM;
                _cleanup_free_ char *apt = spawn_find_program("apt-get", NULL), *list = NULL;
                FILE *f;
                size_t n;
                if ((f = open_memstream(&list, &n))) {
                        STRV_FOREACH(pk, pkgs)
                                fprintf(f, " %s", *pk);
                        (void) fclose(f);
                }
                if (geteuid() != 0 || !apt || !may_install)
                        return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                             "Toolchain '%s' for %s is missing; install it: apt-get install%s", tc->name,
                                             ai->name, strempty(list));
                log_info("Installing toolchain '%s' for %s:%s", tc->name, ai->name, strempty(list));
                _cleanup_strv_free_ char **argv = NULL, **env = NULL;
                if (strv_extend(&argv, "apt-get") < 0 || strv_extend(&argv, "-q") < 0 || strv_extend(&argv, "install") < 0 ||
                    strv_extend(&argv, "-y") < 0 || strv_extend(&argv, "--no-install-recommends") < 0 ||
                    strv_extend_strv(&argv, pkgs) < 0 || !(env = calloc(1, sizeof(char *))) ||
                    strv_env_set(&env, "PATH", getenv("PATH") ?: "/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
                    strv_env_set(&env, "DEBIAN_FRONTEND", "noninteractive") < 0)
                        return -ENOMEM;
                struct spawn_req req = {.argv = argv, .envp = env, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                        .log_path = log_path, .timeout_ms = 1800000};
                struct spawn_result res = {0};
                r = spawn_run(&req, &res);
                bool ok = r >= 0 && res.exit_code == 0;
                spawn_result_clear(&res);
                if (!ok) {
                        /* A fresh machine has no package lists yet. */
                        char *upd[] = {(char *) "apt-get", (char *) "-q", (char *) "update", NULL};
                        struct spawn_req ureq = {.argv = upd, .envp = env, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                                 .log_path = log_path, .timeout_ms = 600000};
                        r = spawn_run(&ureq, &res);
                        spawn_result_clear(&res);
                        r = spawn_run(&req, &res);
                        ok = r >= 0 && res.exit_code == 0;
                        spawn_result_clear(&res);
                }
                if (!ok)
                        return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                             "Failed to install toolchain '%s' (log: %s); try: apt-get install%s", tc->name,
                                             strempty(log_path), strempty(list));
        }
        char *gv[] = {gcc, (char *) "--version", NULL}, *gov[] = {(char *) "go", (char *) "version", NULL};
        *ret_version = tool_version(tc->kind == TOOLCHAIN_GO ? gov : gv);
        return 0;
}

char **cross_host_env(char *const *step_env, const char *sysroot, const char *triplet, long long epoch) {
        char **env = NULL;
        const char *path = getenv("PATH"), *home = getenv("HOME"), *term = getenv("TERM");
        if (strv_env_set(&env, "PATH", path && *path ? path : "/usr/local/bin:/usr/bin:/bin") < 0 ||
            strv_env_set(&env, "HOME", home && *home ? home : "/root") < 0 || strv_env_set(&env, "LANG", "C.UTF-8") < 0 ||
            strv_env_set(&env, "TERM", term && *term ? term : "dumb") < 0)
                return strv_free(env);
        /* Go keeps its caches under HOME; a shared one makes warm rebuilds fast. */
        STRV_FOREACH(e, step_env) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *name = eq ? strndup(*e, (size_t) (eq - *e)) : NULL;
                if (!name || strv_env_set(&env, name, eq + 1) < 0)
                        return strv_free(env);
        }
        if (sysroot) {
                _cleanup_free_ char *libdir = NULL;
                if (asprintf(&libdir, "%s/usr/lib/%s/pkgconfig:%s/usr/share/pkgconfig", sysroot, triplet, sysroot) < 0 ||
                    strv_env_set(&env, "PKG_CONFIG_SYSROOT_DIR", sysroot) < 0 || strv_env_set(&env, "PKG_CONFIG_LIBDIR", libdir) < 0)
                        return strv_free(env);
        } else if (strv_env_set(&env, "XB_SYSROOT", "") < 0 || strv_env_set(&env, "PKG_CONFIG_LIBDIR", "") < 0 ||
                   strv_env_set(&env, "PKG_CONFIG_PATH", "") < 0)
                /* No sysroot: pkg-config finds nothing rather than the build host's x86 .pc files. */
                return strv_free(env);
        if (epoch >= 0 && !strv_env_get(env, "SOURCE_DATE_EPOCH") && strv_extendf(&env, "SOURCE_DATE_EPOCH=%lld", epoch) < 0)
                return strv_free(env);
        return env;
}

