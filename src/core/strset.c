/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"

static uint64_t fnv1a(const char *s, size_t len) {
        uint64_t h = 1469598103934665603ULL;
        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char) s[i]) * 1099511628211ULL;
        return h;
}

bool name_set_has(const struct name_set *ns, const char *s, size_t len) {
        if (ns->n == 0)
                return false;
        for (size_t i = fnv1a(s, len) & (ns->cap - 1);; i = (i + 1) & (ns->cap - 1)) {
                if (!ns->slots[i])
                        return false;
                if (strlen(ns->slots[i]) == len && memcmp(ns->slots[i], s, len) == 0)
                        return true;
        }
}

int name_set_add(struct name_set *ns, const char *s) {
        if (name_set_has(ns, s, strlen(s)))
                return 0;
        if ((ns->n + 1) * 2 > ns->cap) {
                size_t cap = ns->cap ? ns->cap * 2 : 64;
                char **slots = calloc(cap, sizeof *slots);
                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < ns->cap; i++)
                        if (ns->slots[i]) {
                                size_t j = fnv1a(ns->slots[i], strlen(ns->slots[i])) & (cap - 1);
                                while (slots[j])
                                        j = (j + 1) & (cap - 1);
                                slots[j] = ns->slots[i];
                        }
                free(ns->slots);
                ns->slots = slots;
                ns->cap = cap;
        }
        size_t i = fnv1a(s, strlen(s)) & (ns->cap - 1);
        while (ns->slots[i])
                i = (i + 1) & (ns->cap - 1);
        if (!(ns->slots[i] = strdup(s)))
                return -ENOMEM;
        ns->n++;
        return 0;
}

void name_set_clear(struct name_set *ns) {
        for (size_t i = 0; i < ns->cap; i++)
                free(ns->slots[i]);
        free(ns->slots);
        *ns = (struct name_set){0};
}

