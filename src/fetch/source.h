/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "gitsrc.h"
#include "http.h"
#include "recipe/recipe.h"

/* A recipe's source, fetched and verified, and optionally laid out as a tree with the
 * recipe's patches applied. */

struct source_opts {
        const char *override;  /* --source PATH: a git repository (bare or not) or a directory */
        bool allow_unpinned;   /* never for a recipe: tarball sources always carry sha256 */
        const char *patches_dir; /* recipes/patches/NAME */
        char *const *git_mirrors; /* --git-mirror "URL=PATH": local repositories for submodules */
        char *const *extra_overrides; /* --extra-source "DEST=PATH": a local copy of sources[DEST] */
        struct http_opts http;
        /* Optional: progress of what is transferred, for git fetches (what = "objects", the
         * submodules' too) and downloads (what = "bytes", unless http.progress is set); done of
         * total, total 0 when not known. Called often: the callee rate-limits. */
        void (*transfer)(void *userdata, const char *what, uint64_t done, uint64_t total);
        void *transfer_userdata;
};

enum source_origin {
        SOURCE_FROM_MIRROR,    /* git, through the cache's mirror */
        SOURCE_FROM_OVERRIDE_GIT,
        SOURCE_FROM_OVERRIDE_DIR,
        SOURCE_FROM_TARBALL,
        SOURCE_FROM_LOCAL,
        SOURCE_FROM_DEBIAN,  /* a Debian source package, through its signed chain */
};

struct source_result {
        enum source_origin origin;
        char *repo;          /* the git repository used (mirror or override) */
        bool network;        /* something was transferred */
        bool ref_missing;    /* override repository lacks the ref: verified by commit only */
        char *failed_patch;  /* the patch that did not apply */
        long long epoch;     /* commit time, or -1 */
};

void source_result_clear(struct source_result *r);

/* dest NULL: fetch and verify only. Otherwise dest must not exist. err says why it failed
 * (with failed_patch: why that patch does not apply). */
int source_prepare(const struct recipe *rc, const struct cache *c, const struct source_opts *o,
                   const char *dest, struct source_result *res, struct xb_detail *err);
