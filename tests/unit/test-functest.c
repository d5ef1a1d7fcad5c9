/* SPDX-License-Identifier: MIT */
/* The functional test's pure parts: which steps the guest runs, their text, the files laid
 * out for the share, and the report's JSON. The VM side is tests/privileged/functest.sh. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strv.h"
#include "functest/guest-scripts.h"
#include "report/test-report.h"
#include "tap.h"

static void test_plan(void) {
        struct recipe_test full = {.daemon = (char *) "d", .ready = (char *) "r", .image = (char *) "i", .run = (char *) "x"};
        struct recipe_test bare = {.run = (char *) "x"};
        struct guest_scripts g;

        guest_scripts_plan(&full, &g);
        tap_ok(g.n_steps == 4 && g.checks[0] == TEST_CHECK_SETUP && g.checks[1] == TEST_CHECK_DAEMON &&
                       g.checks[2] == TEST_CHECK_IMAGE && g.checks[3] == TEST_CHECK_RUN,
               "daemon and image: setup, daemon, image, run");
        guest_scripts_plan(&bare, &g);
        tap_ok(g.n_steps == 2 && g.checks[0] == TEST_CHECK_SETUP && g.checks[1] == TEST_CHECK_RUN,
               "neither: setup, run");
}

static void test_texts(void) {
        char *mods[] = {(char *) "overlay", (char *) "br_netfilter", NULL}, *none[] = {NULL};
        struct recipe_test t = {.modules = mods, .daemon = (char *) "d", .ready = (char *) "r", .ready_timeout = 45,
                                .run = (char *) "x", .timeout = 120};
        _cleanup_free_ char *setup = NULL, *daemon = NULL, *run = NULL, *bare = NULL;

        tap_ok(guest_step_text(&t, "/var/lib/t", TEST_CHECK_SETUP, &setup) == 0 &&
                       strstr(setup, "modprobe 'overlay' ||") && strstr(setup, "modprobe 'br_netfilter' ||") &&
                       strstr(setup, "T='/var/lib/t'") && strstr(setup, "busybox --install -s") &&
                       strstr(setup, "/xbuild/out/setup.info"),
               "setup: each module loaded, the image made, the facts written");
        tap_ok(strstr(setup, "for d in /xbuild/artifacts/*/; do") &&
                       strstr(setup, "tar -C / --keep-directory-symlink --no-overwrite-dir -xf -") &&
                       strstr(setup, "then ldconfig; fi") && strstr(setup, "cannot install the tree") &&
                       strstr(setup, "tar -C /") < strstr(setup, "cp \"$f\" /usr/local/bin/"),
               "setup: an install tree laid over the root (links and existing directories kept), then ldconfig, "
               "before the files go to /usr/local/bin");
        t.modules = none;
        tap_ok(guest_step_text(&t, "/var/lib/t", TEST_CHECK_SETUP, &bare) == 0 && !strstr(bare, "modprobe"),
               "setup without modules loads none");
        tap_ok(guest_step_text(&t, "/var/lib/t", TEST_CHECK_DAEMON, &daemon) == 0 &&
                       strstr(daemon, "/xbuild/test/daemon.sh") && strstr(daemon, "/xbuild/test/ready.sh") &&
                       strstr(daemon, "not ready after 45 s") && strstr(daemon, "+ 45 ))") &&
                       strstr(daemon, "daemon.exit") && strstr(daemon, ">/xbuild/out/daemon.log") &&
                       strstr(daemon, "/bin/sh -e /xbuild/test/daemon.sh") && strstr(daemon, ">/xbuild/out/ready.log"),
               "daemon: started in the background with its log on the share, polled until the timeout");
        tap_ok(guest_step_text(&t, "/var/lib/t", TEST_CHECK_RUN, &run) == 0 &&
                       strstr(run, "timeout -k 5 120 /bin/sh -e /xbuild/test/run.sh") &&
                       strstr(run, ">/xbuild/out/run.out") && strstr(run, "took more than 120 s"),
               "run: time-limited, output kept on the share");
        char *never = NULL;
        tap_ok(guest_step_text(&t, "/var/lib/t", TEST_CHECK_OUTPUT, &never) == -EINVAL && !never,
               "the output check is the host's, not a guest step");
}

static void test_write(void) {
        char tmpl[] = "/tmp/xb-functest-XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *test = dir ? path_join(dir, "test") : NULL, *steps = dir ? path_join(dir, "steps") : NULL;
        _cleanup_free_ char *d = NULL, *r = NULL, *s2 = NULL, *imagesh = NULL, *s3 = NULL;
        struct recipe_test t = {.daemon = (char *) "engine daemon --flag 'x y'", .ready = (char *) "engine ping",
                                .run = (char *) "engine run $XB_TEST_ROOTFS echo hi", .timeout = 60, .ready_timeout = 30};
        struct guest_scripts g;

        tap_ok(dir && test && steps && mkdir(test, 0755) == 0 && mkdir(steps, 0755) == 0, "scratch dirs");
        tap_ok(guest_scripts_write(&t, "/var/lib/xbuild-test", test, steps, &g) == 0 && g.n_steps == 3, "written");
        _cleanup_free_ char *dp = path_join(test, "daemon.sh"), *rp = path_join(test, "ready.sh"),
                            *s2p = path_join(steps, "step-02.sh"), *ip = path_join(test, "image.sh"),
                            *s3p = path_join(steps, "step-03.sh"), *s4p = path_join(steps, "step-04.sh");
        tap_ok(read_full_file(dp, 4096, &d, NULL) == 0 && streq(d, "engine daemon --flag 'x y'\n") &&
                       read_full_file(rp, 4096, &r, NULL) == 0 && streq(r, "engine ping\n"),
               "the recipe's text is a file of its own, byte for byte");
        tap_ok(read_full_file(s2p, 65536, &s2, NULL) == 0 && strstr(s2, "functional test: daemon") &&
                       !strstr(s2, "engine daemon"),
               "step 2 runs daemon.sh, never the recipe's text quoted in");
        tap_ok(read_full_file(ip, 4096, &imagesh, NULL) == -ENOENT && read_full_file(s3p, 65536, &s3, NULL) == 0 &&
                       strstr(s3, "run.sh") && access(s4p, F_OK) < 0,
               "no image: no image.sh, step 3 is the run, no step 4");
        if (dir)
                (void) rm_rf(dir);
}

static void test_json(void) {
        struct test_result t = {.status = "failed", .exit_code = 3, .vm_to_exit_s = -1, .cgroup = "v1"};
        t.error = strdup("The daemon did not become ready: xbuild-test: the daemon was not ready after 5 s");
        t.checks[TEST_CHECK_BOOT] = (struct test_check){.ran = true, .status = TEST_CHECK_OK, .seconds = 15.5};
        t.checks[TEST_CHECK_SETUP] = (struct test_check){.ran = true, .status = TEST_CHECK_OK, .seconds = 2};
        t.checks[TEST_CHECK_DAEMON] = (struct test_check){.ran = true, .status = TEST_CHECK_FAILED, .seconds = 5.1,
                                                          .detail = strdup("not ready")};
        t.expected = strdup("hello-from-armhf");
        json_object *o = test_result_json(&t);
        const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "";
        tap_ok(o && strstr(s, "\"status\":\"failed\"") && strstr(s, "\"exit_code\":3"), "status and exit code");
        json_object *checks = NULL, *secs = NULL, *guest = NULL;
        tap_ok(json_object_object_get_ex(o, "checks", &checks) && json_object_array_length(checks) == _TEST_CHECK_MAX,
               "every check listed, in order");
        json_object *run = checks ? json_object_array_get_idx(checks, TEST_CHECK_RUN) : NULL, *v = NULL;
        tap_ok(run && json_object_object_get_ex(run, "status", &v) && streq(json_object_get_string(v), "skipped") &&
                       json_object_object_get_ex(run, "seconds", &v) && v == NULL,
               "a check not reached is skipped, untimed");
        tap_ok(json_object_object_get_ex(o, "seconds", &secs) && json_object_object_get_ex(secs, "daemon_ready", &v) &&
                       json_object_get_double(v) > 5.0 && json_object_object_get_ex(secs, "vm_start_to_container_exit", &v) &&
                       v == NULL,
               "timings by name; the container's exit not reached is null");
        tap_ok(json_object_object_get_ex(o, "guest", &guest) && json_object_object_get_ex(guest, "cgroup", &v) &&
                       streq(json_object_get_string(v), "v1"),
               "the guest's cgroup mode");
        json_object_put(o);
        test_result_clear(&t);
        tap_ok(t.error == NULL && t.expected == NULL, "cleared");
}

static void test_reading(void) {
        static const char info[] = "machine=armv7l\nrelease=6.1.0-50-armmp-lpae\nclock=1795000000\ncgroup=v1";
        _cleanup_free_ char *m = guest_info_get(info, "machine"), *c = guest_info_get(info, "cgroup"),
                            *none = guest_info_get(info, "mach"), *empty = guest_info_get("", "machine");
        tap_ok(m && streq(m, "armv7l") && c && streq(c, "v1") && !none && !empty,
               "setup.info: values by exact key, the last line without a newline");
        tap_ok(guest_output_has_line("Unable to find image\nhello-from-armhf\r\n", "hello-from-armhf"),
               "the expected line, with the console's CR");
        tap_ok(guest_output_has_line("hello-from-armhf  ", "hello-from-armhf"), "trailing spaces ignored");
        tap_ok(!guest_output_has_line("xhello-from-armhf\nhello-from-armhfx\n", "hello-from-armhf"),
               "a line that only contains it does not count");
        tap_ok(!guest_output_has_line("", "hello") && !guest_output_has_line("hello-from-arm64\n", "hello-from-armhf"),
               "nothing, or another arch's line, does not count");
}

int main(void) {
        test_plan();
        test_reading();
        test_texts();
        test_write();
        test_json();
        return tap_done();
}
