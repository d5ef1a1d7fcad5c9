/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "accel.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/strv.h"

static const char *const mode_names[_ACCEL_MODE_MAX] = {
        [ACCEL_AUTO] = "auto",
        [ACCEL_ON] = "on",
        [ACCEL_OFF] = "off",
};

const char *accel_mode_to_string(enum accel_mode m) {
        return m >= 0 && m < _ACCEL_MODE_MAX ? mode_names[m] : NULL;
}

enum accel_mode accel_mode_from_string(const char *s) {
        for (int i = 0; s && i < _ACCEL_MODE_MAX; i++)
                if (streq(s, mode_names[i]))
                        return (enum accel_mode) i;
        return _ACCEL_MODE_INVALID;
}

static void tool_clear(struct accel_tool *t) {
        free(t->chroot_package);
        free(t->chroot_version);
        free(t->host_package);
        free(t->host_version);
        free(t->why_not);
        free(t->program);
        *t = (struct accel_tool){0};
}

void accel_plan_clear(struct accel_plan *p) {
        tool_clear(&p->cc);
        tool_clear(&p->cxx);
        tool_clear(&p->go);
        free(p->summary);
        strv_free(p->links);
        free(p->go_root);
        *p = (struct accel_plan){0};
}

/* The stanza of an installed package (held or not): [*ret_start, *ret_end). */
static bool find_installed(const char *status, const char *package, const char **ret_start, const char **ret_end) {
        size_t plen = strlen(package);
        for (const char *s = status; s && *s;) {
                const char *e = strstr(s, "\n\n");
                const char *end = e ? e + 1 : s + strlen(s);
                if (strneq(s, "Package: ", 9) && strneq(s + 9, package, plen) && s[9 + plen] == '\n') {
                        const char *st = strstr(s, "\nStatus: ");
                        const char *nl = st ? strchr(st + 1, '\n') : NULL;
                        /* "install ok installed", "hold ok installed" */
                        if (st && st < end && nl && nl - st > 14 && strneq(nl - 13, " ok installed", 13)) {
                                *ret_start = s;
                                *ret_end = end;
                                return true;
                        }
                }
                s = e ? e + 2 : NULL;
        }
        return false;
}

static char *field(const char *start, const char *end, const char *name) {
        size_t n = strlen(name);
        for (const char *l = start; l && l < end; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strneq(l, name, n) && l[n] == ':' && l[n + 1] == ' ') {
                        const char *v = l + n + 2, *nl = strchr(v, '\n');
                        return strndup(v, nl && nl < end ? (size_t) (nl - v) : (size_t) (end - v));
                }
        return NULL;
}

char *dpkg_status_version(const char *status, const char *package) {
        const char *s, *e;
        return status && find_installed(status, package, &s, &e) ? field(s, e, "Version") : NULL;
}

char *dpkg_status_depends_on(const char *status, const char *package, const char *prefix, const char *suffix) {
        const char *s, *e;
        _cleanup_free_ char *deps = NULL;
        if (!status || !find_installed(status, package, &s, &e) || !(deps = field(s, e, "Depends")))
                return NULL;
        size_t n = strlen(prefix), sn = strlen(suffix);
        for (char *d = deps; *d;) {
                d += strspn(d, " ,|");
                size_t len = strcspn(d, " ,|(:");
                /* A versioned name: the prefix, a digit, the suffix (gcc-12, golang-1.19-go). */
                if (len > n + sn && strneq(d, prefix, n) && d[n] >= '0' && d[n] <= '9' && strneq(d + len - sn, suffix, sn))
                        return strndup(d, len);
                d += len;
                d += strcspn(d, ",|");
        }
        return NULL;
}

static bool host_has(const struct accel_inputs *in, const char *path) {
        return in->host_has ? in->host_has(path, in->userdata) : access(path, X_OK) == 0;
}

/* Debian's cross compilers are built from the native compiler's source: gcc-12-cross 12.2.0-14cross1
 * is gcc-12 12.2.0-14. */
static bool same_source_version(const char *cross, const char *native) {
        const char *c = strstr(cross, "cross");
        size_t n = c ? (size_t) (c - cross) : strlen(cross);
        return strlen(native) == n && strneq(cross, native, n);
}

/* A C or C++ compiler: the root's default (gcc -> gcc-12) replaced by the host's
 * gcc-12-TRIPLET when it has one. */
static int decide_gcc(const struct accel_inputs *in, const char *driver, struct accel_tool *t, char ***links,
                      const char *const *names) {
        const struct arch_info *ai = arch_info(in->arch);
        _cleanup_free_ char *prefix = NULL, *program = NULL, *target = NULL;

        if (asprintf(&prefix, "%s-", driver) < 0)
                return -ENOMEM;
        t->chroot_package = dpkg_status_depends_on(in->chroot_status, driver, prefix, "");
        if (!t->chroot_package)
                return 0; /* the root has none to replace */
        const char *ver = t->chroot_package + strlen(prefix); /* "12" */
        t->chroot_version = dpkg_status_version(in->chroot_status, t->chroot_package);
        if (asprintf(&t->host_package, "%s-%s", t->chroot_package, ai->triplet) < 0 ||
            asprintf(&program, "/usr/bin/%s-%s-%s", ai->triplet, driver, ver) < 0)
                return -ENOMEM;
        t->host_version = dpkg_status_version(in->host_status, t->host_package);
        if (!t->host_version || !host_has(in, program))
                return asprintf(&t->why_not, "%s: the host has no %s (apt-get install %s)", driver, t->host_package,
                                t->host_package) < 0 ? -ENOMEM : 0;
        t->used = true;
        t->same_version = t->chroot_version && same_source_version(t->host_version, t->chroot_version);
        if (asprintf(&target, ACCEL_NATIVE_DIR "%s", program) < 0)
                return -ENOMEM;
        for (const char *const *n = names; *n; n++) {
                int r = (*n)[0] == '-' ? strv_extendf(links, "%s%s-%s", ai->triplet, *n, ver)
                                       : strv_extendf(links, "%s-%s", *n, ver);
                if (r < 0 || strv_extend(links, target) < 0 ||
                    ((*n)[0] == '-' ? strv_extendf(links, "%s%s", ai->triplet, *n) : strv_extend(links, *n)) < 0 ||
                    strv_extend(links, target) < 0)
                        return -ENOMEM;
        }
        t->program = TAKE_PTR(program);
        return 0;
}

static int decide_cpp(const struct accel_inputs *in, const struct accel_tool *cc, char ***links) {
        const struct arch_info *ai = arch_info(in->arch);
        _cleanup_free_ char *program = NULL;
        const char *ver = cc->chroot_package + strlen("gcc-");
        if (asprintf(&program, "/usr/bin/%s-cpp-%s", ai->triplet, ver) < 0)
                return -ENOMEM;
        if (!host_has(in, program))
                return 0;
        if (strv_extend(links, "cpp") < 0 || strv_extendf(links, ACCEL_NATIVE_DIR "%s", program) < 0 ||
            strv_extendf(links, "cpp-%s", ver) < 0 || strv_extendf(links, ACCEL_NATIVE_DIR "%s", program) < 0 ||
            strv_extendf(links, "%s-cpp", ai->triplet) < 0 || strv_extendf(links, ACCEL_NATIVE_DIR "%s", program) < 0 ||
            strv_extendf(links, "%s-cpp-%s", ai->triplet, ver) < 0 ||
            strv_extendf(links, ACCEL_NATIVE_DIR "%s", program) < 0)
                return -ENOMEM;
        return 0;
}

/* Go: the root's golang-go (-> golang-1.19-go) replaced by the host's golang-1.19-go. */
static int decide_go(const struct accel_inputs *in, struct accel_plan *p) {
        struct accel_tool *t = &p->go;
        _cleanup_free_ char *go = NULL, *gofmt = NULL;

        t->chroot_package = dpkg_status_depends_on(in->chroot_status, "golang-go", "golang-", "-go");
        if (!t->chroot_package)
                return 0;
        size_t n = strlen(t->chroot_package);
        t->chroot_version = dpkg_status_version(in->chroot_status, t->chroot_package);
        if (!(t->host_package = strdup(t->chroot_package)) ||
            asprintf(&p->go_root, "/usr/lib/go-%.*s", (int) (n - strlen("golang--go")), t->chroot_package + strlen("golang-")) < 0 ||
            asprintf(&go, "%s/bin/go", p->go_root) < 0 || asprintf(&gofmt, "%s/bin/gofmt", p->go_root) < 0)
                return -ENOMEM;
        t->host_version = dpkg_status_version(in->host_status, t->host_package);
        if (!t->host_version || !host_has(in, go))
                return asprintf(&t->why_not, "go: the host has no %s (apt-get install %s)", t->host_package,
                                t->host_package) < 0 ? -ENOMEM : 0;
        t->used = true;
        t->same_version = t->chroot_version && streq(t->host_version, t->chroot_version);
        if (strv_extend(&p->links, "go") < 0 || strv_extendf(&p->links, ACCEL_NATIVE_DIR "%s", go) < 0 ||
            strv_extend(&p->links, "gofmt") < 0 || strv_extendf(&p->links, ACCEL_NATIVE_DIR "%s", gofmt) < 0)
                return -ENOMEM;
        t->program = TAKE_PTR(go);
        return 0;
}

static int describe_tool(char **s, const struct accel_tool *t, bool *first) {
        char *n = NULL;
        if (!t->used)
                return 0;
        if (asprintf(&n, "%s%s%s %s (the root's %s %s%s)", *s ? *s : "", *first ? "" : ", ", t->host_package,
                     t->host_version, t->chroot_package, strempty(t->chroot_version),
                     t->same_version ? ": the same version, the same output as emulated"
                                     : ": another version, the output may differ from an emulated build's") < 0)
                return -ENOMEM;
        free(*s);
        *s = n;
        *first = false;
        return 0;
}

static int summarize(const struct accel_inputs *in, struct accel_plan *p) {
        _cleanup_free_ char *used = NULL, *not = NULL;
        bool first = true;
        const struct accel_tool *tools[] = {&p->cc, &p->cxx, &p->go};

        for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
                if (describe_tool(&used, tools[i], &first) < 0)
                        return -ENOMEM;
                if (tools[i]->why_not) {
                        char *n = NULL;
                        if (asprintf(&n, "%s%s%s", not ? not : "", not ? "; " : "", tools[i]->why_not) < 0)
                                return -ENOMEM;
                        free(not);
                        not = n;
                }
        }
        if (p->active)
                return asprintf(&p->summary, "accelerated (--accelerate=%s): native %s%s%s", accel_mode_to_string(in->mode),
                                used, not ? "; still emulated: " : "", strempty(not)) < 0 ? -ENOMEM : 0;
        if (in->mode == ACCEL_ON)
                return asprintf(&p->summary, "--accelerate=on, but no compiler of the root can run natively: %s",
                                not ? not : "the root has no gcc, g++ or Go (build_deps) to replace") < 0 ? -ENOMEM : 0;
        return asprintf(&p->summary, "emulated: %s", not ? not : "the root has no gcc, g++ or Go (build_deps) to replace") < 0
                       ? -ENOMEM : 0;
}

int accel_decide(const struct accel_inputs *in, struct accel_plan *ret) {
        static const char *const gcc_names[] = {"gcc", "-gcc", NULL};
        struct accel_plan p = {.mode = in->mode};
        int r = 0;

        if (in->mode == ACCEL_OFF)
                p.summary = strdup("emulated: --accelerate=off");
        else if (!in->recipe_allows)
                p.summary = strdup("emulated: the recipe says accelerate: false");
        else if (!in->host_status)
                p.summary = strdup("emulated: the host has no dpkg database, so no Debian cross compilers to run natively");
        else if (!in->chroot_status)
                p.summary = strdup("decided when the root with its build_deps is prepared (its compilers' versions "
                                   "against the host's cross gcc and Go)");
        else {
                p.root_known = true;
                if ((r = decide_gcc(in, "gcc", &p.cc, &p.links, gcc_names)) < 0 ||
                    (p.cc.used && (r = decide_cpp(in, &p.cc, &p.links)) < 0) ||
                    (r = decide_go(in, &p)) < 0)
                        goto fail;
                /* g++ stays emulated: the cross g++ reads libstdc++'s headers from its own
                 * /usr/TRIPLET/include/c++, the host's, which the session hides (the root's are
                 * laid out for its native compiler), and no test covers C++ yet. */
                if ((p.cxx.chroot_package = dpkg_status_depends_on(in->chroot_status, "g++", "g++-", "")) &&
                    !(p.cxx.why_not = strdup("g++: stays emulated (the cross g++ would read the host's libstdc++ headers)")))
                        goto fail;
                /* cc and c++ by their usual names too. */
                if (p.cc.used && (strv_extend(&p.links, "cc") < 0 ||
                                  strv_extendf(&p.links, ACCEL_NATIVE_DIR "%s", p.cc.program) < 0))
                        goto fail;
                p.active = p.cc.used || p.cxx.used || p.go.used;
                r = summarize(in, &p);
        }
        if (r < 0 || !p.summary)
                goto fail;
        *ret = p;
        return 0;
fail:
        accel_plan_clear(&p);
        return -ENOMEM;
}

char **accel_step_env(const struct accel_plan *p, enum xb_arch arch, char *const *env) {
        const struct arch_info *ai = arch_info(arch);
        char **e = strv_copy(env);
        const char *path = strv_env_get(env, "PATH");
        _cleanup_free_ char *newpath = NULL;

        if (!e)
                return NULL;
        if (!p->active)
                return e;
        if (asprintf(&newpath, ACCEL_NATIVE_DIR "/bin:%s", path ? path : "/usr/local/bin:/usr/bin:/bin") < 0 ||
            strv_env_set(&e, "PATH", newpath) < 0)
                return strv_free(e);
        if (p->go.used) {
                /* The host's Go cross-compiles: it must be told the target, and cgo (off by
                 * default when GOARCH is not the host's) stays on as in the native build. */
                if ((!strv_env_get(e, "GOOS") && strv_env_set(&e, "GOOS", "linux") < 0) ||
                    (!strv_env_get(e, "GOARCH") && strv_env_set(&e, "GOARCH", ai->goarch) < 0) ||
                    (ai->goarm && !strv_env_get(e, "GOARM") && strv_env_set(&e, "GOARM", ai->goarm) < 0) ||
                    (!strv_env_get(e, "CGO_ENABLED") && strv_env_set(&e, "CGO_ENABLED", "1") < 0))
                        return strv_free(e);
        }
        return e;
}

/* dpkg's database of the host and of a root made of layers (the topmost that has one wins,
 * as in the overlay). */
#define DPKG_STATUS "var/lib/dpkg/status"
#define MAX_STATUS (256U << 20)

/* A layer's dpkg status, opened inside the layer (its symlinks resolved there, never on the
 * host) and only when it is a regular file. */
static int read_layer_status(const char *layer, char **ret) {
        _cleanup_close_ int dir = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -EBADF;
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        struct stat st;

        if (dir < 0)
                return -errno;
        fd = (int) syscall(SYS_openat2, dir, DPKG_STATUS, &how, sizeof how);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        return read_full_fd(fd, MAX_STATUS, ret, NULL);
}

int accel_decide_here(enum accel_mode mode, bool recipe_allows, enum xb_arch a, char *const *layers,
                      struct accel_plan *ret) {
        _cleanup_free_ char *host = NULL, *root = NULL;
        struct utsname u = {0};

        /* The native programs are x86_64's (the cross compilers' host, the loader's path). */
        if (mode != ACCEL_OFF && (uname(&u) < 0 || !streq(u.machine, "x86_64"))) {
                *ret = (struct accel_plan){.mode = mode};
                return asprintf(&ret->summary, "%s: the accelerated chroot runs x86_64 compilers and this host is %s",
                                mode == ACCEL_ON ? "--accelerate=on, but" : "emulated", u.machine[0] ? u.machine : "unknown") < 0
                               ? -ENOMEM : 0;
        }
        STRV_FOREACH(l, layers) {
                int r = read_layer_status(*l, &root);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0)
                        break;
        }
        (void) read_full_file("/" DPKG_STATUS, MAX_STATUS, &host, NULL);
        struct accel_inputs in = {.mode = mode, .recipe_allows = recipe_allows, .arch = a, .chroot_status = root,
                                  .host_status = host};
        return accel_decide(&in, ret);
}
