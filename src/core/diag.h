/* SPDX-License-Identifier: MIT */
#pragma once

#include "macro.h"

/* Where an input is wrong and why: filled only on failure (the reterr_ convention), rendered
 * as the one line "FILE:LINE:COL: message". Lines and columns are 1-based, columns count
 * characters, as an editor shows them. */
struct xb_diag {
        char file[1024];
        unsigned line, col;
        char msg[512];
};

void diag_set(struct xb_diag *d, unsigned line, unsigned col, const char *fmt, ...) _printf_(4, 5);
void diag_set_file(struct xb_diag *d, const char *file);
/* Formats "FILE:LINE:COL: msg" into buf. */
const char *diag_format(const struct xb_diag *d, char *buf, size_t size);
