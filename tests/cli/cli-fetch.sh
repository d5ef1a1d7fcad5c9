#!/usr/bin/env bash
# Downloads against a loopback HTTP server: verification, the cache's write protocol, resume,
# retries, timeouts, redirects, size limits, concurrency and a SIGKILL mid-transfer.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
DOC=$TMP/doc
CACHE=$TMP/cache
mkdir -p "$DOC"
head -c 300000 /dev/urandom >"$DOC/big.bin"
echo "small file" >"$DOC/good.bin"
cp "$DOC/big.bin" "$DOC/big2.bin"; echo x >>"$DOC/big2.bin"
cp "$DOC/big.bin" "$DOC/big3.bin"; echo y >>"$DOC/big3.bin"
cp "$DOC/big.bin" "$DOC/big4.bin"; echo z >>"$DOC/big4.bin"
sha() { sha256sum "$1" | cut -d' ' -f1; }
GOOD=$(sha "$DOC/good.bin") BIG=$(sha "$DOC/big.bin") BIG2=$(sha "$DOC/big2.bin") BIG3=$(sha "$DOC/big3.bin") BIG4=$(sha "$DOC/big4.bin")
NEVER=$(echo "never served" | sha256sum | cut -d' ' -f1)
start_http "$DOC"
xf() { run --cache-dir "$CACHE" fetch "$@"; }

xf "$BASE/files/good.bin" --sha256 "$GOOD"
check "download into the cache" eval 'rc_is 0 && [ "$OUT" = "sha256 $GOOD $CACHE/blobs/sha256/$GOOD" ] && cmp -s "$CACHE/blobs/sha256/$GOOD" "$DOC/good.bin"'
check "blob is read-only" eval '[ "$(stat -c %a "$CACHE/blobs/sha256/$GOOD")" = 444 ]'
xf "$BASE/files/good.bin" --sha256 "$GOOD"
check "a hit transfers nothing" eval 'rc_is 0 && [ "$(requests /files/good.bin)" = 1 ] && err_has "nothing transferred"'

# A blob altered in the cache (one byte, same size) is re-hashed before use: evicted with a
# warning naming it and fetched again, or, when it cannot be fetched, an error naming it.
corrupt() { chmod u+w "$1" && printf X | dd of="$1" bs=1 seek=3 conv=notrunc status=none; }
corrupt "$CACHE/blobs/sha256/$GOOD"
xf "$BASE/files/good.bin" --sha256 "$GOOD"
check "corrupt blob: evicted with a warning and fetched again" eval 'rc_is 0 && [ "$(requests /files/good.bin)" = 2 ] && err_has "Cached blob $GOOD is corrupt (sha256 " && err_has "): removed, fetching again" && ! err_has "nothing transferred"'
run --cache-dir "$CACHE" cache verify
check "corrupt blob: good again afterwards" eval 'rc_is 0 && out_has " 0 bad" && cmp -s "$CACHE/blobs/sha256/$GOOD" "$DOC/good.bin"'
corrupt "$CACHE/blobs/sha256/$GOOD"
xf "http://127.0.0.1:1/good.bin" --sha256 "$GOOD" --retries 0
check "corrupt blob, no server: fails naming the blob, serves nothing" eval 'rc_is 1 && err_has "cached blob $GOOD was corrupt" && [ -z "$OUT" ] && [ ! -e "$CACHE/blobs/sha256/$GOOD" ]'
xf "$BASE/files/good.bin" --sha256 "$GOOD"
check "corrupt blob: the next fetch with a server restores it" eval 'rc_is 0 && cmp -s "$CACHE/blobs/sha256/$GOOD" "$DOC/good.bin"'

before=$(snapshot "$CACHE")
xf "$BASE/files/good.bin" --sha256 "$BIG"
check "wrong digest: exit 2, both digests named" eval 'rc_is 2 && err_has "expected $BIG, got $GOOD" && err_has "$BASE/files/good.bin"'
check "wrong digest: the cache is exactly as before" eval '[ "$before" = "$(snapshot "$CACHE")" ]'

xf "$BASE/truncate-once/big.bin" --sha256 "$BIG"
check "truncated transfer resumed with a Range request" eval 'rc_is 0 && [ "$(requests /truncate-once/big.bin)" = 2 ] && grep -q "\"range\": \"bytes=150000-\"" "$HTTP_LOG"'

mkdir -p "$CACHE/tmp"
head -c 1000 "$DOC/big2.bin" >"$CACHE/tmp/$BIG2.part"
xf "$BASE/norange/big2.bin" --sha256 "$BIG2"
check "a server ignoring Range: the file restarts, not appended" eval 'rc_is 0 && cmp -s "$CACHE/blobs/sha256/$BIG2" "$DOC/big2.bin"'

head -c 5000 /dev/zero >"$CACHE/tmp/$BIG3.part"
xf "$BASE/files/big3.bin" --sha256 "$BIG3"
check "a stale partial file is dropped and the download redone" eval 'rc_is 0 && [ "$(requests /files/big3.bin)" = 2 ] && cmp -s "$CACHE/blobs/sha256/$BIG3" "$DOC/big3.bin"'

start=$(date +%s)
xf "$BASE/stall/big4.bin" --sha256 "$BIG4" --stall-timeout 2 --retries 0
check "stalled transfer: aborted by the stall timeout, exit 1" eval 'rc_is 1 && err_has "Operation too slow" && [ $(( $(date +%s) - start )) -lt 15 ]'
check "stalled transfer: what arrived is kept to resume, no blob" eval '[ -s "$CACHE/tmp/$BIG4.part" ] && [ ! -e "$CACHE/blobs/sha256/$BIG4" ]'

xf "$BASE/redirect-ftp" --sha256 "$NEVER"
check "redirect to ftp:// refused" eval 'rc_is 2 && err_has "redirect to a forbidden scheme: ftp://127.0.0.1/whatever"'
xf "$BASE/redirect/good.bin" --sha256 "$GOOD"
check "redirect within http followed (then a hit)" eval 'rc_is 0'
echo "redirected content" >"$DOC/moved.bin"
xf "$BASE/redirect/moved.bin" --insecure-unpinned
check "unpinned redirect: the pin suggestion names the URL fetched" eval 'rc_is 0 && err_has "$BASE/redirect/moved.bin was not pinned (redirected to $BASE/files/moved.bin); pin it with sha256 $(sha "$DOC/moved.bin")"'
xf "$BASE/status/404" --sha256 "$NEVER" --retries 3
check "404: no retry, exit 1" eval 'rc_is 1 && err_has "HTTP 404" && [ "$(requests /status/404)" = 1 ]'
xf "$BASE/flaky/big4.bin" --sha256 "$BIG4"
check "503 then 200: retried, resuming the kept partial file" eval 'rc_is 0 && [ "$(requests /flaky/big4.bin)" = 2 ] && cmp -s "$CACHE/blobs/sha256/$BIG4" "$DOC/big4.bin"'
xf "$BASE/status/500" --sha256 "$NEVER" --retries 2
check "500 three times: gives up, says how often it tried" eval 'rc_is 1 && err_has "after 3 attempts" && [ "$(requests /status/500)" = 3 ]'

head -c 200000 /dev/urandom >"$DOC/huge.bin"
xf "$BASE/files/huge.bin" --sha256 "$(sha "$DOC/huge.bin")" --max-size 100000
check "over --max-size: refused, nothing kept" eval 'rc_is 2 && err_has "larger than the limit of 100000 bytes" && [ -z "$(ls "$CACHE/tmp" | grep "$(sha "$DOC/huge.bin")")" ]'

xf "$BASE/files/good.bin"
check "unpinned URL refused" eval 'rc_is 2 && err_has "without a pinned sha256"'
echo "unpinned content" >"$DOC/unpinned.bin"
xf "$BASE/files/unpinned.bin" --insecure-unpinned
check "--insecure-unpinned: fetched, digest printed to pin" eval 'rc_is 0 && out_has "sha256 $(sha "$DOC/unpinned.bin")" && err_has "pin it with sha256 $(sha "$DOC/unpinned.bin")"'
xf "ftp://127.0.0.1/x" --sha256 "$GOOD"
check "ftp:// URL refused before any transfer" eval 'rc_is 2 && err_has "only http://, https:// and file://"'
xf "$BASE/files/good.bin" --sha256 ABC
check "malformed --sha256: usage error" eval 'rc_is 2 && err_has "64 lowercase hexadecimal"'

# Two processes, one URL: one downloads, the other waits and hits.
cp "$DOC/big.bin" "$DOC/conc.bin"; echo c >>"$DOC/conc.bin"
CONC=$(sha "$DOC/conc.bin")
"$XB" --cache-dir "$CACHE" fetch "$BASE/slow/conc.bin" --sha256 "$CONC" >"$TMP/c1.out" 2>"$TMP/c1.err" &
p1=$!
"$XB" --cache-dir "$CACHE" fetch "$BASE/slow/conc.bin" --sha256 "$CONC" >"$TMP/c2.out" 2>"$TMP/c2.err" &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "concurrent fetches of one URL: both succeed, one transfer" eval '[ $r1 = 0 ] && [ $r2 = 0 ] && [ "$(requests /slow/conc.bin)" = 1 ] && cat "$TMP"/c?.err | grep -q "waited for another xbuild"'

# SIGKILL in the middle of a transfer, then the same fetch again.
cp "$DOC/big.bin" "$DOC/kill.bin"; echo k >>"$DOC/kill.bin"
KILL=$(sha "$DOC/kill.bin")
"$XB" --cache-dir "$CACHE" fetch "$BASE/slow/kill.bin" --sha256 "$KILL" >/dev/null 2>&1 &
pk=$!
sleep 0.9
kill -KILL $pk; wait $pk 2>/dev/null
check "after SIGKILL: no blob, a partial file" eval '[ ! -e "$CACHE/blobs/sha256/$KILL" ] && [ -s "$CACHE/tmp/$KILL.part" ]'
xf "$BASE/files/kill.bin" --sha256 "$KILL"
check "after SIGKILL: the next fetch resumes and succeeds" eval 'rc_is 0 && grep -q "\"path\": \"/files/kill.bin\", \"range\": \"bytes=" "$HTTP_LOG" && cmp -s "$CACHE/blobs/sha256/$KILL" "$DOC/kill.bin"'
run --cache-dir "$CACHE" cache verify
check "cache verify after it all" eval 'rc_is 0 && out_has " 0 bad"'

chmod u+w "$CACHE/blobs/sha256/$GOOD"; echo tampered >>"$CACHE/blobs/sha256/$GOOD"
run --cache-dir "$CACHE" cache verify
check "cache verify finds a corrupted blob: exit 3" eval 'rc_is 3 && err_has "Corrupt cache entry" && out_has "1 bad"'
rm -f "$CACHE/blobs/sha256/$GOOD"
run --cache-dir "$CACHE" cache list
check "cache list names the URLs" eval 'rc_is 0 && out_has "$BIG" && out_has "$BASE/truncate-once/big.bin"'
run --cache-dir "$CACHE" cache list --json
check "cache list --json" eval 'rc_is 0 && [ "$(echo "$OUT" | jq "map(select(.sha256 == \"$BIG\")) | length")" = 1 ]'

# A recipe and a rootfs definition with tarballs from the server.
mkdir -p "$TMP/src/proj-1.0" && echo 'all:' >"$TMP/src/proj-1.0/Makefile"
tar czf "$DOC/proj.tar.gz" -C "$TMP/src" proj-1.0
cat >"$TMP/proj.yaml" <<Y
name: proj
summary: s
arches: [armhf]
source:
  tarball: $BASE/files/proj.tar.gz
  sha256: "$(sha "$DOC/proj.tar.gz")"
  strip_components: 1
steps: [make]
artifacts: [{path: a}]
Y
xf "$TMP/proj.yaml" --checkout "$TMP/proj-src"
check "tarball recipe: fetched, verified, unpacked with strip_components" eval 'rc_is 0 && out_has "verified" && [ -f "$TMP/proj-src/Makefile" ]'
xf "$TMP/proj.yaml"
check "tarball recipe again: cached" eval 'rc_is 0 && out_has "(cached)" && [ "$(requests /files/proj.tar.gz)" = 1 ]'
corrupt "$CACHE/blobs/sha256/$(sha "$DOC/proj.tar.gz")"
xf "$TMP/proj.yaml" --checkout "$TMP/proj-src2"
check "tarball recipe, corrupt blob: fetched again, not unpacked as it was" eval 'rc_is 0 && [ "$(requests /files/proj.tar.gz)" = 2 ] && err_has "Cached blob $(sha "$DOC/proj.tar.gz") is corrupt" && [ -f "$TMP/proj-src2/Makefile" ]'
cat >"$TMP/rootfs.yaml" <<Y
name: tiny-root
summary: s
arches: [armhf, arm64]
provider: tarball
tarball:
  armhf: {url: "$BASE/files/good.bin", sha256: "$GOOD"}
  arm64: {url: "$BASE/files/unpinned.bin", sha256: "$NEVER"}
Y
xf "$TMP/rootfs.yaml" --arch armhf
check "rootfs tarball for one arch" eval 'rc_is 0 && out_has "sha256 $GOOD"'
xf "$TMP/rootfs.yaml"
check "rootfs tarball with a wrong pin: exit 2 naming both digests" eval 'rc_is 2 && err_has "expected $NEVER, got $(sha "$DOC/unpinned.bin")"'
xf debian-bookworm
check "debootstrap rootfs: nothing to fetch ahead" eval 'rc_is 0 && out_has "debootstrap"'

run --cache-dir "$CACHE" cache prune
check "prune removes partial downloads only" eval 'rc_is 0 && [ -z "$(ls "$CACHE/tmp")" ] && [ -e "$CACHE/blobs/sha256/$BIG" ]'
run --cache-dir "$CACHE" cache prune --all
check "prune --all empties the cache" eval 'rc_is 0 && [ -z "$(ls "$CACHE/blobs/sha256")" ] && [ -z "$(ls "$CACHE/index")" ]'
done_testing
