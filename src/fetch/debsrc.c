/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/decompress.h"
#include "core/atomic-file.h"
#include "core/fileio.h"
#include "core/macro.h"
#include "core/path.h"
#include "core/rm-rf.h"
#include "core/spawn.h"
#include "core/strv.h"
#include "debsrc.h"
#include "fetch.h"
#include "rootfs/apt-sources.h"

#define DEFAULT_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
#define MAX_RELEASE (64U << 20)
#define MAX_SOURCES (1024U << 20)

void debsrc_entry_clear(struct debsrc_entry *e) {
        for (size_t i = 0; i < e->n_files; i++)
                free(e->files[i].name);
        free(e->files);
        free(e->directory);
        *e = (struct debsrc_entry){0};
}

bool debsrc_valid_package(const char *p) {
        if (!p || strlen(p) < 2 || strlen(p) > 128 || !(islower((unsigned char) p[0]) || isdigit((unsigned char) p[0])))
                return false;
        for (const char *c = p; *c; c++)
                if (!(islower((unsigned char) *c) || isdigit((unsigned char) *c) || strchr("+.-", *c)))
                        return false;
        return true;
}

bool debsrc_valid_version(const char *v) {
        if (!v || !v[0] || strlen(v) > 128 || !isdigit((unsigned char) v[0]))
                return false;
        const char *colon = strchr(v, ':'), *dash = strrchr(v, '-');
        if ((colon && !isdigit((unsigned char) colon[1])) || (dash && !dash[1]))
                return false;
        for (const char *c = v; *c; c++)
                if (!(isalnum((unsigned char) *c) || strchr(".+~:-", *c)))
                        return false;
        return true;
}

bool debsrc_valid_suite(const char *s) {
        if (!s || !s[0] || s[0] == '-' || s[0] == '.' || strlen(s) > 64)
                return false;
        for (const char *c = s; *c; c++)
                if (!(isalnum((unsigned char) *c) || strchr("._-", *c)))
                        return false;
        return true;
}

/* Iterates the lines of [p, end): *line and *n for each, false at the end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *n) {
        if (*p >= end)
                return false;
        const char *nl = memchr(*p, '\n', (size_t) (end - *p));
        *line = *p;
        *n = nl ? (size_t) (nl - *p) : (size_t) (end - *p);
        *p = nl ? nl + 1 : end;
        return true;
}

/* "Field: value" when line is that field (exact case, as the archive writes them). */
static bool field_is(const char *line, size_t n, const char *field, const char **value, size_t *vlen) {
        size_t fl = strlen(field);
        if (n <= fl || !strneq(line, field, fl) || line[fl] != ':')
                return false;
        const char *v = line + fl + 1;
        const char *e = line + n;
        while (v < e && (*v == ' ' || *v == '\t'))
                v++;
        while (e > v && isspace((unsigned char) e[-1]))
                e--;
        *value = v;
        *vlen = (size_t) (e - v);
        return true;
}

static bool span_eq(const char *s, size_t n, const char *word) {
        return n == strlen(word) && strneq(s, word, n);
}

/* " HEX SIZE NAME" of a checksum list. */
static int checksum_line(const char *line, size_t n, char hex[SHA256_HEX_LEN + 1], uint64_t *size, char **name) {
        char buf[1024];
        char h[80], nm[512];
        unsigned long long sz;
        if (n >= sizeof buf)
                return -EBADMSG;
        memcpy(buf, line, n);
        buf[n] = 0;
        if (sscanf(buf, " %79s %llu %511s", h, &sz, nm) != 3 || strlen(h) != SHA256_HEX_LEN || strlen(nm) >= 500)
                return -EBADMSG;
        for (const char *c = h; *c; c++)
                if (!isxdigit((unsigned char) *c) || isupper((unsigned char) *c))
                        return -EBADMSG;
        memcpy(hex, h, SHA256_HEX_LEN + 1);
        *size = sz;
        if (name && !(*name = strdup(nm)))
                return -ENOMEM;
        return 0;
}

int debsrc_release_lookup(const char *text, const char *suite, const char *path, char ret_sha256[SHA256_HEX_LEN + 1],
                          uint64_t *ret_size, struct xb_detail *err) {
        const char *p = text, *end = text + strlen(text), *line, *v;
        size_t n, vn;
        bool in_sha256 = false, suite_ok = false, found = false;
        char suites[160] = "";

        while (next_line(&p, end, &line, &n)) {
                if (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
                        if (!in_sha256 || found)
                                continue;
                        char hex[SHA256_HEX_LEN + 1];
                        uint64_t size;
                        _cleanup_free_ char *name = NULL;
                        if (checksum_line(line, n, hex, &size, &name) < 0)
                                continue;
                        if (streq(name, path)) {
                                memcpy(ret_sha256, hex, sizeof hex);
                                *ret_size = size;
                                found = true;
                        }
                        continue;
                }
                in_sha256 = field_is(line, n, "SHA256", &v, &vn);
                if (field_is(line, n, "Suite", &v, &vn) || field_is(line, n, "Codename", &v, &vn)) {
                        if (span_eq(v, vn, suite))
                                suite_ok = true;
                        size_t used = strlen(suites);
                        (void) snprintf(suites + used, sizeof suites - used, "%s%.*s", used ? ", " : "",
                                        (int) MIN(vn, 60U), v);
                }
        }
        if (!suite_ok)
                return xb_detail_set(err, -EBADMSG, "the Release file is for %s, not %s", suites[0] ? suites : "no suite",
                                     suite);
        return found ? 0 : -ENOENT;
}

/* Appends "VERSION" to a comma-separated list (bounded). */
static void note_version(char *list, size_t size, const char *v, size_t vn) {
        size_t used = strlen(list);
        if (used + vn + 3 < size)
                (void) snprintf(list + used, size - used, "%s%.*s", used ? ", " : "", (int) vn, v);
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

const struct debsrc_file *debsrc_entry_dsc(const struct debsrc_entry *e) {
        for (size_t i = 0; i < e->n_files; i++)
                if (has_suffix(e->files[i].name, ".dsc"))
                        return &e->files[i];
        return NULL;
}

/* The checksum list and directory of one stanza. */
static int parse_stanza(const char *s, const char *end, struct debsrc_entry *ret, struct xb_detail *err) {
        const char *p = s, *line, *v;
        size_t n, vn;
        bool in_sums = false;

        while (next_line(&p, end, &line, &n)) {
                if (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
                        if (!in_sums)
                                continue;
                        struct debsrc_file f = {0};
                        if (checksum_line(line, n, f.sha256, &f.size, &f.name) < 0)
                                return xb_detail_set(err, -EBADMSG, "a malformed Checksums-Sha256 line");
                        if (!path_is_filename(f.name) || f.name[0] == '-' || f.name[0] == '.') {
                                int r = xb_detail_set(err, -EBADMSG, "file name '%s' is not a plain file name", f.name);
                                free(f.name);
                                return r;
                        }
                        for (size_t k = 0; k < ret->n_files; k++)
                                if (streq(ret->files[k].name, f.name)) {
                                        int r = xb_detail_set(err, -EBADMSG, "file name '%s' is listed twice", f.name);
                                        free(f.name);
                                        return r;
                                }
                        struct debsrc_file *nf = realloc(ret->files, (ret->n_files + 1) * sizeof *nf);
                        if (!nf) {
                                free(f.name);
                                return -ENOMEM;
                        }
                        ret->files = nf;
                        ret->files[ret->n_files++] = f;
                        continue;
                }
                in_sums = field_is(line, n, "Checksums-Sha256", &v, &vn);
                if (field_is(line, n, "Directory", &v, &vn)) {
                        free(ret->directory);
                        if (!(ret->directory = strndup(v, vn)))
                                return -ENOMEM;
                }
        }
        if (!ret->directory || !path_is_safe_relative(ret->directory) || ret->directory[0] == '-')
                return xb_detail_set(err, -EBADMSG, "the stanza's Directory is missing or unsafe");
        if (ret->n_files == 0 || !debsrc_entry_dsc(ret))
                return xb_detail_set(err, -EBADMSG, "the stanza lists no .dsc in Checksums-Sha256");
        return 0;
}

int debsrc_sources_lookup(const char *text, size_t len, const char *package, const char *version,
                          struct debsrc_entry *ret, struct xb_detail *err) {
        const char *p = text, *end = text + len;
        char versions[512] = "";

        *ret = (struct debsrc_entry){0};
        while (p < end) {
                /* One stanza: up to a blank line. */
                const char *s = p, *line, *v, *pkg = NULL, *ver = NULL;
                size_t n, vn, pn = 0, vern = 0;
                while (next_line(&p, end, &line, &n) && n > 0) {
                        if (field_is(line, n, "Package", &v, &vn))
                                pkg = v, pn = vn;
                        else if (field_is(line, n, "Version", &v, &vn))
                                ver = v, vern = vn;
                }
                if (!pkg || !span_eq(pkg, pn, package) || !ver)
                        continue;
                if (!span_eq(ver, vern, version)) {
                        note_version(versions, sizeof versions, ver, vern);
                        continue;
                }
                int r = parse_stanza(s, p, ret, err);
                if (r < 0)
                        debsrc_entry_clear(ret);
                return r;
        }
        if (versions[0])
                return xb_detail_set(err, -ENOENT, "source package %s has no version %s here (there is: %s)", package,
                                     version, versions);
        return xb_detail_set(err, -ENOENT, "there is no source package named %s", package);
}

char *debsrc_entry_format(const struct debsrc_entry *e) {
        _cleanup_free_ char *out = NULL;
        size_t size = 0;
        _cleanup_fclose_ FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        fprintf(f, "directory %s\n", e->directory);
        for (size_t i = 0; i < e->n_files; i++)
                fprintf(f, "file %s %" PRIu64 " %s\n", e->files[i].sha256, e->files[i].size, e->files[i].name);
        if (fclose(TAKE_PTR(f)) != 0)
                return NULL;
        return TAKE_PTR(out);
}

int debsrc_entry_parse(const char *text, struct debsrc_entry *ret) {
        const char *p = text, *end = text + strlen(text), *line, *dir = NULL;
        size_t n, dn = 0;
        _cleanup_free_ char *buf = NULL;
        size_t bsize = 0;
        _cleanup_fclose_ FILE *f = open_memstream(&buf, &bsize);

        /* Rewritten as a stanza, so one parser (and its checks) reads both. */
        if (!f)
                return -ENOMEM;
        while (next_line(&p, end, &line, &n))
                if (n > 10 && strneq(line, "directory ", 10))
                        dir = line + 10, dn = n - 10;
        if (!dir)
                return -EBADMSG;
        fprintf(f, "Directory: %.*s\nChecksums-Sha256:\n", (int) dn, dir);
        for (p = text; next_line(&p, end, &line, &n);) {
                if (n > 5 && strneq(line, "file ", 5))
                        fprintf(f, " %.*s\n", (int) (n - 5), line + 5);
                else if (n > 0 && !strneq(line, "directory ", 10))
                        return -EBADMSG;
        }
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = (struct debsrc_entry){0};
        int r = parse_stanza(buf, buf + strlen(buf), ret, NULL);
        if (r < 0)
                debsrc_entry_clear(ret);
        return r;
}

char *debsrc_upstream_version(const char *version) {
        const char *colon = strchr(version, ':');
        const char *s = colon ? colon + 1 : version;
        const char *dash = strrchr(s, '-');
        size_t n = dash ? (size_t) (dash - s) : strlen(s);
        char *u = strndup(s, n);
        if (!u)
                return NULL;
        /* A repack of the upstream tarball: +ds1, ~ds, +dfsg2, +repack... */
        static const char *const repack[] = {"+ds", "~ds", "+dfsg", "~dfsg", "+repack", "~repack", NULL};
        for (const char *const *m = repack; *m; m++) {
                char *at = strstr(u, *m);
                if (at && at != u) {
                        *at = 0;
                        break;
                }
        }
        return u;
}

/* A private directory under the cache's tmp/, removed whole when it goes out of scope. */
static void rm_rf_and_freep(char **p) {
        if (*p) {
                (void) rm_rf(*p);
                free(*p);
        }
}

static int make_tmpdir(const struct cache *c, char **ret) {
        _cleanup_free_ char *t = cache_sub(c, "tmp", "debsrc-XXXXXX");
        if (!t)
                return -ENOMEM;
        if (!mkdtemp(t))
                return -errno;
        *ret = TAKE_PTR(t);
        return 0;
}

static int entry_key(const struct debsrc_req *req, const char *suite, const char *component, const char *keyring,
                     char **ret) {
        _cleanup_free_ char *id = NULL;
        char hex[SHA256_HEX_LEN + 1];
        if (asprintf(&id, "%s\n%s\n%s\n%s\n%s\n", suite, component, req->package, req->version, keyring) < 0)
                return -ENOMEM;
        int r = sha256_string(id, hex);
        if (r < 0)
                return r;
        *ret = strdup(hex);
        return *ret ? 0 : -ENOMEM;
}

/* stdout_fd >= 0: the tool's stdout goes there (its stderr is the captured tail). */
static int run_tool(char *const *argv, const char *what, int stdout_fd, struct spawn_result *sr, struct xb_detail *err) {
        static char *const env[] = {(char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LC_ALL=C", NULL};
        struct spawn_req req = {.argv = argv, .envp = env, .stdin_fd = -1,
                                .output = stdout_fd >= 0 ? SPAWN_OUTPUT_FD : SPAWN_OUTPUT_CAPTURE,
                                .stdout_fd = stdout_fd, .timeout_ms = 600000};
        int r = spawn_run(&req, sr);
        if (r == -ENOENT)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "%s is not installed: apt-get install %s", argv[0], what);
        if (r < 0)
                return xb_detail_set(err, r, "cannot run %s: %s", argv[0], xb_strerror(r));
        return 0;
}

bool debsrc_gpgv_status_ok(const char *status) {
        bool good = false, valid = false;
        for (const char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (!strneq(l, "[GNUPG:] ", 9))
                        continue;
                const char *k = l + 9;
                if (strneq(k, "GOODSIG ", 8))
                        good = true;
                else if (strneq(k, "VALIDSIG ", 9))
                        valid = true;
                else if (strneq(k, "BADSIG ", 7) || strneq(k, "EXPKEYSIG ", 10) || strneq(k, "REVKEYSIG ", 10))
                        return false;
        }
        return good && valid;
}

/* dists/SUITE/InRelease, checked by gpgv against the keyring; *ret: the text gpgv vouches for. */
static int verified_release(const char *mirror, const char *suite, const char *keyring, const char *tmp,
                            const struct http_opts *ho, char **ret, struct xb_detail *err) {
        _cleanup_free_ char *url = NULL, *inrel = path_join(tmp, "InRelease"), *out = path_join(tmp, "Release"),
                            *home = path_join(tmp, "gnupg"), *status_path = path_join(tmp, "gpgv-status"),
                            *status = NULL;
        _cleanup_(http_result_clear) struct http_result hr = {0};
        _cleanup_(xb_detail_clear) struct xb_detail he = {0};
        _cleanup_(spawn_result_clear) struct spawn_result sr = {0};
        _cleanup_close_ int fd = -EBADF, status_fd = -EBADF;
        int r;

        if (!inrel || !out || !home || !status_path || asprintf(&url, "%s/dists/%s/InRelease", mirror, suite) < 0)
                return -ENOMEM;
        fd = open(inrel, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        struct http_opts o = *ho;
        o.max_size = MAX_RELEASE;
        o.allow_file = strneq(mirror, "file://", 7);
        if ((r = http_download(url, fd, &o, &hr, &he)) < 0)
                return xb_detail_set(err, r, "%s: %s", url, xb_detail_text(&he, r));
        if (mkdir(home, 0700) < 0)
                return -errno;
        status_fd = open(status_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (status_fd < 0)
                return -errno;
        char *argv[] = {(char *) "gpgv", (char *) "--homedir", home, (char *) "--keyring", (char *) keyring,
                        (char *) "--status-fd", (char *) "1", (char *) "--output", out, inrel, NULL};
        if ((r = run_tool(argv, "gpgv", status_fd, &sr, err)) < 0)
                return r;
        if (sr.exit_code == 0 && !sr.signal && (r = read_full_file(status_path, 1 << 20, &status, NULL)) < 0)
                return xb_detail_set(err, r, "cannot read gpgv's status: %s", xb_strerror(r));
        if (sr.exit_code == 0 && !sr.signal && !debsrc_gpgv_status_ok(status))
                return xb_detail_set(err, -XB_E_SIGNATURE, "%s does not verify with %s: gpgv reported no good signature by a valid key",
                                     url, keyring);
        if (sr.exit_code != 0 || sr.signal) {
                const char *last;
                int len;
                spawn_result_last_line(&sr, &last, &len);
                return xb_detail_set(err, -XB_E_SIGNATURE, "%s does not verify with %s: %.*s", url, keyring, len, last);
        }
        r = read_full_file(out, MAX_RELEASE, ret, NULL);
        return r < 0 ? xb_detail_set(err, r, "cannot read what gpgv verified: %s", xb_strerror(r)) : 0;
}

static bool release_flag(const char *text, const char *field) {
        const char *p = text, *end = text + strlen(text), *line, *v;
        size_t n, vn;
        while (next_line(&p, end, &line, &n))
                if (field_is(line, n, field, &v, &vn))
                        return span_eq(v, vn, "yes");
        return false;
}

/* The Sources index the verified Release names, fetched against its digest and read. */
static int sources_index(const struct cache *c, const char *mirror, const char *suite, const char *component,
                         const char *release, const struct http_opts *ho, char **ret, size_t *ret_len,
                         struct xb_detail *err) {
        static const char *const names[] = {"Sources.xz", "Sources.gz", NULL};
        char hex[SHA256_HEX_LEN + 1];
        uint64_t size;
        const char *const *nm;
        int r = -ENOENT;

        for (nm = names; *nm; nm++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/source/%s", component, *nm) < 0)
                        return -ENOMEM;
                r = debsrc_release_lookup(release, suite, path, hex, &size, err);
                if (r != -ENOENT)
                        break;
        }
        if (r == -ENOENT)
                return xb_detail_set(err, -ENOENT, "the %s Release lists no %s/source/Sources index", suite, component);
        if (r < 0)
                return r;

        _cleanup_free_ char *url = NULL;
        /* By hash when the archive offers it: a mirror updating under us cannot mismatch. */
        int k = release_flag(release, "Acquire-By-Hash")
                        ? asprintf(&url, "%s/dists/%s/%s/source/by-hash/SHA256/%s", mirror, suite, component, hex)
                        : asprintf(&url, "%s/dists/%s/%s/source/%s", mirror, suite, component, *nm);
        if (k < 0)
                return -ENOMEM;
        struct fetch_req req = {.url = url, .sha256 = hex, .http = *ho};
        _cleanup_(fetch_result_clear) struct fetch_result fr = {0};
        _cleanup_(xb_detail_clear) struct xb_detail fe = {0}, de = {0};
        req.http.allow_file = strneq(mirror, "file://", 7);
        req.http.max_size = size; /* the signed size: a mirror sending more cannot fill the disk */
        r = fetch_to_cache(c, &req, &fr, &fe);
        if (r == -XB_E_CHECKSUM)
                return xb_detail_set(err, r, "%s: sha256 %s, but the signed Release says %s", url, fr.sha256, hex);
        if (r < 0)
                return xb_detail_set(err, r, "%s: %s", url, xb_detail_text(&fe, r));
        r = archive_read_decompressed(fr.path, MAX_SOURCES, ret, ret_len, &de);
        return r < 0 ? xb_detail_set(err, r, "%s: %s", url, xb_detail_text(&de, r)) : 0;
}

static int fetch_files(const struct cache *c, const char *mirror, const struct debsrc_entry *e,
                       const struct http_opts *ho, bool *network, struct xb_detail *err) {
        for (size_t i = 0; i < e->n_files; i++) {
                const struct debsrc_file *f = &e->files[i];
                _cleanup_(fetch_result_clear) struct fetch_result fr = {0};
                _cleanup_(xb_detail_clear) struct xb_detail fe = {0};
                _cleanup_free_ char *url = NULL;
                int r;

                if (cache_check_blob(c, f->sha256, f->size, NULL) == 0)
                        continue;
                if (!mirror)
                        return -EAGAIN;
                if (asprintf(&url, "%s/%s/%s", mirror, e->directory, f->name) < 0)
                        return -ENOMEM;
                struct fetch_req req = {.url = url, .sha256 = f->sha256, .http = *ho};
                req.http.allow_file = strneq(mirror, "file://", 7);
                req.http.max_size = f->size ? f->size : 1;
                r = fetch_to_cache(c, &req, &fr, &fe);
                *network = *network || (r >= 0 && !fr.hit);
                if (r == -XB_E_CHECKSUM)
                        return xb_detail_set(err, r, "%s: sha256 %s, but the signed Sources index says %s", url, fr.sha256,
                                             f->sha256);
                if (r < 0)
                        return xb_detail_set(err, r, "%s: %s", url, xb_detail_text(&fe, r));
                if (fr.size != f->size)
                        return xb_detail_set(err, -XB_E_CHECKSUM, "%s: %" PRIu64 " bytes, the Sources index says %" PRIu64,
                                             url, fr.size, f->size);
        }
        return 0;
}

static char *trim_slashes(const char *s) {
        char *t = strdup(s);
        if (t)
                for (size_t n = strlen(t); n > 0 && t[n - 1] == '/'; n--)
                        t[n - 1] = 0;
        return t;
}

int debsrc_fetch(const struct cache *c, const struct debsrc_req *req, struct debsrc_entry *ret, bool *ret_network,
                 struct xb_detail *err) {
        const char *suite = req->suite ?: "bookworm", *component = req->component ?: "main",
                   *keyring = req->keyring ?: DEFAULT_KEYRING;
        _cleanup_free_ char *key = NULL, *record = NULL, *text = NULL, *mirror = NULL, *found = NULL;
        _cleanup_(debsrc_entry_clear) struct debsrc_entry e = {0};
        int r;

        *ret_network = false;
        if (!debsrc_valid_package(req->package))
                return xb_detail_set(err, -EINVAL, "'%s' is not a Debian source package name", req->package);
        if (!debsrc_valid_version(req->version))
                return xb_detail_set(err, -EINVAL, "'%s' is not a Debian version", req->version);
        if (!debsrc_valid_suite(suite) || !debsrc_valid_suite(component))
                return xb_detail_set(err, -EINVAL, "'%s/%s' is not a suite and component", suite, component);
        if ((r = entry_key(req, suite, component, keyring, &key)) < 0 || !(record = cache_sub(c, "debsrc", key)))
                return r < 0 ? r : -ENOMEM;

        if (req->mirror)
                mirror = trim_slashes(req->mirror);
        else if (apt_sources_find_mirror(req->etc_apt ?: "/etc/apt", suite, &found) == 0)
                mirror = trim_slashes(found);
        if ((req->mirror || found) && !mirror)
                return -ENOMEM;
        /* A mirror we cannot use (apt's mirror+http://, tor+http://) matters only when it is
         * needed: a recorded chain with its blobs in the cache builds without one. */
        _cleanup_free_ char *unusable = NULL;
        if (mirror && !fetch_url_allowed(mirror))
                unusable = TAKE_PTR(mirror);

        /* Resolved before: the chain was verified then; the files are pinned by it. */
        if (read_full_file(record, 1 << 20, &text, NULL) == 0 && debsrc_entry_parse(text, &e) == 0) {
                r = fetch_files(c, mirror, &e, &req->http, ret_network, err);
                if (r == -EAGAIN)
                        return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                             "%s %s: files are missing from the cache and no Debian mirror for '%s' is in "
                                             "the host's apt sources", req->package, req->version, suite);
                if (r < 0)
                        return r;
                *ret = e;
                e = (struct debsrc_entry){0};
                return 0;
        }
        debsrc_entry_clear(&e);

        if (unusable)
                return xb_detail_set(err, -XB_E_FETCH_SCHEME, "mirror %s: only http://, https:// and file:// mirrors",
                                     unusable);
        if (!mirror)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE,
                                     "no Debian mirror for '%s' in the host's apt sources (/etc/apt/sources.list*)", suite);
        if (access(keyring, R_OK) < 0)
                return xb_detail_set(err, -XB_E_NOT_AVAILABLE, "keyring %s is missing: apt-get install debian-archive-keyring",
                                     keyring);
        _cleanup_(rm_rf_and_freep) char *tmp = NULL;
        _cleanup_free_ char *release = NULL, *sources = NULL, *formatted = NULL;
        size_t slen = 0;
        if ((r = make_tmpdir(c, &tmp)) < 0)
                return xb_detail_set(err, r, "cannot create a directory in %s/tmp: %s", c->root, xb_strerror(r));
        *ret_network = true;
        if ((r = verified_release(mirror, suite, keyring, tmp, &req->http, &release, err)) < 0 ||
            (r = sources_index(c, mirror, suite, component, release, &req->http, &sources, &slen, err)) < 0)
                return r == -EBADMSG ? -XB_E_ARCHIVE : r; /* what the signed text says is unusable */
        _cleanup_(xb_detail_clear) struct xb_detail le = {0};
        if ((r = debsrc_sources_lookup(sources, slen, req->package, req->version, &e, &le)) < 0)
                return xb_detail_set(err, r == -EBADMSG ? -XB_E_ARCHIVE : r, "%s/%s: %s", suite, component,
                                     xb_detail_text(&le, r));
        if ((r = fetch_files(c, mirror, &e, &req->http, ret_network, err)) < 0)
                return r;
        _cleanup_free_ char *dir = cache_sub(c, "debsrc", "");
        if (!dir || !(formatted = debsrc_entry_format(&e)))
                return -ENOMEM;
        if ((r = mkdir_p(dir, 0755)) < 0 || (r = write_file_atomic(record, formatted, strlen(formatted), 0644)) < 0)
                return xb_detail_set(err, r, "cannot write %s: %s", record, xb_strerror(r));
        *ret = e;
        e = (struct debsrc_entry){0};
        return 0;
}

int debsrc_unpack(const struct cache *c, const struct debsrc_entry *e, const char *dest, long long *ret_epoch,
                  struct xb_detail *err) {
        _cleanup_(rm_rf_and_freep) char *tmp = NULL;
        const struct debsrc_file *dsc = debsrc_entry_dsc(e);
        _cleanup_free_ char *dsc_path = NULL, *changelog = NULL;
        _cleanup_(spawn_result_clear) struct spawn_result sr = {0}, cr = {0};
        int r;

        *ret_epoch = -1;
        if (!dsc)
                return xb_detail_set(err, -EINVAL, "no .dsc");
        /* Only a tree of our own making is ever removed on failure. */
        if (access(dest, F_OK) == 0 || errno != ENOENT)
                return xb_detail_set(err, -EEXIST, "%s already exists", dest);
        if ((r = make_tmpdir(c, &tmp)) < 0)
                return xb_detail_set(err, r, "cannot create a directory in %s/tmp: %s", c->root, xb_strerror(r));
        /* dpkg-source wants the files side by side under their archive names. */
        for (size_t i = 0; i < e->n_files; i++) {
                /* Absolute targets: a relative cache root (--cache-dir .cache) would leave the links
                 * pointing nowhere from inside tmp/. */
                _cleanup_free_ char *rel = cache_blob_path(c, e->files[i].sha256), *link = path_join(tmp, e->files[i].name);
                _cleanup_free_ char *blob = rel ? realpath(rel, NULL) : NULL;
                if (!rel || !link)
                        return -ENOMEM;
                if (!blob)
                        return xb_detail_set(err, -errno, "%s: the cached blob %s is gone: %m", e->files[i].name, rel);
                if (symlink(blob, link) < 0)
                        return xb_detail_set(err, -errno, "cannot link %s into %s: %m", e->files[i].name, tmp);
        }
        if (!(dsc_path = path_join(tmp, dsc->name)))
                return -ENOMEM;
        char *argv[] = {(char *) "dpkg-source", (char *) "--no-copy", (char *) "-x", dsc_path, (char *) dest, NULL};
        if ((r = run_tool(argv, "dpkg-dev", -1, &sr, err)) < 0)
                return r;
        if (sr.exit_code != 0 || sr.signal) {
                const char *last;
                int len;
                spawn_result_last_line(&sr, &last, &len);
                (void) rm_rf(dest);
                return xb_detail_set(err, -XB_E_PATCH, "dpkg-source -x %s failed: %.*s", dsc->name, len, last);
        }
        /* Debian's SOURCE_DATE_EPOCH: the latest changelog entry. */
        if (!(changelog = path_join(dest, "debian/changelog"))) {
                (void) rm_rf(dest);
                return -ENOMEM;
        }
        char *pargv[] = {(char *) "dpkg-parsechangelog", (char *) "-l", changelog, (char *) "-S", (char *) "Timestamp", NULL};
        if (path_exists(changelog) && run_tool(pargv, "dpkg-dev", -1, &cr, NULL) == 0 && cr.exit_code == 0 && !cr.signal &&
            cr.tail) {
                char *endp;
                long long t = strtoll(cr.tail, &endp, 10);
                if (endp != cr.tail && t > 0)
                        *ret_epoch = t;
        }
        return 0;
}
