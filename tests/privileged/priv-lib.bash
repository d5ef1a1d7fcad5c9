# Shared by the privileged suites: root and the host tools or skip, the shared test cache, and
# the host invariants checked after builds.
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xbuild-tests/cache
source "$(dirname "${BASH_SOURCE[0]}")/../cli/tap-lib.bash"
# needs TOOL...: skip the whole suite unless root with every tool.
needs() {
        if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
        for tool in "$@"; do
                command -v "$tool" >/dev/null || { echo "1..0 # SKIP needs $tool"; exit 77; }
        done
}
xr() { run --cache-dir "$CACHE" "$@"; }
no_mounts() { ! grep -qF -- "$CACHE" /proc/self/mountinfo; }
no_sessions() { [ -z "$(ls -A "$CACHE/sessions" 2>/dev/null)" ]; }
