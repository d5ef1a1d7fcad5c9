#!/usr/bin/env bash
# The qemu-system strategy: (1) a VM job round trip by xbuild against the same QEMU command run
# by hand (same kernel, initrd, snapshot image and share: the plain tool doing the same work);
# (2) the tiny engine's build by each strategy. As root, after one warm-up build.
#
#   bench/qemu-system.sh [RUNS] [ARCH] [XBUILD]
set -euo pipefail
runs=${1:-3}
arch=${2:-armhf}
xb=$(readlink -f "${3:-$(dirname "$0")/../build/xbuild}")
work=$(mktemp -d /tmp/xbuild-bench-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
phase() { jq -r ".phases_seconds.$2" "$work/out/$1/$arch/report.json"; }

# A job that does nothing: what is measured is boot, job protocol and power-off.
mkdir -p "$work/src"
cat >"$work/noop.yaml" <<Y
name: noop
summary: bench
arches: [$arch]
source: {local: "$work/src"}
steps: ["cp /bin/true t"]
artifacts: [{path: t}]
Y
"$xb" build "$work/noop.yaml" --arch "$arch" --strategy qemu-system -o "$work/out" >/dev/null 2>"$work/warm.err"
img=$(sed -n 's/^VM root disk: \([^ ]*\).*/\1/p' "$work/warm.err")
kit=$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/xbuild/vm/kit-$( [ "$arch" = arm64 ] && echo arm64 || echo armhf)-* | head -1)
case $arch in
arm64) qemu=qemu-system-aarch64 cpu=cortex-a57 ;;
*) qemu=qemu-system-arm cpu=cortex-a15 ;;
esac

# By hand: the same machine, share and job files; QEMU until it powers off.
hand_run() {
        local share=$work/share
        rm -rf "$share"
        mkdir -p "$share/src" "$share/out" "$share/steps" "$share/job"
        printf 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin\ncd /xbuild/src\n' >"$share/job/prologue.sh"
        printf 'cp /bin/true t\n' >"$share/steps/step-01.sh"
        TMPDIR=$work "$qemu" -M virt -cpu $cpu -smp 2 -m 2048M -nodefaults -no-user-config -no-reboot -display none \
                -kernel "$kit/vmlinuz" -initrd "$kit/initrd.img" \
                -append "console=ttyAMA0 panic=-1 loglevel=4 rdinit=/init xbuild.nonce=bench" \
                -drive if=none,id=root,file="$img",format=raw,snapshot=on -device virtio-blk-pci,drive=root \
                -device virtio-rng-pci -fsdev local,id=share,path="$share",security_model=none \
                -device virtio-9p-pci,fsdev=share,mount_tag=xbuild -netdev user,id=n0,restrict=on \
                -device virtio-net-pci,netdev=n0,romfile= -monitor none -serial stdio </dev/null >"$work/hand.log" 2>&1
        grep -q "job-end 0" "$work/hand.log"
}

declare -a h x boot
xb_run() { "$xb" build "$work/noop.yaml" --arch "$arch" --strategy qemu-system -o "$work/out" >/dev/null 2>&1; }
# Alternating which goes first, so neither always follows the other's page-cache state.
for i in $(seq "$runs"); do
        if [ $((i % 2)) = 1 ]; then
                t0=$(now); hand_run; t1=$(now); xb_run; t2=$(now)
                h+=("$(echo "$t1 - $t0" | bc)"); x+=("$(echo "$t2 - $t1" | bc)")
        else
                t0=$(now); xb_run; t1=$(now); hand_run; t2=$(now)
                x+=("$(echo "$t1 - $t0" | bc)"); h+=("$(echo "$t2 - $t1" | bc)")
        fi
        boot+=("$(phase noop boot)")
done
[ -n "${ROUND_TRIP_ONLY:-}" ] && { echo "hand: ${h[*]}"; echo "xbuild: ${x[*]}"; }
hm=$(median "${h[@]}"); xm=$(median "${x[@]}")
echo "VM job round trip ($arch, $runs runs): QEMU by hand median ${hm}s, xbuild median ${xm}s," \
        "ratio $(echo "scale=3; $xm / $hm" | bc); xbuild's boot phase (QEMU start to job start) median $(median "${boot[@]}")s"

# The tiny engine by every strategy (warm: rootfs, deps, kit and image already made).
[ -n "${ROUND_TRIP_ONLY:-}" ] && exit 0
for s in cross chroot qemu-system; do
        "$xb" build tiny-engine --arch "$arch" --strategy $s -o "$work/out" >/dev/null 2>&1 # warm-up
        declare -a w=() st=()
        for i in $(seq "$runs"); do
                t0=$(now)
                "$xb" build tiny-engine --arch "$arch" --strategy $s -o "$work/out" >/dev/null 2>&1
                t1=$(now)
                w+=("$(echo "$t1 - $t0" | bc)")
                st+=("$(phase tiny-engine steps)")
        done
        echo "tiny-engine by $s ($arch): whole build median $(median "${w[@]}")s, steps phase median $(median "${st[@]}")s"
done
