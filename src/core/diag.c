/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

void diag_set(struct xb_diag *d, unsigned line, unsigned col, const char *fmt, ...) {
        va_list ap;

        if (!d)
                return;
        d->line = line ? line : 1;
        d->col = col ? col : 1;
        va_start(ap, fmt);
        (void) vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
}

void diag_set_file(struct xb_diag *d, const char *file) {
        if (d)
                (void) snprintf(d->file, sizeof d->file, "%s", file ? file : "<input>");
}

const char *diag_format(const struct xb_diag *d, char *buf, size_t size) {
        (void) snprintf(buf, size, "%s:%u:%u: %s", d->file[0] ? d->file : "<input>", d->line,
                        d->col, d->msg);
        return buf;
}
