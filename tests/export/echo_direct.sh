#!/usr/bin/env bash
# The exported echo server answers like meshsim's echo app. Exports SCENARIO, starts the
# export's echo/echo.py locally with the Downward API facts of a Kubernetes pod of the hello
# Deployment (name hello-<hash>-<suffix>, labels file, ...) and runs the scenario with --target
# straight at it: every traffic expectation must pass. Then the same scenario in-process.
# Usage: echo_direct.sh MESHSIM SCENARIO
set -uo pipefail
meshsim="${1:?usage: echo_direct.sh MESHSIM SCENARIO}"
scenario="${2:?}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-echo.XXXXXX")"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
"$meshsim" export "$scenario" -o "$tmp/out" || { echo "FAIL: export"; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
printf 'app="hello"\npod-template-hash="5c7f9d8b6"\nversion="v1"\n' >"$tmp/labels"
ECHO_PORTS="$port" ECHO_LABELS_FILE="$tmp/labels" POD_NAME=hello-5c7f9d8b6-x2k4q \
  POD_NAMESPACE=default POD_IP=10.244.0.12 SERVICE_ACCOUNT=hello \
  python3 "$tmp/out/echo/echo.py" >"$tmp/echo.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q "echo listening" "$tmp/echo.log" && break
  sleep 0.1
done
grep -q "echo listening" "$tmp/echo.log" || { echo "FAIL: echo.py did not start:"; cat "$tmp/echo.log"; exit 1; }
"$meshsim" run --target "http://127.0.0.1:$port" "$scenario" 2>&1
code=$?
echo "target exit $code"
"$meshsim" run "$scenario" >"$tmp/inprocess.txt" 2>&1
inprocess=$?
echo "in-process exit $inprocess"
[ $code -eq 0 ] && [ $inprocess -eq 0 ]
