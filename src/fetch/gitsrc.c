/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <time.h>
#include <git2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/fileio.h"
#include "core/path.h"
#include "core/strv.h"
#include "core/rm-rf.h"
#include "core/url.h"
#include "gitsrc.h"

DEFINE_FREEP(git_repository, git_repository_free)
DEFINE_FREEP(git_object, git_object_free)
DEFINE_FREEP(git_remote, git_remote_free)
DEFINE_FREEP(git_commit, git_commit_free)

static void lib_shutdown(void) {
        (void) git_libgit2_shutdown();
}

/* libgit2's global state (and the caches of its transports) is released at exit, so leak
 * checkers see only our own mistakes. */
static void lib_init(void) {
        static bool done = false;
        if (!done) {
                (void) git_libgit2_init();
                (void) atexit(lib_shutdown);
                done = true;
        }
}

/* libgit2's message for the last failure, at the boundary. */
static int git_fail(struct git_msg *m, const char *what) {
        const git_error *e = git_error_last();
        (void) snprintf(m->text, sizeof m->text, "%s: %s", what, e && e->message ? e->message : "unknown error");
        return -XB_E_GIT;
}

bool gitsrc_is_repository(const char *path) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        lib_init();
        return git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0;
}

/* ref -> commit id, trying the name as given, then as a tag, a branch, and origin's branch. */
static int resolve_ref(git_repository *repo, const char *ref, git_oid *ret) {
        static const char *const prefixes[] = {"", "refs/tags/", "refs/heads/", "refs/remotes/origin/"};
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                _cleanup_(git_object_freep) git_object *obj = NULL, *peeled = NULL;
                char spec[1024];
                (void) snprintf(spec, sizeof spec, "%s%s", prefixes[i], ref);
                if (git_revparse_single(&obj, repo, spec) < 0)
                        continue;
                if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0)
                        continue;
                git_oid_cpy(ret, git_object_id(peeled));
                return 0;
        }
        return -ENOENT;
}

static int verify_in(git_repository *repo, const char *ref, const char *commit, bool require_ref,
                     struct git_msg *m) {
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        git_oid want, got;

        m->ref_missing = false;
        if (git_oid_fromstr(&want, commit) < 0) {
                (void) snprintf(m->text, sizeof m->text, "'%s' is not a commit id", commit);
                return -XB_E_GIT;
        }
        if (resolve_ref(repo, ref, &got) < 0) {
                if (require_ref) {
                        (void) snprintf(m->text, sizeof m->text, "ref '%s' not found", ref);
                        return -XB_E_GIT_PIN;
                }
                m->ref_missing = true;
        } else if (!git_oid_equal(&want, &got)) {
                git_oid_tostr(m->resolved, sizeof m->resolved, &got);
                (void) snprintf(m->text, sizeof m->text, "ref '%s' resolves to %s, but the recipe pins %s",
                                ref, m->resolved, commit);
                return -XB_E_GIT_PIN;
        }
        if (git_commit_lookup(&c, repo, &want) < 0) {
                (void) snprintf(m->text, sizeof m->text, "pinned commit %s is not in the repository", commit);
                return -XB_E_GIT_PIN;
        }
        return 0;
}

int gitsrc_verify_pin(const char *repo_path, const char *ref, const char *commit, bool require_ref,
                      struct git_msg *m) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;

        lib_init();
        if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
                return git_fail(m, "cannot open the repository");
        return verify_in(repo, ref, commit, require_ref, m);
}

static int on_transfer_progress(const git_indexer_progress *st, void *payload) {
        const struct gitsrc_fetch_opts *fo = payload;
        fo->transfer(fo->transfer_userdata, "objects", st->received_objects, st->total_objects);
        return 0;
}

static int fetch_into(git_repository *repo, const char *url, const struct gitsrc_fetch_opts *prog,
                      struct git_msg *m) {
        _cleanup_(git_remote_freep) git_remote *remote = NULL;
        char *specs[] = {(char *) "+refs/heads/*:refs/heads/*", (char *) "+refs/tags/*:refs/tags/*"};
        git_strarray refspecs = {specs, 2};
        git_fetch_options fo;

        (void) git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);

        /* Tags come through the refspec; pruning keeps the mirror equal to upstream. */
        fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
        fo.prune = GIT_FETCH_PRUNE;
        if (prog && prog->transfer) {
                fo.callbacks.transfer_progress = on_transfer_progress;
                fo.callbacks.payload = (void *) prog;
        }
        if (git_remote_create_anonymous(&remote, repo, url) < 0)
                return git_fail(m, "bad remote URL");
        if (git_remote_fetch(remote, &refspecs, &fo, NULL) < 0)
                return git_fail(m, "fetch failed");
        return 0;
}

int gitsrc_mirror(const struct cache *c, const char *url, const char *ref, const char *commit,
                  const struct gitsrc_fetch_opts *fo, char **ret_path, bool *ret_fetched,
                  struct git_msg *m) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        _cleanup_free_ char *name = NULL, *path = NULL, *partial = NULL;
        _cleanup_close_ int lock = -EBADF;
        char key[SHA256_HEX_LEN + 1];
        int r;

        lib_init();
        *ret_fetched = false;
        if (url_git_smuggles_option(url)) {
                (void) snprintf(m->text, sizeof m->text, "URL '%s' must not start with '-' nor have a user or host starting with '-'", url);
                return -XB_E_FETCH_SCHEME;
        }
        if (sha256_string(url, key) < 0 || asprintf(&name, "%s.git", key) < 0 ||
            !(path = cache_sub(c, "git", name)))
                return -ENOMEM;
        r = cache_lock(c, name, NULL, &lock);
        if (r < 0)
                return r;

        if (path_is_dir(path)) {
                if (git_repository_open_bare(&repo, path) < 0)
                        return git_fail(m, "cannot open the cached mirror");
                /* Offline and warm: nothing to fetch when the pin already holds. */
                if (verify_in(repo, ref, commit, true, m) == 0) {
                        *ret_path = TAKE_PTR(path);
                        return 0;
                }
                r = fetch_into(repo, url, fo, m);
                if (r < 0)
                        return r;
                *ret_fetched = true;
        } else {
                /* A new mirror appears whole or not at all. */
                if (asprintf(&partial, "%s.partial-%d", path, (int) getpid()) < 0)
                        return -ENOMEM;
                (void) rm_rf(partial);
                if (git_repository_init(&repo, partial, 1) < 0)
                        return git_fail(m, "cannot create the mirror");
                r = fetch_into(repo, url, fo, m);
                git_repository_free(TAKE_PTR(repo));
                if (r >= 0 && rename(partial, path) < 0)
                        r = -errno;
                if (r < 0) {
                        (void) rm_rf(partial);
                        return r;
                }
                *ret_fetched = true;
                if (git_repository_open_bare(&repo, path) < 0)
                        return git_fail(m, "cannot open the new mirror");
        }
        r = verify_in(repo, ref, commit, true, m);
        if (r < 0)
                return r;
        *ret_path = TAKE_PTR(path);
        return 0;
}

DEFINE_FREEP(git_tree, git_tree_free)
DEFINE_FREEP(git_blob, git_blob_free)

static bool tree_name_safe(const char *n) {
        /* git refuses these; a crafted repository might not. */
        return *n && !strchr(n, '/') && !streq(n, ".") && !streq(n, "..") && strcasecmp(n, ".git") != 0;
}

/* Writes a tree's entries below dirfd: what 'git archive | tar x' would give, without needing a
 * work tree (libgit2's checkout wants one as soon as a submodule appears). Submodules become
 * empty directories; every timestamp is the commit's, so builds see reproducible mtimes. */
struct gitlink {
        char path[1024];
        char oid[GIT_OID_HEXSZ + 1];
};

struct gitlinks {
        struct gitlink *v;
        size_t n;
};

static int gitlinks_add(struct gitlinks *l, const char *path, const git_oid *oid) {
        struct gitlink *v = realloc(l->v, (l->n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        l->v = v;
        (void) snprintf(v[l->n].path, sizeof v[l->n].path, "%s", path);
        git_oid_tostr(v[l->n].oid, sizeof v[l->n].oid, oid);
        l->n++;
        return 0;
}

static int write_tree(git_repository *repo, const git_tree *tree, int dirfd, const char *prefix,
                      const struct timespec ts[2], struct gitlinks *links, struct git_msg *m) {
        size_t n = git_tree_entrycount(tree);
        char path[1024];

        for (size_t i = 0; i < n; i++) {
                const git_tree_entry *e = git_tree_entry_byindex(tree, i);
                const char *name = git_tree_entry_name(e);
                git_filemode_t mode = git_tree_entry_filemode(e);
                int r = 0;

                (void) snprintf(path, sizeof path, "%s%s", prefix, name);
                if (!tree_name_safe(name)) {
                        (void) snprintf(m->text, sizeof m->text, "refusing tree entry '%s'", name);
                        return -XB_E_ARCHIVE_UNSAFE;
                }
                if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
                        _cleanup_(git_tree_freep) git_tree *sub = NULL;
                        _cleanup_close_ int fd = -EBADF;
                        if (mkdirat(dirfd, name, 0755) < 0)
                                return -errno;
                        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                return -errno;
                        if (mode == GIT_FILEMODE_TREE) {
                                char sub_prefix[1024];
                                if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0)
                                        return git_fail(m, path);
                                (void) snprintf(sub_prefix, sizeof sub_prefix, "%s/", path);
                                r = write_tree(repo, sub, fd, sub_prefix, ts, links, m);
                                if (r < 0)
                                        return r;
                        } else if ((r = gitlinks_add(links, path, git_tree_entry_id(e))) < 0)
                                return r;
                        if (futimens(fd, ts) < 0)
                                return -errno;
                        continue;
                }
                _cleanup_(git_blob_freep) git_blob *blob = NULL;
                if ((r = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0) {
                        if (r != GIT_ENOTFOUND)
                                return git_fail(m, path);
                        /* A partial clone, or a snapshot that left a large file out: say so. */
                        char id[GIT_OID_HEXSZ + 1];
                        (void) git_oid_tostr(id, sizeof id, git_tree_entry_id(e));
                        (void) snprintf(m->text, sizeof m->text,
                                        "the repository is incomplete: it lacks '%s' (blob %s), which the pinned commit "
                                        "needs (a partial clone or a snapshot without that file?); fetch it whole",
                                        path, id);
                        return -XB_E_NOT_FOUND; /* the input is incomplete: exit 2 */
                }
                const void *data = git_blob_rawcontent(blob);
                size_t size = (size_t) git_blob_rawsize(blob);
                if (mode == GIT_FILEMODE_LINK) {
                        _cleanup_free_ char *target = strndup(data, size);
                        if (!target)
                                return -ENOMEM;
                        if (strlen(target) != size || symlinkat(target, dirfd, name) < 0)
                                return strlen(target) != size ? -XB_E_ARCHIVE_UNSAFE : -errno;
                } else {
                        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                                        mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
                        if (fd < 0)
                                return -errno;
                        r = write_all(fd, data, size);
                        if (r < 0)
                                return r;
                }
                if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        return 0;
}

/* "../lib.git" against "https://host/org/app.git" is "https://host/org/lib.git". */
static char *resolve_submodule_url(const char *base, const char *rel) {
        if (!strneq(rel, "./", 2) && !strneq(rel, "../", 3))
                return strdup(rel);
        _cleanup_free_ char *b = strdup(base);
        if (!b)
                return NULL;
        size_t n = strlen(b);
        while (n > 0 && b[n - 1] == '/')
                b[--n] = 0;
        for (;;) {
                if (strneq(rel, "./", 2))
                        rel += 2;
                else if (strneq(rel, "../", 3)) {
                        char *s = strrchr(b, '/');
                        if (s)
                                *s = 0;
                        rel += 3;
                } else
                        break;
        }
        char *r = NULL;
        return asprintf(&r, "%s/%s", b, rel) < 0 ? NULL : r;
}

static int checkout_submodules(const char *root, const struct gitlinks *links,
                               const struct gitsrc_submodules *sub, struct git_msg *m);

/* Whether path opens as a repository (a submodule's work tree finds its .git file) holding
 * commit. */
static bool repository_has_commit(const char *path, const char *commit) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        git_oid oid;
        return git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 &&
               git_oid_fromstr(&oid, commit) == 0 && git_commit_lookup(&c, repo, &oid) == 0;
}

/* PATH for "URL=PATH" in mirrors whose URL is url (a trailing ".git" or '/' ignored). */
static const char *mirror_for(char *const *mirrors, const char *url) {
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
                n--;
        if (n > 4 && strneq(url + n - 4, ".git", 4))
                n -= 4;
        STRV_FOREACH(e, mirrors) {
                const char *eq = strrchr(*e, '=');
                if (!eq)
                        continue;
                size_t k = (size_t) (eq - *e);
                while (k > 0 && (*e)[k - 1] == '/')
                        k--;
                if (k > 4 && strneq(*e + k - 4, ".git", 4))
                        k -= 4;
                if (k == n && strneq(*e, url, n))
                        return eq + 1;
        }
        return NULL;
}

static int checkout_into(const char *repo_path, const char *commit, const char *partial,
                         const struct gitsrc_submodules *sub, struct git_msg *m) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        _cleanup_(git_tree_freep) git_tree *tree = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct gitlinks links = {0};
        git_oid oid;
        int r;

        if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
                return git_fail(m, "cannot open the repository");
        if (git_oid_fromstr(&oid, commit) < 0 || git_commit_lookup(&c, repo, &oid) < 0)
                return git_fail(m, "pinned commit not found");
        if (git_commit_tree(&tree, c) < 0)
                return git_fail(m, "cannot read the commit's tree");
        const struct timespec ts[2] = {{.tv_sec = (time_t) git_commit_time(c)}, {.tv_sec = (time_t) git_commit_time(c)}};
        fd = open(partial, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = fd < 0 ? -errno : write_tree(repo, tree, fd, "", ts, &links, m);
        if (r >= 0 && sub && sub->cache && links.n > 0)
                r = checkout_submodules(partial, &links, sub, m);
        if (r >= 0 && futimens(fd, ts) < 0)
                r = -errno;
        free(links.v);
        return r;
}

static int checkout_submodules(const char *root, const struct gitlinks *links,
                               const struct gitsrc_submodules *sub, struct git_msg *m) {
        _cleanup_free_ char *gm = path_join(root, ".gitmodules");
        git_config *cfg = NULL;
        int r = 0;

        if (!gm)
                return -ENOMEM;
        if (git_config_open_ondisk(&cfg, gm) < 0) {
                (void) snprintf(m->text, sizeof m->text, "the tree has submodules but no readable .gitmodules");
                return -XB_E_GIT;
        }
        for (size_t i = 0; r >= 0 && i < links->n; i++) {
                const struct gitlink *l = &links->v[i];
                _cleanup_free_ char *url = NULL, *mirror = NULL, *dir = NULL;
                git_config_iterator *it = NULL;
                git_config_entry *e;
                bool fetched;

                /* Find submodule.NAME.path == l->path, then its url. */
                if (git_config_iterator_glob_new(&it, cfg, "^submodule\\..*\\.path$") < 0) {
                        r = git_fail(m, ".gitmodules");
                        break;
                }
                while (!url && git_config_next(&e, it) == 0)
                        if (streq(e->value, l->path)) {
                                char key[1024];
                                git_buf b = {0};
                                size_t kl = strlen(e->name) - strlen(".path");
                                (void) snprintf(key, sizeof key, "%.*s.url", (int) kl, e->name);
                                if (git_config_get_string_buf(&b, cfg, key) == 0) {
                                        url = resolve_submodule_url(sub->url, b.ptr);
                                        git_buf_dispose(&b);
                                }
                        }
                git_config_iterator_free(it);
                if (!url) {
                        (void) snprintf(m->text, sizeof m->text, "submodule '%s' has no URL in .gitmodules", l->path);
                        r = -XB_E_GIT;
                        break;
                }
                if (url_git_smuggles_option(url)) {
                        (void) snprintf(m->text, sizeof m->text, "submodule '%s' URL must not start with '-' nor have a user or host starting with '-'", l->path);
                        r = -XB_E_FETCH_SCHEME;
                        break;
                }
                /* The gitlink is the pin: the commit is its own object name, so a repository that
                 * has it has exactly this content, wherever it comes from. */
                _cleanup_free_ char *local = sub->local_root ? path_join(sub->local_root, l->path) : NULL;
                const char *mapped = mirror_for(sub->mirrors, url);
                if (local && repository_has_commit(local, l->oid))
                        mirror = TAKE_PTR(local);
                else if (mapped && repository_has_commit(mapped, l->oid)) {
                        if (!(mirror = strdup(mapped))) {
                                r = -ENOMEM;
                                break;
                        }
                } else if (sub->offline) {
                        (void) snprintf(m->text, sizeof m->text,
                                        "submodule '%s' needs commit %s of %s, which neither the checkout nor a "
                                        "--git-mirror has (check it out: git submodule update --init --recursive)",
                                        l->path, l->oid, url);
                        r = -XB_E_GIT;
                        break;
                } else if ((r = gitsrc_mirror(sub->cache, url, l->oid, l->oid, &sub->fetch, &mirror, &fetched, m)) < 0)
                        break;
                if (!(dir = path_join(root, l->path))) {
                        r = -ENOMEM;
                        break;
                }
                _cleanup_free_ char *nested_local = sub->local_root ? path_join(sub->local_root, l->path) : NULL;
                struct gitsrc_submodules nested = {.cache = sub->cache, .url = url, .fetch = sub->fetch,
                                                   .local_root = nested_local, .mirrors = sub->mirrors,
                                                   .offline = sub->offline};
                r = checkout_into(mirror, l->oid, dir, &nested, m);
        }
        git_config_free(cfg);
        return r;
}

int gitsrc_checkout(const char *repo_path, const char *commit, const char *dest,
                    const struct gitsrc_submodules *sub, struct git_msg *m) {
        _cleanup_free_ char *partial = NULL;
        int r;

        lib_init();
        if (path_exists(dest))
                return -EEXIST;
        if (asprintf(&partial, "%s.partial-%d", dest, (int) getpid()) < 0)
                return -ENOMEM;
        (void) rm_rf(partial);
        if (mkdir(partial, 0755) < 0)
                return -errno;
        r = checkout_into(repo_path, commit, partial, sub, m);
        if (r >= 0 && rename(partial, dest) < 0)
                r = -errno;
        if (r < 0) {
                if (!m->text[0])
                        (void) snprintf(m->text, sizeof m->text, "checkout failed: %s", xb_strerror(r));
                (void) rm_rf(partial);
        }
        return r;
}

int gitsrc_commit_time(const char *repo_path, const char *commit, long long *ret) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        git_oid oid;

        lib_init();
        if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
            git_oid_fromstr(&oid, commit) < 0 || git_commit_lookup(&c, repo, &oid) < 0)
                return -XB_E_GIT;
        *ret = (long long) git_commit_time(c);
        return 0;
}
