/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive/copy.h"
#include "archive/extract.h"
#include "core/errors.h"
#include "core/macro.h"
#include "core/strv.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/spawn.h"
#include "debsrc.h"
#include "fetch.h"
#include "source.h"

void source_result_clear(struct source_result *r) {
        free(r->repo);
        free(r->failed_patch);
        r->repo = r->failed_patch = NULL;
}

static int git_result(int r, const struct git_msg *m, struct source_result *res, struct xb_detail *err) {
        if (r < 0 && m->text[0])
                (void) xb_detail_set(err, r, "%s", m->text);
        res->ref_missing = m->ref_missing;
        return r;
}

/* GNU patch applies each patch in order; its output says why one failed. */
static int apply_patches(const struct recipe *rc, const struct source_opts *o, const char *dest,
                         struct source_result *res, struct xb_detail *err) {
        for (char **p = rc->patches; p && *p; p++) {
                _cleanup_free_ char *file = o->patches_dir ? path_join(o->patches_dir, *p) : NULL;
                struct spawn_result sr = {0};
                int r;

                if (!file)
                        return -ENOMEM;
                if (!path_exists(file)) {
                        res->failed_patch = strdup(*p);
                        return xb_detail_set(err, -XB_E_PATCH, "patch file %s does not exist", file);
                }
                char *argv[] = {(char *) "patch", (char *) "-p1", (char *) "--batch", (char *) "--forward",
                                (char *) "--no-backup-if-mismatch", (char *) "--reject-file=-",
                                (char *) "-d", (char *) dest, (char *) "-i", file, NULL};
                struct spawn_req req = {.argv = argv, .stdin_fd = -1, .output = SPAWN_OUTPUT_CAPTURE,
                                        .timeout_ms = 120000};
                r = spawn_run(&req, &sr);
                if (r < 0)
                        return xb_detail_set(err, r == -ENOENT ? -XB_E_NOT_AVAILABLE : r, "cannot run patch(1): %s",
                                             xb_strerror(r));
                if (sr.exit_code != 0 || sr.signal) {
                        res->failed_patch = strdup(*p);
                        /* The last line of patch's output says which hunk failed. */
                        const char *last;
                        int len;
                        spawn_result_last_line(&sr, &last, &len);
                        (void) xb_detail_set(err, -XB_E_PATCH, "%.*s", len, last);
                        spawn_result_clear(&sr);
                        return -XB_E_PATCH;
                }
                spawn_result_clear(&sr);
        }
        return 0;
}

static void http_transfer(void *userdata, uint64_t done, uint64_t total) {
        const struct source_opts *o = userdata;
        o->transfer(o->transfer_userdata, "bytes", done, total);
}

/* One source (the recipe's, or one of its sources:) into dest; override: its --source. */
static int materialize(const struct recipe_source *s, const char *name, const char *override, const struct cache *c,
                       const struct source_opts *o, const char *dest, struct source_result *res, struct xb_detail *err) {
        const struct gitsrc_fetch_opts fo = {.transfer = o->transfer,
                                             .transfer_userdata = o->transfer_userdata};
        struct git_msg m = {0};
        int r;

        if (override) {
                if (gitsrc_is_repository(override)) {
                        if (s->kind != SOURCE_GIT)
                                return xb_detail_set(err, -EINVAL,
                                                     "--source %s is a git repository, but recipe '%s' has a %s source with no commit to check out; give a plain directory",
                                                     override, name, source_kind_to_string(s->kind));
                        res->origin = SOURCE_FROM_OVERRIDE_GIT;
                        if (!(res->repo = strdup(override)))
                                return -ENOMEM;
                        r = git_result(gitsrc_verify_pin(override, s->ref, s->commit, false, &m), &m, res, err);
                        if (r < 0 || !dest)
                                return r;
                        /* Offline: the checkout's own submodules, or --git-mirror; never a fetch. */
                        _cleanup_free_ char *dotgit = path_join(override, ".git");
                        if (!dotgit)
                                return -ENOMEM;
                        struct gitsrc_submodules sub = {.cache = s->submodules ? c : NULL, .url = s->url, .fetch = fo,
                                                        .local_root = path_exists(dotgit) ? override : NULL,
                                                        .mirrors = o->git_mirrors, .offline = true};
                        return git_result(gitsrc_checkout(override, s->commit, dest, &sub, &m), &m, res, err);
                }
                if (!path_is_dir(override))
                        return xb_detail_set(err, -ENOTDIR, "--source %s is neither a git repository nor a directory",
                                             override);
                res->origin = SOURCE_FROM_OVERRIDE_DIR;
                return dest ? archive_copy_tree(override, dest, err) : 0;
        }

        switch (s->kind) {
        case SOURCE_GIT: {
                bool fetched = false;
                res->origin = SOURCE_FROM_MIRROR;
                r = gitsrc_mirror(c, s->url, s->ref, s->commit, &fo, &res->repo, &fetched, &m);
                r = git_result(r, &m, res, err);
                res->network = fetched;
                if (r < 0 || !dest)
                        return r;
                struct gitsrc_submodules sub = {.cache = s->submodules ? c : NULL, .url = s->url, .fetch = fo,
                                                .mirrors = o->git_mirrors};
                return git_result(gitsrc_checkout(res->repo, s->commit, dest, &sub, &m), &m, res, err);
        }
        case SOURCE_TARBALL: {
                struct fetch_req req = {.url = s->url, .sha256 = s->sha256, .http = o->http};
                struct fetch_result fr = {0};
                struct extract_result er = {0};
                struct extract_opts eo = {.strip_components = s->strip_components};
                _cleanup_(xb_detail_clear) struct xb_detail fe = {0}, xe = {0};

                res->origin = SOURCE_FROM_TARBALL;
                req.http.allow_file = true;
                if (o->transfer && !req.http.progress) {
                        req.http.progress = http_transfer;
                        req.http.userdata = (void *) o;
                }
                r = fetch_to_cache(c, &req, &fr, &fe);
                res->network = !fr.hit && r >= 0;
                if (r == -XB_E_CHECKSUM)
                        (void) xb_detail_set(err, r, "sha256 mismatch for %s: expected %s, got %s", s->url, s->sha256,
                                             fr.sha256);
                else if (r < 0)
                        (void) xb_detail_set(err, r, "%s: %s", s->url, xb_detail_text(&fe, r));
                if (r < 0 || !dest) {
                        fetch_result_clear(&fr);
                        return r;
                }
                r = archive_extract(fr.path, dest, &eo, &er, &xe);
                if (r < 0)
                        (void) xb_detail_set(err, r, "%s%s%s%s", er.entry[0] ? "entry '" : "", er.entry,
                                             er.entry[0] ? "': " : "", xb_detail_text(&xe, r));
                fetch_result_clear(&fr);
                return r;
        }
        case SOURCE_DEBIAN: {
                struct debsrc_req req = {.package = s->package, .version = s->deb_version, .suite = s->suite,
                                         .component = s->component, .mirror = s->mirror, .keyring = s->keyring,
                                         .http = o->http};
                _cleanup_(debsrc_entry_clear) struct debsrc_entry e = {0};
                res->origin = SOURCE_FROM_DEBIAN;
                if (o->transfer && !req.http.progress) {
                        req.http.progress = http_transfer;
                        req.http.userdata = (void *) o;
                }
                r = debsrc_fetch(c, &req, &e, &res->network, err);
                if (r < 0 || !dest)
                        return r;
                return debsrc_unpack(c, &e, dest, &res->epoch, err);
        }
        default:
                res->origin = SOURCE_FROM_LOCAL;
                if (!path_is_dir(s->path))
                        return xb_detail_set(err, -ENOTDIR, "local source %s is not a directory", s->path);
                return dest ? archive_copy_tree(s->path, dest, err) : 0;
        }
}

/* PATH for "DEST=PATH" in overrides (--extra-source), or NULL. */
static const char *extra_override(char *const *overrides, const char *dest) {
        size_t n = strlen(dest);
        for (char *const *e = overrides; e && *e; e++)
                if (strneq(*e, dest, n) && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

int source_prepare(const struct recipe *rc, const struct cache *c, const struct source_opts *o,
                   const char *dest, struct source_result *res, struct xb_detail *err) {
        int r;

        *res = (struct source_result){.epoch = -1};
        if (o->override && o->override[0] == '-')
                return xb_detail_set(err, -EINVAL, "--source must not start with '-'");
        r = materialize(&rc->source, rc->name, o->override, c, o, dest, res, err);
        if (r < 0)
                return r;
        if (res->repo && rc->source.kind == SOURCE_GIT)
                (void) gitsrc_commit_time(res->repo, rc->source.commit, &res->epoch);
        /* (a Debian source's epoch is its changelog's, set by materialize) */
        /* The other repositories inside the tree, before the patches (which may touch them). */
        for (size_t i = 0; i < rc->n_extra_sources; i++) {
                const struct recipe_extra_source *es = &rc->extra_sources[i];
                _cleanup_free_ char *at = dest ? path_join(dest, es->dest) : NULL, *parent = NULL;
                _cleanup_(source_result_clear) struct source_result xr = {.epoch = -1};
                _cleanup_(xb_detail_clear) struct xb_detail xe = {0};
                if (dest && (!at || !(parent = path_dirname(at))))
                        return -ENOMEM;
                /* An empty placeholder directory in the main tree (a gitlink) makes way. */
                r = 0;
                if (at && rmdir(at) < 0 && errno != ENOENT && errno != ENOTDIR)
                        r = xb_detail_set(err, -errno, "sources[%zu]: %s already exists in the source tree and is not empty",
                                          i, es->dest);
                else if (at && path_exists(at))
                        r = xb_detail_set(err, -EEXIST, "sources[%zu]: %s already exists in the source tree", i, es->dest);
                else if (parent && (r = mkdir_p(parent, 0755)) < 0)
                        r = xb_detail_set(err, r, "sources[%zu]: cannot create %s: %s", i, parent, xb_strerror(r));
                else if ((r = materialize(&es->source, rc->name, extra_override(o->extra_overrides, es->dest), c, o, at,
                                          &xr, &xe)) < 0)
                        r = xb_detail_set(err, r, "sources[%zu] (%s): %s", i, es->dest, xb_detail_text(&xe, r));
                if (r < 0) {
                        if (dest)
                                (void) rm_rf(dest);
                        return r;
                }
                res->network = res->network || xr.network;
        }
        if (!dest)
                return 0;
        r = apply_patches(rc, o, dest, res, err);
        if (r < 0)
                (void) rm_rf(dest); /* half-patched trees are never handed to a build */
        return r;
}
