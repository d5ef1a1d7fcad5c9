/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"
#include "core/units.h"
#include "hosts.h"
#include "recipe/schema-util.h"
#include "recipe/ydecode.h"
#include "ssh.h"

struct remote_hosts *remote_hosts_free(struct remote_hosts *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n; i++) {
                free(h->hosts[i].name);
                free(h->hosts[i].ssh);
                free(h->hosts[i].ssh_config);
        }
        free(h->hosts);
        free(h->path);
        free(h);
        return NULL;
}

int remote_hosts_default_path(char **ret) {
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        char *p = NULL;

        if (xdg && xdg[0] == '/')
                p = path_join(xdg, "xbuild/hosts.yaml");
        else if (home && home[0] == '/')
                p = path_join(home, ".config/xbuild/hosts.yaml");
        else
                return -ENOENT;
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static int parse_host(const struct ynode *n, const char *what, const char *dir, struct remote_host *h, struct xb_diag *d) {
        static const char *const keys[] = {"name", "ssh", "arch", "memory", "jobs", "ssh_config", NULL};
        const struct ynode *v;
        char sub[96];
        int r;

        if ((r = yd_mapping(n, what, keys, d)) < 0)
                return r;
        (void) snprintf(sub, sizeof sub, "%s.name", what);
        if ((r = yd_require(n, what, "name", &v, d)) < 0 || (r = schema_name(v, sub, &h->name, d)) < 0)
                return r;
        (void) snprintf(sub, sizeof sub, "%s.ssh", what);
        if ((r = yd_require(n, what, "ssh", &v, d)) < 0 || (r = yd_string(v, sub, &h->ssh, d)) < 0)
                return r;
        struct ssh_target t;
        if (ssh_target_parse(h->ssh, &t) < 0)
                return yd_error(d, v, "'%s' must be [USER@]HOST[:PORT], not starting with '-'", sub);
        ssh_target_clear(&t);
        (void) snprintf(sub, sizeof sub, "%s.arch", what);
        if ((r = yd_require(n, what, "arch", &v, d)) < 0 || (r = schema_arch(v, sub, &h->arch, d)) < 0)
                return r;
        if ((v = ynode_get(n, "memory"))) {
                _cleanup_free_ char *s = NULL;
                (void) snprintf(sub, sizeof sub, "%s.memory", what);
                if ((r = yd_string(v, sub, &s, d)) < 0)
                        return r;
                if (parse_size_mib(s, 64, 1ULL << 22, &h->memory_mib) < 0)
                        return yd_error(d, v, "'%s' must be a size like 2G or 512M", sub);
        }
        if ((v = ynode_get(n, "jobs"))) {
                (void) snprintf(sub, sizeof sub, "%s.jobs", what);
                if ((r = yd_uint(v, sub, 1, 256, &h->jobs, d)) < 0)
                        return r;
        }
        if ((v = ynode_get(n, "ssh_config"))) {
                _cleanup_free_ char *s = NULL;
                (void) snprintf(sub, sizeof sub, "%s.ssh_config", what);
                if ((r = yd_string(v, sub, &s, d)) < 0)
                        return r;
                if (s[0] == '-' || !s[0])
                        return yd_error(d, v, "'%s' must be a file name not starting with '-'", sub);
                if (s[0] == '~' && s[1] == '/' && getenv("HOME"))
                        h->ssh_config = path_join(getenv("HOME"), s + 2);
                else
                        h->ssh_config = s[0] == '/' ? strdup(s) : path_join(dir, s);
                if (!h->ssh_config)
                        return -ENOMEM;
        }
        return 0;
}

static int hosts_decode(const struct ynode *root, const char *filename, void **ret, struct xb_diag *d) {
        static const char *const keys[] = {"hosts", NULL};
        _cleanup_(remote_hosts_freep) struct remote_hosts *h = calloc(1, sizeof *h);
        _cleanup_free_ char *dir = NULL;
        const struct ynode *v;
        int r;

        if (!h || !(h->path = strdup(filename)) || !(dir = path_dirname(filename)))
                return -ENOMEM;
        if ((r = yd_mapping(root, "hosts file", keys, d)) < 0 || (r = yd_require(root, "hosts file", "hosts", &v, d)) < 0)
                return r;
        if (v->type != YNODE_SEQ)
                return yd_error(d, v, "'hosts' must be a list of hosts");
        if (!(h->hosts = calloc(v->n + 1, sizeof *h->hosts)))
                return -ENOMEM;
        for (size_t i = 0; i < v->n; i++) {
                char what[32];
                (void) snprintf(what, sizeof what, "hosts[%zu]", i);
                h->n = i + 1;
                if ((r = parse_host(v->items[i], what, dir, &h->hosts[i], d)) < 0)
                        return r;
                for (size_t k = 0; k < i; k++)
                        if (streq(h->hosts[k].name, h->hosts[i].name))
                                return yd_error(d, ynode_get(v->items[i], "name"), "host '%s' is listed twice", h->hosts[i].name);
        }
        *ret = TAKE_PTR(h);
        return 0;
}

int remote_hosts_parse(const char *data, size_t size, const char *filename, struct remote_hosts **ret,
                       struct xb_diag *reterr) {
        return schema_parse(data, size, filename, hosts_decode, (void **) ret, reterr);
}

int remote_hosts_load(const char *path, struct remote_hosts **ret, struct xb_diag *reterr) {
        if (!path_exists(path))
                return -ENOENT;
        return schema_load(path, hosts_decode, (void **) ret, reterr);
}

const struct remote_host *remote_hosts_find(const struct remote_hosts *h, const char *name) {
        for (size_t i = 0; h && i < h->n; i++)
                if (streq(h->hosts[i].name, name))
                        return &h->hosts[i];
        return NULL;
}

size_t remote_hosts_count_arch(const struct remote_hosts *h, enum xb_arch a) {
        size_t n = 0;
        for (size_t i = 0; h && i < h->n; i++)
                n += h->hosts[i].arch == a;
        return n;
}
