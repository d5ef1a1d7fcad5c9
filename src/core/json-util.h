/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>

/* Small json-c helpers shared by the reports: reading fields that may be absent or of another
 * type without a second thought, and a cleanup function. */

static inline json_object *json_str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

/* The member key of o (NULL when o is not an object or lacks it). */
static inline json_object *json_get(json_object *o, const char *key) {
        json_object *v;
        return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A string member, NULL when absent or not a string. */
static inline const char *json_get_str(json_object *o, const char *key) {
        json_object *v = json_get(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A number member, dflt when absent or not a number. */
static inline double json_get_num(json_object *o, const char *key, double dflt) {
        json_object *v = json_get(o, key);
        return v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) ? json_object_get_double(v)
                                                                                                     : dflt;
}

static inline void json_putp(json_object **j) {
        if (*j)
                json_object_put(*j);
}
