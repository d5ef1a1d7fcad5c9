#!/usr/bin/env bash
# The remote strategy against a real sshd on a simulated ARM host (scripts/arm-ssh-host.sh:
# sshd from an armhf Debian root under qemu-user, in its own network, mount and PID
# namespaces, reached over a veth pair in namespaces this test creates): builds, host keys,
# a dropped connection, the wrong arch, hostile recipe fields, a pool of hosts, and teardown.
XB=$1
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-tests/cache
TOP=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/../cli/tap-lib.bash"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
for tool in qemu-arm-static debootstrap ssh ssh-keygen ip unshare; do
        command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool"; exit 77; }
done
export XBUILD=$XB XBUILD_OPTS="--cache-dir $CACHE"
H="$TOP/scripts/arm-ssh-host.sh"
S=$TMP/host
CLEANUP+=("'$H' down '$S' >/dev/null 2>&1")
# xbuild where the host is reachable: in the client network namespace.
xr() { run --cache-dir "$CACHE" "$@"; }
XR_NS() {
        "$H" exec "$S" "$XB" --cache-dir "$CACHE" "$@" >"$TMP/out" 2>"$TMP/err"
        RC=$?
        OUT=$(cat "$TMP/out")
        ERR=$(cat "$TMP/err")
}
REMOTE_HOME=$S/upper/home/builder
no_work() { [ -z "$(ls -A "$REMOTE_HOME/.xbuild-work" 2>/dev/null)" ]; }
# processes of the emulated host, by what they run (qemu-user shows the ARM program's argv)
remote_proc() { ps -eo args | grep -v grep | grep -q "$1"; }

ip -o addr >"$TMP/addr.before"
SSHDIRS_BEFORE=$(ls -d /tmp/xbuild-ssh-* 2>/dev/null | wc -l)
"$H" up "$S" armhf >"$TMP/up.out" 2>"$TMP/up.err"
RC=$?
check "the simulated armhf host comes up" eval '[ $RC = 0 ] && grep -q "host builder@198.51.100.2" "$TMP/up.out"'
NS=$(cat "$S/ns" 2>/dev/null)
UNSHARE=$(cat "$S/unshare.pid" 2>/dev/null)
CFG=$S/client/ssh_config
OUT=$("$H" exec "$S" ssh -F "$CFG" builder@198.51.100.2 uname -m 2>&1)
check "ssh builder@HOST uname -m answers armv7l" eval '[ "$OUT" = armv7l ]'
check "its addresses exist only in its namespaces: the host's are as before" eval 'ip -o addr | diff -q - "$TMP/addr.before" >/dev/null'

# The tiny engine, natively on the host.
XR_NS build tiny-engine --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$CFG" --out-dir "$TMP/o"
check "tiny-engine builds on the remote armhf host and passes verification" eval 'rc_is 0 && out_has "tinyctr: verified" && err_has "armv7l"'
check "the report says remote, with the host's steps" eval 'jq -e ".strategy == \"remote\" and .verified and .phases_seconds.steps > 0 and .build_host.machine == \"armv7l\"" "$TMP/o/tiny-engine/armhf/report.json" >/dev/null'
check "the remote work dir is gone, no session left" eval 'no_work && [ -z "$(ls -A "$CACHE/sessions" 2>/dev/null)" ]'

# Host keys: unknown and changed ones are refused; accept-new trusts only a first contact.
sed "s#$S/client/known_hosts#$TMP/kh#" "$CFG" >"$TMP/cfg2"
: >"$TMP/kh"
XR_NS build tiny-engine --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$TMP/cfg2" --out-dir "$TMP/o"
check "an unknown host key is refused (exit 4), nothing sent" eval 'rc_is 4 && err_has "host key" && err_has "--accept-new-host-key" && no_work'
ssh-keygen -q -t ed25519 -N "" -f "$TMP/otherkey"
echo "198.51.100.2 $(cut -d" " -f1,2 "$TMP/otherkey.pub")" >"$TMP/kh"
XR_NS build tiny-engine --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$TMP/cfg2" --accept-new-host-key --out-dir "$TMP/o"
check "a changed host key is refused, even with --accept-new-host-key" eval 'rc_is 4 && err_has "unknown or has changed"'
: >"$TMP/kh"
XR_NS build tiny-engine --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$TMP/cfg2" --accept-new-host-key --out-dir "$TMP/o"
check "--accept-new-host-key trusts a first contact and records the key" eval 'rc_is 0 && grep -q "^198.51.100.2 ssh-ed25519" "$TMP/kh"'

# The wrong architecture is refused before anything is sent.
XR_NS build tiny-engine --arch arm64 --strategy remote --host builder@198.51.100.2 --ssh-config "$CFG" --out-dir "$TMP/o"
check "an armv7l host asked for arm64: refused, naming both" eval 'rc_is 4 && err_has "is armv7l (uname -m): it cannot build arm64" && no_work'

# An arm64 host asked for armhf: refused before anything is sent (a second simulated host).
S64=$TMP/host64
CLEANUP+=("'$H' down '$S64' >/dev/null 2>&1")
"$H" up "$S64" arm64 >/dev/null 2>"$TMP/up64.err"
check "the simulated arm64 host comes up and answers aarch64" eval '[ "$("$H" exec "$S64" ssh -F "$S64/client/ssh_config" 198.51.100.2 uname -m)" = aarch64 ]'
"$H" exec "$S64" "$XB" --cache-dir "$CACHE" build tiny-engine --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$S64/client/ssh_config" --out-dir "$TMP/o" >"$TMP/out" 2>"$TMP/err"
RC=$?
check "an aarch64 host asked for armhf: refused with a clear message, nothing sent" eval 'rc_is 4 && err_has "is aarch64 (uname -m): it cannot build armhf natively" && [ -z "$(ls -A "$S64/upper/home/builder/.xbuild-work" 2>/dev/null)" ]'
"$H" down "$S64"

# Recipe fields with shell metacharacters reach the host as data.
mkdir -p "$TMP/src"
cat >"$TMP/evil.yaml" <<'Y'
name: evil
summary: s
arches: [armhf]
source: {local: src}
build_deps: [make]
env: {EVIL: "it's $(touch ~/pwned1) `touch ~/pwned2` ; touch ~/pwned3 | &"}
steps:
  - printf 'value=%s\n' "$EVIL" && cp /bin/true "odd name;touch pwned4"
artifacts: [{path: "odd name;touch pwned4"}]
Y
XR_NS build "$TMP/evil.yaml" --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$CFG" --out-dir "$TMP/o"
check "metacharacters in env and artifact paths: data, not code" eval 'rc_is 0 && grep -qxF "value=it'"'"'s \$(touch ~/pwned1) \`touch ~/pwned2\` ; touch ~/pwned3 | &" "$TMP/o/evil/armhf/logs/step-01.log" && [ -x "$TMP/o/evil/armhf/odd name;touch pwned4" ] && ! ls "$REMOTE_HOME"/pwned* >/dev/null 2>&1'

# Missing build dependencies: named, and not installed without --remote-install-deps.
sed 's/^build_deps: .*/build_deps: [make, zstd]/' "$TMP/evil.yaml" >"$TMP/deps.yaml"
XR_NS build "$TMP/deps.yaml" --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$CFG" --out-dir "$TMP/o"
check "a missing build dependency: refused, naming it and --remote-install-deps" eval 'rc_is 4 && err_has "lacks build dependencies: zstd" && err_has "--remote-install-deps"'

# Memory: a recipe that needs more than the host has gets a warning and one job.
sed 's/^build_deps: .*/build_deps: [make]\nmemory: 1000G/' "$TMP/evil.yaml" >"$TMP/big.yaml"
sed -i 's/^  - printf .*/  - echo "jobs=$XB_JOBS gomaxprocs=$GOMAXPROCS"/; s/^artifacts: .*/artifacts: [{path: never}]/' "$TMP/big.yaml"
XR_NS build "$TMP/big.yaml" --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$CFG" --out-dir "$TMP/o"
check "less memory than the recipe needs: a warning, one job at a time" eval 'err_has "declares it needs 1024000 MiB" && grep -qx "jobs=1 gomaxprocs=1" "$TMP/o/evil/armhf/logs/step-01.log"'

# A step past the recipe's timeout is stopped on the host, its whole process group.
cat >"$TMP/slow.yaml" <<'Y'
name: slow
summary: s
arches: [armhf]
source: {local: src}
steps: ["sleep 4343 & sleep 4343"]
artifacts: [{path: never}]
timeout: 5
Y
XR_NS build "$TMP/slow.yaml" --arch armhf --strategy remote --host builder@198.51.100.2 --ssh-config "$CFG" --out-dir "$TMP/o"
for i in $(seq 100); do ! remote_proc "sleep 4343" && break; sleep 0.2; done
check "a step over its timeout: stopped on the host with its children, exit 1" eval 'rc_is 1 && err_has "timed out after 5 s" && ! remote_proc "sleep 4343" && no_work'

# A dropped connection mid-step: the host stops the step and removes the work dir itself.
cat >"$TMP/long.yaml" <<'Y'
name: long
summary: s
arches: [armhf]
source: {local: src}
steps: ["echo started; sleep 4242"]
artifacts: [{path: never}]
Y
"$H" exec "$S" "$XB" --cache-dir "$CACHE" build "$TMP/long.yaml" --strategy remote --host builder@198.51.100.2 --ssh-config "$CFG" --out-dir "$TMP/o" >/dev/null 2>"$TMP/long.err" &
xpid=$!
for i in $(seq 300); do remote_proc "sleep 4242" && break; sleep 0.2; done
check "the long step runs on the host" eval 'remote_proc "sleep 4242" && ! no_work'
"$H" drop "$S"
wait $xpid
xrc=$?
check "xbuild reports the lost connection (exit 1)" eval '[ $xrc = 1 ] && grep -q "Lost the connection" "$TMP/long.err"'
for i in $(seq 150); do ! remote_proc "sleep 4242" && no_work && break; sleep 0.2; done
check "after the drop: no build process left on the host, its work dir removed" eval '! remote_proc "sleep 4242" && no_work'

# A pool: hosts.yaml; builds take a free host, one build per host at a time.
cat >"$TMP/hosts.yaml" <<Y
hosts:
  - {name: simhost, ssh: builder@198.51.100.2, arch: armhf, ssh_config: $CFG}
Y
xr plan tiny-engine --arch armhf --strategy remote --hosts "$TMP/hosts.yaml"
check "plan: the pool serves armhf" eval 'rc_is 0 && out_has "1 armhf host(s) of"'
"$H" exec "$S" "$XB" --cache-dir "$CACHE" build tiny-engine --arch armhf --strategy remote --hosts "$TMP/hosts.yaml" --out-dir "$TMP/p1" >/dev/null 2>"$TMP/p1.err" &
p1=$!
"$H" exec "$S" "$XB" --cache-dir "$CACHE" build tiny-engine --arch armhf --strategy remote --hosts "$TMP/hosts.yaml" --out-dir "$TMP/p2" >/dev/null 2>"$TMP/p2.err" &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
check "two builds, one host: both succeed, one waited for the other" eval '[ $r1 = 0 ] && [ $r2 = 0 ] && cat "$TMP/p1.err" "$TMP/p2.err" | grep -q "busy; waiting for simhost" && grep -q "simhost" "$TMP/p1.err"'
xr build tiny-engine --arch arm64 --strategy remote --hosts "$TMP/hosts.yaml" --out-dir "$TMP/o"
check "no host for the arch: exit 4, saying so" eval 'rc_is 4 && (err_has "No arm64 host" || err_has "cannot run")'
printf 'hosts:\n  - {name: x, ssh: "-oProxyCommand=touch /tmp/xb-pwned", arch: armhf}\n' >"$TMP/badhosts.yaml"
xr build tiny-engine --arch armhf --strategy remote --hosts "$TMP/badhosts.yaml" --out-dir "$TMP/o"
check "a host starting with '-' in hosts.yaml: FILE:LINE:COL, exit 2" eval 'rc_is 2 && err_has "badhosts.yaml:2:" && [ ! -e /tmp/xb-pwned ]'
xr build tiny-engine --arch armhf --strategy remote --host=-oProxyCommand=x --out-dir "$TMP/o"
check "--host starting with '-': usage error" eval 'rc_is 2'

check "no ssh control directory of ours left in /tmp" eval '[ "$(ls -d /tmp/xbuild-ssh-* 2>/dev/null | wc -l)" = "$SSHDIRS_BEFORE" ]'

# Teardown: nothing left.
"$H" down "$S"
check "down: the namespaces are gone" eval '! ip netns list | grep -q "^${NS}[hc]"'
check "down: no process left, no mount, state removed" eval '[ ! -d "/proc/$UNSHARE" ] && ! grep -qF -- "$S" /proc/self/mountinfo && [ ! -e "$S" ]'
done_testing
