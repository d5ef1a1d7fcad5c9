/* SPDX-License-Identifier: MIT */
#pragma once

#include <archive.h>

/* libarchive handles as cleanup-attributed variables: _cleanup_(archive_read_freep). */
static inline void archive_read_freep(struct archive **a) {
        if (*a)
                (void) archive_read_free(*a);
}

static inline void archive_write_freep(struct archive **a) {
        if (*a)
                (void) archive_write_free(*a);
}
