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

# hostile KIND ARG DESCRIPTION: extraction refused with the entry named, nothing outside,
# no destination and no partial directory left.
hostile() {
        local kind=$1 arg=$2 what=$3
        $MK "$kind" "$TMP/$kind.tar" "$arg"
        local before
        before=$(snapshot "$OUTSIDE")
        run unpack "$TMP/$kind.tar" "$TMP/w/dest-$kind"
        check "$what: refused (exit 2), entry named" eval 'rc_is 2 && err_has "entry '"'"'" && err_has "nothing was left"'
        check "$what: nothing written outside, no tree, no partial tree" eval '[ "$before" = "$(snapshot "$OUTSIDE")" ] && [ "$(cat "$OUTSIDE/victim")" = original ] && [ -z "$(ls "$TMP/w")" ] && [ ! -e "$OUTSIDE/evil" ]'
}
hostile dotdot "$OUTSIDE/evil" "'../' entry"
hostile absolute "$OUTSIDE/evil" "absolute path"
hostile symlink-then-file "$OUTSIDE" "file through a symlink"
hostile hardlink-outside "$OUTSIDE/victim" "hard link out of the tree"
hostile hardlink-abs "$OUTSIDE/victim" "hard link to an absolute path"
hostile hardlink-to-symlink "$OUTSIDE/victim" "hard link onto a symlink"

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

# A .deb's data member.
mkdir -p "$TMP/pkg/DEBIAN" "$TMP/pkg/usr/share/demo"
printf 'Package: demo\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.invalid>\nDescription: d\n' >"$TMP/pkg/DEBIAN/control"
echo payload >"$TMP/pkg/usr/share/demo/file"
dpkg-deb --build -Zxz "$TMP/pkg" "$TMP/demo.deb" >/dev/null
run unpack --deb "$TMP/demo.deb" "$TMP/w/deb"
check ".deb data member extracted" eval 'rc_is 0 && [ "$(cat "$TMP/w/deb/usr/share/demo/file")" = payload ] && [ ! -e "$TMP/w/deb/DEBIAN" ]'
done_testing
