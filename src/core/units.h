/* SPDX-License-Identifier: MIT */
#pragma once

/* Memory sizes as users write them: "2048", "2048M", "2048MiB", "3G", "3GiB" (no suffix:
 * MiB). Returns the size in MiB, or -EINVAL outside [min_mib, max_mib] or on anything else. */
int parse_size_mib(const char *s, unsigned long long min_mib, unsigned long long max_mib, unsigned long long *ret);
