#!/usr/bin/env bash
# The accelerated chroot against the plain (emulated) chroot and the cross build of the same
# recipe, warm (root, build_deps layer and source already in the cache), one build at a time.
# Goal: accelerated chroot <= 1.3x the cross build.
#
#   bench/accelerated-chroot.sh [XBUILD] [RECIPE] [ARCH] [EXTRA BUILD ARGS...]
#   bench/accelerated-chroot.sh build/xbuild crun armhf --variant debian     # crun 1.8.1, Debian's
#   bench/accelerated-chroot.sh build/xbuild docker-1.10 armhf --source ~/src/docker
#
# Prints each build's wall time and its steps' time (report.json's phases), and the ratios.
set -euo pipefail
xb=$(readlink -f "${1:-$(dirname "$0")/../build/xbuild}")
recipe=${2:-crun}
arch=${3:-armhf}
shift 3 || true
work=$(mktemp -d /tmp/xbuild-bench-accel.XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }

build() { # NAME ARGS...
        local name=$1 t0 t1
        shift
        t0=$(now)
        "$xb" -q build "$recipe" --arch "$arch" --out-dir "$work/$name" "$@" >"$work/$name.log" 2>&1 ||
                { echo "$name: build failed (log: kept below)"; tail -20 "$work/$name.log"; exit 1; }
        t1=$(now)
        local report
        report=$(find "$work/$name" -name report.json | head -1)
        printf '%s %s %s\n' "$name" "$(echo "$t1 - $t0" | bc)" "$(jq '.phases_seconds.steps' "$report")"
}

# Warm every path once (source, sysroot, the chroot's build_deps layer).
"$xb" -q fetch "$recipe" "$@" >/dev/null 2>&1 || true
"$xb" -q build "$recipe" --arch "$arch" --strategy cross --out-dir "$work/warm" "$@" >/dev/null 2>&1 || true
"$xb" -q build "$recipe" --arch "$arch" --strategy chroot --out-dir "$work/warm" "$@" >/dev/null 2>&1 || true
{
        build cross --strategy cross "$@"
        build accelerated --strategy chroot --accelerate=on "$@"
        build emulated --strategy chroot --accelerate=off "$@"
} | tee "$work/times"
read -r _ cw cs < <(grep '^cross ' "$work/times")
read -r _ aw as < <(grep '^accelerated ' "$work/times")
read -r _ ew es < <(grep '^emulated ' "$work/times")
echo "recipe $recipe $* for $arch (wall s, steps s)"
printf 'accelerated / cross: wall %.2fx, steps %.2fx\n' "$(echo "$aw / $cw" | bc -l)" "$(echo "$as / $cs" | bc -l)"
printf 'emulated / cross:    wall %.2fx, steps %.2fx\n' "$(echo "$ew / $cw" | bc -l)" "$(echo "$es / $cs" | bc -l)"
printf 'emulated / accelerated: wall %.2fx\n' "$(echo "$ew / $aw" | bc -l)"
