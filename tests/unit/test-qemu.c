/* SPDX-License-Identifier: MIT */
/* The pure parts of the qemu-system strategy: apt's and modprobe's output, the console
 * markers, sizes, and the QEMU command line; and that the image cache is private. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strv.h"
#include "qemu/disk-image.h"
#include "qemu/initrd.h"
#include "qemu/kit.h"
#include "qemu/vm-run.h"
#include "tap.h"

static void test_show_depends(void) {
        _cleanup_strv_free_ char **l = NULL;
        const char *ext4 = "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/lib/crc16.ko \n"
                           "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/arch/arm/crypto/crc32-arm-ce.ko \n"
                           "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/fs/mbcache.ko \n"
                           "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/fs/jbd2/jbd2.ko \n"
                           "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/fs/ext4/ext4.ko \n";
        const char *nine_p = "builtin netfs\n"
                             "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/net/9p/9pnet.ko \n"
                             "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/fs/9p/9p.ko debug=0\n"
                             "insmod /k/lib/modules/6.1.0-50-armmp-lpae/kernel/fs/mbcache.ko \n";

        tap_ok(initrd_parse_show_depends(ext4, &l) == 0 && strv_length(l) == 4 && strstr(l[0], "crc16.ko") &&
                       strstr(l[3], "ext4.ko"),
               "show-depends: load order kept, crc32-arm-ce left out");
        tap_ok(initrd_parse_show_depends(nine_p, &l) == 0 && strv_length(l) == 6 && strstr(l[4], "9pnet.ko") &&
                       strstr(l[5], "/9p.ko"),
               "a second module: builtins skipped, options dropped, modules already listed not repeated");
        tap_ok(initrd_parse_show_depends("", &l) == 0 && strv_length(l) == 6, "empty output adds nothing");
        tap_ok(initrd_module_excluded("/x/crc32-arm-ce.ko.xz") && !initrd_module_excluded("/x/crc32c_generic.ko"),
               "exclusion by file name");
        tap_ok(strstr(initrd_init_script(), "switch_root") == NULL && strstr(initrd_init_script(), "poweroff -f"),
               "the init powers off rather than handing PID 1 to the root file system");
}

static void test_apt(void) {
        const char *deps = "linux-image-armmp-lpae\n"
                           "  Depends: linux-image-6.1.0-50-armmp-lpae\n"
                           "  Depends: other\n";
        const char *uris = "W: something\n"
                           "'http://mirror.invalid/debian/pool/main/l/linux-signed/linux-image-6.1.0-50-armmp-lpae_6.1.176-1_armhf.deb' "
                           "linux-image-6.1.0-50-armmp-lpae_6.1.176-1_armhf.deb 41234567 "
                           "SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                           "'http://mirror.invalid/debian/pool/main/b/busybox/busybox-static_1.35.0-4%2bb3_armhf.deb' "
                           "busybox-static_1.35.0-4+b3_armhf.deb 912345 SHA256:zz\n";
        _cleanup_free_ char *pkg = NULL, *url = NULL, *sha = NULL, *file = NULL, *u2 = NULL, *s2 = NULL;

        tap_ok(apt_parse_depends(deps, "linux-image-", &pkg) == 0 && streq(pkg, "linux-image-6.1.0-50-armmp-lpae"),
               "apt-cache depends: the versioned kernel package");
        tap_ok(apt_parse_depends("x\n  Depends: foo\n", "linux-image-", &u2) == -ENOENT, "no kernel dependency: -ENOENT");
        tap_ok(apt_parse_print_uris(uris, "linux-image-6.1.0-50-armmp-lpae", &url, &sha, &file) == 0 &&
                       strstr(url, "/pool/main/l/linux-signed/") && strlen(sha) == 64 && strneq(sha, "0123", 4) &&
                       streq(file, "linux-image-6.1.0-50-armmp-lpae_6.1.176-1_armhf.deb"),
               "print-uris: URL, SHA256 and file of the package");
        tap_ok(apt_parse_print_uris(uris, "busybox-static", &u2, &s2, NULL) == -EBADMSG,
               "print-uris: a line without a usable SHA256 is refused");
        tap_ok(apt_parse_print_uris(uris, "busybox", &u2, &s2, NULL) == -ENOENT,
               "print-uris: a package name is matched whole (busybox is not busybox-static)");
}

static void test_console(void) {
        tap_ok(vm_marker("XBUILD-abc job-end 0", "abc") && streq(vm_marker("XBUILD-abc job-end 0", "abc"), "job-end 0"),
               "marker parsed");
        tap_ok(vm_marker("[   3.1] foo XBUILD-abc step-start 2", "abc") && streq(vm_marker("[   3.1] foo XBUILD-abc step-start 2", "abc"), "step-start 2"),
               "marker after kernel output on the same line");
        tap_ok(!vm_marker("XBUILD-abd job-end 0", "abc") && !vm_marker("XBUILD-abcd job-end 0", "abc") &&
                       !vm_marker("echo XBUILD-", "abc"),
               "another nonce is not a marker");
}

static void test_sizes(void) {
        unsigned long long m = 0;
        tap_ok(vm_parse_memory("2G", &m) == 0 && m == 2048 && vm_parse_memory("3072M", &m) == 0 && m == 3072 &&
                       vm_parse_memory("512", &m) == 0 && m == 512 && vm_parse_memory("1GiB", &m) == 0 && m == 1024,
               "memory sizes");
        tap_ok(vm_parse_memory("64M", &m) < 0 && vm_parse_memory("2T", &m) < 0 && vm_parse_memory("-1G", &m) < 0 &&
                       vm_parse_memory("G", &m) < 0 && vm_parse_memory("99999999999999999999", &m) < 0 &&
                       vm_parse_memory("2g", &m) < 0,
               "bad memory sizes refused");
        tap_ok(vm_image_size_mib(600ULL << 20) >= 600 + 4096 && vm_image_size_mib(10ULL << 30) >= 2 * 10240,
               "image size: the tree plus room to build");
}

static void test_argv(void) {
        struct vm_config c = {.va = vm_arch(XB_ARCH_ARMHF), .kernel = "/k/vmlinuz", .initrd = "/k/initrd.img",
                              .image = "/c/a,b/rootfs.ext4", .share = "/s/share", .tmp_dir = "/s", .cpus = 2,
                              .memory_mib = 2048, .nonce = "00ff"};
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *line = NULL;

        tap_ok(vm_qemu_argv(&c, &argv) == 0 && (line = strv_join(argv, " ")), "argv built");
        tap_ok(streq(argv[0], "qemu-system-arm") && strstr(line, "-M virt -cpu cortex-a15 -smp 2 -m 2048M") &&
                       strstr(line, "-nodefaults") && strstr(line, "-no-reboot") && strstr(line, "panic=-1") &&
                       strstr(line, "xbuild.nonce=00ff"),
               "armhf: virt, cortex-a15, no reboot, panic ends QEMU: %s", line);
        tap_ok(strstr(line, "file=/c/a,,b/rootfs.ext4,format=raw,snapshot=on"), "the root disk is a snapshot, commas escaped");
        tap_ok(strstr(line, "restrict=on") && strstr(line, "romfile=,") == NULL && strstr(line, "romfile="),
               "network restricted by default, no boot ROM needed");
        tap_ok(strstr(line, "mount_tag=xbuild") && strstr(line, "path=/s/share,security_model=none"), "the job share");
        tap_ok(strstr(line, "-serial stdio") && !strstr(line, "xbuild.shell"), "job mode: console on a pipe");
        strv_free(argv);
        argv = NULL;
        free(line);
        c.va = vm_arch(XB_ARCH_ARM64);
        c.shell = true;
        c.network = true;
        tap_ok(vm_qemu_argv(&c, &argv) == 0 && (line = strv_join(argv, " ")) && streq(argv[0], "qemu-system-aarch64") &&
                       strstr(line, "-cpu cortex-a57") && strstr(line, "xbuild.shell=1") && strstr(line, "restrict=off") &&
                       strstr(line, "stdio,id=con0,mux=on,signal=off"),
               "arm64 shell: aarch64, cortex-a57, console on the terminal, network when asked");
        tap_ok(streq(vm_arch(XB_ARCH_ARMEL)->deb_arch, "armhf") && streq(vm_arch(XB_ARCH_ARMEL)->uname_m, "armv7l"),
               "armel boots the armhf kernel");
}

static unsigned mode_of(const char *p) {
        struct stat st;
        return stat(p, &st) == 0 ? st.st_mode & 07777 : 0;
}

/* The images hold ARM systems with setuid programs: CACHE/vm and CACHE/vm/images are made 0700
 * or, left 0755 by an older xbuild, tightened before anything else (a missing layer then fails
 * the image itself, before any mkfs). */
static void test_private_cache(void) {
        char root[] = "/tmp/xb-test-qemu-XXXXXX";
        _cleanup_(cache_freep) struct cache *c = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        _cleanup_free_ char *vm = NULL, *images = NULL, *path = NULL;
        char *lowers[] = {(char *) "/nonexistent/xbuild-layer", NULL};
        bool created = false;

        if (!mkdtemp(root) || cache_open(root, &c) < 0 || !(vm = path_join(root, "vm")) || !(images = path_join(vm, "images")))
                abort();
        tap_ok(vm_image_prepare(c, lowers, NULL, false, &path, &created, &e) < 0 && !path, "a missing layer: no image");
        tap_ok(mode_of(vm) == 0700 && mode_of(images) == 0700, "CACHE/vm and CACHE/vm/images are made 0700");
        if (chmod(vm, 0755) < 0 || chmod(images, 0755) < 0)
                abort();
        xb_detail_clear(&e);
        tap_ok(vm_image_prepare(c, lowers, NULL, false, &path, &created, &e) < 0 && mode_of(vm) == 0700 &&
                       mode_of(images) == 0700,
               "0755 ones are tightened");
        (void) rm_rf(root);
}

/* The initrd as the kernel reads it: a gzip'd newc cpio with init, busybox and the modules in
 * load order; a failure leaves no temporary file behind. */
static void test_initrd(void) {
        char dir[] = "/tmp/xb-test-initrd-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        _cleanup_free_ char *img = path_join(dir, "initrd.img"), *ko = path_join(dir, "virtio_blk.ko"),
                            *bad = path_join(dir, "notamodule.txt");
        struct xb_detail e = {0};
        if (!img || !ko || !bad || write_file_text(ko, "fake module") < 0 || write_file_text(bad, "x") < 0)
                abort();
        char *mods[] = {ko, NULL};
        int r = initrd_write(img, "/bin/true", mods, &e);
        struct archive *a = archive_read_new();
        struct archive_entry *ent;
        _cleanup_strv_free_ char **names = NULL;
        (void) archive_read_support_filter_all(a);
        (void) archive_read_support_format_all(a);
        if (r >= 0 && archive_read_open_filename(a, img, 65536) == ARCHIVE_OK)
                while (archive_read_next_header(a, &ent) == ARCHIVE_OK)
                        (void) strv_extend(&names, archive_entry_pathname(ent));
        archive_read_free(a);
        tap_ok(r >= 0 && strv_contains(names, "init") && strv_contains(names, "bin/busybox") &&
                       strv_contains(names, "dev/console") && strv_contains(names, "lib/modules/01-virtio_blk.ko") &&
                       strv_contains(names, "lib/modules/order"),
               "initrd: init, busybox, console and the modules in order");
        _cleanup_free_ char *img2 = path_join(dir, "bad.img");
        char *badmods[] = {bad, NULL};
        r = initrd_write(img2, "/bin/true", badmods, &e);
        _cleanup_free_ char *tmpname = NULL;
        tap_ok(r == -EINVAL && e.msg && strstr(e.msg, "not a kernel module") && access(img2, F_OK) < 0 &&
                       asprintf(&tmpname, "%s.tmp-%d", img2, (int) getpid()) > 0 && access(tmpname, F_OK) < 0,
               "initrd: a bad module fails, no image and no temporary file left");
        xb_detail_clear(&e);
        (void) rm_rf(dir);
}

int main(void) {
        test_initrd();
        test_show_depends();
        test_apt();
        test_console();
        test_sizes();
        test_argv();
        test_private_cache();
        return tap_done();
}
