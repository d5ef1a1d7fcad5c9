/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "spawn.h"
#include "strv.h"

#define SPAWN_TAIL_LINES 20
#define SPAWN_LINE_MAX 8192

extern char **environ;

volatile pid_t spawn_running_pid = 0;
volatile pid_t spawn_running_pgid = 0;

void spawn_result_clear(struct spawn_result *r) {
        free(r->tail);
        r->tail = NULL;
}

char *spawn_find_program(const char *name, const char *path_env) {
        if (strchr(name, '/'))
                return strdup(name);
        if (!path_env)
                path_env = getenv("PATH");
        if (!path_env)
                path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (const char *p = path_env;;) {
                size_t n = strcspn(p, ":");
                char *cand = NULL;
                if (asprintf(&cand, "%.*s/%s", (int) n, n ? p : ".", name) < 0)
                        return NULL;
                if (access(cand, X_OK) == 0) {
                        struct stat st;
                        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode))
                                return cand;
                }
                free(cand);
                if (!p[n])
                        break;
                p += n + 1;
        }
        errno = ENOENT;
        return NULL;
}

static int pidfd_open_compat(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

/* In the child between fork and exec: async-signal-safe calls only. */
static _noreturn_ void child_exec(const struct spawn_req *req, const char *path, int out_wr,
                                  int err_wr, pid_t parent) {
        int e, nullfd = -1;
        sigset_t ss;

        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                goto fail;
        if ((req->flags & SPAWN_NEW_PGRP) && setpgid(0, 0) < 0)
                goto fail;
        /* Handlers and mask are inherited across fork; a build must see default signals. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        sigemptyset(&ss);
        (void) sigprocmask(SIG_SETMASK, &ss, NULL);

        if (req->stdin_fd < 0 || req->output == SPAWN_OUTPUT_NULL) {
                nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (nullfd < 0)
                        goto fail;
        }
        if (dup2(req->stdin_fd >= 0 ? req->stdin_fd : nullfd, STDIN_FILENO) < 0)
                goto fail;
        if (req->output == SPAWN_OUTPUT_CAPTURE) {
                if (dup2(out_wr, STDOUT_FILENO) < 0 || dup2(out_wr, STDERR_FILENO) < 0)
                        goto fail;
        } else if (req->output == SPAWN_OUTPUT_FD) {
                if (dup2(req->stdout_fd, STDOUT_FILENO) < 0 || dup2(out_wr, STDERR_FILENO) < 0)
                        goto fail;
        } else if (req->output == SPAWN_OUTPUT_NULL) {
                if (dup2(nullfd, STDOUT_FILENO) < 0 || dup2(nullfd, STDERR_FILENO) < 0)
                        goto fail;
        }
        /* Nothing of ours leaks into the build; the error pipe is CLOEXEC already. */
        (void) syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
        if (req->cwd && chdir(req->cwd) < 0)
                goto fail;
        execve(path, req->argv, req->envp ? req->envp : environ);
fail:
        e = errno;
        (void) !write(err_wr, &e, sizeof e);
        _exit(127);
}

int spawn_start(const struct spawn_req *req, pid_t *ret_pid, int *ret_output_fd) {
        _cleanup_close_ int err_rd = -EBADF, err_wr = -EBADF, out_rd = -EBADF, out_wr = -EBADF;
        _cleanup_free_ char *path = NULL;
        int fds[2], child_errno = 0;
        pid_t parent = getpid(), pid;
        ssize_t n;

        if (!req->argv || !req->argv[0])
                return -EINVAL;
        path = spawn_find_program(req->argv[0],
                                  req->envp ? strv_env_get(req->envp, "PATH") : NULL);
        if (!path)
                return -errno;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        err_rd = fds[0], err_wr = fds[1];
        if (req->output == SPAWN_OUTPUT_CAPTURE || req->output == SPAWN_OUTPUT_FD) {
                if (pipe2(fds, O_CLOEXEC) < 0)
                        return -errno;
                out_rd = fds[0], out_wr = fds[1];
        }

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_exec(req, path, out_wr, err_wr, parent);

        closep(&err_wr);
        err_wr = -EBADF;
        closep(&out_wr);
        out_wr = -EBADF;
        do
                n = read(err_rd, &child_errno, sizeof child_errno);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t) sizeof child_errno) {
                /* The exec failed: reap and say why. */
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return -child_errno;
        }
        *ret_pid = pid;
        if (ret_output_fd)
                *ret_output_fd = TAKE_FD(out_rd);
        return 0;
}

struct line_sink {
        const struct spawn_req *req;
        int log_fd;
        char buf[SPAWN_LINE_MAX];
        size_t len;
        char *tail[SPAWN_TAIL_LINES];
        size_t tail_next;
};

static void sink_line(struct line_sink *s, const char *line, size_t len) {
        const struct spawn_req *req = s->req;
        char *copy;

        /* A serial console or a tty ends lines with "\r\n". */
        if (len > 0 && line[len - 1] == '\r')
                len--;
        copy = strndup(line, len);

        if (s->log_fd >= 0) {
                (void) write_all(s->log_fd, line, len);
                (void) write_all(s->log_fd, "\n", 1);
        }
        if (req->echo)
                (void) fprintf(stderr, "%s%.*s\n", strempty(req->log_prefix), (int) len, line);
        if (copy && req->on_line)
                req->on_line(req->userdata, copy);
        if (copy) {
                free(s->tail[s->tail_next]);
                s->tail[s->tail_next] = copy;
                s->tail_next = (s->tail_next + 1) % SPAWN_TAIL_LINES;
        }
}

/* Splits on '\n'; an over-long line is cut into SPAWN_LINE_MAX pieces rather than dropped. */
static void sink_feed(struct line_sink *s, const char *data, size_t n, bool eof) {
        for (size_t i = 0; i < n; i++) {
                if (data[i] == '\n') {
                        sink_line(s, s->buf, s->len);
                        s->len = 0;
                        continue;
                }
                if (s->len == sizeof s->buf) {
                        sink_line(s, s->buf, s->len);
                        s->len = 0;
                }
                s->buf[s->len++] = data[i];
        }
        if (eof && s->len > 0) {
                sink_line(s, s->buf, s->len);
                s->len = 0;
        }
}

static char *sink_take_tail(struct line_sink *s) {
        size_t total = 1;
        char *out, *p;

        for (size_t i = 0; i < SPAWN_TAIL_LINES; i++)
                if (s->tail[i])
                        total += strlen(s->tail[i]) + 1;
        out = p = malloc(total);
        for (size_t k = 0; k < SPAWN_TAIL_LINES; k++) {
                size_t i = (s->tail_next + k) % SPAWN_TAIL_LINES;
                if (s->tail[i] && out) {
                        size_t l = strlen(s->tail[i]);
                        memcpy(p, s->tail[i], l);
                        p += l;
                        *p++ = '\n';
                }
                free(s->tail[i]);
                s->tail[i] = NULL;
        }
        if (out)
                *p = 0;
        return out;
}

long long spawn_now_ms(void) {
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kill_child(pid_t pid, bool group, int sig) {
        if (group)
                (void) kill(-pid, sig);
        (void) kill(pid, sig);
}

int spawn_run(const struct spawn_req *req, struct spawn_result *ret) {
        _cleanup_close_ int out_fd = -EBADF, pidfd = -EBADF;
        struct line_sink sink = {.req = req, .log_fd = -EBADF};
        bool group = req->flags & SPAWN_NEW_PGRP, exited = false, timed_out = false;
        long long deadline = 0, kill_at = 0, next_tick = 0;
        int status = 0, r;
        pid_t pid;

        if ((req->output == SPAWN_OUTPUT_CAPTURE || req->output == SPAWN_OUTPUT_FD) && req->log_path) {
                sink.log_fd = open(req->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (sink.log_fd < 0)
                        return -errno;
        }
        /* A SIGTERM between the fork and spawn_running_pid would find no child to pass on to
         * (a step that signals us at once, a user's quick ^C): hold those signals until the
         * handler can see the child. The child clears its mask before exec. */
        sigset_t stop, saved;
        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigaddset(&stop, SIGHUP);
        (void) sigprocmask(SIG_BLOCK, &stop, &saved);
        r = spawn_start(req, &pid, &out_fd);
        if (r >= 0) {
                spawn_running_pid = pid;
                spawn_running_pgid = group ? pid : 0;
        }
        (void) sigprocmask(SIG_SETMASK, &saved, NULL);
        if (r < 0) {
                closep(&sink.log_fd);
                return r;
        }
        pidfd = pidfd_open_compat(pid);
        if (req->timeout_ms > 0)
                deadline = spawn_now_ms() + req->timeout_ms;
        if (req->on_tick)
                next_tick = spawn_now_ms() + 1000;

        while (!exited || out_fd >= 0) {
                struct pollfd p[2];
                int np = 0, timeout = -1;
                long long t = spawn_now_ms();

                if (req->deadline_ms && *req->deadline_ms && !timed_out)
                        deadline = *req->deadline_ms;

                if (deadline && !timed_out && t >= deadline) {
                        timed_out = true;
                        kill_child(pid, group, SIGTERM);
                        kill_at = t + (req->kill_grace_ms ? req->kill_grace_ms : 5000);
                }
                if (kill_at && t >= kill_at) {
                        kill_child(pid, group, SIGKILL);
                        kill_at = 0;
                }
                if (deadline && !timed_out)
                        timeout = (int) (deadline - t);
                else if (kill_at)
                        timeout = (int) (kill_at - t);
                /* Without a pidfd (old kernel) fall back to polling waitpid every 100 ms. */
                if (!exited && pidfd < 0 && (timeout < 0 || timeout > 100))
                        timeout = 100;
                /* Ticks keep their cadence under a flood of output too: checked every round. */
                if (req->on_tick) {
                        if (t >= next_tick) {
                                req->on_tick(req->tick_userdata);
                                next_tick += 1000;
                                if (next_tick <= t)
                                        next_tick = t + 1000;
                        }
                        if (timeout < 0 || timeout > next_tick - t)
                                timeout = (int) (next_tick - t);
                }
                /* After a timeout, a grandchild may hold the pipe open: don't wait for EOF. */
                if (exited && timed_out)
                        break;

                if (out_fd >= 0)
                        p[np++] = (struct pollfd){.fd = out_fd, .events = POLLIN};
                if (!exited && pidfd >= 0)
                        p[np++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
                if (np > 0 && poll(p, (nfds_t) np, timeout) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (out_fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        char buf[16384];
                        ssize_t n = read(out_fd, buf, sizeof buf);
                        if (n > 0)
                                sink_feed(&sink, buf, (size_t) n, false);
                        else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                                sink_feed(&sink, NULL, 0, true);
                                closep(&out_fd);
                                out_fd = -EBADF;
                        }
                }
                if (!exited) {
                        pid_t w = waitpid(pid, &status, WNOHANG);
                        if (w == pid) {
                                exited = true;
                                /* Reaped: its pid may be reused; only its group is ours now. */
                                spawn_running_pid = 0;
                        }
                        else if (w < 0 && errno != EINTR) {
                                r = -errno;
                                break;
                        }
                }
        }
        if (!exited) {
                /* Only on an internal error above: never leave a child behind. */
                kill_child(pid, group, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        }
        spawn_running_pid = 0;
        /* Stragglers of the step's group; the group only: the reaped pid may be reused. No pgid is
         * reused while the group has members. */
        if (group)
                (void) kill(-pid, SIGKILL);
        spawn_running_pgid = 0;
        sink_feed(&sink, NULL, 0, true);
        closep(&sink.log_fd);

        *ret = (struct spawn_result){
                .exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                .signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                .timed_out = timed_out,
                .tail = req->output == SPAWN_OUTPUT_CAPTURE || req->output == SPAWN_OUTPUT_FD ? sink_take_tail(&sink) : NULL,
        };
        return r < 0 ? r : 0;
}

const char *spawn_result_describe(const struct spawn_result *r, char *buf, size_t size) {
        if (r->timed_out)
                (void) snprintf(buf, size, "timed out and was killed");
        else if (r->signal)
                (void) snprintf(buf, size, "killed by signal %s", sigabbrev_np(r->signal)
                                                                       ? sigabbrev_np(r->signal)
                                                                       : "?");
        else
                (void) snprintf(buf, size, "exited with status %d", r->exit_code);
        return buf;
}

void spawn_result_last_line(const struct spawn_result *r, const char **ret, int *ret_len) {
        const char *tail = r->tail ? r->tail : "";
        size_t n = strlen(tail), b;
        while (n > 0 && tail[n - 1] == '\n')
                n--;
        for (b = n; b > 0 && tail[b - 1] != '\n'; b--)
                ;
        *ret = tail + b;
        *ret_len = (int) (n - b);
}
