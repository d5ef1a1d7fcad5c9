/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"

static long long mono_ms(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *format_bytes(uint64_t n, char *buf, unsigned size) {
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = (double) n;
        int u = 0;
        while (v >= 1024 && u < 4) {
                v /= 1024;
                u++;
        }
        (void) snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
        return buf;
}

void progress_init(struct progress *p, const char *label) {
        memset(p, 0, sizeof *p);
        (void) snprintf(p->label, sizeof p->label, "%s", label);
        p->start_ms = mono_ms();
        p->tty = isatty(STDERR_FILENO) && log_get_max_level() >= LOG_LEVEL_INFO;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total, bool unit_bytes) {
        long long now = mono_ms(), elapsed = now - p->start_ms;
        char a[32], b[32], rate[32], eta[32] = "";

        if (!p->tty || elapsed < 500 || now - p->last_ms < 100)
                return;
        p->last_ms = now;
        p->drawn = true;
        if (unit_bytes) {
                double bps = elapsed > 0 ? (double) done * 1000.0 / (double) elapsed : 0;
                (void) format_bytes(done, a, sizeof a);
                (void) format_bytes(total, b, sizeof b);
                (void) format_bytes((uint64_t) bps, rate, sizeof rate);
                if (total > done && bps > 0) {
                        long long s = (long long) ((double) (total - done) / bps);
                        (void) snprintf(eta, sizeof eta, "  ETA %lld:%02lld", s / 60, s % 60);
                }
                fprintf(stderr, "\r\033[K%s  %s%s%s  %s/s%s", p->label, a, total ? " / " : "",
                        total ? b : "", rate, eta);
        } else if (total)
                fprintf(stderr, "\r\033[K%s  %llu / %llu", p->label, (unsigned long long) done,
                        (unsigned long long) total);
        else
                fprintf(stderr, "\r\033[K%s  %llu", p->label, (unsigned long long) done);
        (void) fflush(stderr);
}

long long progress_done(struct progress *p) {
        if (p->drawn) {
                fputs("\r\033[K", stderr);
                (void) fflush(stderr);
        }
        return mono_ms() - p->start_ms;
}
