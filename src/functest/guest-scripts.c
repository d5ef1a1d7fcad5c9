/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/macro.h"
#include "core/path.h"
#include "guest-scripts.h"

void guest_scripts_plan(const struct recipe_test *t, struct guest_scripts *ret) {
        struct guest_scripts g = {0};
        g.checks[g.n_steps++] = TEST_CHECK_SETUP;
        if (t->daemon)
                g.checks[g.n_steps++] = TEST_CHECK_DAEMON;
        if (t->image)
                g.checks[g.n_steps++] = TEST_CHECK_IMAGE;
        g.checks[g.n_steps++] = TEST_CHECK_RUN;
        *ret = g;
}

/* Installs the artifacts, loads the modules, makes the test image from the guest's
 * busybox-static (the target's, from the Debian mirror) with every applet linked to
 * /bin/busybox inside it, so it works as a container's root; reports what the guest is.
 * An install tree (a directory: what 'make install DESTDIR=' made) is laid over the root as a
 * package would be: a link such as /lib -> usr/lib stays a link and directories that exist
 * keep their modes; then ldconfig, so the tree's libraries are found. */
static int setup_text(const struct recipe_test *t, const char *dir, FILE *f) {
        fprintf(f, "T='%s'\n", dir);
        fputs("mkdir -p \"$T/rootfs\" /usr/local/bin\n"
              "trees=\n"
              "for d in /xbuild/artifacts/*/; do\n"
              "  [ -d \"$d\" ] || continue\n"
              "  tar -C \"$d\" -cf - . | tar -C / --keep-directory-symlink --no-overwrite-dir -xf - ||\n"
              "    { echo \"xbuild-test: cannot install the tree $(basename \"$d\")\"; exit 1; }\n"
              "  trees=\"$trees $(basename \"$d\")\"\n"
              "done\n"
              "if [ -n \"$trees\" ]; then\n"
              "  if command -v ldconfig >/dev/null; then ldconfig; fi\n"
              "  echo \"xbuild-test: installed the tree(s)$trees over /\"\n"
              "fi\n"
              "for f in /xbuild/artifacts/* /xbuild/artifacts/.[!.]*; do\n"
              "  [ -f \"$f\" ] || continue\n"
              "  cp \"$f\" /usr/local/bin/ || { echo \"xbuild-test: cannot install ${f##*/}\"; exit 1; }\n"
              "  chmod 0755 \"/usr/local/bin/${f##*/}\"\n"
              "done\n",
              f);
        for (char **m = t->modules; m && *m; m++)
                fprintf(f, "modprobe '%s' || { echo \"xbuild-test: cannot load the kernel module %s\"; exit 1; }\n", *m, *m);
        /* busybox links its applets to what /proc/self/exe names: run inside the image's
         * root, that is /bin/busybox there. One process, not one ln per applet. */
        fputs("cd \"$T/rootfs\"\n"
              "mkdir -p bin sbin usr/bin usr/sbin dev etc proc sys tmp root run var\n"
              "cp /bin/busybox bin/busybox\n"
              "mount -t proc proc proc\n"
              "chroot . /bin/busybox --install -s || { umount proc; echo 'xbuild-test: busybox --install failed'; exit 1; }\n"
              "umount proc\n"
              "echo 'root:x:0:0:root:/root:/bin/sh' >etc/passwd\n"
              "echo 'root:x:0:' >etc/group\n"
              "tar -C \"$T/rootfs\" -cf \"$T/busybox.tar\" .\n"
              "cgroup=none\n"
              "case \"$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)\" in cgroup2fs) cgroup=v2 ;; tmpfs) cgroup=v1 ;; esac\n"
              "printf 'machine=%s\\nrelease=%s\\nclock=%s\\ncgroup=%s\\n' \"$(uname -m)\" \"$(uname -r)\" \"$(date +%s)\" "
              "\"$cgroup\" >/xbuild/out/setup.info\n"
              "echo \"xbuild-test: $(uname -m) $(uname -r), cgroup $cgroup, test image $(du -k \"$T/busybox.tar\" | cut -f1) KiB\"\n",
              f);
        return 0;
}

/* The daemon in the background, its log on the share, an exit marker (a zombie would still
 * answer kill -0); ready.sh polled, each try time-limited, until the recipe's timeout. */
static int daemon_text(const struct recipe_test *t, const char *dir, FILE *f) {
        fprintf(f, "T='%s'\n", dir);
        fputs("cd \"$T\"\n"
              "rm -f \"$T/daemon.exit\"\n"
              "( rc=0; /bin/sh -e /xbuild/test/daemon.sh || rc=$?; echo \"$rc\" >\"$T/daemon.exit\" ) "
              "</dev/null >/xbuild/out/daemon.log 2>&1 &\n",
              f);
        fprintf(f, "limit=$(( $(cut -d. -f1 /proc/uptime) + %u ))\n", t->ready_timeout);
        /* The readiness check's last output says why a daemon never became ready. */
        fputs("while ! timeout -k 2 30 /bin/sh -e /xbuild/test/ready.sh </dev/null >/xbuild/out/ready.log 2>&1; do\n"
              "  if [ -e \"$T/daemon.exit\" ]; then\n"
              "    echo \"xbuild-test: the daemon exited with status $(cat \"$T/daemon.exit\") before it was ready\"\n"
              "    exit 1\n"
              "  fi\n"
              "  if [ \"$(cut -d. -f1 /proc/uptime)\" -ge \"$limit\" ]; then\n",
              f);
        fprintf(f,
                "    echo \"xbuild-test: the daemon was not ready after %u s (the readiness check said: "
                "$(tail -n 1 /xbuild/out/ready.log))\"\n",
                t->ready_timeout);
        fputs("    exit 1\n"
              "  fi\n"
              "  sleep 0.2\n"
              "done\n"
              "echo \"xbuild-test: the daemon is ready\"\n",
              f);
        return 0;
}

/* A recipe script under the guest's timeout: a status of 124, or 137 once the time is up
 * (timeout's SIGKILL), is a timeout; 137 sooner is a kill (the OOM killer) and says so. */
static int script_run_text(const char *what, const char *script, const char *out, unsigned timeout, const char *dir,
                           FILE *f) {
        fprintf(f, "T='%s'\ncd \"$T\"\nrc=0\nstart=$(cut -d. -f1 /proc/uptime)\n", dir);
        if (out)
                fprintf(f, "timeout -k 5 %u /bin/sh -e /xbuild/test/%s </dev/null >%s 2>&1 || rc=$?\ncat %s\n", timeout,
                        script, out, out);
        else
                fprintf(f, "timeout -k 5 %u /bin/sh -e /xbuild/test/%s </dev/null 2>&1 || rc=$?\n", timeout, script);
        fprintf(f,
                "took=$(( $(cut -d. -f1 /proc/uptime) - start ))\n"
                "if [ \"$rc\" = 124 ] || { [ \"$rc\" = 137 ] && [ \"$took\" -ge %u ]; }; then\n"
                "  echo \"xbuild-test: %s took more than %u s\"\n"
                "elif [ \"$rc\" = 137 ]; then echo \"xbuild-test: %s was killed (SIGKILL: out of memory?)\"\n"
                "elif [ \"$rc\" != 0 ]; then echo \"xbuild-test: %s exited with status $rc\"; fi\n"
                "exit \"$rc\"\n",
                timeout, what, timeout, what, what);
        return 0;
}

int guest_step_text(const struct recipe_test *t, const char *guest_dir, enum test_check_id step, char **ret) {
        _cleanup_free_ char *text = NULL;
        size_t n;
        FILE *f = open_memstream(&text, &n);
        int r;

        if (!f)
                return -ENOMEM;
        fprintf(f, "# xbuild functional test: %s\n", test_check_id_to_string(step));
        switch (step) {
        case TEST_CHECK_SETUP:
                r = setup_text(t, guest_dir, f);
                break;
        case TEST_CHECK_DAEMON:
                r = daemon_text(t, guest_dir, f);
                break;
        case TEST_CHECK_IMAGE:
                r = script_run_text("making the image", "image.sh", NULL, t->timeout, guest_dir, f);
                break;
        case TEST_CHECK_RUN:
                r = script_run_text("the container command", "run.sh", "/xbuild/out/run.out", t->timeout, guest_dir, f);
                break;
        default:
                r = -EINVAL;
                break;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        return 0;
}

static int write_in(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = path_join(dir, name), *t = NULL;
        if (!p || asprintf(&t, "%s\n", text) < 0)
                return -ENOMEM;
        return write_file_text(p, t);
}

int guest_scripts_write(const struct recipe_test *t, const char *guest_dir, const char *test_dir, const char *steps_dir,
                        struct guest_scripts *ret) {
        struct guest_scripts g;
        int r;

        if ((t->daemon && ((r = write_in(test_dir, "daemon.sh", t->daemon)) < 0 || (r = write_in(test_dir, "ready.sh", t->ready)) < 0)) ||
            (t->image && (r = write_in(test_dir, "image.sh", t->image)) < 0) || (r = write_in(test_dir, "run.sh", t->run)) < 0)
                return r;
        guest_scripts_plan(t, &g);
        for (size_t i = 0; i < g.n_steps; i++) {
                _cleanup_free_ char *text = NULL;
                char name[32];
                (void) snprintf(name, sizeof name, "step-%02zu.sh", i + 1);
                if ((r = guest_step_text(t, guest_dir, g.checks[i], &text)) < 0 || (r = write_in(steps_dir, name, text)) < 0)
                        return r;
        }
        *ret = g;
        return 0;
}

char *guest_info_get(const char *info, const char *key) {
        size_t n = strlen(key);
        for (const char *p = info; p && *p;) {
                const char *eol = strchrnul(p, '\n');
                if (strneq(p, key, n) && p[n] == '=')
                        return strndup(p + n + 1, (size_t) (eol - p - n - 1));
                p = *eol ? eol + 1 : eol;
        }
        return NULL;
}

bool guest_output_has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; p && *p;) {
                const char *eol = strchrnul(p, '\n');
                size_t len = (size_t) (eol - p);
                while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
                        len--;
                if (len == n && strneq(p, line, n))
                        return true;
                p = *eol ? eol + 1 : eol;
        }
        return false;
}
