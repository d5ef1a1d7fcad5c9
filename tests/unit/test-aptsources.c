/* SPDX-License-Identifier: MIT */
/* Finding the host's Debian mirror in apt's configuration (host names are placeholders). */
#include <string.h>

#include "core/macro.h"
#include "rootfs/apt-sources.h"
#include "tap.h"

static void check(const char *text, int deb822, const char *suite, const char *want, const char *what) {
        char *got = NULL;
        int r = apt_sources_find_in_text(text, deb822, suite, &got);
        tap_ok(want ? (r == 0 && got && streq(got, want)) : r == -ENOENT, "%s: got %s", what, got ? got : "(none)");
        free(got);
}

int main(void) {
        static const char deb822[] =
                "# security first, with another suite\n"
                "Types: deb\n"
                "URIs: http://security.example.invalid/debian-security\n"
                "Suites: bookworm-security\n"
                "Components: main\n"
                "\n"
                "Types: deb-src\n"
                "URIs: http://src.example.invalid/debian\n"
                "Suites: bookworm\n"
                "\n"
                "Types: deb\n"
                "URIs: http://mirror.example.invalid/debian\n"
                "Suites: bookworm bookworm-updates\n"
                "Components: main\n"
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";
        check(deb822, 1, "bookworm", "http://mirror.example.invalid/debian", "deb822: the stanza with the suite, not deb-src");
        check(deb822, 1, "trixie", NULL, "deb822: no stanza for another suite");
        static const char disabled[] = "Types: deb\nURIs: http://off.example.invalid/debian\nSuites: bookworm\nEnabled: no\n";
        check(disabled, 1, "bookworm", NULL, "deb822: Enabled: no is skipped");
        static const char folded[] = "Types: deb\nURIs:\n http://folded.example.invalid/debian\nSuites: bookworm\n";
        check(folded, 1, "bookworm", "http://folded.example.invalid/debian", "deb822: a value on a continuation line");
        static const char list[] = "# deb http://commented.example.invalid/debian bookworm main\n"
                                   "deb-src http://src.example.invalid/debian bookworm main\n"
                                   "deb [signed-by=/k.gpg arch=amd64] https://one.example.invalid/debian bookworm main contrib\n";
        check(list, 0, "bookworm", "https://one.example.invalid/debian", "one-line: options in brackets, comments skipped");
        check("deb cdrom:[Debian]/ bookworm main\n", 0, "bookworm", NULL, "one-line: cdrom sources are not mirrors");
        check("deb http://x.example.invalid/debian bookworm-updates main\n", 0, "bookworm", NULL,
              "one-line: a different suite does not match");
        return tap_done();
}
