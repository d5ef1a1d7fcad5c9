/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/spawn.h"

/* The system's OpenSSH client, so ~/.ssh/config, agents and jump hosts work as for the user.
 * Every remote command is one string for the remote shell, built only from shell_quote()d
 * words: nothing from a recipe or the command line is ever interpreted there. */

struct ssh_target {
        char *user;  /* NULL: ssh's default */
        char *host;
        unsigned port; /* 0: ssh's default */
};
void ssh_target_clear(struct ssh_target *t);
/* [USER@]HOST[:PORT], HOST a name or an IPv4 address or [IPv6]. Refused (-EINVAL): empty
 * parts, a user or host starting with '-', characters outside [A-Za-z0-9._-] in the user,
 * outside [A-Za-z0-9.-] in a host name (':' inside [] for IPv6), a port out of range. */
int ssh_target_parse(const char *s, struct ssh_target *ret);

/* 'word' for the remote POSIX shell: single quotes, each ' as '\''. */
char *shell_quote(const char *s);
/* The words quoted and joined by spaces. */
char *shell_join(char *const *words);

struct ssh_opts {
        const struct ssh_target *target;
        const char *config;      /* ssh -F FILE, NULL: the user's */
        const char *control_dir; /* where the multiplexing socket lives (our session) */
        bool accept_new;         /* StrictHostKeyChecking accept-new instead of yes */
};

/* ssh [options] -- DEST COMMAND: BatchMode (never a prompt), a known host key required
 * (accept-new only when asked), keepalives, one multiplexed connection for the many small
 * commands. */
int ssh_argv(const struct ssh_opts *o, const char *remote_command, char ***ret);
/* The argv that closes the multiplexing master (ssh -O exit). */
int ssh_exit_argv(const struct ssh_opts *o, char ***ret);

/* ssh's own failure (exit 255) classified from its last line: a host key problem, or not. */
bool ssh_is_host_key_error(const char *text);
