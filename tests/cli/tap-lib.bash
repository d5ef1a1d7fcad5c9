# Shared by the CLI tests: TAP output and running the binary with captured streams.
# Usage: XB=path/to/xbuild; source tap-lib.bash
set -u
set +e
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
# Cleanup hooks run on exit, last first: e.g. CLEANUP+=("kill $pid").
CLEANUP=()
on_exit() {
        local i
        for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[$i]}" || true; done
        rm -rf "$TMP"
}
trap on_exit EXIT
# Everything runs with its own HOME and cache, so a test can prove nothing was written.
export HOME=$TMP/home XDG_CACHE_HOME=$TMP/home/.cache NO_COLOR=1
mkdir -p "$HOME"

# run ARGS...: sets RC, OUT (stdout), ERR (stderr)
run() {
        set +e
        # XB_PATH: the PATH xbuild sees, to simulate hosts with or without a tool.
        PATH="${XB_PATH:-$PATH}" "$XB" "$@" >"$TMP/out" 2>"$TMP/err"
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

# start_http DOCROOT: a loopback server of our own (tests/helpers/http-server.py); sets
# HTTP_PORT, HTTP_LOG, BASE. It is stopped by PID when the test exits.
start_http() {
        local dir=$1 i
        HTTP_LOG=$TMP/http.log
        : >"$HTTP_LOG"
        python3 "$(dirname "${BASH_SOURCE[0]}")/../helpers/http-server.py" "$TMP/http.port" "$HTTP_LOG" "$dir" 600 &
        local pid=$!
        CLEANUP+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
        for i in $(seq 100); do [ -s "$TMP/http.port" ] && break; sleep 0.05; done
        HTTP_PORT=$(cat "$TMP/http.port")
        BASE=http://127.0.0.1:$HTTP_PORT
}
# requests PATH: how many requests the server saw for PATH
requests() { grep -c "\"path\": \"$1\"" "$HTTP_LOG" || true; }
# snapshot DIR: every path, size and mode under DIR, to compare before and after
snapshot() { (cd "$1" && find . -printf '%p %s %m %y\n' | sort); }
