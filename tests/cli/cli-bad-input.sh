#!/usr/bin/env bash
# Bad input through the real binary: one line FILE:LINE:COL: message on stderr, nothing on
# stdout, exit 2, nothing written.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
SRC=$XB_SOURCE_ROOT
D=$TMP/bad
mkdir -p "$D"
cd "$TMP"

good_head='name: demo
summary: A demo
arches: [armhf]
source:
  git: https://example.invalid/demo.git
  ref: v1.0
  commit: 0123456789abcdef0123456789abcdef01234567
steps:
  - make
artifacts:
  - path: out/demo'

# bad NAME EXPECTED_LINE CONTENT: the whole stderr must be exactly that one line.
bad() {
        local name=$1 expected=$2 content=$3
        printf '%s\n' "$content" >"$D/$name.yaml"
        run show "$D/$name.yaml"
        check "$name" eval 'rc_is 2 && err_is "$D/$name.yaml:$expected" && [ -z "$OUT" ]'
}

bad tab-indent "3:1: tab character used for indentation; use spaces" "$(printf 'name: demo\nsource:\n\tgit: x')"
bad duplicate-key "12:1: duplicate key 'steps' (first defined at line 8)" "$good_head
steps: [again]"
bad unknown-key "12:1: unknown key 'toolchian' in recipe (did you mean 'toolchain'?)" "$good_head
toolchian: go"
bad wrong-type "3:9: 'arches' must be a list, not a scalar" 'name: demo
summary: s
arches: armhf'
bad missing-steps "1:1: missing required key 'steps' in recipe" 'name: demo
summary: s
arches: [armhf]
source: {local: .}'
bad short-commit "7:11: 'source.commit' must be 40 lowercase hexadecimal digits, got 'abc123'" 'name: demo
summary: s
arches: [armhf]
source:
  git: https://example.invalid/demo.git
  ref: v1.0
  commit: abc123'
bad anchor "12:6: anchors ('&base') are not allowed in recipes" "$good_head
env: &base {A: b}"
bad unknown-strategy "13:3: unknown key 'qemu' in strategies (did you mean 'qemu-system'?)" "$good_head
strategies:
  qemu: {}"

bad unknown-toolchain "12:12: no toolchain named 'gox' (did you mean 'go'?)" "$good_head
toolchain: gox"
bad unknown-rootfs "12:9: no rootfs named 'debian-bookwurm' (did you mean 'debian-bookworm'?)" "$good_head
rootfs: debian-bookwurm"
bad rootfs-lacks-arch "4:9: rootfs 'archlinuxarm-armv7' has no arm64 variant (it has: armhf)" 'name: demo
summary: s
arches: [arm64]
rootfs: archlinuxarm-armv7
source: {local: .}
steps: [make]
artifacts: [{path: a}]'
bad unknown-kconfig "12:10: no kconfig profile named 'lxc-9' (did you mean 'lxc'?)" "$good_head
kconfig: lxc-9"

printf 'name: demo\nsummary: caf\xc3(\n' >"$D/utf8.yaml"
run show "$D/utf8.yaml"
check "invalid UTF-8" eval 'rc_is 2 && err_is "$D/utf8.yaml:2:13: invalid UTF-8 (byte 0xC3); recipes must be UTF-8"'

head -c 1100000 /dev/zero | tr '\0' '#' >"$D/huge.yaml"
run show "$D/huge.yaml"
check "file over 1 MiB" eval 'rc_is 2 && err_is "$D/huge.yaml:1:1: file is over the limit of 1048576 bytes"'

run show "$D/missing.yaml"
check "missing file" eval 'rc_is 2 && err_is "$D/missing.yaml:1:1: no such file"'

mkdir -p "$D/dir.yaml"
run show "$D/dir.yaml"
check "a directory given as a recipe" eval 'rc_is 2 && err_lines 1 && err_has "dir.yaml:1:1:"'

# A data directory of our own: a recipe whose name differs from its file, a broken rootfs.
DD=$TMP/data
mkdir -p "$DD/recipes/rootfs" "$DD/toolchains"
cp "$SRC/recipes/rootfs/debian-bookworm.yaml" "$DD/recipes/rootfs/"
printf '%s\n' "$good_head" | sed 's/^name: demo/name: other/' >"$DD/recipes/demo.yaml"
run --data-dir "$DD" show demo
check "a recipe found by name must carry that name" eval 'rc_is 2 && err_is "$DD/recipes/demo.yaml:1:7: recipe file demo.yaml must be named '"'"'demo'"'"', not '"'"'other'"'"'"'
printf 'name: broken\nsummary: s\narches: [armhf]\nprovider: tarball\n' >"$DD/recipes/rootfs/broken.yaml"
run --data-dir "$DD" list rootfs
check "list reports a broken file and exits 2, listing the rest" eval 'rc_is 2 && err_is "$DD/recipes/rootfs/broken.yaml:1:1: missing required key '"'"'tarball'"'"' in rootfs definition" && out_has "debian-bookworm"'
XBUILD_DATA_DIR=$DD run list recipes
check "XBUILD_DATA_DIR selects the data directory" eval 'rc_is 2 && out_has "demo"'

# qemu-system and remote flags, hosts files and the new recipe keys: one line, exit 2.
run build tiny-engine --strategy qemu-system --cpus 0
check "--cpus 0" eval 'rc_is 2 && err_lines 1 && err_has "--cpus: '"'"'0'"'"' is not a number from 1 to 8"'
run build tiny-engine --strategy qemu-system --memory 2T
check "--memory 2T" eval 'rc_is 2 && err_lines 1 && err_has "--memory"'
run build tiny-engine --strategy remote --host "u@h;id"
check "--host with a shell character" eval 'rc_is 2 && err_lines 1 && err_has "--host"'
printf 'hosts:\n  - {name: a, ssh: h, arch: armhf, jobs: many}\n' >"$D/hosts.yaml"
run build tiny-engine --strategy remote --hosts "$D/hosts.yaml"
check "a bad hosts.yaml: FILE:LINE:COL" eval 'rc_is 2 && err_lines 1 && err_has "$D/hosts.yaml:2:"'
printf '%s\nmemory: lots\n' "$good_head" >"$D/mem.yaml"
run show "$D/mem.yaml"
check "recipe memory that is not a size" eval 'rc_is 2 && err_is "$D/mem.yaml:$(($(printf "%s\n" "$good_head" | wc -l) + 1)):9: '"'"'memory'"'"' must be a size like 3G or 2048M"'
printf '%s\nnetwork: sometimes\n' "$good_head" >"$D/net.yaml"
run show "$D/net.yaml"
check "recipe network that is not a boolean" eval 'rc_is 2 && err_lines 1 && err_has "'"'"'network'"'"' must be true or false"'

check "nothing written to HOME or the cache" eval '[ -z "$(find "$HOME" -mindepth 1 | head -1)" ]'
done_testing
