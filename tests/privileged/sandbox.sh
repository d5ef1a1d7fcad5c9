#!/usr/bin/env bash
# Smoke runs cannot touch the host: an ARM program that writes /etc and a host path, mounts,
# kills a host process and connects to a host port is verified as root and as an unprivileged
# user; the host sees none of it, and the program did run (its own words come back).
XB=$1
source "$(dirname "$0")/priv-lib.bash"
needs qemu-arm-static arm-linux-gnueabihf-gcc python3 runuser
HELPERS=$(cd "$(dirname "$0")/../helpers" && pwd)
arm-linux-gnueabihf-gcc -static -O2 -o "$TMP/hostile" "$HELPERS/hostile-smoke.c"
check "the hostile program builds for armhf" test -x "$TMP/hostile"
sleep 600 &
VICTIM=$!
python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1); print(s.getsockname()[1], flush=True); c,_=s.accept(); open(sys.argv[1],"w").write("connected\n")' "$TMP/connected" >"$TMP/port" &
LISTENER=$!
for i in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/port")
MOUNTS=$(wc -l </proc/self/mountinfo)
HOSTFILE="$TMP/written-by-the-smoke-run"

run verify "$TMP/hostile" --arch armhf --static --run="$VICTIM $HOSTFILE $PORT"
check "as root: the program ran in its sandbox and said what it could not do" eval 'rc_is 3 && out_has "write /etc/xbuild-hostile: No such file or directory" && out_has "connect to the host: Network is unreachable"'
check "as root: no file in /etc, none at the host's path" eval '[ ! -e /etc/xbuild-hostile ] && [ ! -e "$HOSTFILE" ]'
check "as root: the host's process lives, no connection came, no mount appeared" eval 'kill -0 $VICTIM && [ ! -e "$TMP/connected" ] && [ "$(wc -l </proc/self/mountinfo)" = "$MOUNTS" ]'

# Unprivileged: a user namespace gives the sandbox its root; the same holds.
chmod 755 "$TMP" "$TMP/hostile"
if runuser -u nobody -- test -x "$XB"; then
        runuser -u nobody -- "$XB" verify "$TMP/hostile" --arch armhf --static --run="$VICTIM $HOSTFILE $PORT" >"$TMP/out" 2>"$TMP/err"
        RC=$?
        OUT=$(cat "$TMP/out")
        check "as nobody: the program ran in its sandbox" eval 'rc_is 3 && out_has "kill the host'"'"'s process: No such process" && out_has "connect to the host: Network is unreachable"'
        check "as nobody: the host is untouched" eval '[ ! -e /etc/xbuild-hostile ] && [ ! -e "$HOSTFILE" ] && kill -0 $VICTIM && [ ! -e "$TMP/connected" ] && [ "$(wc -l </proc/self/mountinfo)" = "$MOUNTS" ]'
        # A host that refuses the sandbox (no user namespaces): exit 4 and why, never a run outside.
        saved=$(cat /proc/sys/user/max_user_namespaces)
        if (echo 0 >/proc/sys/user/max_user_namespaces) 2>/dev/null; then
                runuser -u nobody -- "$XB" verify "$TMP/hostile" --arch armhf --static --run="$VICTIM $HOSTFILE $PORT" >"$TMP/out" 2>"$TMP/err"
                RC=$?
                echo "$saved" >/proc/sys/user/max_user_namespaces
                check "no sandbox possible: exit 4 naming the cause, nothing run" eval 'rc_is 4 && err_has "this host refuses one" && err_has "user namespaces" && [ ! -e /etc/xbuild-hostile ] && kill -0 $VICTIM'
        else
                ok "no sandbox possible # SKIP user.max_user_namespaces is read-only here"
        fi
else
        ok "as nobody # SKIP nobody cannot run $XB"
fi
kill $VICTIM $LISTENER 2>/dev/null
wait $VICTIM $LISTENER 2>/dev/null
done_testing
