/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/strv.h"
#include "kconfig-profile.h"
#include "schema-util.h"
#include "ydecode.h"

static const char *const level_names[] = {"required", "optional", NULL};

const char *kconfig_level_to_string(enum kconfig_level l) {
        return l >= 0 && l < _KCONFIG_LEVEL_MAX ? level_names[l] : NULL;
}

int kversion_parse(const char *s, kversion_t *ret) {
        unsigned part[3] = {0, 0, 0};
        int n = 0;

        for (const char *p = s;; p++) {
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                unsigned v = 0;
                for (int digits = 0; isdigit((unsigned char) *p); p++) {
                        if (++digits > 3)
                                return -EINVAL;
                        v = v * 10 + (unsigned) (*p - '0');
                }
                if (v > 255)
                        return -EINVAL;
                part[n++] = v;
                if (*p == 0)
                        break;
                if (*p != '.' || n == 3)
                        return -EINVAL;
        }
        if (n < 2 || part[0] == 0)
                return -EINVAL;
        *ret = part[0] << 16 | part[1] << 8 | part[2];
        return 0;
}

static void option_clear(struct kconfig_option *o) {
        free(o->name);
        free(o->reason);
        strv_free(o->any_of);
}

struct kconfig_profile *kconfig_profile_free(struct kconfig_profile *p) {
        if (!p)
                return NULL;
        for (size_t g = 0; g < p->n_groups; g++) {
                for (size_t i = 0; i < p->groups[g].n_options; i++)
                        option_clear(&p->groups[g].options[i]);
                free(p->groups[g].options);
                free(p->groups[g].name);
        }
        free(p->groups);
        free(p->path);
        free(p->name);
        free(p->summary);
        free(p);
        return NULL;
}

static bool is_config_name(const char *s) {
        if (!*s || strneq(s, "CONFIG_", 7) || !isupper((unsigned char) s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!(isupper((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_'))
                        return false;
        return strlen(s) <= 128;
}

static int parse_version(const struct ynode *n, const char *what, kversion_t *ret,
                         struct xb_diag *d) {
        if (n->type != YNODE_SCALAR || kversion_parse(n->value, ret) < 0)
                return yd_error(d, n, "'%s' must be a kernel version such as \"4.7\" (quote it)", what);
        return 0;
}

static int parse_option(const struct ynode *n, const char *what, struct kconfig_option *o,
                        struct xb_diag *d) {
        static const char *const keys[] = {"name", "level", "reason", "any_of", "since", "until",
                                           "module_ok", NULL};
        const struct ynode *v;
        char sub[128];
        int r;

        o->module_ok = true;
        if ((r = yd_mapping(n, what, keys, d)) < 0)
                return r;
        (void) snprintf(sub, sizeof sub, "%s.name", what);
        if ((r = yd_require(n, what, "name", &v, d)) < 0 || (r = yd_string(v, sub, &o->name, d)) < 0)
                return r;
        if (!is_config_name(o->name))
                return yd_error(d, v, "'%s' must be an option name such as NAMESPACES (without CONFIG_), got '%s'",
                                sub, o->name);
        o->level = KCONFIG_REQUIRED;
        if ((v = ynode_get(n, "level"))) {
                o->level = _KCONFIG_LEVEL_INVALID;
                for (int i = 0; level_names[i]; i++)
                        if (v->type == YNODE_SCALAR && streq(v->value, level_names[i]))
                                o->level = (enum kconfig_level) i;
                if (o->level < 0)
                        return yd_error(d, v, "'%s.level' must be required or optional", what);
        }
        if ((v = ynode_get(n, "reason"))) {
                (void) snprintf(sub, sizeof sub, "%s.reason", what);
                if ((r = yd_string(v, sub, &o->reason, d)) < 0)
                        return r;
        }
        if ((v = ynode_get(n, "any_of"))) {
                (void) snprintf(sub, sizeof sub, "%s.any_of", what);
                if ((r = yd_strv(v, sub, true, &o->any_of, d)) < 0)
                        return r;
                for (size_t i = 0; o->any_of[i]; i++)
                        if (!is_config_name(o->any_of[i]))
                                return yd_error(d, v->items[i], "'%s[%zu]' must be an option name, got '%s'",
                                                sub, i, o->any_of[i]);
        } else if (!(o->any_of = calloc(1, sizeof(char *))))
                return -ENOMEM;
        if ((v = ynode_get(n, "since"))) {
                (void) snprintf(sub, sizeof sub, "%s.since", what);
                if ((r = parse_version(v, sub, &o->since, d)) < 0)
                        return r;
        }
        if ((v = ynode_get(n, "until"))) {
                (void) snprintf(sub, sizeof sub, "%s.until", what);
                if ((r = parse_version(v, sub, &o->until, d)) < 0)
                        return r;
                if (o->since && o->until <= o->since)
                        return yd_error(d, v, "'%s' must be a later version than 'since'", sub);
        }
        if ((v = ynode_get(n, "module_ok"))) {
                (void) snprintf(sub, sizeof sub, "%s.module_ok", what);
                if ((r = yd_bool(v, sub, &o->module_ok, d)) < 0)
                        return r;
        }
        return 0;
}

static int profile_from_tree(const struct ynode *root, struct kconfig_profile *p,
                             struct xb_diag *d) {
        static const char *const keys[] = {"name", "summary", "groups", NULL};
        static const char *const gkeys[] = {"name", "options", NULL};
        const struct ynode *v;
        char what[64], sub[96];
        int r;

        if ((r = yd_mapping(root, "kconfig profile", keys, d)) < 0)
                return r;
        if ((r = yd_require(root, "kconfig profile", "name", &v, d)) < 0 ||
            (r = schema_name(v, "name", &p->name, d)) < 0)
                return r;
        if ((r = schema_require_string(root, "profile", "summary", &p->summary, d)) < 0)
                return r;
        if ((r = yd_require(root, "kconfig profile", "groups", &v, d)) < 0)
                return r;
        if (v->type != YNODE_SEQ || v->n == 0)
                return yd_error(d, v, "'groups' must be a non-empty list");
        p->groups = calloc(v->n, sizeof *p->groups);
        if (!p->groups)
                return -ENOMEM;
        for (size_t g = 0; g < v->n; g++) {
                const struct ynode *gn = v->items[g], *opts;
                struct kconfig_group *grp = &p->groups[p->n_groups++];

                (void) snprintf(what, sizeof what, "groups[%zu]", g);
                if ((r = yd_mapping(gn, what, gkeys, d)) < 0)
                        return r;
                (void) snprintf(sub, sizeof sub, "%s.name", what);
                const struct ynode *nn;
                if ((r = yd_require(gn, what, "name", &nn, d)) < 0 ||
                    (r = yd_string(nn, sub, &grp->name, d)) < 0)
                        return r;
                if ((r = yd_require(gn, what, "options", &opts, d)) < 0)
                        return r;
                if (opts->type != YNODE_SEQ || opts->n == 0)
                        return yd_error(d, opts, "'%s.options' must be a non-empty list", what);
                grp->options = calloc(opts->n, sizeof *grp->options);
                if (!grp->options)
                        return -ENOMEM;
                for (size_t i = 0; i < opts->n; i++) {
                        (void) snprintf(sub, sizeof sub, "%s.options[%zu]", what, i);
                        r = parse_option(opts->items[i], sub, &grp->options[grp->n_options++], d);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int profile_decode(const struct ynode *root, const char *filename, void **ret,
                          struct xb_diag *d) {
        _cleanup_(kconfig_profile_freep) struct kconfig_profile *p = calloc(1, sizeof *p);
        int r;

        if (!p || !(p->path = strdup(filename)))
                return -ENOMEM;
        r = profile_from_tree(root, p, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

int kconfig_profile_parse(const char *data, size_t size, const char *filename,
                          struct kconfig_profile **ret, struct xb_diag *reterr) {
        return schema_parse(data, size, filename, profile_decode, (void **) ret, reterr);
}

int kconfig_profile_load(const char *path, struct kconfig_profile **ret, struct xb_diag *reterr) {
        return schema_load(path, profile_decode, (void **) ret, reterr);
}
