/* SPDX-License-Identifier: MIT */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/cleanup.h"
#include "core/atomic-file.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/strv.h"
#include "fetch/cache.h"
#include "initrd.h"

/* Root disk, job share and entropy (a build that reads /dev/random must not stall). */
const char *const initrd_wanted_modules[] = {
        "virtio_mmio", "virtio_pci", "virtio_blk", "virtio_net", "virtio_console", "virtio-rng",
        "crc32c_generic", "ext4", "9pnet_virtio", "9p", NULL,
};

bool initrd_module_excluded(const char *file_name) {
        return strneq(path_basename(file_name), "crc32-arm-ce.", STRLEN("crc32-arm-ce."));
}

int initrd_parse_show_depends(const char *text, char ***list) {
        const char *p = text;

        while (p && *p) {
                const char *eol = strchrnul(p, '\n');
                /* "insmod /lib/modules/KVER/kernel/fs/ext4/ext4.ko [options]" */
                if (strneq(p, "insmod ", STRLEN("insmod "))) {
                        const char *s = p + STRLEN("insmod ");
                        size_t n = strcspn(s, " \n");
                        _cleanup_free_ char *path = strndup(s, n);
                        if (!path)
                                return -ENOMEM;
                        if (n > 0 && !initrd_module_excluded(path) && !strv_contains(*list, path)) {
                                int r = strv_consume(list, TAKE_PTR(path));
                                if (r < 0)
                                        return r;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        return 0;
}

/* Runs from the initrd as PID 1 under busybox sh. Every failure ends in a marker and a power
 * off, never in a kernel panic the host would have to interpret. */
static const char init_script[] =
        "#!/bin/busybox sh\n"
        "# xbuild VM init: mount the root disk and the job share, run the steps, power off.\n"
        "/bin/busybox mkdir -p /proc /sys /dev /newroot /sbin /usr/bin /usr/sbin\n"
        "/bin/busybox --install -s\n"
        "export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
        "mount -t proc proc /proc\n"
        "mount -t sysfs sysfs /sys\n"
        "mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
        "nonce=none; root=/dev/vda; shell=0; net=0; mods=0; cgroup=v2; epoch=0\n"
        "for a in $(cat /proc/cmdline); do\n"
        "  case \"$a\" in\n"
        "    xbuild.nonce=*) nonce=${a#*=} ;;\n"
        "    xbuild.shell=1) shell=1 ;;\n"
        "    xbuild.root=*) root=${a#*=} ;;\n"
        "    xbuild.net=1) net=1 ;;\n"
        "    xbuild.modules=1) mods=1 ;;\n"
        "    xbuild.cgroup=*) cgroup=${a#*=} ;;\n"
        "    xbuild.epoch=*) epoch=${a#*=} ;;\n"
        "  esac\n"
        "done\n"
        "M=\"XBUILD-$nonce\"\n"
        "off() { sync; poweroff -f; echo o > /proc/sysrq-trigger; sleep 10; }\n"
        "fail() { echo \"$M init-error $*\"; off; }\n"
        /* A guest without a working RTC starts in 1970, which breaks TLS and make. */
        "[ \"$(date +%s)\" -ge \"$epoch\" ] 2>/dev/null || date -s \"@$epoch\" >/dev/null 2>&1\n"
        "while read -r m; do\n"
        "  insmod \"/lib/modules/$m\" 2>/dev/null || echo \"xbuild-init: cannot load $m\"\n"
        "done < /lib/modules/order\n"
        "i=0\n"
        "while [ ! -b \"$root\" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done\n"
        "[ -b \"$root\" ] || fail \"no root disk $root\"\n"
        "R=/newroot\n"
        "mount -t ext4 -o rw \"$root\" $R || fail \"cannot mount the root disk $root\"\n"
        /* debootstrap in a container leaves /proc -> /proc; the disk is a throw-away snapshot. */
        "for d in proc sys dev tmp run xbuild; do\n"
        "  [ -L $R/$d ] && rm -f $R/$d\n"
        "  mkdir -p $R/$d\n"
        "done\n"
        "mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none xbuild $R/xbuild ||\n"
        "  fail \"cannot mount the job share\"\n"
        "J=$R/xbuild/job\n"
        "[ -f $J/prologue.sh ] || fail \"no job on the share\"\n"
        "mount -t proc proc $R/proc\n"
        "mount -t sysfs sysfs $R/sys\n"
        /* v1 as cgroupfs-mount does it: one hierarchy per enabled controller. */
        "if [ \"$cgroup\" = v1 ]; then\n"
        "  mount -t tmpfs -o mode=755 cgroup $R/sys/fs/cgroup\n"
        "  for c in $(awk '!/^#/ { if ($4 == 1) print $1 }' /proc/cgroups); do\n"
        "    mkdir -p $R/sys/fs/cgroup/$c && mount -t cgroup -o $c cgroup $R/sys/fs/cgroup/$c ||\n"
        "      echo \"xbuild-init: cannot mount the $c cgroup\"\n"
        "  done\n"
        "else\n"
        "  mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null\n"
        "fi\n"
        /* The kernel's modules, read-only, where the guest's modprobe looks for them. */
        "if [ \"$mods\" = 1 ]; then\n"
        "  kv=$(uname -r)\n"
        "  mkdir -p $R/lib/modules/$kv &&\n"
        "    mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro modules $R/lib/modules/$kv ||\n"
        "    echo \"xbuild-init: cannot mount the kernel modules\"\n"
        "fi\n"
        "mount -t devtmpfs devtmpfs $R/dev\n"
        "mkdir -p $R/dev/pts $R/dev/shm\n"
        "mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts\n"
        "mount -t tmpfs tmpfs $R/dev/shm\n"
        "mount -t tmpfs -o mode=1777 tmpfs $R/tmp\n"
        "mount -t tmpfs -o mode=755 tmpfs $R/run\n"
        "hostname xbuild-vm\n"
        "ifconfig lo 127.0.0.1 up 2>/dev/null\n"
        /* QEMU's user network: fixed addresses, so no DHCP client is needed. */
        "if [ \"$net\" = 1 ]; then\n"
        "  ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && route add default gw 10.0.2.2 ||\n"
        "    echo \"xbuild-init: cannot configure eth0\"\n"
        "  rm -f $R/etc/resolv.conf; echo 'nameserver 10.0.2.3' > $R/etc/resolv.conf\n"
        "fi\n"
        "echo \"$M job-start $(cut -d' ' -f1 /proc/uptime) $(uname -m)\"\n"
        "status=0\n"
        "if [ \"$shell\" = 1 ]; then\n"
        "  setsid cttyhack env -i /bin/busybox chroot $R /bin/sh -c '. /xbuild/job/prologue.sh; exec /bin/sh -i'\n"
        "  status=$?\n"
        "else\n"
        "  n=1\n"
        "  while s=$(printf %02d $n) && [ -f $R/xbuild/steps/step-$s.sh ]; do\n"
        "    echo \"$M step-start $n\"\n"
        "    env -i /bin/busybox chroot $R /bin/sh -c '. /xbuild/job/prologue.sh && exec /bin/sh -e \"$0\"' \\\n"
        "      /xbuild/steps/step-$s.sh </dev/null 2>&1\n"
        "    rc=$?\n"
        "    echo $rc > $J/status-$s\n"
        "    echo \"$M step-end $n $rc\"\n"
        "    [ $rc = 0 ] || { status=$rc; break; }\n"
        "    n=$((n + 1))\n"
        "  done\n"
        "fi\n"
        /* Whatever the steps left running must not write after the sync. */
        "kill -9 -1 2>/dev/null\n"
        "sleep 0.2\n"
        "echo $status > $J/status\n"
        "echo \"$M job-end $status\"\n"
        "sync\n"
        "umount $R/xbuild 2>/dev/null\n"
        "off\n";

const char *initrd_init_script(void) {
        return init_script;
}

/* The content of a module, decompressed when Debian ships it compressed (.ko.xz, .ko.zst). */
static int read_module(const char *path, char **ret, size_t *ret_size, struct xb_detail *err) {
        const char *base = path_basename(path);
        size_t n = strlen(base);

        if (n > 3 && streq(base + n - 3, ".ko"))
                return read_full_file(path, 64u << 20, ret, ret_size);

        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        _cleanup_free_ char *buf = NULL;
        struct archive_entry *e;
        size_t size = 0, cap = 0;

        if (!a)
                return -ENOMEM;
        (void) archive_read_support_filter_all(a);
        (void) archive_read_support_format_raw(a);
        if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK)
                return xb_detail_set(err, -XB_E_ARCHIVE, "%s: %s", path, archive_error_string(a));
        for (;;) {
                if (cap - size < 65536) {
                        char *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                la_ssize_t k = archive_read_data(a, buf + size, cap - size);
                if (k < 0)
                        return xb_detail_set(err, -XB_E_ARCHIVE, "%s: %s", path, archive_error_string(a));
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > (64u << 20))
                        return -XB_E_TOO_LARGE;
        }
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

static int add_entry(struct archive *a, const char *name, mode_t type, unsigned perm, const void *data, size_t size,
                     const char *link, unsigned dev_major, unsigned dev_minor) {
        struct archive_entry *e = archive_entry_new();
        int r = 0;

        if (!e)
                return -ENOMEM;
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, perm);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_mtime(e, 0, 0);
        archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
        archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t) size : 0);
        if (link)
                archive_entry_set_symlink(e, link);
        if (type == AE_IFCHR) {
                archive_entry_set_rdevmajor(e, dev_major);
                archive_entry_set_rdevminor(e, dev_minor);
        }
        if (archive_write_header(a, e) != ARCHIVE_OK)
                r = -XB_E_ARCHIVE;
        else if (type == AE_IFREG && size > 0 && archive_write_data(a, data, size) != (la_ssize_t) size)
                r = -XB_E_ARCHIVE;
        archive_entry_free(e);
        return r;
}

static int archive_failed(struct archive *a, int r, struct xb_detail *err) {
        return xb_detail_set(err, r, "cannot write the initrd: %s", archive_error_string(a));
}

int initrd_write(const char *path, const char *busybox_path, char *const *modules, struct xb_detail *err) {
        _cleanup_free_ char *busybox = NULL, *order = NULL;
        _cleanup_(unlink_and_freep) char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_(archive_write_freep) struct archive *a = NULL;
        _cleanup_fclose_ FILE *of = NULL;
        size_t busybox_size = 0, order_size = 0;
        int r;

        r = read_full_file(busybox_path, 16u << 20, &busybox, &busybox_size);
        if (r < 0)
                return xb_detail_set(err, r, "cannot read %s: %s", busybox_path, xb_strerror(r));
        if (asprintf(&tmp, "%s.tmp-%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        a = archive_write_new();
        if (!a)
                return -ENOMEM;
        if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK || archive_write_add_filter_gzip(a) != ARCHIVE_OK)
                return xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(a));
        /* No time in the gzip header: the same inputs make the same initrd. */
        (void) archive_write_set_options(a, "gzip:!timestamp");
        if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
                return xb_detail_set(err, -XB_E_ARCHIVE, "%s", archive_error_string(a));
        static const char *const dirs[] = {"bin", "dev", "lib", "lib/modules", "newroot", "proc", "sys"};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if ((r = add_entry(a, dirs[i], AE_IFDIR, 0755, NULL, 0, NULL, 0, 0)) < 0)
                        return archive_failed(a, r, err);
        /* The kernel opens /dev/console for init before anything is mounted. */
        if ((r = add_entry(a, "dev/console", AE_IFCHR, 0600, NULL, 0, NULL, 5, 1)) < 0 ||
            (r = add_entry(a, "bin/busybox", AE_IFREG, 0755, busybox, busybox_size, NULL, 0, 0)) < 0 ||
            (r = add_entry(a, "bin/sh", AE_IFLNK, 0777, NULL, 0, "busybox", 0, 0)) < 0 ||
            (r = add_entry(a, "init", AE_IFREG, 0755, init_script, strlen(init_script), NULL, 0, 0)) < 0)
                return archive_failed(a, r, err);

        of = open_memstream(&order, &order_size);
        if (!of)
                return -ENOMEM;
        size_t i = 0;
        STRV_FOREACH(m, modules) {
                _cleanup_free_ char *data = NULL, *name = NULL, *stem = NULL;
                size_t size = 0;
                const char *base = path_basename(*m);
                const char *ko = strstr(base, ".ko");

                if (!ko || !(stem = strndup(base, (size_t) (ko - base))))
                        return xb_detail_set(err, ko ? -ENOMEM : -EINVAL, "not a kernel module: %s", *m);
                /* A no-op when read_module said why already: the first message wins. */
                if ((r = read_module(*m, &data, &size, err)) < 0)
                        return xb_detail_set(err, r, "cannot read %s: %s", *m, xb_strerror(r));
                if (asprintf(&name, "%02zu-%s.ko", ++i, stem) < 0)
                        return -ENOMEM;
                _cleanup_free_ char *entry = path_join("lib/modules", name);
                if (!entry)
                        return -ENOMEM;
                if ((r = add_entry(a, entry, AE_IFREG, 0644, data, size, NULL, 0, 0)) < 0)
                        return archive_failed(a, r, err);
                fprintf(of, "%s\n", name);
        }
        r = fclose(TAKE_PTR(of));
        if (r != 0)
                return -ENOMEM;
        if ((r = add_entry(a, "lib/modules/order", AE_IFREG, 0644, order, order_size, NULL, 0, 0)) < 0)
                return archive_failed(a, r, err);
        if (archive_write_close(a) != ARCHIVE_OK)
                return archive_failed(a, -XB_E_ARCHIVE, err);
        if (fsync(fd) < 0 || rename(tmp, path) < 0)
                return -errno;
        free(TAKE_PTR(tmp)); /* renamed into place: nothing to remove */
        return fsync_parent(path);
}

/* The guest's view of the build environment, sourced by the rootfs's /bin/sh before each
 * step: values single-quoted, so they are data to the shell. */
int initrd_write_prologue(const char *path, char *const *env) {
        _cleanup_free_ char *text = NULL;
        size_t n;
        FILE *f = open_memstream(&text, &n);

        if (!f)
                return -ENOMEM;
        fputs("# xbuild job environment, sourced before each step\n", f);
        STRV_FOREACH(e, env) {
                const char *eq = strchr(*e, '=');
                if (!eq || eq == *e)
                        continue;
                fprintf(f, "export %.*s='", (int) (eq - *e), *e);
                for (const char *c = eq + 1; *c; c++) {
                        if (*c == '\'')
                                fputs("'\\''", f);
                        else
                                fputc(*c, f);
                }
                fputs("'\n", f);
        }
        fputs("cd /xbuild/src\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        return write_file_text(path, text);
}
