/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apt-sources.h"
#include "archive/extract.h"
#include "chroot/session.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strset.h"
#include "core/strv.h"
#include "fetch/fetch.h"
#include "prepare.h"

#define ROOTFS_MARKER ".xbuild-rootfs"

char **rootfs_base_env(void) {
        char **env = NULL;
        const char *term = getenv("TERM");
        if (strv_extend(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
            strv_extend(&env, "HOME=/root") < 0 || strv_extend(&env, "LANG=C.UTF-8") < 0 ||
            strv_extendf(&env, "TERM=%s", term && *term ? term : "dumb") < 0)
                return strv_free(env);
        return env;
}

int rootfs_entry_dir(const struct cache *c, const struct rootfs_def *rf, enum xb_arch a, char **ret) {
        _cleanup_free_ char *text = NULL, *keyed = NULL, *name = NULL;
        char hex[SHA256_HEX_LEN + 1];
        int r;

        r = read_full_file(rf->path, 1 << 20, &text, NULL);
        if (r < 0)
                return r;
        if (asprintf(&keyed, "%s\n--\n%s\n", text, arch_to_string(a)) < 0 || sha256_string(keyed, hex) < 0)
                return -ENOMEM;
        if (asprintf(&name, "%s-%s-%.12s", rf->name, arch_to_string(a), hex) < 0)
                return -ENOMEM;
        *ret = cache_sub(c, "rootfs", name);
        return *ret ? 0 : -ENOMEM;
}

bool rootfs_is_prepared(const struct cache *c, const struct rootfs_def *rf, enum xb_arch a) {
        _cleanup_free_ char *dir = NULL, *marker = NULL;
        return rootfs_entry_dir(c, rf, a, &dir) >= 0 && (marker = path_join(dir, ROOTFS_MARKER)) && path_exists(marker);
}

static int run_logged(struct rootfs_prep *p, char *const *argv, unsigned timeout_s, const char *what,
                      struct xb_detail *err) {
        struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                .log_path = p->log_path, .echo = p->echo, .log_prefix = "  ",
                                .timeout_ms = timeout_s * 1000U, .flags = SPAWN_NEW_PGRP};
        struct spawn_result res = {0};
        char how[128];
        int r = spawn_run(&req, &res);

        if (r < 0)
                return xb_detail_set(err, r == -ENOENT ? -XB_E_NOT_AVAILABLE : r, "cannot run %s: %s", what, xb_strerror(r));
        if (res.exit_code != 0 || res.signal || res.timed_out) {
                const char *last;
                int len;
                spawn_result_last_line(&res, &last, &len);
                (void) xb_detail_set(err, -XB_E_NOT_AVAILABLE, "%s %s: %.*s%s%s", what,
                                     spawn_result_describe(&res, how, sizeof how), len, last,
                                     p->log_path ? "; full log: " : "", p->log_path ? p->log_path : "");
                spawn_result_clear(&res);
                return -XB_E_NOT_AVAILABLE;
        }
        spawn_result_clear(&res);
        return 0;
}

/* Debootstrap writes proc/sys mounts into the target: it runs in a private mount namespace
 * (xbuild __session --private-mounts) so none of them can outlive it on the host. */
static int make_debootstrap(const struct rootfs_def *rf, enum xb_arch a, const char *tree, struct rootfs_prep *p,
                            struct xb_detail *err) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *exe = NULL, *mirror = NULL, *comps = NULL, *incl = NULL;
        int r;

        if (rf->mirror)
                mirror = strdup(rf->mirror);
        else if ((r = apt_sources_find_mirror("/etc/apt", rf->suite, &mirror)) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "no Debian mirror for '%s' in the host's apt sources (/etc/apt/sources.list*); set debootstrap.mirror in %s",
                                     rf->suite, rf->path);
        if (!mirror)
                return -ENOMEM;
        if ((r = session_helper_path(&exe)) < 0)
                return xb_detail_set(err, r, "the session helper xbuild-session is missing: %s", xb_strerror(r));
        {
                FILE *f = NULL;
                size_t n;
                f = open_memstream(&comps, &n);
                for (char **c = rf->components; f && c && *c; c++)
                        fprintf(f, "%s%s", c == rf->components ? "" : ",", *c);
                if (!f || fclose(f) != 0)
                        return -ENOMEM;
                f = open_memstream(&incl, &n);
                for (char **c = rf->include; f && c && *c; c++)
                        fprintf(f, "%s%s", c == rf->include ? "" : ",", *c);
                if (!f || fclose(f) != 0)
                        return -ENOMEM;
        }
        if ((r = strv_extend(&argv, exe)) < 0 || (r = strv_extend(&argv, "--private-mounts")) < 0 || (r = strv_extend(&argv, "--")) < 0 ||
            (r = strv_extend(&argv, "debootstrap")) < 0 ||
            (r = strv_extendf(&argv, "--arch=%s", arch_to_string(a))) < 0 ||
            (r = strv_extendf(&argv, "--variant=%s", rf->variant)) < 0 ||
            (r = strv_extendf(&argv, "--components=%s", comps)) < 0)
                return r;
        if (incl[0] && (r = strv_extendf(&argv, "--include=%s", incl)) < 0)
                return r;
        if (rf->keyring && (r = strv_extendf(&argv, "--keyring=%s", rf->keyring)) < 0)
                return r;
        if ((r = strv_extend(&argv, rf->suite)) < 0 || (r = strv_extend(&argv, tree)) < 0 ||
            (r = strv_extend(&argv, mirror)) < 0)
                return r;
        if (rf->keyring && access(rf->keyring, R_OK) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "keyring %s is missing: apt-get install debian-archive-keyring",
                                     rf->keyring);
        return run_logged(p, argv, 3600, "debootstrap", err);
}

static int make_tarball(const struct rootfs_def *rf, enum xb_arch a, const char *tree, struct rootfs_prep *p,
                        struct xb_detail *err) {
        const struct rootfs_tarball *t = &rf->tarballs[a];
        struct fetch_req req = {.url = t->url, .sha256 = t->sha256, .http = p->http};
        _cleanup_(xb_detail_clear) struct xb_detail fe = {0}, xe = {0};
        struct fetch_result fr = {0};
        struct extract_result er = {0};
        struct extract_opts eo = {.strip_components = t->strip_components, .keep_owner = geteuid() == 0};
        int r;

        req.http.allow_file = true;
        r = fetch_to_cache(p->cache, &req, &fr, &fe);
        if (r == -XB_E_CHECKSUM)
                (void) xb_detail_set(err, r, "sha256 mismatch for %s: expected %s, got %s", t->url, t->sha256, fr.sha256);
        else if (r < 0)
                (void) xb_detail_set(err, r, "%s: %s", t->url, xb_detail_text(&fe, r));
        if (r >= 0) {
                /* extract wants a fresh directory */
                if (rmdir(tree) < 0 && errno != ENOENT)
                        r = -errno;
                else if ((r = archive_extract(fr.path, tree, &eo, &er, &xe)) < 0)
                        (void) xb_detail_set(err, r, "%s: %s%s%s", t->url, er.entry[0] ? er.entry : "",
                                             er.entry[0] ? ": " : "", xb_detail_text(&xe, r));
        }
        fetch_result_clear(&fr);
        return r;
}

/* Things every xbuild root gets once: a real /proc directory (debootstrap in a container
 * leaves a symlink to the host's /proc), and a policy-rc.d so installing packages never
 * starts daemons. */
static int finish_tree(const char *tree) {
        _cleanup_close_ int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return -errno;
        if (fstatat(fd, "proc", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) && unlinkat(fd, "proc", 0) < 0)
                return -errno;
        if (mkdirat(fd, "proc", 0555) < 0 && errno != EEXIST)
                return -errno;
        if (fstatat(fd, "usr/sbin", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
                _cleanup_close_ int p = openat(fd, "usr/sbin/policy-rc.d", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0755);
                if (p < 0 || write_all(p, "#!/bin/sh\nexit 101\n", 19) < 0)
                        return -errno;
        }
        return 0;
}

int rootfs_prepare_base(const struct rootfs_def *rf, enum xb_arch a, struct rootfs_prep *p, char **ret_tree,
                        bool *ret_created, struct xb_detail *err) {
        _cleanup_free_ char *dir = NULL, *tree = NULL, *partial = NULL, *ptree = NULL, *marker = NULL, *text = NULL,
                            *rootdir = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        *ret_created = false;
        if (!rootfs_def_supports_arch(rf, a))
                return xb_detail_set(err, -EINVAL, "rootfs '%s' has no %s variant", rf->name, arch_to_string(a));
        if ((r = rootfs_entry_dir(p->cache, rf, a, &dir)) < 0)
                return r;
        if (!(tree = path_join(dir, "tree")) || !(marker = path_join(dir, ROOTFS_MARKER)) ||
            !(rootdir = cache_sub(p->cache, "rootfs", NULL)))
                return -ENOMEM;
        /* Before any tree is used, one an older xbuild made too. */
        if ((r = mkdir_p(p->cache->root, 0755)) < 0 || (r = mkdir_private(rootdir)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", rootdir, xb_strerror(r));
        if (path_is_dir(dir) && (r = mkdir_private(dir)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", dir, xb_strerror(r));
        if (path_exists(marker)) {
                *ret_tree = TAKE_PTR(tree);
                return 0;
        }
        r = cache_lock(p->cache, path_basename(dir), NULL, &lock);
        if (r < 0)
                return r;
        if (path_exists(marker)) { /* made by another process while we waited */
                *ret_tree = TAKE_PTR(tree);
                return 0;
        }
        if (asprintf(&partial, "%s.partial-%d", dir, (int) getpid()) < 0 || !(ptree = path_join(partial, "tree")))
                return -ENOMEM;
        (void) rm_rf(partial);
        /* Renamed into place: the entry is born 0700. The tree is the ARM system's "/". */
        /* chmod: the ARM system's "/" is 0755 whatever the caller's umask. */
        if (mkdir(partial, 0700) < 0 || mkdir(ptree, 0755) < 0 || chmod(ptree, 0755) < 0)
                return -errno;
        r = rf->provider == ROOTFS_DEBOOTSTRAP ? make_debootstrap(rf, a, ptree, p, err) : make_tarball(rf, a, ptree, p, err);
        if (r >= 0 && (r = finish_tree(ptree)) < 0)
                (void) xb_detail_set(err, r, "cannot finish the tree: %s", xb_strerror(r));
        if (r >= 0) {
                _cleanup_free_ char *pm = path_join(partial, ROOTFS_MARKER);
                if (!pm || asprintf(&text, "xbuild-rootfs\nname %s\narch %s\ndefinition %s\n", rf->name,
                                    arch_to_string(a), rf->path) < 0)
                        r = -ENOMEM;
                else
                        r = write_file_text(pm, text);
        }
        if (r >= 0) {
                (void) rm_rf(dir); /* an unfinished entry without marker, never a complete one */
                if (rename(partial, dir) < 0)
                        r = -errno;
        }
        if (r < 0) {
                /* Never delete across a mount a failed debootstrap might have left. */
                (void) rm_rf_unless_mounted(partial);
                return r;
        }
        *ret_created = true;
        *ret_tree = TAKE_PTR(tree);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* CACHE/rootfs/NAME-ARCH-KEY/deps-HASH for a package list (HASH over the sorted list); *ret
 * NULL when the list is empty. */
static int deps_layer_dir(const struct cache *c, const struct rootfs_def *rf, enum xb_arch a, char *const *deps,
                          char ***ret_sorted, char **ret_dir, char **ret_layer) {
        _cleanup_strv_free_ char **sorted = strv_copy(deps);
        _cleanup_free_ char *dir = NULL, *joined = NULL, *name = NULL;
        char hex[SHA256_HEX_LEN + 1];
        size_t n, len = 0;

        if (!sorted)
                return -ENOMEM;
        n = strv_length(sorted);
        if (n == 0) {
                *ret_layer = NULL;
                return 0;
        }
        qsort(sorted, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++)
                len += strlen(sorted[i]) + 1;
        if (!(joined = calloc(1, len + 1)))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                strcat(joined, sorted[i]);
                strcat(joined, "\n");
        }
        if (sha256_string(joined, hex) < 0 || rootfs_entry_dir(c, rf, a, &dir) < 0)
                return -ENOMEM;
        _cleanup_free_ char *layer = NULL;
        if (asprintf(&name, "deps-%.12s", hex) < 0 || !(layer = path_join(dir, name)))
                return -ENOMEM;
        if (ret_sorted)
                *ret_sorted = TAKE_PTR(sorted);
        if (ret_dir)
                *ret_dir = TAKE_PTR(dir);
        *ret_layer = TAKE_PTR(layer);
        return 0;
}

int rootfs_cached_layers(const struct cache *c, const struct rootfs_def *rf, enum xb_arch a, char *const *deps,
                         char ***ret) {
        _cleanup_free_ char *dir = NULL, *tree = NULL, *layer = NULL, *upper = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!rootfs_is_prepared(c, rf, a))
                return -ENOENT;
        if ((r = rootfs_entry_dir(c, rf, a, &dir)) < 0 || !(tree = path_join(dir, "tree")))
                return -ENOMEM;
        if ((r = deps_layer_dir(c, rf, a, deps, NULL, NULL, &layer)) < 0)
                return r;
        if (layer) {
                if (!(upper = path_join(layer, "upper")))
                        return -ENOMEM;
                if (!path_is_dir(upper))
                        return -ENOENT;
                if (strv_extend(&l, upper) < 0)
                        return -ENOMEM;
        }
        if (strv_extend(&l, tree) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

int rootfs_prepare_deps(const struct rootfs_def *rf, enum xb_arch a, const char *base_tree, char *const *deps,
                        struct rootfs_prep *p, char **ret_upper, bool *ret_created, struct xb_detail *err) {
        _cleanup_strv_free_ char **env = NULL, **argv = NULL, **sorted = NULL;
        _cleanup_free_ char *dir = NULL, *layer = NULL, *partial = NULL,
                            *pupper = NULL, *pwork = NULL, *debs = NULL, *debname = NULL, *upper = NULL;
        _cleanup_(session_freep) struct session *s = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        *ret_created = false;
        *ret_upper = NULL;
        if ((r = deps_layer_dir(p->cache, rf, a, deps, &sorted, &dir, &layer)) < 0)
                return r;
        if (!layer)
                return 0;
        if (rf->package_manager != PKG_APT)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "installing build_deps needs apt; rootfs '%s' uses %s", rf->name,
                                     package_manager_to_string(rf->package_manager));
        const char *name = path_basename(layer);
        if (!(upper = path_join(layer, "upper")))
                return -ENOMEM;
        if (path_is_dir(layer) && (r = mkdir_private(layer)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", layer, xb_strerror(r));
        if (path_is_dir(upper)) {
                *ret_upper = TAKE_PTR(upper);
                return 0;
        }
        _cleanup_free_ char *lockkey = NULL;
        if (asprintf(&lockkey, "%s-%s", path_basename(dir), name) < 0)
                return -ENOMEM;
        if ((r = cache_lock(p->cache, lockkey, NULL, &lock)) < 0)
                return r;
        if (path_is_dir(upper)) {
                *ret_upper = TAKE_PTR(upper);
                return 0;
        }
        if (asprintf(&partial, "%s.partial-%d", layer, (int) getpid()) < 0 || !(pupper = path_join(partial, "upper")) ||
            !(pwork = path_join(partial, "work")))
                return -ENOMEM;
        (void) rm_rf(partial);
        if (mkdir(partial, 0700) < 0 || mkdir(pupper, 0755) < 0 || mkdir(pwork, 0700) < 0)
                return -errno;
        if (asprintf(&debname, "%s-%s", rf->name, arch_to_string(a)) < 0 || !(debs = cache_sub(p->cache, "debs", debname)))
                return -ENOMEM;
        if ((r = mkdir_p(debs, 0755)) < 0)
                return r;

        r = session_create(p->cache->root, &s);
        if (r < 0)
                return r;
        char *lowers[] = {(char *) base_tree, NULL};
        struct session_bind binds[] = {{debs, "/var/cache/apt/archives", false}};
        if (!(env = rootfs_base_env()) || strv_extend(&env, "DEBIAN_FRONTEND=noninteractive") < 0)
                return -ENOMEM;
        struct session_spec spec = {.lowers = lowers, .upper = pupper, .work = pwork, .binds = binds, .n_binds = 1,
                                    .env = env, .cwd = "/", .hostname = "xbuild-deps"};
        if ((r = strv_extend(&argv, "/bin/sh")) < 0 || (r = strv_extend(&argv, "-ec")) < 0 ||
            (r = strv_extend(&argv, "apt-get -q update && apt-get -q install -y --no-install-recommends \"$@\"")) < 0 ||
            (r = strv_extend(&argv, "sh")) < 0 || (r = strv_extend_strv(&argv, sorted)) < 0)
                return r;
        struct spawn_req io = {.stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE, .log_path = p->log_path, .echo = p->echo,
                               .log_prefix = "  ", .timeout_ms = 3600U * 1000U, .flags = SPAWN_NEW_PGRP};
        struct spawn_result res = {0};
        r = session_exec(s, &spec, argv, &io, &res);
        if (r >= 0 && (res.exit_code != 0 || res.signal || res.timed_out)) {
                char how[128];
                r = xb_detail_set(err, -XB_E_NOT_AVAILABLE, "apt-get install %s; full log: %s",
                                  spawn_result_describe(&res, how, sizeof how), p->log_path ? p->log_path : "(none)");
        } else if (r < 0)
                (void) xb_detail_set(err, r, "cannot start the session: %s", xb_strerror(r));
        spawn_result_clear(&res);
        int rd = session_destroy(s, false);
        if (r >= 0 && rd < 0)
                r = rd;
        if (r >= 0) {
                (void) rm_rf(pwork); /* overlay's scratch: not part of the layer */
                if (rename(partial, layer) < 0)
                        r = -errno;
        }
        if (r < 0) {
                (void) rm_rf_unless_mounted(partial);
                return r;
        }
        *ret_created = true;
        *ret_upper = TAKE_PTR(upper);
        return 0;
}

static bool entry_matches(const char *entry, const char *name, enum xb_arch a) {
        size_t nl = strlen(name);
        if (!strneq(entry, name, nl) || entry[nl] != '-')
                return false;
        for (int i = 0; i < _XB_ARCH_MAX; i++) {
                const char *an = arch_to_string((enum xb_arch) i);
                if ((a < 0 || a == i) && strneq(entry + nl + 1, an, strlen(an)) && entry[nl + 1 + strlen(an)] == '-')
                        return true;
        }
        return false;
}

struct match {
        const char *name;
        enum xb_arch arch;
};

static bool want_entry(const char *entry, const char *path, void *userdata) {
        const struct match *m = userdata;
        (void) path;
        return entry_matches(entry, m->name, m->arch);
}

int rootfs_remove(const struct cache *c, const char *name, enum xb_arch a, unsigned *ret_removed) {
        _cleanup_free_ char *base = cache_sub(c, "rootfs", NULL);
        struct match m = {name, a};
        unsigned busy = 0;
        int r;

        if (!base)
                return -ENOMEM;
        r = rm_rf_entries(base, want_entry, &m, ret_removed, &busy);
        return r < 0 ? r : busy ? -EBUSY : 0;
}

struct fix_walk {
        struct name_set seen;
        const char *out;
        unsigned fixed;
};

/* rel: path below the layer root, e.g. "usr/lib/arm-linux-gnueabihf". */
static int fix_dir(struct fix_walk *w, const char *layer, const char *rel) {
        _cleanup_free_ char *dir = path_join(layer, rel);
        _cleanup_closedir_ DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;
        struct stat dst;
        int r = 0;

        if (!dir)
                return -ENOMEM;
        /* A symlinked directory (usrmerge's lib -> usr/lib) is not walked: creating a real
         * directory for it in the layer would hide the link. */
        if (!d || lstat(dir, &dst) < 0 || !S_ISDIR(dst.st_mode))
                return 0;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *child = NULL, *full = NULL;
                struct stat st;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (!(child = path_join(rel, de->d_name)) || !(full = path_join(layer, child))) {
                        r = -ENOMEM;
                        break;
                }
                if (lstat(full, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        r = fix_dir(w, layer, child);
                        continue;
                }
                if (name_set_has(&w->seen, child, strlen(child)))
                        continue; /* a higher layer has it (or deleted it) */
                if ((r = name_set_add(&w->seen, child)) < 0)
                        break;
                if (!S_ISLNK(st.st_mode))
                        continue;
                char target[4096];
                ssize_t n = readlink(full, target, sizeof target - 1);
                if (n <= 0 || target[0] != '/')
                        continue;
                target[n] = 0;
                /* From the link's directory back to the root, then down to the target. */
                _cleanup_free_ char *rel_target = NULL, *dest = NULL, *destdir = NULL;
                FILE *f;
                size_t sz;
                if (!(f = open_memstream(&rel_target, &sz))) {
                        r = -ENOMEM;
                        break;
                }
                for (const char *c = rel; *c; c++)
                        if (*c == '/')
                                fputs("../", f);
                fputs("../", f);
                fputs(target + 1, f);
                if (fclose(f) != 0 || !(dest = path_join(w->out, child)) || !(destdir = path_dirname(dest))) {
                        r = -ENOMEM;
                        break;
                }
                if ((r = mkdir_p(destdir, 0755)) < 0)
                        break;
                if (symlink(rel_target, dest) < 0 && errno != EEXIST) {
                        r = -errno;
                        break;
                }
                w->fixed++;
        }
        return r;
}

int rootfs_prepare_sysroot_fix(const struct rootfs_def *rf, enum xb_arch a, char *const *lowers, struct rootfs_prep *p,
                               char **ret_upper, struct xb_detail *err) {
        _cleanup_free_ char *dir = NULL, *keytext = NULL, *name = NULL, *layer = NULL, *upper = NULL, *partial = NULL,
                            *pupper = NULL, *lockkey = NULL;
        _cleanup_close_ int lock = -EBADF;
        char hex[SHA256_HEX_LEN + 1];
        struct fix_walk w = {0};
        FILE *f;
        size_t sz;
        int r;

        if ((r = rootfs_entry_dir(p->cache, rf, a, &dir)) < 0)
                return r;
        if (!(f = open_memstream(&keytext, &sz)))
                return -ENOMEM;
        for (char *const *l = lowers; l && *l; l++)
                fprintf(f, "%s\n", *l);
        if (fclose(f) != 0 || sha256_string(keytext, hex) < 0 || asprintf(&name, "sysroot-%.12s", hex) < 0 ||
            !(layer = path_join(dir, name)) || !(upper = path_join(layer, "upper")) ||
            asprintf(&lockkey, "%s-%s", path_basename(dir), name) < 0)
                return -ENOMEM;
        if (path_is_dir(layer) && (r = mkdir_private(layer)) < 0)
                return xb_detail_set(err, r, "cannot make %s private (mode 0700): %s", layer, xb_strerror(r));
        if (path_is_dir(upper)) {
                *ret_upper = TAKE_PTR(upper);
                return 0;
        }
        if ((r = cache_lock(p->cache, lockkey, NULL, &lock)) < 0)
                return r;
        if (path_is_dir(upper)) {
                *ret_upper = TAKE_PTR(upper);
                return 0;
        }
        if (asprintf(&partial, "%s.partial-%d", layer, (int) getpid()) < 0 || !(pupper = path_join(partial, "upper")))
                return -ENOMEM;
        (void) rm_rf(partial);
        if ((r = mkdir_p(partial, 0700)) < 0)
                return r;
        if (mkdir(pupper, 0755) < 0)
                return -errno;
        w.out = pupper;
        for (char *const *l = lowers; r >= 0 && l && *l; l++) {
                r = fix_dir(&w, *l, "usr/lib");
                if (r >= 0)
                        r = fix_dir(&w, *l, "lib");
        }
        name_set_clear(&w.seen);
        if (r >= 0 && rename(partial, layer) < 0)
                r = -errno;
        if (r < 0) {
                (void) rm_rf(partial);
                return xb_detail_set(err, r, "cannot make the sysroot layer: %s", xb_strerror(r));
        }
        *ret_upper = TAKE_PTR(upper);
        return 0;
}
