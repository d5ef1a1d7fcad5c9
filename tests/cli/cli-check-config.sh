#!/usr/bin/env bash
# check-config on crafted configurations: built-in, module, missing, alternatives, version
# gates, every input kind (.config, config.gz, kernel .deb, IKCONFIG image, compressed image),
# and the fragment that makes the check pass.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
SRC=$XB_SOURCE_ROOT
PROFILE=$SRC/recipes/kconfig/docker-1.10.yaml
# full VERSION: every option of the profile set to y (Linux header first)
full() {
        echo "# Linux/arm $1 Kernel Configuration"
        grep -oE 'name: [A-Z0-9_]+' "$PROFILE" | sed 's/name: /CONFIG_/; s/$/=y/'
}
full 4.9.0 >"$TMP/full.config"
run check-config "$TMP/full.config"
check "everything set: exit 0, nothing required missing" eval 'rc_is 0 && out_has "0 required missing, 0 optional missing"'
check "an option gated to older kernels is not applicable on 4.9" eval 'out_has "CONFIG_RESOURCE_COUNTERS: not applicable"'

grep -v '^CONFIG_PID_NS=' "$TMP/full.config" >"$TMP/nopid.config"
run check-config "$TMP/nopid.config"
check "a required option missing: exit 1, named with its reason" eval 'rc_is 1 && out_has "CONFIG_PID_NS: missing" && out_has "process namespace per container" && out_has "1 required missing"'

sed 's/^CONFIG_VETH=y/CONFIG_VETH=m/; s/^CONFIG_SECCOMP=y/CONFIG_SECCOMP=m/' "$TMP/full.config" >"$TMP/mod.config"
run check-config "$TMP/mod.config"
check "=m where a module suffices: enabled (as module)" eval 'rc_is 0 && out_has "CONFIG_VETH: enabled (as module)"'
check "=m where it does not (SECCOMP): missing" eval 'out_has "CONFIG_SECCOMP: missing (optional)"'

{ grep -v "^CONFIG_OVERLAY_FS=" "$TMP/full.config"; echo CONFIG_AUFS_FS=y; } >"$TMP/alt.config"
run check-config "$TMP/alt.config"
check "a storage driver through an alternative (any_of)" eval 'rc_is 0 && out_has "CONFIG_OVERLAY_FS: enabled through an alternative (CONFIG_AUFS_FS)"'

grep -v '^CONFIG_DEVPTS_MULTIPLE_INSTANCES=' "$TMP/full.config" | sed 's/^# Linux\/arm 4.9.0/# Linux\/arm 3.10.0/' >"$TMP/old.config"
run check-config "$TMP/old.config"
check "DEVPTS_MULTIPLE_INSTANCES missing on 3.10: required" eval 'rc_is 1 && out_has "CONFIG_DEVPTS_MULTIPLE_INSTANCES: missing"'
run check-config "$TMP/old.config" --kernel-version 4.7
check "--kernel-version 4.7 makes it not applicable" eval 'rc_is 0 && out_has "CONFIG_DEVPTS_MULTIPLE_INSTANCES: not applicable"'

run check-config "$TMP/nopid.config" --json
check "--json counts" eval 'rc_is 1 && [ "$(echo "$OUT" | jq .missing_required)" = 1 ] && [ "$(echo "$OUT" | jq -r ".options[] | select(.name == \"PID_NS\") | .state")" = missing ] && [ "$(echo "$OUT" | jq -r .kernel_version)" = 4.9.0 ]'

# The fragment, merged after the config, makes the check pass.
grep -v -e '^CONFIG_PID_NS=' -e '^CONFIG_CGROUPS=' -e '^CONFIG_SECCOMP=' "$TMP/full.config" >"$TMP/gaps.config"
run check-config "$TMP/gaps.config" --fragment "$TMP/frag.config"
check "--fragment lists exactly the missing options" eval 'rc_is 1 && [ "$(grep -c ^CONFIG_ "$TMP/frag.config")" = 3 ] && grep -q "^CONFIG_SECCOMP=y" "$TMP/frag.config" && grep -q "^CONFIG_PID_NS=m" "$TMP/frag.config"'
cat "$TMP/gaps.config" "$TMP/frag.config" >"$TMP/merged.config"
run check-config "$TMP/merged.config"
check "merged with the fragment: passes" eval 'rc_is 0 && out_has "0 required missing, 0 optional missing"'

# Input kinds.
gzip -c "$TMP/nopid.config" >"$TMP/config.gz"
run check-config "$TMP/config.gz"
check "config.gz" eval 'rc_is 1 && out_has "CONFIG_PID_NS: missing"'
mkdir -p "$TMP/kpkg/DEBIAN" "$TMP/kpkg/boot"
printf 'Package: linux-image-test\nVersion: 1\nArchitecture: armhf\nMaintainer: t <t@example.invalid>\nDescription: d\n' >"$TMP/kpkg/DEBIAN/control"
cp "$TMP/nopid.config" "$TMP/kpkg/boot/config-4.9.0-test"
dpkg-deb --build -Zxz "$TMP/kpkg" "$TMP/kernel.deb" >/dev/null
run check-config "$TMP/kernel.deb"
check "a kernel .deb: its /boot/config-* is read" eval 'rc_is 1 && out_has "CONFIG_PID_NS: missing"'
{ head -c 4096 /dev/urandom; printf 'IKCFG_ST'; gzip -c "$TMP/nopid.config"; printf 'IKCFG_ED'; head -c 4096 /dev/urandom; } >"$TMP/Image"
run check-config "$TMP/Image"
check "a kernel image with IKCONFIG" eval 'rc_is 1 && out_has "CONFIG_PID_NS: missing"'
{ head -c 2048 /dev/zero; gzip -c "$TMP/Image"; } >"$TMP/zImage"
run check-config "$TMP/zImage"
check "a compressed kernel image with IKCONFIG inside" eval 'rc_is 1 && out_has "CONFIG_PID_NS: missing"'
head -c 8192 /dev/urandom >"$TMP/noise"
run check-config "$TMP/noise"
check "no configuration in the input: exit 2" eval 'rc_is 2 && err_has "no kernel configuration found"'
run check-config "$TMP/missing"
check "an unreadable input: exit 2" eval 'rc_is 2'
run check-config "$TMP/full.config" --profile nope
check "an unknown profile: exit 2 with did-you-mean or the list" eval 'rc_is 2 && err_has "no kconfig profile named"'
run check-config "$TMP/full.config" --recipe docker-1.10
check "--recipe takes the recipe's profile" eval 'rc_is 0 && out_has "profile docker-1.10"'
done_testing
