/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/path.h"
#include "core/progress.h"
#include "core/rm-rf.h"
#include "fetch-opts.h"
#include "fetch/cache.h"

static bool arg_json = false, arg_all = false;

static const char usage[] =
        "Usage: xbuild cache list|verify|prune [OPTIONS]\n"
        "\n"
        "  list     Every cached file: sha256, size, the URL it came from\n"
        "  verify   Re-hash every cached file; exit 3 when one does not match its name\n"
        "  prune    Remove partial downloads and leftovers of interrupted runs (--all: also\n"
        "           every cached file and git mirror)\n"
        "\n"
        "Options:\n"
        "      --json            Machine-readable output (list)\n"
        "      --all             With prune: empty the cache\n" CLI_COMMON_HELP;

static int handle(int c, const char *arg) {
        (void) arg;
        if (c == 'j')
                arg_json = true;
        else if (c == 0x400)
                arg_all = true;
        else
                return -1;
        return 0;
}

static int do_list(const struct cache *c) {
        struct cache_entry *e = NULL;
        size_t n = 0;
        char size[32];
        int r = cache_list(c, &e, &n);

        if (r < 0)
                return log_error_errno(r, "Failed to list the cache: %m"), XB_EXIT_BUILD_FAILED;
        json_object *arr = arg_json ? json_object_new_array() : NULL;
        for (size_t i = 0; i < n; i++) {
                if (arr) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "sha256", json_object_new_string(e[i].sha256));
                        json_object_object_add(o, "size", json_object_new_int64((int64_t) e[i].size));
                        json_object_object_add(o, "url", e[i].url ? json_object_new_string(e[i].url) : NULL);
                        json_object_array_add(arr, o);
                } else
                        printf("%s %10s %s\n", e[i].sha256, format_bytes(e[i].size, size, sizeof size),
                               e[i].url ? e[i].url : "(no URL recorded)");
        }
        if (arr) {
                puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(arr);
        }
        cache_entries_free(e, n);
        return XB_EXIT_OK;
}

static int do_verify(const struct cache *c) {
        struct cache_entry *e = NULL;
        size_t n = 0, bad = 0;
        int r = cache_list(c, &e, &n);

        if (r < 0)
                return log_error_errno(r, "Failed to list the cache: %m"), XB_EXIT_BUILD_FAILED;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = cache_blob_path(c, e[i].sha256);
                char got[SHA256_HEX_LEN + 1];
                r = p ? cache_verify_blob(c, e[i].sha256, got) : -ENOMEM;
                if (r == -XB_E_CHECKSUM) {
                        log_error("Corrupt cache entry %s: its content hashes to %s (%s)", p, got,
                                  e[i].url ? e[i].url : "no URL recorded");
                        bad++;
                } else if (r < 0) {
                        log_error_errno(r, "Failed to read '%s': %m", strempty(p));
                        bad++;
                }
        }
        printf("%zu files verified, %zu bad\n", n - bad, bad);
        cache_entries_free(e, n);
        return bad ? XB_EXIT_VERIFY_FAILED : XB_EXIT_OK;
}

/* Removes entries of dir for which keep() says no; partial files only when no process holds
 * their lock (a running download keeps its file). */
static int prune_dir(const struct cache *c, const char *sub, bool everything, unsigned *removed) {
        _cleanup_free_ char *dir = cache_sub(c, sub, NULL);
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int ret = 0;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                bool partial = strstr(de->d_name, ".partial-") || strstr(de->d_name, ".tmp.");
                if (!everything && !partial && !streq(sub, "tmp"))
                        continue;
                if (streq(sub, "tmp") && strstr(de->d_name, ".part") && !strstr(de->d_name, ".partial-")) {
                        /* KEY.part: skip it while a download of KEY is under way. */
                        char key[256];
                        int lock = -EBADF;
                        (void) snprintf(key, sizeof key, "%.*s", (int) (strlen(de->d_name) - 5), de->d_name);
                        if (cache_try_lock(c, key, &lock) < 0)
                                continue; /* in use, or unreadable: leave it */
                        close(lock);
                }
                if (!(p = path_join(dir, de->d_name)))
                        return -ENOMEM;
                int r = rm_rf(p);
                if (r < 0 && ret == 0)
                        ret = r;
                else if (r >= 0)
                        (*removed)++;
        }
        return ret;
}

static int do_prune(const struct cache *c) {
        static const char *const subs[] = {"tmp", "blobs/sha256", "index", "git"};
        unsigned removed = 0;
        int ret = XB_EXIT_OK;

        for (size_t i = 0; i < ELEMENTSOF(subs); i++) {
                int r = prune_dir(c, subs[i], arg_all, &removed);
                if (r < 0) {
                        log_error_errno(r, "Failed to prune '%s': %m", subs[i]);
                        ret = XB_EXIT_CLEANUP_INCOMPLETE;
                }
        }
        printf("%u entries removed\n", removed);
        return ret;
}

int cmd_cache(int argc, char **argv) {
        static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"all", no_argument, NULL, 0x400}, {0}};
        _cleanup_(cache_freep) struct cache *c = NULL;
        const char *action;
        int r;

        r = cli_parse(argc, argv, "", opts, usage, handle);
        if (r <= 0)
                return -r;
        if (argc - r != 1)
                return cli_usage_error("cache", argc - r == 0 ? "missing list, verify or prune" : "too many arguments");
        action = argv[r];
        if (!streq(action, "list") && !streq(action, "verify") && !streq(action, "prune"))
                return cli_usage_error("cache", "unknown action '%s' (list, verify, prune)", action);
        if (arg_all && !streq(action, "prune"))
                return cli_usage_error("cache", "--all applies to prune only");
        if ((r = cli_open_cache(&c)) != 0)
                return r;
        if (streq(action, "list"))
                return do_list(c);
        if (streq(action, "verify"))
                return do_verify(c);
        return do_prune(c);
}
