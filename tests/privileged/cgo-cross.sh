#!/usr/bin/env bash
# The cross strategy with an ARM sysroot, the way Docker 1.10 builds: GOPATH mode, vendor/, an
# autogen step, cgo against libsqlite3 from the armhf rootfs, a static external link. Root (the
# sysroot is an overlay in a private mount namespace); the rootfs is cached between runs.
XB=$1
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-tests/cache
source "$(dirname "$0")/../cli/tap-lib.bash"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
for tool in qemu-arm-static debootstrap arm-linux-gnueabihf-gcc go; do
        command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool"; exit 77; }
done
OUTD=$TMP/outdir
run --cache-dir "$CACHE" build cgo-engine --strategy cross --arch armhf --out-dir "$OUTD"
BIN=$OUTD/cgo-engine/armhf/cgo-engine
check "cgo-engine cross-built against the ARM sysroot and verified" eval 'rc_is 0 && out_has "cgo-engine: verified" && out_has "static, Go go"'
check "it links the target's sqlite statically" eval 'qemu-arm-static "$BIN" version | grep -q "sqlite 3\."'
check "no mount left behind" eval '! grep -qF -- "$CACHE" /proc/self/mountinfo'
ENTRY=$(ls -d "$CACHE"/rootfs/debian-bookworm-armhf-* | head -1)
FIXED=$(find "$ENTRY"/sysroot-*/upper -type l -name 'libanl.so' | head -1)
check "the sysroot layer makes absolute .so links relative" eval '[ -n "$FIXED" ] && case "$(readlink "$FIXED")" in /*) false ;; *) true ;; esac && [ -e "$FIXED" ] || [ -e "$ENTRY/tree/$(readlink "$FIXED" | sed "s|^\(\.\./\)*||")" ]'
ORIG=$(ls "$ENTRY"/deps-*/upper/usr/lib/arm-linux-gnueabihf/libanl.so | head -1)
check "the cached dependency layer keeps its absolute link (never edited)" eval 'case "$(readlink "$ORIG")" in /*) true ;; *) false ;; esac'
check "usrmerge's /lib link is not shadowed by the layer" eval '[ ! -e "$(ls -d "$ENTRY"/sysroot-*/upper | head -1)/lib" ]'
done_testing
