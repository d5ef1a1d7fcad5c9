/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "macro.h"

static const char *const xb_code_text[_XB_E_MAX - XB_E_BASE] = {
        [XB_E_RECIPE_SYNTAX - XB_E_BASE] = "Recipe syntax error",
        [XB_E_RECIPE_VALUE - XB_E_BASE] = "Invalid recipe value",
        [XB_E_RECIPE_TOO_LARGE - XB_E_BASE] = "Recipe over a size limit",
        [XB_E_RECIPE_ENCODING - XB_E_BASE] = "Recipe is not valid UTF-8",
        [XB_E_NOT_FOUND - XB_E_BASE] = "Not found",
        [XB_E_USAGE - XB_E_BASE] = "Invalid usage",
        [XB_E_CHECKSUM - XB_E_BASE] = "Checksum mismatch",
        [XB_E_HTTP_STATUS - XB_E_BASE] = "HTTP error status",
        [XB_E_NOT_AVAILABLE - XB_E_BASE] = "Not available on this host",
        [XB_E_TIMEOUT - XB_E_BASE] = "Timed out",
        [XB_E_FETCH - XB_E_BASE] = "Transfer failed",
        [XB_E_FETCH_SCHEME - XB_E_BASE] = "URL scheme not allowed",
        [XB_E_TOO_LARGE - XB_E_BASE] = "Over the size limit",
        [XB_E_UNPINNED - XB_E_BASE] = "No pinned sha256",
        [XB_E_ARCHIVE_UNSAFE - XB_E_BASE] = "Unsafe archive entry",
        [XB_E_ARCHIVE - XB_E_BASE] = "Unreadable archive",
        [XB_E_GIT - XB_E_BASE] = "Git operation failed",
        [XB_E_GIT_PIN - XB_E_BASE] = "Ref does not match the pinned commit",
        [XB_E_PATCH - XB_E_BASE] = "Patch does not apply",
        [XB_E_SIGNATURE - XB_E_BASE] = "Signature does not verify",
};

const char *xb_strerror(int r) {
        if (r < 0)
                r = -r;
        if (r >= XB_E_BASE && r < _XB_E_MAX)
                return xb_code_text[r - XB_E_BASE];
        return strerror(r);
}

int xb_exit_code_for(int r) {
        if (r >= 0)
                return XB_EXIT_OK;
        switch (-r) {
        case XB_E_RECIPE_SYNTAX:
        case XB_E_RECIPE_VALUE:
        case XB_E_RECIPE_TOO_LARGE:
        case XB_E_RECIPE_ENCODING:
        case XB_E_NOT_FOUND:
        case XB_E_USAGE:
        case XB_E_CHECKSUM:
        case XB_E_FETCH_SCHEME:
        case XB_E_TOO_LARGE:
        case XB_E_UNPINNED:
        case XB_E_ARCHIVE_UNSAFE:
        case XB_E_ARCHIVE:
        case XB_E_GIT_PIN:
        case XB_E_PATCH:
        case XB_E_SIGNATURE:
        case ENOENT:
        case EINVAL:
        case EISDIR:
        case ENOTDIR:
        case EACCES:
                return XB_EXIT_BAD_INPUT;
        case XB_E_NOT_AVAILABLE:
        case EOPNOTSUPP:
                return XB_EXIT_HOST_MISSING;
        default:
                return XB_EXIT_BUILD_FAILED;
        }
}

int xb_detail_set(struct xb_detail *e, int r, const char *fmt, ...) {
        va_list ap;

        if (!e || e->msg)
                return r;
        va_start(ap, fmt);
        if (vasprintf(&e->msg, fmt, ap) < 0)
                e->msg = NULL;
        va_end(ap);
        return r;
}

void xb_detail_clear(struct xb_detail *e) {
        free(e->msg);
        e->msg = NULL;
}

const char *xb_detail_text(const struct xb_detail *e, int r) {
        return e && e->msg ? e->msg : xb_strerror(r);
}
