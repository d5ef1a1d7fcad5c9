#!/usr/bin/env bash
# The cross strategy with Debian's cross compilers and Go: builds verified, reproducible, and
# chosen automatically when the host has the compiler.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
for tool in arm-linux-gnueabihf-gcc arm-linux-gnueabi-gcc aarch64-linux-gnu-gcc qemu-arm-static qemu-aarch64-static go; do
        command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool (the test command installs it)"; exit 77; }
done
CACHE=$TMP/cache
OUTD=$TMP/outdir
xb() { run --cache-dir "$CACHE" "$@"; }

xb build tiny-engine --strategy cross --arch armhf --out-dir "$OUTD"
R=$OUTD/tiny-engine/armhf
check "tiny-engine cross-built for armhf and verified" eval 'rc_is 0 && out_has "tinyctr: verified" && out_has "EABI5 hard-float, static"'
check "report.json: strategy, toolchain version, artifact sha256" eval '[ "$(jq -r .strategy "$R/report.json")" = cross ] && jq -r .toolchain_version "$R/report.json" | grep -q arm-linux-gnueabihf-gcc && [ "$(jq -r ".artifacts[0].sha256" "$R/report.json")" = "$(sha256sum "$R/tinyctr" | cut -d" " -f1)" ] && [ "$(jq -r .verified "$R/report.json")" = true ]'
first=$(sha256sum "$R/tinyctr" | cut -d' ' -f1)
xb build tiny-engine --strategy cross --arch armhf --out-dir "$OUTD"
check "a second build gives the same bytes" eval 'rc_is 0 && [ "$(sha256sum "$R/tinyctr" | cut -d" " -f1)" = "$first" ]'
check "the work directory is removed after the build" eval '[ -z "$(ls "$CACHE/work" 2>/dev/null)" ]'
xb build tiny-engine --strategy cross --arch armel --out-dir "$OUTD"
check "armel cross build: soft-float, verified" eval 'rc_is 0 && out_has "EABI5 soft-float, static"'
xb build tiny-engine --strategy cross --arch arm64 --out-dir "$OUTD"
check "arm64 cross build: AArch64, verified" eval 'rc_is 0 && out_has "ELF 64-bit AArch64, static"'

# A Go program through the go toolchain descriptor.
mkdir -p "$TMP/goapp"
printf 'package main\nimport ("fmt"; "os")\nfunc main() { if len(os.Args) > 1 && os.Args[1] == "daemon" { fmt.Println("daemon"); return }; fmt.Println("goapp") }\n' >"$TMP/goapp/main.go"
cat >"$TMP/goapp.yaml" <<Y
name: goapp
summary: a Go program
arches: [armhf, arm64]
source: {local: "$TMP/goapp"}
toolchain: go
env: {GO111MODULE: "off", GOFLAGS: "-trimpath"}
steps: ["go build -o goapp ."]
artifacts:
  - path: goapp
    expect: {static: true, runs: [[], [daemon]]}
Y
xb build "$TMP/goapp.yaml" --strategy cross --arch armhf --out-dir "$OUTD"
check "a Go program cross-built (GOARCH=arm GOARM=7 from the toolchain) and smoke-run" eval 'rc_is 0 && out_has "goapp: verified" && [ "$(jq -r ".artifacts[0].elf.go.goarm" "$OUTD/goapp/armhf/report.json")" = 7 ]'
xb build "$TMP/goapp.yaml" --strategy cross --arch arm64 --out-dir "$OUTD"
check "the same for arm64" eval 'rc_is 0 && out_has "ELF 64-bit AArch64, static"'

# meson: a project built with the generated cross file.
if command -v meson >/dev/null && command -v ninja >/dev/null; then
        mkdir -p "$TMP/mproj"
        printf 'int main(void) { return 0; }\n' >"$TMP/mproj/m.c"
        printf "project('m', 'c')\nexecutable('m', 'm.c', link_args : '-static')\n" >"$TMP/mproj/meson.build"
        cat >"$TMP/mproj.yaml" <<Y
name: mproj
summary: meson cross
arches: [arm64]
source: {local: "$TMP/mproj"}
toolchain: gcc
steps: ['meson setup --cross-file "\$XB_MESON_CROSS_FILE" b', 'ninja -C b']
artifacts: [{path: b/m, expect: {static: true, runs: [[]]}}]
Y
        xb build "$TMP/mproj.yaml" --strategy cross --out-dir "$OUTD"
        check "a meson project builds with \$XB_MESON_CROSS_FILE" eval 'rc_is 0 && out_has "m: verified" && out_has "AArch64"'
else
        echo "ok - meson cross file # SKIP no meson"; TAP_N=$((TAP_N + 1))
fi

# A smoke run's output regex sees all the output, not only the last lines: a --help whose
# wanted line comes first, then 200 more.
mkdir -p "$TMP/longhelp"
printf '#include <stdio.h>\nint main(void) { puts("Usage: longhelp [--userns-remap string]"); for (int i = 0; i < 200; i++) printf("  --option-%%d\\n", i); return 0; }\n' >"$TMP/longhelp/l.c"
cat >"$TMP/longhelp.yaml" <<Y
name: longhelp
summary: a long --help
arches: [armhf]
source: {local: "$TMP/longhelp"}
toolchain: gcc
steps: ['\$CC -static -o l l.c']
env: {CC: "\${triplet}-gcc"}
artifacts:
  - path: l
    expect: {static: true, runs: [{args: [--help], output: '^Usage: longhelp \[--userns-remap string\]\$'}]}
Y
xb build "$TMP/longhelp.yaml" --strategy cross --out-dir "$OUTD"
check "an output regex matches a line 200 lines before the end" eval 'rc_is 0 && out_has "l: verified"'
sed -i 's/userns-remap string/userns-remap other/' "$TMP/longhelp.yaml"
xb build "$TMP/longhelp.yaml" --strategy cross --out-dir "$OUTD"
check "and a line that is not in the output anywhere fails verification" eval 'rc_is 3'

# A recipe whose artifact is not what it claims: exit 3, report says why.
cat >"$TMP/liar.yaml" <<Y
name: liar
summary: claims a daemon it does not have
arches: [armhf]
source: {local: "$TMP/goapp"}
toolchain: go
env: {GO111MODULE: "off"}
steps: ["go build -o goapp ."]
artifacts:
  - path: goapp
    expect: {static: false, runs: [[--version]]}
Y
xb build "$TMP/liar.yaml" --strategy cross --out-dir "$OUTD"
check "an artifact failing its expectations: exit 3, report.json verified=false" eval 'rc_is 3 && out_has "linking: got static, expected dynamic" && [ "$(jq -r .verified "$OUTD/liar/armhf/report.json")" = false ]'
check "report.json of a failed verification: status, phase, exit code" eval 'jq -e ".status == \"verify-failed\" and .exit_code == 3 and .failure.phase == \"verify\"" "$OUTD/liar/armhf/report.json" >/dev/null'

# Machine output: --json is the report on stdout; --progress=json is one event per line.
xb build tiny-engine --strategy cross --arch armhf --out-dir "$OUTD" --json
check "--json: stdout is report.json and nothing else" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .status)" = ok ] && [ "$(echo "$OUT" | jq -r .artifacts[0].sha256)" = "$first" ] && err_has "tinyctr: verified"'
xb build tiny-engine --strategy cross --arch armhf --out-dir "$OUTD" --progress=json
check "--progress=json: every stdout line an event; steps, artifact, report in order" eval 'rc_is 0 && echo "$OUT" | jq -e . >/dev/null && [ "$(echo "$OUT" | jq -r .event | grep -E "^(step-start|step-end|artifact|report)$" | tr "\n" " ")" = "step-start step-end artifact report " ] && [ "$(echo "$OUT" | tail -1 | jq -r .report.status)" = ok ]'
mkdir -p "$TMP/failing"
cat >"$TMP/failing.yaml" <<Y
name: failing
summary: a step that fails
arches: [armhf]
source: {local: "$TMP/failing"}
toolchain: gcc
steps: ["echo preparing", "echo 'cc: error: no such file' >&2; exit 4"]
artifacts: [{path: never}]
Y
xb build "$TMP/failing.yaml" --strategy cross --out-dir "$OUTD" --progress=json
check "a failing step: exit 1, its tail on stderr, report.json names step, log, last lines" eval 'rc_is 1 && err_has "Step 2 exited with status 4" && err_has "    cc: error: no such file" && jq -e ".status == \"build-failed\" and .failure.step == 2 and (.failure.log | endswith(\"logs/step-02.log\")) and (.failure.last_lines | contains(\"no such file\"))" "$OUTD/failing/armhf/report.json" >/dev/null && [ "$(echo "$OUT" | jq -r "select(.event == \"step-end\") | .status" | tr "\n" " ")" = "ok failed " ]'

# --no-install: a missing toolchain is named, never installed (exit 4).
mkdir -p "$TMP/onlybin"
for t in sh make cat; do ln -sf "$(command -v $t)" "$TMP/onlybin/$t"; done
XB_PATH=$TMP/onlybin run --cache-dir "$CACHE" build tiny-engine --strategy cross --arch armhf --no-install --out-dir "$OUTD"
check "--no-install: exit 4 naming the packages" eval 'rc_is 4 && err_has "apt-get install gcc-arm-linux-gnueabihf libc6-dev-armhf-cross"'

# CMake: a project configured with the generated toolchain file.
if command -v cmake >/dev/null; then
        mkdir -p "$TMP/cproj"
        printf 'int main(void) { return 0; }\n' >"$TMP/cproj/c.c"
        printf 'cmake_minimum_required(VERSION 3.13)\nproject(c C)\nadd_executable(c c.c)\ntarget_link_options(c PRIVATE -static)\n' >"$TMP/cproj/CMakeLists.txt"
        cat >"$TMP/cproj.yaml" <<Y
name: cproj
summary: cmake cross
arches: [armel]
source: {local: "$TMP/cproj"}
toolchain: gcc
steps: ['cmake -S . -B b -DCMAKE_TOOLCHAIN_FILE="\$XB_CMAKE_TOOLCHAIN_FILE" >/dev/null', 'cmake --build b']
artifacts: [{path: b/c, expect: {static: true, runs: [[]]}}]
Y
        xb build "$TMP/cproj.yaml" --strategy cross --out-dir "$OUTD"
        check "a CMake project builds with \$XB_CMAKE_TOOLCHAIN_FILE" eval 'rc_is 0 && out_has "c: verified" && out_has "soft-float"'
else
        echo "ok - cmake toolchain file # SKIP no cmake"; TAP_N=$((TAP_N + 1))
fi

# Planning: cross when the compiler is there, explained when not.
mkdir -p "$TMP/fakebin"; ln -sf /bin/true "$TMP/fakebin/arm-linux-gnueabihf-gcc"
XB_PATH=$TMP/fakebin run plan tiny-engine --json
check "auto chooses cross when the cross gcc is on PATH" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .chosen)" = cross ]'
mkdir -p "$TMP/emptybin"
XB_PATH=$TMP/emptybin run plan tiny-engine
check "and explains when it is not" eval 'rc_is 0 && out_has "cross        no   host lacks: arm-linux-gnueabihf-gcc"'
# Smoke runs that say what they expect: an output regex and an environment of their own.
mkdir -p "$TMP/greet"
printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { const char *g = getenv("GREETING"); printf("%%s from arm\\n", g ? g : "hello"); return 0; }\n' >"$TMP/greet/g.c"
cat >"$TMP/greet.yaml" <<Y
name: greet
summary: s
arches: [armhf]
source: {local: "$TMP/greet"}
toolchain: gcc
env: {CC: "\${triplet}-gcc"}
steps: ['\$CC -static -o greet g.c']
artifacts:
  - path: greet
    expect:
      runs:
        - {args: [], output: '^hello from arm$'}
        - {args: [], env: {GREETING: bonjour}, output: '^bonjour from arm$'}
Y
xb build "$TMP/greet.yaml" --strategy cross --out-dir "$OUTD" --json
check "smoke runs: each output matches its regex, an env of its own reaches the program" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r ".artifacts[0].runs[1].output_matched")" = true ] && [ "$(echo "$OUT" | jq -r ".artifacts[0].runs[1].expected_output")" = "^bonjour from arm\$" ]'
sed -i "s/output: '^hello from arm\\\$'/output: '^qemu-arm version'/" "$TMP/greet.yaml"
xb build "$TMP/greet.yaml" --strategy cross --out-dir "$OUTD"
check "a run that exits 0 but prints something else fails verification, naming the regex" eval 'rc_is 3 && out_has "its output does not match /^qemu-arm version/" && out_has "hello from arm"'
# host_deps: tools the steps run on this host, checked with dpkg and installed like toolchains.
sed -e 's/^name: greet/name: hostdeps/' -e 's/^toolchain: gcc/toolchain: gcc\nhost_deps: [make, sl]/' "$TMP/greet.yaml" | sed "s/output: '^qemu-arm version'/output: '^hello from arm'/" >"$TMP/hostdeps.yaml"
if ! dpkg-query -W -f '${Status}' sl 2>/dev/null | grep -q "install ok installed"; then
        xb build "$TMP/hostdeps.yaml" --strategy cross --out-dir "$OUTD" --no-install
        check "a missing host_deps package with --no-install: exit 4 naming what to install" eval 'rc_is 4 && err_has "the recipe'"'"'s host_deps is missing; install it: apt-get install sl" && ! err_has "install it: apt-get install make"'
else
        ok "host_deps refusal # SKIP sl is installed here"
fi
sed -i 's/host_deps: \[make, sl\]/host_deps: [make]/' "$TMP/hostdeps.yaml"
xb build "$TMP/hostdeps.yaml" --strategy cross --out-dir "$OUTD" --no-install
check "host_deps already installed: the build goes on" eval 'rc_is 0 && out_has "hostdeps/armhf/greet: verified"'
# An install tree: make install DESTDIR=..., collected whole (links as links), each ELF in it
# checked for the arch and recorded.
mkdir -p "$TMP/tree"
printf 'int twice(int x) { return 2 * x; }\n' >"$TMP/tree/t.c"
printf 'int twice(int);\nint main(void) { return twice(21) == 42 ? 0 : 1; }\n' >"$TMP/tree/m.c"
cat >"$TMP/tree/Makefile" <<'MK'
all:
	$(CC) -shared -fPIC -Wl,-soname,libtwice.so.1 -o libtwice.so.1.0 t.c
	ln -sf libtwice.so.1.0 libtwice.so.1
	$(CC) -o twice m.c libtwice.so.1
install:
	mkdir -p $(DESTDIR)/usr/lib $(DESTDIR)/usr/bin $(DESTDIR)/etc/twice
	cp -P libtwice.so.1.0 libtwice.so.1 $(DESTDIR)/usr/lib/
	cp twice $(DESTDIR)/usr/bin/
	echo "factor = 2" >$(DESTDIR)/etc/twice/twice.conf
	$(EXTRA)
MK
cat >"$TMP/tree.yaml" <<Y
name: tree
summary: s
arches: [armhf]
source: {local: "$TMP/tree"}
toolchain: gcc
steps: ['make CC="\$CC"', 'make install DESTDIR="\$PWD/destdir" EXTRA="\$EXTRA"']
artifacts:
  - {path: destdir, tree: true, install_as: root}
Y
xb build "$TMP/tree.yaml" --strategy cross --out-dir "$OUTD" --json
T=$OUTD/tree/armhf/root
check "a tree artifact: copied whole, the soname link kept as a link, the config too" eval 'rc_is 0 && [ "$(readlink "$T/usr/lib/libtwice.so.1")" = libtwice.so.1.0 ] && [ -f "$T/etc/twice/twice.conf" ] && [ -x "$T/usr/bin/twice" ]'
check "each ELF in it checked for the arch and recorded: the library as one, the program" eval '[ "$(echo "$OUT" | jq -r "[.artifacts[] | select(.path | endswith(\"libtwice.so.1.0\")) | .elf.kind][0]")" = "shared library" ] && [ "$(echo "$OUT" | jq -r "[.artifacts[] | select(.path | endswith(\"usr/bin/twice\"))] | length")" = 1 ] && [ "$(echo "$OUT" | jq -r .verified)" = true ]'
sed -i "s|^  - {path: destdir, tree: true, install_as: root}|  - {path: destdir, tree: true, install_as: root}\nenv: {EXTRA: 'cp /bin/true \$\$(DESTDIR)/usr/bin/'}|" "$TMP/tree.yaml"
xb build "$TMP/tree.yaml" --strategy cross --out-dir "$OUTD"
check "an x86 program slipped into the tree fails verification, named" eval 'rc_is 3 && out_has "root/usr/bin/true: VERIFICATION FAILED" && out_has "machine: got x86-64"'
done_testing
