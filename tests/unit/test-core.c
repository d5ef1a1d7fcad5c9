/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/errors.h"
#include "core/path.h"
#include "core/strv.h"
#include "core/url.h"
#include "fetch/http.h"
#include "recipe/arch.h"
#include "recipe/strategy-name.h"
#include "recipe/ydecode.h"
#include "tap.h"

static void check_norm(const char *in, const char *want) {
        char *got = path_normalize(in);
        tap_ok(got && streq(got, want), "normalize '%s' -> '%s' (got '%s')", in, want, got);
        free(got);
}

int main(void) {
        _cleanup_strv_free_ char **l = NULL;
        char *p;

        tap_ok(strv_extend(&l, "a") == 0 && strv_extendf(&l, "%s=%d", "B", 2) == 0 && strv_length(l) == 2,
               "strv extend");
        tap_ok(strv_contains(l, "a") && !strv_contains(l, "b"), "strv contains");
        tap_ok(strv_env_set(&l, "B", "3") == 0 && streq(strv_env_get(l, "B"), "3") && strv_length(l) == 2,
               "env set replaces");
        tap_ok(!strv_env_get(l, "a"), "a bare word is not an env entry");

        tap_ok((p = path_join("/a/", "/b")) && streq(p, "/a/b"), "join");
        free(p);
        tap_ok((p = path_join("/", "b")) && streq(p, "/b"), "join at root");
        free(p);
        tap_ok((p = path_dirname("/x/y.yaml")) && streq(p, "/x"), "dirname");
        free(p);
        tap_ok((p = path_dirname("y.yaml")) && streq(p, "."), "dirname of a bare name");
        free(p);
        check_norm("/a/./b/../c/", "/a/c");
        check_norm("/../..", "/");
        check_norm("a/../../b", "../b");
        check_norm("../../x", "../../x");
        check_norm("./", ".");
        tap_ok(path_is_safe_relative("a/b") && !path_is_safe_relative("/a") &&
                       !path_is_safe_relative("a/../b") && !path_is_safe_relative("..") &&
                       !path_is_safe_relative("") && path_is_safe_relative("a..b/c"),
               "safe relative paths");
        tap_ok(path_is_filename("x.patch") && !path_is_filename("a/b") && !path_is_filename("..") &&
                       !path_is_filename(""),
               "file names");

        static const char *const words[] = {"summary", "steps", "source", NULL};
        tap_ok(yd_did_you_mean("sumary", words) && streq(yd_did_you_mean("sumary", words), "summary"),
               "did you mean: one deletion");
        tap_ok(!yd_did_you_mean("colour", words), "did you mean: nothing close");
        tap_ok(yd_is_name("docker-1.10") && !yd_is_name("Docker") && !yd_is_name("-x") && !yd_is_name("a b"),
               "names");

        tap_ok(arch_from_string("armhf") == XB_ARCH_ARMHF && arch_from_string("x86") == _XB_ARCH_INVALID,
               "arch names");
        tap_ok(streq(arch_info(XB_ARCH_ARMEL)->goarm, "5") && arch_info(XB_ARCH_ARMHF)->hard_float &&
                       arch_info(XB_ARCH_ARM64)->elf_machine == 183,
               "arch facts");
        tap_ok(strategy_from_string("qemu-system") == XB_STRATEGY_QEMU_SYSTEM &&
                       strategy_from_string("auto") == _XB_STRATEGY_INVALID,
               "strategy names");

        tap_ok(streq(xb_strerror(-XB_E_RECIPE_SYNTAX), "Recipe syntax error") &&
                       streq(xb_strerror(-ENOENT), strerror(ENOENT)),
               "xb_strerror renders project codes and errno");
        tap_ok(xb_exit_code_for(-XB_E_RECIPE_VALUE) == XB_EXIT_BAD_INPUT &&
                       xb_exit_code_for(-XB_E_NOT_AVAILABLE) == XB_EXIT_HOST_MISSING &&
                       xb_exit_code_for(0) == XB_EXIT_OK,
               "exit codes");

        static const char *const smuggling[] = {"-u", "ssh://-oProxyCommand=x/r", "ssh://--upload-pack=x/r", "ssh://-oX@h/r",
                                                "git@-oProxyCommand=x:r", "-oX@h:r", "ssh://user@-host/r",
                                                "git@-oProxyCommand=x:p://y", "ssh://u@v@-oX/r", "ssh://[-oX]/r",
                                                "ssh://user@[-oX]/r", NULL};
        static const char *const fine[] = {"ssh://git@my-host/r-1", "https://h.example/a/-b", "git@h:-path", "/srv/r.git",
                                           "file:///srv/-r", "ssh://h/--x", "git+ssh://git@h/r", "ssh://[::1]/r", NULL};
        bool all = true;
        for (size_t i = 0; smuggling[i]; i++)
                all = all && url_git_smuggles_option(smuggling[i]);
        tap_ok(all, "git URLs whose URL, user or host is an option are caught");
        all = true;
        for (size_t i = 0; fine[i]; i++)
                all = all && !url_git_smuggles_option(fine[i]);
        tap_ok(all, "dashes inside host names and paths are fine");

        tap_ok(streq(http_redirect_protocols("https://h.example/f"), "https") &&
                       streq(http_redirect_protocols("HTTPS://h.example/f"), "https"),
               "a redirect from https may only go to https");
        tap_ok(streq(http_redirect_protocols("http://h.example/f"), "http,https") &&
                       streq(http_redirect_protocols("https-not://h/f"), "http,https"),
               "a redirect from http may go to http or https");
        return tap_done();
}
