#!/usr/bin/env bash
# check-config on Debian's own armhf kernel package, fetched from the host's mirror (cached
# between runs), against every shipped profile.
XB=$1
TEST_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-tests
source "$(dirname "$0")/../cli/tap-lib.bash"
HELPERS=$(readlink -f "$(dirname "$0")/../helpers")
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root (apt with a private configuration)"; exit 77; fi
D=$TEST_CACHE/kernel-armhf
mkdir -p "$D"
deb=$(ls "$D"/linux-image-*-armmp_*_armhf.deb 2>/dev/null | grep -v 'linux-image-armmp_' | head -1)
if [ -z "$deb" ]; then
        "$HELPERS/apt-download.sh" armhf "$D" linux-image-armmp
        dep=$(dpkg-deb -f "$D"/linux-image-armmp_*.deb Depends | cut -d' ' -f1 | tr -d ,)
        "$HELPERS/apt-download.sh" armhf "$D" "$dep"
        deb=$(ls "$D"/linux-image-*-armmp_*_armhf.deb | grep -v 'linux-image-armmp_' | head -1)
fi
check "Debian's armhf kernel package from the host's mirror" eval '[ -s "$deb" ]'
for p in docker-1.10 docker-modern lxc; do
        run check-config "$deb" --profile $p --json
        check "$p on Debian's armmp kernel: nothing required missing" eval 'rc_is 0 && [ "$(echo "$OUT" | jq .missing_required)" = 0 ] && [ "$(echo "$OUT" | jq .ok)" -ge 25 ] && [ "$(echo "$OUT" | jq -r .kernel_version)" != null ]'
done
done_testing
