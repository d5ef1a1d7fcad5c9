#!/usr/bin/env bash
# The accelerated chroot: the host's cross gcc and Go run natively inside the ARM session
# (read-only under /native), everything else emulated. Same recipes built accelerated and
# plain, verified and compared; what the session shows; the fallbacks. Root; reaches only the
# Debian mirror (the build_deps layers).
XB=$1
source "$(dirname "$0")/priv-lib.bash"
needs qemu-arm-static debootstrap go jq arm-linux-gnueabihf-gcc
[ "$(uname -m)" = x86_64 ] || { echo "1..0 # SKIP the accelerated chroot runs x86_64 compilers"; exit 77; }
OUTD="$TMP/o"
sha() { sha256sum "$1" | cut -d' ' -f1; }
bh() { jq -r ".build_host.$2" "$1"; }

# What a step sees: the wrappers, the native Go, a read-only /native, the root's libc.
mkdir -p "$TMP/probe"
cat >"$TMP/probe/t.c" <<'C'
#include <gnu/libc-version.h>
#include <stdio.h>
int main(void) { printf("libc %s\n", gnu_get_libc_version()); return 0; }
C
cat >"$TMP/probe.yaml" <<'Y'
name: probe
summary: what an accelerated session shows
arches: [armhf]
source: {local: probe}
build_deps: [gcc, libc6-dev, golang-go]
steps:
  - readlink -f "$(command -v gcc)"; readlink -f "$(command -v cc)"; readlink -f "$(command -v go)"
  - gcc --version | head -1
  - go env GOHOSTARCH GOARCH GOROOT CGO_ENABLED GOCACHE
  - uname -m; readlink -f "$(command -v sed)"
  - if touch /native/usr/bin/xb-probe 2>/dev/null || touch /native/bin/xb-probe 2>/dev/null; then echo WRITABLE; exit 1; fi; echo read-only
  - cc -E -v -x c /dev/null 2>&1 | sed -n '/search starts here/,/End of search/p'; ls -A /native/usr/arm-linux-gnueabihf/include | wc -l
  - cc -o t t.c && ./t
  - cc -o ta t.c -Wl,--no-as-needed -latomic && readelf -d ta | grep -o "libatomic[^]]*"
artifacts: [{path: t, expect: {static: false, runs: [[]]}}]
Y
xr build "$TMP/probe.yaml" --strategy chroot --out-dir "$OUTD"
L=$OUTD/probe/armhf/logs
check "a probe builds accelerated and says so" eval 'rc_is 0 && err_has "chroot: accelerated (--accelerate=auto): native gcc-12-arm-linux-gnueabihf" && [ "$(bh "$OUTD/probe/armhf/report.json" accelerated)" = true ]'
check "cc and gcc are the host's cross gcc, go the host's, under /native" eval 'grep -qx "/native/usr/bin/arm-linux-gnueabihf-gcc-12" "$L/step-01.log" && [ "$(grep -c "^/native/usr/bin/arm-linux-gnueabihf-gcc-12$" "$L/step-01.log")" = 2 ] && grep -qx "/native/usr/lib/go-1.19/bin/go" "$L/step-01.log"'
check "gcc --version: Debian's cross gcc (12.2.0-14), not the root's" eval 'grep -q "^gcc (Debian 12.2.0-14) 12.2.0" "$L/step-02.log"'
check "go env: GOHOSTARCH=amd64 (the native Go), GOARCH=arm, GOROOT under /native, cgo on, its build cache in xbuild's cache" eval '[ "$(cat "$L/step-03.log")" = "$(printf "amd64\narm\n/native/usr/lib/go-1.19\n1\n/xbuild/go-cache")" ] && [ -d "$CACHE/go-build" ]'
check "everything else still emulated: uname -m armv7l, the root's sed" eval 'grep -qx armv7l "$L/step-04.log" && grep -qx /usr/bin/sed "$L/step-04.log"'
check "writing into /native fails" eval 'grep -qx read-only "$L/step-05.log"'
check "the headers are the root's: the cross compiler's own include dir is hidden (empty)" eval 'grep -qx " /usr/include" "$L/step-06.log" && [ "$(tail -1 "$L/step-06.log")" = 0 ]'
check "linked against the root's libc, runs emulated" eval 'grep -qx "libc 2.36" "$L/step-07.log" && out_has "t: verified"'
check "a runtime library of gcc's (-latomic) links the root's shared copy, not the static archive" eval 'grep -qx "libatomic.so.1" "$L/step-08.log"'
check "nothing of the session left on the host: no mount, no session, no /lib64 loader link in the cached root" eval 'no_mounts && no_sessions && ! ls "$CACHE"/rootfs/debian-bookworm-armhf-*/tree/lib64/ld-linux-x86-64.so.2 2>/dev/null'

# The same recipes accelerated and plain: verified both ways, compared.
for r in tiny-engine cgo-engine; do
        xr build "$r" --strategy chroot --arch armhf --out-dir "$OUTD/acc"
        ok_acc=$RC
        xr build "$r" --strategy chroot --arch armhf --accelerate=off --out-dir "$OUTD/emu"
        ok_emu=$RC
        A=$OUTD/acc/$r/armhf; E=$OUTD/emu/$r/armhf
        check "$r: accelerated and emulated both build and pass verification (ELF, smoke runs)" eval '[ $ok_acc = 0 ] && [ $ok_emu = 0 ] && jq -e .verified "$A/report.json" >/dev/null && jq -e .verified "$E/report.json" >/dev/null'
        check "$r: --accelerate=off is today's chroot (emulated, says so)" eval '[ "$(bh "$E/report.json" accelerated)" = false ] && [ "$(bh "$E/report.json" accelerate_summary)" = "emulated: --accelerate=off" ]'
        art=$(basename "$(jq -r '.artifacts[0].path' "$A/report.json")")
        same=$(jq -r '.build_host.native_cc // ""' "$A/report.json")
        # The host's cross gcc and the root's gcc are one version or the plan says they are not.
        check "$r: the same compiler version gives the same bytes, another is said" eval 'if [[ "$same" == *"same version"* ]]; then [ "$(sha "$A/$art")" = "$(sha "$E/$art")" ]; else [[ "$same" == *"different version"* ]] && [ "$(sha "$A/$art")" != "$(sha "$E/$art")" ]; fi'
done
check "cgo-engine: the native Go is the root's version" eval '[[ "$(bh "$OUTD/acc/cgo-engine/armhf/report.json" native_go)" == *"same version"* ]]'

# Pure Go: the native Go is the root's golang-go, so the bytes are the emulated build's.
mkdir -p "$TMP/gopure"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("gopure") }\n' >"$TMP/gopure/main.go"
cat >"$TMP/gopure.yaml" <<'Y'
name: gopure
summary: s
arches: [armhf]
source: {local: gopure}
toolchain: go
build_deps: [golang-go]
env: {CGO_ENABLED: "0", GO111MODULE: "off"}
steps: [go build -o gopure main.go]
artifacts: [{path: gopure, expect: {static: true, runs: [[]]}}]
Y
for a in armhf; do
        xr build "$TMP/gopure.yaml" --strategy chroot --arch $a --out-dir "$OUTD/acc"
        xr build "$TMP/gopure.yaml" --strategy chroot --arch $a --accelerate=off --out-dir "$OUTD/emu"
        check "pure Go for $a: accelerated (native Go) and emulated give the same bytes" eval '[ -s "$OUTD/acc/gopure/$a/gopure" ] && [ "$(sha "$OUTD/acc/gopure/$a/gopure")" = "$(sha "$OUTD/emu/gopure/$a/gopure")" ] && [ "$(bh "$OUTD/acc/gopure/$a/report.json" accelerated)" = true ]'
done

# Fallbacks and opt-outs, said by the plan and the build.
sed 's/^summary: s$/summary: s\naccelerate: false/' "$TMP/gopure.yaml" >"$TMP/optout.yaml"
xr plan "$TMP/optout.yaml" --strategy chroot
check "recipe accelerate: false: the plan says emulated and why" eval 'rc_is 0 && out_has "compilers:   emulated: the recipe says accelerate: false"'
xr build "$TMP/optout.yaml" --strategy chroot --out-dir "$OUTD/optout"
check "recipe accelerate: false: the build runs emulated" eval 'rc_is 0 && [ "$(bh "$OUTD/optout/gopure/armhf/report.json" accelerated)" = false ]'
xr plan cgo-engine --strategy chroot --arch armhf --json
check "plan --json carries the decision with both versions" eval 'rc_is 0 && jq -e ".accelerate | test(\"native gcc-12-arm-linux-gnueabihf .* golang-1.19-go\")" "$TMP/out" >/dev/null'
mkdir -p "$TMP/nocc"; echo x >"$TMP/nocc/x"
cat >"$TMP/nocc.yaml" <<'Y'
name: nocc
summary: s
arches: [armhf]
source: {local: nocc}
steps: [cp /bin/true x.bin]
artifacts: [{path: x.bin}]
Y
xr build "$TMP/nocc.yaml" --strategy chroot --accelerate=on --out-dir "$OUTD/nocc"
check "--accelerate=on with no compiler in the root: exit 4 naming why" eval 'rc_is 4 && err_has "Cannot accelerate: --accelerate=on, but no compiler of the root can run natively"'
xr build "$TMP/nocc.yaml" --strategy chroot --out-dir "$OUTD/nocc"
check "auto with no compiler in the root: emulated, builds" eval 'rc_is 0 && err_has "chroot: emulated: the root has no gcc, g++ or Go"'
xr build "$TMP/nocc.yaml" --strategy chroot --accelerate=sometimes
check "--accelerate=sometimes: usage error" eval 'rc_is 64 || rc_is 2'
check "no mount or session left" eval 'no_mounts && no_sessions'
done_testing
