/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "gitsrc.h"

DEFINE_FREEP(git_repository, git_repository_free)
DEFINE_FREEP(git_object, git_object_free)
DEFINE_FREEP(git_remote, git_remote_free)
DEFINE_FREEP(git_commit, git_commit_free)

static void lib_init(void) {
        static bool done = false;
        if (!done) {
                (void) git_libgit2_init();
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

static int fetch_into(git_repository *repo, const char *url, struct git_msg *m) {
        _cleanup_(git_remote_freep) git_remote *remote = NULL;
        char *specs[] = {(char *) "+refs/heads/*:refs/heads/*", (char *) "+refs/tags/*:refs/tags/*"};
        git_strarray refspecs = {specs, 2};
        git_fetch_options fo;

        (void) git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);

        /* Tags come through the refspec; pruning keeps the mirror equal to upstream. */
        fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
        fo.prune = GIT_FETCH_PRUNE;
        if (git_remote_create_anonymous(&remote, repo, url) < 0)
                return git_fail(m, "bad remote URL");
        if (git_remote_fetch(remote, &refspecs, &fo, NULL) < 0)
                return git_fail(m, "fetch failed");
        return 0;
}

int gitsrc_mirror(const struct cache *c, const char *url, const char *ref, const char *commit,
                  char **ret_path, bool *ret_fetched, struct git_msg *m) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        _cleanup_free_ char *name = NULL, *path = NULL, *partial = NULL;
        _cleanup_close_ int lock = -EBADF;
        char key[SHA256_HEX_LEN + 1];
        int r;

        lib_init();
        *ret_fetched = false;
        if (url[0] == '-') {
                (void) snprintf(m->text, sizeof m->text, "URL must not start with '-'");
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
                r = fetch_into(repo, url, m);
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
                r = fetch_into(repo, url, m);
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

int gitsrc_checkout(const char *repo_path, const char *commit, const char *dest, struct git_msg *m) {
        _cleanup_(git_repository_freep) git_repository *repo = NULL;
        _cleanup_(git_commit_freep) git_commit *c = NULL;
        _cleanup_free_ char *partial = NULL;
        git_checkout_options co;
        git_oid oid;
        int r = 0;

        lib_init();
        (void) git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
        if (path_exists(dest))
                return -EEXIST;
        if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
                return git_fail(m, "cannot open the repository");
        if (git_oid_fromstr(&oid, commit) < 0 || git_commit_lookup(&c, repo, &oid) < 0)
                return git_fail(m, "pinned commit not found");
        if (asprintf(&partial, "%s.partial-%d", dest, (int) getpid()) < 0)
                return -ENOMEM;
        (void) rm_rf(partial);
        if (mkdir(partial, 0755) < 0)
                return -errno;
        /* The repository, its HEAD and index stay as they are: only files are written. */
        co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
        co.target_directory = partial;
        if (git_checkout_tree(repo, (git_object *) c, &co) < 0)
                r = git_fail(m, "checkout failed");
        if (r >= 0 && rename(partial, dest) < 0)
                r = -errno;
        if (r < 0)
                (void) rm_rf(partial);
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
