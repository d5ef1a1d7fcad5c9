#!/usr/bin/env bash
# A simulated ARM build host for the remote strategy, without hardware (as root):
#
#   scripts/arm-ssh-host.sh up STATE [ARCH]    start one (ARCH: armhf by default)
#   scripts/arm-ssh-host.sh exec STATE CMD...  run CMD where the host is reachable
#   scripts/arm-ssh-host.sh drop STATE         cut every ssh connection (a network drop)
#   scripts/arm-ssh-host.sh down STATE         stop it and remove everything it made
#
# The host is sshd from an ARM Debian root (xbuild rootfs prepare debian-bookworm-sshd),
# executed by qemu-user, so 'uname -m' answers armv7l (aarch64 for arm64). It runs in its own
# network namespace, joined by a veth pair to a second, client namespace: 198.51.100.2 (the host)
# and 198.51.100.1 (the client), addresses of a documentation range that exist only inside
# those two namespaces. sshd also has private mount and PID namespaces: its root is an overlay
# on the cached tree (which is never written), with user 'builder' (key login only). Keys are
# made fresh in STATE. Then, for example:
#
#   scripts/arm-ssh-host.sh exec /tmp/h build/xbuild build tiny-engine --strategy=remote \
#           --host builder@198.51.100.2 --ssh-config /tmp/h/client/ssh_config
#
# XBUILD (default: build/xbuild) and XBUILD_OPTS (e.g. "--cache-dir DIR") choose the xbuild
# that prepares the root. 'down' is idempotent; run it even after a failed 'up'.
set -euo pipefail

die() { echo "arm-ssh-host: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
XBUILD=${XBUILD:-$here/../build/xbuild}
read -r -a xopts <<<"${XBUILD_OPTS:-}"
HOST_IP=198.51.100.2
CLIENT_IP=198.51.100.1

cmd=${1:-}
state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || die "usage: $0 up|exec|drop|down STATE [ARGS]"
[ "$(id -u)" = 0 ] || die "needs root (network, mount and PID namespaces)"
case $state in /*) ;; *) state=$PWD/$state ;; esac

# The processes this host consists of, by the PID we recorded: unshare, and sshd below it.
sshd_pid() {
        local u
        u=$(cat "$state/unshare.pid" 2>/dev/null) || return 1
        [ -r "/proc/$u/task/$u/children" ] || return 1
        awk '{print $1}' "/proc/$u/task/$u/children"
}

up() {
        local arch=${1:-armhf} tree ns
        [ ! -e "$state" ] || die "$state exists: 'down' it first"
        command -v ssh-keygen >/dev/null || die "ssh-keygen is missing: apt-get install openssh-client"
        "$XBUILD" "${xopts[@]}" rootfs prepare debian-bookworm-sshd --arch "$arch" >&2
        tree=$("$XBUILD" "${xopts[@]}" rootfs list | awk -v p="debian-bookworm-sshd-$arch-" 'index($1, p) == 1 {print $2; exit}')
        [ -d "$tree" ] || die "no prepared debian-bookworm-sshd tree for $arch"
        mkdir -p "$state"/{srv,client,upper,work,merged}
        ns=xbh$$
        echo "$ns" >"$state/ns"
        echo "$tree" >"$state/tree"

        ssh-keygen -q -t ed25519 -N '' -C arm-ssh-host -f "$state/srv/ssh_host_ed25519_key"
        ssh-keygen -q -t ed25519 -N '' -C xbuild-client -f "$state/client/id_ed25519"
        cp "$state/client/id_ed25519.pub" "$state/srv/authorized_keys"
        echo "$HOST_IP $(cut -d' ' -f1,2 "$state/srv/ssh_host_ed25519_key.pub")" >"$state/client/known_hosts"
        cat >"$state/srv/sshd_config" <<EOF
Port 22
ListenAddress 0.0.0.0
HostKey /run/arm-ssh-host/ssh_host_ed25519_key
AuthorizedKeysFile /run/arm-ssh-host/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers builder
StrictModes no
UseDNS no
PidFile none
EOF
        cat >"$state/client/ssh_config" <<EOF
Host *
  User builder
  IdentityFile $state/client/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $state/client/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
EOF
        chmod 600 "$state/client/ssh_config"

        # 'ip netns add' bind-mounts /run/netns on itself the first time: undo it only if ours.
        [ -d /run/netns ] && grep -q " /run/netns " /proc/self/mountinfo || touch "$state/made-run-netns"
        ip netns add "${ns}h"
        ip netns add "${ns}c"
        ip -n "${ns}h" link add eth0 type veth peer name eth0 netns "${ns}c"
        ip -n "${ns}h" addr add "$HOST_IP/24" dev eth0
        ip -n "${ns}c" addr add "$CLIENT_IP/24" dev eth0
        for n in "${ns}h" "${ns}c"; do
                ip -n "$n" link set lo up
                ip -n "$n" link set eth0 up
        done

        # sshd: PID 1 of its own PID namespace (everything it leaves dies with it), every mount
        # private to its mount namespace (nothing to undo on the host).
        # shellcheck disable=SC2016
        ip netns exec "${ns}h" unshare --mount --pid --fork --kill-child=SIGKILL --propagation private -- /bin/sh -ec '
                tree=$1 state=$2 m=$2/merged
                mount -t overlay overlay -o "lowerdir=$tree,upperdir=$state/upper,workdir=$state/work" "$m"
                useradd --root "$m" -m -d /home/builder -s /bin/sh builder 2>/dev/null || true
                usermod --root "$m" -p "*" builder
                mount -t proc proc "$m/proc"
                mount -t tmpfs -o mode=755 tmpfs "$m/run"
                mkdir -p "$m/run/sshd" "$m/run/arm-ssh-host"
                mount --bind "$state/srv" "$m/run/arm-ssh-host"
                mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
                mkdir -p "$m/dev/pts"
                mount -t devpts -o newinstance,ptmxmode=0666 devpts "$m/dev/pts"
                [ -e "$m/dev/ptmx" ] || touch "$m/dev/ptmx"
                mount --bind "$m/dev/pts/ptmx" "$m/dev/ptmx"
                exec chroot "$m" /usr/sbin/sshd -D -e -f /run/arm-ssh-host/sshd_config
        ' arm-ssh-host "$tree" "$state" >"$state/sshd.log" 2>&1 &
        echo $! >"$state/unshare.pid"

        local i
        for i in $(seq 300); do
                if ip netns exec "${ns}c" ssh -F "$state/client/ssh_config" -o ConnectTimeout=5 "$HOST_IP" true 2>/dev/null; then
                        echo "host builder@$HOST_IP"
                        echo "ssh_config $state/client/ssh_config"
                        return 0
                fi
                kill -0 "$(cat "$state/unshare.pid")" 2>/dev/null || break
                sleep 0.2
        done
        cat "$state/sshd.log" >&2 || true
        die "sshd did not come up (log above)"
}

# Every connection's sshd processes (the monitor and its privilege-separated child), not what
# they started: a lost link leaves the session's processes to fend for themselves, as on a
# real board. Only the connections open now: one made right after is not touched.
is_sshd() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "/usr/sbin/sshd"; }
drop() {
        local s c g pids=()
        s=$(sshd_pid) || die "not running"
        for c in $(cat "/proc/$s/task/"*/children 2>/dev/null); do
                is_sshd "$c" || continue
                pids+=("$c")
                for g in $(cat "/proc/$c/task/"*/children 2>/dev/null); do
                        is_sshd "$g" && pids+=("$g")
                done
        done
        [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
}

down() {
        local u s ns i
        [ -d "$state" ] || return 0
        u=$(cat "$state/unshare.pid" 2>/dev/null || true)
        # unshare --fork blocks SIGTERM itself: stop its child, sshd, PID 1 of the namespace.
        if [ -n "$u" ] && [ -d "/proc/$u" ]; then
                s=$(sshd_pid || true)
                [ -z "$s" ] || kill -TERM "$s" 2>/dev/null || true
                for i in $(seq 50); do [ -d "/proc/$u" ] || break; sleep 0.1; done
                [ ! -d "/proc/$u" ] || kill -KILL "$u" 2>/dev/null || true
                for i in $(seq 50); do [ -d "/proc/$u" ] || break; sleep 0.1; done
        fi
        ns=$(cat "$state/ns" 2>/dev/null || true)
        if [ -n "$ns" ]; then
                ip netns del "${ns}h" 2>/dev/null || true
                ip netns del "${ns}c" 2>/dev/null || true
        fi
        if [ -e "$state/made-run-netns" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
                umount /run/netns 2>/dev/null || true
        fi
        if grep -qF -- "$state" /proc/self/mountinfo; then
                die "something is still mounted below $state: not removing it"
        fi
        rm -rf -- "$state"
}

case $cmd in
up) up "${3:-armhf}" ;;
exec)
        shift 2
        [ $# -gt 0 ] || die "exec needs a command"
        exec ip netns exec "$(cat "$state/ns")c" "$@"
        ;;
drop) drop ;;
down) down ;;
*) die "unknown command '$cmd'" ;;
esac
