#!/usr/bin/env bash
# Usage: tests/golden/scenario_reports.sh [--update] MESHSIM [SOURCE_DIR]
#
# Runs every scenario file under SOURCE_DIR/scenarios/ (default: this repository) with
# `meshsim run -o json`, from SOURCE_DIR and with the path relative to it (so the report
# names "scenarios/hello.yaml", never a path of this machine), and compares each report byte for
# byte with its golden file tests/golden/scenarios/<path under scenarios/>.json. Scenarios are
# seeded, so the reports are a pure function of the code: a change meant to leave behaviour alone
# (a speed-up, a refactor) must leave every report as it is.
#
# Which scenarios: every *.yaml under scenarios/ whose first document is `kind: Scenario`, except
# scenarios/conformance/pending/ (scenarios waiting for an expectation kind meshsim does not have
# yet: they cannot run, so they have no report). known-bugs/ scenarios are included: they exit 1
# by design, and their report records how meshsim deviates today. A scenario must exit 0 or 1;
# exit 2 (it did not load or run) fails the check. A golden file without its scenario fails too.
#
# --update writes the reports as the new golden files (and removes golden files of scenarios that
# are gone) instead of comparing; review the diff (`git diff tests/golden/scenarios`) before you
# commit it: every change there is a change of behaviour.
#   cmake --build build/default --target meshsim
#   tests/golden/scenario_reports.sh --update build/default/meshsim
set -u
update=0
if [ "${1:-}" = "--update" ]; then
  update=1
  shift
fi
if [ $# -lt 1 ]; then
  echo "usage: $0 [--update] MESHSIM [SOURCE_DIR]" >&2
  exit 2
fi
meshsim=$(realpath "$1")
source_dir=$(realpath "${2:-$(dirname "$0")/../..}")
golden_dir="tests/golden/scenarios"
cd "$source_dir" || exit 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t files < <(find scenarios -name '*.yaml' -not -path 'scenarios/conformance/pending/*' |
                     LC_ALL=C sort)
checked=0
failed=0
declare -A expected_golden=()
for f in "${files[@]}"; do
  # The first document's kind (what `meshsim run FOLDER` uses to tell scenarios from manifests).
  kind=$(awk '/^---/ { exit } /^kind:/ { print $2; exit }' "$f")
  [ "$kind" = "Scenario" ] || continue
  rel=${f#scenarios/}
  golden="$golden_dir/${rel%.yaml}.json"
  expected_golden["$golden"]=1
  out="$tmp/report.json"
  "$meshsim" run -o json --output-file "$out" "$f" >"$tmp/stdout" 2>"$tmp/stderr"
  code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
    echo "FAIL $f: meshsim exited $code"
    head -5 "$tmp/stderr"
    failed=$((failed + 1))
    continue
  fi
  if [ "$update" -eq 1 ]; then
    checked=$((checked + 1))
    mkdir -p "$(dirname "$golden")"
    cmp -s "$out" "$golden" 2>/dev/null || { cp "$out" "$golden"; echo "updated $golden"; }
    continue
  fi
  checked=$((checked + 1))
  if [ ! -f "$golden" ]; then
    echo "FAIL $f: no golden report $golden (new scenario? run: $0 --update MESHSIM)"
    failed=$((failed + 1))
  elif ! cmp -s "$golden" "$out"; then
    echo "FAIL $f: the report differs from $golden:"
    diff -u "$golden" "$out" | head -30
    failed=$((failed + 1))
  fi
done

# Golden files whose scenario is gone.
while IFS= read -r g; do
  [ -n "${expected_golden[$g]:-}" ] && continue
  if [ "$update" -eq 1 ]; then
    rm -f "$g"
    echo "removed $g (no such scenario)"
  else
    echo "FAIL $g: no scenario scenarios/${g#"$golden_dir"/} (.yaml) for this golden report"
    failed=$((failed + 1))
  fi
done < <(find "$golden_dir" -name '*.json' 2>/dev/null | LC_ALL=C sort)

if [ "$failed" -ne 0 ]; then
  echo "$failed scenario reports differ or failed ($checked scenarios compared); if the change is" \
       "meant, regenerate: $0 --update MESHSIM"
  exit 1
fi
if [ "$checked" -eq 0 ]; then
  echo "no scenarios found under $source_dir/scenarios"
  exit 1
fi
if [ "$update" -eq 1 ]; then
  echo "golden reports written: $checked scenarios"
else
  echo "golden reports match: $checked scenarios"
fi
