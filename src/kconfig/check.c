/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

void kcheck_clear(struct kcheck *c) {
        free(c->items);
        *c = (struct kcheck){0};
}

static bool set(const struct kconfig *k, const char *name, bool module_ok) {
        const char *v = kconfig_get(k, name);
        return v && (streq(v, "y") || (module_ok && streq(v, "m")));
}

int kcheck_run(const struct kconfig_profile *p, const struct kconfig *k, kversion_t version, struct kcheck *ret) {
        struct kcheck c = {.version = version ? version : k->version};
        size_t total = 0;

        for (size_t g = 0; g < p->n_groups; g++)
                total += p->groups[g].n_options;
        c.items = calloc(total ? total : 1, sizeof *c.items);
        if (!c.items)
                return -ENOMEM;
        for (size_t g = 0; g < p->n_groups; g++)
                for (size_t i = 0; i < p->groups[g].n_options; i++) {
                        const struct kconfig_option *o = &p->groups[g].options[i];
                        struct kcheck_item *it = &c.items[c.n++];
                        const char *v = kconfig_get(k, o->name);
                        it->group = &p->groups[g];
                        it->opt = o;
                        if (c.version && ((o->since && c.version < o->since) || (o->until && c.version >= o->until)))
                                it->state = KCHECK_NOT_APPLICABLE;
                        else if (v && streq(v, "y"))
                                it->state = KCHECK_ENABLED;
                        else if (v && streq(v, "m") && o->module_ok)
                                it->state = KCHECK_MODULE;
                        else {
                                it->state = KCHECK_MISSING;
                                for (char **a = o->any_of; a && *a; a++)
                                        if (set(k, *a, o->module_ok)) {
                                                it->state = KCHECK_ALTERNATIVE;
                                                it->via = *a;
                                                break;
                                        }
                        }
                        if (it->state == KCHECK_MISSING) {
                                if (o->level == KCONFIG_REQUIRED)
                                        c.missing_required++;
                                else
                                        c.missing_optional++;
                        } else if (it->state != KCHECK_NOT_APPLICABLE)
                                c.ok++;
                }
        *ret = c;
        return 0;
}

static const char *state_text(const struct kcheck_item *it) {
        switch (it->state) {
        case KCHECK_ENABLED:
                return "enabled";
        case KCHECK_MODULE:
                return "enabled (as module)";
        case KCHECK_ALTERNATIVE:
                return "enabled through an alternative";
        case KCHECK_NOT_APPLICABLE:
                return "not applicable to this kernel version";
        default:
                return it->opt->level == KCONFIG_REQUIRED ? "missing" : "missing (optional)";
        }
}

void kcheck_print(const struct kcheck *c, const struct kconfig_profile *p, bool colour) {
        const struct kconfig_group *last = NULL;
        for (size_t i = 0; i < c->n; i++) {
                const struct kcheck_item *it = &c->items[i];
                const char *col = "";
                if (colour)
                        col = it->state == KCHECK_MISSING ? (it->opt->level == KCONFIG_REQUIRED ? "\033[1;31m" : "\033[1;33m")
                              : it->state == KCHECK_NOT_APPLICABLE ? "\033[2m"
                                                                   : "\033[1;32m";
                if (it->group != last) {
                        printf("%s%s:\n", last ? "\n" : "", it->group->name);
                        last = it->group;
                }
                printf("- CONFIG_%s: %s%s%s%s%s%s\n", it->opt->name, col, state_text(it), colour ? "\033[0m" : "",
                       it->via ? " (CONFIG_" : "", it->via ? it->via : "", it->via ? ")" : "");
                if (it->state == KCHECK_MISSING && it->opt->reason)
                        printf("    %s\n", it->opt->reason);
        }
        printf("\n%s: %u ok, %u required missing, %u optional missing\n", p->name, c->ok, c->missing_required,
               c->missing_optional);
}

json_object *kcheck_json(const struct kcheck *c, const struct kconfig_profile *p, const struct kconfig *k) {
        static const char *const names[] = {"enabled", "module", "alternative", "missing", "not_applicable"};
        json_object *o = json_object_new_object(), *arr = json_object_new_array();
        char ver[32] = "";
        if (c->version)
                (void) snprintf(ver, sizeof ver, "%u.%u.%u", c->version >> 16, (c->version >> 8) & 0xff, c->version & 0xff);
        json_object_object_add(o, "profile", json_object_new_string(p->name));
        json_object_object_add(o, "config", json_object_new_string(k->source));
        json_object_object_add(o, "kernel_version", c->version ? json_object_new_string(ver) : NULL);
        for (size_t i = 0; i < c->n; i++) {
                const struct kcheck_item *it = &c->items[i];
                json_object *x = json_object_new_object();
                json_object_object_add(x, "group", json_object_new_string(it->group->name));
                json_object_object_add(x, "name", json_object_new_string(it->opt->name));
                json_object_object_add(x, "level", json_object_new_string(kconfig_level_to_string(it->opt->level)));
                json_object_object_add(x, "state", json_object_new_string(names[it->state]));
                json_object_object_add(x, "via", it->via ? json_object_new_string(it->via) : NULL);
                json_object_array_add(arr, x);
        }
        json_object_object_add(o, "options", arr);
        json_object_object_add(o, "ok", json_object_new_int((int) c->ok));
        json_object_object_add(o, "missing_required", json_object_new_int((int) c->missing_required));
        json_object_object_add(o, "missing_optional", json_object_new_int((int) c->missing_optional));
        return o;
}

char *kcheck_fragment(const struct kcheck *c, const struct kconfig_profile *p) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);
        if (!f)
                return NULL;
        fprintf(f, "# Options missing for %s (xbuild check-config); merge with scripts/kconfig/merge_config.sh\n", p->name);
        for (size_t i = 0; i < c->n; i++)
                if (c->items[i].state == KCHECK_MISSING)
                        fprintf(f, "CONFIG_%s=%s\n", c->items[i].opt->name, c->items[i].opt->module_ok ? "m" : "y");
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
