#!/usr/bin/env bash
# xbuild quick start, as root on Debian 12:
#   scripts/quickstart.sh demo   install what is needed, build xbuild, run the demo
#   scripts/quickstart.sh test   install what is needed, build, run the whole test suite
#   scripts/quickstart.sh build  install what is needed, build xbuild (what CI jobs of an
#                                emitted matrix run first: docs/matrix.md)
# Builds go to build/ (and build-sanitize/, build-clang/ for the tests); nothing is installed
# outside apt's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
demo | test | build) ;;
*)
        echo "usage: $0 demo|test|build" >&2
        exit 2
        ;;
esac

packages=(meson ninja-build pkg-config gcc libc6-dev libyaml-dev libcurl4-openssl-dev
        libarchive-dev libgit2-dev libssl-dev libjson-c-dev patch ca-certificates
        qemu-user-static debootstrap debian-archive-keyring file dpkg-dev gpgv)
# The tests also drive git, a loopback HTTP server in python3, clang for the sanitizers, and
# every cross compiler and Go for the cross strategy and the verification fixtures.
[ "$mode" = test ] && packages+=(clang jq python3 git zstd gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
        gcc-arm-linux-gnueabi libc6-dev-armel-cross gcc-aarch64-linux-gnu libc6-dev-arm64-cross golang-go cmake
        qemu-system-arm kmod e2fsprogs openssh-client iproute2 procps gnupg python3-yaml chromium)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "quickstart: missing packages: ${missing[*]}; run as root or install them" >&2
                exit 4
        fi
        echo "quickstart: installing ${missing[*]}" >&2
        apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# setup DIR ARGS...: configure once, reconfigure when the options changed.
setup() {
        local dir=$1
        shift
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
        # Quiet when it builds; the compiler's complaint when it does not.
        if ! ninja -C "$dir" >"$dir/quickstart-ninja.log" 2>&1; then
                grep -E "error|FAILED" "$dir/quickstart-ninja.log" | head -20 >&2
                [ "$mode" = test ] && echo "0 passed, 1 failed, 0 skipped"
                exit 1
        fi
}

setup build -Dwerror=true
[ "$mode" = build ] && exit 0

if [ "$mode" = demo ]; then
        # The demo: the tiny container engine (client and daemon in one static binary) built for
        # armhf with the automatic strategy (cross here: Debian's cross gcc, installed if
        # missing), then verified by xbuild itself: ELF checks (static, ARM EABI5 hard-float) and
        # its client and daemon run under qemu-user. Only the host's Debian mirror is contacted.
        build/xbuild plan tiny-engine --arch armhf
        build/xbuild build tiny-engine --arch armhf
        file out/tiny-engine/armhf/tinyctr
        echo "quickstart: out/tiny-engine/armhf/tinyctr built and verified (out/tiny-engine/armhf/report.json)"
        exit 0
fi

# The fast suites run twice: the gcc build, and a clang build under ASan+UBSan that also builds
# the libFuzzer target and gives it a short, seeded run. The slow privileged suites (real
# chroots, VMs, the ssh host) run once, on the gcc build: a second pass would double CI's time
# and test the same kernel, QEMU and sshd again.
CC=clang setup build-clang -Dwerror=true -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

status=0
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
echo "quickstart: meson test -C build" >&2
meson test -C build --print-errorlogs || status=1
echo "quickstart: meson test -C build-clang (without the privileged suite)" >&2
meson test -C build-clang --print-errorlogs --no-suite privileged || status=1

fuzz_log=build-clang/fuzz-recipe.log
mkdir -p build-clang/fuzz-work
if build-clang/tests/fuzz-recipe -seed=1 -max_total_time=20 -max_len=4096 \
        build-clang/fuzz-work tests/fuzz/corpus recipes >"$fuzz_log" 2>&1; then
        fuzz_result=OK
else
        fuzz_result=FAIL
        status=1
        tail -30 "$fuzz_log" >&2
fi

# One closing line for CI, counted from meson's own results.
passed=0 failed=0 skipped=0
for dir in build build-clang; do
        log=$dir/meson-logs/testlog.json
        [ -f "$log" ] || continue
        passed=$((passed + $(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")))
        failed=$((failed + $(jq -s '[.[] | select(.result == "FAIL" or .result == "ERROR" or .result == "TIMEOUT" or .result == "UNEXPECTEDPASS")] | length' "$log")))
        skipped=$((skipped + $(jq -s '[.[] | select(.result == "SKIP")] | length' "$log")))
done
if [ "$fuzz_result" = OK ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
