/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/macro.h"
#include "strategy-name.h"

static const char *const strategy_name_list[] = {"cross", "chroot", "qemu-system", "remote",
                                                 NULL};

enum xb_strategy strategy_from_string(const char *s) {
        for (int i = 0; i < _XB_STRATEGY_MAX; i++)
                if (s && streq(s, strategy_name_list[i]))
                        return (enum xb_strategy) i;
        return _XB_STRATEGY_INVALID;
}

const char *strategy_to_string(enum xb_strategy s) {
        if (s < 0 || s >= _XB_STRATEGY_MAX)
                return NULL;
        return strategy_name_list[s];
}

const char *const *strategy_names(void) {
        return strategy_name_list;
}
