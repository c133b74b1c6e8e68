#!/usr/bin/env bash
# Installs the build into a temporary prefix and runs `meshsim conformance` from there without
# --suite: the installed binary must find the suite installed under share/meshsim/conformance
# (and not the source tree's, which the message names).
# Usage: installed_suite.sh BUILD_DIR
set -uo pipefail
build_dir="${1:?usage: installed_suite.sh BUILD_DIR}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-suite.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log"; echo "install failed"; exit 1; }
suite="$tmp/prefix/share/meshsim/conformance/scenarios/conformance"
[ -d "$suite" ] || { echo "no suite at $suite"; exit 1; }
"$tmp/prefix/bin/meshsim" conformance --run-test vs-uri-exact -o junit > "$tmp/junit.xml"
code=$?
echo "exit $code"
grep -o 'name="file" value="[^"]*"' "$tmp/junit.xml" | sed "s|$tmp/prefix|PREFIX|"
[ $code -eq 0 ]
