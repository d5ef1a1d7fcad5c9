#!/usr/bin/env bash
# show and plan on the shipped recipes; build reports honestly that it cannot run yet.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
SRC=$XB_SOURCE_ROOT
WORK=$TMP/work
mkdir -p "$WORK"
cd "$WORK"

run show moby-20.10
check "show: the second repository and what differs per arch" eval 'rc_is 0 && out_has "sources[0]: git at components/cli (https://github.com/docker/cli.git v20.10.24" && out_has "per_arch armhf: env artifacts"'
run show runc --variant debian
check "show --variant: the Debian source and the recipe's variants" eval 'rc_is 0 && out_has "shown as variant: debian" && out_has "package: runc" && out_has "variants: debian"'
run show docker-1.10
check "show docker-1.10: pinned commit, daemon check" eval 'rc_is 0 && out_has "commit: 20f81dde9bd97c86b2d0e33bbbf1388018611929" && out_has "'"'"'daemon'"'"' '"'"'--help'"'"'"'
run show docker-1.10 --json
check "show --json" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .source.commit)" = 20f81dde9bd97c86b2d0e33bbbf1388018611929 ] && [ "$(echo "$OUT" | jq -r ".artifacts[0].expect.runs[1].args[0]")" = daemon ]'
run show "$SRC/recipes/tiny-engine.yaml" --json
check "show by path; local source made absolute and normal" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .source.path)" = "$SRC/examples/tiny-engine" ]'
run show tiny-engine.yaml
check "a .yaml argument is a path (relative to cwd)" eval 'rc_is 2 && err_has "tiny-engine.yaml:1:1: no such file"'

# The host's tools decide the plan: with an empty PATH no strategy can run.
mkdir -p "$TMP/emptybin"
XB_PATH=$TMP/emptybin
run plan tiny-engine
check "plan tiny-engine: default arch, every strategy probed" eval 'rc_is 0 && out_has "arch:        armhf" && out_has "cross" && out_has "chroot" && out_has "qemu-system" && out_has "remote"'
check "plan tiny-engine: says why nothing is chosen" eval 'out_has "chosen:      none" && out_has "no strategy can build here" && out_has "host lacks: qemu-arm-static"'
check "plan tiny-engine: artifact destination" eval 'out_has "tinyctr -> out/tiny-engine/armhf/tinyctr"'
run plan tiny-engine --json --out-dir /srv/out
check "plan --json: cross environment from the gcc toolchain" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .env.CC)" = arm-linux-gnueabihf-gcc ] && [ "$(echo "$OUT" | jq -r .artifacts[0].dest)" = /srv/out/tiny-engine/armhf/tinyctr ]'
run plan tiny-engine --arch arm64 --strategy chroot --json
check "plan --strategy chroot: paths inside the ARM root" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .env.XB_SRCDIR)" = /xbuild/src ] && [ "$(echo "$OUT" | jq -r .forced)" = true ] && [ "$(echo "$OUT" | jq -r .env.XB_ARCH)" = arm64 ]'
run plan docker-1.10 --arch armel --json
check "plan docker-1.10 armel: GOARM=5 through the go toolchain and the recipe" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .env.GOARM)" = 5 ] && [ "$(echo "$OUT" | jq -r .env.CC)" = arm-linux-gnueabi-gcc ]'
run plan docker-1.10 --host -oProxyCommand=x
check "a host starting with '-' is refused" eval 'rc_is 2 && err_has "must not start with"'
run plan tiny-engine --arch arm65
check "unknown arch: did-you-mean, exit 2" eval 'rc_is 2 && err_has "unknown architecture '"'"'arm65'"'"' (did you mean '"'"'arm64'"'"'?)"'
run plan tiny-engine --strategy chroott
check "unknown strategy: did-you-mean, exit 2" eval 'rc_is 2 && err_has "did you mean '"'"'chroot'"'"'"'
run plan dockre-1.10
check "unknown recipe: did-you-mean, exit 2" eval 'rc_is 2 && err_has "no recipe named '"'"'dockre-1.10'"'"' (did you mean '"'"'docker-1.10'"'"'?)"'

cat >"$TMP/one-arch.yaml" <<'Y'
name: one-arch
summary: s
arches: [armhf]
source: {local: .}
steps: [make]
artifacts: [{path: a}]
Y
run plan "$TMP/one-arch.yaml" --arch arm64
check "an arch the recipe lacks: exit 2" eval 'rc_is 2 && err_has "does not support arm64 (it supports: armhf)"'

run build tiny-engine
check "build: exit 4 and says why" eval 'rc_is 4 && err_has "Cannot build '"'"'tiny-engine'"'"' for armhf" && err_has "xbuild plan tiny-engine"'
run tiny-engine --arch arm64
check "'xbuild RECIPE' is 'xbuild build RECIPE'" eval 'rc_is 4 && err_has "for arm64"'

if [ "$(id -u)" = 0 ]; then
        mkdir -p "$TMP/qbin" && ln -sf /bin/true "$TMP/qbin/qemu-arm-static"
        XB_PATH=$TMP/qbin run plan tiny-engine --json
        check "as root with qemu-arm-static: auto chooses chroot" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .chosen)" = chroot ] && [ "$(echo "$OUT" | jq -r .env.XB_SRCDIR)" = /xbuild/src ]'
        # Root without CAP_SYS_ADMIN (a container that dropped it): refused before anything is made.
        XB_REAL=$XB XB=$(command -v setpriv)
        XB_PATH=$TMP/qbin run --bounding-set=-sys_admin --inh-caps=-sys_admin -- "$XB_REAL" --cache-dir "$TMP/nocap" build tiny-engine --strategy=chroot -o "$TMP/nocap-out"
        check "root without CAP_SYS_ADMIN: chroot build refused with exit 4 and a sentence" eval 'rc_is 4 && err_has "without CAP_SYS_ADMIN" && [ ! -e "$TMP/nocap/sessions" ] && [ "$(jq -r .status "$TMP/nocap-out/tiny-engine/armhf/report.json")" = host-failure ]'
        run --bounding-set=-sys_admin --inh-caps=-sys_admin -- "$XB_REAL" --cache-dir "$TMP/nocap" run --arch armhf -- true
        check "root without CAP_SYS_ADMIN: 'xbuild run' refused with exit 4" eval 'rc_is 4 && err_has "without CAP_SYS_ADMIN" && [ ! -e "$TMP/nocap/rootfs" ]'
        XB=$XB_REAL
else
        echo "ok - auto chooses chroot # SKIP needs root"; TAP_N=$((TAP_N + 1))
        echo "ok - CAP_SYS_ADMIN checks # SKIP needs root"; TAP_N=$((TAP_N + 1))
fi
# The functional test's front: what is refused before any VM or root file system work.
run test cgo-engine --arch armhf --out-dir "$TMP/tout"
check "test: a recipe without a test section is bad input" eval 'rc_is 2 && err_has "has no '"'"'test:'"'"' section"'
run build cgo-engine --arch armhf --test --out-dir "$TMP/tout"
check "build --test: refused before building when the recipe has no test" eval 'rc_is 2 && err_has "has no '"'"'test:'"'"' section" && [ ! -e "$TMP/tout/cgo-engine" ]'
run test tiny-engine --strategy cross
check "test: --strategy does not apply (the VM always)" eval 'rc_is 2 && err_has "--strategy and --host do not apply"'
run build tiny-engine --artifacts /tmp
check "build: --artifacts is for test" eval 'rc_is 2 && err_has "--artifacts is for"'
run test tiny-engine --arch armhf --artifacts "$TMP/no such dir" --out-dir "$TMP/tout"
check "test: missing artifacts named, exit 2, a report says so" eval 'rc_is 2 && err_has "No artifact '"'"'tinyctr'"'"' in $TMP/no such dir" && [ "$(jq -r .test.status "$TMP/tout/tiny-engine/armhf/test-report.json")" = error ] && [ "$(jq -r .test.exit_code "$TMP/tout/tiny-engine/armhf/test-report.json")" = 2 ]'
# An install tree (tree: true) is a directory among the artifacts: a file of its name is not one.
mkdir -p "$TMP/tart"
: >"$TMP/tart/tinyctr"
: >"$TMP/tart/root"
printf 'name: treetest\nsummary: s\narches: [armhf]\nsource: {local: %s}\nsteps: ["true"]\nartifacts: [{path: tinyctr}, {path: destdir, tree: true, install_as: root}]\ntest: {run: "true", expect: x}\n' "$TMP" >"$TMP/treetest.yaml"
run test "$TMP/treetest.yaml" --arch armhf --artifacts "$TMP/tart" --out-dir "$TMP/tout"
check "test: an install tree that is not a directory is named as a missing tree, exit 2" eval 'rc_is 2 && err_has "No artifact tree '"'"'root'"'"' in $TMP/tart"'
run show tiny-engine --json
check "show --json: the test section" eval 'rc_is 0 && [ "$(echo "$OUT" | jq -r .test.expect)" = "hello-from-\${arch}" ] && [ "$(echo "$OUT" | jq -r .test.cgroup)" = v2 ] && [ "$(echo "$OUT" | jq -r .test.daemon.timeout)" = 30 ]'
run show docker-1.10
check "show: the test section in words" eval 'rc_is 0 && out_has "test: in the ARM VM, cgroup v1, expects '"'"'hello-from-\${arch}'"'"'"'
check "nothing written to HOME, the cache or cwd" eval '[ -z "$(find "$HOME" "$WORK" -mindepth 1 | head -1)" ]'
done_testing
