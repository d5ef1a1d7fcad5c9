/* SPDX-License-Identifier: MIT */
/* xbuild-session: the namespace helper as a small executable of its own. It links libc and
 * a few core files only, so starting a session costs a light exec, not a second start of
 * xbuild with libcurl, libgit2 and libarchive (about 20 ms here, bench/README.md). */
#include "ns-helper.h"

int main(int argc, char **argv) {
        return ns_helper_main(argc, argv);
}
