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

/* " a b c" for messages. */
static char *join_list(char *const *l) {
        char *list = NULL;
        size_t n;
        FILE *f = open_memstream(&list, &n);
        if (!f)
                return NULL;
        STRV_FOREACH(pk, l)
                fprintf(f, " %s", *pk);
        if (fclose(f) != 0)
                return NULL;
        return list;
}

/* apt-get install of pkgs, with one apt-get update when it fails (a fresh machine has no
 * package lists yet). what names them in messages. */
static int apt_install(char *const *pkgs, const char *what, bool may_install, const char *log_path, struct xb_detail *err) {
        _cleanup_free_ char *apt = spawn_find_program("apt-get", NULL), *list = join_list(pkgs);
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        struct spawn_result res = {0};
        int r;

        if (!list)
                return -ENOMEM;
        if (geteuid() != 0 || !apt || !may_install)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "%s is missing; install it: apt-get install%s", what, list);
        log_info("Installing %s:%s", what, list);
        if (strv_extend_many(&argv, "apt-get", "-q", "install", "-y", "--no-install-recommends") < 0 ||
            strv_extend_strv(&argv, (char **) pkgs) < 0 || !(env = calloc(1, sizeof(char *))) ||
            strv_env_set(&env, "PATH", getenv("PATH") ?: "/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
            strv_env_set(&env, "DEBIAN_FRONTEND", "noninteractive") < 0)
                return -ENOMEM;
        struct spawn_req req = {.argv = argv, .envp = env, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                .log_path = log_path, .timeout_ms = 1800000};
        r = spawn_run(&req, &res);
        bool ok = r >= 0 && res.exit_code == 0;
        spawn_result_clear(&res);
        if (!ok) {
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
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "Failed to install %s (log: %s); try: apt-get install%s", what,
                                     strempty(log_path), list);
        return 0;
}

/* Makes sure the toolchain's programs exist, installing its Debian packages when root. */
int cross_toolchain_ensure(const struct toolchain *tc, enum xb_arch arch, bool may_install, const char *log_path,
                           char **ret_version, struct xb_detail *err) {
        const struct arch_info *ai = arch_info(arch);
        _cleanup_free_ char *gcc = NULL, *gcc_path = NULL, *go_path = NULL, *what = NULL;
        _cleanup_strv_free_ char **pkgs = NULL;
        int r;

        if (asprintf(&gcc, "%s-gcc", ai->triplet) < 0)
                return -ENOMEM;
        gcc_path = spawn_find_program(gcc, NULL);
        if (tc->kind == TOOLCHAIN_GO)
                go_path = spawn_find_program("go", NULL);
        if (!gcc_path || (tc->kind == TOOLCHAIN_GO && !go_path)) {
                if (strv_extend_strv(&pkgs, tc->host_packages) < 0 || strv_extend_strv(&pkgs, tc->arches[arch].packages) < 0 ||
                    asprintf(&what, "toolchain '%s' for %s", tc->name, ai->name) < 0)
                        return -ENOMEM;
                if ((r = apt_install(pkgs, what, may_install, log_path, err)) < 0)
                        return r;
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


/* Installed, as dpkg sees it ("install ok installed"). */
static bool package_installed(const char *pkg) {
        char *argv[] = {(char *) "dpkg-query", (char *) "-W", (char *) "-f", (char *) "${Status}", (char *) pkg, NULL};
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .timeout_ms = 30000};
        struct spawn_result res = {0};
        bool ok = spawn_run(&req, &res) >= 0 && res.exit_code == 0 && res.tail && strstr(res.tail, "install ok installed");
        spawn_result_clear(&res);
        return ok;
}

int cross_host_deps_ensure(char *const *pkgs, bool may_install, const char *log_path, struct xb_detail *err) {
        _cleanup_strv_free_ char **missing = NULL;
        STRV_FOREACH(pk, pkgs)
                if (!package_installed(*pk) && strv_extend(&missing, *pk) < 0)
                        return -ENOMEM;
        if (!missing)
                return 0;
        return apt_install(missing, "the recipe's host_deps", may_install, log_path, err);
}
