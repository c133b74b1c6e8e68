#!/usr/bin/env bash
# For each scenario: serve its manifests for real (meshsim serve --scenario), run it against that
# gateway (meshsim run --target), run it in-process, and compare the verdicts. Every expectation
# the target run judged must have the same verdict (PASS/FAIL) in-process; the ones it did not
# judge must say SKIP with a reason, never PASS.
# Usage: same_verdicts.sh MESHSIM SCENARIO...
set -uo pipefail
meshsim="${1:?usage: same_verdicts.sh MESHSIM SCENARIO...}"
shift
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-target.XXXXXX")"
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
judged=0
skipped=0
for scenario in "$@"; do
  "$meshsim" serve --scenario "$scenario" >"$tmp/serve.log" 2>&1 &
  serve_pid=$!
  port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/^gateway listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/serve.log")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "FAIL: meshsim serve --scenario $scenario did not start:"; cat "$tmp/serve.log"; exit 1
  fi
  "$meshsim" run --target "http://127.0.0.1:$port" "$scenario" >"$tmp/target.txt" 2>&1
  target_code=$?
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=""
  "$meshsim" run "$scenario" >"$tmp/inprocess.txt" 2>&1
  # "  PASS  file:line:col  what" -> "file:line:col  what<TAB>PASS"
  verdicts() { sed -n 's/^  \(PASS\|FAIL\|SKIP\)  \(.*\)$/\2\t\1/p' "$1"; }
  verdicts "$tmp/target.txt" >"$tmp/t.v"
  verdicts "$tmp/inprocess.txt" >"$tmp/i.v"
  if [ ! -s "$tmp/t.v" ]; then
    echo "FAIL: no expectation lines from the --target run of $scenario:"; cat "$tmp/target.txt"; exit 1
  fi
  while IFS=$'\t' read -r what verdict; do
    if [ "$verdict" = SKIP ]; then
      skipped=$((skipped + 1))
      grep -A1 -F "  SKIP  $what" "$tmp/target.txt" | grep -q "not judged: " || {
        echo "FAIL: $what skipped without a reason"; exit 1; }
      continue
    fi
    judged=$((judged + 1))
    inproc="$(awk -F'\t' -v w="$what" '$1 == w {print $2; exit}' "$tmp/i.v")"
    if [ "$inproc" != "$verdict" ]; then
      echo "FAIL: $what: $verdict against meshsim serve, ${inproc:-missing} in-process"
      cat "$tmp/target.txt"
      exit 1
    fi
  done <"$tmp/t.v"
  echo "$scenario: target exit $target_code, verdicts as in-process"
done
echo "same verdicts: $judged judged, $skipped not judged"
