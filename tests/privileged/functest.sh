#!/usr/bin/env bash
# The functional test for real: tiny-engine built by cross, then its daemon and a container in
# the armhf VM (Debian's kernel with its modules mounted, cgroups, the busybox-static test
# image); a daemon-less test that loads modules under cgroup v1; a container that prints the
# wrong line and a daemon that never becomes ready, each failing with exit 3 and the logs'
# last lines; nothing left behind and the base image unchanged.
XB=$1
source "$(dirname "$0")/priv-lib.bash"
needs qemu-system-arm qemu-arm-static debootstrap mkfs.ext4 depmod arm-linux-gnueabihf-gcc jq
# Only QEMU processes booting from this cache (the test's).
no_qemu() { ! ps -eo args | grep -v grep | grep -q "^qemu-system.*$CACHE"; }
OUTD="$TMP/out dir"
ART="$OUTD/tiny-engine/armhf"

# Build and test in one command: the daemon serves the run, whose output comes back.
xr build tiny-engine --arch armhf --strategy cross --out-dir "$OUTD" --test
REP="$ART/report.json"
check "build --test: tiny-engine's daemon runs a container in the armhf VM" eval 'rc_is 0 && err_has "Functional test passed: '"'"'hello-from-armhf'"'"'" && [ "$(jq -r .test.status "$REP")" = passed ]'
check "report.json: each check ok, with timings, the guest's facts and the kconfig verdict" eval 'jq -e ".phases_seconds.test > 0 and ([.test.checks[] | select(.name != \"image\") | .status] | all(. == \"ok\")) and .test.seconds.boot > 0 and .test.seconds.daemon_ready >= 0 and .test.seconds.container_run > 0 and .test.guest.machine == \"armv7l\" and .test.guest.cgroup_mounted == \"v2\" and (.test.guest.kernel_release | endswith(\"armmp-lpae\")) and .test.kconfig_verdict == \"ok\" and .test.guest.clock_skew_seconds < 120 and .test.guest.clock_skew_seconds > -120" "$REP" >/dev/null'
check "the summary shows the test" eval 'err_has "| Test:      passed: the container printed '"'"'hello-from-armhf'"'"'"'
check "logs kept: console, daemon, run" eval 'grep -q "job-end 0" "$ART/logs/test-console.log" && grep -q "daemon listening" "$ART/logs/test-daemon.log" && grep -qx "hello-from-armhf" "$ART/logs/test-run.log"'
check "no QEMU, session or mount left" eval 'no_qemu && no_sessions && no_mounts'
IMG=$(sed -n 's/^Test VM root disk: \([^ ]*\).*/\1/p' "$TMP/err")
check "the test VM's root disk is read-only on the host" eval '[ -n "$IMG" ] && [ "$(stat -c %a "$IMG")" = 444 ]'
SUM=$(sha256sum "$IMG" | cut -d" " -f1)

# xbuild test on its own, with the artifacts where the build put them.
xr test tiny-engine --arch armhf --out-dir "$OUTD" --json
check "xbuild test: passes again, test-report.json on stdout and in OUT" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .test.status)" = passed ] && [ "$(jq -r .recipe "$ART/test-report.json")" = tiny-engine ]'

# A daemon-less test of the VM itself: modules load from the kit through the guest's kmod,
# cgroup v1 per controller, /run, /dev/shm, a clock in this century; an install tree (tree:
# true) laid over the guest's root: its link kept, /lib -> usr/lib still a link, ldconfig run.
# test_recipe NAME: the head of a recipe whose artifact is tinyctr; its test: section follows.
test_recipe() {
        printf 'name: %s\nsummary: s\narches: [armhf]\nsource: {local: %s}\nsteps: [make]\nartifacts: [{path: tinyctr}]\n' \
                "$1" "$XB_SOURCE_ROOT/examples/tiny-engine"
}
PROBE_ART=$TMP/probe-artifacts
mkdir -p "$PROBE_ART/root/usr/lib/xb-probe" "$PROBE_ART/root/lib/xb-merged"
cp "$ART/tinyctr" "$PROBE_ART/"
echo probe >"$PROBE_ART/root/usr/lib/xb-probe/probe.conf"
ln -s probe.conf "$PROBE_ART/root/usr/lib/xb-probe/probe.link"
echo merged >"$PROBE_ART/root/lib/xb-merged/m"
{ test_recipe vmprobe | sed 's|^artifacts: .*|artifacts: [{path: tinyctr}, {path: destdir, tree: true, install_as: root}]|'; cat <<Y
test:
  modules: [overlay, bridge, br_netfilter, veth]
  cgroup: v1
  run: |
    grep -qw overlay /proc/filesystems
    lsmod | grep -q '^br_netfilter '
    [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/devices ] && [ -d /sys/fs/cgroup/cpu ]
    mount | grep -q ' on /dev/shm type tmpfs' && mount | grep -q ' on /run type tmpfs'
    [ "\$(date +%Y)" -ge 2024 ]
    [ -x /usr/local/bin/tinyctr ] && [ -x "\$XB_TEST_ROOTFS/bin/sh" ] && tar -tf "\$XB_TEST_IMAGE" | grep -q '^./bin/busybox\$'
    [ "\$(cat /usr/lib/xb-probe/probe.conf)" = probe ] && [ "\$(readlink /usr/lib/xb-probe/probe.link)" = probe.conf ]
    [ -L /lib ] && [ "\$(cat /usr/lib/xb-merged/m)" = merged ] && [ ! -e /usr/local/bin/root ]
    echo vm-ready-\$XB_ARCH
  expect: vm-ready-\${arch}
Y
} >"$TMP/vmprobe.yaml"
xr test "$TMP/vmprobe.yaml" --arch armhf --out-dir "$OUTD" --artifacts "$PROBE_ART"
check "modules load in the guest, cgroup v1 per controller, /run, /dev/shm, the clock, the test image, an install tree over the root" eval 'rc_is 0 && [ "$(jq -r .test.guest.cgroup_mounted "$OUTD/vmprobe/armhf/test-report.json")" = v1 ]'

# The container prints something else: exit 3, what was expected and what came, the tails.
sed 's/^  expect: .*/  expect: hello-from-nowhere/' "$XB_SOURCE_ROOT/recipes/tiny-engine.yaml" | sed "s|local: ../examples|local: $XB_SOURCE_ROOT/examples|" >"$TMP/wrong.yaml"
xr test "$TMP/wrong.yaml" --arch armhf --out-dir "$OUTD" --artifacts "$ART"
WREP="$OUTD/tiny-engine/armhf/test-report.json"
check "wrong output: exit 3 naming the expected line and the one printed" eval 'rc_is 3 && err_has "The container did not print '"'"'hello-from-nowhere'"'"' (its last line: '"'"'hello-from-armhf'"'"')"'
check "wrong output: the daemon's and the console's last lines printed" eval 'err_has "Last lines of the daemon'"'"'s log" && err_has "Last lines of the console" && err_has "job-end 0"'
check "wrong output: the report says which check failed" eval 'jq -e ".test.status == \"failed\" and .test.exit_code == 3 and ([.test.checks[] | select(.name == \"output\")][0].status == \"failed\") and (.test.last_lines | contains(\"daemon listening\"))" "$WREP" >/dev/null'

# A daemon that never becomes ready: its timeout, exit 3, its log's last lines.
{ test_recipe neverready; cat <<Y
test:
  daemon:
    run: echo starting-but-never-serving; exec sleep 3600
    ready: test -S /run/never.sock || { echo no-socket-yet; exit 1; }
    timeout: 5
  run: echo unreachable
  expect: unreachable
Y
} >"$TMP/neverready.yaml"
xr test "$TMP/neverready.yaml" --arch armhf --out-dir "$OUTD" --artifacts "$ART"
check "a daemon never ready: exit 3 after its timeout, with what the readiness check said" eval 'rc_is 3 && err_has "The daemon did not become ready: xbuild-test: the daemon was not ready after 5 s (the readiness check said: no-socket-yet)"'
check "its log's last lines printed; the run never started" eval 'err_has "starting-but-never-serving" && jq -e "([.test.checks[] | select(.name == \"run\")][0].status == \"skipped\") and .test.seconds.vm_start_to_container_exit == null" "$OUTD/neverready/armhf/test-report.json" >/dev/null'
check "after the failures: no QEMU, session or mount left" eval 'no_qemu && no_sessions && no_mounts'
check "the base image is unchanged by every test" eval '[ -n "$SUM" ] && [ "$(sha256sum "$IMG" | cut -d" " -f1)" = "$SUM" ]'
done_testing
