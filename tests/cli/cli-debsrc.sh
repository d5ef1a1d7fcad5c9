#!/usr/bin/env bash
# Debian source packages as a recipe's source, against a signed archive of our own on a
# loopback server: the chain InRelease (gpgv) -> Sources -> .dsc/orig/debian tarballs, each
# link broken in turn; dpkg-source applying Debian's patches; the resolved chain reused
# offline; recipe variants (--variant).
XB=$1
source "$(dirname "$0")/tap-lib.bash"
for t in gpg gpgv dpkg-source xz; do
        command -v "$t" >/dev/null || { echo "1..0 # SKIP $t is not installed"; exit 0; }
done
DOC=$TMP/doc
A=$DOC/archive
CACHE=$TMP/cache
export GNUPGHOME=$TMP/gnupg
mkdir -p "$GNUPGHOME" "$TMP/pkg" && chmod 700 "$GNUPGHOME"
CLEANUP+=("GNUPGHOME=$GNUPGHOME gpgconf --kill gpg-agent 2>/dev/null")

# The source package: an upstream tarball and a Debian patch that changes it.
(
        cd "$TMP/pkg" && mkdir hello-1.0 && echo upstream >hello-1.0/hello.txt &&
                tar czf hello_1.0.orig.tar.gz hello-1.0 &&
                mkdir -p hello-1.0/debian/source hello-1.0/debian/patches &&
                echo "3.0 (quilt)" >hello-1.0/debian/source/format &&
                printf 'Source: hello\nMaintainer: T <t@example.invalid>\n\nPackage: hello\nArchitecture: any\nDescription: t\n t\n' \
                        >hello-1.0/debian/control &&
                printf 'hello (1.0-1) bookworm; urgency=medium\n\n  * T.\n\n -- T <t@example.invalid>  Tue, 02 Jan 2024 03:04:05 +0000\n' \
                        >hello-1.0/debian/changelog &&
                printf -- '--- a/hello.txt\n+++ b/hello.txt\n@@ -1 +1 @@\n-upstream\n+patched by debian\n' \
                        >hello-1.0/debian/patches/fix.patch &&
                echo fix.patch >hello-1.0/debian/patches/series &&
                dpkg-source -b hello-1.0 >/dev/null 2>&1
) || { echo "Bail out! cannot build the test source package"; exit 1; }
POOL=$A/pool/main/h/hello
mkdir -p "$POOL" "$A/dists/bookworm/main/source"
cp "$TMP/pkg"/hello_1.0* "$POOL/"

# Sources: one stanza per version, like the archive's (an older version too).
stanza() { # VERSION FILES...
        local v=$1 f
        shift
        printf 'Package: hello\nVersion: %s\nDirectory: pool/main/h/hello\nChecksums-Sha256:\n' "$v"
        for f in "$@"; do printf ' %s %s %s\n' "$(sha256sum "$POOL/$f" | cut -d' ' -f1)" "$(stat -c %s "$POOL/$f")" "$f"; done
        echo
}
make_sources() {
        { stanza 0.9-1 hello_1.0-1.dsc; stanza 1.0-1 hello_1.0-1.dsc hello_1.0.orig.tar.gz hello_1.0-1.debian.tar.xz; } \
                >"$A/dists/bookworm/main/source/Sources"
        xz -kf "$A/dists/bookworm/main/source/Sources"
}
# release SUITE: a Release listing the Sources index, clear-signed with the test key.
release() {
        local d=$A/dists/bookworm s
        {
                printf 'Origin: xbuild-test\nSuite: stable\nCodename: %s\nSHA256:\n' "$1"
                for s in main/source/Sources main/source/Sources.xz; do
                        printf ' %s %s %s\n' "$(sha256sum "$d/$s" | cut -d' ' -f1)" "$(stat -c %s "$d/$s")" "$s"
                done
        } >"$d/Release"
        gpg --batch --yes --local-user "${2:-xbuild test archive}" --clearsign -o "$d/InRelease" "$d/Release" 2>/dev/null
}
gpg --batch --passphrase '' --quick-gen-key "xbuild test archive" ed25519 sign never 2>/dev/null
gpg --batch --passphrase '' --quick-gen-key "someone else" ed25519 sign never 2>/dev/null
gpg --batch --export "xbuild test archive" >"$TMP/keyring.gpg"
make_sources
release bookworm
start_http "$DOC"

recipe() { # FILE VERSION [MIRROR]
        cat >"$1" <<EOF
name: hello
summary: a Debian source package
arches: [armhf]
source:
  local: .
steps: ["true"]
artifacts: [{path: hello.txt}]
variants:
  debian:
    source:
      debian: hello
      version: "$2"
      mirror: ${3:-$BASE/archive}
      keyring: $TMP/keyring.gpg
EOF
}
R=$TMP/hello.yaml
recipe "$R" 1.0-1
xf() { run --cache-dir "$CACHE" fetch "$R" --variant debian "$@"; }

xf --checkout "$TMP/co1"
check "fetch: the chain verified, the tree unpacked with Debian's patch applied" eval 'rc_is 0 && out_has "Debian source package hello 1.0-1 verified" && [ "$(cat "$TMP/co1/hello.txt")" = "patched by debian" ] && [ -f "$TMP/co1/debian/changelog" ]'
check "fetch: the three files are blobs of the cache, the chain recorded" eval '[ "$(ls "$CACHE/debsrc" | wc -l)" = 1 ] && grep -q "hello_1.0.orig.tar.gz" "$CACHE"/debsrc/* && [ -z "$(ls "$CACHE/tmp")" ]'
run --cache-dir "$CACHE" plan "$R" --variant debian --json
check "plan --json: the variant" eval 'rc_is 0 && out_has "\"variant\":\"debian\""'
run --cache-dir "$CACHE" show "$R" --variant debian --json
check "show --json: the variant's Debian source" eval 'rc_is 0 && out_has "\"kind\":\"debian\"" && out_has "\"package\":\"hello\"" && out_has "\"version\":\"1.0-1\"" && out_has "\"variants\":["'
run --cache-dir "$CACHE" show "$R"
check "show: the recipe lists its variants" eval 'rc_is 0 && out_has "variants: debian" && out_has "source: local"'

# Offline: the recorded chain and the blobs are enough, the mirror is not asked.
n=$(wc -l <"$HTTP_LOG")
recipe "$R" 1.0-1 http://127.0.0.1:1/archive
xf --checkout "$TMP/co2"
check "a second fetch needs no mirror (the chain was recorded)" eval 'rc_is 0 && out_has "(cached)" && [ "$(cat "$TMP/co2/hello.txt")" = "patched by debian" ] && [ "$(wc -l <"$HTTP_LOG")" = "$n" ]'
recipe "$R" 1.0-1

# A relative cache directory: the links dpkg-source reads must still lead to the blobs.
(cd "$TMP" && "$XB" --cache-dir relcache fetch "$R" --variant debian --checkout "$TMP/co3" >"$TMP/out" 2>"$TMP/err"); RC=$?
check "a relative --cache-dir works too" eval 'rc_is 0 && [ "$(cat "$TMP/co3/hello.txt")" = "patched by debian" ]'

# Each broken link: exit 2, one line naming it, nothing recorded, no tree.
fresh() { rm -rf "$CACHE" "$TMP/co"; }
fresh
recipe "$R" 1.0-9
xf --checkout "$TMP/co"
check "a version the mirror lacks: exit 2, the versions there are named" eval 'rc_is 2 && err_has "has no version 1.0-9 here (there is: 0.9-1, 1.0-1)" && err_lines 1 && [ ! -e "$TMP/co" ]'
recipe "$R" 1.0-1

fresh
cp "$A/dists/bookworm/InRelease" "$TMP/InRelease.good"
sed -i 's/^Origin: xbuild-test/Origin: xbuild-tesT/' "$A/dists/bookworm/InRelease"
xf --checkout "$TMP/co"
check "InRelease altered after signing: exit 2, 'does not verify'" eval 'rc_is 2 && err_has "InRelease does not verify with $TMP/keyring.gpg" && err_lines 1 && [ ! -e "$TMP/co" ] && [ -z "$(ls "$CACHE/debsrc" 2>/dev/null)" ]'

fresh
release bookworm "someone else"
xf --checkout "$TMP/co"
check "InRelease signed by a key not in the keyring: exit 2" eval 'rc_is 2 && err_has "does not verify" && [ ! -e "$TMP/co" ]'

# Text outside the signature is never read: a forged SHA256 list before the signed part.
fresh
release bookworm
{ printf 'SHA256:\n %s 1 main/source/Sources.xz\n\n' "$(printf '0%.0s' $(seq 64))"; cat "$A/dists/bookworm/InRelease"; } >"$TMP/forged"
cp "$TMP/forged" "$A/dists/bookworm/InRelease"
xf --checkout "$TMP/co"
check "a forged list outside the signed text is ignored (only gpgv's output is read)" eval 'rc_is 0 && [ "$(cat "$TMP/co/hello.txt")" = "patched by debian" ]'
release bookworm

fresh
cp "$A/dists/bookworm/main/source/Sources.xz" "$TMP/Sources.xz.good"
printf '\nPackage: evil\nVersion: 1\n' >>"$A/dists/bookworm/main/source/Sources"
xz -kf "$A/dists/bookworm/main/source/Sources"
xf --checkout "$TMP/co"
check "a Sources index not the one the Release signs: exit 2, named (bigger than signed, or another digest)" eval 'rc_is 2 && err_has "Sources.xz: " && (err_has "but the signed Release says" || err_has "larger than the limit") && err_lines 1 && [ ! -e "$TMP/co" ] && [ -z "$(ls "$CACHE/debsrc" 2>/dev/null)" ]'
make_sources
release bookworm

fresh
cp "$POOL/hello_1.0.orig.tar.gz" "$TMP/orig.good"
(cd "$TMP/pkg" && rm -rf evil && mkdir evil && echo evil >evil/hello.txt && tar czf "$POOL/hello_1.0.orig.tar.gz" evil)
xf --checkout "$TMP/co"
check "an orig tarball not the one Sources lists: exit 2, never unpacked" eval 'rc_is 2 && err_has "hello_1.0.orig.tar.gz: sha256 " && err_has "but the signed Sources index says" && [ ! -e "$TMP/co" ] && [ -z "$(ls "$CACHE/debsrc" 2>/dev/null)" ]'
cp "$TMP/orig.good" "$POOL/hello_1.0.orig.tar.gz"

fresh
release trixie
xf --checkout "$TMP/co"
check "a signed Release of another suite served as bookworm: exit 2" eval 'rc_is 2 && err_has "the Release file is for stable, trixie, not bookworm"'
release bookworm

fresh
sed -i "s|keyring: .*|keyring: $TMP/no-such-keyring.gpg|" "$R"
xf --checkout "$TMP/co"
check "a missing keyring: exit 4 naming it" eval 'rc_is 4 && err_has "keyring $TMP/no-such-keyring.gpg is missing"'
recipe "$R" 1.0-1

# The recipe side: strict like the rest.
bad() { # DESCRIPTION EXPECTED-MESSAGE: the variant's source replaced by stdin's lines
        local d=$1 m=$2
        { sed -n '1,/^  debian:/p' "$R"; cat; } >"$TMP/bad.yaml"
        run --cache-dir "$CACHE" show "$TMP/bad.yaml"
        check "$d" eval 'rc_is 2 && err_has "$m" && err_lines 1'
}
bad "a version that is not Debian's: exit 2 at its line" "bad.yaml:10:38:" <<<'    source: {debian: hello, version: "v1.0"}'
bad "a package name that is not Debian's: exit 2" "must be a Debian source package name" <<<'    source: {debian: Hello, version: "1.0-1"}'
bad "a git key on a Debian source: exit 2" "'source.commit' applies to git sources, not debian" <<<'    source: {debian: hello, version: "1.0-1", commit: abc}'
bad "a key a variant may not replace: exit 2" "variants.debian" <<<'    name: other'
bad "a Debian source without its version: exit 2" "version" <<<'    source: {debian: hello}'
run --cache-dir "$CACHE" fetch "$R" --variant upstream
check "--variant naming none of the recipe's: exit 2, those it has named" eval 'rc_is 2 && err_has "recipe '"'"'hello'"'"' has no variant '"'"'upstream'"'"' (it has: debian)"'
run --cache-dir "$CACHE" fetch "$R" --variant '../x'
check "--variant that is not a name: usage error" eval 'rc_is 2 && err_has "--variant"'

done_testing
