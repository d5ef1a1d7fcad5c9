/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "binfmt/binfmt.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "chroot-root.h"
#include "rootfs/prepare.h"

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) {
        (void) sig;
        interrupted = 1;
        if (spawn_running_pid > 0)
                (void) kill(spawn_running_pid, SIGTERM);
}

void signals_forward_install(bool ignore_sigint) {
        struct sigaction sa = {.sa_handler = on_signal};
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
        if (ignore_sigint)
                (void) signal(SIGINT, SIG_IGN);
        else
                (void) sigaction(SIGINT, &sa, NULL);
}

bool signals_interrupted(void) {
        return interrupted;
}

void root_setup_clear(struct root_setup *s) {
        free(s->base);
        free(s->deps_upper);
        free(s->log_path);
        *s = (struct root_setup){0};
}

int root_setup(const struct cache *cache, const struct rootfs_def *rf, enum xb_arch a, char *const *deps,
               struct root_setup *ret) {
        struct root_setup s = {.cache = cache, .rf = rf};
        struct binfmt_setup_result br;
        struct rootfs_prep p = {0};
        _cleanup_free_ char *logs = NULL, *logname = NULL;
        bool created;
        int r;

        if (geteuid() != 0)
                return log_error("The chroot strategy and 'xbuild run' need root (mount namespaces, overlayfs)"),
                       XB_EXIT_HOST_MISSING;
        if (!rootfs_def_supports_arch(s.rf, a)) {
                log_error("rootfs '%s' has no %s variant", s.rf->name, arch_to_string(a));
                root_setup_clear(&s);
                return XB_EXIT_BAD_INPUT;
        }
        r = binfmt_setup(BINFMT_MNT, NULL, BINFMT_STATE_FILE, a, false, &br);
        if (r == -ENOENT || r == -EACCES) {
                log_error("qemu-user-static is needed to run %s programs: apt-get install qemu-user-static", arch_to_string(a));
                root_setup_clear(&s);
                return XB_EXIT_HOST_MISSING;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to set up binfmt_misc for %s: %m", arch_to_string(a));
                root_setup_clear(&s);
                return XB_EXIT_HOST_MISSING;
        }
        if (br.action == BINFMT_CONFLICT) {
                log_error("binfmt_misc entries that would run %s programs are unfit: %s. See 'xbuild binfmt status'; "
                          "'xbuild binfmt install --force' disables them", arch_to_string(a), br.detail);
                root_setup_clear(&s);
                return XB_EXIT_HOST_MISSING;
        }
        if (br.action == BINFMT_REGISTERED)
                log_info("Registered %s in binfmt_misc for %s", br.name, arch_to_string(a));

        logs = cache_sub(s.cache, "logs", NULL);
        if (!logs || mkdir_p(logs, 0755) < 0 || asprintf(&logname, "rootfs-%s-%s.log", s.rf->name, arch_to_string(a)) < 0 ||
            !(s.log_path = path_join(logs, logname))) {
                root_setup_clear(&s);
                return log_error_errno(-ENOMEM, "Failed to prepare logs: %m"), XB_EXIT_BUILD_FAILED;
        }
        p.cache = s.cache;
        p.http = (struct http_opts){.retries = 3};
        p.log_path = s.log_path;
        p.echo = log_get_max_level() >= LOG_LEVEL_DEBUG;
        if (!rootfs_is_prepared(s.cache, s.rf, a))
                log_info("Preparing root file system %s for %s with %s; the first time takes minutes (log: %s)",
                         s.rf->name, arch_to_string(a), rootfs_provider_to_string(s.rf->provider), s.log_path);
        r = rootfs_prepare_base(s.rf, a, &p, &s.base, &created);
        if (r < 0) {
                log_error("Failed to prepare rootfs '%s' for %s: %s", s.rf->name, arch_to_string(a), p.msg[0] ? p.msg : xb_strerror(r));
                root_setup_clear(&s);
                return xb_exit_code_for(r) == XB_EXIT_BAD_INPUT ? XB_EXIT_BAD_INPUT : XB_EXIT_HOST_MISSING;
        }
        if (created)
                log_info("Prepared %s", s.base);
        if (deps && deps[0]) {
                log_debug("Build dependencies: %zu packages", strv_length(deps));
                r = rootfs_prepare_deps(s.rf, a, s.base, deps, &p, &s.deps_upper, &created);
                if (r < 0) {
                        log_error("Failed to install build dependencies into '%s': %s", s.rf->name, p.msg[0] ? p.msg : xb_strerror(r));
                        root_setup_clear(&s);
                        return XB_EXIT_HOST_MISSING;
                }
                if (created)
                        log_info("Installed build dependencies (log: %s)", s.log_path);
        }
        size_t k = 0;
        if (s.deps_upper)
                s.lowers[k++] = s.deps_upper;
        s.lowers[k++] = s.base;
        s.lowers[k] = NULL;
        *ret = s;
        return 0;
}
