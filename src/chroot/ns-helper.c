/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/macro.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "ns-helper.h"

#define MAX_LOWERS 8
#define MAX_BINDS 16
#define MAX_SYMLINKS 8

struct bind {
        const char *src, *dst;
        bool ro;
        bool file; /* a single file (--bind-file), always read-only */
};

struct spec {
        const char *lowers[MAX_LOWERS];
        int n_lowers;
        const char *upper, *work, *merged;
        struct bind binds[MAX_BINDS];
        int n_binds;
        struct {
                const char *target, *path;
        } symlinks[MAX_SYMLINKS]; /* created in the root after the binds (its upper layer) */
        int n_symlinks;
        const char *cwd;
        const char *hostname;
        char **env;
        bool private_mounts_only;
        bool host_tree; /* mount the overlay at --merged, then run on the host's tree */
        bool sandbox;   /* a root of nothing but a tmpfs and the binds, no network (smoke runs) */
        const char *sysroot[MAX_LOWERS]; /* sandbox: layers of /xbuild/sysroot, topmost first */
        int n_sysroot;
        char **argv;
};

/* Errors here go straight to stderr, which is the step log: this process is the session. */
#define FAIL(...)                                                                                  \
        ({                                                                                         \
                fprintf(stderr, "xbuild session: " __VA_ARGS__);                                   \
                fputc('\n', stderr);                                                               \
                -1;                                                                                \
        })

static int parse(int argc, char **argv, struct spec *s) {
        int i;
        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (streq(a, "--")) {
                        i++;
                        break;
                }
                bool has1 = i + 1 < argc;
                if (streq(a, "--private-mounts"))
                        s->private_mounts_only = true;
                else if (streq(a, "--host-tree"))
                        s->host_tree = true;
                else if (streq(a, "--sandbox"))
                        s->sandbox = true;
                else if (streq(a, "--sysroot-layer") && has1 && s->n_sysroot < MAX_LOWERS)
                        s->sysroot[s->n_sysroot++] = argv[++i];
                else if (streq(a, "--bind-file") && i + 2 < argc && s->n_binds < MAX_BINDS) {
                        s->binds[s->n_binds++] = (struct bind){argv[i + 1], argv[i + 2], true, true};
                        i += 2;
                }
                else if (streq(a, "--lower") && has1 && s->n_lowers < MAX_LOWERS)
                        s->lowers[s->n_lowers++] = argv[++i];
                else if (streq(a, "--upper") && has1)
                        s->upper = argv[++i];
                else if (streq(a, "--work") && has1)
                        s->work = argv[++i];
                else if (streq(a, "--merged") && has1)
                        s->merged = argv[++i];
                else if (streq(a, "--cwd") && has1)
                        s->cwd = argv[++i];
                else if (streq(a, "--hostname") && has1)
                        s->hostname = argv[++i];
                else if (streq(a, "--env") && has1) {
                        if (strv_extend(&s->env, argv[++i]) < 0)
                                return -ENOMEM;
                } else if (streq(a, "--symlink") && i + 2 < argc && s->n_symlinks < MAX_SYMLINKS) {
                        s->symlinks[s->n_symlinks].target = argv[i + 1];
                        s->symlinks[s->n_symlinks++].path = argv[i + 2];
                        i += 2;
                } else if (streq(a, "--bind") && i + 3 < argc && s->n_binds < MAX_BINDS) {
                        s->binds[s->n_binds++] = (struct bind){argv[i + 1], argv[i + 2], streq(argv[i + 3], "ro"), false};
                        i += 3;
                } else
                        return FAIL("bad argument '%s'", a);
        }
        if (i >= argc)
                return FAIL("no command");
        s->argv = argv + i;
        if (!s->private_mounts_only && !s->sandbox && (!s->merged || !s->upper || !s->work || s->n_lowers == 0))
                return FAIL("a session needs --merged, --upper, --work and at least one --lower");
        return 0;
}

static int openat2_in_root(int rootfd, const char *path, int flags, unsigned long long resolve) {
        struct open_how how = {.flags = (unsigned long long) (flags | O_CLOEXEC),
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve};
        while (*path == '/')
                path++;
        return (int) syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
}

/* mkdir -p inside the root; returns an O_PATH fd of the directory. */
static int mkdir_in_root(int rootfd, const char *path, mode_t mode) {
        char buf[4096];
        (void) snprintf(buf, sizeof buf, "%s", path);
        for (char *p = buf + 1; ; p++) {
                bool end = *p == 0;
                if (*p != '/' && !end)
                        continue;
                char save = *p;
                *p = 0;
                int fd = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
                if (fd < 0) {
                        if (errno != ENOENT)
                                return -errno;
                        char *slash = strrchr(buf, '/');
                        _cleanup_close_ int parent = -EBADF;
                        if (slash && slash != buf) {
                                *slash = 0;
                                parent = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
                                *slash = '/';
                        } else
                                parent = openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
                        if (parent < 0)
                                return -errno;
                        if (mkdirat(parent, slash ? slash + 1 : buf, mode) < 0 && errno != EEXIST)
                                return -errno;
                        fd = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
                        if (fd < 0)
                                return -errno;
                }
                *p = save;
                if (end)
                        return fd;
                close(fd);
        }
}

/* A directory for a mount point: a symlink or file there is replaced (in the overlay's upper
 * layer, never in a lower one) so nothing is ever mounted through it. */
static int mountpoint_in_root(int rootfd, const char *name, char fdpath[64]) {
        struct stat st;
        int fd;

        if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
                if (unlinkat(rootfd, name, 0) < 0)
                        return -errno;
        fd = mkdir_in_root(rootfd, name, 0755);
        if (fd < 0)
                return fd;
        (void) snprintf(fdpath, 64, "/proc/self/fd/%d", fd);
        return fd;
}

static int mount_at(int rootfd, const char *name, const char *src, const char *type, unsigned long flags,
                    const char *data) {
        char fdpath[64];
        _cleanup_close_ int fd = mountpoint_in_root(rootfd, name, fdpath);
        if (fd < 0)
                return FAIL("cannot make /%s a mount point: %s", name, strerror(-fd));
        if (mount(src, fdpath, type, flags, data) < 0)
                return FAIL("cannot mount %s on /%s: %s", type ? type : src, name, strerror(errno));
        return 0;
}

static int setup_dev(int rootfd) {
        static const struct {
                const char *name;
                unsigned maj, min;
        } nodes[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
        _cleanup_close_ int dev = -EBADF;

        if (mount_at(rootfd, "dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=1m") < 0)
                return -1;
        dev = openat2_in_root(rootfd, "dev", O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
        if (dev < 0)
                return FAIL("cannot open /dev: %s", strerror(errno));
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++)
                if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
                        return FAIL("cannot create /dev/%s: %s", nodes[i].name, strerror(errno));
        if (symlinkat("/proc/self/fd", dev, "fd") < 0 || symlinkat("/proc/self/fd/0", dev, "stdin") < 0 ||
            symlinkat("/proc/self/fd/1", dev, "stdout") < 0 || symlinkat("/proc/self/fd/2", dev, "stderr") < 0 ||
            symlinkat("pts/ptmx", dev, "ptmx") < 0)
                return FAIL("cannot create /dev links: %s", strerror(errno));
        if (mount_at(rootfd, "dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0 ||
            mount_at(rootfd, "dev/shm", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                return -1;
        return 0;
}

static int copy_resolv_conf(int rootfd) {
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int etc = -EBADF, fd = -EBADF;
        size_t n = 0;

        if (read_full_file("/etc/resolv.conf", 1 << 16, &data, &n) < 0)
                return 0; /* the host has none: nothing to copy */
        etc = openat2_in_root(rootfd, "etc", O_PATH | O_DIRECTORY, 0);
        if (etc < 0)
                return 0;
        (void) unlinkat(etc, "resolv.conf", 0); /* often a symlink into /run */
        fd = openat(etc, "resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || write_all(fd, data, n) < 0)
                return FAIL("cannot write /etc/resolv.conf: %s", strerror(errno));
        return 0;
}

/* Overlay options escape ',' ':' and '\' in paths with a backslash. */
static void append_escaped(char *buf, size_t size, const char *path) {
        size_t o = strlen(buf);
        for (const char *p = path; *p && o + 2 < size; p++) {
                if (*p == ',' || *p == ':' || *p == '\\')
                        buf[o++] = '\\';
                buf[o++] = *p;
        }
        buf[o] = 0;
}

static int mount_overlay(const struct spec *s) {
        char opts[16384] = "lowerdir=";

        /* Lower layers are never written: every change lands in the session's upper layer. */
        {
                for (int i = 0; i < s->n_lowers; i++) {
                        if (i)
                                strncat(opts, ":", sizeof opts - strlen(opts) - 1);
                        append_escaped(opts, sizeof opts, s->lowers[i]);
                }
                strncat(opts, ",upperdir=", sizeof opts - strlen(opts) - 1);
                append_escaped(opts, sizeof opts, s->upper);
                strncat(opts, ",workdir=", sizeof opts - strlen(opts) - 1);
                append_escaped(opts, sizeof opts, s->work);
                if (mount("overlay", s->merged, "overlay", 0, opts) < 0)
                        return FAIL("cannot mount the overlay on %s: %s", s->merged, strerror(errno));
        }
        return 0;
}

/* Read-only for the whole tree of mounts at fdpath (mount_setattr: submounts too); kernels
 * without it get the top mount remounted read-only. */
static int make_readonly(const char *fdpath) {
#ifdef SYS_mount_setattr
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, AT_FDCWD, fdpath, AT_RECURSIVE, &attr, sizeof attr) == 0)
                return 0;
        if (errno != ENOSYS)
                return -1;
#endif
        return mount(NULL, fdpath, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
}

/* A symlink at path in the root (its parents made): it lands in the session's upper layer.
 * Something already there is left alone when it is that very symlink, else refused. */
static int symlink_in_root(int rootfd, const char *target, const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        char have[4096];
        if (!slash || slash[1] == 0)
                return FAIL("bad symlink path %s", path);
        *slash = 0;
        _cleanup_close_ int d = mkdir_in_root(rootfd, *dir ? dir : "/", 0755);
        if (d < 0)
                return FAIL("cannot create %s in the root: %s", *dir ? dir : "/", strerror(-d));
        if (symlinkat(target, d, slash + 1) == 0)
                return 0;
        ssize_t n = errno == EEXIST ? readlinkat(d, slash + 1, have, sizeof have - 1) : -1;
        if (n >= 0 && (have[n] = 0, streq(have, target)))
                return 0;
        return FAIL("cannot create the symlink %s in the root: %s", path, errno == EINVAL ? "something else is there" : strerror(errno));
}

static int setup_root(const struct spec *s) {
        _cleanup_close_ int rootfd = -EBADF;

        if (mount_overlay(s) < 0)
                return -1;

        rootfd = open(s->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return FAIL("cannot open %s: %s", s->merged, strerror(errno));
        if (mount_at(rootfd, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
            mount_at(rootfd, "sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0 ||
            setup_dev(rootfd) < 0 ||
            mount_at(rootfd, "tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0 ||
            copy_resolv_conf(rootfd) < 0)
                return -1;
        for (int i = 0; i < s->n_binds; i++) {
                char fdpath[64];
                _cleanup_close_ int fd = mkdir_in_root(rootfd, s->binds[i].dst, 0755);
                if (fd < 0)
                        return FAIL("cannot create %s in the root: %s", s->binds[i].dst, strerror(-fd));
                (void) snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
                if (mount(s->binds[i].src, fdpath, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return FAIL("cannot bind %s to %s: %s", s->binds[i].src, s->binds[i].dst, strerror(errno));
                if (s->binds[i].ro) {
                        /* The fd still names the directory under the new mount: look again. */
                        _cleanup_close_ int mfd = openat2_in_root(rootfd, s->binds[i].dst, O_PATH | O_DIRECTORY, 0);
                        (void) snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", mfd);
                        if (mfd < 0 || make_readonly(fdpath) < 0)
                                return FAIL("cannot make %s read-only: %s", s->binds[i].dst, strerror(errno));
                }
        }
        for (int i = 0; i < s->n_symlinks; i++)
                if (symlink_in_root(rootfd, s->symlinks[i].target, s->symlinks[i].path) < 0)
                        return -1;
        /* pivot_root, not chroot: no way back to the host's tree from inside. */
        if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
            chdir("/") < 0)
                return FAIL("cannot enter the root: %s", strerror(errno));
        return 0;
}

/* A read-only remount of a bind keeps the flags the kernel locked on the source mount (in a
 * user namespace, dropping nosuid or nodev is refused). */
static unsigned long locked_flags(const char *fdpath) {
        struct statvfs sv;
        unsigned long f = 0;
        if (statvfs(fdpath, &sv) < 0)
                return 0;
        f |= sv.f_flag & ST_NOSUID ? MS_NOSUID : 0;
        f |= sv.f_flag & ST_NODEV ? MS_NODEV : 0;
        f |= sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0;
        f |= sv.f_flag & ST_NOATIME ? MS_NOATIME : 0;
        f |= sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0;
        f |= sv.f_flag & ST_RELATIME ? MS_RELATIME : 0;
        return f;
}

/* Binds src (an O_PATH fd opened before the root hid the host) onto dst in the root,
 * read-only when asked; a file onto an empty file made for it. */
static int bind_into(int rootfd, int srcfd, const struct bind *b) {
        char src[64], dst[64];
        _cleanup_close_ int fd = -EBADF;

        if (b->file) {
                _cleanup_free_ char *dir = strdup(b->dst);
                char *slash = dir ? strrchr(dir, '/') : NULL;
                if (!dir)
                        return FAIL("out of memory");
                if (slash && slash != dir) {
                        *slash = 0;
                        _cleanup_close_ int d = mkdir_in_root(rootfd, dir, 0755);
                        if (d < 0)
                                return FAIL("cannot create %s in the root: %s", dir, strerror(-d));
                }
                _cleanup_close_ int f = openat2_in_root(rootfd, b->dst, O_WRONLY | O_CREAT | O_EXCL, RESOLVE_NO_SYMLINKS);
                if (f < 0)
                        return FAIL("cannot create %s in the root: %s", b->dst, strerror(errno));
                fd = openat2_in_root(rootfd, b->dst, O_PATH, RESOLVE_NO_SYMLINKS);
        } else
                fd = mkdir_in_root(rootfd, b->dst, 0755);
        if (fd < 0)
                return FAIL("cannot create %s in the root: %s", b->dst, strerror(fd == -1 ? errno : -fd));
        (void) snprintf(src, sizeof src, "/proc/self/fd/%d", srcfd);
        (void) snprintf(dst, sizeof dst, "/proc/self/fd/%d", fd);
        if (mount(src, dst, NULL, MS_BIND | (b->file ? 0 : MS_REC), NULL) < 0)
                return FAIL("cannot bind %s to %s: %s", b->src, b->dst, strerror(errno));
        if (b->ro) {
                _cleanup_close_ int mfd = openat2_in_root(rootfd, b->dst, O_PATH, RESOLVE_NO_SYMLINKS);
                (void) snprintf(dst, sizeof dst, "/proc/self/fd/%d", mfd);
                if (mfd < 0 || mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(dst), NULL) < 0)
                        return FAIL("cannot make %s read-only: %s", b->dst, strerror(errno));
        }
        return 0;
}

/* /xbuild/sysroot: one layer bound read-only, several as an overlay without an upper layer
 * (read-only by construction), from fds opened before the host was hidden. */
static int mount_sysroot(int rootfd, const struct spec *s, const int *layerfd) {
        char opts[4096] = "lowerdir=", fdpath[64];

        if (s->n_sysroot == 1)
                return bind_into(rootfd, layerfd[0], &(struct bind){.src = s->sysroot[0], .dst = "/xbuild/sysroot", .ro = true});
        for (int i = 0; i < s->n_sysroot; i++) {
                char one[32];
                (void) snprintf(one, sizeof one, "%s/proc/self/fd/%d", i ? ":" : "", layerfd[i]);
                strncat(opts, one, sizeof opts - strlen(opts) - 1);
        }
        _cleanup_close_ int fd = mountpoint_in_root(rootfd, "xbuild/sysroot", fdpath);
        if (fd < 0)
                return FAIL("cannot make /xbuild/sysroot: %s", strerror(-fd));
        if (mount("overlay", fdpath, "overlay", MS_RDONLY, opts) < 0)
                return FAIL("cannot mount the sysroot's layers: %s", strerror(errno));
        return 0;
}

/* The smoke-run root: a tmpfs holding a fresh proc, the host's null, zero, full, random,
 * urandom and tty nodes bound one by one (mknod is refused in a user namespace, and the rest
 * of the host's /dev stays out), a tmpfs /tmp, and the binds. Sources are opened before the
 * tmpfs goes over /tmp, so any host path can be one. */
static int setup_sandbox_root(const struct spec *s) {
        static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
        int srcfd[MAX_BINDS], nodefd[ELEMENTSOF(nodes)], layerfd[MAX_LOWERS];
        _cleanup_close_ int rootfd = -EBADF;
        int r = -1;

        for (int i = 0; i < s->n_binds; i++)
                srcfd[i] = -EBADF;
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++)
                nodefd[i] = -EBADF;
        for (int i = 0; i < s->n_sysroot; i++)
                layerfd[i] = -EBADF;
        for (int i = 0; i < s->n_sysroot; i++)
                if ((layerfd[i] = open(s->sysroot[i], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
                        FAIL("cannot open the sysroot layer %s: %s", s->sysroot[i], strerror(errno));
                        goto finish;
                }
        for (int i = 0; i < s->n_binds; i++)
                if ((srcfd[i] = open(s->binds[i].src, O_PATH | O_CLOEXEC)) < 0) {
                        FAIL("cannot open %s: %s", s->binds[i].src, strerror(errno));
                        goto finish;
                }
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                char path[32];
                (void) snprintf(path, sizeof path, "/dev/%s", nodes[i]);
                nodefd[i] = open(path, O_PATH | O_CLOEXEC);
        }
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64m") < 0) {
                FAIL("cannot mount the sandbox's tmpfs: %s", strerror(errno));
                goto finish;
        }
        rootfd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                FAIL("cannot open the sandbox's root: %s", strerror(errno));
                goto finish;
        }
        if (mount_at(rootfd, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
            mount_at(rootfd, "tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0)
                goto finish;
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                char dst[32];
                (void) snprintf(dst, sizeof dst, "/dev/%s", nodes[i]);
                if (nodefd[i] >= 0 && bind_into(rootfd, nodefd[i], &(struct bind){.src = dst, .dst = dst, .file = true}) < 0)
                        goto finish;
        }
        for (int i = 0; i < s->n_binds; i++)
                if (bind_into(rootfd, srcfd[i], &s->binds[i]) < 0)
                        goto finish;
        if (s->n_sysroot > 0 && mount_sysroot(rootfd, s, layerfd) < 0)
                goto finish;
        if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
                FAIL("cannot enter the sandbox: %s", strerror(errno));
                goto finish;
        }
        r = 0;
finish:
        for (int i = 0; i < s->n_binds; i++)
                if (srcfd[i] >= 0)
                        close(srcfd[i]);
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++)
                if (nodefd[i] >= 0)
                        close(nodefd[i]);
        for (int i = 0; i < s->n_sysroot; i++)
                if (layerfd[i] >= 0)
                        close(layerfd[i]);
        return r;
}

/* Not root: a user namespace in which this user is root, so the namespaces and mounts of
 * a sandbox need no privilege; the files it sees keep their owners. */
static int map_user(uid_t uid, gid_t gid) {
        char map[64];
        int n;
        if (write_file_text("/proc/self/setgroups", "deny") < 0)
                return -1;
        n = snprintf(map, sizeof map, "0 %u 1\n", (unsigned) uid);
        if (n < 0 || write_file_text("/proc/self/uid_map", map) < 0)
                return -1;
        n = snprintf(map, sizeof map, "0 %u 1\n", (unsigned) gid);
        if (n < 0 || write_file_text("/proc/self/gid_map", map) < 0)
                return -1;
        return 0;
}

static volatile sig_atomic_t forward_to = 0;

/* SIGTERM and SIGHUP are passed down (xbuild stopping, or its death through PDEATHSIG); what
 * does not end within 5 s is killed: SIGKILL of PID 1 takes the whole namespace. SIGINT is
 * ignored here: from a terminal it reaches the command directly (same process group), and
 * builds run in a group of their own where xbuild turns it into SIGTERM. */
static void forward(int sig) {
        if (forward_to > 0) {
                (void) kill(forward_to, sig);
                (void) alarm(5);
        }
}

static void force_kill(int sig) {
        (void) sig;
        if (forward_to > 0)
                (void) kill(forward_to, SIGKILL);
}

static void install_forwarding(void) {
        struct sigaction sa = {.sa_handler = forward};
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
        sa.sa_handler = force_kill;
        (void) sigaction(SIGALRM, &sa, NULL);
        (void) signal(SIGINT, SIG_IGN);
}

/* Runs argv and reaps every orphan until it is done; returns its exit status code. */
static int run_as_init(const struct spec *s) {
        char *const *env = s->env ? s->env : (char *[]){NULL};
        _cleanup_free_ char *path = spawn_find_program(s->argv[0], strv_env_get(env, "PATH") ?: "/usr/sbin:/usr/bin:/sbin:/bin");
        pid_t child;
        int status = 0;

        if (!path)
                return FAIL("%s: not found in the root", s->argv[0]), 127;
        child = fork();
        if (child < 0)
                return FAIL("fork: %s", strerror(errno)), 125;
        if (child == 0) {
                signal(SIGINT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                signal(SIGALRM, SIG_DFL);
                if (s->cwd && chdir(s->cwd) < 0) {
                        FAIL("cannot enter %s: %s", s->cwd, strerror(errno));
                        _exit(125);
                }
                execve(path, s->argv, (char **) env);
                FAIL("cannot run %s: %s", s->argv[0], strerror(errno));
                _exit(127);
        }
        forward_to = child;
        for (;;) {
                int st;
                pid_t p = wait(&st);
                if (p < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p == child) {
                        status = st;
                        break;
                }
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

static bool in_helper = false;

/* LeakSanitizer's own hook (sanitizer builds only; unused otherwise): its exit-time check
 * stops the world with ptrace, which cannot work across the namespaces this process made. The
 * helper's allocations die with it a moment later anyway. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void) {
        return in_helper;
}

int ns_helper_main(int argc, char **argv) {
        struct spec s = {0};

        in_helper = true;
        pid_t init;
        int status;

        if (parse(argc, argv, &s) < 0)
                return 125;
        unsigned long ns = CLONE_NEWNS | (s.private_mounts_only || s.host_tree ? 0 : CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC);
        uid_t uid = geteuid();
        gid_t gid = getegid();
        if (s.sandbox)
                ns |= CLONE_NEWNET | (uid != 0 ? CLONE_NEWUSER : 0);
        if (unshare((int) ns) < 0)
                return FAIL("cannot create namespaces: %s", strerror(errno)), 125;
        if ((ns & CLONE_NEWUSER) && map_user(uid, gid) < 0)
                return FAIL("cannot map this user into its namespace: %s", strerror(errno)), 125;
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return FAIL("cannot make mounts private: %s", strerror(errno)), 125;
        if (s.host_tree) {
                /* A cross build: the ARM tree is a sysroot at --merged, visible to this command
                 * only; the command runs on the host's own tree. */
                if (mount_overlay(&s) < 0)
                        return 125;
                char *const *env = s.env ? s.env : (char *[]){NULL};
                _cleanup_free_ char *path = spawn_find_program(s.argv[0], strv_env_get(env, "PATH"));
                if (!path)
                        return FAIL("%s: not found", s.argv[0]), 127;
                if (s.cwd && chdir(s.cwd) < 0)
                        return FAIL("cannot enter %s: %s", s.cwd, strerror(errno)), 125;
                execve(path, s.argv, (char **) env);
                return FAIL("cannot run %s: %s", s.argv[0], strerror(errno)), 127;
        }
        if (s.private_mounts_only) {
                _cleanup_free_ char *path = spawn_find_program(s.argv[0], NULL);
                if (!path)
                        return FAIL("%s: not found", s.argv[0]), 127;
                execv(path, s.argv);
                return FAIL("cannot run %s: %s", s.argv[0], strerror(errno)), 127;
        }

        install_forwarding();
        init = fork();
        if (init < 0)
                return FAIL("fork: %s", strerror(errno)), 125;
        if (init == 0) {
                /* PID 1 of the session: dies with us, and takes everything with it. */
                forward_to = 0; /* until the command runs */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        _exit(125);
                if (s.hostname)
                        (void) sethostname(s.hostname, strlen(s.hostname));
                if ((s.sandbox ? setup_sandbox_root(&s) : setup_root(&s)) < 0)
                        _exit(125);
                _exit(run_as_init(&s));
        }
        forward_to = init;
        while (waitpid(init, &status, 0) < 0)
                if (errno != EINTR)
                        return 125;
        strv_free(s.env);
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}
