/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json-util.h"
#include "core/macro.h"
#include "core/path.h"
#include "matrix-merge.h"
#include "report/matrix-report.h"

/* dir as seen from out: "cells-a" when under it, else absolute. */
static char *prefix_for(const char *out_abs, const char *dir_abs) {
        size_t ol = strlen(out_abs);
        if (strneq(dir_abs, out_abs, ol) && dir_abs[ol] == '/')
                return strdup(dir_abs + ol + 1);
        return strdup(dir_abs);
}

/* A run's paths must stay inside it: a matrix.json from a CI job is input, not trusted. */
static int rebase(json_object *o, const char *key, const char *prefix) {
        const char *v = json_get_str(o, key);
        if (!v)
                return 0;
        if (!path_is_safe_relative(v))
                return -EPERM;
        _cleanup_free_ char *p = path_join(prefix, v);
        if (!p)
                return -ENOMEM;
        json_object_object_add(o, key, json_object_new_string(p));
        return 0;
}

static char *absolute(const char *p) {
        if (p[0] == '/')
                return path_normalize(p);
        _cleanup_free_ char *cwd = getcwd(NULL, 0), *j = cwd ? path_join(cwd, p) : NULL;
        return j ? path_normalize(j) : NULL;
}

int matrix_merge(char *const *dirs, const char *out_dir, json_object **ret_cells, char **ret_name, char **ret_file,
                 struct xb_detail *err) {
        _cleanup_(json_putp) json_object *cells = json_object_new_array();
        _cleanup_free_ char *out_abs = absolute(out_dir), *name = NULL, *file = NULL;
        int r;

        if (!cells || !out_abs)
                return -ENOMEM;
        for (char *const *d = dirs; d && *d; d++) {
                _cleanup_free_ char *dir_abs = absolute(*d), *path = NULL, *prefix = NULL;
                if (!dir_abs || !(path = path_join(dir_abs, "matrix.json")) || !(prefix = prefix_for(out_abs, dir_abs)))
                        return -ENOMEM;
                _cleanup_(json_putp) json_object *doc = json_object_from_file(path);
                const char *schema = json_get_str(doc, "schema");
                json_object *list = json_get(doc, "cells");
                if (!doc || !schema || !streq(schema, MATRIX_SCHEMA) || !list || !json_object_is_type(list, json_type_array))
                        return xb_detail_set(err, -EINVAL, "%s: not a matrix.json of schema %s", path, MATRIX_SCHEMA);
                /* The name becomes a directory (out/matrix/NAME): only a plain one is taken. */
                const char *nm = json_get_str(doc, "name");
                if (!name && nm && strlen(nm) < 64 && nm[0] != '.' && nm[0] != '-' &&
                    strspn(nm, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(nm) && !(name = strdup(nm)))
                        return -ENOMEM;
                if (!file && json_get_str(doc, "file") && !(file = strdup(json_get_str(doc, "file"))))
                        return -ENOMEM;
                for (size_t i = 0; i < json_object_array_length(list); i++) {
                        json_object *c = json_object_array_get_idx(list, i);
                        const char *id = json_get_str(c, "id");
                        if (!id)
                                return xb_detail_set(err, -EINVAL, "%s: a cell without an id", path);
                        for (size_t k = 0; k < json_object_array_length(cells); k++)
                                if (streq(strempty(json_get_str(json_object_array_get_idx(cells, k), "id")), id))
                                        return xb_detail_set(err, -EINVAL, "%s: cell %s is also in an earlier directory", path, id);
                        /* Its paths, relative to its own run, now relative to the merged one. */
                        if ((r = rebase(c, "dir", prefix)) < 0 || (r = rebase(c, "log", prefix)) < 0 ||
                            (r = rebase(c, "report", prefix)) < 0 || (r = rebase(json_get(c, "test"), "report", prefix)) < 0)
                                return r == -EPERM ? xb_detail_set(err, -EINVAL, "%s: cell %s names a path outside its run", path, id)
                                                   : r;
                        json_object *arts = json_get(c, "artifacts");
                        for (size_t k = 0; arts && k < json_object_array_length(arts); k++)
                                if ((r = rebase(json_object_array_get_idx(arts, k), "path", prefix)) < 0)
                                        return r == -EPERM ? xb_detail_set(err, -EINVAL, "%s: cell %s names a path outside its run",
                                                                           path, id)
                                                           : r;
                        json_object_array_add(cells, json_object_get(c));
                }
        }
        *ret_cells = TAKE_PTR(cells);
        *ret_name = name ? TAKE_PTR(name) : strdup("merged");
        *ret_file = TAKE_PTR(file);
        return *ret_name ? 0 : -ENOMEM;
}
