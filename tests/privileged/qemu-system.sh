#!/usr/bin/env bash
# The qemu-system strategy for real: Debian's armhf kernel from the host's mirror, the initrd
# made on the host, the cached rootfs as an ext4 image, a full -M virt guest under TCG. Jobs
# that succeed, fail, panic, hang, time out and get killed; the image never changes.
XB=$1
HELPERS=$(cd "$(dirname "$0")/../helpers" && pwd)
source "$(dirname "$0")/priv-lib.bash"
needs qemu-system-arm qemu-arm-static debootstrap mkfs.ext4 depmod
# Only the QEMU processes of this test: their command line names this test's files.
no_qemu() { ! ps -eo args | grep -v grep | grep -q "^qemu-system.*$1"; }
OUTD="$TMP/out dir"

# The tiny engine, end to end; the first run fetches the kernel and makes the image.
xr build tiny-engine --arch armhf --strategy qemu-system --out-dir "$OUTD"
BIN="$OUTD/tiny-engine/armhf/tinyctr"
check "tiny-engine builds in the armhf VM and passes verification" eval 'rc_is 0 && [ -x "$BIN" ] && out_has "tinyctr: verified"'
check "the guest said armv7l; boot and steps timed separately" eval 'err_has "uname -m: armv7l" && jq -e ".strategy == \"qemu-system\" and .phases_seconds.boot > 0 and .phases_seconds.steps > 0 and .verified and .build_host.machine == \"armv7l\" and (.build_host.kernel | startswith(\"linux-image-\"))" "$OUTD/tiny-engine/armhf/report.json" >/dev/null'
check "console and step logs kept" eval 'grep -q "job-end 0" "$OUTD/tiny-engine/armhf/logs/console.log" && grep -q "tinyctr.c" "$OUTD/tiny-engine/armhf/logs/step-01.log"'
check "no QEMU, session or mount left" eval 'no_qemu "$CACHE" && no_sessions && no_mounts'
KIT=$(ls -td "$CACHE"/vm/kit-armhf-* | head -1)
IMG=$(sed -n 's/^VM root disk: \([^ ]*\).*/\1/p' "$TMP/err")
check "the kit: Debian's kernel package, an initrd with the modules, every module with its modules.dep" eval 'grep -q "^linux-image-.*_armhf.deb$" "$KIT/package" && [ -s "$KIT/initrd.img" ] && [ -s "$KIT/vmlinuz" ] && grep -q "overlay.ko:" "$KIT/modules/modules.dep" && [ ! -e "$KIT/modules/build" ]'
check "the root image is read-only on the host" eval '[ "$(stat -c %a "$IMG")" = 444 ]'

# arm64: qemu-system-aarch64, cortex-a57, Debian's arm64 kernel.
if command -v qemu-aarch64-static >/dev/null && command -v qemu-system-aarch64 >/dev/null; then
        xr build tiny-engine --arch arm64 --strategy qemu-system --out-dir "$OUTD"
        check "tiny-engine builds in the arm64 VM (aarch64) and passes verification" eval 'rc_is 0 && err_has "uname -m: aarch64" && out_has "tinyctr: verified" && file "$OUTD/tiny-engine/arm64/tinyctr" | grep -q "ARM aarch64"'
fi

# A job of our own: the guest's uname, files through the share, the environment as data.
mkdir -p "$TMP/src"
echo 'int main(void) { return 0; }' >"$TMP/src/t.c"
cat >"$TMP/probe.yaml" <<'Y'
name: probe
summary: s
arches: [armhf]
source: {local: src}
build_deps: [gcc, libc6-dev, make]
memory: 2560M
env: {TRICKY: "it's $(touch /pwned) `x` \"q\" ;|&"}
steps:
  - uname -m
  - printf 'value=%s\n' "$TRICKY"; test ! -e /pwned
  - cc -o t t.c && cat /proc/cmdline
artifacts: [{path: t}]
Y
xr build "$TMP/probe.yaml" --strategy qemu-system --out-dir "$OUTD"
check "a job runs: uname -m in the guest prints armv7l" eval 'rc_is 0 && grep -qx armv7l "$OUTD/probe/armhf/logs/step-01.log"'
check "an environment value with shell metacharacters arrives as data" eval 'grep -qxF "value=it'"'"'s \$(touch /pwned) \`x\` \"q\" ;|&" "$OUTD/probe/armhf/logs/step-02.log"'
check "the artifact came back through the share, an ARM executable" eval '[ -x "$OUTD/probe/armhf/t" ] && file "$OUTD/probe/armhf/t" | grep -q "ARM, EABI5"'
check "the recipe's memory: sizes the VM when --memory is not given" eval 'err_has "2 CPUs, 2560 MiB"'
check "guest kernel runs with panic=-1" eval 'grep -q "panic=-1" "$OUTD/probe/armhf/logs/step-03.log"'

# network: true gives the guest user networking (here: our loopback server, which the guest
# sees at 10.0.2.2); without it the guest reaches nothing.
mkdir -p "$TMP/www"; echo "hello from the host" >"$TMP/www/hello.txt"
start_http "$TMP/www"
cat >"$TMP/net.yaml" <<Y
name: net
summary: s
arches: [armhf]
source: {local: src}
network: true
steps: ["/usr/lib/apt/apt-helper -o Acquire::http::Timeout=10 download-file http://10.0.2.2:$HTTP_PORT/files/hello.txt /tmp/h && cat /tmp/h"]
artifacts: [{path: never}]
Y
xr build "$TMP/net.yaml" --strategy qemu-system --out-dir "$OUTD"
check "network: true: the guest downloads from the host's loopback server" eval 'grep -qx "hello from the host" "$OUTD/net/armhf/logs/step-01.log"'
sed '/^network:/d' "$TMP/net.yaml" >"$TMP/nonet.yaml"
xr build "$TMP/nonet.yaml" --strategy qemu-system --out-dir "$OUTD"
check "by default the guest has no network: the same download fails" eval 'rc_is 1 && err_has "Step 1 exited with status" && ! grep -q "hello from the host" "$OUTD/net/armhf/logs/step-01.log"'

# A failing step returns its status and its last lines.
cat >"$TMP/fail.yaml" <<'Y'
name: fail
summary: s
arches: [armhf]
source: {local: src}
steps: ["echo first", "echo second; exit 3", "echo never"]
artifacts: [{path: never}]
Y
xr build "$TMP/fail.yaml" --strategy qemu-system --out-dir "$OUTD"
check "a failing step: exit 1, its status, its last lines, its log" eval 'rc_is 1 && err_has "Step 2 exited with status 3" && err_has "    second" && err_has "logs/step-02.log" && [ ! -e "$OUTD/fail/armhf/logs/step-03.log" ]'

# The cached image is byte-identical after a build that writes everywhere.
before=$(sha256sum <"$IMG")
cat >"$TMP/vandal.yaml" <<'Y'
name: vandal
summary: s
arches: [armhf]
source: {local: src}
build_deps: [gcc, libc6-dev, make]
steps: ["rm -rf /usr/share/doc /etc/apt; echo x >/bin/new; dd if=/dev/urandom of=/big bs=1M count=20 2>/dev/null; chmod 000 /etc/passwd; sync"]
artifacts: [{path: never}]
Y
xr build "$TMP/vandal.yaml" --strategy qemu-system --out-dir "$OUTD"
check "a step that writes all over the root disk ran" eval 'err_has "Step 1/1 done"'
check "the cached image is byte-identical afterwards" eval '[ "$before" = "$(sha256sum <"$IMG")" ]'

# A guest that panics (an initrd that is not one): reported within seconds, exit 6, console tail.
head -c 4096 /dev/urandom >"$TMP/junk-initrd"
start=$SECONDS
xr build "$TMP/fail.yaml" --strategy qemu-system --initrd "$TMP/junk-initrd" --out-dir "$OUTD"
check "a panicking guest: exit 6, the panic and the console tail, in seconds" eval 'rc_is 6 && err_has "guest kernel panicked" && err_has "Kernel panic - not syncing" && [ $((SECONDS - start)) -lt 120 ]'
check "after the panic no QEMU is left" eval 'no_qemu "junk-initrd"'

# A guest that hangs before the job (an init that sleeps): the boot watchdog ends it.
mkdir -p "$TMP/hang/bin"
cp "$KIT/busybox" "$TMP/hang/bin/busybox"
printf '#!/bin/busybox sh\n/bin/busybox sleep 100000\n' >"$TMP/hang/init"
chmod 755 "$TMP/hang/init"
python3 "$HELPERS/make-cpio.py" "$TMP/hang-initrd" "$TMP/hang"
start=$SECONDS
xr build "$TMP/fail.yaml" --strategy qemu-system --initrd "$TMP/hang-initrd" --boot-timeout 15 --out-dir "$OUTD"
check "a hung guest: the boot watchdog stops it, exit 6" eval 'rc_is 6 && err_has "did not start the job within 15 s" && [ $((SECONDS - start)) -lt 90 ]'
check "after the watchdog no QEMU is left, nor a session" eval 'no_qemu "hang-initrd" && no_sessions'

# A step past the recipe's timeout: the VM is stopped, exit 1.
sed 's/^steps: .*/steps: ["sleep 1000"]\ntimeout: 10/' "$TMP/fail.yaml" >"$TMP/slow.yaml"
xr build "$TMP/slow.yaml" --strategy qemu-system --out-dir "$OUTD"
check "a step over its timeout: stopped, exit 1" eval 'rc_is 1 && err_has "Step 1 timed out after 10 s" && no_qemu "$CACHE"'

# SIGKILL of xbuild mid-step: QEMU dies with it; the stale session is cleaned.
sed 's/^steps: .*/steps: ["sleep 4242"]/' "$TMP/fail.yaml" >"$TMP/long.yaml"
"$XB" --cache-dir "$CACHE" build "$TMP/long.yaml" --strategy qemu-system --out-dir "$OUTD" >/dev/null 2>"$TMP/long.err" &
xpid=$!
for i in $(seq 600); do grep -q "Step 1/1" "$TMP/long.err" && break; sleep 0.2; done
check "the long step runs in the VM" eval 'grep -q "Step 1/1" "$TMP/long.err"'
kill -KILL $xpid; wait $xpid 2>/dev/null
for i in $(seq 100); do no_qemu "$CACHE" && break; sleep 0.1; done
check "after SIGKILL of xbuild: no QEMU left" eval 'no_qemu "$CACHE"'
xr clean
check "xbuild clean removes the dead run's session" eval 'rc_is 0 && no_sessions && no_mounts'

# xbuild shell: the console is ours; commands typed after the guest is up run in the ARM root.
mkfifo "$TMP/shin"
"$XB" --cache-dir "$CACHE" shell tiny-engine --strategy qemu-system --out-dir "$OUTD" <"$TMP/shin" >"$TMP/shout" 2>"$TMP/sherr" &
spid=$!
exec 7>"$TMP/shin"
for i in $(seq 900); do grep -q "job-start" "$TMP/shout" && break; sleep 0.2; done
printf 'uname -m; sh -e /xbuild/steps/step-01.sh && echo built-$((6*7))\nexit\n' >&7
wait $spid
src=$?
exec 7>&-
check "xbuild shell: a root shell in the VM builds the source by hand, then the VM powers off" eval '[ $src = 0 ] && grep -qE "(^|# )armv7l\$" <(tr -d "\r" <"$TMP/shout") && grep -q "^built-42" <(tr -d "\r" <"$TMP/shout") && grep -q "powered off" "$TMP/sherr"'
check "after the shell: no QEMU, no session" eval 'no_qemu "$CACHE" && no_sessions'
xr shell tiny-engine
check "xbuild shell without --strategy=qemu-system: usage error" eval 'rc_is 2 && err_has "--strategy=qemu-system"'

# Images whose layers are gone are removed by 'xbuild clean'; the ones in use stay.
mkdir -p "$CACHE/vm/images/img-0rphan0000000000"
printf 'format 1\n%s\n' "$TMP/no-such-layer" >"$CACHE/vm/images/img-0rphan0000000000/layers"
: >"$CACHE/vm/images/img-0rphan0000000000/rootfs.ext4"
xr clean
check "xbuild clean removes a VM image whose layers are gone, keeps the live one" eval 'rc_is 0 && out_has "1 orphaned VM images removed" && [ ! -e "$CACHE/vm/images/img-0rphan0000000000" ] && [ -s "$IMG" ]'

# Bad flags: one line, exit 2, nothing started.
xr build tiny-engine --strategy qemu-system --memory 12 --out-dir "$OUTD"
check "--memory out of range: usage error" eval 'rc_is 2 && err_has "--memory"'
xr build tiny-engine --strategy qemu-system --kernel "$TMP/nope" --out-dir "$OUTD"
check "--kernel that does not exist: usage error naming it" eval 'rc_is 2 && err_has "$TMP/nope"'
done_testing
