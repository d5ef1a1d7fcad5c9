#!/usr/bin/env bash
# The command line itself: help, version, verbs, usage errors and their exit codes.
XB=$1
source "$(dirname "$0")/tap-lib.bash"

run --version
check "--version" eval 'rc_is 0 && [[ "$OUT" =~ ^xbuild\ [0-9]+\.[0-9]+\.[0-9]+$ ]]'
run --help
check "--help lists the verbs and exit codes" eval 'rc_is 0 && out_has "plan" && out_has "4 the host lacks something"'
run
check "no arguments: usage on stderr, exit 2" eval 'rc_is 2 && err_has "Usage: xbuild" && [ -z "$OUT" ]'
run --bogus
check "unknown global option: exit 2" eval 'rc_is 2 && err_has "unknown option '"'"'--bogus'"'"'"'
run --color=sometimes list
check "bad --color value: exit 2" eval 'rc_is 2 && err_has "--color"'
for verb in build plan show list; do
        run "$verb" --help
        check "$verb --help" eval 'rc_is 0 && out_has "Usage: xbuild $verb" && [ -z "$ERR" ]'
        run help "$verb"
        check "help $verb" eval 'rc_is 0 && out_has "Usage: xbuild $verb"'
done
run help nonsense
check "help for an unknown verb: exit 2" eval 'rc_is 2 && err_has "unknown verb"'
run plan
check "plan without RECIPE: exit 2" eval 'rc_is 2 && err_has "missing RECIPE"'
run plan a b
check "plan with two recipes: exit 2" eval 'rc_is 2 && err_has "too many arguments"'
run plan tiny-engine --arch
check "option without its value: exit 2" eval 'rc_is 2 && err_has "needs a value"'
run plan tiny-engine --frobnicate
check "unknown verb option: exit 2, names the verb" eval 'rc_is 2 && err_has "plan: unknown option '"'"'--frobnicate'"'"'"'
run show tiny-engine -x
check "unknown short option: exit 2" eval 'rc_is 2 && err_has "unknown option '"'"'-x'"'"'"'
run list
check "list shows every kind" eval 'rc_is 0 && out_has "docker-1.10" && out_has "tiny-engine" && out_has "debian-bookworm" && out_has "archlinuxarm-armv7" && out_has "toolchains:" && out_has "kconfig:"'
run list rootfs
check "list one section" eval 'rc_is 0 && out_has "debian-bookworm" && ! out_has "tiny-engine"'
run list --json
check "list --json is valid JSON" eval 'rc_is 0 && echo "$OUT" | jq -e ".recipes | map(.name) | index(\"docker-1.10\") != null" >/dev/null'
run list everything
check "list of an unknown section: exit 2" eval 'rc_is 2 && err_has "unknown section"'
run -q list toolchains
check "global option before the verb" eval 'rc_is 0 && out_has "gcc"'
run list toolchains -v
check "-v after the verb logs the data directory" eval 'rc_is 0 && err_has "Data directory:"'
done_testing
