/* SPDX-License-Identifier: MIT */
/* tinyctr: a minimal container engine, client and daemon in one static binary, like Docker
 * 1.10's. 'run' starts a command in new mount, PID, UTS and IPC namespaces chrooted into a
 * root file system; 'daemon' serves such runs over a unix socket; 'client' asks a daemon.
 * It exists so that xbuild's pipeline can be shown and tested offline in seconds. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "0.1.0"
#define MAX_REQUEST 65536
#define MAX_ARGS 256
#define NFDS 3 /* stdin, stdout, stderr */

static void usage(FILE *f) {
        fputs("Usage: tinyctr run ROOTFS CMD [ARGS...]\n"
              "       tinyctr daemon --socket PATH\n"
              "       tinyctr client --socket PATH ROOTFS CMD [ARGS...]\n"
              "       tinyctr --version | --help\n",
              f);
}

/* Runs argv[0] in a fresh set of namespaces inside rootfs; returns a wait status code. */
static int run_container(const char *rootfs, char **argv) {
        pid_t pid;
        int status;

        if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) < 0) {
                fprintf(stderr, "tinyctr: unshare: %s\n", strerror(errno));
                return 125;
        }
        pid = fork(); /* the first child is PID 1 of the new PID namespace */
        if (pid < 0) {
                fprintf(stderr, "tinyctr: fork: %s\n", strerror(errno));
                return 125;
        }
        if (pid == 0) {
                /* Private propagation first, so nothing mounted here reaches the host. */
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || chroot(rootfs) < 0 ||
                    chdir("/") < 0) {
                        fprintf(stderr, "tinyctr: entering %s: %s\n", rootfs, strerror(errno));
                        _exit(125);
                }
                (void) sethostname("tinyctr", 7);
                struct stat st;
                if (stat("/proc", &st) == 0 && S_ISDIR(st.st_mode))
                        (void) mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
                execvp(argv[0], argv);
                fprintf(stderr, "tinyctr: %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 125;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

static int socket_addr(const char *path, struct sockaddr_un *sa) {
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        if (strlen(path) >= sizeof sa->sun_path) {
                fprintf(stderr, "tinyctr: socket path too long: %s\n", path);
                return -1;
        }
        strncpy(sa->sun_path, path, sizeof sa->sun_path - 1);
        return 0;
}

/* Opens /dev/null on whichever of 0, 1 and 2 is closed. The client passes 0-2 to the daemon
 * as they are, and the daemon's child dup2()s received descriptors onto 0-2: with all three
 * open, no socket or received descriptor can take one of those numbers and be clobbered. */
static int ensure_stdio(void) {
        for (int fd = 0; fd < NFDS; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                int null = open("/dev/null", O_RDWR); /* the lowest free number: fd */
                if (null < 0)
                        return -1;
                if (null != fd) {
                        close(null);
                        return -1;
                }
        }
        return 0;
}

static void close_fds(const int *fds, int n) {
        for (int i = 0; i < n; i++)
                close(fds[i]);
}

/* MSG_NOSIGNAL: a peer that went away is an error to report, not a reason to die. */
static int send_all(int fd, const void *data, size_t len) {
        const char *p = data;
        ssize_t k;

        while (len > 0) {
                k = send(fd, p, len, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

/* read(), but a signal is not an error. */
static ssize_t read_some(int fd, void *data, size_t len) {
        ssize_t k;

        while ((k = read(fd, data, len)) < 0)
                if (errno != EINTR)
                        return -1;
        return k;
}

/* Reads exactly len bytes; -1 on an error or an early end. */
static int read_full(int fd, void *data, size_t len) {
        char *p = data;
        ssize_t k;

        while (len > 0) {
                k = read_some(fd, p, len);
                if (k <= 0)
                        return -1;
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

/* Sends the request with the client's stdin, stdout and stderr attached to its first chunk
 * (SCM_RIGHTS), so the container reads and writes where the client does, as with docker run. */
static int send_request(int fd, const char *req, size_t len) {
        const int fds[NFDS] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
        union {
                char buf[CMSG_SPACE(sizeof fds)];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = (void *) req, .iov_len = len};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        struct cmsghdr *c;
        ssize_t k;

        memset(&ctl, 0, sizeof ctl);
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof fds);
        memcpy(CMSG_DATA(c), fds, sizeof fds);
        /* An interrupted sendmsg sent nothing, descriptors included: send it all again. */
        while ((k = sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0)
                if (errno != EINTR)
                        return -1;
        return send_all(fd, req + k, len - (size_t) k);
}

/* Takes the descriptors that came with a chunk. Received close-on-exec, so that if one is
 * left open by mistake no container inherits it; more than NFDS, or a truncated list, makes
 * the request bad (the extra ones are closed here, the kept ones by the caller). */
static int take_fds(struct msghdr *msg, int *fds, int *nfds) {
        struct cmsghdr *c;
        int bad = (msg->msg_flags & MSG_CTRUNC) != 0;

        for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
                        if (*nfds < NFDS) {
                                fds[(*nfds)++] = fd;
                        } else {
                                close(fd);
                                bad = 1;
                        }
                }
        }
        return bad ? -1 : 0;
}

/* Reads a whole request; the descriptors, if any, ride on its first chunk. Later chunks are
 * read with read(), and the kernel closes any descriptors sent with them. Returns the length,
 * or -1 for a bad request; either way the caller closes fds[0..*nfds). */
static ssize_t recv_request(int conn, char *buf, size_t cap, int *fds, int *nfds) {
        union {
                char buf[CMSG_SPACE(NFDS * sizeof(int))];
                struct cmsghdr align;
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = cap};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        size_t len;
        ssize_t k;

        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof ctl.buf;
        while ((k = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC)) < 0)
                if (errno != EINTR)
                        return -1;
        if (take_fds(&msg, fds, nfds) < 0)
                return -1;
        for (len = (size_t) k; k > 0 && len < cap; len += (size_t) k)
                if ((k = read_some(conn, buf + len, cap - len)) < 0)
                        return -1;
        return (ssize_t) len;
}

/* Puts the client's descriptors on 0, 1 and 2 of the process about to become the container. */
static int attach_stdio(const int *fds) {
        for (int i = 0; i < NFDS; i++)
                if (dup2(fds[i], i) < 0) {
                        fprintf(stderr, "tinyctr: dup2: %s\n", strerror(errno));
                        return -1;
                }
        close_fds(fds, NFDS); /* all above 2, thanks to ensure_stdio() in the daemon */
        return 0;
}

/* Each run in its own process, so the daemon keeps its namespaces; fds, if not NULL, become
 * the container's stdin, stdout and stderr, else it inherits the daemon's. */
static int run_request(char **args, const int *fds) {
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "tinyctr: fork: %s\n", strerror(errno));
                return 125;
        }
        if (pid == 0) {
                /* The daemon ignores SIGPIPE and exec would keep that: a container writing
                 * into a closed pipe of the client's must die of it like any program. */
                signal(SIGPIPE, SIG_DFL);
                if (fds && attach_stdio(fds) < 0)
                        _exit(125);
                _exit(run_container(args[0], args + 1));
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return 125;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

/* A request is ROOTFS\0CMD\0ARG\0..., with none or NFDS descriptors attached (stdin, stdout,
 * stderr); the answer is the exit code as 4 bytes. A bad request is answered 125, and every
 * descriptor received is closed here whatever happened, so the daemon serves on. */
static void serve_one(int conn) {
        static char buf[MAX_REQUEST + 1];
        char *args[MAX_ARGS + 1];
        int fds[NFDS], nfds = 0;
        int32_t code = 125;
        size_t n = 0;
        ssize_t len;

        len = recv_request(conn, buf, MAX_REQUEST, fds, &nfds);
        if (len >= 0 && (nfds == 0 || nfds == NFDS)) {
                buf[len] = 0;
                for (size_t i = 0; i < (size_t) len && n < MAX_ARGS; i += strlen(buf + i) + 1)
                        args[n++] = buf + i;
                args[n] = NULL;
                if (n >= 2)
                        code = run_request(args, nfds ? fds : NULL);
        } else {
                fprintf(stderr, "tinyctr: bad request (unreadable, or not 0 or %d descriptors)\n", NFDS);
        }
        close_fds(fds, nfds);
        if (send_all(conn, &code, sizeof code) < 0)
                fprintf(stderr, "tinyctr: answering the client: %s\n", strerror(errno));
}

static int cmd_daemon(int argc, char **argv) {
        struct sockaddr_un sa;
        int fd, conn;

        if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                puts("Usage: tinyctr daemon --socket PATH\n"
                     "Serve container runs requested by 'tinyctr client' on a unix socket.");
                return 0;
        }
        if (argc != 3 || strcmp(argv[1], "--socket")) {
                usage(stderr);
                return 2;
        }
        if (socket_addr(argv[2], &sa) < 0)
                return 2;
        if (ensure_stdio() < 0) {
                fprintf(stderr, "tinyctr: /dev/null: %s\n", strerror(errno));
                return 1;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 8) < 0) {
                fprintf(stderr, "tinyctr: daemon on %s: %s\n", argv[2], strerror(errno));
                if (fd >= 0)
                        close(fd);
                return 1;
        }
        fprintf(stderr, "tinyctr: daemon listening on %s\n", argv[2]);
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
                conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn < 0) {
                        /* A client that gave up before being accepted is no reason to stop. */
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        fprintf(stderr, "tinyctr: accept: %s\n", strerror(errno));
                        close(fd);
                        return 1;
                }
                serve_one(conn);
                close(conn);
        }
}

/* Lays ROOTFS\0CMD\0ARG\0... out in buf; -1 if it does not fit what the daemon reads. */
static ssize_t build_request(char *buf, size_t cap, int argc, char **argv) {
        size_t len = 0;

        if (argc > MAX_ARGS)
                return -1;
        for (int i = 0; i < argc; i++) {
                size_t k = strlen(argv[i]) + 1;
                if (k > cap - len)
                        return -1;
                memcpy(buf + len, argv[i], k);
                len += k;
        }
        return (ssize_t) len;
}

static int cmd_client(int argc, char **argv) {
        static char req[MAX_REQUEST];
        struct sockaddr_un sa;
        int32_t code;
        ssize_t len;
        int fd;

        if (argc < 5 || strcmp(argv[1], "--socket")) {
                usage(stderr);
                return 2;
        }
        if (socket_addr(argv[2], &sa) < 0)
                return 2;
        len = build_request(req, sizeof req, argc - 3, argv + 3);
        if (len < 0) {
                fprintf(stderr, "tinyctr: request too long (at most %d arguments, %d bytes)\n",
                        MAX_ARGS, MAX_REQUEST);
                return 2;
        }
        if (ensure_stdio() < 0) {
                fprintf(stderr, "tinyctr: /dev/null: %s\n", strerror(errno));
                return 1;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "tinyctr: cannot reach the daemon at %s: %s\n", argv[2], strerror(errno));
                if (fd >= 0)
                        close(fd);
                return 1;
        }
        if (send_request(fd, req, (size_t) len) < 0) {
                fprintf(stderr, "tinyctr: sending the request: %s\n", strerror(errno));
                close(fd);
                return 1;
        }
        (void) shutdown(fd, SHUT_WR);
        if (read_full(fd, &code, sizeof code) < 0) {
                fprintf(stderr, "tinyctr: no answer from the daemon\n");
                close(fd);
                return 1;
        }
        close(fd);
        return code;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (!strcmp(argv[1], "--version")) {
                puts("tinyctr " VERSION);
                return 0;
        }
        if (!strcmp(argv[1], "--help")) {
                usage(stdout);
                return 0;
        }
        if (!strcmp(argv[1], "run") && argc >= 4)
                return run_container(argv[2], argv + 3);
        if (!strcmp(argv[1], "daemon"))
                return cmd_daemon(argc - 1, argv + 1);
        if (!strcmp(argv[1], "client"))
                return cmd_client(argc - 1, argv + 1);
        usage(stderr);
        return 2;
}
