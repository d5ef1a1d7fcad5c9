/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "url.h"

bool url_git_smuggles_option(const char *url) {
        const char *p = strstr(url, "://"), *end, *at;

        if (url[0] == '-')
                return true;
        /* The authority: after "scheme://" up to the path, or before ':' in user@host:path. */
        p = p ? p + 3 : url;
        end = p + strcspn(p, p == url ? ":/" : "/");
        if (*p == '-')
                return true;
        at = memchr(p, '@', (size_t) (end - p));
        return at && at[1] == '-';
}
