/* SPDX-License-Identifier: MIT */
#pragma once

/* The host's Debian mirror, read from its apt configuration at run time (never written into
 * code or recipes): the first "deb" source, in sources.list then sources.list.d/ (one-line
 * *.list and deb822 *.sources), whose suites include the wanted one. */

/* Parses one file's text (deb822 when deb822 is set); returns the URI via *ret (malloc'd),
 * 0 when found, -ENOENT when this text has none. */
int apt_sources_find_in_text(const char *text, int deb822, const char *suite, char **ret);
/* Looks through etc_apt (normally /etc/apt). -ENOENT with none. */
int apt_sources_find_mirror(const char *etc_apt, const char *suite, char **ret);
