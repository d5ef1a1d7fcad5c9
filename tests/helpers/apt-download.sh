#!/usr/bin/env bash
# apt-download.sh ARCH OUTDIR PACKAGE...: downloads Debian packages of a foreign architecture
# from the host's own Debian mirror, with a private apt configuration (the host's dpkg and apt
# state are never touched). The mirror is read from the host's apt sources.
set -euo pipefail
arch=$1 out=$2
shift 2
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 ~ /debian/ && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "apt-download: no Debian mirror in the host's apt sources" >&2; exit 1; }
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
A=$(mktemp -d /tmp/xbuild-apt.XXXXXX)
trap 'rm -rf "$A"' EXIT
mkdir -p "$A/etc/apt/apt.conf.d" "$A/etc/apt/preferences.d" "$A/etc/apt/sources.list.d" \
        "$A/var/lib/apt/lists/partial" "$A/var/cache/apt/archives/partial" "$A/var/lib/dpkg"
touch "$A/var/lib/dpkg/status"
cat >"$A/apt.conf" <<C
Dir "$A/";
Dir::State "var/lib/apt/";
Dir::State::status "$A/var/lib/dpkg/status";
Dir::Cache "var/cache/apt/";
Dir::Etc "etc/apt/";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d/";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Sandbox::User "root";
Acquire::Languages "none";
C
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$A/etc/apt/sources.list"
export APT_CONFIG=$A/apt.conf
apt-get -q update >&2
mkdir -p "$out"
cd "$out"
apt-get -q download "$@" >&2
