#!/usr/bin/env bash
# The matrix's differential builds on real strategies: one pure Go program built by cross (the
# host's Go with GOARCH=arm) and in the emulated armhf chroot (Debian's native armhf Go under
# qemu-user) must come out bit-identical (the go toolchain's target_env: GOARM, -trimpath,
# no build ID), and the matrix must say so. Root; reaches only the Debian mirror.
XB=$1
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-tests/cache
source "$(dirname "$0")/../cli/tap-lib.bash"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
for tool in qemu-arm-static debootstrap go jq; do
        command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool"; exit 77; }
done
mkdir -p "$TMP/gopure"
cat >"$TMP/gopure/main.go" <<'G'
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "daemon" {
		fmt.Println("daemon")
		return
	}
	fmt.Println("gopure", runtime.Version(), runtime.GOARCH)
}
G
cat >"$TMP/gopure.yaml" <<'Y'
name: gopure
summary: a pure Go program, built by cross and natively
arches: [armhf]
source: {local: gopure}
toolchain: go
build_deps: [golang-go]
env: {CGO_ENABLED: "0", GO111MODULE: "off"}
steps: [go build -o gopure main.go]
artifacts: [{path: gopure, expect: {static: true, runs: [[daemon]]}}]
strategies:
  cross: {build_deps: []}
Y
run --cache-dir "$CACHE" matrix --recipes "$TMP/gopure.yaml" --arches armhf --strategies cross,chroot --out-dir "$TMP/m" --no-diffoscope
M=$TMP/m/matrix.json
check "both cells built and verified" eval 'rc_is 0 && [ "$(jq .counts.passed "$M")" = 2 ]'
check "cross and chroot: bit-identical, and the matrix says so" eval '[ "$(jq -r ".comparisons[0].summary" "$M")" = "bit-identical across strategies" ] && [ "$(sha256sum "$TMP"/m/cells/gopure-armhf-cross/gopure/armhf/gopure | cut -d" " -f1)" = "$(sha256sum "$TMP"/m/cells/gopure-armhf-chroot/gopure/armhf/gopure | cut -d" " -f1)" ]'
check "index.html shows the comparison" eval 'grep -q "bit-identical across strategies" "$TMP/m/index.html"'
check "no mount left behind" eval '! grep -qF -- "$CACHE" /proc/self/mountinfo'
done_testing
