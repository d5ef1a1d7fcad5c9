/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/extract.h"
#include "core/atomic-file.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "fetch/fetch.h"
#include "initrd.h"
#include "kit.h"
#include "rootfs/apt-sources.h"

#define DEFAULT_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
#define MAX_APT_OUTPUT (4u << 20)

static const struct vm_arch vm_arches[_XB_ARCH_MAX] = {
        [XB_ARCH_ARMHF] = {"qemu-system-arm", "cortex-a15", "armhf", "linux-image-armmp-lpae", "armv7l"},
        /* armel userland runs on an ARMv7 kernel: Debian has no armel kernel for -M virt. */
        [XB_ARCH_ARMEL] = {"qemu-system-arm", "cortex-a15", "armhf", "linux-image-armmp-lpae", "armv7l"},
        [XB_ARCH_ARM64] = {"qemu-system-aarch64", "cortex-a57", "arm64", "linux-image-arm64", "aarch64"},
};

const struct vm_arch *vm_arch(enum xb_arch a) {
        return a >= 0 && a < _XB_ARCH_MAX ? &vm_arches[a] : NULL;
}

void vm_kit_clear(struct vm_kit *k) {
        free(k->dir);
        free(k->kernel);
        free(k->initrd);
        free(k->busybox);
        free(k->config);
        free(k->modules);
        free(k->kver);
        free(k->package);
        *k = (struct vm_kit){0};
}

int apt_parse_depends(const char *text, const char *prefix, char **ret) {
        for (const char *p = text; p && *p;) {
                const char *eol = strchrnul(p, '\n');
                const char *s = p + strspn(p, " \t|");
                if (strneq(s, "Depends: ", STRLEN("Depends: "))) {
                        s += STRLEN("Depends: ");
                        size_t n = strcspn(s, " \t\n");
                        if (strneq(s, prefix, strlen(prefix)) && n > strlen(prefix)) {
                                *ret = strndup(s, n);
                                return *ret ? 0 : -ENOMEM;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        return -ENOENT;
}

int apt_parse_print_uris(const char *text, const char *package, char **ret_url, char **ret_sha256, char **ret_file) {
        size_t plen = strlen(package);

        for (const char *p = text; p && *p;) {
                const char *eol = strchrnul(p, '\n');
                if (*p == '\'') {
                        const char *url = p + 1, *q = memchr(url, '\'', (size_t) (eol - url));
                        if (q && q[1] == ' ' && strneq(q + 2, package, plen) && q[2 + plen] == '_') {
                                const char *h = strstr(q, " SHA256:");
                                if (!h || h > eol)
                                        return -EBADMSG;
                                h += STRLEN(" SHA256:");
                                size_t n = strspn(h, "0123456789abcdef");
                                if (n != SHA256_HEX_LEN)
                                        return -EBADMSG;
                                _cleanup_free_ char *u = strndup(url, (size_t) (q - url)), *d = strndup(h, n),
                                                    *f = strndup(q + 2, strcspn(q + 2, " \n"));
                                if (!u || !d || !f)
                                        return -ENOMEM;
                                if (ret_file)
                                        *ret_file = TAKE_PTR(f);
                                *ret_url = TAKE_PTR(u);
                                *ret_sha256 = TAKE_PTR(d);
                                return 0;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        return -ENOENT;
}

struct text_sink {
        FILE *f;
        size_t size;
};

static void collect_line(void *userdata, const char *line) {
        struct text_sink *t = userdata;
        size_t n = strlen(line) + 1;
        if (t->f && t->size + n <= MAX_APT_OUTPUT) {
                fprintf(t->f, "%s\n", line);
                t->size += n;
        }
}

/* Runs a host tool, its output appended to the log and returned whole in *ret_text (may be
 * NULL). A failure to start or a non-zero status is an error, said in err. */
static int run_tool(const struct vm_kit_req *req, char *const *argv, char *const *envp, unsigned timeout_s,
                    char **ret_text, struct xb_detail *err) {
        _cleanup_free_ char *text = NULL;
        size_t text_size = 0;
        struct text_sink sink = {.f = open_memstream(&text, &text_size)};
        struct spawn_req sr = {.argv = argv, .envp = envp, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                               .log_path = req->log_path, .echo = req->echo, .log_prefix = "  ",
                               .timeout_ms = timeout_s * 1000U, .flags = SPAWN_NEW_PGRP,
                               .on_line = collect_line, .userdata = &sink};
        struct spawn_result res = {0};
        char how[128];
        int r;

        if (!sink.f)
                return -ENOMEM;
        r = spawn_run(&sr, &res);
        if (fclose(sink.f) != 0)
                r = r < 0 ? r : -ENOMEM;
        if (r < 0)
                return xb_detail_set(err, r == -ENOENT ? -XB_E_NOT_AVAILABLE : r, "cannot run %s: %s", argv[0], xb_strerror(r));
        if (res.exit_code != 0 || res.signal || res.timed_out) {
                const char *last;
                int len;
                spawn_result_last_line(&res, &last, &len);
                (void) xb_detail_set(err, -XB_E_NOT_AVAILABLE, "%s %s: %.*s (log: %s)", argv[0],
                                     spawn_result_describe(&res, how, sizeof how), len, last, strempty(req->log_path));
                spawn_result_clear(&res);
                return -XB_E_NOT_AVAILABLE;
        }
        spawn_result_clear(&res);
        if (ret_text)
                *ret_text = TAKE_PTR(text);
        return 0;
}

/* A private apt: its own lists, status and sources; the host's keyring checks the index. */
static int apt_setup(const char *dir, const char *deb_arch, const char *mirror, const char *suite, char *const *components,
                     const char *keyring, char **ret_conf) {
        static const char *const subdirs[] = {"etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d",
                                              "etc/apt/trusted.gpg.d", "var/lib/apt/lists/partial",
                                              "var/cache/apt/archives/partial", "var/lib/dpkg"};
        _cleanup_free_ char *conf = NULL, *conf_text = NULL, *sources = NULL, *sources_text = NULL, *status = NULL,
                            *comps = NULL;
        size_t n;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
                _cleanup_free_ char *d = path_join(dir, subdirs[i]);
                if (!d)
                        return -ENOMEM;
                if ((r = mkdir_p(d, 0755)) < 0)
                        return r;
        }
        FILE *f = open_memstream(&comps, &n);
        if (!f)
                return -ENOMEM;
        if (!components || !components[0])
                fputs(" main", f);
        STRV_FOREACH(c, components)
                fprintf(f, " %s", *c);
        if (fclose(f) != 0)
                return -ENOMEM;
        if (!(status = path_join(dir, "var/lib/dpkg/status")) || !(conf = path_join(dir, "apt.conf")) ||
            !(sources = path_join(dir, "etc/apt/sources.list")))
                return -ENOMEM;
        if (!path_exists(status) && (r = write_file_text(status, "")) < 0)
                return r;
        if (asprintf(&conf_text,
                     "Dir \"%s/\";\n"
                     "Dir::State \"var/lib/apt/\";\n"
                     "Dir::State::status \"%s\";\n"
                     "Dir::Cache \"var/cache/apt/\";\n"
                     "Dir::Etc \"etc/apt/\";\n"
                     "APT::Architecture \"%s\";\n"
                     "APT::Architectures { \"%s\"; };\n"
                     "Acquire::Languages \"none\";\n"
                     "APT::Sandbox::User \"root\";\n",
                     dir, status, deb_arch, deb_arch) < 0 ||
            asprintf(&sources_text, "deb [signed-by=%s] %s %s%s\n", keyring, mirror, suite, comps) < 0)
                return -ENOMEM;
        if ((r = write_file_text(conf, conf_text)) < 0 || (r = write_file_text(sources, sources_text)) < 0)
                return r;
        *ret_conf = TAKE_PTR(conf);
        return 0;
}

/* The one directory below DIR/lib/modules: the kernel's release. */
static int find_kver(const char *tree, char **ret) {
        _cleanup_free_ char *mods = path_join(tree, "lib/modules"), *found = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (!mods)
                return -ENOMEM;
        if (!(d = opendir(mods)))
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                free(found);
                if (!(found = strdup(de->d_name)))
                        return -ENOMEM;
        }
        if (!found)
                return -ENOENT;
        *ret = TAKE_PTR(found);
        return 0;
}

static int fetch_package(const struct vm_kit_req *req, const char *uris, const char *package, char **ret_path,
                         char **ret_file, struct xb_detail *err) {
        _cleanup_free_ char *url = NULL, *sha = NULL, *file = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail fe = {0};
        struct fetch_result fr = {0};
        int r = apt_parse_print_uris(uris, package, &url, &sha, &file);

        if (r < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "apt gave no %s for package %s",
                                     r == -EBADMSG ? "SHA256" : "download", package);
        struct fetch_req fq = {.url = url, .sha256 = sha, .http = req->http};
        log_debug("Fetching %s (sha256 %s)", url, sha);
        r = fetch_to_cache(req->cache, &fq, &fr, &fe);
        if (r < 0) {
                fetch_result_clear(&fr);
                return xb_detail_set(err, r, "cannot download %s: %s%s%s", url, xb_strerror(r), fe.msg ? ": " : "",
                                     strempty(fe.msg));
        }
        *ret_path = TAKE_PTR(fr.path);
        if (ret_file)
                *ret_file = TAKE_PTR(file);
        fetch_result_clear(&fr);
        return 0;
}

static int kit_load(const char *dir, struct vm_kit *ret) {
        struct vm_kit k = {0};
        int r;

        if (!(k.dir = strdup(dir)) || !(k.kernel = path_join(dir, "vmlinuz")) || !(k.initrd = path_join(dir, "initrd.img")) ||
            !(k.busybox = path_join(dir, "busybox")) || !(k.config = path_join(dir, "config")) ||
            !(k.modules = path_join(dir, "modules"))) {
                vm_kit_clear(&k);
                return -ENOMEM;
        }
        _cleanup_free_ char *kv = path_join(dir, "kver"), *pk = path_join(dir, "package");
        if (!kv || !pk || (r = read_full_file(kv, 4096, &k.kver, NULL)) < 0 || (r = read_full_file(pk, 4096, &k.package, NULL)) < 0) {
                vm_kit_clear(&k);
                return kv && pk ? r : -ENOMEM;
        }
        k.kver[strcspn(k.kver, "\n")] = 0;
        k.package[strcspn(k.package, "\n")] = 0;
        *ret = k;
        return 0;
}

static int build_kit(const struct vm_kit_req *req, const struct vm_arch *va, const char *mirror, const char *suite,
                     const char *keyring, const char *partial, struct xb_detail *err) {
        _cleanup_free_ char *aptdir = NULL, *aptname = NULL, *conf = NULL, *deps = NULL, *kpkg = NULL, *uris = NULL,
                            *kdeb = NULL, *kfile = NULL, *bdeb = NULL, *ktree = NULL, *btree = NULL, *kver = NULL;
        _cleanup_strv_free_ char **env = NULL, **modules = NULL;
        extern char **environ;
        struct extract_result er = {0};
        struct extract_opts eo = {0};
        _cleanup_(xb_detail_clear) struct xb_detail xe = {0};
        int r;

        if (asprintf(&aptname, "apt-%s-%s", va->deb_arch, suite) < 0 || !(aptdir = cache_sub(req->cache, "vm", aptname)))
                return -ENOMEM;
        if ((r = apt_setup(aptdir, va->deb_arch, mirror, suite, req->rf && req->rf->provider == ROOTFS_DEBOOTSTRAP ? req->rf->components : NULL,
                           keyring, &conf)) < 0)
                return xb_detail_set(err, r, "cannot set up apt in %s: %s", aptdir, xb_strerror(r));
        if (!(env = strv_copy(environ)) || (r = strv_env_set(&env, "APT_CONFIG", conf)) < 0 ||
            (r = strv_env_set(&env, "DEBIAN_FRONTEND", "noninteractive")) < 0)
                return -ENOMEM;

        log_info("Resolving the %s kernel and busybox-static from %s %s", va->deb_arch, mirror, suite);
        char *update[] = {(char *) "apt-get", (char *) "-q", (char *) "update", NULL};
        if ((r = run_tool(req, update, env, 600, NULL, err)) < 0)
                return r;
        char *depends[] = {(char *) "apt-cache", (char *) "depends", (char *) "--no-recommends", (char *) "--no-suggests",
                           (char *) va->kernel_meta, NULL};
        if ((r = run_tool(req, depends, env, 120, &deps, err)) < 0)
                return r;
        if (apt_parse_depends(deps, "linux-image-", &kpkg) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "%s in %s %s depends on no linux-image package", va->kernel_meta,
                                     mirror, suite);
        char *download[] = {(char *) "apt-get", (char *) "download", (char *) "--print-uris", kpkg, (char *) "busybox-static", NULL};
        if ((r = run_tool(req, download, env, 120, &uris, err)) < 0)
                return r;
        if ((r = fetch_package(req, uris, kpkg, &kdeb, &kfile, err)) < 0 ||
            (r = fetch_package(req, uris, "busybox-static", &bdeb, NULL, err)) < 0)
                return r;

        /* Kernel and modules, busybox: unpacked without running anything from them. */
        if (!(ktree = path_join(partial, "k")) || !(btree = path_join(partial, "bb")))
                return -ENOMEM;
        if ((r = archive_extract_deb(kdeb, ktree, &eo, &er, &xe)) < 0 ||
            (r = archive_extract_deb(bdeb, btree, &eo, &er, &xe)) < 0)
                return xb_detail_set(err, r, "cannot unpack %s: %s", er.entry[0] ? er.entry : "a package",
                                     xb_detail_text(&xe, r));
        if ((r = find_kver(ktree, &kver)) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "%s holds no lib/modules/VERSION", kpkg);
        /* Debian ships no modules.dep: the host's depmod makes it for the foreign tree, and
         * the host's modprobe resolves each wanted module's dependencies (softdeps too) in
         * load order, all without emulation. */
        char *depmod[] = {(char *) "depmod", (char *) "-b", ktree, kver, NULL};
        if ((r = run_tool(req, depmod, NULL, 300, NULL, err)) < 0)
                return r;
        for (const char *const *m = initrd_wanted_modules; *m; m++) {
                _cleanup_free_ char *out = NULL;
                char *show[] = {(char *) "modprobe", (char *) "-d", ktree, (char *) "-S", kver, (char *) "--show-depends",
                                (char *) *m, NULL};
                if ((r = run_tool(req, show, NULL, 60, &out, err)) < 0)
                        return r;
                if ((r = initrd_parse_show_depends(out, &modules)) < 0)
                        return r;
        }
        log_debug("Initrd modules: %zu", strv_length(modules));

        _cleanup_free_ char *busybox = path_join(btree, "bin/busybox"), *initrd = path_join(partial, "initrd.img"),
                            *bbdst = path_join(partial, "busybox"), *vmlinuz = NULL, *kdst = path_join(partial, "vmlinuz"),
                            *config = NULL, *cdst = path_join(partial, "config"), *kvf = path_join(partial, "kver"),
                            *pkf = path_join(partial, "package"), *kvtext = NULL, *pktext = NULL;
        if (!busybox || !initrd || !bbdst || !kdst || !cdst || !kvf || !pkf || asprintf(&vmlinuz, "%s/boot/vmlinuz-%s", ktree, kver) < 0 ||
            asprintf(&config, "%s/boot/config-%s", ktree, kver) < 0 || asprintf(&kvtext, "%s\n", kver) < 0 ||
            asprintf(&pktext, "%s\n", kfile) < 0)
                return -ENOMEM;
        if ((r = initrd_write(initrd, busybox, modules, err)) < 0)
                return r;
        if (rename(vmlinuz, kdst) < 0 || rename(busybox, bbdst) < 0) {
                r = -errno;
                return xb_detail_set(err, r, "%s has no kernel image boot/vmlinuz-%s: %s", kpkg, kver, xb_strerror(r));
        }
        (void) rename(config, cdst);
        if ((r = write_file_text(kvf, kvtext)) < 0 || (r = write_file_text(pkf, pktext)) < 0)
                return r;
        /* Every module stays (about 200 MB): the guest mounts them, so what an engine loads
         * with modprobe (overlay, bridge, netfilter) is there. 'build' and 'source' point at
         * headers this host does not have. */
        _cleanup_free_ char *mtree = NULL, *mdst = path_join(partial, "modules"), *mbuild = NULL, *msource = NULL;
        if (!mdst || asprintf(&mtree, "%s/lib/modules/%s", ktree, kver) < 0 || !(mbuild = path_join(mtree, "build")) ||
            !(msource = path_join(mtree, "source")))
                return -ENOMEM;
        (void) unlink(mbuild);
        (void) unlink(msource);
        if (rename(mtree, mdst) < 0) {
                r = -errno;
                return xb_detail_set(err, r, "cannot keep the modules of %s: %s", kpkg, xb_strerror(r));
        }
        if ((r = rm_rf(ktree)) < 0 || (r = rm_rf(btree)) < 0)
                return r;
        return 0;
}

int vm_kit_prepare(const struct vm_kit_req *req, struct vm_kit *ret, bool *ret_created, struct xb_detail *err) {
        const struct vm_arch *va = vm_arch(req->arch);
        const struct rootfs_def *rf = req->rf;
        bool debian = rf && rf->provider == ROOTFS_DEBOOTSTRAP;
        const char *suite = debian && rf->suite ? rf->suite : "bookworm";
        const char *keyring = debian && rf->keyring ? rf->keyring : DEFAULT_KEYRING;
        _cleanup_free_ char *mirror = NULL, *keyed = NULL, *name = NULL, *dir = NULL, *partial = NULL, *vm = NULL;
        _cleanup_close_ int lock = -EBADF;
        char hex[SHA256_HEX_LEN + 1];
        int r;

        if (!va)
                return -EINVAL;
        if (debian && rf->mirror)
                mirror = strdup(rf->mirror);
        else if (apt_sources_find_mirror("/etc/apt", suite, &mirror) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "no Debian mirror for '%s' in the host's apt sources (/etc/apt/sources.list*)", suite);
        if (!mirror)
                return -ENOMEM;
        /* The init and the module list are part of what a kit is: a new xbuild remakes it. */
        if (asprintf(&keyed, "kit-with-modules\n%s\n%s\n%s\n%s\n%s\n", va->deb_arch, suite, mirror, keyring, initrd_init_script()) < 0)
                return -ENOMEM;
        for (const char *const *m = initrd_wanted_modules; *m; m++) {
                char *k2 = NULL;
                if (asprintf(&k2, "%s%s\n", keyed, *m) < 0)
                        return -ENOMEM;
                free(keyed);
                keyed = k2;
        }
        if (sha256_string(keyed, hex) < 0 || asprintf(&name, "kit-%s-%s-%.12s", va->deb_arch, suite, hex) < 0 ||
            !(vm = cache_sub(req->cache, "vm", NULL)) || !(dir = path_join(vm, name)))
                return -ENOMEM;
        /* Before apt_setup() makes CACHE/vm/apt-* (0755 below it is fine) or a kit is used. */
        if ((r = mkdir_private(vm)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", vm, xb_strerror(r));
        if (path_is_dir(dir) && (r = mkdir_private(dir)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", dir, xb_strerror(r));
        if (path_is_dir(dir)) {
                if (ret_created)
                        *ret_created = false;
                return kit_load(dir, ret);
        }
        if ((r = cache_lock(req->cache, name, NULL, &lock)) < 0)
                return r;
        if (path_is_dir(dir)) {
                if (ret_created)
                        *ret_created = false;
                return kit_load(dir, ret);
        }
        if (access(keyring, R_OK) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "keyring %s is missing: apt-get install debian-archive-keyring",
                                     keyring);
        if (asprintf(&partial, "%s.partial-%d", dir, (int) getpid()) < 0)
                return -ENOMEM;
        (void) rm_rf(partial);
        if (mkdir(partial, 0700) < 0)
                return -errno;
        r = build_kit(req, va, mirror, suite, keyring, partial, err);
        if (r >= 0 && rename(partial, dir) < 0)
                r = -errno;
        if (r < 0) {
                (void) rm_rf(partial);
                return r;
        }
        (void) fsync_parent(dir);
        if (ret_created)
                *ret_created = true;
        return kit_load(dir, ret);
}

void vm_boot_clear(struct vm_boot *b) {
        vm_kit_clear(&b->kit);
        free(b->kernel);
        free(b->initrd);
        *b = (struct vm_boot){0};
}

int vm_boot_prepare(const struct vm_kit_req *req, const char *kernel, const char *initrd, const char *scratch_dir,
                    struct vm_boot *ret, struct xb_detail *err) {
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        int r;

        if (kernel && initrd)
                return (ret->kernel = strdup(kernel)) && (ret->initrd = strdup(initrd)) ? 0 : -ENOMEM;
        r = vm_kit_prepare(req, &ret->kit, &ret->kit_created, &e);
        if (r < 0)
                return xb_detail_set(err, r == -XB_E_CHECKSUM || r == -XB_E_FETCH || r == -XB_E_HTTP_STATUS ? -XB_E_NOT_AVAILABLE : r,
                                     "Failed to prepare the %s VM kernel: %s", arch_to_string(req->arch),
                                     xb_detail_text(&e, r));
        if (kernel) {
                /* A user kernel with its drivers built in: an initrd without modules. */
                _cleanup_free_ char *own = path_join(scratch_dir, "initrd-nomodules.img");
                if (!own)
                        return -ENOMEM;
                if ((r = initrd_write(own, ret->kit.busybox, NULL, &e)) < 0)
                        return xb_detail_set(err, r, "Failed to make an initrd for %s: %s", kernel, xb_detail_text(&e, r));
                ret->kernel = strdup(kernel);
                ret->initrd = TAKE_PTR(own);
        } else {
                ret->kernel = strdup(ret->kit.kernel);
                ret->initrd = strdup(initrd ? initrd : ret->kit.initrd);
        }
        return ret->kernel && ret->initrd ? 0 : -ENOMEM;
}
