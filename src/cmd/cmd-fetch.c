/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "core/progress.h"
#include "fetch-opts.h"
#include "fetch/fetch.h"
#include "fetch/source.h"
#include "recipe/schema-util.h"
#include "recipe/ydecode.h"

static const char *arg_arch = NULL;
static const char *arg_source = NULL;
static const char *arg_variant = NULL;
static char *arg_mirrors[17], *arg_extras[17];
static size_t arg_n_mirrors, arg_n_extras;
static const char *arg_checkout = NULL;
static const char *arg_sha256 = NULL;
static bool arg_insecure = false;
static struct http_opts arg_http;

static const char usage[] =
        "Usage: xbuild fetch RECIPE|ROOTFS|URL [OPTIONS]\n"
        "\n"
        "Fetch and verify without building. For a recipe: its git source into the cache's\n"
        "mirror with the ref checked against the pinned commit, its tarball checked against\n"
        "its sha256, or its Debian source package checked along the archive's signed chain.\n"
        "For a rootfs definition: its tarballs. For a URL: the file, into the cache.\n"
        "A cache hit transfers nothing.\n"
        "\n"
        "Options:\n"
        "  -a, --arch=ARCH           Only this architecture's rootfs tarball\n"
        "      --source=PATH         A local git repository (bare or not) or directory to use\n"
        "                            instead of the recipe's source (the pin is still verified)\n"
        "      --variant=NAME        The recipe's variant NAME (e.g. debian)\n"
        "      --checkout=DIR        Also lay the source out in DIR, patches applied\n"
        "      --git-mirror=URL=PATH A local repository for the git URL a submodule names\n"
        "                            (repeatable); with --source, submodules come only from the\n"
        "                            checkout's own or these, never from the network\n"
        "      --extra-source=DEST=PATH  A local copy (repository or directory) of the recipe's\n"
        "                            sources: entry laid out at DEST (its pin still verified)\n"
        "      --sha256=HEX          The digest a URL must have\n"
        "      --insecure-unpinned   Accept a URL without --sha256 and print its digest\n" FETCH_HELP
                CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        int r = fetch_opts_option(&arg_http, c, arg, "fetch");
        if (r != 0)
                return r > 0 ? 0 : -1;
        switch (c) {
        case 'a':
                arg_arch = arg;
                return 0;
        case 0x300:
                if (arg[0] == '-')
                        return cli_usage_error("fetch", "--source must not start with '-'"), -1;
                arg_source = arg;
                return 0;
        case 0x301:
                arg_checkout = arg;
                return 0;
        case 0x306:
                if (cli_check_variant("fetch", arg) < 0)
                        return -1;
                arg_variant = arg;
                return 0;
        case 0x304:
                if (arg_n_mirrors == ELEMENTSOF(arg_mirrors) - 1)
                        return cli_usage_error("fetch", "at most 16 --git-mirror"), -1;
                if (cli_check_git_mirror("fetch", arg) < 0)
                        return -1;
                arg_mirrors[arg_n_mirrors++] = (char *) arg;
                return 0;
        case 0x305:
                if (arg_n_extras == ELEMENTSOF(arg_extras) - 1)
                        return cli_usage_error("fetch", "at most 16 --extra-source"), -1;
                if (cli_check_extra_source("fetch", arg) < 0)
                        return -1;
                arg_extras[arg_n_extras++] = (char *) arg;
                return 0;
        case 0x302:
                if (!yd_is_hex(arg, SHA256_HEX_LEN))
                        return cli_usage_error("fetch", "--sha256 takes 64 lowercase hexadecimal digits"), -1;
                arg_sha256 = arg;
                return 0;
        case 0x303:
                arg_insecure = true;
                return 0;
        default:
                return -1;
        }
}

/* Downloads one URL into the cache; prints "sha256 HEX PATH" on stdout. */
static int fetch_one(const struct cache *c, const char *label, const char *url, const char *sha256,
                     bool allow_unpinned) {
        struct fetch_req req = {.url = url, .sha256 = sha256, .allow_unpinned = allow_unpinned, .http = arg_http};
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        struct fetch_result res = {0};
        struct progress pg;
        char size[32];
        int r;

        progress_init(&pg, label);
        req.http.allow_file = true;
        req.http.progress = fetch_progress_cb;
        req.http.userdata = &pg;
        r = fetch_to_cache(c, &req, &res, &e);
        long long ms = progress_done(&pg);
        if (r == -XB_E_CHECKSUM)
                log_error("Failed to fetch '%s': sha256 mismatch: expected %s, got %s; nothing was cached",
                          url, sha256, res.sha256);
        else if (r == -XB_E_UNPINNED)
                log_error("Refusing '%s' without a pinned sha256: pass --sha256, or --insecure-unpinned to fetch it and print its digest", url);
        else if (r == -XB_E_FETCH_SCHEME && !e.msg) /* refused before any transfer */
                log_error("Refusing '%s': only http://, https:// and file:// URLs are fetched", url);
        else if (r < 0)
                log_error("Failed to fetch '%s': %s", url, xb_detail_text(&e, r));
        if (r < 0) {
                fetch_result_clear(&res);
                return xb_exit_code_for(r);
        }
        if (res.waited)
                log_info("%s: waited for another xbuild fetching the same file", label);
        if (res.hit)
                log_info("%s: in the cache, nothing transferred", label);
        else
                log_info("%s: %s in %.1f s%s", label, format_bytes(res.size, size, sizeof size), (double) ms / 1000.0,
                         res.http.resumed_from ? " (resumed)" : "");
        if (!sha256 && res.http.effective_url) /* a recipe may want the final URL */
                log_warning("%s was not pinned (redirected to %s); pin it with sha256 %s", url,
                            res.http.effective_url, res.sha256);
        else if (!sha256)
                log_warning("%s was not pinned; pin it with sha256 %s", url, res.sha256);
        printf("sha256 %s %s\n", res.sha256, res.path);
        fetch_result_clear(&res);
        return XB_EXIT_OK;
}

static int fetch_recipe(const struct catalog *cat, const char *arg) {
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        _cleanup_(cache_freep) struct cache *c = NULL;
        _cleanup_free_ char *patches = NULL, *pdir = NULL;
        struct source_opts so = {.override = arg_source, .http = arg_http, .git_mirrors = arg_mirrors,
                                 .extra_overrides = arg_extras};
        _cleanup_(xb_detail_clear) struct xb_detail e = {0};
        struct source_result res = {0};
        int r;

        /* The recipe is checked before the cache is touched: bad input writes nothing. */
        if ((r = cli_load_recipe(cat, arg, arg_variant, &rc)) != 0 || (r = cli_open_cache(&c)) != 0)
                return r;
        if (!(pdir = path_join(rc->dir, "patches")) || !(patches = path_join(pdir, rc->name)))
                return log_error_errno(-ENOMEM, "Failed to fetch: %m"), XB_EXIT_BUILD_FAILED;
        so.patches_dir = patches;
        if (!arg_source && rc->source.kind == SOURCE_GIT)
                log_info("%s: fetching %s", rc->name, rc->source.url);
        r = source_prepare(rc, c, &so, arg_checkout, &res, &e);
        if (r < 0) {
                if (res.failed_patch)
                        log_error("%s: patch '%s' does not apply: %s", rc->name, res.failed_patch, xb_detail_text(&e, r));
                else if (r == -XB_E_GIT_PIN)
                        log_error("%s: %s", rc->name, xb_detail_text(&e, r));
                else
                        log_error("%s: failed to fetch the source: %s", rc->name, xb_detail_text(&e, r));
                source_result_clear(&res);
                return xb_exit_code_for(r);
        }
        switch (res.origin) {
        case SOURCE_FROM_MIRROR:
        case SOURCE_FROM_OVERRIDE_GIT:
                printf("%s: commit %s verified%s%s%s in %s%s\n", rc->name, rc->source.commit,
                       res.ref_missing ? "" : " (ref ", res.ref_missing ? "" : rc->source.ref,
                       res.ref_missing ? "" : ")", res.repo,
                       res.origin == SOURCE_FROM_MIRROR ? (res.network ? " (fetched)" : " (cached)") : "");
                if (res.ref_missing)
                        log_warning("%s: %s has no ref '%s'; verified by commit only", rc->name, res.repo, rc->source.ref);
                break;
        case SOURCE_FROM_TARBALL:
                printf("%s: tarball %s verified (sha256 %s)%s\n", rc->name, rc->source.url, rc->source.sha256,
                       res.network ? "" : " (cached)");
                break;
        case SOURCE_FROM_DEBIAN:
                printf("%s: Debian source package %s %s verified (signed %s Release, Sources, .dsc)%s\n", rc->name,
                       rc->source.package, rc->source.deb_version, rc->source.suite ?: "bookworm",
                       res.network ? "" : " (cached)");
                break;
        default:
                printf("%s: directory %s (a directory carries no pin to verify)\n", rc->name,
                       res.origin == SOURCE_FROM_LOCAL ? rc->source.path : arg_source);
        }
        if (arg_checkout)
                printf("%s: source laid out in %s%s\n", rc->name, arg_checkout,
                       rc->patches && rc->patches[0] ? ", patches applied" : "");
        source_result_clear(&res);
        return XB_EXIT_OK;
}

static int fetch_rootfs(const char *path) {
        _cleanup_(rootfs_def_freep) struct rootfs_def *rf = NULL;
        _cleanup_(cache_freep) struct cache *c = NULL;
        struct xb_diag d = {0};
        enum xb_arch only = _XB_ARCH_INVALID;
        int r, ret = XB_EXIT_OK;

        r = rootfs_def_load(path, &rf, &d);
        if (r < 0) {
                cli_print_diag(&d);
                return XB_EXIT_BAD_INPUT;
        }
        if (arg_arch) {
                only = arch_from_string(arg_arch);
                if (only < 0 || !rootfs_def_supports_arch(rf, only))
                        return cli_usage_error("fetch", "rootfs '%s' has no architecture '%s'", rf->name, arg_arch);
        }
        if (rf->provider == ROOTFS_DEBOOTSTRAP) {
                printf("%s: made by debootstrap from the host's Debian mirror when prepared; nothing to fetch ahead\n",
                       rf->name);
                return XB_EXIT_OK;
        }
        if ((r = cli_open_cache(&c)) != 0)
                return r;
        for (size_t i = 0; i < rf->n_arches; i++) {
                const struct rootfs_tarball *t = &rf->tarballs[rf->arches[i]];
                char label[128];
                if (only >= 0 && rf->arches[i] != only)
                        continue;
                (void) snprintf(label, sizeof label, "%s (%s)", rf->name, arch_to_string(rf->arches[i]));
                r = fetch_one(c, label, t->url, t->sha256, false);
                if (r != 0)
                        ret = r;
        }
        return ret;
}

/* A file with a top-level 'provider' key is a rootfs definition. */
static bool looks_like_rootfs(const char *path) {
        _cleanup_free_ char *data = NULL;
        _cleanup_(ynode_freep) struct ynode *root = NULL;
        struct xb_diag d = {0};
        size_t n;
        if (schema_read_file(path, &data, &n, &d) < 0 || ydoc_parse(data, n, &root, &d) < 0)
                return false;
        return ynode_get(root, "provider") != NULL;
}

int cmd_fetch(int argc, char **argv) {
        static const struct option opts[] = {
                {"arch", required_argument, NULL, 'a'}, {"source", required_argument, NULL, 0x300},
                {"checkout", required_argument, NULL, 0x301}, {"sha256", required_argument, NULL, 0x302},
                {"insecure-unpinned", no_argument, NULL, 0x303}, {"git-mirror", required_argument, NULL, 0x304},
                {"extra-source", required_argument, NULL, 0x305}, {"variant", required_argument, NULL, 0x306},
                FETCH_LONG_OPTIONS, {0}};
        _cleanup_(catalog_freep) struct catalog *cat = NULL;
        _cleanup_free_ char *path = NULL;
        struct xb_diag d = {0};
        const char *target;
        int r;

        fetch_opts_defaults(&arg_http);
        r = cli_parse(argc, argv, "a:", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error("fetch", argc - r == 0 ? "missing RECIPE, ROOTFS or URL" : "too many arguments");
        target = argv[r];

        if (strstr(target, "://")) {
                if (!arg_sha256 && !arg_insecure)
                        return log_error("Refusing '%s' without a pinned sha256: pass --sha256, or --insecure-unpinned to fetch it and print its digest",
                                         target),
                               XB_EXIT_BAD_INPUT;
                if (!fetch_url_allowed(target))
                        return log_error("Refusing '%s': only http://, https:// and file:// URLs are fetched", target),
                               XB_EXIT_BAD_INPUT;
                _cleanup_(cache_freep) struct cache *c = NULL;
                if ((r = cli_open_cache(&c)) != 0)
                        return r;
                return fetch_one(c, path_basename(target), target, arg_sha256, arg_insecure);
        }
        if (arg_sha256 || arg_insecure)
                return cli_usage_error("fetch", "--sha256 and --insecure-unpinned apply to URLs only");
        if ((r = cli_open_catalog(&cat)) != 0)
                return r;

        bool is_rootfs;
        if (strchr(target, '/') || strstr(target, ".yaml") || strstr(target, ".yml")) {
                if (!path_exists(target)) {
                        log_located(LOG_LEVEL_ERROR, target, 1, 1, "no such file");
                        return XB_EXIT_BAD_INPUT;
                }
                is_rootfs = looks_like_rootfs(target);
                path = strdup(target);
        } else {
                r = catalog_find(cat, CATALOG_RECIPE, target, &path, &d);
                is_rootfs = r == -XB_E_NOT_FOUND &&
                            catalog_find(cat, CATALOG_ROOTFS, target, &path, &(struct xb_diag){0}) >= 0;
                if (r < 0 && !is_rootfs) {
                        cli_print_diag(&d);
                        return XB_EXIT_BAD_INPUT;
                }
        }
        if (!path)
                return log_error_errno(-ENOMEM, "Failed to fetch: %m"), XB_EXIT_BUILD_FAILED;
        if (arg_checkout && path_exists(arg_checkout))
                return cli_usage_error("fetch", "--checkout %s exists; give a directory to create", arg_checkout);
        if (is_rootfs && (arg_source || arg_checkout))
                return cli_usage_error("fetch", "--source and --checkout apply to recipes only");
        if (!is_rootfs && arg_arch)
                return cli_usage_error("fetch", "--arch applies to rootfs definitions only");
        return is_rootfs ? fetch_rootfs(path) : fetch_recipe(cat, target);
}
