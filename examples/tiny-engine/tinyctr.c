/* SPDX-License-Identifier: MIT */
/* tinyctr: a minimal container engine, client and daemon in one static binary, like Docker
 * 1.10's. 'run' starts a command in new mount, PID, UTS and IPC namespaces chrooted into a
 * root file system; 'daemon' serves such runs over a unix socket; 'client' asks a daemon.
 * It exists so that xbuild's pipeline can be shown and tested offline in seconds. */
#define _GNU_SOURCE
#include <errno.h>
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

/* A request is ROOTFS\0CMD\0ARG\0...; the answer is the exit code as 4 bytes. */
static void serve_one(int conn) {
        static char buf[MAX_REQUEST + 1];
        char *args[MAX_ARGS + 1];
        size_t len = 0, n = 0;
        ssize_t k;
        int32_t code = 125;
        pid_t pid;

        while (len < MAX_REQUEST && (k = read(conn, buf + len, MAX_REQUEST - len)) > 0)
                len += (size_t) k;
        buf[len] = 0;
        for (size_t i = 0; i < len && n < MAX_ARGS; i += strlen(buf + i) + 1)
                args[n++] = buf + i;
        args[n] = NULL;
        if (n >= 2) {
                /* Each run in its own process, so the daemon keeps its namespaces. */
                pid = fork();
                if (pid == 0)
                        _exit(run_container(args[0], args + 1));
                int status;
                if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
                        code = WEXITSTATUS(status);
        }
        (void) !write(conn, &code, sizeof code);
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
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 8) < 0) {
                fprintf(stderr, "tinyctr: daemon on %s: %s\n", argv[2], strerror(errno));
                return 1;
        }
        fprintf(stderr, "tinyctr: daemon listening on %s\n", argv[2]);
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
                conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                serve_one(conn);
                close(conn);
        }
}

static int cmd_client(int argc, char **argv) {
        struct sockaddr_un sa;
        int32_t code;
        int fd;

        if (argc < 5 || strcmp(argv[1], "--socket")) {
                usage(stderr);
                return 2;
        }
        if (socket_addr(argv[2], &sa) < 0)
                return 2;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "tinyctr: cannot reach the daemon at %s: %s\n", argv[2], strerror(errno));
                return 1;
        }
        for (int i = 3; i < argc; i++)
                if (write(fd, argv[i], strlen(argv[i]) + 1) < 0)
                        return 1;
        (void) shutdown(fd, SHUT_WR);
        if (read(fd, &code, sizeof code) != (ssize_t) sizeof code) {
                fprintf(stderr, "tinyctr: no answer from the daemon\n");
                return 1;
        }
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
