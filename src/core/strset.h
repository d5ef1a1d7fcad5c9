/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A set of strings (open addressing, FNV-1a): names seen, without syscalls. */
struct name_set {
        char **slots;
        size_t cap, n;
};

bool name_set_has(const struct name_set *ns, const char *s, size_t len);
/* Adds a copy of s (no-op when present). 0 or -ENOMEM. */
int name_set_add(struct name_set *ns, const char *s);
void name_set_clear(struct name_set *ns);
