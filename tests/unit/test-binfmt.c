/* SPDX-License-Identifier: MIT */
/* The binfmt_misc interpreter check: xbuild registers with the F flag, which only a statically
 * linked qemu survives inside a chroot. A dynamic one (this host's /bin/sh stands in for
 * qemu-user's /usr/bin/qemu-arm) is refused with a sentence naming qemu-user-static, as a new
 * registration and as a foreign entry. No binfmt_misc is touched. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binfmt/binfmt.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "verify/elf.h"
#include "tap.h"

static char tmp[] = "/tmp/xb-binfmt-XXXXXX";
static const char *dynamic_exe = "/bin/sh";

/* x86_64, ELF64, ET_EXEC, one PT_LOAD, no PT_INTERP: what a static qemu looks like to the check. */
static int write_static_elf(const char *path) {
        unsigned char e[64 + 56] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
        e[16] = 2;  /* ET_EXEC */
        e[18] = 62; /* EM_X86_64 */
        e[20] = 1;  /* EV_CURRENT */
        e[32] = 64; /* e_phoff */
        e[52] = 64; /* e_ehsize */
        e[54] = 56; /* e_phentsize */
        e[56] = 1;  /* e_phnum */
        e[64] = 1;  /* PT_LOAD */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        return fd < 0 ? -1 : write_all(fd, e, sizeof e);
}

static void test_check(const char *static_exe, const char *text) {
        _cleanup_(xb_detail_clear) struct xb_detail e = {0}, e64 = {0}, s = {0}, t = {0}, m = {0};
        _cleanup_free_ char *real = realpath(dynamic_exe, NULL), *want = NULL;
        bool link = real && !streq(real, dynamic_exe);

        if (asprintf(&want,
                     "%s%s%s%s is dynamically linked: it cannot run ARM programs inside a chroot. "
                     "apt-get install qemu-user-static (its /usr/bin/qemu-arm-static)",
                     dynamic_exe, link ? " (" : "", link ? real : "", link ? ")" : "") < 0)
                abort();
        tap_ok(binfmt_interpreter_check(dynamic_exe, XB_ARCH_ARMHF, &e) == -XB_E_NOT_AVAILABLE && e.msg &&
                       streq(e.msg, want),
               "a dynamic interpreter is refused, named with what it links to, qemu-user-static suggested");
        if (e.msg)
                tap_diag("%s", e.msg);
        tap_ok(binfmt_interpreter_check(dynamic_exe, XB_ARCH_ARM64, &e64) == -XB_E_NOT_AVAILABLE && e64.msg &&
                       strstr(e64.msg, "(its /usr/bin/qemu-aarch64-static)"),
               "for arm64 it names qemu-aarch64-static");
        tap_ok(binfmt_interpreter_check(dynamic_exe, XB_ARCH_ARMHF, NULL) == -XB_E_NOT_AVAILABLE, "err may be NULL");
        tap_ok(binfmt_interpreter_check(static_exe, XB_ARCH_ARMHF, &s) == 0 && !s.msg, "a static interpreter passes, err untouched");
        tap_ok(binfmt_interpreter_check(text, XB_ARCH_ARMHF, &t) == -XB_E_NOT_AVAILABLE && t.msg && strstr(t.msg, "not an ELF file"),
               "no ELF file: refused, not guessed");
        tap_ok(binfmt_interpreter_check("/nonexistent/qemu-arm", XB_ARCH_ARMHF, &m) == -XB_E_NOT_AVAILABLE && m.msg &&
                       strstr(m.msg, "/nonexistent/qemu-arm"),
               "a missing interpreter: refused, named");
        if (access("/usr/bin/qemu-arm-static", R_OK) == 0) {
                _cleanup_(xb_detail_clear) struct xb_detail q = {0};
                tap_ok(binfmt_interpreter_check("/usr/bin/qemu-arm-static", XB_ARCH_ARMHF, &q) == 0,
                       "this host's qemu-arm-static (static-pie) passes");
        }
}

static void test_entry_problem(const char *static_exe) {
        struct binfmt_entry e = {.enabled = true};
        const char *p;

        (void) snprintf(e.rule.flags, sizeof e.rule.flags, "POF");
        (void) snprintf(e.rule.interpreter, sizeof e.rule.interpreter, "%s", static_exe);
        tap_ok(!binfmt_entry_problem(&e), "an enabled entry with F and a static interpreter fits");
        (void) snprintf(e.rule.interpreter, sizeof e.rule.interpreter, "%s", dynamic_exe);
        p = binfmt_entry_problem(&e);
        tap_ok(p && strstr(p, "dynamically linked") && strstr(p, "qemu-user-static"),
               "F with a dynamic interpreter is unfit, and why");
        (void) snprintf(e.rule.flags, sizeof e.rule.flags, "PO");
        p = binfmt_entry_problem(&e);
        tap_ok(p && strstr(p, "no F flag"), "without F the missing flag is the problem said");
}

/* qemu-user-binfmt's definition has F and names the dynamic qemu: the rule xbuild would
 * register is read as it is, and the check that binfmt_setup() makes first refuses it. */
static void test_default_rule(void) {
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        _cleanup_free_ char *dir = path_join(tmp, "binfmt.d"), *conf = path_join(dir, "qemu-arm.conf"), *line = NULL;
        struct binfmt_rule r;

        if (!dir || !conf || mkdir(dir, 0755) < 0 ||
            asprintf(&line, "# comment\n:qemu-arm:M::\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                            "\\x00\\x00\\x02\\x00\\x28\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff"
                            "\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:%s:OP\n",
                     dynamic_exe) < 0 ||
            write_file_text(conf, line) < 0)
                abort();
        tap_ok(binfmt_default_rule(dir, XB_ARCH_ARMHF, &r) == 0 && streq(r.name, "xbuild-qemu-arm") &&
                       streq(r.interpreter, dynamic_exe) && streq(r.flags, "OPF") && binfmt_rule_matches_arch(&r, XB_ARCH_ARMHF),
               "qemu-arm.conf read as xbuild-qemu-arm, F added");
        tap_ok(binfmt_interpreter_check(r.interpreter, XB_ARCH_ARMHF, &e) == -XB_E_NOT_AVAILABLE && e.msg &&
                       strstr(e.msg, "is dynamically linked"),
               "its dynamic interpreter is refused");
}

int main(void) {
        struct elf_info info;
        _cleanup_free_ char *static_exe = NULL, *text = NULL;

        if (!mkdtemp(tmp) || !(static_exe = path_join(tmp, "qemu-static")) || !(text = path_join(tmp, "script")) ||
            write_static_elf(static_exe) < 0 || write_file_text(text, "#!/bin/sh\n") < 0)
                abort();
        if (elf_parse_file(dynamic_exe, &info, NULL) < 0 || info.is_static) {
                printf("1..0 # SKIP %s is not a dynamically linked ELF file here\n", dynamic_exe);
                (void) rm_rf(tmp);
                return 77;
        }
        elf_info_clear(&info);
        test_check(static_exe, text);
        test_entry_problem(static_exe);
        test_default_rule();
        (void) rm_rf(tmp);
        return tap_done();
}
