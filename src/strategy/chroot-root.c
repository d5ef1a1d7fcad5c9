/* SPDX-License-Identifier: MIT */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

#include "binfmt/binfmt.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strv.h"
#include "chroot-root.h"
#include "pipeline.h"
#include "rootfs/prepare.h"

void root_setup_clear(struct root_setup *s) {
        free(s->base);
        free(s->deps_upper);
        free(s->log_path);
        *s = (struct root_setup){0};
}

/* The effective capability, not the uid: root in a container may lack it, and unshare(2)
 * would then fail deep inside the session helper. */
static bool have_cap_sys_admin(void) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {0};
        if (syscall(SYS_capget, &h, d) < 0)
                return false;
        return d[CAP_SYS_ADMIN / 32].effective & (1U << (CAP_SYS_ADMIN % 32));
}

int root_setup(const struct cache *cache, const struct rootfs_def *rf, enum xb_arch a, char *const *deps,
               struct root_setup *ret, struct xb_detail *err) {
        _cleanup_(root_setup_clear) struct root_setup s = {.cache = cache, .rf = rf};
        struct binfmt_setup_result br;
        struct rootfs_prep p = {0};
        _cleanup_(xb_detail_clear) struct xb_detail e = {0}, be = {0};
        _cleanup_free_ char *logs = NULL, *logname = NULL;
        bool created;
        int r;

        if (geteuid() != 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                    "The chroot strategy and 'xbuild run' need root (mount namespaces, overlayfs)");
        if (!have_cap_sys_admin())
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "Running as root without CAP_SYS_ADMIN (a container that dropped it?): xbuild cannot "
                                     "create the mount namespaces and overlays an ARM root needs. Run it where root has "
                                     "CAP_SYS_ADMIN, or use --strategy=cross or remote");
        if (!rootfs_def_supports_arch(s.rf, a))
                return xb_detail_set(err, -XB_E_RECIPE_VALUE, "rootfs '%s' has no %s variant", s.rf->name, arch_to_string(a));
        r = binfmt_setup(BINFMT_MNT, NULL, BINFMT_STATE_FILE, a, false, &br, &be);
        if (r == -ENOENT || r == -EACCES)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                    "qemu-user-static is needed to run %s programs: apt-get install qemu-user-static",
                                    arch_to_string(a));
        if (r < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "Failed to set up binfmt_misc for %s: %s", arch_to_string(a),
                                    xb_detail_text(&be, r));
        if (br.action == BINFMT_CONFLICT)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                    "binfmt_misc entries that would run %s programs are unfit: %s. See 'xbuild binfmt "
                                    "status'; 'xbuild binfmt install --force' disables them",
                                    arch_to_string(a), br.detail);
        if (br.action == BINFMT_REGISTERED)
                log_info("Registered %s in binfmt_misc for %s", br.name, arch_to_string(a));

        logs = cache_sub(s.cache, "logs", NULL);
        if (!logs || asprintf(&logname, "rootfs-%s-%s.log", s.rf->name, arch_to_string(a)) < 0 ||
            !(s.log_path = path_join(logs, logname)))
                return -ENOMEM;
        if ((r = mkdir_p(logs, 0755)) < 0)
                return xb_detail_set(err, r, "Failed to create '%s': %s", logs, xb_strerror(r));
        p.cache = s.cache;
        p.http = (struct http_opts){.retries = 3};
        p.log_path = s.log_path;
        p.echo = log_get_max_level() >= LOG_LEVEL_DEBUG;
        if (!rootfs_is_prepared(s.cache, s.rf, a))
                log_info("Preparing root file system %s for %s with %s; the first time takes minutes (log: %s)",
                         s.rf->name, arch_to_string(a), rootfs_provider_to_string(s.rf->provider), s.log_path);
        r = rootfs_prepare_base(s.rf, a, &p, &s.base, &created, &e);
        if (r < 0)
                return xb_detail_set(err, xb_exit_code_for(r) == XB_EXIT_BAD_INPUT ? r : -XB_E_NOT_AVAILABLE,
                                    "Failed to prepare rootfs '%s' for %s: %s", s.rf->name, arch_to_string(a),
                                    xb_detail_text(&e, r));
        if (created)
                log_info("Prepared %s", s.base);
        if (deps && deps[0]) {
                log_debug("Build dependencies: %zu packages", strv_length(deps));
                r = rootfs_prepare_deps(s.rf, a, s.base, deps, &p, &s.deps_upper, &created, &e);
                if (r < 0)
                        return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "Failed to install build dependencies into '%s': %s",
                                            s.rf->name, xb_detail_text(&e, r));
                if (created)
                        log_info("Installed build dependencies (log: %s)", s.log_path);
        }
        size_t k = 0;
        if (s.deps_upper)
                s.lowers[k++] = s.deps_upper;
        s.lowers[k++] = s.base;
        s.lowers[k] = NULL;
        *ret = s;
        s = (struct root_setup){0};
        return 0;
}

int root_setup_probe(struct build_job *job) {
        if (geteuid() != 0)
                return build_fail(job, XB_EXIT_HOST_MISSING, "The %s strategy needs root (mount namespaces, overlayfs)",
                                  strategy_to_string(job->ops->id));
        if (!have_cap_sys_admin())
                return build_fail(job, XB_EXIT_HOST_MISSING,
                                  "Running as root without CAP_SYS_ADMIN (a container that dropped it?): the %s strategy "
                                  "cannot create the mount namespaces it needs. Use --strategy=cross or remote",
                                  strategy_to_string(job->ops->id));
        return 0;
}

int root_setup_for_job(struct build_job *job, char *const *deps, struct root_setup *ret) {
        struct xb_detail e = {0};
        int r = root_setup(job->cache, job->rootfs, job->plan->arch, deps, ret, &e);
        return r < 0 ? build_fail_error(job, r, &e) : 0;
}
