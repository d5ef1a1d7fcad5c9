/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* Whether a git URL would smuggle an option to the program its transport runs: a URL, a user
 * or a host starting with '-' ("ssh://-oProxyCommand=...", "ssh://--upload-pack=...",
 * "-u@host:path"), which ssh and git read as options (CVE-2017-1000117). Such a URL is refused
 * before any connection, whatever the transport. */
bool url_git_smuggles_option(const char *url);
