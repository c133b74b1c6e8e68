#!/usr/bin/env bash
# Usage: promtool_check.sh MESHSIM SCENARIO
# Runs `meshsim metrics SCENARIO` and feeds the exposition to `promtool check metrics`. Passes
# when promtool parses it and its lint findings are only the ones Istio's own metric names
# cause: no HELP text (Envoy writes none for Istio's metrics) and a non-base unit
# (istio_request_duration_milliseconds). Skips, saying why, when promtool is not installed.
set -u
meshsim="$1"
scenario="$2"
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIPPED: promtool not found (Debian package prometheus; tools/setup installs it)"
  exit 0
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$meshsim" metrics "$scenario" >"$tmp" || { echo "meshsim metrics failed"; exit 1; }
[ -s "$tmp" ] || { echo "meshsim metrics wrote nothing"; exit 1; }
out=$(promtool check metrics <"$tmp" 2>&1)
rc=$?
echo "$out"
# promtool exits 1 on a parse error, 3 on lint findings only.
if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
  echo "promtool rejected the exposition (exit $rc)"
  exit 1
fi
unexpected=$(printf '%s\n' "$out" | grep -v -e '^$' -e ' no help text$' \
  -e '^istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"$')
if [ -n "$unexpected" ]; then
  echo "unexpected promtool findings:"
  echo "$unexpected"
  exit 1
fi
echo "promtool accepts the exposition of $scenario ($(grep -c '^# TYPE' "$tmp") families, $(grep -vc '^#' "$tmp") samples)"
