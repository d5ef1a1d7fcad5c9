#!/usr/bin/env bash
# The matrix on real strategies: tiny-engine and cgo-engine over cross, chroot and qemu-system
# for armhf and arm64, with one deliberately failing cell and one skipped cell (remote, no host
# configured), and a pure Go program built by cross and by the emulated armhf chroot (Debian's
# native armhf Go under qemu-user, accelerate: false) that must come out bit-identical (the go
# toolchain's target_env: GOARM, -trimpath, no build ID). matrix.json and junit.xml checked
# field by field, the page in headless Chromium. Root; reaches only the Debian mirror.
XB=$1
source "$(dirname "$0")/priv-lib.bash"
needs qemu-arm-static qemu-aarch64-static qemu-system-arm qemu-system-aarch64 debootstrap go jq xmllint mkfs.ext4 depmod
no_qemu() { ! ps -eo args | grep -v grep | grep -q "^qemu-system.*$1"; }

mkdir -p "$TMP/gopure" "$TMP/broken"
printf 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"runtime"\n)\n\nfunc main() {\n\tif len(os.Args) > 1 && os.Args[1] == "daemon" {\n\t\tfmt.Println("daemon")\n\t\treturn\n\t}\n\tfmt.Println("gopure", runtime.Version(), runtime.GOARCH)\n}\n' >"$TMP/gopure/main.go"
cat >"$TMP/gopure.yaml" <<'Y'
name: gopure
summary: a pure Go program, built by cross and natively (emulated)
arches: [armhf]
source: {local: gopure}
toolchain: go
build_deps: [golang-go]
accelerate: false
env: {CGO_ENABLED: "0", GO111MODULE: "off"}
steps: [go build -o gopure main.go]
artifacts: [{path: gopure, expect: {static: true, runs: [[daemon]]}}]
strategies:
  cross: {build_deps: []}
Y
# tiny-engine's source with a compile error: the failing cell.
printf 'all:\n\t@echo "tinyctr.c:1: error: broken on purpose" >&2; exit 1\n' >"$TMP/broken/Makefile"
cat >"$TMP/grid.yaml" <<Y
name: grid
recipes: [tiny-engine, cgo-engine, $TMP/gopure.yaml]
arches: [armhf, arm64]
strategies: [cross, chroot, qemu-system, remote]
exclude:
  - {recipe: gopure, arch: arm64}
  - {recipe: gopure, strategy: qemu-system}
  - {recipe: gopure, strategy: remote}
  - {recipe: cgo-engine, strategy: remote}
  - {arch: arm64, strategy: remote}
cells:
  - match: {recipe: tiny-engine, arch: arm64, strategy: cross}
    source: $TMP/broken
Y
run --cache-dir "$CACHE" matrix "$TMP/grid.yaml" --out-dir "$TMP/m" --jobs 2 --no-diffoscope
M=$TMP/m/matrix.json
cell() { jq -r --arg id "$1" ".cells[] | select(.id == \$id) | $2" "$M"; }
check "15 cells: 13 passed, 1 failed, 1 skipped; exit 1 with the count" eval 'rc_is 1 && [ "$(jq -c .counts "$M")" = "{\"passed\":13,\"failed\":1,\"skipped\":1,\"not_run\":0}" ] && err_has "13 passed, 1 failed, 1 skipped"'
check "every engine cell of cross, chroot and qemu-system passed and is verified" eval 'for r in tiny-engine cgo-engine; do for a in armhf arm64; do for s in cross chroot qemu-system; do [ "$r/$a/$s" = tiny-engine/arm64/cross ] && continue; [ "$(cell $r/$a/$s .status)" = passed ] && [ "$(cell $r/$a/$s .verified)" = true ] || { echo "# $r/$a/$s"; exit 1; }; done; done; done'
check "the failing cell: failed in the steps, its error line in the reason and the failure tail" eval '[ "$(cell tiny-engine/arm64/cross .status)" = failed ] && [ "$(cell tiny-engine/arm64/cross .failure.phase)" = steps ] && cell tiny-engine/arm64/cross ".failure.last_lines" | grep -q "broken on purpose"'
check "the skipped cell: remote with no host, the plan's reason" eval '[ "$(cell tiny-engine/armhf/remote .status)" = skipped ] && cell tiny-engine/armhf/remote .reason | grep -q "a host (--host user@host, or hosts in hosts.yaml)"'
check "qemu-system cells built in the VM (boot phase, guest machine)" eval '[ "$(jq -r .build_host.machine "$TMP/m/$(cell cgo-engine/arm64/qemu-system .report)")" = aarch64 ] && [ "$(cell cgo-engine/armhf/qemu-system ".phases_seconds.boot > 0")" = true ]'
check "chroot cells ran the host's compilers natively (accelerated), gopure's emulated (its opt-out)" eval '[ "$(jq -r .build_host.accelerated "$TMP/m/$(cell cgo-engine/armhf/chroot .report)")" = true ] && [ "$(jq -r .build_host.accelerated "$TMP/m/$(cell gopure/armhf/chroot .report)")" = false ]'
check "every cell has its own dir, log, plan and (built ones) report" eval 'for id in $(jq -r ".cells[] | select(.status != \"skipped\") | .id" "$M"); do [ -s "$TMP/m/$(cell $id .log)" ] && [ -s "$TMP/m/$(cell $id .report)" ] || { echo "# $id"; exit 1; }; done'
check "matrix.json: artifacts with size, sha256 and the smoke runs" eval '[ "$(cell cgo-engine/arm64/chroot ".artifacts[0].sha256 | length")" = 64 ] && [ "$(cell cgo-engine/arm64/chroot ".artifacts[0].size > 0")" = true ]'
check "gopure cross vs the emulated chroot: bit-identical, and the matrix says so" eval '[ "$(jq -r ".comparisons[] | select(.recipe | test(\"gopure\")) | .summary" "$M")" = "bit-identical across strategies" ] && [ "$(sha256sum "$TMP"/m/cells/gopure-armhf-cross/gopure/armhf/gopure | cut -d" " -f1)" = "$(sha256sum "$TMP"/m/cells/gopure-armhf-chroot/gopure/armhf/gopure | cut -d" " -f1)" ]'
check "tiny-engine armhf across three strategies: the difference explained (compilers, sections)" eval 'jq -e ".comparisons[] | select((.recipe | test(\"tiny-engine\")) and .arch == \"armhf\") | (.summary | length > 0) and (.strategies | length == 3)" "$M" >/dev/null'
check "junit.xml validates against a JUnit schema and has one testcase per cell" eval 'xmllint --noout --schema "$XB_SOURCE_ROOT/tests/fixtures/junit.xsd" "$TMP/m/junit.xml" 2>/dev/null && [ "$(xmllint --xpath "count(//testcase)" "$TMP/m/junit.xml")" = 15 ] && [ "$(xmllint --xpath "count(//testcase/failure)" "$TMP/m/junit.xml")" = 1 ] && [ "$(xmllint --xpath "count(//testcase/skipped)" "$TMP/m/junit.xml")" = 1 ]'
check "index.html shows the grid and the comparison" eval 'grep -q "bit-identical across strategies" "$TMP/m/index.html" && for id in $(jq -r ".cells[].id" "$M"); do grep -qF ">$id: " "$TMP/m/index.html" || exit 1; done'
if command -v chromium >/dev/null; then
        HOME=$TMP/chrome timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
                --enable-logging=stderr --v=0 --window-size=1280,3000 --screenshot="$TMP/shot.png" "file://$TMP/m/index.html" >/dev/null 2>"$TMP/chrome.err"
        check "chromium renders the grid's page with no console message" eval '[ "$(stat -c %s "$TMP/shot.png")" -gt 20000 ] && ! grep -hE "CONSOLE|Failed to load|net::ERR_|Uncaught" "$TMP/chrome.err"'
fi
check "no QEMU, session or mount left" eval 'no_qemu "$CACHE" && no_sessions && no_mounts'
done_testing
