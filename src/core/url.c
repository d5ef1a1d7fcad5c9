/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "url.h"

/* Where the authority starts: after "scheme://" when what precedes "://" is a scheme name
 * (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), else the whole string (user@host:path). */
static const char *authority(const char *url, bool *ret_scheme) {
        const char *sep = strstr(url, "://");
        bool scheme = sep && sep > url && isalpha((unsigned char) url[0]);
        for (const char *p = url; scheme && p < sep; p++)
                if (!isalnum((unsigned char) *p) && !strchr("+-.", *p))
                        scheme = false;
        *ret_scheme = scheme;
        return scheme ? sep + 3 : url;
}

bool url_git_smuggles_option(const char *url) {
        bool scheme;
        const char *p = authority(url, &scheme), *end, *at = NULL, *host;

        if (url[0] == '-')
                return true;
        end = p + strcspn(p, scheme ? "/" : ":/");
        /* The user is what precedes the last '@' of the authority, as URL parsers read it. */
        for (const char *c = p; c < end; c++)
                if (*c == '@')
                        at = c;
        host = at ? at + 1 : p;
        if (*host == '[') /* a bracketed host: [-oX] is an option all the same */
                host++;
        return *p == '-' || *host == '-';
}
