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
# meson through the generated cross file (Debian 12's meson 1.0 reads its 'pkgconfig' key):
# an optional dependency from the ARM sysroot is found, not silently dropped; without a
# sysroot pkg-config finds nothing of the build host's.
mkdir -p "$TMP/mesonprobe"
cat >"$TMP/mesonprobe/meson.build" <<'M'
project('mesonprobe', 'c')
sq = dependency('sqlite3', required : false)
js = dependency('json-c', required : false)
executable('mesonprobe', 'p.c', dependencies : [sq, js],
           c_args : ['-DSQLITE=' + (sq.found() ? '1' : '0'), '-DJSONC=' + (js.found() ? '1' : '0')])
M
cat >"$TMP/mesonprobe/p.c" <<'C'
#include <stdio.h>
#if SQLITE
#include <sqlite3.h>
#endif
int main(void) {
#if SQLITE
        printf("sqlite %s\n", sqlite3_libversion());
#else
        puts("no sqlite");
#endif
        printf("json-c %s\n", JSONC ? "found" : "absent");
        return 0;
}
C
cat >"$TMP/mesonprobe.yaml" <<Y
name: mesonprobe
summary: s
arches: [armhf]
source: {local: $TMP/mesonprobe}
toolchain: gcc
build_deps: [libsqlite3-dev]
steps:
  - meson setup b --cross-file "\$XB_MESON_CROSS_FILE"
  - ninja -C b
artifacts: [{path: b/mesonprobe, expect: {runs: [[]]}}]
Y
run --cache-dir "$CACHE" build "$TMP/mesonprobe.yaml" --strategy cross --out-dir "$OUTD" --json
check "meson cross build: the sysroot's sqlite3 found through pkg-config, the host's json-c not" eval 'rc_is 0 && grep -q "Run-time dependency sqlite3 found: YES" "$OUTD/mesonprobe/armhf/logs/step-01.log" && grep -q "Run-time dependency json-c found: NO" "$OUTD/mesonprobe/armhf/logs/step-01.log"'
sed -i '/^build_deps:/d' "$TMP/mesonprobe.yaml"
run --cache-dir "$CACHE" build "$TMP/mesonprobe.yaml" --strategy cross --out-dir "$OUTD"
check "without a sysroot pkg-config reads none of the build host's .pc files" eval 'rc_is 0 && grep -q "Run-time dependency sqlite3 found: NO" "$OUTD/mesonprobe/armhf/logs/step-01.log" && grep -q "Run-time dependency json-c found: NO" "$OUTD/mesonprobe/armhf/logs/step-01.log"'
# The gcc toolchain points the cross compiler at the sysroot: a recipe says only what it links.
mkdir -p "$TMP/sq"
printf '#include <stdio.h>\n#include <sqlite3.h>\nint main(void) { printf("sqlite %%s\\n", sqlite3_libversion()); return 0; }\n' >"$TMP/sq/s.c"
cat >"$TMP/sq.yaml" <<Y
name: sq
summary: s
arches: [armhf]
source: {local: $TMP/sq}
toolchain: gcc
build_deps: [libsqlite3-dev]
steps: ['\$CC -o sq s.c -lsqlite3']
artifacts: [{path: sq, expect: {static: false, runs: [{args: [], output: '^sqlite 3[.]'}]}}]
Y
run --cache-dir "$CACHE" build "$TMP/sq.yaml" --strategy cross --out-dir "$OUTD"
check "no --sysroot in the recipe: the toolchain's CC finds sqlite3.h and the library in the sysroot; it runs" eval 'rc_is 0 && out_has "sq: verified"'
done_testing
