#!/usr/bin/env bash
# Source rules that a compiler does not check: banned calls (STYLE.md §3) and every test file
# registered in tests/meson.build (an unregistered test is a test that never runs).
set -u
root=$1
n=0 fail=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
notok() { n=$((n+1)); fail=1; echo "not ok $n - $1"; }

banned='\b(strcpy|sprintf|strtok|atoi|system|popen|mktemp|alloca|gets)[[:space:]]*\('
# Comment lines (" * ...", "/* ...") are prose: "file system (" is not a call.
hits=$(grep -rnE "$banned" "$root/src" --include='*.c' --include='*.h' | grep -vE '^[^:]+:[0-9]+:\s*(\*|/\*|//)' || true)
if [ -z "$hits" ]; then ok "no banned functions in src/"; else notok "banned functions in src/"; echo "$hits" | sed 's/^/# /'; fi

for f in "$root"/tests/unit/test-*.c; do
        t=$(basename "$f" .c); t=${t#test-}
        if grep -q "'$t'" "$root/tests/meson.build"; then ok "unit test $t registered"; else notok "unit test $t not registered in tests/meson.build"; fi
done
for f in "$root"/tests/cli/*.sh "$root"/tests/privileged/*.sh; do
        t=$(basename "$f" .sh)
        if grep -q "'$t'" "$root/tests/meson.build"; then ok "cli test $t registered"; else notok "cli test $t not registered in tests/meson.build"; fi
done
echo "1..$n"
exit $fail
