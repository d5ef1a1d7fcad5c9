/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "dirs.h"
#include "macro.h"
#include "path.h"

int xb_cache_dir(const char *override, char **ret) {
        const char *e;
        char *p;

        if (override && *override)
                p = strdup(override);
        else if ((e = getenv("XBUILD_CACHE_DIR")) && *e)
                p = strdup(e);
        else if ((e = getenv("XDG_CACHE_HOME")) && *e == '/')
                p = path_join(e, "xbuild");
        else {
                const char *home = getenv("HOME");
                if (!home || *home != '/') {
                        struct passwd *pw = getpwuid(getuid());
                        if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
                                return -ENOENT;
                        home = pw->pw_dir;
                }
                _cleanup_free_ char *c = path_join(home, ".cache");
                p = c ? path_join(c, "xbuild") : NULL;
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}
