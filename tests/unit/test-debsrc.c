/* SPDX-License-Identifier: MIT */
/* The Debian source chain's pure parts: what a verified Release and a Sources index say, the
 * checks on what they name, the cache record, the upstream version. The chain itself (gpgv,
 * the mirror, dpkg-source) is tests/cli/cli-debsrc.sh. */
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "fetch/debsrc.h"
#include "tap.h"

#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "3333333333333333333333333333333333333333333333333333333333333333"

static const char release[] = "Origin: Debian\n"
                              "Suite: stable\n"
                              "Codename: bookworm\n"
                              "Acquire-By-Hash: yes\n"
                              "MD5Sum:\n"
                              " 9de2ebf49f09705996b7fb88d05ce061 50724597 main/source/Sources.xz\n"
                              "SHA256:\n"
                              " " H1 " 50724597 main/source/Sources\n"
                              " " H2 "  9491888 main/source/Sources.xz\n"
                              " " H3 " 12 contrib/source/Sources.xz\n";

static void test_release(void) {
        char hex[SHA256_HEX_LEN + 1];
        uint64_t size = 0;
        struct xb_detail e = {0};

        tap_ok(debsrc_release_lookup(release, "bookworm", "main/source/Sources.xz", hex, &size, &e) == 0 &&
                       streq(hex, H2) && size == 9491888,
               "Release: the SHA256 line, not the MD5Sum one");
        tap_ok(debsrc_release_lookup(release, "stable", "main/source/Sources.xz", hex, &size, &e) == 0,
               "Release: the suite may be named by Suite or Codename");
        tap_ok(debsrc_release_lookup(release, "bookworm", "main/source/Sources.gz", hex, &size, &e) == -ENOENT,
               "Release: a path not listed is ENOENT");
        tap_ok(debsrc_release_lookup(release, "trixie", "main/source/Sources.xz", hex, &size, &e) == -EBADMSG &&
                       strstr(e.msg, "for stable, bookworm, not trixie"),
               "Release: another suite's Release is refused, naming both");
        xb_detail_clear(&e);
}

static const char sources[] = "Package: runc\n"
                              "Version: 1.1.5+ds1-1\n"
                              "Directory: pool/main/r/runc\n"
                              "Checksums-Sha256:\n"
                              " " H1 " 2784 runc_1.1.5+ds1-1.dsc\n"
                              "\n"
                              "Package: runc\n"
                              "Binary: golang-github-opencontainers-runc-dev, runc\n"
                              "Version: 1.1.5+ds1-1+deb12u1\n"
                              "Files:\n"
                              " 0123 2784 runc_1.1.5+ds1-1+deb12u1.dsc\n"
                              "Checksums-Sha256:\n"
                              " " H1 " 2784 runc_1.1.5+ds1-1+deb12u1.dsc\n"
                              " " H2 " 506916 runc_1.1.5+ds1.orig.tar.xz\n"
                              " " H3 " 19656 runc_1.1.5+ds1-1+deb12u1.debian.tar.xz\n"
                              "Directory: pool/main/r/runc\n"
                              "Priority: optional\n"
                              "\n"
                              "Package: runc-evil\n"
                              "Version: 1.0-1\n"
                              "Directory: ../../etc\n"
                              "Checksums-Sha256:\n"
                              " " H1 " 1 x.dsc\n"
                              "\n"
                              "Package: slashes\n"
                              "Version: 1.0-1\n"
                              "Directory: pool/main/s/slashes\n"
                              "Checksums-Sha256:\n"
                              " " H1 " 1 ../x.dsc\n"
                              "\n"
                              "Package: nodsc\n"
                              "Version: 1.0-1\n"
                              "Directory: pool/main/n/nodsc\n"
                              "Checksums-Sha256:\n"
                              " " H1 " 1 nodsc_1.0.orig.tar.gz\n";

static void test_sources(void) {
        struct debsrc_entry en = {0};
        struct xb_detail e = {0};
        size_t len = strlen(sources);

        tap_ok(debsrc_sources_lookup(sources, len, "runc", "1.1.5+ds1-1+deb12u1", &en, &e) == 0 &&
                       streq(en.directory, "pool/main/r/runc") && en.n_files == 3 &&
                       streq(en.files[1].name, "runc_1.1.5+ds1.orig.tar.xz") && streq(en.files[1].sha256, H2) &&
                       en.files[1].size == 506916 && streq(debsrc_entry_dsc(&en)->name, "runc_1.1.5+ds1-1+deb12u1.dsc"),
               "Sources: the exact version's stanza, Directory after the list, Files: ignored");
        _cleanup_free_ char *rec = debsrc_entry_format(&en);
        struct debsrc_entry back = {0};
        tap_ok(rec && debsrc_entry_parse(rec, &back) == 0 && back.n_files == 3 && streq(back.directory, en.directory) &&
                       streq(back.files[2].sha256, H3) && back.files[2].size == 19656,
               "the cache record reads back as written");
        debsrc_entry_clear(&back);
        tap_ok(debsrc_entry_parse("directory ../x\nfile " H1 " 1 a.dsc\n", &back) < 0 &&
                       debsrc_entry_parse("file " H1 " 1 a.dsc\n", &back) < 0 &&
                       debsrc_entry_parse("directory p\nfile " H1 " 1 a.dsc\ngarbage\n", &back) < 0,
               "a damaged cache record is refused, never used");
        debsrc_entry_clear(&en);

        tap_ok(debsrc_sources_lookup(sources, len, "runc", "1.1.5", &en, &e) == -ENOENT &&
                       strstr(e.msg, "has no version 1.1.5 here (there is: 1.1.5+ds1-1, 1.1.5+ds1-1+deb12u1)"),
               "Sources: a version not there lists those there are");
        xb_detail_clear(&e);
        tap_ok(debsrc_sources_lookup(sources, len, "runc-1", "1.0", &en, &e) == -ENOENT &&
                       strstr(e.msg, "no source package named runc-1"),
               "Sources: an unknown package is named");
        xb_detail_clear(&e);
        tap_ok(debsrc_sources_lookup(sources, len, "run", "1.1.5+ds1-1", &en, &e) == -ENOENT,
               "Sources: a package name is matched whole, not as a prefix");
        xb_detail_clear(&e);
        tap_ok(debsrc_sources_lookup(sources, len, "runc-evil", "1.0-1", &en, &e) == -EBADMSG &&
                       strstr(e.msg, "Directory") && !en.files,
               "Sources: a Directory leaving the mirror is refused");
        xb_detail_clear(&e);
        tap_ok(debsrc_sources_lookup(sources, len, "slashes", "1.0-1", &en, &e) == -EBADMSG &&
                       strstr(e.msg, "'../x.dsc' is not a plain file name"),
               "Sources: a file name with a slash is refused");
        xb_detail_clear(&e);
        tap_ok(debsrc_sources_lookup(sources, len, "nodsc", "1.0-1", &en, &e) == -EBADMSG && strstr(e.msg, "no .dsc"),
               "Sources: a stanza without a .dsc is refused");
        xb_detail_clear(&e);
}

static void test_names(void) {
        tap_ok(debsrc_valid_package("runc") && debsrc_valid_package("docker.io") && debsrc_valid_package("g++-12") &&
                       !debsrc_valid_package("Runc") && !debsrc_valid_package("-x") && !debsrc_valid_package("a") &&
                       !debsrc_valid_package("a/b") && !debsrc_valid_package("a b"),
               "package names as the archive spells them");
        tap_ok(debsrc_valid_version("1:5.0.2-1+deb12u4") && debsrc_valid_version("1.6.20~ds1-1") &&
                       !debsrc_valid_version("v1.0") && !debsrc_valid_version("1.0/../x") &&
                       !debsrc_valid_version("1.0 -1") && !debsrc_valid_version("") && !debsrc_valid_version("1:") &&
                       !debsrc_valid_version("1:a") && !debsrc_valid_version("1.0-"),
               "versions as the archive spells them");
        tap_ok(debsrc_valid_suite("bookworm-updates") && !debsrc_valid_suite("../x") && !debsrc_valid_suite("-x") &&
                       !debsrc_valid_suite("a/b"),
               "suite names");
        static const char *const cases[][2] = {
                {"1:5.0.2-1+deb12u4", "5.0.2"},      {"1.1.5+ds1-1+deb12u1", "1.1.5"},
                {"1.6.20~ds1-1+deb12u3", "1.6.20"},  {"20.10.24+dfsg1-1+deb12u1", "20.10.24"},
                {"1.8.1-1+deb12u1", "1.8.1"},        {"2.0", "2.0"},
                {"1.0-2-3", "1.0-2"},
        };
        bool ok = true;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *u = debsrc_upstream_version(cases[i][0]);
                if (!u || !streq(u, cases[i][1])) {
                        tap_diag("%s -> %s, want %s", cases[i][0], u ? u : "(null)", cases[i][1]);
                        ok = false;
                }
        }
        tap_ok(ok, "the upstream version: no epoch, revision or repack suffix");
}

static void test_gpgv_status(void) {
        static const char good[] = "[GNUPG:] NEWSIG\n[GNUPG:] KEY_CONSIDERED ABC 0\n[GNUPG:] SIG_ID x 2026-11-29 1\n"
                                   "[GNUPG:] GOODSIG 0E98404D386FA1D9 Debian Archive Automatic Signing Key\n"
                                   "[GNUPG:] VALIDSIG 4CB5 2026-11-29 1 0 4 0 1 10 01 4CB5\n";
        tap_ok(debsrc_gpgv_status_ok(good), "gpgv status: GOODSIG and VALIDSIG is a good signature");
        tap_ok(!debsrc_gpgv_status_ok("[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 0E98 1 10 01 1 9\n[GNUPG:] NO_PUBKEY 0E98\n"),
               "gpgv status: an unknown key is not");
        tap_ok(!debsrc_gpgv_status_ok("[GNUPG:] GOODSIG A x\n"), "gpgv status: GOODSIG without VALIDSIG is not");
        tap_ok(!debsrc_gpgv_status_ok("[GNUPG:] GOODSIG A x\n[GNUPG:] VALIDSIG A\n[GNUPG:] BADSIG B y\n") &&
                       !debsrc_gpgv_status_ok("[GNUPG:] EXPKEYSIG A x\n[GNUPG:] VALIDSIG A\n"),
               "gpgv status: a bad or expired-key signature beside a good one is refused");
        tap_ok(!debsrc_gpgv_status_ok("gpgv: [GNUPG:] GOODSIG A\nx [GNUPG:] VALIDSIG A\n") && !debsrc_gpgv_status_ok(""),
               "gpgv status: only whole status lines count");
}

int main(void) {
        test_gpgv_status();
        test_release();
        test_sources();
        test_names();
        return tap_done();
}
