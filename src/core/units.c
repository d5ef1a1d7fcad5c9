/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "units.h"

int parse_size_mib(const char *s, unsigned long long min_mib, unsigned long long max_mib, unsigned long long *ret) {
        char *end;
        unsigned long long v;

        if (!s || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || v == 0)
                return -EINVAL;
        if (streq(end, "") || streq(end, "M") || streq(end, "MiB"))
                ;
        else if (streq(end, "G") || streq(end, "GiB")) {
                if (v > (1ULL << 30))
                        return -EINVAL;
                v *= 1024;
        } else
                return -EINVAL;
        if (v < min_mib || v > max_mib)
                return -EINVAL;
        *ret = v;
        return 0;
}
