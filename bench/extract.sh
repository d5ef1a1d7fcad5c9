#!/usr/bin/env bash
# Extraction throughput: 'xbuild unpack' against 'bsdtar -xpf' (the same libarchive underneath)
# on a real armhf root file system tarball.
#
#   bench/extract.sh [RUNS] [XBUILD]
#
# The tarball is a Debian bookworm armhf minbase tree from 'debootstrap --foreign' (download
# and unpack only, no emulation) against the host's own mirror, packed with tar -czf and kept
# in ~/.cache/xbuild-bench. Both tools run as root, keeping owners, into fresh directories on
# the same file system, alternately, with a warm page cache. Prints each run and the ratio of
# the medians. Needs: debootstrap, libarchive-tools (bsdtar).
set -euo pipefail
runs=${1:-5}
xb=${2:-$(dirname "$0")/../build/xbuild}
work=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-bench
tarball=$work/debian-bookworm-armhf-minbase.tar.gz
mkdir -p "$work"

if [ ! -s "$tarball" ]; then
        mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
        tree=$work/tree
        rm -rf "$tree"
        debootstrap --foreign --arch=armhf --variant=minbase bookworm "$tree" "$mirror" >&2
        tar --numeric-owner -czf "$tarball.tmp" -C "$tree" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$tree"
fi
echo "tarball: $tarball ($(du -h "$tarball" | cut -f1), $(tar tzf "$tarball" | wc -l) entries)"

now() { date +%s.%N; }
# measure TOOL: one extraction into a fresh directory, after the previous tree is deleted and
# everything written back, so no run pays for another's I/O. Prints seconds.
measure() {
        rm -rf "$work/out"
        sync
        cat "$tarball" >/dev/null
        local t0 t1
        if [ "$1" = bsdtar ]; then
                mkdir "$work/out"
                t0=$(now); bsdtar -xpf "$tarball" -C "$work/out"; t1=$(now)
        else
                t0=$(now); "$xb" -q unpack "$tarball" "$work/out"; t1=$(now)
        fi
        sync
        echo "$t1 - $t0" | bc
}
declare -a tb tx
for i in $(seq "$runs"); do
        if [ $((i % 2)) = 1 ]; then b=$(measure bsdtar); x=$(measure xbuild); else x=$(measure xbuild); b=$(measure bsdtar); fi
        tb+=("$b") tx+=("$x")
        echo "run $i: bsdtar $b s, xbuild $x s"
done
# Same tree from both tools.
rm -rf "$work/b" "$work/x"; mkdir "$work/b"
bsdtar -xpf "$tarball" -C "$work/b"; "$xb" -q unpack "$tarball" "$work/x"
diff <(cd "$work/b" && find . -printf '%p %m %u %g %s %y %l\n' | sort) \
     <(cd "$work/x" && find . -printf '%p %m %u %g %s %y %l\n' | sort) >/dev/null ||
        { echo "the trees differ" >&2; exit 1; }
echo "trees identical (paths, modes, owners, sizes, types, link targets)"
rm -rf "$work/b" "$work/x" "$work/out"
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${tb[@]}") mx=$(median "${tx[@]}")
echo "median: bsdtar $mb s, xbuild $mx s, ratio xbuild/bsdtar $(echo "scale=3; $mx / $mb" | bc)"
