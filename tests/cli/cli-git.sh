#!/usr/bin/env bash
# Git sources with libgit2, against repositories this test creates: mirrors in the cache,
# pins checked against refs, --source overrides, checkouts and patches.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
CACHE=$TMP/cache
UP=$TMP/upstream
G() { git -c user.name=t -c user.email=t@example.invalid -c init.defaultBranch=main "$@"; }
G init -q "$UP"
echo one >"$UP/file"; mkdir "$UP/dir"; echo data >"$UP/dir/x"
G -C "$UP" add -A; G -C "$UP" commit -qm one; G -C "$UP" tag -a v1 -m "release 1"
C1=$(git -C "$UP" rev-parse HEAD)
echo two >"$UP/file"; G -C "$UP" commit -qam two; G -C "$UP" tag light
C2=$(git -C "$UP" rev-parse HEAD)
G -C "$UP" branch stable "$C1"

# recipe NAME URL REF COMMIT [PATCHES]: writes $TMP/recipes/NAME.yaml
mkdir -p "$TMP/recipes/patches/demo"
recipe() {
        cat >"$TMP/recipes/$1.yaml" <<Y
name: $1
summary: s
arches: [armhf]
source:
  git: $2
  ref: $3
  commit: $4
steps: [make]
artifacts: [{path: file}]
${5:+patches: [$5]}
Y
}
xf() { run --cache-dir "$CACHE" fetch "$@"; }

recipe demo "file://$UP" v1 "$C1"
xf "$TMP/recipes/demo.yaml"
check "annotated tag resolves to the pinned commit; mirror fetched" eval 'rc_is 0 && out_has "commit $C1 verified (ref v1)" && out_has "(fetched)"'
check "the mirror is bare, in the cache" eval '[ "$(git -C "$CACHE"/git/*.git rev-parse --is-bare-repository)" = true ]'
mv "$UP" "$UP.away"
xf "$TMP/recipes/demo.yaml"
check "warm and offline: no fetch needed" eval 'rc_is 0 && out_has "(cached)"'
mv "$UP.away" "$UP"

recipe demo "$UP" stable "$C1"
xf "$TMP/recipes/demo.yaml" --checkout "$TMP/co1"
check "clone by plain path; a branch as ref; checkout" eval 'rc_is 0 && [ "$(cat "$TMP/co1/file")" = one ] && [ -f "$TMP/co1/dir/x" ] && [ ! -e "$TMP/co1/.git" ]'

recipe demo "file://$UP" light "$C1"
run --cache-dir "$TMP/cache2" fetch "$TMP/recipes/demo.yaml"
check "a ref that moved away from the pin: exit 2 with both hashes" eval 'rc_is 2 && err_has "ref '"'"'light'"'"' resolves to $C2, but the recipe pins $C1"'

recipe demo "file://$UP" v1 "0123456789abcdef0123456789abcdef01234567"
run --cache-dir "$TMP/cache3" fetch "$TMP/recipes/demo.yaml"
check "a pin the repository does not have: exit 2" eval 'rc_is 2 && err_has "resolves to $C1, but the recipe pins 0123456789abcdef0123456789abcdef01234567"'

recipe demo "file://$TMP/no-such-repo" v1 "$C1"
run --cache-dir "$TMP/cache4" fetch "$TMP/recipes/demo.yaml"
check "an unreachable repository: exit 1, no half mirror left" eval 'rc_is 1 && err_has "fetch failed" && [ -z "$(ls "$TMP/cache4/git")" ]'

# --source: a work tree, a bare clone, a plain directory.
recipe demo "https://example.invalid/never-contacted.git" v1 "$C1"
head_before=$(git -C "$UP" rev-parse HEAD)
xf "$TMP/recipes/demo.yaml" --source "$UP" --checkout "$TMP/co2"
check "--source work tree: pin verified, pinned commit checked out" eval 'rc_is 0 && out_has "commit $C1 verified (ref v1) in $UP" && [ "$(cat "$TMP/co2/file")" = one ]'
check "--source work tree left as it was" eval '[ "$(git -C "$UP" rev-parse HEAD)" = "$head_before" ] && [ -z "$(git -C "$UP" status --porcelain)" ] && [ "$(cat "$UP/file")" = two ]'
git clone -q --bare "$UP" "$TMP/bare.git"
xf "$TMP/recipes/demo.yaml" --source "$TMP/bare.git" --checkout "$TMP/co3"
check "--source bare repository" eval 'rc_is 0 && [ "$(cat "$TMP/co3/file")" = one ]'
git -C "$TMP/bare.git" tag -d v1 >/dev/null
xf "$TMP/recipes/demo.yaml" --source "$TMP/bare.git"
check "--source without the ref: verified by commit, with a warning" eval 'rc_is 0 && err_has "has no ref '"'"'v1'"'"'; verified by commit only"'
git -C "$TMP/bare.git" tag v1 "$C2"
xf "$TMP/recipes/demo.yaml" --source "$TMP/bare.git"
check "--source whose ref disagrees with the pin: exit 2" eval 'rc_is 2 && err_has "resolves to $C2"'
# A repository that lacks a blob the pinned commit needs (a partial clone, a snapshot that left
# a large file out): the error says so and names the path.
PART=$TMP/partial
G init -q "$PART"; mkdir -p "$PART/vendor/big"; echo code >"$PART/main.c"; echo huge >"$PART/vendor/big/blob.c"
G -C "$PART" add -A; G -C "$PART" commit -qm one; G -C "$PART" tag v1
CP=$(git -C "$PART" rev-parse HEAD); BLOB=$(git -C "$PART" rev-parse HEAD:vendor/big/blob.c)
rm -f "$PART/.git/objects/${BLOB:0:2}/${BLOB:2}"
recipe partial "https://example.invalid/never-contacted.git" v1 "$CP"
xf "$TMP/recipes/partial.yaml" --source "$PART" --checkout "$TMP/co-partial"
check "--source lacking a blob: the repository is named incomplete, with the path" eval 'rc_is 2 && err_has "incomplete: it lacks '"'"'vendor/big/blob.c'"'"' (blob $BLOB)" && [ ! -e "$TMP/co-partial" ]'
recipe demo "https://example.invalid/never-contacted.git" v1 "$C1"
mkdir -p "$TMP/plain/sub"; echo p >"$TMP/plain/sub/f"; ln -s /etc/hostname "$TMP/plain/link"
xf "$TMP/recipes/demo.yaml" --source "$TMP/plain/" --checkout "$TMP/co4"
check "--source plain directory: copied, symlinks kept as links" eval 'rc_is 0 && out_has "carries no pin" && [ "$(cat "$TMP/co4/sub/f")" = p ] && [ "$(readlink "$TMP/co4/link")" = /etc/hostname ]'
xf "$TMP/recipes/demo.yaml" --source "$TMP/missing"
check "--source that does not exist: exit 2" eval 'rc_is 2 && err_has "neither a git repository nor a directory"'
xf "$TMP/recipes/demo.yaml" --source=-oops
check "--source starting with '-': usage error" eval 'rc_is 2 && err_has "must not start with"'
xf "$TMP/recipes/demo.yaml" --source "$UP" --checkout "$TMP/co2"
check "--checkout into an existing directory is refused" eval 'rc_is 2 && err_has "--checkout $TMP/co2 exists"'

# Patches, applied in order after checkout.
cat >"$TMP/recipes/patches/demo/01-file.patch" <<'P'
--- a/file
+++ b/file
@@ -1 +1 @@
-one
+patched
P
cat >"$TMP/recipes/patches/demo/02-bad.patch" <<'P'
--- a/file
+++ b/file
@@ -1 +1 @@
-this line is not there
+never
P
recipe demo "$UP" v1 "$C1" 01-file.patch
xf "$TMP/recipes/demo.yaml" --checkout "$TMP/co5"
check "a patch applies" eval 'rc_is 0 && out_has "patches applied" && [ "$(cat "$TMP/co5/file")" = patched ]'
recipe demo "$UP" v1 "$C1" "01-file.patch, 02-bad.patch"
xf "$TMP/recipes/demo.yaml" --checkout "$TMP/co6"
check "a patch that does not apply stops with its name; no tree left" eval 'rc_is 2 && err_has "patch '"'"'02-bad.patch'"'"' does not apply" && [ ! -e "$TMP/co6" ]'
recipe demo "$UP" v1 "$C1" 03-missing.patch
xf "$TMP/recipes/demo.yaml" --checkout "$TMP/co7"
check "a missing patch file is named" eval 'rc_is 2 && err_has "03-missing.patch" && [ ! -e "$TMP/co7" ]'

# Submodules are not recursed into unless a recipe asks (and none here does).
SUB=$TMP/subrepo
G init -q "$SUB"; echo s >"$SUB/s"; G -C "$SUB" add -A; G -C "$SUB" commit -qm s
G -C "$UP" -c protocol.file.allow=always submodule add -q "$SUB" sub 2>/dev/null
G -C "$UP" commit -qm "with submodule"
C3=$(git -C "$UP" rev-parse HEAD)
recipe demo "$UP" main "$C3"
run --cache-dir "$TMP/cache5" fetch "$TMP/recipes/demo.yaml" --checkout "$TMP/co8"
check "submodules are not recursed into" eval 'rc_is 0 && [ -d "$TMP/co8/sub" ] && [ -z "$(ls -A "$TMP/co8/sub")" ]'
echo "  submodules: true" >"$TMP/sm-line"
sed -i "/^  commit:/r $TMP/sm-line" "$TMP/recipes/demo.yaml"
run --cache-dir "$TMP/cache5" fetch "$TMP/recipes/demo.yaml" --checkout "$TMP/co9"
check "submodules: true fills them from their own mirrors, at the pinned commit" eval 'rc_is 0 && [ "$(cat "$TMP/co9/sub/s")" = s ] && [ "$(ls "$TMP/cache5/git" | wc -l)" = 2 ]'
# Offline submodules: with --source, from the checkout's own submodules or --git-mirror, never
# fetched; each pin still holds (a commit is its own content hash).
G -c protocol.file.allow=always clone -q --recurse-submodules "$UP" "$TMP/checkout"
G clone -q --bare "$UP" "$TMP/bare-sm.git"
mv "$SUB" "$SUB.moved"
run --cache-dir "$TMP/cache6" fetch "$TMP/recipes/demo.yaml" --source "$TMP/checkout" --checkout "$TMP/co10"
check "--source CHECKOUT: its submodules fill the tree, nothing is fetched" eval 'rc_is 0 && [ "$(cat "$TMP/co10/sub/s")" = s ] && [ -z "$(ls "$TMP/cache6/git" 2>/dev/null)" ]'
run --cache-dir "$TMP/cache6" fetch "$TMP/recipes/demo.yaml" --source "$TMP/bare-sm.git" --checkout "$TMP/co11"
check "--source without the submodule: an error naming the path, the commit and the URL" eval '[ $RC -ne 0 ] && err_has "submodule '"'"'sub'"'"' needs commit" && err_has "$SUB" && [ ! -e "$TMP/co11" ]'
run --cache-dir "$TMP/cache6" fetch "$TMP/recipes/demo.yaml" --source "$TMP/bare-sm.git" --git-mirror "$SUB=$SUB.moved" --checkout "$TMP/co12"
check "--git-mirror URL=PATH supplies it" eval 'rc_is 0 && [ "$(cat "$TMP/co12/sub/s")" = s ]'
run fetch "$TMP/recipes/demo.yaml" --git-mirror "$SUB=$TMP/nowhere"
check "--git-mirror to something that is not a repository: usage error" eval 'rc_is 2 && err_has "is not a git repository"'
mv "$SUB.moved" "$SUB"
# A second repository (docker/cli beside moby): laid out inside the tree, pinned like the main.
CLI=$TMP/cli-repo
G init -q "$CLI"; echo cli >"$CLI/cli.txt"; G -C "$CLI" add -A; G -C "$CLI" commit -qm cli; G -C "$CLI" tag v2
CC2=$(git -C "$CLI" rev-parse HEAD)
recipe two "file://$UP" v1 "$C1"
printf 'sources:\n  - dest: components/cli\n    git: %s\n    ref: v2\n    commit: %s\n' "file://$CLI" "$CC2" >>"$TMP/recipes/two.yaml"
xf "$TMP/recipes/two.yaml" --checkout "$TMP/co13"
check "sources: a second repository at its dest, at its pinned commit" eval 'rc_is 0 && [ "$(cat "$TMP/co13/components/cli/cli.txt")" = cli ] && [ "$(cat "$TMP/co13/file")" = one ]'
sed -i "s/commit: $CC2/commit: 0123456789abcdef0123456789abcdef01234567/" "$TMP/recipes/two.yaml"
xf "$TMP/recipes/two.yaml" --checkout "$TMP/co14"
check "a second source whose pin does not hold: named, no tree left" eval '[ $RC -ne 0 ] && err_has "sources[0] (components/cli)" && [ ! -e "$TMP/co14" ]'
mkdir -p "$TMP/cli-copy"; echo local-cli >"$TMP/cli-copy/cli.txt"
xf "$TMP/recipes/two.yaml" --extra-source "components/cli=$TMP/cli-copy" --checkout "$TMP/co15"
check "--extra-source DEST=PATH: a local directory stands in for it" eval 'rc_is 0 && [ "$(cat "$TMP/co15/components/cli/cli.txt")" = local-cli ]'
run fetch "$TMP/recipes/two.yaml" --extra-source "components/cli"
check "--extra-source without =PATH: usage error" eval 'rc_is 2 && err_has "takes DEST=PATH"'
printf 'name: bad\nsummary: s\narches: [armhf]\nsource: {local: .}\nsteps: [make]\nartifacts: [{path: f}]\nsources:\n  - {dest: ../out, local: .}\n' >"$TMP/bad-sources.yaml"
run show "$TMP/bad-sources.yaml"
check "a source dest outside the tree: refused at its line" eval 'rc_is 2 && err_has "bad-sources.yaml:8:" && err_has "relative path inside the source tree"'
done_testing
