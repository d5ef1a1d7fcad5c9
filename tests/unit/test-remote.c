/* SPDX-License-Identifier: MIT */
/* The remote strategy's pure parts: targets, quoting (checked by a real /bin/sh), ssh's
 * command line, the probe's answer, arch matching and hosts.yaml. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "core/spawn.h"
#include "core/strv.h"
#include "remote/hosts.h"
#include "remote/probe.h"
#include "remote/ssh.h"
#include "tap.h"

static void test_targets(void) {
        struct ssh_target t;
        tap_ok(ssh_target_parse("builder@192.0.2.2", &t) == 0 && streq(t.user, "builder") && streq(t.host, "192.0.2.2") && t.port == 0,
               "user@host");
        ssh_target_clear(&t);
        tap_ok(ssh_target_parse("odroid.lan:2222", &t) == 0 && !t.user && streq(t.host, "odroid.lan") && t.port == 2222, "host:port");
        ssh_target_clear(&t);
        tap_ok(ssh_target_parse("u@[fe80::1]:22", &t) == 0 && streq(t.host, "[fe80::1]") && t.port == 22, "IPv6 in brackets");
        ssh_target_clear(&t);
        const char *bad[] = {"-oProxyCommand=x", "u@-host", "-u@host", "@host", "u@", "host:0", "host:70000", "host:1x",
                             "ho st", "u;id@host", "host;id", "u@host:", "[::1", "h$(id)", NULL};
        bool all = true;
        for (size_t i = 0; bad[i]; i++)
                if (ssh_target_parse(bad[i], &t) == 0) {
                        tap_diag("accepted: %s", bad[i]);
                        ssh_target_clear(&t);
                        all = false;
                }
        tap_ok(all, "option-like, empty, shell-special and out-of-range targets refused");
}

/* What a real POSIX shell makes of the quoted word. */
static char *through_sh(const char *word) {
        _cleanup_free_ char *q = shell_quote(word), *script = NULL;
        char *out = NULL;
        if (!q || asprintf(&script, "printf %%s %s", q) < 0)
                return NULL;
        char *argv[] = {(char *) "/bin/sh", (char *) "-c", script, NULL};
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE};
        struct spawn_result res = {0};
        if (spawn_run(&req, &res) == 0 && res.exit_code == 0 && res.tail) {
                size_t n = strlen(res.tail);
                if (n && res.tail[n - 1] == '\n')
                        res.tail[n - 1] = 0;
                out = TAKE_PTR(res.tail);
        }
        spawn_result_clear(&res);
        return out;
}

static void test_quote(void) {
        const char *words[] = {"plain", "", "it's", "$(touch /tmp/xb-pwned)", "`id`", "a b\tc", "'; rm -rf / #", "\\\"$HOME\"",
                               "*?[a]", "-n", "~root", "x'y'z''", NULL};
        bool ok = true;
        for (size_t i = 0; words[i]; i++) {
                _cleanup_free_ char *back = through_sh(words[i]);
                if (!back || !streq(back, words[i])) {
                        tap_diag("'%s' came back as '%s'", words[i], back ? back : "(null)");
                        ok = false;
                }
        }
        tap_ok(ok, "every quoted word reaches /bin/sh as the same data");
        char *w[] = {(char *) "tar", (char *) "-cf", (char *) "a b;c", NULL};
        _cleanup_free_ char *j = shell_join(w);
        tap_ok(j && streq(j, "'tar' '-cf' 'a b;c'"), "shell_join: %s", j ? j : "");
}

static void test_ssh_argv(void) {
        struct ssh_target t;
        _cleanup_strv_free_ char **argv = NULL, **ex = NULL;
        _cleanup_free_ char *line = NULL;
        (void) ssh_target_parse("builder@192.0.2.2:2222", &t);
        struct ssh_opts o = {.target = &t, .config = "/s/cfg", .control_dir = "/c"};
        tap_ok(ssh_argv(&o, "uname -m", &argv) == 0 && (line = strv_join(argv, " ")), "argv");
        tap_ok(strstr(line, "-F /s/cfg") && strstr(line, "BatchMode=yes") && strstr(line, "StrictHostKeyChecking=yes") &&
                       strstr(line, "ServerAliveInterval=") && strstr(line, "ControlPath=/c/ssh-%C") && strstr(line, "-p 2222"),
               "batch mode, known host key required, keepalives, multiplexing: %s", line);
        size_t n = strv_length(argv);
        tap_ok(n >= 3 && streq(argv[n - 3], "--") && streq(argv[n - 2], "builder@192.0.2.2") && streq(argv[n - 1], "uname -m"),
               "-- before the destination, the command last as one word");
        o.accept_new = true;
        tap_ok(ssh_exit_argv(&o, &ex) == 0 && strv_contains(ex, "StrictHostKeyChecking=accept-new") && strv_contains(ex, "-O") &&
                       strv_contains(ex, "exit"),
               "accept-new only when asked; -O exit closes the master");
        ssh_target_clear(&t);
        tap_ok(ssh_is_host_key_error("Host key verification failed.") && !ssh_is_host_key_error("Connection refused"),
               "host key errors told apart");
}

static void test_probe(void) {
        struct remote_facts f;
        const char *out = "machine armv7l\ncpus 4\nMemTotal 2048000\nSwapTotal 1024000\ndiskfree 5000000\n"
                          "lack timeout\ndpkg\nmissing libsqlite3-dev\nmissing git\n";
        tap_ok(remote_probe_parse(out, &f) == 0 && streq(f.machine, "armv7l") && f.cpus == 4 && f.mem_kb == 2048000 &&
                       f.swap_kb == 1024000 && f.disk_free_kb == 5000000 && f.has_dpkg && strv_length(f.lacking_tools) == 1 &&
                       strv_length(f.missing_packages) == 2 && streq(f.missing_packages[1], "git"),
               "probe answer parsed");
        remote_facts_clear(&f);
        tap_ok(remote_probe_parse("garbage\n", &f) == -EBADMSG, "an answer without uname is refused");
        tap_ok(remote_arch_matches(XB_ARCH_ARMHF, "armv7l") && remote_arch_matches(XB_ARCH_ARMHF, "armv8l") &&
                       !remote_arch_matches(XB_ARCH_ARMHF, "aarch64") && !remote_arch_matches(XB_ARCH_ARM64, "armv7l") &&
                       remote_arch_matches(XB_ARCH_ARM64, "aarch64") && remote_arch_matches(XB_ARCH_ARMEL, "armv5tejl") &&
                       !remote_arch_matches(XB_ARCH_ARMHF, "x86_64"),
               "arch matching: an arm64 host is not taken for armhf, nor the reverse");
        tap_ok(strstr(remote_runner_script(), "timeout -k") && strstr(remote_runner_script(), "while read") &&
                       strstr(remote_runner_script(), "rm -rf"),
               "the runner has a timeout and a lifeline that cleans up");
}

static void test_hosts(void) {
        struct remote_hosts *h = NULL;
        struct xb_diag d = {0};
        const char *good = "hosts:\n"
                           "  - {name: odroid, ssh: 'builder@odroid:2222', arch: armhf, memory: 2G, jobs: 4, ssh_config: cfg}\n"
                           "  - {name: pi4, ssh: pi@pi4, arch: arm64}\n";
        tap_ok(remote_hosts_parse(good, strlen(good), "/etc/x/hosts.yaml", &h, &d) == 0 && h->n == 2 &&
                       h->hosts[0].memory_mib == 2048 && h->hosts[0].jobs == 4 && streq(h->hosts[0].ssh_config, "/etc/x/cfg") &&
                       remote_hosts_count_arch(h, XB_ARCH_ARMHF) == 1 && remote_hosts_find(h, "pi4") &&
                       remote_hosts_find(h, "pi4")->arch == XB_ARCH_ARM64,
               "hosts.yaml parsed: %s", d.msg);
        remote_hosts_free(h);
        struct {
                const char *yaml, *want;
                unsigned line, col;
        } bad[] = {
                {"hosts:\n  - {name: a, ssh: '-oProxyCommand=x', arch: armhf}\n", "[USER@]HOST", 2, 20},
                {"hosts:\n  - {name: a, ssh: h, arch: mips}\n", "unknown architecture", 2, 29},
                {"hosts:\n  - {name: a, ssh: h, arch: armhf, memroy: 2G}\n", "did you mean 'memory'", 2, 36},
                {"hosts:\n  - {name: a, ssh: h, arch: armhf}\n  - {name: a, ssh: g, arch: armhf}\n", "twice", 3, 12},
                {"hosts: {a: b}\n", "list", 1, 8},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                d = (struct xb_diag){0};
                h = NULL;
                int r = remote_hosts_parse(bad[i].yaml, strlen(bad[i].yaml), "hosts.yaml", &h, &d);
                tap_ok(r < 0 && strstr(d.msg, bad[i].want) && d.line == bad[i].line && d.col == bad[i].col,
                       "bad hosts.yaml %zu: %u:%u %s", i, d.line, d.col, d.msg);
                remote_hosts_free(h);
        }
}

int main(void) {
        test_targets();
        test_quote();
        test_ssh_argv();
        test_probe();
        test_hosts();
        return tap_done();
}
