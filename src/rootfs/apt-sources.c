/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apt-sources.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/strv.h"

static bool word_in(const char *list, const char *word) {
        size_t wl = strlen(word);
        for (const char *p = list; *p;) {
                while (*p && isspace((unsigned char) *p))
                        p++;
                size_t n = strcspn(p, " \t");
                if (n == wl && strneq(p, word, wl))
                        return true;
                p += n;
        }
        return false;
}

static bool usable_uri(const char *u) {
        return strneq(u, "http://", 7) || strneq(u, "https://", 8) || strneq(u, "file://", 7);
}

/* "deb [opts] URI SUITE COMPONENTS..." */
static int one_line(const char *line, const char *suite, char **ret) {
        const char *p = line;
        while (isspace((unsigned char) *p))
                p++;
        if (!strneq(p, "deb", 3) || !isspace((unsigned char) p[3]))
                return -ENOENT;
        p += 3;
        while (isspace((unsigned char) *p))
                p++;
        if (*p == '[') {
                const char *e = strchr(p, ']');
                if (!e)
                        return -ENOENT;
                p = e + 1;
                while (isspace((unsigned char) *p))
                        p++;
        }
        size_t ul = strcspn(p, " \t");
        const char *s = p + ul;
        while (isspace((unsigned char) *s))
                s++;
        size_t sl = strcspn(s, " \t");
        if (sl != strlen(suite) || !strneq(s, suite, sl))
                return -ENOENT;
        _cleanup_free_ char *uri = strndup(p, ul);
        if (!uri)
                return -ENOMEM;
        if (!usable_uri(uri))
                return -ENOENT;
        *ret = TAKE_PTR(uri);
        return 0;
}

/* A deb822 stanza's fields: Types, URIs, Suites, Enabled. */
struct stanza {
        char types[256], uris[1024], suites[256];
        bool disabled;
};

static int finish_stanza(struct stanza *st, const char *suite, char **ret) {
        int r = -ENOENT;
        if (!st->disabled && word_in(st->types, "deb") && word_in(st->suites, suite)) {
                const char *p = st->uris;
                while (isspace((unsigned char) *p))
                        p++;
                _cleanup_free_ char *uri = strndup(p, strcspn(p, " \t"));
                if (!uri)
                        return -ENOMEM;
                if (usable_uri(uri)) {
                        *ret = TAKE_PTR(uri);
                        r = 0;
                }
        }
        *st = (struct stanza){0};
        return r;
}

int apt_sources_find_in_text(const char *text, int deb822, const char *suite, char **ret) {
        struct stanza st = {0};
        char *field = NULL; /* the field a continuation line extends */

        for (const char *l = text;;) {
                size_t n = strcspn(l, "\n");
                char line[2048];
                (void) snprintf(line, sizeof line, "%.*s", (int) MIN(n, sizeof line - 1), l);
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = 0;
                size_t k = strlen(line);
                while (k > 0 && isspace((unsigned char) line[k - 1]))
                        line[--k] = 0;
                if (!deb822) {
                        if (one_line(line, suite, ret) == 0)
                                return 0;
                } else if (k == 0) {
                        /* A blank line ends a stanza (comment lines do not). */
                        if (!hash && finish_stanza(&st, suite, ret) == 0)
                                return 0;
                        field = NULL;
                } else if (isspace((unsigned char) line[0]) && field) {
                        size_t cap = field == st.uris ? sizeof st.uris : 256, used = strlen(field);
                        (void) snprintf(field + used, cap - used, " %s", line);
                } else {
                        char *colon = strchr(line, ':');
                        field = NULL;
                        if (colon) {
                                *colon = 0;
                                const char *v = colon + 1;
                                if (!strcasecmp(line, "Types"))
                                        field = st.types;
                                else if (!strcasecmp(line, "URIs"))
                                        field = st.uris;
                                else if (!strcasecmp(line, "Suites"))
                                        field = st.suites;
                                else if (!strcasecmp(line, "Enabled"))
                                        st.disabled = strstr(v, "no") != NULL;
                                if (field)
                                        (void) snprintf(field, field == st.uris ? sizeof st.uris : 256, "%s", v);
                        }
                }
                if (!l[n])
                        break;
                l += n + 1;
        }
        if (deb822)
                return finish_stanza(&st, suite, ret);
        return -ENOENT;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int try_file(const char *path, int deb822, const char *suite, char **ret) {
        _cleanup_free_ char *text = NULL;
        if (read_full_file(path, 1 << 20, &text, NULL) < 0)
                return -ENOENT;
        return apt_sources_find_in_text(text, deb822, suite, ret);
}

int apt_sources_find_mirror(const char *etc_apt, const char *suite, char **ret) {
        _cleanup_free_ char *main_list = path_join(etc_apt, "sources.list"), *dir = path_join(etc_apt, "sources.list.d");
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        if (!main_list || !dir)
                return -ENOMEM;
        if (try_file(main_list, 0, suite, ret) == 0)
                return 0;
        d = opendir(dir);
        if (!d)
                return -ENOENT;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strv_extend(&names, de->d_name) < 0)
                        return -ENOMEM;
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        STRV_FOREACH(n, names) {
                size_t l = strlen(*n);
                int deb822 = l > 8 && streq(*n + l - 8, ".sources");
                if (!deb822 && !(l > 5 && streq(*n + l - 5, ".list")))
                        continue;
                _cleanup_free_ char *p = path_join(dir, *n);
                if (!p)
                        return -ENOMEM;
                if (try_file(p, deb822, suite, ret) == 0)
                        return 0;
        }
        return -ENOENT;
}
