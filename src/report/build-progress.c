/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "build-progress.h"
#include "core/log.h"
#include "core/macro.h"
#include "core/progress.h"

#define DRAW_INTERVAL_MS  200   /* tty: at most 5 redraws a second */
#define HEARTBEAT_MS      30000 /* plain: a line every 30 s while a step runs */
#define TRANSFER_EVENT_MS 500   /* json: at most 2 transfer events a second */
#define STATUS_MAX        1024  /* bytes of one status line, escapes included */

/* The one progress state of the process, as log.c keeps the log's. Everything is a no-op until
 * build_progress_init() and after build_progress_finish(). */
static struct {
        enum build_progress_mode mode; /* resolved: never AUTO once active */
        bool active;
        int events_fd;
        long long t0_ms;

        char phase[64];
        long long phase_start_ms;

        bool step_running;
        size_t step, n_steps;
        long long step_start_ms, next_heartbeat_ms;
        char latest[512]; /* the running step's latest output line, or a transfer's state */

        bool drawn; /* tty: a status line is on the screen */
        long long last_draw_ms;

        char transfer_what[16];
        uint64_t transfer_done, transfer_total;
        long long transfer_start_ms, transfer_event_ms, transfer_log_ms;
} st = {.mode = BUILD_PROGRESS_AUTO, .events_fd = -EBADF};

static const char *const mode_table[_BUILD_PROGRESS_MAX] = {
        [BUILD_PROGRESS_AUTO] = "auto",
        [BUILD_PROGRESS_TTY] = "tty",
        [BUILD_PROGRESS_PLAIN] = "plain",
        [BUILD_PROGRESS_JSON] = "json",
};

enum build_progress_mode build_progress_mode_from_string(const char *s) {
        if (!s)
                return _BUILD_PROGRESS_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(mode_table); i++)
                if (streq(s, mode_table[i]))
                        return (enum build_progress_mode) i;
        return _BUILD_PROGRESS_INVALID;
}

const char *build_progress_mode_to_string(enum build_progress_mode m) {
        if (m < 0 || m >= _BUILD_PROGRESS_MAX)
                return NULL;
        return mode_table[m];
}

static long long now_ms(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "12s", "1m03s", "2h05m09s" */
static const char *format_elapsed(long long ms, char *buf, size_t size) {
        long long s = ms / 1000;
        if (s < 60)
                (void) snprintf(buf, size, "%llds", s);
        else if (s < 3600)
                (void) snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
        else
                (void) snprintf(buf, size, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
        return buf;
}

/* Writes all of buf, or gives up quietly: a closed pipe on the other end (xbuild ... | head)
 * must not kill the build with SIGPIPE, so SIGPIPE is blocked around the write and a signal
 * it raised is taken back before the mask is restored. Returns 0 or -errno. */
static int write_quietly(int fd, const char *buf, size_t n) {
        sigset_t pipe_set, old, pending;
        bool was_pending;
        int r = 0;

        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigemptyset(&pending);
        (void) sigpending(&pending);
        was_pending = sigismember(&pending, SIGPIPE) == 1;
        (void) pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
        while (n > 0) {
                ssize_t w = write(fd, buf, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        r = w < 0 ? -errno : -EIO;
                        break;
                }
                buf += w;
                n -= (size_t) w;
        }
        if (r == -EPIPE && !was_pending) {
                const struct timespec zero = {0};
                (void) sigtimedwait(&pipe_set, NULL, &zero);
        }
        (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
        return r;
}

/* json */

static json_object *seconds_new(double s) {
        char text[32];
        /* Millisecond precision, printed as such (json-c prints 0.1 as 0.10000000000000001). */
        (void) snprintf(text, sizeof text, "%.3f", s);
        return json_object_new_double_s(s, text);
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

/* {"event": name, "t": seconds since init}, or NULL when not in json mode (or out of memory). */
static json_object *event_new(const char *name) {
        json_object *o;

        if (!st.active || st.mode != BUILD_PROGRESS_JSON || st.events_fd < 0)
                return NULL;
        o = json_object_new_object();
        if (!o)
                return NULL;
        (void) json_object_object_add(o, "event", json_object_new_string(name));
        (void) json_object_object_add(o, "t", seconds_new((double) (now_ms() - st.t0_ms) / 1000.0));
        return o;
}

/* One line, one write(), so readers never see half an event; takes o. */
static void event_emit(json_object *o) {
        const char *text;
        char *line;
        size_t n;

        if (!o)
                return;
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        if (text && (line = malloc((n = strlen(text)) + 1))) {
                memcpy(line, text, n);
                line[n++] = '\n';
                /* Whatever stdio holds for the same fd goes first. */
                if (st.events_fd == STDOUT_FILENO)
                        (void) fflush(stdout);
                if (write_quietly(st.events_fd, line, n) == -EPIPE)
                        st.events_fd = -EBADF; /* nobody reads any more */
                free(line);
        }
        json_object_put(o);
}

/* tty */

static unsigned term_width(void) {
        struct winsize ws;
        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 80;
}

/* Appends text to buf[*len..size) without control characters or escape sequences (a build's
 * colours would leak into the status line), until the line holds cols columns. A UTF-8
 * sequence counts as one column and is never cut. */
static void append_clean(char *buf, size_t *len, size_t size, const char *text, unsigned *cols,
                         unsigned max_cols) {
        for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
                if (*p == 0x1b) {
                        /* CSI: ESC [ params final(0x40..0x7e); anything else: drop ESC + one. */
                        if (p[1] == '[') {
                                p += 2;
                                while (*p && !(*p >= 0x40 && *p <= 0x7e))
                                        p++;
                        } else if (p[1])
                                p++;
                        if (!*p)
                                break;
                        continue;
                }
                unsigned char c = *p < 0x20 || *p == 0x7f ? ' ' : *p;
                bool continuation = (c & 0xc0) == 0x80;
                if (!continuation && *cols >= max_cols)
                        break;
                if (*len + 1 >= size)
                        break;
                buf[(*len)++] = (char) c;
                if (!continuation)
                        (*cols)++;
        }
        buf[*len] = 0;
}

static void status_clear(void) {
        if (!st.drawn)
                return;
        (void) write_quietly(STDERR_FILENO, "\r\033[K", STRLEN("\r\033[K"));
        st.drawn = false;
}

/* Draws the status line, unless one was drawn less than DRAW_INTERVAL_MS ago: then the next
 * call (a line, a tick: at least once a second) catches up. */
static void status_draw(void) {
        char buf[STATUS_MAX], head[128], el[32];
        long long now;
        unsigned cols = 0, max_cols;
        size_t len;

        if (!st.active || st.mode != BUILD_PROGRESS_TTY)
                return;
        now = now_ms();
        if (st.last_draw_ms && now - st.last_draw_ms < DRAW_INTERVAL_MS)
                return;
        if (st.step_running)
                (void) snprintf(head, sizeof head, "  [step %zu/%zu %s] ", st.step, st.n_steps,
                                format_elapsed(now - st.step_start_ms, el, sizeof el));
        else if (st.phase[0])
                (void) snprintf(head, sizeof head, "  [%s %s] ", st.phase,
                                format_elapsed(now - st.phase_start_ms, el, sizeof el));
        else {
                status_clear();
                return;
        }
        /* One column short of the width: writing the last column makes some terminals wrap. */
        max_cols = term_width() - 1;
        memcpy(buf, "\r\033[K", STRLEN("\r\033[K"));
        len = STRLEN("\r\033[K");
        append_clean(buf, &len, sizeof buf, head, &cols, max_cols);
        append_clean(buf, &len, sizeof buf, st.latest, &cols, max_cols);
        (void) write_quietly(STDERR_FILENO, buf, len);
        st.drawn = true;
        st.last_draw_ms = now;
}

/* The log hooks: a log line takes the status line's place, which is drawn again under it. */
static void log_before(void) {
        status_clear();
}

static void log_after(void) {
        status_draw();
}

/* plain */

static void heartbeat(long long now) {
        char el[32];

        if (!st.active || st.mode != BUILD_PROGRESS_PLAIN || !st.step_running ||
            now < st.next_heartbeat_ms)
                return;
        while (st.next_heartbeat_ms <= now)
                st.next_heartbeat_ms += HEARTBEAT_MS;
        log_info("Step %zu/%zu still running after %s%s%s", st.step, st.n_steps,
                 format_elapsed(now - st.step_start_ms, el, sizeof el), st.latest[0] ? ": " : "",
                 st.latest);
}

/* The API */

void build_progress_init(enum build_progress_mode mode, int events_fd) {
        if (st.active)
                build_progress_finish();
        if (mode == BUILD_PROGRESS_AUTO || mode < 0 || mode >= _BUILD_PROGRESS_MAX) {
                const char *term = getenv("TERM");
                /* A dumb terminal cannot clear a line; --quiet asks for no chatter. */
                mode = isatty(STDERR_FILENO) && !(term && streq(term, "dumb")) &&
                                       log_get_max_level() >= LOG_LEVEL_INFO
                               ? BUILD_PROGRESS_TTY
                               : BUILD_PROGRESS_PLAIN;
        }
        st.mode = mode;
        st.active = true;
        st.events_fd = events_fd;
        st.t0_ms = now_ms();
        st.phase[0] = st.latest[0] = st.transfer_what[0] = 0;
        st.step_running = st.drawn = false;
        st.last_draw_ms = st.transfer_event_ms = st.transfer_log_ms = 0;
        if (mode == BUILD_PROGRESS_TTY)
                log_set_write_hooks(log_before, log_after);
}

enum build_progress_mode build_progress_get_mode(void) {
        return st.mode;
}

void build_progress_finish(void) {
        if (!st.active)
                return;
        if (st.mode == BUILD_PROGRESS_TTY) {
                log_set_write_hooks(NULL, NULL);
                status_clear();
        }
        st.active = false;
}

void build_progress_phase_start(const char *phase) {
        json_object *o;

        if (!st.active)
                return;
        (void) snprintf(st.phase, sizeof st.phase, "%s", strempty(phase));
        st.phase_start_ms = now_ms();
        if (!st.step_running)
                st.latest[0] = 0;
        if ((o = event_new("phase-start")))
                (void) json_object_object_add(o, "phase", string_or_null(phase));
        event_emit(o);
        status_draw();
}

void build_progress_phase_end(const char *phase, double seconds, bool ok) {
        json_object *o;

        if (!st.active)
                return;
        if (!phase || streq(st.phase, phase))
                st.phase[0] = 0;
        if ((o = event_new("phase-end"))) {
                (void) json_object_object_add(o, "phase", string_or_null(phase));
                (void) json_object_object_add(o, "seconds", seconds_new(seconds));
                (void) json_object_object_add(o, "ok", json_object_new_boolean(ok));
        }
        event_emit(o);
        if (!st.phase[0] && !st.step_running)
                status_clear();
}

void build_progress_step_start(size_t step, size_t n, const char *cmd) {
        const char *c = strempty(cmd);
        json_object *o;

        if (!st.active)
                return;
        st.step_running = true;
        st.step = step;
        st.n_steps = n;
        st.step_start_ms = now_ms();
        st.next_heartbeat_ms = st.step_start_ms + HEARTBEAT_MS;
        /* Until the step prints something, its command (first non-empty line) says what runs. */
        c += strspn(c, " \t\n");
        (void) snprintf(st.latest, sizeof st.latest, "%.*s", (int) strcspn(c, "\n"), c);
        if ((o = event_new("step-start"))) {
                (void) json_object_object_add(o, "step", json_object_new_int64((int64_t) step));
                (void) json_object_object_add(o, "steps", json_object_new_int64((int64_t) n));
                (void) json_object_object_add(o, "command", string_or_null(cmd));
        }
        event_emit(o);
        status_draw();
}

void build_progress_step_line(const char *line) {
        if (!st.active || !line)
                return;
        /* Blank lines say nothing: keep the last one that did. */
        if (line[strspn(line, " \t\r")])
                (void) snprintf(st.latest, sizeof st.latest, "%s", line);
        status_draw();
        heartbeat(now_ms());
}

void build_progress_step_end(size_t step, size_t n, const char *status, double seconds,
                             const char *log_path) {
        json_object *o;

        if (!st.active)
                return;
        st.step_running = false;
        st.latest[0] = 0;
        if ((o = event_new("step-end"))) {
                (void) json_object_object_add(o, "step", json_object_new_int64((int64_t) step));
                (void) json_object_object_add(o, "steps", json_object_new_int64((int64_t) n));
                (void) json_object_object_add(o, "status", string_or_null(status));
                (void) json_object_object_add(o, "seconds", seconds_new(seconds));
                (void) json_object_object_add(o, "log", string_or_null(log_path));
        }
        event_emit(o);
        status_clear();
        status_draw(); /* the phase, if one runs */
}

void build_progress_artifact(const char *name, const char *path, bool verified) {
        json_object *o = event_new("artifact");

        if (o) {
                (void) json_object_object_add(o, "name", string_or_null(name));
                (void) json_object_object_add(o, "path", string_or_null(path));
                (void) json_object_object_add(o, "verified", json_object_new_boolean(verified));
        }
        event_emit(o);
}

static void transfer_text(char *buf, size_t size, const char *what, uint64_t done, uint64_t total) {
        char a[32], b[32];

        if (streq(what, "bytes")) {
                (void) format_bytes(done, a, sizeof a);
                (void) format_bytes(total, b, sizeof b);
        } else {
                (void) snprintf(a, sizeof a, "%llu", (unsigned long long) done);
                (void) snprintf(b, sizeof b, "%llu", (unsigned long long) total);
        }
        if (total > 0)
                (void) snprintf(buf, size, "Receiving %s: %s / %s (%u%%)", what, a, b,
                                (unsigned) (done >= total ? 100 : done * 100 / total));
        else
                (void) snprintf(buf, size, "Receiving %s: %s", what, a);
}

static void transfer_event(const char *what, uint64_t done, uint64_t total) {
        json_object *o = event_new("transfer");

        if (o) {
                (void) json_object_object_add(o, "what", json_object_new_string(what));
                (void) json_object_object_add(o, "done", json_object_new_int64((int64_t) done));
                (void) json_object_object_add(o, "total", json_object_new_int64((int64_t) total));
        }
        event_emit(o);
}

void build_progress_transfer(const char *what, uint64_t done, uint64_t total) {
        bool changed, final;
        long long now;
        char text[128];

        if (!st.active)
                return;
        what = what ? what : "bytes";
        now = now_ms();
        /* A new transfer: another kind, or a count that went back. */
        if (!streq(st.transfer_what, what) || done < st.transfer_done ||
            (st.transfer_total && total != st.transfer_total)) {
                (void) snprintf(st.transfer_what, sizeof st.transfer_what, "%s", what);
                st.transfer_start_ms = now;
                st.transfer_event_ms = st.transfer_log_ms = 0;
                changed = true;
        } else
                changed = done != st.transfer_done || total != st.transfer_total;
        /* libgit2 reports received == total many times while it resolves deltas: once is enough. */
        final = changed && total > 0 && done == total;
        st.transfer_done = done;
        st.transfer_total = total;

        switch (st.mode) {
        case BUILD_PROGRESS_JSON:
                if (!changed && st.transfer_event_ms)
                        break;
                if (final || !st.transfer_event_ms ||
                    now - st.transfer_event_ms >= TRANSFER_EVENT_MS) {
                        st.transfer_event_ms = now;
                        transfer_event(what, done, total);
                }
                break;
        case BUILD_PROGRESS_TTY:
                /* Drawn at the rate allowed; calls without news still let a held-back draw out. */
                if (changed)
                        transfer_text(st.latest, sizeof st.latest, what, done, total);
                status_draw();
                break;
        case BUILD_PROGRESS_PLAIN:
                /* A long clone gets the same heartbeat as a long step; short ones stay quiet. */
                if (changed && now - MAX(st.transfer_log_ms, st.transfer_start_ms) >= HEARTBEAT_MS) {
                        st.transfer_log_ms = now;
                        transfer_text(text, sizeof text, what, done, total);
                        log_info("%s", text);
                }
                break;
        default:
                break;
        }
}

void build_progress_tick(void *userdata) {
        if (!st.active)
                return;
        status_draw();
        heartbeat(now_ms());
}

void build_progress_event(const char *name, char *const *kv) {
        json_object *o = event_new(name ? name : "event");

        if (!o)
                return;
        for (char *const *p = kv; p && *p; p++) {
                const char *eq = strchr(*p, '=');
                size_t klen = eq ? (size_t) (eq - *p) : strlen(*p);
                char key[256];

                (void) snprintf(key, sizeof key, "%.*s", (int) MIN(klen, sizeof key - 1), *p);
                /* The envelope's own keys are not the caller's to replace. */
                if (streq(key, "event") || streq(key, "t"))
                        continue;
                (void) json_object_object_add(o, key, json_object_new_string(eq ? eq + 1 : ""));
        }
        event_emit(o);
}

void build_progress_event_json(const char *name, const char *json_text) {
        const char *key = name ? name : "data";
        json_object *o = event_new(key), *doc;

        if (!o)
                return;
        doc = json_text ? json_tokener_parse(json_text) : NULL;
        /* Not JSON after all: still pass it on, as a string. */
        if (!doc && json_text)
                doc = json_object_new_string(json_text);
        if (streq(key, "event") || streq(key, "t"))
                key = "data";
        (void) json_object_object_add(o, key, doc);
        event_emit(o);
}
