#!/usr/bin/env bash
# The matrix's own overhead: 'xbuild matrix' over a grid against the same cells built one after
# the other with 'xbuild build' (goal: ratio <= 1.02).
#
#   bench/matrix.sh [RUNS] [XBUILD] [RECIPES] [ARCHES] [STRATEGIES]
#
# What the matrix adds per cell: an 'xbuild plan --json' process (the skip decision), the
# cell's directory, reading its report back; then once: comparisons, matrix.json, junit.xml,
# index.html. Both sides share the cache (warm), as a nightly run would.
set -euo pipefail
runs=${1:-3}
xb=$(readlink -f "${2:-$(dirname "$0")/../build/xbuild}")
recipes=${3:-cgo-engine,tiny-engine}
arches=${4:-armhf,arm64}
strategies=${5:-cross}
work=$(mktemp -d /tmp/xbuild-bench-matrix.XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$xb" matrix --recipes "$recipes" --arches "$arches" --strategies "$strategies" --out-dir "$work/warm" -q >/dev/null 2>&1 || true
plain=() matrix=()
for i in $(seq "$runs"); do
        t0=$(now)
        for r in ${recipes//,/ }; do
                for a in ${arches//,/ }; do
                        for s in ${strategies//,/ }; do
                                "$xb" -q build "$r" --arch "$a" --strategy "$s" --out-dir "$work/plain/$r-$a-$s" >/dev/null 2>&1 || true
                        done
                done
        done
        t1=$(now)
        "$xb" -q matrix --recipes "$recipes" --arches "$arches" --strategies "$strategies" --out-dir "$work/m" >/dev/null 2>&1 || true
        t2=$(now)
        plain+=("$(echo "$t1 - $t0" | bc)")
        matrix+=("$(echo "$t2 - $t1" | bc)")
done
p=$(median "${plain[@]}") m=$(median "${matrix[@]}")
echo "cells: $(jq '.cells | length' "$work/m/matrix.json") ($recipes x $arches x $strategies), $runs runs"
echo "builds one by one: median ${p} s   (${plain[*]})"
echo "xbuild matrix:     median ${m} s   (${matrix[*]})"
echo "ratio matrix/builds: $(echo "scale=3; $m / $p" | bc)"
