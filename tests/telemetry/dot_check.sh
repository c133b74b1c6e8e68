#!/usr/bin/env bash
# Usage: dot_check.sh MESHSIM SCENARIO
# Checks that Graphviz's dot accepts `meshsim graph SCENARIO` (DOT) and that
# `meshsim graph -o svg` renders an SVG. Skips, saying why, when dot is not installed.
set -u
meshsim="$1"
scenario="$2"
if ! command -v dot >/dev/null 2>&1; then
  echo "SKIPPED: dot not found (Debian package graphviz; tools/setup installs it)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$meshsim" graph "$scenario" >"$tmp/graph.dot" || { echo "meshsim graph failed"; exit 1; }
dot -Tsvg "$tmp/graph.dot" -o "$tmp/from-dot.svg" 2>"$tmp/dot.err" || {
  echo "dot rejected the graph:"; cat "$tmp/dot.err"; exit 1; }
if [ -s "$tmp/dot.err" ]; then
  echo "dot warned:"; cat "$tmp/dot.err"; exit 1
fi
"$meshsim" graph "$scenario" -o svg --output-file "$tmp/graph.svg" || { echo "meshsim graph -o svg failed"; exit 1; }
grep -q '<svg' "$tmp/graph.svg" || { echo "no <svg> in the output"; exit 1; }
cmp -s "$tmp/graph.svg" "$tmp/from-dot.svg" || { echo "-o svg differs from dot -Tsvg of the DOT"; exit 1; }
echo "dot accepts the graph of $scenario ($(grep -c -- '->' "$tmp/graph.dot") edges)"
