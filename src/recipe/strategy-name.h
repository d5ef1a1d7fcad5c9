/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>

/* The build strategies, in the order 'auto' prefers them (fastest first). */
enum xb_strategy {
        XB_STRATEGY_CROSS,
        XB_STRATEGY_CHROOT,
        XB_STRATEGY_QEMU_SYSTEM,
        XB_STRATEGY_REMOTE,
        _XB_STRATEGY_MAX,
        _XB_STRATEGY_INVALID = -EINVAL,
};

enum xb_strategy strategy_from_string(const char *s);
const char *strategy_to_string(enum xb_strategy s);
const char *const *strategy_names(void);
