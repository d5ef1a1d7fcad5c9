/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "build.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "fetch/cache.h"

static int copy_fd(int in, int out) {
        char buf[1 << 16];
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                int r = write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

int build_collect_artifacts(const struct build_ctx *ctx, const char *src_tree) {
        _cleanup_close_ int root = open(src_tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (root < 0)
                return log_error_errno(-errno, "Failed to open the source tree '%s': %m", src_tree), XB_EXIT_BUILD_FAILED;
        if ((r = mkdir_p(ctx->out_dir, 0755)) < 0)
                return log_error_errno(r, "Failed to create '%s': %m", ctx->out_dir), XB_EXIT_BUILD_FAILED;
        for (size_t i = 0; i < ctx->plan->n_artifacts; i++) {
                const struct plan_artifact *a = &ctx->plan->artifacts[i];
                struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
                _cleanup_close_ int in = (int) syscall(SYS_openat2, root, a->path, &how, sizeof how), out = -EBADF;
                _cleanup_free_ char *tmp = NULL, *dest = path_join(ctx->out_dir, a->def->install_as);
                struct stat st;

                if (in < 0)
                        return log_error_errno(-errno, "Artifact '%s' was not produced (%s/%s): %m", a->path, src_tree, a->path),
                               XB_EXIT_BUILD_FAILED;
                if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
                        return log_error("Artifact '%s' is not a regular file", a->path), XB_EXIT_BUILD_FAILED;
                if (!dest || asprintf(&tmp, "%s.tmp-%d", dest, (int) getpid()) < 0)
                        return log_error_errno(-ENOMEM, "Failed to copy '%s': %m", a->path), XB_EXIT_BUILD_FAILED;
                out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 0755);
                if (out < 0)
                        return log_error_errno(-errno, "Failed to create '%s': %m", tmp), XB_EXIT_BUILD_FAILED;
                r = copy_fd(in, out);
                if (r >= 0 && (fchmod(out, st.st_mode & 0755) < 0 || fsync(out) < 0))
                        r = -errno;
                if (r >= 0 && rename(tmp, dest) < 0)
                        r = -errno;
                if (r < 0) {
                        (void) unlink(tmp);
                        return log_error_errno(r, "Failed to write '%s': %m", dest), XB_EXIT_BUILD_FAILED;
                }
                (void) fsync_parent(dest);
                log_info("Artifact: %s", dest);
        }
        return XB_EXIT_OK;
}
