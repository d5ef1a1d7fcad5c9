/* A program that does to its host what a smoke run must never be able to do: it writes /etc
 * and a path the host chose, mounts over /proc, kills a host process and connects to a host
 * port, then exits 3 so that verification shows its output. tests/privileged/sandbox.sh
 * builds it for ARM and checks on the host that nothing happened. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

static void say(const char *what, int ok) {
        printf("%s: %s\n", what, ok ? "done" : strerror(errno));
}

int main(int argc, char **argv) {
        if (argc != 4) {
                fprintf(stderr, "usage: hostile-smoke PID FILE PORT\n");
                return 2;
        }
        say("write /etc/xbuild-hostile", open("/etc/xbuild-hostile", O_WRONLY | O_CREAT, 0644) >= 0);
        say("write the host's file", open(argv[2], O_WRONLY | O_CREAT, 0644) >= 0);
        say("mount over /proc", mount("tmpfs", "/proc", "tmpfs", 0, NULL) == 0);
        say("kill the host's process", kill((pid_t) atoi(argv[1]), SIGKILL) == 0);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short) atoi(argv[3]))};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        say("connect to the host", s >= 0 && connect(s, (struct sockaddr *) &sa, sizeof sa) == 0);
        /* A failure, so that verification prints what happened. */
        return 3;
}
