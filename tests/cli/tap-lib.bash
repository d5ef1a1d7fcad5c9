# Shared by the CLI tests: TAP output and running the binary with captured streams.
# Usage: XB=path/to/xbuild; source tap-lib.bash
set -u
XB=$(readlink -f "$XB")
TAP_N=0
TAP_FAIL=0
ok() { TAP_N=$((TAP_N+1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N+1)); TAP_FAIL=1; echo "not ok $TAP_N - $*"; }
check() { # check DESCRIPTION CONDITION...
        local d=$1; shift
        if "$@"; then ok "$d"; else not_ok "$d"; diag_last; fi
}
done_testing() { echo "1..$TAP_N"; exit $TAP_FAIL; }

TMP=$(mktemp -d /tmp/xbuild-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# Everything runs with its own HOME and cache, so a test can prove nothing was written.
export HOME=$TMP/home XDG_CACHE_HOME=$TMP/home/.cache NO_COLOR=1
mkdir -p "$HOME"

# run ARGS...: sets RC, OUT (stdout), ERR (stderr)
run() {
        set +e
        "$XB" "$@" >"$TMP/out" 2>"$TMP/err"
        RC=$?

        OUT=$(cat "$TMP/out")
        ERR=$(cat "$TMP/err")
}
diag_last() {
        echo "# rc=$RC"
        sed 's/^/# out: /' "$TMP/out" | head -20
        sed 's/^/# err: /' "$TMP/err" | head -20
}
rc_is() { [ "$RC" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$TMP/out"; }
err_has() { grep -qF -- "$1" "$TMP/err"; }
err_is() { [ "$ERR" = "$1" ]; }
err_lines() { [ "$(wc -l <"$TMP/err")" -eq "$1" ]; }
