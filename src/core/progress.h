/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A one-line progress bar on stderr, only on a terminal, only after half a second (short work
 * stays quiet, as git does), redrawn at most ten times a second. */
struct progress {
        char label[96];
        long long start_ms, last_ms;
        bool tty, drawn;
};

void progress_init(struct progress *p, const char *label);
/* unit_bytes: show sizes and rates; otherwise plain counts. total 0: unknown. */
void progress_update(struct progress *p, uint64_t done, uint64_t total, bool unit_bytes);
/* Clears the line if one was drawn. Returns the elapsed milliseconds. */
long long progress_done(struct progress *p);

/* "12.3 MiB" */
const char *format_bytes(uint64_t n, char *buf, unsigned size);
