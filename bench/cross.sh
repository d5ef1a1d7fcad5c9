#!/usr/bin/env bash
# The cross strategy's overhead: 'xbuild build --strategy cross' against the same commands
# typed by hand (goal: ratio <= 1.05 on real builds).
#
#   bench/cross.sh [RUNS] [XBUILD]
#
# xbuild's run includes what a hand build does not: copying the source into a fresh work
# directory, ELF checks and qemu smoke runs of the artifact, report.json, and its own start.
# Go runs share one GOCACHE in both cases (warm), as a developer's would.
set -euo pipefail
runs=${1:-5}
xb=$(readlink -f "${2:-$(dirname "$0")/../build/xbuild}")
top=$(readlink -f "$(dirname "$0")/..")
work=$(mktemp -d /tmp/xbuild-bench-cross.XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# A Go program big enough to measure: the standard library's net/http server.
mkdir -p "$work/goapp"
cat >"$work/goapp/main.go" <<'G'
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "daemon" {
		_ = http.ListenAndServe("127.0.0.1:0", nil)
		return
	}
	fmt.Println("goapp")
}
G
cat >"$work/goapp.yaml" <<Y
name: goapp
summary: bench
arches: [armhf]
source: {local: "$work/goapp"}
toolchain: go
env: {GO111MODULE: "off", GOFLAGS: "-trimpath"}
steps: ["go build -o goapp ."]
artifacts: [{path: goapp, expect: {runs: [[]]}}]
Y
export GOCACHE=$work/gocache
declare -a ht hx gt gx
for i in $(seq "$runs"); do
        rm -rf "$work/hand"; cp -r "$top/examples/tiny-engine" "$work/hand"
        t0=$(now); make -s -C "$work/hand" CC=arm-linux-gnueabihf-gcc >/dev/null; t1=$(now)
        "$xb" -q --cache-dir "$work/cache" build tiny-engine --strategy cross --arch armhf --out-dir "$work/out" >/dev/null; t2=$(now)
        ht+=("$(echo "$t1 - $t0" | bc)") hx+=("$(echo "$t2 - $t1" | bc)")
        rm -rf "$work/gohand"; cp -r "$work/goapp" "$work/gohand"
        t0=$(now); (cd "$work/gohand" && GO111MODULE=off GOOS=linux GOARCH=arm GOARM=7 CGO_ENABLED=1 \
                CC=arm-linux-gnueabihf-gcc go build -trimpath -o goapp .); t1=$(now)
        "$xb" -q --cache-dir "$work/cache" build "$work/goapp.yaml" --strategy cross --out-dir "$work/out" >/dev/null; t2=$(now)
        gt+=("$(echo "$t1 - $t0" | bc)") gx+=("$(echo "$t2 - $t1" | bc)")
        echo "run $i: tiny-engine hand ${ht[-1]} s, xbuild ${hx[-1]} s; goapp hand ${gt[-1]} s, xbuild ${gx[-1]} s"
done
a=$(median "${ht[@]}") b=$(median "${hx[@]}") c=$(median "${gt[@]}") d=$(median "${gx[@]}")
echo "tiny-engine: hand $a s, xbuild $b s, ratio $(echo "scale=2; $b / $a" | bc)"
echo "goapp (net/http): hand $c s, xbuild $d s, ratio $(echo "scale=2; $d / $c" | bc)"
