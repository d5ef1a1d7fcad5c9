#!/usr/bin/env bash
# Session start and stop: 'xbuild run --arch armhf -- /bin/true' against a bare
# 'chroot TREE /bin/true' on the same cached armhf tree (both run /bin/true through qemu-user
# and binfmt_misc). Goal: ratio <= 1.5.
#
#   bench/run.sh [RUNS] [XBUILD]      as root; the tree is prepared first if needed
set -euo pipefail
runs=${1:-20}
xb=$(readlink -f "${2:-$(dirname "$0")/../build/xbuild}")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-bench/cache
"$xb" -q --cache-dir "$cache" rootfs prepare debian-bookworm --arch armhf >/dev/null
tree=$(ls -d "$cache"/rootfs/debian-bookworm-armhf-*/tree | head -1)
"$xb" -q binfmt install --arch armhf >/dev/null
"$xb" -q --cache-dir "$cache" run --arch armhf -- /bin/true # warm the caches
now() { date +%s.%N; }
declare -a tc tx
for i in $(seq "$runs"); do
        t0=$(now); chroot "$tree" /bin/true; t1=$(now)
        "$xb" -q --cache-dir "$cache" run --arch armhf -- /bin/true; t2=$(now)
        tc+=("$(echo "$t1 - $t0" | bc)") tx+=("$(echo "$t2 - $t1" | bc)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mc=$(median "${tc[@]}") mx=$(median "${tx[@]}")
echo "runs: $runs; median: chroot $mc s, xbuild run $mx s, ratio $(echo "scale=2; $mx / $mc" | bc)"
