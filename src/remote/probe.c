/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/strv.h"
#include "probe.h"

void remote_facts_clear(struct remote_facts *f) {
        strv_free(f->lacking_tools);
        strv_free(f->missing_packages);
        *f = (struct remote_facts){0};
}

static const char probe_script[] =
        "LC_ALL=C; export LC_ALL\n"
        "echo \"machine $(uname -m)\"\n"
        "echo \"cpus $(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 0)\"\n"
        "while read -r k v _; do\n"
        "  case $k in MemTotal:|SwapTotal:) echo \"${k%:} $v\" ;; esac\n"
        "done < /proc/meminfo\n"
        "df -Pk . 2>/dev/null | { read -r _; read -r _ _ _ avail _; echo \"diskfree ${avail:-0}\"; }\n"
        "for t in sh tar timeout mkdir rm cat; do command -v \"$t\" >/dev/null 2>&1 || echo \"lack $t\"; done\n"
        "if command -v dpkg-query >/dev/null 2>&1; then\n"
        "  echo dpkg\n"
        "  for p in \"$@\"; do\n"
        "    case $(dpkg-query -W -f='${Status}' \"$p\" 2>/dev/null) in *\" installed\") ;; *) echo \"missing $p\" ;; esac\n"
        "  done\n"
        "fi\n";

const char *remote_probe_script(void) {
        return probe_script;
}

int remote_probe_parse(const char *text, struct remote_facts *ret) {
        struct remote_facts f = {0};
        int r = 0;

        for (const char *p = text; p && *p && r >= 0;) {
                const char *eol = strchrnul(p, '\n');
                _cleanup_free_ char *line = strndup(p, (size_t) (eol - p));
                if (!line) {
                        r = -ENOMEM;
                        break;
                }
                if (strneq(line, "machine ", 8))
                        (void) snprintf(f.machine, sizeof f.machine, "%s", line + 8);
                else if (strneq(line, "cpus ", 5))
                        f.cpus = (unsigned) strtoul(line + 5, NULL, 10);
                else if (strneq(line, "MemTotal ", 9))
                        f.mem_kb = strtoull(line + 9, NULL, 10);
                else if (strneq(line, "SwapTotal ", 10))
                        f.swap_kb = strtoull(line + 10, NULL, 10);
                else if (strneq(line, "diskfree ", 9))
                        f.disk_free_kb = strtoull(line + 9, NULL, 10);
                else if (strneq(line, "lack ", 5))
                        r = strv_extend(&f.lacking_tools, line + 5);
                else if (strneq(line, "missing ", 8))
                        r = strv_extend(&f.missing_packages, line + 8);
                else if (streq(line, "dpkg"))
                        f.has_dpkg = true;
                p = *eol ? eol + 1 : eol;
        }
        if (r < 0 || !f.machine[0]) {
                remote_facts_clear(&f);
                return r < 0 ? r : -EBADMSG;
        }
        *ret = f;
        return 0;
}

bool remote_arch_matches(enum xb_arch a, const char *machine) {
        switch (a) {
        case XB_ARCH_ARMHF:
                return strneq(machine, "armv7", 5) || streq(machine, "armv8l");
        case XB_ARCH_ARMEL:
                return strneq(machine, "armv5", 5) || strneq(machine, "armv6", 5) || strneq(machine, "armv7", 5) ||
                       streq(machine, "armv8l");
        case XB_ARCH_ARM64:
                return streq(machine, "aarch64") || streq(machine, "arm64");
        default:
                return false;
        }
}

static const char runner_script[] =
        "# xbuild remote runner: sh runner.sh WORK TIMEOUT NN\n"
        "work=$1 timeout=$2 n=$3\n"
        "cd \"$work\" && work=$(pwd) && cd src || exit 125\n"
        ". \"$work/env.sh\" || exit 125\n"
        "XB_SRCDIR=$work/src; XB_OUTDIR=$work/out; export XB_SRCDIR XB_OUTDIR\n"
        "mkdir -p \"$XB_OUTDIR\"\n"
        "exec 3<&0\n"
        "timeout -k 10 \"$timeout\" /bin/sh -e \"$work/steps/step-$n.sh\" </dev/null 3<&- &\n"
        "pid=$!\n"
        /* timeout leads its own process group: the group is the whole step. */
        "{ while read -r _; do :; done\n"
        "  kill -TERM -\"$pid\" 2>/dev/null; sleep 5; kill -KILL -\"$pid\" 2>/dev/null\n"
        "  cd / && rm -rf \"$work\"; } <&3 >/dev/null 2>&1 &\n"
        "guard=$!\n"
        "exec 3<&-\n"
        "wait \"$pid\"; rc=$?\n"
        "kill \"$guard\" 2>/dev/null\n"
        "[ \"$rc\" = 124 ] && echo \"xbuild: step $n timed out after $timeout s on $(uname -n)\" >&2\n"
        /* 255 is ssh's own failure: a step's 255 must not read as a lost connection. */
        "[ \"$rc\" = 255 ] && echo \"xbuild: step $n exited with status 255 (reported as 254)\" >&2 && rc=254\n"
        "exit \"$rc\"\n";

const char *remote_runner_script(void) {
        return runner_script;
}
