/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chroot/session.h"
#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "core/signals.h"
#include "core/strv.h"
#include "fetch-opts.h"
#include "strategy/chroot-root.h"
#include "rootfs/prepare.h"

static const char *arg_arch = NULL;
static const char *arg_rootfs = "debian-bookworm";
static const char *arg_cwd = "/";
static bool arg_keep = false;
static struct session_bind arg_binds[16];
static size_t arg_n_binds = 0;
static char **arg_bind_copies = NULL; /* the strings arg_binds points into */

static const char usage[] =
        "Usage: xbuild run --arch ARCH [OPTIONS] -- CMD [ARGS...]\n"
        "\n"
        "Run an ARM program on this host: in a throw-away overlay on the cached root file system,\n"
        "in private mount, PID, UTS and IPC namespaces, executed by qemu-user through binfmt_misc.\n"
        "The exit status of CMD is xbuild's.\n"
        "\n"
        "Options:\n"
        "  -a, --arch=ARCH       armhf, armel or arm64 (required)\n"
        "      --rootfs=NAME     A rootfs definition, name or path (default: debian-bookworm)\n"
        "      --bind=SRC:DST[:ro]  Make the host directory SRC visible at DST (repeatable)\n"
        "      --cwd=DIR         Working directory inside (default: /)\n"
        "      --keep            Keep the session directory for inspection\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        switch (c) {
        case 'a':
                arg_arch = arg;
                return 0;
        case 0x700:
                arg_rootfs = arg;
                return 0;
        case 0x701: {
                if (arg_n_binds == ELEMENTSOF(arg_binds))
                        return cli_usage_error("run", "at most %zu --bind", ELEMENTSOF(arg_binds)), -1;
                char *copy = strdup(arg), *colon = copy ? strchr(copy, ':') : NULL;
                if (!colon)
                        return free(copy), cli_usage_error("run", "--bind takes SRC:DST[:ro]"), -1;
                *colon = 0;
                char *dst = colon + 1, *ro = strrchr(dst, ':');
                bool readonly = ro && streq(ro, ":ro");
                if (readonly)
                        *ro = 0;
                if (!path_is_dir(copy) || dst[0] != '/')
                        return free(copy), cli_usage_error("run", "--bind %s: SRC must be a directory and DST absolute", arg), -1;
                if (strv_consume(&arg_bind_copies, copy) < 0)
                        return log_error_errno(-ENOMEM, "Failed to parse --bind: %m"), -1;
                arg_binds[arg_n_binds++] = (struct session_bind){copy, dst, readonly};
                return 0;
        }
        case 0x702:
                arg_cwd = arg;
                return 0;
        case 0x703:
                arg_keep = true;
                return 0;
        default:
                return -1;
        }
}

int cmd_run(int argc, char **argv) {
        static const struct option opts[] = {{"arch", required_argument, NULL, 'a'},
                                             {"rootfs", required_argument, NULL, 0x700},
                                             {"bind", required_argument, NULL, 0x701},
                                             {"cwd", required_argument, NULL, 0x702},
                                             {"keep", no_argument, NULL, 0x703},
                                             {0}};
        _cleanup_(session_freep) struct session *s = NULL;
        _cleanup_strv_free_ char **env = NULL, **bind_copies = NULL;
        _cleanup_(rootfs_def_freep) struct rootfs_def *rf = NULL;
        _cleanup_(cache_freep) struct cache *cache = NULL;
        _cleanup_(root_setup_clear) struct root_setup rs = {0};
        _cleanup_(spawn_result_clear) struct spawn_result res = {0};
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        enum xb_arch a;
        int r, ret, first;

        r = cli_parse(argc, argv, "a:", opts, usage, handle);
        bind_copies = TAKE_PTR(arg_bind_copies); /* freed on every return from here */
        if (r <= 0)
                return -r;
        first = r;
        if (first >= argc)
                return cli_usage_error("run", "missing CMD (after --)");
        if (!arg_arch)
                return cli_usage_error("run", "--arch is required");
        a = arch_from_string(arg_arch);
        if (a < 0)
                return cli_usage_error("run", "unknown architecture '%s' (armhf, armel, arm64)", arg_arch);
        if ((ret = cli_load_rootfs(arg_rootfs, &rf)) != 0 || (ret = cli_open_cache(&cache)) != 0)
                return ret;
        if ((r = root_setup(cache, rf, a, NULL, &rs, &e)) < 0)
                return cli_report_error(r, &e);

        r = session_create(rs.cache->root, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to create a session: %m"), XB_EXIT_BUILD_FAILED;
        if (!(env = rootfs_base_env())) {
                (void) session_destroy(s, false);
                return log_error_errno(-ENOMEM, "Failed to start the session: %m"), XB_EXIT_BUILD_FAILED;
        }
        char hostname[64];
        (void) snprintf(hostname, sizeof hostname, "xbuild-%s", arch_to_string(a));
        struct session_spec spec = {.lowers = rs.lowers, .binds = arg_binds, .n_binds = arg_n_binds,
                                    .env = env, .cwd = arg_cwd, .hostname = hostname};
        struct spawn_req io = {.stdin_fd = STDIN_FILENO, .output = SPAWN_OUTPUT_INHERIT};
        signals_forward_install(true);
        r = session_exec(s, &spec, argv + first, &io, &res);
        if (r < 0) {
                (void) log_error_errno(r, "Failed to start the session: %m");
                ret = XB_EXIT_BUILD_FAILED;
        } else
                ret = res.signal ? 128 + res.signal : res.exit_code;

        r = session_destroy(s, arg_keep);
        if (arg_keep)
                log_info("Session kept in %s", s->dir);
        else if (r < 0) {
                _cleanup_free_ char *why = r == -EBUSY ? session_busy_reason(s) : NULL;
                if (why)
                        log_error("%s", why);
                else
                        log_error_errno(r, "Failed to remove the session %s: %m", s->dir);
                /* Something left on the host outranks the command's own status. */
                ret = XB_EXIT_CLEANUP_INCOMPLETE;
        }
        return ret;
}
