/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "artifacts.h"
#include "core/errors.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/strv.h"
#include "archive/copy.h"
#include "report/build-progress.h"

static int openat2_fd(int dirfd, const char *path, int flags, unsigned long long resolve) {
        struct open_how how = {.flags = (unsigned long long) flags | O_CLOEXEC, .resolve = resolve};
        int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        return fd < 0 ? -errno : fd;
}

static int collect_one(struct build_job *job, int root, int outfd, const struct plan_artifact *a, const char *tree) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        _cleanup_free_ char *tmp = NULL;
        const char *name = a->def->install_as;
        struct stat st;
        int r;

        in = openat2_fd(root, a->path, O_RDONLY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (in < 0)
                return build_fail_errno(job, in, XB_EXIT_BUILD_FAILED, "Artifact '%s' was not produced (%s/%s): %m",
                                        a->path, tree, a->path);
        if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode))
                return build_fail(job, XB_EXIT_BUILD_FAILED, "Artifact '%s' is not a regular file", a->path);
        if (asprintf(&tmp, ".%s.tmp-%d", name, (int) getpid()) < 0)
                return -ENOMEM;
        /* Relative to the output directory's fd and never through a symlink planted there. */
        out = openat(outfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (out < 0)
                return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to create '%s/%s': %m",
                                        job->out_dir, tmp);
        r = copy_fd_data(in, out);
        /* Modes do not follow the umask: the same source gives the same files. */
        if (r >= 0 && (fchmod(out, (st.st_mode & 0111) ? 0755 : 0644) < 0 || fsync(out) < 0))
                r = -errno;
        if (r >= 0 && renameat(outfd, tmp, outfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(outfd, tmp, 0);
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to write '%s/%s': %m", job->out_dir,
                                        name);
        }
        log_info("Artifact: %s/%s", job->out_dir, name);
        return 0;
}

static int read_link(const char *path, char **ret) {
        char buf[4096];
        ssize_t n = readlink(path, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return (*ret = strdup(buf)) ? 0 : -ENOMEM;
}

static bool file_is_elf(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char magic[4];
        return fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
}

static int by_name(const FTSENT **x, const FTSENT **y) {
        return strcmp((*x)->fts_name, (*y)->fts_name);
}

/* The regular files below dir, in name order (a stable report), never following a symlink nor
 * crossing a mount; their sizes added to *bytes. */
static int list_regular_files(const char *dir, char ***ret, unsigned long long *bytes) {
        char *const roots[] = {(char *) dir, NULL};
        _cleanup_strv_free_ char **files = NULL;
        FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, by_name);
        FTSENT *e;
        int r = 0;

        if (!fts)
                return -errno;
        while (r >= 0 && (e = fts_read(fts)))
                if (e->fts_info == FTS_F && S_ISREG(e->fts_statp->st_mode)) {
                        *bytes += (unsigned long long) e->fts_statp->st_size;
                        r = strv_extend(&files, e->fts_path);
                } else if (e->fts_info == FTS_ERR || e->fts_info == FTS_DNR)
                        r = -e->fts_errno;
        (void) fts_close(fts);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(files);
        return 0;
}

/* An install tree: the directory resolved inside the build tree (never through a symlink out of
 * it), copied whole with its links as links, replacing the previous build's. */
static int collect_tree(struct build_job *job, int root, const struct plan_artifact *a, const char *tree) {
        _cleanup_close_ int dir = openat2_fd(root, a->path, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        _cleanup_free_ char *dest = path_join(job->out_dir, a->def->install_as), *real = NULL;
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        char fdpath[64];
        int r;

        if (!dest)
                return -ENOMEM;
        if (dir < 0)
                return build_fail_errno(job, dir, XB_EXIT_BUILD_FAILED, "Artifact tree '%s' was not produced (%s/%s): %m",
                                        a->path, tree, a->path);
        (void) snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", dir);
        /* The directory's own path, as resolved: libarchive walks it physically. */
        if ((r = read_link(fdpath, &real)) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to resolve '%s': %m", a->path);
        if ((r = rm_rf(dest)) < 0 && r != -ENOENT)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to remove the previous '%s': %m", dest);
        if ((r = archive_copy_tree(real, dest, &e)) < 0)
                return build_fail(job, XB_EXIT_BUILD_FAILED, "Failed to copy the tree '%s' to %s: %s", a->path, dest,
                                  xb_detail_text(&e, r));
        log_info("Artifact tree: %s", dest);
        return 0;
}

int artifacts_collect(struct build_job *job, const char *tree) {
        _cleanup_close_ int root = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC), outfd = -EBADF;
        int r;

        if (root < 0)
                return build_fail_errno(job, -errno, XB_EXIT_BUILD_FAILED, "Failed to open the build tree '%s': %m", tree);
        outfd = openat2_fd(AT_FDCWD, job->out_dir, O_PATH | O_DIRECTORY, 0);
        if (outfd < 0)
                return build_fail_errno(job, outfd, XB_EXIT_BUILD_FAILED, "Failed to open '%s': %m", job->out_dir);
        for (size_t i = 0; i < job->plan->n_artifacts; i++) {
                const struct plan_artifact *a = &job->plan->artifacts[i];
                if ((r = a->def->tree ? collect_tree(job, root, a, tree) : collect_one(job, root, outfd, a, tree)) < 0)
                        return r;
        }
        (void) fsync(outfd);
        return 0;
}

void artifacts_result_clear(struct artifacts_result *ar) {
        for (size_t i = 0; i < ar->n_results; i++)
                verify_result_clear(&ar->results[i]);
        free(ar->results);
        *ar = (struct artifacts_result){0};
}

/* Each ELF file of a collected tree, checked for the arch (its libraries and programs), as
 * results of their own; the tree's bytes counted. */
static int verify_tree(struct build_job *job, const char *dest, struct artifacts_result *ar, bool *all_ok) {
        _cleanup_strv_free_ char **files = NULL;
        int r;

        if ((r = list_regular_files(dest, &files, &ar->bytes)) < 0)
                return build_fail_errno(job, r, XB_EXIT_BUILD_FAILED, "Failed to read the tree %s: %m", dest);
        STRV_FOREACH(f, files) {
                if (!file_is_elf(*f))
                        continue;
                struct verify_result *nr = realloc(ar->results, (ar->n_results + 2) * sizeof *nr);
                if (!nr)
                        return -ENOMEM;
                ar->results = nr;
                struct verify_result *v = &ar->results[ar->n_results];
                struct verify_opts o = {.arch = job->plan->arch, .want = ELF_WANT_NOTHING};
                _cleanup_(xb_detail_clear) struct xb_detail err = {0};
                r = verify_artifact(*f, &o, v, &err);
                ar->n_results++;
                if (r < 0)
                        return build_fail(job, XB_EXIT_BUILD_FAILED, "Failed to verify '%s': %s", *f, xb_detail_text(&err, r));
                verify_fprint(job->opts->print_report || build_progress_get_mode() == BUILD_PROGRESS_JSON ? stderr : stdout, v);
                if (!v->ok) {
                        *all_ok = false;
                        log_error("'%s' in the tree %s failed verification", *f, dest);
                }
        }
        return 0;
}

int artifacts_verify(struct build_job *job, char *const *sysroot, struct artifacts_result *ar) {
        const struct plan *p = job->plan;
        bool all_ok = true;
        int r;

        if (!(ar->results = calloc(p->n_artifacts + 1, sizeof *ar->results)))
                return -ENOMEM;
        for (size_t i = 0; i < p->n_artifacts; i++) {
                if (p->artifacts[i].def->tree) {
                        _cleanup_free_ char *tdest = path_join(job->out_dir, p->artifacts[i].def->install_as);
                        if (!tdest)
                                return -ENOMEM;
                        if ((r = verify_tree(job, tdest, ar, &all_ok)) < 0)
                                return r;
                        continue;
                }
                const struct recipe_expect *e = &p->artifacts[i].def->expect;
                _cleanup_free_ char *dest = path_join(job->out_dir, p->artifacts[i].def->install_as);
                struct verify_opts o = {.arch = p->arch,
                                        .want = {.want_static = e->static_link, .want_pie = e->pie,
                                                 .want_library = e->shared_library},
                                        .runs = p->artifacts[i].runs, .outputs = e->run_outputs, .envs = e->run_envs,
                                        .timeout_s = e->timeout, .sysroot = sysroot};
                struct verify_result *nr = realloc(ar->results, (ar->n_results + 2) * sizeof *nr);
                if (!nr)
                        return -ENOMEM;
                ar->results = nr;
                struct verify_result *v = &ar->results[ar->n_results];
                _cleanup_(xb_detail_clear) struct xb_detail err = {0};
                struct stat st;

                if (!dest)
                        return -ENOMEM;
                r = verify_artifact(dest, &o, v, &err);
                ar->n_results++;
                if (r < 0)
                        return build_fail(job, r == -XB_E_NOT_AVAILABLE ? XB_EXIT_HOST_MISSING : XB_EXIT_BUILD_FAILED,
                                          "Failed to verify '%s': %s", dest, xb_detail_text(&err, r));
                if (stat(dest, &st) >= 0)
                        ar->bytes += (unsigned long long) st.st_size;
                /* stdout is the human record of a build, unless it carries JSON. */
                verify_fprint(job->opts->print_report || build_progress_get_mode() == BUILD_PROGRESS_JSON ? stderr : stdout, v);
                build_progress_artifact(p->artifacts[i].def->install_as, dest, v->ok);
                if (!v->ok) {
                        all_ok = false;
                        log_error("Artifact '%s' failed verification", dest);
                }
        }
        if (!all_ok)
                return build_fail(job, XB_EXIT_VERIFY_FAILED, "%s", p->n_artifacts > 1 ? "Artifacts failed verification"
                                                                                       : "The artifact failed verification");
        ar->verified = true;
        return 0;
}
