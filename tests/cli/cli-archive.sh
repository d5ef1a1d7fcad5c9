#!/usr/bin/env bash
# Extraction with libarchive: crafted hostile tarballs write nothing outside the target and
# leave no partial tree; a root-file-system-like tarball keeps owners, modes, devices and links.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
MK="python3 $(readlink -f "$(dirname "$0")/../helpers/make-tarball.py")"
OUTSIDE=$TMP/outside
mkdir -p "$OUTSIDE" "$TMP/w"
echo "original" >"$OUTSIDE/victim"
cd "$TMP/w"

# hostile KIND ARG DESCRIPTION [ENTRY]: extraction refused with the entry (ENTRY) named, nothing
# outside (no hard link to it either), no destination and no partial directory left.
hostile() {
        local kind=$1 arg=$2 what=$3 named="entry '${4:-}"
        $MK "$kind" "$TMP/$kind.tar" "$arg"
        local before
        before=$(snapshot "$OUTSIDE")
        run unpack "$TMP/$kind.tar" "$TMP/w/dest-$kind"
        check "$what: refused (exit 2), entry named" eval 'rc_is 2 && err_has "$named" && err_has "nothing was left"'
        check "$what: nothing written outside, no tree, no partial tree" eval '[ "$before" = "$(snapshot "$OUTSIDE")" ] && [ "$(cat "$OUTSIDE/victim")" = original ] && [ "$(stat -c %h "$OUTSIDE/victim")" = 1 ] && [ -z "$(ls "$TMP/w")" ] && [ ! -e "$OUTSIDE/evil" ]'
        rm -rf "$TMP/w/dest-$kind" # a failure here must not fail the checks after it
}
hostile dotdot "$OUTSIDE/evil" "'../' entry"
hostile absolute "$OUTSIDE/evil" "absolute path"
hostile symlink-then-file "$OUTSIDE" "file through a symlink"
hostile hardlink-outside "$OUTSIDE/victim" "hard link out of the tree"
hostile hardlink-abs "$OUTSIDE/victim" "hard link to an absolute path"
hostile hardlink-to-symlink "$OUTSIDE/victim" "hard link onto a symlink"
# Refused by libarchive's own checks once, and dropped in silence with exit 0.
hostile dot-symlink-then-file "$OUTSIDE" "file through a symlink, './' mid-name" "a/./evil/file"
hostile hardlink-through-symlink "$OUTSIDE" "hard link through a symlink" "h"

# A full disk fails the extraction (libarchive only warns about a failed write): a tmpfs of
# 8 MiB in a private mount namespace, so no mount can outlive the test or reach the host.
# full TARBALL DESCRIPTION: the outcome, and what is left on that file system.
full() {
        local tarball=$1 what=$2 want="Failed to write '$TMP/small/dest/big.bin': No space left on device"
        unshare -m --propagation private bash -c 'mount -t tmpfs -o size=8m tmpfs "$2" || exit
                "$1" unpack "$3" "$2/dest" >"$4/out" 2>"$4/err"; echo $? >"$4/rc"; ls -A "$2" >"$4/left"' \
                _ "$XB" "$TMP/small" "$tarball" "$TMP"
        RC=$(cat "$TMP/rc" 2>/dev/null || echo none)
        check "$what onto a full disk: fails, naming the file and the errno" eval '[ "$RC" != none ] && ! rc_is 0 && err_has "$want" && err_lines 1'
        check "$what onto a full disk: no tree, no partial tree" eval '[ -f "$TMP/left" ] && [ ! -s "$TMP/left" ]'
        rm -f "$TMP/rc" "$TMP/left"
}
mkdir -p "$TMP/small"
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
        $MK zeros "$TMP/big.tar" $((20 << 20))
        full "$TMP/big.tar" "a 20 MB file"
        $MK zeros "$TMP/bomb.tar.gz" $((200 << 20))
        check "the gzip bomb is small" eval '[ "$(stat -c %s "$TMP/bomb.tar.gz")" -lt 1000000 ]'
        full "$TMP/bomb.tar.gz" "a gzip bomb of 200 MB"
        rm -f "$TMP/big.tar" "$TMP/bomb.tar.gz"
else
        for what in "a 20 MB file" "a gzip bomb"; do
                echo "ok - $what onto a full disk # SKIP needs root and unshare"
                TAP_N=$((TAP_N + 1))
        done
fi

$MK symlink-replaced-by-file "$TMP/replace.tar" "$OUTSIDE/victim"
run unpack "$TMP/replace.tar" "$TMP/w/replace"
check "a file replacing an absolute symlink never writes through it" eval '[ "$(cat "$OUTSIDE/victim")" = original ]'
rm -rf "$TMP/w/replace"

$MK many "$TMP/many.tar" 3000
run unpack "$TMP/many.tar" "$TMP/w/many" --max-entries 1000
check "too many entries: refused, nothing left" eval 'rc_is 2 && err_has "more than 1000 entries" && [ -z "$(ls "$TMP/w")" ]'
run unpack "$TMP/many.tar" "$TMP/w/many"
check "3000 entries within the limit" eval 'rc_is 0 && [ "$(ls "$TMP/w/many" | wc -l)" = 3002 ]'
rm -rf "$TMP/w/many"

$MK rootfs-like "$TMP/rootfs.tar"
run unpack "$TMP/rootfs.tar" "$TMP/w/root"
R=$TMP/w/root
check "rootfs-like tarball extracts" eval 'rc_is 0'
if [ "$(id -u)" = 0 ]; then
        check "owners kept (numeric)" eval '[ "$(stat -c %u:%g "$R/owned")" = 1234:4321 ]'
        check "setuid mode kept" eval '[ "$(stat -c %a "$R/bin/tool")" = 4755 ]'
        check "device node kept" eval '[ -c "$R/null" ] && [ "$(stat -c %t:%T "$R/null")" = 1:3 ]'
else
        echo "ok - owners, setuid and devices # SKIP needs root"
        TAP_N=$((TAP_N + 1))
fi
check "absolute symlink kept as it is" eval '[ "$(readlink "$R/bin/sh")" = /bin/busybox ]'
check "hard links kept" eval '[ "$(stat -c %i "$R/bin/tool")" = "$(stat -c %i "$R/bin/tool-again")" ]'
check "fifo kept" eval '[ -p "$R/fifo" ]'
run unpack "$TMP/rootfs.tar" "$R"
check "an existing destination is refused" eval 'rc_is 2 && err_has "it exists"'

mkdir -p "$TMP/src/top/sub"; echo data >"$TMP/src/top/sub/f"
for c in gz bz2 xz zst; do
        case $c in
        gz) tar czf "$TMP/t.$c" -C "$TMP/src" top ;;
        bz2) tar cjf "$TMP/t.$c" -C "$TMP/src" top ;;
        xz) tar cJf "$TMP/t.$c" -C "$TMP/src" top ;;
        zst) command -v zstd >/dev/null || { echo "ok - zstd # SKIP no zstd"; TAP_N=$((TAP_N + 1)); continue; }
             tar --zstd -cf "$TMP/t.$c" -C "$TMP/src" top ;;
        esac
        run unpack "$TMP/t.$c" "$TMP/w/$c" --strip-components 1
        check "$c tarball with --strip-components 1" eval 'rc_is 0 && [ "$(cat "$TMP/w/$c/sub/f")" = data ]'
done
head -c 20000 /dev/urandom >"$TMP/src/top/noise"
tar czf "$TMP/big.gz" -C "$TMP/src" top
head -c "$(( $(stat -c %s "$TMP/big.gz") / 2 ))" "$TMP/big.gz" >"$TMP/broken.gz"
run unpack "$TMP/broken.gz" "$TMP/w/broken"
check "a truncated archive: exit 2, nothing left" eval 'rc_is 2 && [ ! -e "$TMP/w/broken" ] && [ -z "$(ls "$TMP/w" | grep partial)" ]'
echo "not an archive" >"$TMP/junk"
run unpack "$TMP/junk" "$TMP/w/junk"
check "not an archive: exit 2" eval 'rc_is 2 && err_has "Failed to unpack"'

# A refused entry after a directory: libarchive's deferred fix-up of that directory (its mode
# and time) must land in the thrown-away tree, never in the directory xbuild was started from.
mkdir -p "$TMP/cwd/d" && chmod 700 "$TMP/cwd/d" && touch -d 2001-01-01 "$TMP/cwd/d"
python3 - "$TMP/fixup.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    d = tarfile.TarInfo("d"); d.type = tarfile.DIRTYPE; d.mode = 0o777; d.mtime = 1234567890
    t.addfile(d)
    l = tarfile.TarInfo("d/link"); l.type = tarfile.SYMTYPE; l.linkname = "/etc"
    t.addfile(l)
    f = tarfile.TarInfo("d/link/passwd"); data = b"owned\n"; f.size = len(data)
    t.addfile(f, io.BytesIO(data))
PY
(cd "$TMP/cwd" && run unpack "$TMP/fixup.tar" "$TMP/w/fixup")
check "a refused entry after a directory: the caller's directory of that name keeps its mode and time" eval '[ "$(stat -c %a "$TMP/cwd/d")" = 700 ] && [ "$(stat -c %Y "$TMP/cwd/d")" = "$(date -d 2001-01-01 +%s)" ] && [ ! -e "$TMP/w/fixup" ]'

# A .deb's data member.
mkdir -p "$TMP/pkg/DEBIAN" "$TMP/pkg/usr/share/demo"
printf 'Package: demo\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: d\n' >"$TMP/pkg/DEBIAN/control"
echo payload >"$TMP/pkg/usr/share/demo/file"
dpkg-deb --build -Zxz "$TMP/pkg" "$TMP/demo.deb" >/dev/null
run unpack --deb "$TMP/demo.deb" "$TMP/w/deb"
check ".deb data member extracted" eval 'rc_is 0 && [ "$(cat "$TMP/w/deb/usr/share/demo/file")" = payload ] && [ ! -e "$TMP/w/deb/DEBIAN" ]'
done_testing
