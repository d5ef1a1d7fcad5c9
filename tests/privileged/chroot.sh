#!/usr/bin/env bash
# The chroot strategy for real: binfmt_misc, a debootstrapped armhf rootfs (cached between
# runs in the user's cache dir), sessions in private namespaces, the pristine tree, SIGKILL
# safety, symlink tricks, concurrency, paths with spaces, and the tiny engine built this way.
XB=$1
source "$(dirname "$0")/priv-lib.bash"
needs qemu-arm-static debootstrap
# only processes this test started carry these marker arguments
no_proc() { ! ps -eo args | grep -v grep | grep -qF -- "$1"; }

# binfmt: our entry, and conflict detection with a foreign one.
xr binfmt install --arch armhf
check "binfmt install (mounting binfmt_misc if needed)" eval 'rc_is 0 && grep -q "^enabled" /proc/sys/fs/binfmt_misc/xbuild-qemu-arm 2>/dev/null || grep -q "^enabled" /proc/sys/fs/binfmt_misc/qemu-arm'
xr binfmt status --json
check "binfmt status --json marks xbuild's entry" eval 'rc_is 0 && echo "$OUT" | jq -e ".entries | map(select(.name == \"xbuild-qemu-arm\" and .registered_by_xbuild and .problem == null)) | length == 1" >/dev/null'
sed 's/:OPF$/:OP/; s/^:qemu-arm:/:xbtest-noF:/' /usr/lib/binfmt.d/qemu-arm.conf >/proc/sys/fs/binfmt_misc/register
CLEANUP+=("[ ! -e /proc/sys/fs/binfmt_misc/xbtest-noF ] || echo -1 >/proc/sys/fs/binfmt_misc/xbtest-noF")
xr binfmt status
check "status explains an entry without F" eval 'rc_is 0 && out_has "xbtest-noF" && out_has "no F flag"'
xr run --arch armhf -- true
check "a build refuses to run beside an unfit entry, changing nothing" eval 'rc_is 4 && err_has "xbtest-noF" && grep -q "^enabled" /proc/sys/fs/binfmt_misc/xbtest-noF'
xr binfmt install --arch armhf --force
check "--force disables the unfit entry" eval 'rc_is 0 && grep -q "^disabled" /proc/sys/fs/binfmt_misc/xbtest-noF && out_has "disabled: '"'"'xbtest-noF'"'"'"'
xr binfmt remove --arch armhf
check "remove takes only xbuild's entry and re-enables the one it disabled" eval 'rc_is 0 && [ ! -e /proc/sys/fs/binfmt_misc/xbuild-qemu-arm ] && grep -q "^enabled" /proc/sys/fs/binfmt_misc/xbtest-noF'
echo -1 >/proc/sys/fs/binfmt_misc/xbtest-noF
# F with a dynamically linked interpreter (qemu-user-binfmt's kind; /bin/sh stands in): unfit.
# Its magic also wants byte 20 (e_version) to be 0: xbuild's matching accepts that, no real
# ELF file has it, so nothing on the host runs through /bin/sh meanwhile.
sed -E 's|^:qemu-arm:M::([^:]*):([^:]*):[^:]*:[^:]*$|:xbtest-dynF:M::\1\\x00:\2\\xff:/bin/sh:F|' /usr/lib/binfmt.d/qemu-arm.conf >/proc/sys/fs/binfmt_misc/register
CLEANUP+=("[ ! -e /proc/sys/fs/binfmt_misc/xbtest-dynF ] || echo -1 >/proc/sys/fs/binfmt_misc/xbtest-dynF")
check "a test entry with F and a dynamic interpreter registered" eval 'grep -q "^interpreter /bin/sh" /proc/sys/fs/binfmt_misc/xbtest-dynF && grep -q "^flags: F" /proc/sys/fs/binfmt_misc/xbtest-dynF'
xr binfmt status
check "status explains an entry whose interpreter is dynamically linked" eval 'rc_is 0 && out_has "xbtest-dynF" && out_has "dynamically linked"'
xr run --arch armhf -- true
check "a build refuses to run beside it (exit 4), naming it, changing nothing" eval 'rc_is 4 && err_has "xbtest-dynF" && err_has "dynamically linked" && grep -q "^enabled" /proc/sys/fs/binfmt_misc/xbtest-dynF && [ ! -e /proc/sys/fs/binfmt_misc/xbuild-qemu-arm ]'
echo -1 >/proc/sys/fs/binfmt_misc/xbtest-dynF

# The rootfs (debootstrap the first time, a few minutes) and a first ARM program.
xr run --arch armhf -- uname -m
check "xbuild run --arch armhf -- uname -m prints armv7l" eval 'rc_is 0 && [ "$OUT" = armv7l ]'
check "no mounts, no sessions left" eval 'no_mounts && no_sessions'
xr run --arch armhf -- sh -c 'exit 7'
check "the command's exit status is passed through" eval 'rc_is 7'
xr run --arch armhf -- sh -c 'test "$(hostname)" = xbuild-armhf && test -c /dev/null && test "$(ls /dev | wc -l)" -lt 20 && grep -q "^devpts /dev/pts" /proc/mounts && test $$ -eq 2'
check "inside: own hostname, a minimal /dev, own devpts, own PID namespace" eval 'rc_is 0'

# The pristine tree survives a session that writes everywhere.
TREE=$(ls -d "$CACHE"/rootfs/debian-bookworm-armhf-*/tree | head -1)
before=$(cd "$TREE" && find . -printf '%p %s %m %T@\n' | sort | sha256sum)
xr run --arch armhf -- sh -c 'rm -rf /usr/share/doc /etc/apt; echo x >/bin/new; touch /usr/bin/*; chmod 000 /etc/passwd'
check "a session that writes everywhere ran" eval 'rc_is 0'
check "the cached tree is byte-for-byte as before" eval '[ "$before" = "$(cd "$TREE" && find . -printf "%p %s %m %T@\n" | sort | sha256sum)" ]'

# Paths with spaces, binds both ways.
mkdir -p "$TMP/dir with spaces"; echo "from the host" >"$TMP/dir with spaces/in"
xr run --arch armhf --bind "$TMP/dir with spaces:/mnt/my dir" -- sh -c 'cat "/mnt/my dir/in" && echo out >"/mnt/my dir/out file"'
check "a bind with spaces, read and written" eval 'rc_is 0 && out_has "from the host" && [ "$(cat "$TMP/dir with spaces/out file")" = out ]'
xr run --arch armhf --bind "$TMP/dir with spaces:/ro:ro" -- sh -c 'echo x >/ro/nope'
check "a read-only bind cannot be written" eval '! rc_is 0 && [ ! -e "$TMP/dir with spaces/nope" ]'

# A step that swaps its mount point for a symlink to a host path: cleanup never follows it.
mkdir -p "$TMP/hostcanary"; echo keep >"$TMP/hostcanary/file"
mkdir -p "$TMP/bindcanary"
xr run --arch armhf --bind "$TMP/bindcanary:/mnt/c" -- sh -c "umount /mnt/c && rmdir /mnt/c && ln -s '$TMP/hostcanary' /mnt/c && ln -s / /rootlink"
check "symlinks to host paths in the session are removed, not followed" eval 'rc_is 0 && [ "$(cat "$TMP/hostcanary/file")" = keep ] && no_sessions && no_mounts'

# SIGKILL of xbuild in the middle of a command.
ls -la /dev >"$TMP/dev.before"
echo canary >"$TMP/bindcanary/file"
"$XB" --cache-dir "$CACHE" run --arch armhf --bind "$TMP/bindcanary:/src" -- sh -c 'sleep 4242' >/dev/null 2>&1 &
xpid=$!
# the emulated sleep itself (qemu shows it as ".. /usr/bin/sleep sleep 4242"), not our own arguments
for i in $(seq 100); do ps -eo args | grep -v grep | grep -q "sleep sleep 4242" && break; sleep 0.1; done
check "the command runs" eval '! no_proc "sleep sleep 4242"'
kill -KILL $xpid; wait $xpid 2>/dev/null
for i in $(seq 100); do no_proc "sleep sleep 4242" && no_mounts && break; sleep 0.1; done
check "after SIGKILL: no process, no mount left" eval 'no_proc "sleep sleep 4242" && no_mounts'
check "after SIGKILL: host /dev and the bound canary intact" eval 'ls -la /dev | diff -q - "$TMP/dev.before" >/dev/null && [ "$(cat "$TMP/bindcanary/file")" = canary ]'
xr clean
check "xbuild clean removes the dead run's session" eval 'rc_is 0 && out_has "1 stale sessions removed" && no_sessions'

# Two sessions at once on the same rootfs.
"$XB" --cache-dir "$CACHE" run --arch armhf -- sh -c 'echo one >/tmp/f; sleep 1; cat /tmp/f' >"$TMP/p1" 2>/dev/null &
p1=$!
"$XB" --cache-dir "$CACHE" run --arch armhf -- sh -c 'echo two >/tmp/f; sleep 1; cat /tmp/f' >"$TMP/p2" 2>/dev/null &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "two sessions at once, each with its own /tmp" eval '[ $r1 = 0 ] && [ $r2 = 0 ] && [ "$(cat "$TMP/p1")" = one ] && [ "$(cat "$TMP/p2")" = two ]'

# The tiny engine, built in the chroot (build deps installed once into a cached layer).
mkdir -p "$TMP/out dir"
xr build tiny-engine --strategy chroot --arch armhf --out-dir "$TMP/out dir"
BIN="$TMP/out dir/tiny-engine/armhf/tinyctr"
check "tiny-engine builds with --strategy=chroot" eval 'rc_is 0 && [ -x "$BIN" ]'
check "it is a static ARM EABI5 executable" eval 'file "$BIN" | grep -q "ARM, EABI5" && file "$BIN" | grep -q "statically linked"'
check "step logs kept beside the artifact" eval '[ -s "$TMP/out dir/tiny-engine/armhf/logs/step-01.log" ]'
xr run --arch armhf --bind "$TMP/out dir/tiny-engine/armhf:/o:ro" -- /o/tinyctr daemon --help
check "the built engine runs, daemon included" eval 'rc_is 0 && out_has "Usage: tinyctr daemon"'
cat >"$TMP/fail.yaml" <<Y
name: fail
summary: s
arches: [armhf]
source: {local: "$TMP/dir with spaces"}
steps: ["echo about to fail", "echo second; exit 3"]
artifacts: [{path: never}]
Y
xr build "$TMP/fail.yaml" --strategy chroot --out-dir "$TMP/out dir"
check "a failing step: exit 1, its last lines and its log named" eval 'rc_is 1 && err_has "Step 2 exited with status 3" && err_has "    second" && err_has "logs/step-02.log"'
check "nothing left mounted or in sessions after all builds" eval 'no_mounts && no_sessions'
done_testing
