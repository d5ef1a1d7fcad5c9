/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "core/macro.h"
#include "core/rm-rf.h"
#include "core/spawn.h"

/* A session: a private, throw-away view of an ARM root file system in which commands run.
 *   CACHE/sessions/ID/.xbuild-session   marker: "xbuild-session", "pid N"
 *   CACHE/sessions/ID/upper, work        the overlay's writable layer
 *   CACHE/sessions/ID/merged             where the root is mounted, inside the namespace only
 * The cached root file system (the lower layers) is never written. Mounts exist only in the
 * session's own mount namespace, so nothing leaks to the host even on SIGKILL; the directory
 * is deleted after checking that nothing is mounted below it, never crossing a mount. */

struct session {
        char *dir;
        char *upper, *work, *merged;
};

struct session_bind {
        const char *src; /* host path */
        const char *dst; /* path inside the root */
        bool ro;
};

struct session_symlink {
        const char *target;
        const char *path; /* inside the root; made in the session's upper layer */
};

struct session_spec {
        char *const *lowers;    /* layers, topmost first */
        const char *upper;      /* NULL: the session's own */
        const char *work;       /* with upper */
        const struct session_bind *binds;
        size_t n_binds;
        const struct session_symlink *symlinks; /* after the binds */
        size_t n_symlinks;
        char *const *env;       /* the whole environment of the command */
        const char *cwd;        /* inside the root */
        const char *hostname;
        bool host_tree; /* the overlay is mounted at the session's merged dir as a sysroot and
                         * the command runs on the host's tree (cross builds) */
};

/* Creates CACHE/sessions/ID with its marker. */
int session_create(const char *cache_root, struct session **ret);
/* The same at a fixed directory (which must not exist), its merged dir named merged_name. */
int session_create_at(const char *dir, const char *merged_name, struct session **ret);
/* Runs argv inside: io says how output is handled (argv/envp of io are ignored). Returns 0
 * when the command ran (see res), -errno when the session could not be started. */
int session_exec(const struct session *s, const struct session_spec *spec, char *const *argv,
                 const struct spawn_req *io, struct spawn_result *res);
/* Deletes the session directory unless keep. -EBUSY if something is still mounted below it
 * (then nothing is deleted). */
int session_destroy(struct session *s, bool keep);
/* After session_destroy() said -EBUSY: why, in one line naming the mount and what to do. */
char *session_busy_reason(const struct session *s);
struct session *session_free(struct session *s);
DEFINE_FREEP(struct session, session_free)

/* Removes session directories of runs that died (their pid is gone) and leftovers of
 * interrupted preparations; never one that is mounted on or whose owner lives. */
int session_clean_stale(const char *cache_root, unsigned *ret_removed, unsigned *ret_busy);

/* The session helper (xbuild-session): beside this executable when it runs from its build
 * directory, else in the installed libexec directory. */
int session_helper_path(char **ret);
