/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"

/* Git sources through libgit2: a bare mirror per URL in the cache, fetched incrementally; the
 * recipe's ref must resolve to its pinned commit; checkout of that commit's tree into a fresh
 * directory. Submodules are never recursed into. */

struct git_msg {
        char text[512];
        char resolved[41]; /* what the ref resolved to, for the mismatch message */
        bool ref_missing;  /* the ref is not in the repository (pin verified by commit alone) */
};

/* Optional progress of a fetch: transfer(userdata, "objects", received, total) as objects
 * arrive (total 0: not known yet); called often, the callee rate-limits. */
struct gitsrc_fetch_opts {
        void (*transfer)(void *userdata, const char *what, uint64_t done, uint64_t total);
        void *transfer_userdata;
};

/* Creates or updates CACHE/git/URLHASH.git. Skips the network when the mirror already has the
 * pinned commit and the ref resolves to it. fo: NULL for none. */
int gitsrc_mirror(const struct cache *c, const char *url, const char *ref, const char *commit,
                  const struct gitsrc_fetch_opts *fo, char **ret_path, bool *ret_fetched,
                  struct git_msg *m);

/* In repo_path (bare or not): commit must exist; ref, when the repository has it, must resolve
 * (through annotated tags) to commit. require_ref: a missing ref is an error too. */
int gitsrc_verify_pin(const char *repo_path, const char *ref, const char *commit, bool require_ref,
                      struct git_msg *m);

/* Writes commit's tree into dest, which must not exist (a sibling partial dir is renamed).
 * With submodules (and a cache for their mirrors), each gitlink is filled from a mirror of the
 * URL .gitmodules gives for it (relative URLs against url), at the commit the tree pins,
 * recursively; without, gitlinks stay empty directories. */
struct gitsrc_submodules {
        const struct cache *cache;
        const char *url; /* the superproject's URL, for relative submodule URLs */
        struct gitsrc_fetch_opts fetch; /* progress of the submodules' mirror fetches */
        /* Offline first: the superproject's work tree whose submodules are checked out
         * (--source CHECKOUT; NULL: none), and "URL=PATH" mirrors (--git-mirror). A submodule
         * comes from the first of these that has its pinned commit, else from the cache's
         * mirror of its URL. */
        const char *local_root;
        char *const *mirrors;
        bool offline; /* never fetch: a submodule found nowhere local is an error naming it */
};
int gitsrc_checkout(const char *repo_path, const char *commit, const char *dest,
                    const struct gitsrc_submodules *sub, struct git_msg *m);

/* Whether path is a git repository (bare or with a work tree) that libgit2 can open. */
bool gitsrc_is_repository(const char *path);

/* The committer time of commit, for SOURCE_DATE_EPOCH. */
int gitsrc_commit_time(const char *repo_path, const char *commit, long long *ret);
