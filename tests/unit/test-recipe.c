/* SPDX-License-Identifier: MIT */
/* The recipe loader: every kind of bad input is refused with its exact line and column, and
 * a good recipe is decoded with its defaults. */
#include <string.h>

#include "core/errors.h"
#include "core/strv.h"
#include "recipe/recipe.h"
#include "tap.h"

#define GOOD_HEAD                                                                                  \
        "name: demo\n"                                                                             \
        "summary: A demo\n"                                                                        \
        "arches: [armhf, arm64]\n"                                                                 \
        "source:\n"                                                                                \
        "  git: https://example.invalid/demo.git\n"                                                \
        "  ref: v1.0\n"                                                                            \
        "  commit: 0123456789abcdef0123456789abcdef01234567\n"                                     \
        "steps:\n"                                                                                 \
        "  - make\n"                                                                               \
        "artifacts:\n"                                                                             \
        "  - path: out/demo\n"

struct bad_case {
        const char *name;
        const char *yaml;
        int code;
        unsigned line, col;
        const char *msg; /* substring of the message */
};

static const struct bad_case bad_cases[] = {
        {"tab in indentation", "name: demo\nsource:\n\tgit: x\n", XB_E_RECIPE_SYNTAX, 3, 1,
         "tab character used for indentation"},
        {"tab after spaces in indentation", GOOD_HEAD "env:\n  A: b\n \tB: c\n", XB_E_RECIPE_SYNTAX,
         14, 2, "tab character"},
        {"duplicate top-level key", "name: a\nsummary: s\nname: b\n", XB_E_RECIPE_SYNTAX, 3, 1,
         "duplicate key 'name' (first defined at line 1)"},
        {"duplicate nested key", GOOD_HEAD "env:\n  CC: gcc\n  LD: ld\n  CC: clang\n",
         XB_E_RECIPE_SYNTAX, 15, 3, "duplicate key 'CC'"},
        {"duplicate key in flow mapping", GOOD_HEAD "env: {A: 1, B: 2, A: 3}\n", XB_E_RECIPE_SYNTAX,
         12, 19, "duplicate key 'A'"},
        {"unknown key with suggestion", GOOD_HEAD "sumary: x\n", XB_E_RECIPE_VALUE, 12, 1,
         "unknown key 'sumary' in recipe (did you mean 'summary'?)"},
        {"unknown key without suggestion", GOOD_HEAD "flavour: x\n", XB_E_RECIPE_VALUE, 12, 1,
         "unknown key 'flavour' in recipe"},
        {"unknown nested key", GOOD_HEAD "strategies:\n  cross:\n    evn: {A: b}\n",
         XB_E_RECIPE_VALUE, 14, 5, "did you mean 'env'?"},
        {"wrong type: scalar for list", "name: demo\nsummary: s\narches: armhf\n", XB_E_RECIPE_VALUE,
         3, 9, "'arches' must be a list, not a scalar"},
        {"wrong type: list for string", "name: demo\nsummary: [a, b]\n", XB_E_RECIPE_VALUE, 2, 10,
         "'summary' must be a string, not a list"},
        {"wrong type: mapping for steps", GOOD_HEAD "timeout: {a: 1}\n", XB_E_RECIPE_VALUE, 12, 10,
         "'timeout' must be a whole number"},
        {"wrong type: bool spelled yes", GOOD_HEAD "strategies:\n  chroot:\n    enabled: yes\n",
         XB_E_RECIPE_VALUE, 14, 14, "must be true or false"},
        {"missing required key", "name: demo\nsummary: s\narches: [armhf]\n", XB_E_RECIPE_VALUE, 1, 1,
         "missing required key 'source'"},
        {"missing nested required key",
         "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: https://x.invalid/r\n  ref: v1\n",
         XB_E_RECIPE_VALUE, 5, 3, "missing required key 'commit' in source"},
        {"unknown arch", "name: demo\nsummary: s\narches: [armhf, arm65]\n", XB_E_RECIPE_VALUE, 3, 17,
         "unknown architecture 'arm65' (did you mean 'arm64'?)"},
        {"arch listed twice", "name: demo\nsummary: s\narches: [armhf, armhf]\n", XB_E_RECIPE_VALUE,
         3, 17, "listed twice"},
        {"unknown strategy key", GOOD_HEAD "strategies:\n  teleport: {}\n", XB_E_RECIPE_VALUE, 13, 3,
         "unknown key 'teleport' in strategies"},
        {"unknown strategy in prefer", GOOD_HEAD "prefer: [chroot, qemu]\n", XB_E_RECIPE_VALUE, 12, 18,
         "unknown strategy 'qemu'"},
        {"anchor", GOOD_HEAD "env: &e {A: b}\n", XB_E_RECIPE_SYNTAX, 12, 6, "anchors ('&e') are not allowed"},
        {"alias", GOOD_HEAD "env:\n  A: &x b\n  B: *x\n", XB_E_RECIPE_SYNTAX, 13, 6, "anchors"},
        {"alias alone", "name: *x\n", XB_E_RECIPE_SYNTAX, 1, 7, NULL},
        {"explicit tag", GOOD_HEAD "timeout: !!int 5\n", XB_E_RECIPE_SYNTAX, 12, 10,
         "tags ('tag:yaml.org,2002:int') are not allowed"},
        {"two documents", GOOD_HEAD "---\nname: other\n", XB_E_RECIPE_SYNTAX, 12, 1,
         "only one YAML document"},
        {"empty file", "", XB_E_RECIPE_VALUE, 1, 1, "file is empty"},
        {"only a comment", "# nothing\n", XB_E_RECIPE_VALUE, 1, 1, "file is empty"},
        {"top level is a list", "- a\n- b\n", XB_E_RECIPE_VALUE, 1, 1, "'recipe' must be a mapping"},
        {"invalid UTF-8", "name: demo\nsummary: caf\xc3(\n", XB_E_RECIPE_ENCODING, 2, 13,
         "invalid UTF-8 (byte 0xC3)"},
        {"overlong UTF-8", "name: demo\nsummary: \xc0\xaf\n", XB_E_RECIPE_ENCODING, 2, 10, "invalid UTF-8"},
        {"UTF-16 surrogate", "name: \xed\xa0\x80\n", XB_E_RECIPE_ENCODING, 1, 7, "invalid UTF-8"},
        {"truncated UTF-8 at end", "name: \xe2\x82", XB_E_RECIPE_ENCODING, 1, 7, "invalid UTF-8"},
        {"column counts characters", "summary: é€ \xff\n", XB_E_RECIPE_ENCODING, 1, 13, "byte 0xFF"},
        {"control character", "name: de\x01mo\n", XB_E_RECIPE_ENCODING, 1, 9, "U+0001"},
        {"NUL byte", "name: de\0mo\n", XB_E_RECIPE_ENCODING, 1, 9, "U+0000"},
        {"NUL escape", "name: demo\nsummary: \"a\\0b\"\n", XB_E_RECIPE_VALUE, 2, 10, "NUL"},
        {"commit not 40 hex", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: https://x.invalid/r\n  ref: v1\n  commit: 0123abc\n",
         XB_E_RECIPE_VALUE, 7, 11, "'source.commit' must be 40 lowercase hexadecimal digits, got '0123abc'"},
        {"commit with uppercase", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: https://x.invalid/r\n  ref: v1\n  commit: 0123456789ABCDEF0123456789abcdef01234567\n",
         XB_E_RECIPE_VALUE, 7, 11, "40 lowercase"},
        {"sha256 not 64 hex", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  tarball: https://x.invalid/a.tar.gz\n  sha256: abcd\n",
         XB_E_RECIPE_VALUE, 6, 11, "'source.sha256' must be 64 lowercase hexadecimal digits"},
        {"two source kinds", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: https://x.invalid/r\n  local: .\n",
         XB_E_RECIPE_VALUE, 6, 10, "exactly one of git, tarball, local or debian"},
        {"key of another source kind", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  local: .\n  sha256: 00\n",
         XB_E_RECIPE_VALUE, 6, 3, "'source.sha256' applies to tarball sources, not local"},
        {"reserved XB_ variable in env", "name: demo\nsummary: s\narches: [armhf]\nsource: {local: .}\nenv: {XB_SRCDIR: /}\nsteps: [make]\nartifacts: [{path: x}]\n",
         XB_E_RECIPE_VALUE, 5, 7, "'XB_SRCDIR' in env is reserved"},
        {"git URL starting with a dash", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: --upload-pack=evil\n",
         XB_E_RECIPE_VALUE, 5, 8, "'source.git' must not start with '-'"},
        {"ssh URL whose host is an option", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: 'ssh://-oProxyCommand=touch /tmp/pwned/x'\n",
         XB_E_RECIPE_VALUE, 5, 8, "(it would be read as an option)"},
        {"ssh URL smuggling --upload-pack", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: ssh://--upload-pack=evil/r\n",
         XB_E_RECIPE_VALUE, 5, 8, "user or host starting with '-'"},
        {"ssh URL whose user is an option", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: ssh://-oX@host/r\n",
         XB_E_RECIPE_VALUE, 5, 8, "user or host starting with '-'"},
        {"scp-like URL whose host is an option", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: 'git@-oProxyCommand=x:r'\n",
         XB_E_RECIPE_VALUE, 5, 8, "user or host starting with '-'"},
        {"ref starting with a dash", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  git: https://x.invalid/r\n  ref: --force\n  commit: 0123456789abcdef0123456789abcdef01234567\n",
         XB_E_RECIPE_VALUE, 6, 8, "must not start with '-'"},
        {"tarball with forbidden scheme", "name: demo\nsummary: s\narches: [armhf]\nsource:\n  tarball: ftp://x.invalid/a.tgz\n  sha256: 0\n",
         XB_E_RECIPE_VALUE, 5, 12, "https://, http:// or file://"},
        {"artifact escaping the tree", "name: demo\nsummary: s\narches: [armhf]\nsource: {local: .}\nsteps: [make]\nartifacts:\n  - path: ../../etc/passwd\n",
         XB_E_RECIPE_VALUE, 7, 11, "relative path inside the source tree"},
        {"absolute artifact", "name: demo\nsummary: s\narches: [armhf]\nsource: {local: .}\nsteps: [make]\nartifacts:\n  - path: /bin/sh\n",
         XB_E_RECIPE_VALUE, 7, 11, "relative path"},
        {"install_as with a slash", GOOD_HEAD "    install_as: a/b\n", XB_E_RECIPE_VALUE, 12, 17, "plain file name"},
        {"two artifacts installed alike", GOOD_HEAD "  - path: other/demo\n", XB_E_RECIPE_VALUE, 12, 5,
         "installs as 'demo' like artifacts[0]"},
        {"a shared library with runs", GOOD_HEAD "    expect: {shared_library: true, runs: [[--version]]}\n", XB_E_RECIPE_VALUE,
         12, 42, "a shared library is not run"},
        {"a static shared library", GOOD_HEAD "    expect: {shared_library: true, static: true}\n", XB_E_RECIPE_VALUE, 12, 44,
         "a shared library is not static"},
        {"pie spelled yes", GOOD_HEAD "    expect: {pie: yes}\n", XB_E_RECIPE_VALUE, 12, 19, "must be true or false"},
        {"run output not a regex", GOOD_HEAD "    expect: {runs: [{args: [-v], output: 'a(b'}]}\n", XB_E_RECIPE_VALUE, 12, 42,
         "not a valid regular expression"},
        {"run mapping without args", GOOD_HEAD "    expect: {runs: [{output: x}]}\n", XB_E_RECIPE_VALUE, 12, 21,
         "missing required key 'args'"},
        {"run mapping unknown key", GOOD_HEAD "    expect: {runs: [{args: [], outptu: x}]}\n", XB_E_RECIPE_VALUE, 12, 32,
         "did you mean 'output'?"},
        {"run env reserved name", GOOD_HEAD "    expect: {runs: [{args: [], env: {XB_ARCH: x}}]}\n", XB_E_RECIPE_VALUE, 12, 38,
         "XB_"},
        {"runs not a list of lists", GOOD_HEAD "    expect: {runs: [--version]}\n", XB_E_RECIPE_VALUE, 12, 21,
         "list of arguments"},
        {"empty steps", "name: demo\nsummary: s\narches: [armhf]\nsource: {local: .}\nsteps: []\n",
         XB_E_RECIPE_VALUE, 5, 8, "'steps' must not be an empty list"},
        {"null summary", "name: demo\nsummary:\narches: [armhf]\n", XB_E_RECIPE_VALUE, 2, 9, "'summary' must not be empty"},
        {"bad name", "name: Demo Engine\n", XB_E_RECIPE_VALUE, 1, 7, "must be a lowercase name"},
        {"bad env name", GOOD_HEAD "env:\n  1BAD: x\n", XB_E_RECIPE_VALUE, 13, 3, "not a valid environment variable name"},
        {"env value is a list", GOOD_HEAD "env:\n  A: [x]\n", XB_E_RECIPE_VALUE, 13, 6, "'env.A' must be a string"},
        {"unknown variable", GOOD_HEAD "env:\n  CC: ${tripplet}-gcc\n", XB_E_RECIPE_VALUE, 13, 7,
         "unknown variable '${tripplet}' (did you mean '${triplet}'?)"},
        {"unknown variable in quotes", GOOD_HEAD "env:\n  CC: \"x-${nope}\"\n", XB_E_RECIPE_VALUE, 13, 10,
         "unknown variable '${nope}'"},
        {"unterminated variable", GOOD_HEAD "env:\n  CC: ${arch\n", XB_E_RECIPE_VALUE, 13, 7, "unterminated '${'"},
        {"variable in artifact path", GOOD_HEAD "  - path: out/${archh}/x\n", XB_E_RECIPE_VALUE, 12, 15,
         "unknown variable"},
        {"bad package name", GOOD_HEAD "build_deps: [gcc, 'lib foo']\n", XB_E_RECIPE_VALUE, 12, 19,
         "not a Debian package name"},
        {"patch with a path", GOOD_HEAD "patches: [../evil.patch]\n", XB_E_RECIPE_VALUE, 12, 11,
         "must be a file name under recipes/patches/demo/"},
        {"timeout out of range", GOOD_HEAD "timeout: 0\n", XB_E_RECIPE_VALUE, 12, 10, "from 1 to 604800"},
        {"negative number", GOOD_HEAD "timeout: -5\n", XB_E_RECIPE_VALUE, 12, 10, "whole number"},
        {"test without run", GOOD_HEAD "test:\n  expect: hi\n", XB_E_RECIPE_VALUE, 13, 3, "missing required key 'run'"},
        {"test without expect", GOOD_HEAD "test:\n  run: x\n", XB_E_RECIPE_VALUE, 13, 3,
         "missing required key 'expect'"},
        {"test unknown key", GOOD_HEAD "test:\n  run: x\n  expect: y\n  exepct: z\n", XB_E_RECIPE_VALUE, 15, 3,
         "did you mean 'expect'?"},
        {"test daemon without ready", GOOD_HEAD "test:\n  run: x\n  expect: y\n  daemon: {run: d}\n", XB_E_RECIPE_VALUE,
         15, 11, "missing required key 'ready'"},
        {"test cgroup v3", GOOD_HEAD "test:\n  run: x\n  expect: y\n  cgroup: v3\n", XB_E_RECIPE_VALUE, 15, 11,
         "must be v1 or v2"},
        {"test bad module", GOOD_HEAD "test:\n  run: x\n  expect: y\n  modules: [overlay, 'a b']\n", XB_E_RECIPE_VALUE, 15,
         22, "not a kernel module name"},
        {"test module like an option", GOOD_HEAD "test:\n  run: x\n  expect: y\n  modules: [-v]\n", XB_E_RECIPE_VALUE, 15,
         13, "not a kernel module name"},
        {"test expect two lines", GOOD_HEAD "test:\n  run: x\n  expect: \"a\\nb\"\n", XB_E_RECIPE_VALUE, 14, 11,
         "one line"},
        {"test expect unknown variable", GOOD_HEAD "test:\n  run: x\n  expect: hi-${arc}\n", XB_E_RECIPE_VALUE, 14, 14,
         "unknown variable"},
        {"test expect with a trailing space", GOOD_HEAD "test:\n  run: x\n  expect: 'hi '\n", XB_E_RECIPE_VALUE, 14, 11,
         "must not start or end with blanks"},
        {"test expect with a build path", GOOD_HEAD "test:\n  run: x\n  expect: ${srcdir}/x\n", XB_E_RECIPE_VALUE, 14, 11,
         "not ${srcdir}"},
        {"per_arch for an arch not listed", GOOD_HEAD "per_arch:\n  armel: {steps: [make]}\n", XB_E_RECIPE_VALUE, 13, 3,
         "the recipe's arches do not list armel"},
        {"per_arch unknown arch", GOOD_HEAD "per_arch:\n  armhff: {steps: [make]}\n", XB_E_RECIPE_VALUE, 13, 3,
         "did you mean 'armhf'?"},
        {"per_arch unknown key", GOOD_HEAD "per_arch:\n  armhf: {stesp: [make]}\n", XB_E_RECIPE_VALUE, 13, 11,
         "did you mean 'steps'?"},
        {"per_arch artifacts installed alike", GOOD_HEAD "per_arch:\n  armhf:\n    artifacts: [{path: a/x}, {path: b/x}]\n",
         XB_E_RECIPE_VALUE, 14, 30, "like per_arch.armhf.artifacts[0]"},
        {"a tree with expectations", GOOD_HEAD "    tree: true\n    expect: {static: true}\n", XB_E_RECIPE_VALUE, 13, 13,
         "a tree's files are checked for the arch"},
        {"version with a slash", GOOD_HEAD "version: ../1\n", XB_E_RECIPE_VALUE, 12, 10, "plain version string"},
        {"test timeout zero", GOOD_HEAD "test:\n  run: x\n  expect: y\n  timeout: 0\n", XB_E_RECIPE_VALUE, 15, 12,
         "from 1 to 86400"},
        {"test memory tiny", GOOD_HEAD "test:\n  run: x\n  expect: y\n  memory: 1M\n", XB_E_RECIPE_VALUE, 15, 11,
         "size from 128M"},
        {"test bad dep", GOOD_HEAD "test:\n  run: x\n  expect: y\n  deps: ['k mod']\n", XB_E_RECIPE_VALUE, 15, 10,
         "not a Debian package name"},
        {"syntax error", "name: demo\nsummary: [unclosed\n", XB_E_RECIPE_SYNTAX, 3, 1, "YAML syntax error"},
        {"mapping key is a list", "[a, b]: c\n", XB_E_RECIPE_SYNTAX, 1, 1, "mapping keys must be plain strings"},
};

static void test_bad_inputs(void) {
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
                const struct bad_case *c = &bad_cases[i];
                struct recipe *rc = (struct recipe *) 0x1; /* must stay untouched */
                struct xb_diag d = {0};
                size_t len = strlen(c->yaml);
                int r;

                if (streq(c->name, "NUL byte"))
                        len = 12;
                r = recipe_parse(c->yaml, len, "demo.yaml", &rc, &d);
                tap_ok(r == -c->code && d.line == c->line && d.col == c->col &&
                               (!c->msg || strstr(d.msg, c->msg)) && rc == (struct recipe *) 0x1 &&
                               streq(d.file, "demo.yaml"),
                       "%s: got %d %s:%u:%u: %s", c->name, r, d.file, d.line, d.col, d.msg);
        }
}

static void test_limits(void) {
        struct recipe *rc = NULL;
        struct xb_diag d = {0};
        char *buf;
        size_t n;
        int r;

        /* Nesting: 33 levels of flow sequences under a key. */
        buf = calloc(1, 256);
        strcpy(buf, "name: demo\nsummary: s\nenv: ");
        n = strlen(buf);
        for (int i = 0; i < 33; i++)
                buf[n++] = '[';
        for (int i = 0; i < 33; i++)
                buf[n++] = ']';
        buf[n++] = '\n';
        r = recipe_parse(buf, n, "deep.yaml", &rc, &d);
        tap_ok(r == -XB_E_RECIPE_TOO_LARGE && d.line == 3 && d.col == 37 && strstr(d.msg, "deeper than 32"),
               "nesting over 32 levels: %d %u:%u %s", r, d.line, d.col, d.msg);
        free(buf);

        /* 31 levels under the root map (32 in all) is fine for the YAML reader. */
        buf = calloc(1, 256);
        strcpy(buf, "env: ");
        n = strlen(buf);
        for (int i = 0; i < 31; i++)
                buf[n++] = '[';
        for (int i = 0; i < 31; i++)
                buf[n++] = ']';
        buf[n++] = '\n';
        r = recipe_parse(buf, n, "deep.yaml", &rc, &d);
        tap_ok(r == -XB_E_RECIPE_VALUE && !strstr(d.msg, "deeper"),
               "32 levels pass the reader (then fail the schema): %s", d.msg);
        free(buf);

        /* A scalar over 64 KiB. */
        n = 70000;
        buf = malloc(n + 64);
        strcpy(buf, "name: demo\nsummary: ");
        size_t off = strlen(buf);
        memset(buf + off, 'x', n);
        strcpy(buf + off + n, "\n");
        r = recipe_parse(buf, strlen(buf), "big.yaml", &rc, &d);
        tap_ok(r == -XB_E_RECIPE_TOO_LARGE && d.line == 2 && d.col == 10 && strstr(d.msg, "65536"),
               "scalar over 64 KiB: %d %u:%u %s", r, d.line, d.col, d.msg);
        free(buf);

        /* A file over 1 MiB (a comment, so only the size can be the problem). */
        n = 1024 * 1024 + 1;
        buf = malloc(n + 1);
        memset(buf, ' ', n);
        buf[0] = '#';
        buf[n] = 0;
        r = recipe_parse(buf, n, "huge.yaml", &rc, &d);
        tap_ok(r == -XB_E_RECIPE_TOO_LARGE && d.line == 1 && d.col == 1 && strstr(d.msg, "over the limit"),
               "file over 1 MiB: %d %s", r, d.msg);
        free(buf);

        /* Many keys: duplicate detection stays fast and finds the first duplicate. */
        FILE *f;
        char *big = NULL;
        size_t bigsize = 0;
        f = open_memstream(&big, &bigsize);
        fputs("env:\n", f);
        for (int i = 0; i < 40000; i++)
                fprintf(f, "  K%d: v\n", i);
        fputs("  K123: again\n", f);
        fclose(f);
        r = recipe_parse(big, bigsize, "keys.yaml", &rc, &d);
        tap_ok(r == -XB_E_RECIPE_SYNTAX && d.line == 40002 && d.col == 3 && strstr(d.msg, "first defined at line 125"),
               "duplicate among 40000 keys: %u:%u %s", d.line, d.col, d.msg);
        free(big);
}

static void test_good_recipe(void) {
        static const char yaml[] = GOOD_HEAD
                "    install_as: demo-bin\n"
                "    expect:\n"
                "      static: true\n"
                "      runs:\n"
                "        - [--version]\n"
                "        - [daemon, --help, '']\n"
                "        - {args: [version], output: '^demo [0-9]+', env: {DEMO_DEBUG: '1'}}\n"
                "toolchain: go\n"
                "kconfig: docker-1.10\n"
                "build_deps: [golang-go, 'libsqlite3-dev:armhf']\n"
                "env:\n"
                "  GOARM: 7\n"
                "  EMPTY: ''\n"
                "  LIT: \"$$HOME and ${arch}\"\n"
                "patches: [fix-build.patch]\n"
                "strategies:\n"
                "  cross: {env: {CC: \"${triplet}-gcc\"}}\n"
                "  remote: {enabled: false}\n"
                "  chroot:\n"
                "    rootfs: archlinuxarm-armv7\n"
                "    steps: [make native]\n"
                "prefer: [chroot]\n"
                "timeout: 900\n";
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        struct xb_diag d = {0};
        int r;

        r = recipe_parse(yaml, strlen(yaml), "/srv/recipes/demo.yaml", &rc, &d);
        tap_ok(r == 0, "good recipe parses (%s:%u:%u: %s)", d.file, d.line, d.col, d.msg);
        if (r < 0)
                return;
        tap_ok(streq(rc->name, "demo") && streq(rc->summary, "A demo"), "name and summary");
        tap_ok(rc->n_arches == 2 && rc->arches[0] == XB_ARCH_ARMHF && rc->arches[1] == XB_ARCH_ARM64,
               "arches in order");
        tap_ok(rc->source.kind == SOURCE_GIT && streq(rc->source.ref, "v1.0") &&
                       streq(rc->source.commit, "0123456789abcdef0123456789abcdef01234567") &&
                       !rc->source.submodules,
               "git source");
        tap_ok(streq(rc->dir, "/srv/recipes"), "recipe dir from the file name");
        tap_ok(streq(rc->rootfs, "debian-bookworm"), "default rootfs");
        tap_ok(streq(rc->toolchain, "go") && rc->toolchain_pos.line == 19 && rc->toolchain_pos.col == 12,
               "toolchain and its position");
        tap_ok(strv_length(rc->build_deps) == 2 && streq(rc->build_deps[1], "libsqlite3-dev:armhf"),
               "build_deps with an arch qualifier");
        tap_ok(streq(strv_env_get(rc->env, "GOARM"), "7") && streq(strv_env_get(rc->env, "EMPTY"), "") &&
                       streq(strv_env_get(rc->env, "LIT"), "$$HOME and ${arch}"),
               "env keeps values unexpanded until planning");
        tap_ok(rc->n_artifacts == 1 && streq(rc->artifacts[0].install_as, "demo-bin") &&
                       rc->artifacts[0].expect.static_link == 1 &&
                       strv_length(rc->artifacts[0].expect.runs[1]) == 3 &&
                       streq(rc->artifacts[0].expect.runs[1][2], "") && rc->artifacts[0].expect.n_runs == 3 &&
                       !rc->artifacts[0].expect.runs[3] && streq(rc->artifacts[0].expect.runs[2][0], "version") &&
                       !rc->artifacts[0].expect.run_outputs[0] &&
                       streq(rc->artifacts[0].expect.run_outputs[2], "^demo [0-9]+") &&
                       streq(strv_env_get(rc->artifacts[0].expect.run_envs[2], "DEMO_DEBUG"), "1") &&
                       rc->artifacts[0].expect.timeout == RECIPE_DEFAULT_RUN_TIMEOUT &&
                       rc->artifacts[0].expect.pie == -1 && rc->artifacts[0].expect.shared_library == -1,
               "artifact with expectations");
        tap_ok(rc->strategies[XB_STRATEGY_CROSS].set && rc->strategies[XB_STRATEGY_CROSS].enabled &&
                       !rc->strategies[XB_STRATEGY_REMOTE].enabled &&
                       !rc->strategies[XB_STRATEGY_QEMU_SYSTEM].set,
               "strategy sections");
        tap_ok(streq(rc->strategies[XB_STRATEGY_CHROOT].rootfs, "archlinuxarm-armv7") &&
                       streq(rc->strategies[XB_STRATEGY_CHROOT].steps[0], "make native"),
               "per-strategy rootfs and steps");
        tap_ok(rc->n_prefer == 1 && rc->prefer[0] == XB_STRATEGY_CHROOT && rc->timeout == 900,
               "prefer and timeout");
        tap_ok(strv_length(rc->patches) == 1, "patches");
}

static void test_test_section(void) {
        static const char yaml[] = GOOD_HEAD
                "test:\n"
                "  deps: [kmod, iptables]\n"
                "  modules: [overlay, br_netfilter]\n"
                "  cgroup: v1\n"
                "  memory: 1G\n"
                "  daemon:\n"
                "    run: demo daemon\n"
                "    ready: demo version\n"
                "    timeout: 90\n"
                "  image: demo import \"$XB_TEST_IMAGE\"\n"
                "  run: demo run busybox echo hi-$XB_ARCH\n"
                "  expect: hi-${arch}\n";
        static const char minimal[] = GOOD_HEAD "test: {run: tinyctr run x, expect: hi}\n";
        _cleanup_(recipe_freep) struct recipe *rc = NULL, *rm = NULL;
        struct xb_diag d = {0};
        int r;

        r = recipe_parse(yaml, strlen(yaml), "/srv/recipes/demo.yaml", &rc, &d);
        tap_ok(r == 0 && rc->test, "a test section parses (%s:%u:%u: %s)", d.file, d.line, d.col, d.msg);
        if (r < 0)
                return;
        const struct recipe_test *t = rc->test;
        tap_ok(strv_length(t->deps) == 2 && strv_length(t->modules) == 2 && t->cgroup == RECIPE_CGROUP_V1 &&
                       t->memory_mib == 1024,
               "deps, modules, cgroup v1, memory");
        tap_ok(streq(t->daemon, "demo daemon") && streq(t->ready, "demo version") && t->ready_timeout == 90,
               "daemon, readiness and its timeout");
        tap_ok(streq(t->image, "demo import \"$XB_TEST_IMAGE\"") && streq(t->expect, "hi-${arch}") &&
                       t->timeout == RECIPE_TEST_DEFAULT_TIMEOUT,
               "image, expect kept unexpanded, default timeout");
        r = recipe_parse(minimal, strlen(minimal), "/srv/recipes/demo.yaml", &rm, &d);
        tap_ok(r == 0 && rm->test && !rm->test->daemon && !rm->test->image && rm->test->cgroup == RECIPE_CGROUP_V2 &&
                       rm->test->deps && !rm->test->deps[0] && rm->test->modules && !rm->test->modules[0] &&
                       rm->test->ready_timeout == RECIPE_TEST_DEFAULT_READY_TIMEOUT,
               "a daemon-less test: defaults (cgroup v2, no deps, no modules)");
        tap_ok(recipe_test_module_name_ok("nf_nat") && recipe_test_module_name_ok("crc32-arm-ce") &&
                       !recipe_test_module_name_ok("") && !recipe_test_module_name_ok("a;b") &&
                       !recipe_test_module_name_ok("-r"),
               "module names");
}

static void test_local_source_paths(void) {
        static const char yaml[] = "name: demo\nsummary: s\narches: [armel]\nsource:\n  local: ../src/./x/\n"
                                   "steps: [make]\nartifacts:\n  - path: a\n";
        _cleanup_(recipe_freep) struct recipe *rc = NULL;
        struct xb_diag d = {0};
        int r = recipe_parse(yaml, strlen(yaml), "/srv/recipes/demo.yaml", &rc, &d);
        tap_ok(r == 0 && streq(rc->source.path, "/srv/src/x"), "local source resolved against the recipe dir: %s",
               r == 0 ? rc->source.path : d.msg);
}

int main(void) {
        test_bad_inputs();
        test_limits();
        test_good_recipe();
        test_test_section();
        test_local_source_paths();
        return tap_done();
}
