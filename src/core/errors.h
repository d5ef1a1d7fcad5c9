/* SPDX-License-Identifier: MIT */
#pragma once

/* Project error codes. Functions return them negated, like -errno; they start at 1024 so
 * they never collide with an errno value. xb_strerror() renders both kinds. */
enum xb_error {
        XB_E_BASE = 1024,
        XB_E_RECIPE_SYNTAX = XB_E_BASE, /* not well-formed YAML, or a YAML feature we refuse */
        XB_E_RECIPE_VALUE,              /* well-formed, but a value is wrong for the schema */
        XB_E_RECIPE_TOO_LARGE,          /* file, scalar or nesting over the limits */
        XB_E_RECIPE_ENCODING,           /* not UTF-8 */
        XB_E_NOT_FOUND,                 /* no recipe, rootfs or toolchain of that name */
        XB_E_USAGE,                     /* command line */
        XB_E_CHECKSUM,
        XB_E_HTTP_STATUS,
        XB_E_NOT_AVAILABLE, /* the host lacks what is needed */
        XB_E_TIMEOUT,
        XB_E_FETCH,          /* a transfer failed (network, server, truncated) */
        XB_E_FETCH_SCHEME,   /* a URL or redirect to a scheme we refuse */
        XB_E_TOO_LARGE,      /* a download or archive over its size limit */
        XB_E_UNPINNED,       /* a download without a pinned digest */
        XB_E_ARCHIVE_UNSAFE, /* an archive entry that would escape or is refused */
        XB_E_ARCHIVE,        /* an archive that cannot be read */
        XB_E_GIT,            /* a git operation failed */
        XB_E_GIT_PIN,        /* a ref does not resolve to the pinned commit */
        XB_E_PATCH,          /* a patch does not apply */
        XB_E_SIGNATURE,      /* a signature that does not verify with the keyring */
        _XB_E_MAX,
};

/* Why something failed, in words: the optional detail beside a negative return. A function
 * that takes one sets it only on failure (the first message wins), never logs, and leaves it
 * alone on success; NULL means the caller wants the code alone. The layer that turns the
 * error into an exit code prints it. */
struct xb_detail {
        char *msg;
};
/* Returns r (negative), so 'return xb_detail_set(err, -EIO, "...")'. */
int xb_detail_set(struct xb_detail *e, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void xb_detail_clear(struct xb_detail *e);
/* The message, or the code's own text when there is none. */
const char *xb_detail_text(const struct xb_detail *e, int r);

/* Renders a negative or positive errno or project code. Never returns NULL. */
const char *xb_strerror(int r);

/* The process exit codes, documented in the README and xbuild(1). */
enum xb_exit {
        XB_EXIT_OK = 0,
        XB_EXIT_BUILD_FAILED = 1,
        XB_EXIT_BAD_INPUT = 2,
        XB_EXIT_VERIFY_FAILED = 3,
        XB_EXIT_HOST_MISSING = 4,
        XB_EXIT_CLEANUP_INCOMPLETE = 5,
        XB_EXIT_GUEST_FAILED = 6, /* the build VM panicked, hung or could not start the job */
};

/* Maps an error return (negative) to the exit code a verb should end with. */
int xb_exit_code_for(int r);
