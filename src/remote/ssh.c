/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/strv.h"
#include "ssh.h"

void ssh_target_clear(struct ssh_target *t) {
        free(t->user);
        free(t->host);
        *t = (struct ssh_target){0};
}

static bool all_chars(const char *s, size_t n, const char *extra) {
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr(extra, s[i]))
                        return false;
        return n > 0;
}

int ssh_target_parse(const char *s, struct ssh_target *ret) {
        struct ssh_target t = {0};
        const char *at = strchr(s, '@'), *h = at ? at + 1 : s, *port = NULL;
        size_t hn;

        if (at && (at == s || s[0] == '-' || !all_chars(s, (size_t) (at - s), "._-")))
                return -EINVAL;
        if (h[0] == '[') {
                const char *close = strchr(h, ']');
                if (!close || !all_chars(h + 1, (size_t) (close - h - 1), ":.") || (close[1] && close[1] != ':'))
                        return -EINVAL;
                hn = (size_t) (close - h + 1);
                port = close[1] == ':' ? close + 2 : NULL;
        } else {
                const char *colon = strchr(h, ':');
                hn = colon ? (size_t) (colon - h) : strlen(h);
                port = colon ? colon + 1 : NULL;
                if (h[0] == '-' || h[0] == '.' || !all_chars(h, hn, ".-"))
                        return -EINVAL;
        }
        if (port) {
                char *end;
                unsigned long p;
                errno = 0;
                p = strtoul(port, &end, 10);
                if (errno || end == port || *end || !isdigit((unsigned char) port[0]) || p == 0 || p > 65535)
                        return -EINVAL;
                t.port = (unsigned) p;
        }
        if ((at && !(t.user = strndup(s, (size_t) (at - s)))) || !(t.host = strndup(h, hn))) {
                ssh_target_clear(&t);
                return -ENOMEM;
        }
        *ret = t;
        return 0;
}

char *shell_quote(const char *s) {
        size_t n = 3;
        for (const char *c = s; *c; c++)
                n += *c == '\'' ? 4 : 1;
        char *out = malloc(n), *p = out;
        if (!out)
                return NULL;
        *p++ = '\'';
        for (const char *c = s; *c; c++) {
                if (*c == '\'') {
                        memcpy(p, "'\\''", 4);
                        p += 4;
                } else
                        *p++ = *c;
        }
        *p++ = '\'';
        *p = 0;
        return out;
}

char *shell_join(char *const *words) {
        _cleanup_strv_free_ char **q = NULL;
        STRV_FOREACH(w, words)
                if (strv_consume(&q, shell_quote(*w)) < 0)
                        return NULL;
        return strv_join(q ? q : (char *[]){NULL}, " ");
}

static int common_args(const struct ssh_opts *o, char ***l) {
        int r;
#define ADD(...)                                                                                   \
        do {                                                                                       \
                if ((r = strv_extendf(l, __VA_ARGS__)) < 0)                                     \
                        return r;                                                                  \
        } while (0)
        ADD("ssh");
        if (o->config) {
                ADD("-F");
                ADD("%s", o->config);
        }
        ADD("-o");
        ADD("BatchMode=yes");
        ADD("-o");
        ADD("StrictHostKeyChecking=%s", o->accept_new ? "accept-new" : "yes");
        ADD("-o");
        ADD("ServerAliveInterval=15");
        ADD("-o");
        ADD("ServerAliveCountMax=4");
        ADD("-o");
        ADD("ConnectTimeout=30");
        if (o->control_dir) {
                ADD("-o");
                ADD("ControlMaster=auto");
                ADD("-o");
                ADD("ControlPath=%s/ssh-%%C", o->control_dir);
                ADD("-o");
                ADD("ControlPersist=60");
        }
        if (o->target->port) {
                ADD("-p");
                ADD("%u", o->target->port);
        }
        return 0;
}

static int add_dest(const struct ssh_opts *o, char ***argv) {
        const char *h = o->target->host;
        size_t n = strlen(h);
        int r;
        /* ssh wants a bare IPv6 address, without brackets, in DEST. */
        if (h[0] == '[' && n > 2)
                r = o->target->user ? strv_extendf(argv, "%s@%.*s", o->target->user, (int) (n - 2), h + 1)
                                    : strv_extendf(argv, "%.*s", (int) (n - 2), h + 1);
        else
                r = o->target->user ? strv_extendf(argv, "%s@%s", o->target->user, h) : strv_extend(argv, h);
        return r;
}

int ssh_argv(const struct ssh_opts *o, const char *remote_command, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        char ***l = &argv;
        int r;

        if ((r = common_args(o, l)) < 0)
                return r;
        ADD("--");
        if ((r = add_dest(o, &argv)) < 0)
                return r;
        ADD("%s", remote_command);
        *ret = TAKE_PTR(argv);
        return 0;
}

int ssh_exit_argv(const struct ssh_opts *o, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        char ***l = &argv;
        int r;

        if ((r = common_args(o, l)) < 0)
                return r;
        ADD("-O");
        ADD("exit");
        ADD("--");
        if ((r = add_dest(o, &argv)) < 0)
                return r;
#undef ADD
        *ret = TAKE_PTR(argv);
        return 0;
}

bool ssh_is_host_key_error(const char *text) {
        return text && (strstr(text, "Host key verification failed") || strstr(text, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
                        strstr(text, "No ED25519 host key is known") || strstr(text, "host key is known for"));
}
