#!/usr/bin/env bash
# A real armhf root file system: busybox-static:armhf from the host's Debian mirror, its .deb
# unpacked by xbuild, made into a tarball, that tarball unpacked by xbuild, then ARM programs
# run in it with chroot and qemu-user. Needs root; the .deb is cached between runs.
XB=$1
TEST_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-tests
source "$(dirname "$0")/../cli/tap-lib.bash"
HELPERS=$(readlink -f "$(dirname "$0")/../helpers")
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
QEMU=$(command -v qemu-arm-static || true)
if [ -z "$QEMU" ]; then echo "1..0 # SKIP needs qemu-user-static"; exit 77; fi

mkdir -p "$TEST_CACHE/debs-armhf"
deb=$(ls "$TEST_CACHE"/debs-armhf/busybox-static_*_armhf.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
        "$HELPERS/apt-download.sh" armhf "$TEST_CACHE/debs-armhf" busybox-static
        deb=$(ls "$TEST_CACHE"/debs-armhf/busybox-static_*_armhf.deb | head -1)
fi
check "busybox-static:armhf from the host's mirror" eval '[ -s "$deb" ]'

run unpack --deb "$deb" "$TMP/pkg"
check "the .deb's data unpacked" eval 'rc_is 0 && [ -x "$TMP/pkg/bin/busybox" ]'
check "it is an ARM EABI5 executable" eval 'file "$TMP/pkg/bin/busybox" | grep -q "ARM, EABI5"'

R=$TMP/tree
mkdir -p "$R/bin" "$R/usr/bin" "$R/proc" "$R/dev" "$R/tmp"
cp "$TMP/pkg/bin/busybox" "$R/bin/"
for t in sh true false uname echo cat; do ln -s busybox "$R/bin/$t"; done
chmod 1777 "$R/tmp"
tar --numeric-owner -czf "$TMP/rootfs-armhf.tar.gz" -C "$R" .
run unpack "$TMP/rootfs-armhf.tar.gz" "$TMP/root"
check "the armhf rootfs tarball unpacked" eval 'rc_is 0 && [ -L "$TMP/root/bin/true" ] && [ "$(stat -c %a "$TMP/root/tmp")" = 1777 ]'

# qemu-user runs the ARM programs; it is copied in, so no binfmt registration is needed.
cp "$QEMU" "$TMP/root/usr/bin/qemu-arm-static"
chroot "$TMP/root" /usr/bin/qemu-arm-static /bin/true; rc_true=$?
machine=$(chroot "$TMP/root" /usr/bin/qemu-arm-static /bin/uname -m)
chroot "$TMP/root" /usr/bin/qemu-arm-static /bin/false; rc_false=$?
check "/bin/true runs in the unpacked rootfs under qemu" eval '[ $rc_true = 0 ] && [ $rc_false = 1 ]'
check "uname -m says armv7l" eval '[ "$machine" = armv7l ]'
# The same tarball as a rootfs definition of the tarball kind: fetched with its pin, unpacked
# into the cache, and used by 'xbuild run' (binfmt_misc this time, no qemu copied in).
CACHE=$TMP/cache
cat >"$TMP/busybox-root.yaml" <<Y
name: busybox-root
summary: busybox-static armhf, packed by the test
arches: [armhf]
provider: tarball
package_manager: apt
tarball:
  armhf:
    url: "file://$TMP/rootfs-armhf.tar.gz"
    sha256: "$(sha256sum "$TMP/rootfs-armhf.tar.gz" | cut -d' ' -f1)"
Y
run --cache-dir "$CACHE" run --arch armhf --rootfs "$TMP/busybox-root.yaml" -- /bin/sh -c 'uname -m; echo $$'
check "a tarball rootfs definition: fetched, unpacked, run" eval 'rc_is 0 && [ "$OUT" = "$(printf "armv7l\n2")" ]'
# The trees hold the ARM system's setuid programs: CACHE/rootfs and each entry are 0700, and
# a cache an older xbuild left 0755 is tightened on use; the tree keeps the ARM system's modes.
ENTRY=$(ls -d "$CACHE"/rootfs/busybox-root-armhf-* | head -1)
private_modes() {
        [ "$(stat -c %a "$CACHE/rootfs")" = 700 ] && [ "$(stat -c %a "$ENTRY")" = 700 ] &&
                [ "$(stat -c %a "$ENTRY/tree/tmp")" = 1777 ] && [ "$(stat -c %a "$ENTRY/tree/bin")" = "$(stat -c %a "$R/bin")" ]
}
check "CACHE/rootfs and the tree's entry are 0700, the tree's own modes kept" private_modes
# runuser, not setpriv: on this Debian 12 setpriv --reuid still ran a program below a 0700
# directory, runuser is refused as an unprivileged user is.
as_nobody() { runuser -u nobody -- "$@" >/dev/null 2>&1; }
chmod 755 "$TMP" # mktemp's 0700 would hide the cache by itself
check "an unprivileged user reaches the cache, not a tree in it" eval 'as_nobody ls "$CACHE" && ! as_nobody ls "$CACHE/rootfs" && ! as_nobody ls "$ENTRY/tree/bin" && ! as_nobody "$ENTRY/tree/bin/busybox" true'
chmod 700 "$TMP"
chmod 755 "$CACHE/rootfs" "$ENTRY"
run --cache-dir "$CACHE" run --arch armhf --rootfs "$TMP/busybox-root.yaml" -- /bin/true
check "an entry an older xbuild left 0755 is tightened on use" eval 'rc_is 0 && private_modes'
run --cache-dir "$CACHE" rootfs list
check "rootfs list shows it" eval 'rc_is 0 && out_has "busybox-root-armhf-"'
run --cache-dir "$CACHE" run --arch armhf --rootfs "$TMP/busybox-root.yaml" --keep -- /bin/true
check "--keep keeps the session" eval 'rc_is 0 && err_has "Session kept in" && [ -n "$(ls "$CACHE/sessions")" ]'
# Something mounted below a session from outside while it runs: nothing is deleted, exit 5, and
# the message names the mount. In a private mount namespace, so the mount cannot outlive the test.
before=$(ls "$CACHE/sessions")
unshare -m --propagation private bash -c '
        "$1" --cache-dir "$2" run --arch armhf --rootfs "$3" -- /bin/sh -c "sleep 4" >/dev/null 2>"$4/busy.err" &
        pid=$!
        for _ in $(seq 100); do
                s=$(ls "$2/sessions" | grep -vxF -f <(printf "%s\n" $5) | head -1)
                [ -n "$s" ] && break
                sleep 0.1
        done
        mkdir -p "$2/sessions/$s/held" && mount -t tmpfs xbuild-test-held "$2/sessions/$s/held"
        wait $pid; echo $? >"$4/busy.rc"
        [ -d "$2/sessions/$s/upper" ] && echo kept >"$4/busy.kept"
        umount "$2/sessions/$s/held"
' busy "$XB" "$CACHE" "$TMP/busybox-root.yaml" "$TMP" "$before"
check "a mount below a running session from outside: exit 5, the mount named, nothing deleted" eval '[ "$(cat "$TMP/busy.rc")" = 5 ] && grep -q "/held (tmpfs from xbuild-test-held) is mounted below it" "$TMP/busy.err" && [ -f "$TMP/busy.kept" ]'
mkdir -p "$CACHE/rootfs/busybox-root-armhf-0123.partial-999999/tree" "$CACHE/rootfs/other.partial-$$"
run --cache-dir "$CACHE" clean
check "clean removes the kept session, the one held by the mount, and a dead run's half-made tree, not a live one's" eval 'rc_is 0 && [ -z "$(ls "$CACHE/sessions")" ] && out_has "1 interrupted preparations removed" && [ ! -e "$CACHE/rootfs/busybox-root-armhf-0123.partial-999999" ] && [ -d "$CACHE/rootfs/other.partial-$$" ]'
rmdir "$CACHE/rootfs/other.partial-$$"
run --cache-dir "$CACHE" rootfs remove "$TMP/busybox-root.yaml"
check "rootfs remove" eval 'rc_is 0 && out_has "1 prepared trees removed" && [ -z "$(ls "$CACHE/rootfs")" ]'
sed -i 's/^    sha256: .*/    sha256: "0000000000000000000000000000000000000000000000000000000000000000"/' "$TMP/busybox-root.yaml"
run --cache-dir "$CACHE" run --arch armhf --rootfs "$TMP/busybox-root.yaml" -- /bin/true
check "a wrong pin: refused before anything is unpacked" eval 'rc_is 2 && err_has "sha256 mismatch" && [ -z "$(ls "$CACHE/rootfs")" ]'
done_testing
