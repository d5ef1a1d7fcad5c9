#!/usr/bin/env bash
# xbuild matrix: a grid of real cross builds (tiny-engine, a failing recipe, a strategy this
# host cannot run), its outputs read as CI reads them (matrix.json with jq, junit.xml and
# index.html with xmllint), a baseline that marks regressions, bad matrix files.
XB=$1
source "$(dirname "$0")/tap-lib.bash"
for tool in arm-linux-gnueabihf-gcc aarch64-linux-gnu-gcc qemu-arm-static qemu-aarch64-static jq xmllint; do
        command -v $tool >/dev/null || { echo "1..0 # SKIP needs $tool (the test command installs it)"; exit 77; }
done
CACHE=$TMP/cache
MO=$TMP/m
xb() { run --cache-dir "$CACHE" "$@"; }

# A recipe whose step fails after printing, with text an XML or HTML report must escape.
mkdir -p "$TMP/broken"
cat >"$TMP/broken.yaml" <<'Y'
name: broken
summary: fails on purpose
arches: [armhf, arm64]
source: {local: broken}
toolchain: gcc
steps:
  - |
    echo 'compiling <tag attr="x"> & friends'
    printf 'a control char: \001 here\n'
    echo "the last line before the failure"
    exit 3
artifacts: [{path: nothing}]
Y
# tiny-engine from a pinned tarball: a source whose identity a baseline can compare.
tar -C "$XB_SOURCE_ROOT/examples" -czf "$TMP/tiny.tar.gz" tiny-engine
sed -e "s|^name: tiny-engine|name: tinytar|" -e "s|^  local: .*|  tarball: file://$TMP/tiny.tar.gz\n  sha256: $(sha256sum "$TMP/tiny.tar.gz" | cut -d' ' -f1)\n  strip_components: 1|" \
        -e "/^kconfig:/d" "$XB_SOURCE_ROOT/recipes/tiny-engine.yaml" >"$TMP/tinytar.yaml"
cat >"$TMP/nightly.yaml" <<Y
name: nightly
recipes: [$TMP/tinytar.yaml, $TMP/broken.yaml]
arches: [armhf, arm64]
strategies: [cross, remote]
exclude:
  - {recipe: $TMP/broken.yaml, arch: arm64}
cells:
  - match: {strategy: cross}
    timeout: 600
Y
xb matrix "$TMP/nightly.yaml" --out-dir "$MO"
M=$MO/matrix.json
check "a failing cell: exit 1, the other cells still ran" eval 'rc_is 1 && err_has "matrix nightly: 2 passed, 1 failed, 3 skipped"'
check "matrix.json: schema, counts, one cell per grid point minus the excludes" eval '[ "$(jq -r .schema "$M")" = xbuild-matrix/1 ] && [ "$(jq ".cells | length" "$M")" = 6 ] && [ "$(jq .counts.passed "$M")" = 2 ] && [ "$(jq .counts.skipped "$M")" = 3 ]'
check "a strategy this host cannot run is skipped with the plan's reason" eval '[ "$(jq -r ".cells[] | select(.id == \"tinytar/armhf/remote\") | .status" "$M")" = skipped ] && jq -r ".cells[] | select(.id == \"tinytar/armhf/remote\") | .reason" "$M" | grep -q "host lacks"'
check "each passed cell keeps its out dir, log, report and artifacts (size, sha256)" eval 'for a in armhf arm64; do d=$MO/cells/tinytar-$a-cross; [ -f "$d/xbuild.log" ] && [ -f "$d/tinytar/$a/report.json" ] && [ "$(jq -r ".cells[] | select(.id == \"tinytar/$a/cross\") | .artifacts[0].sha256" "$M")" = "$(sha256sum "$d/tinytar/$a/tinyctr" | cut -d" " -f1)" ] || exit 1; done'
check "the failed cell says why, with its phase and its step's last lines" eval '[ "$(jq -r ".cells[] | select(.id == \"broken/armhf/cross\") | .failure.phase" "$M")" = steps ] && jq -r ".cells[] | select(.id == \"broken/armhf/cross\") | .failure.last_lines" "$M" | grep -q "the last line before the failure"'

check "junit.xml validates against a JUnit schema (tests/fixtures/junit.xsd)" eval 'xmllint --noout --schema "$XB_SOURCE_ROOT/tests/fixtures/junit.xsd" "$MO/junit.xml" 2>/dev/null'
check "junit.xml: one testcase per cell, the failure and the skips counted" eval '[ "$(xmllint --xpath "count(//testcase)" "$MO/junit.xml")" = 6 ] && [ "$(xmllint --xpath "string(/testsuites/@failures)" "$MO/junit.xml")" = 1 ] && [ "$(xmllint --xpath "count(//testcase/skipped)" "$MO/junit.xml")" = 3 ]'
check "junit.xml: the failure text is the failing step's tail, escaped" eval 'xmllint --xpath "string(//testcase[@classname=\"xbuild.broken\"]/failure)" "$MO/junit.xml" | grep -aq "compiling <tag attr=\"x\"> & friends"'
check "junit.xml: phases as properties" eval '[ "$(xmllint --xpath "count(//testcase[@name=\"armhf/cross\" and @classname=\"xbuild.tinytar\"]/properties/property[starts-with(@name, \"phase.\")])" "$MO/junit.xml")" -ge 5 ]'
check "index.html parses as HTML" xmllint --html --noout "$MO/index.html"
check "index.html is self-contained: no script, no external resource" eval '! grep -qiE "<script|<link|src=|https?://" "$MO/index.html"'
check "index.html: the grid, status classes, links to the cells' logs" eval 'grep -q "class=\"failed\"" "$MO/index.html" && grep -q "class=\"skipped\"" "$MO/index.html" && grep -q "href=\"cells/tinytar-armhf-cross/xbuild.log\"" "$MO/index.html" && grep -q "class=\"bar\"" "$MO/index.html"'
check "the links in index.html lead to files that exist" eval 'cd "$MO" && for h in $(grep -o "href=\"cells/[^\"]*\"" index.html | cut -d\" -f2); do [ -e "$h" ] || { echo "# missing $h"; exit 1; }; done'

# The page in a real browser: Debian's chromium, headless.
if command -v chromium >/dev/null; then
        chrome() { HOME=$TMP/chrome timeout 120 chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
                --hide-scrollbars --enable-logging=stderr --v=0 "$@"; }
        chrome --window-size=1280,2400 --screenshot="$TMP/shot.png" "file://$MO/index.html" >/dev/null 2>"$TMP/chrome1.err"
        check "chromium renders index.html to a screenshot" eval '[ "$(head -c 4 "$TMP/shot.png" | od -An -tx1 | tr -d " ")" = 89504e47 ] && [ "$(stat -c %s "$TMP/shot.png")" -gt 20000 ]'
        chrome --dump-dom "file://$MO/index.html" >"$TMP/dom.html" 2>"$TMP/chrome2.err"
        check "the page as chromium parsed it shows every cell" eval 'for id in $(jq -r ".cells[].id" "$M"); do grep -qF ">$id: " "$TMP/dom.html" || { echo "# $id missing"; exit 1; }; done'
        check "no console message and no failed load in chromium" eval '! grep -hE "CONSOLE|Failed to load|net::ERR_|Uncaught" "$TMP/chrome1.err" "$TMP/chrome2.err"'
else
        ok "# SKIP chromium is not installed (the test command installs it)"
fi

# The baseline: yesterday's run where broken passed, tiny-engine was faster and smaller, and
# built other bytes from the same source and toolchain.
jq '(.cells[] | select(.id == "broken/armhf/cross")) |= (.status = "passed") |
    (.cells[] | select(.id == "tinytar/armhf/cross")) |= (.seconds = 0.001 | .artifacts[0].size = 1000 | .artifacts[0].sha256 = "0000") |
    (.cells[] | select(.id == "tinytar/arm64/cross")) |= (.toolchain_version = "another gcc" | .artifacts[0].sha256 = "1111")' "$M" >"$TMP/baseline.json"
xb matrix "$TMP/nightly.yaml" --out-dir "$TMP/m2" --baseline "$TMP/baseline.json"
R2=$TMP/m2/matrix.json
check "baseline: a cell that passed and now fails is a regression" eval '[ "$(jq -r "[.regressions[] | select(.cell == \"broken/armhf/cross\")][0].kind" "$R2")" = newly-failing ]'
check "baseline: bigger artifact and different bytes from the same inputs are marked" eval 'jq -r ".regressions[] | select(.cell == \"tinytar/armhf/cross\") | .kind" "$R2" | sort | tr "\n" " " | grep -q "bigger sha256-changed"'
check "baseline: other bytes from another toolchain are not a reproducibility break" eval '[ -z "$(jq -r ".regressions[] | select(.cell == \"tinytar/arm64/cross\") | .kind" "$R2")" ]'
check "index.html lists the regressions" eval 'grep -q "Regressions against the baseline" "$TMP/m2/index.html"'
echo '{"schema": "something else"}' >"$TMP/notmatrix.json"
xb matrix "$TMP/nightly.yaml" --out-dir "$TMP/m3" --baseline "$TMP/notmatrix.json"
check "a baseline that is not a matrix.json: exit 2 before anything runs" eval 'rc_is 2 && err_has "not a matrix.json" && [ ! -e "$TMP/m3" ]'

# The same recipe and arch built by two strategies are compared.
xb matrix --recipes tiny-engine --arches armhf --strategies cross --out-dir "$TMP/m4" --json
check "ad-hoc grid from the command line; --json prints matrix.json" eval 'rc_is 0 && [ "$(jq -r .name "$TMP/out")" = adhoc ] && [ "$(jq ".cells | length" "$TMP/out")" = 1 ]'

# Scaled out on a CI engine: one job per cell, then the merge.
xb matrix "$TMP/nightly.yaml" --emit github
echo "$OUT" >"$TMP/gh.yml"
check "--emit github: a workflow with one matrix entry per cell and a merge job after them" eval 'rc_is 0 && python3 - "$TMP/gh.yml" <<"PY"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
cells = d["jobs"]["cell"]["strategy"]["matrix"]["include"]
assert len(cells) == 6, cells
assert {c["id"] for c in cells} >= {"tinytar/armhf/cross", "broken/armhf/remote"}
assert d["jobs"]["merge"]["needs"] == "cell" and d["jobs"]["merge"]["if"] == "always()"
run = [s["run"] for s in d["jobs"]["cell"]["steps"] if "run" in s]
assert any("--only \"$XB_CELL\"" in r for r in run), run
assert any("matrix merge" in s.get("run", "") for s in d["jobs"]["merge"]["steps"])
PY'
xb matrix "$TMP/nightly.yaml" --emit gitlab
echo "$OUT" >"$TMP/gl.yml"
check "--emit gitlab: parallel:matrix with one entry per cell, a merge job with the JUnit report" eval 'rc_is 0 && python3 - "$TMP/gl.yml" <<"PY"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert len(d["xbuild-cell"]["parallel"]["matrix"]) == 6
assert d["xbuild-matrix"]["needs"] == ["xbuild-cell"]
assert d["xbuild-matrix"]["artifacts"]["reports"]["junit"] == "xbuild-cells/junit.xml"
PY'
for id in tinytar/armhf/cross tinytar/arm64/cross broken/armhf/cross tinytar/armhf/remote; do
        xb matrix "$TMP/nightly.yaml" --only "$id" --out-dir "$TMP/ci/$(echo "$id" | tr / -)"
done
check "--only: a one-cell run, as each CI job makes" eval '[ "$(jq ".cells | length" "$TMP/ci/tinytar-arm64-cross/matrix.json")" = 1 ] && [ "$(jq -r ".cells[0].id" "$TMP/ci/tinytar-arm64-cross/matrix.json")" = tinytar/arm64/cross ]'
xb matrix merge "$TMP"/ci/*/ --out-dir "$TMP/ci"
check "merge: exit 1 (a cell failed), the same cells, statuses and bytes as the local run" eval 'rc_is 1 && [ "$(jq -c "[.cells[] | select(.status != \"skipped\" or .id == \"tinytar/armhf/remote\") | [.id, .status, (.artifacts // [] | map(.sha256))]] | sort" "$TMP/ci/matrix.json")" = "$(jq -c "[.cells[] | select(.id != \"tinytar/arm64/remote\" and .id != \"broken/armhf/remote\") | [.id, .status, (.artifacts // [] | map(.sha256))]] | sort" "$M")" ]'
check "merge: the links of the merged page lead to the cells' files" eval 'cd "$TMP/ci" && for h in $(grep -o "href=\"[^\"#]*\"" index.html | cut -d\" -f2); do [ -e "$h" ] || { echo "# missing $h"; exit 1; }; done && xmllint --noout junit.xml'
xb matrix "$TMP/nightly.yaml" --only tinytar/armhf/nope
check "--only naming no cell: exit 2" eval 'rc_is 2 && err_has "no cell '"'"'tinytar/armhf/nope'"'"'"'
xb matrix merge "$TMP/ci/tinytar-arm64-cross" "$TMP/ci/tinytar-arm64-cross" --out-dir "$TMP/ci2"
check "merge of the same cell twice: exit 2 naming it" eval 'rc_is 2 && err_has "cell tinytar/arm64/cross is also in an earlier directory"'

# Bad input: FILE:LINE:COL, exit 2, nothing written.
bad() { # DESCRIPTION EXPECTED <<<YAML
        cat >"$TMP/bad.yaml"
        EXPECTED=$2
        xb matrix "$TMP/bad.yaml" --out-dir "$TMP/bad-out"
        check "$1" eval 'rc_is 2 && err_has "$EXPECTED" && err_lines 1 && [ ! -e "$TMP/bad-out" ]'
}
bad "unknown key: named at its line" "bad.yaml:4:1: unknown key 'strategy' in matrix" <<<$'recipes: [tiny-engine]\narches: [armhf]\nstrategies: [cross]\nstrategy: [chroot]'
bad "an arch listed twice" "bad.yaml:2:17: 'arches': armhf is listed twice" <<<$'recipes: [tiny-engine]\narches: [armhf, armhf]\nstrategies: [cross]'
bad "an unknown strategy" "bad.yaml:3:14:" <<<$'recipes: [tiny-engine]\narches: [armhf]\nstrategies: [crosss]'
bad "a recipe with a bad @variant" "must be a recipe name or path, optionally with @VARIANT" <<<$'recipes: [tiny-engine@]\narches: [armhf]\nstrategies: [cross]'
bad "a cell rule without match" "bad.yaml:5:5: missing required key 'match'" <<<$'recipes: [tiny-engine]\narches: [armhf]\nstrategies: [cross]\ncells:\n  - timeout: 5'
bad "a memory that is not a size" "'cells[0].memory' must be a size" <<<$'recipes: [tiny-engine]\narches: [armhf]\nstrategies: [cross]\ncells:\n  - {match: {arch: armhf}, memory: lots}'
bad "a recipe that does not exist: exit 2 at its line, before anything runs" "bad.yaml:1:24: recipes[1]:" <<<$'recipes: [tiny-engine, no-such-recipe]\narches: [armhf]\nstrategies: [cross]'
bad "a variant the recipe lacks: exit 2" "has no variant 'nope'" <<<$'recipes: [tiny-engine@nope]\narches: [armhf]\nstrategies: [cross]'
xb matrix --recipes cgo-engine --arches armel --strategies cross --out-dir "$TMP/m5"
check "an arch the recipe does not build for: skipped, saying so" eval 'rc_is 0 && [ "$(jq -r ".cells[0].reason" "$TMP/m5/matrix.json")" = "the recipe does not build for armel (not in its arches)" ]'
xb matrix --recipes tiny-engine --arches armhf,x86 --strategies cross --out-dir "$TMP/bad-out"
check "an ad-hoc list with an unknown arch: usage error" eval 'rc_is 2 && err_has "--arches: '"'"'x86'"'"'" && [ ! -e "$TMP/bad-out" ]'
done_testing
