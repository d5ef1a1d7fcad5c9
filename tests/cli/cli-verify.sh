#!/usr/bin/env bash
# Verification against real executables made here by Debian's cross compilers and Go: each
# classified right, wrong ones refused with the field and both values, smoke runs under qemu.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
for tool in arm-linux-gnueabihf-gcc arm-linux-gnueabi-gcc aarch64-linux-gnu-gcc qemu-arm-static qemu-aarch64-static; do
        command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool (the test command installs it)"; exit 77; }
done
cat >"$TMP/hello.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
        if (argc > 1 && strcmp(argv[1], "daemon") == 0) { puts("daemon mode"); return 0; }
        if (argc > 1) { fprintf(stderr, "unknown command %s\n", argv[1]); return 1; }
        puts("hello");
        return 0;
}
C
cc -O2 -o "$TMP/x86" "$TMP/hello.c"
arm-linux-gnueabihf-gcc -O2 -static -o "$TMP/armhf-static" "$TMP/hello.c"
arm-linux-gnueabihf-gcc -O2 -o "$TMP/armhf-dynamic" "$TMP/hello.c"
arm-linux-gnueabi-gcc -O2 -static -o "$TMP/armel-static" "$TMP/hello.c"
aarch64-linux-gnu-gcc -O2 -static -o "$TMP/arm64-static" "$TMP/hello.c"
aarch64-linux-gnu-gcc -O2 -o "$TMP/arm64-dynamic" "$TMP/hello.c"

run verify "$TMP/armhf-static" --arch armhf --static --run= --run=daemon
check "armhf static: EABI5 hard-float, runs, daemon runs" eval 'rc_is 0 && out_has "ELF 32-bit ARM EABI5 hard-float, static" && out_has "'"'"'daemon'"'"': ok"'
run verify "$TMP/armhf-dynamic" --arch armhf --dynamic --sysroot /usr/arm-linux-gnueabihf --run=
check "armhf dynamic: interpreter named, runs with the cross libc as sysroot" eval 'rc_is 0 && out_has "dynamic (/lib/ld-linux-armhf.so.3)"'
run verify "$TMP/armhf-dynamic" --arch armhf --static
check "dynamic where static expected: exit 3, both values" eval 'rc_is 3 && out_has "linking: got dynamic, expected static"'
run verify "$TMP/armel-static" --arch armel --static --run=
check "armel static: soft-float accepted for armel" eval 'rc_is 0 && out_has "EABI5 soft-float, static"'
run verify "$TMP/armel-static" --arch armhf
check "armel binary for armhf: float ABI refused" eval 'rc_is 3 && out_has "float ABI: got soft-float, expected hard-float (armhf)"'
run verify "$TMP/armhf-static" --arch armel
check "armhf binary for armel: refused" eval 'rc_is 3 && out_has "float ABI: got hard-float, expected soft-float (armel)"'
run verify "$TMP/arm64-static" --arch arm64 --static --run=
check "arm64 static: AArch64, runs" eval 'rc_is 0 && out_has "ELF 64-bit AArch64, static"'
run verify "$TMP/arm64-dynamic" --arch arm64 --json
check "arm64 dynamic: needed libraries listed" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r ".elf.needed[0]")" = libc.so.6 ] && [ "$(echo "$OUT" | jq -r .elf.interpreter)" = /lib/ld-linux-aarch64.so.1 ]'
run verify "$TMP/x86" --arch armhf --run=
check "an x86-64 binary where armhf is expected: exit 3, not run" eval 'rc_is 3 && out_has "machine: got x86-64 64-bit, expected ARM 32-bit (armhf)" && out_has "not run"'
run verify "$TMP/arm64-static" --arch armhf
check "arm64 where armhf expected: refused" eval 'rc_is 3 && out_has "machine: got AArch64 64-bit"'
# Kinds: a shared library is not "static"; PIE as Android 5+ demands it.
printf 'int f(void) { return 1; }\n' >"$TMP/lib.c"
arm-linux-gnueabihf-gcc -shared -fPIC -Wl,-soname,libx.so.1 -o "$TMP/libx.so" "$TMP/lib.c"
arm-linux-gnueabihf-gcc -O2 -no-pie -o "$TMP/armhf-nopie" "$TMP/hello.c"
aarch64-linux-gnu-gcc -O2 -static-pie -o "$TMP/arm64-static-pie" "$TMP/hello.c"
run verify "$TMP/libx.so" --arch armhf --shared-library --json
check "a shared library is classified as one, with its soname" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .elf.kind)" = "shared library" ] && [ "$(echo "$OUT" | jq -r .elf.soname)" = libx.so.1 ] && [ "$(echo "$OUT" | jq -r .elf.static)" = false ]'
run verify "$TMP/libx.so" --arch armhf --static
check "a shared library where a static program is expected: refused, named" eval 'rc_is 3 && out_has "linking: got shared library, expected static"'
run verify "$TMP/armhf-static" --arch armhf --shared-library
check "an executable where a library is expected: refused" eval 'rc_is 3 && out_has "type: got an executable, expected a shared library"'
run verify "$TMP/armhf-dynamic" --arch armhf --pie --sysroot /usr/arm-linux-gnueabihf --run=
check "Debian's default PIE: passes --pie, says PIE, runs from the sysroot in the sandbox" eval 'rc_is 0 && out_has "(/lib/ld-linux-armhf.so.3), PIE"'
run verify "$TMP/armhf-nopie" --arch armhf --pie
check "a position-dependent executable where PIE is expected: refused with the reason" eval 'rc_is 3 && out_has "PIE: got a position-dependent executable (ET_EXEC)" && out_has "Android 5"'
run verify "$TMP/arm64-static-pie" --arch arm64 --static --pie --run=
check "arm64 static-pie: static and PIE, runs" eval 'rc_is 0 && out_has "ELF 64-bit AArch64, static-pie"'
run verify "$TMP/libx.so" --arch armhf --shared-library --run=
check "--run on a shared library: usage error" eval 'rc_is 2 && err_has "checked, not run"'

# A dynamic program linked against a library built beside it (no rpath): it runs, with the
# artifact's directory first on the guest's library path.
mkdir -p "$TMP/libdir"
printf 'int twice(int x) { return 2 * x; }\n' >"$TMP/libdir/t.c"
printf '#include <stdio.h>\nint twice(int);\nint main(void) { printf("%%d\\n", twice(21)); return 0; }\n' >"$TMP/libdir/m.c"
arm-linux-gnueabihf-gcc -shared -fPIC -Wl,-soname,libtwice.so.1 -o "$TMP/libdir/libtwice.so.1" "$TMP/libdir/t.c"
arm-linux-gnueabihf-gcc -o "$TMP/libdir/prog" "$TMP/libdir/m.c" "$TMP/libdir/libtwice.so.1"
run verify "$TMP/libdir/prog" --arch armhf --sysroot /usr/arm-linux-gnueabihf --run= --json
check "a dynamic program finds the library built beside it" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r ".runs[0].output")" = 42 ] && [ "$(echo "$OUT" | jq -r ".elf.needed[0]")" = libtwice.so.1 ]'

# A static armhf program over 16 MiB that dies at start-up: verification names the known trap.
printf 'static volatile const char pad[17 << 20] = {1};\nint main(void) { volatile int *p = 0; *p = pad[1]; return 0; }\n' >"$TMP/big.c"
arm-linux-gnueabihf-gcc -O2 -static -o "$TMP/armhf-big" "$TMP/big.c"
run verify "$TMP/armhf-big" --arch armhf --static --run= --json
check "a big static armhf program that crashes: the IRELATIVE/Thumb trap explained" eval 'rc_is 3 && [ "$(echo "$OUT" | jq -r ".runs[0].signal")" = 11 ] && echo "$OUT" | jq -r ".runs[0].hint" | grep -q "drops the Thumb bit of IRELATIVE"'
run verify "$TMP/armhf-static" --arch armhf --static --run=serve --json
check "a small program's failure gets no such hint" eval 'rc_is 3 && [ "$(echo "$OUT" | jq -r ".runs[0].hint")" = null ]'

run verify "$TMP/armhf-static" --arch armhf --run=serve
check "a missing subcommand fails verification with its output" eval 'rc_is 3 && out_has "'"'"'serve'"'"': FAIL, exit status 1" && out_has "unknown command serve"'
echo "not an elf" >"$TMP/text"
run verify "$TMP/text" --arch armhf
check "not an ELF file: exit 3" eval 'rc_is 3 && out_has "not an ELF file"'
run verify "$TMP/missing" --arch armhf
check "a missing file: exit 2" eval 'rc_is 2'
head -c 100 "$TMP/armhf-static" >"$TMP/truncated"
run verify "$TMP/truncated" --arch armhf
check "a truncated ELF: refused, no crash" eval 'rc_is 3 && out_has "out of the file"'

if command -v go >/dev/null; then
        mkdir -p "$TMP/gohello" "$TMP/gocache"
        printf 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello from go") }\n' >"$TMP/gohello/main.go"
        (cd "$TMP/gohello" && HOME=$TMP GOCACHE=$TMP/gocache GO111MODULE=off CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 \
                go build -trimpath -o "$TMP/go-armhf" .)
        run verify "$TMP/go-armhf" --arch armhf --static --run= --json
        check "Go armhf: build info read (GOARM=7), runs" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .elf.go.goarm)" = 7 ] && echo "$OUT" | jq -r ".runs[0].output" | grep -q "hello from go"'
        run verify "$TMP/go-armhf" --arch armel
        check "Go GOARM=7 binary for armel: refused on GOARM" eval 'rc_is 3 && out_has "GOARM: got 7, at most 5 runs on armel"'
        (cd "$TMP/gohello" && HOME=$TMP GOCACHE=$TMP/gocache GO111MODULE=off CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6 \
                go build -trimpath -o "$TMP/go-armv6" .)
        run verify "$TMP/go-armv6" --arch armhf --run=
        check "Go GOARM=6 (Debian's native armhf default) is fine for armhf" eval 'rc_is 0'
else
        echo "ok - Go checks # SKIP no go"; echo "ok - Go GOARM # SKIP no go"; echo "ok - Go GOARM=6 # SKIP no go"; TAP_N=$((TAP_N + 3))
fi
done_testing
