#!/usr/bin/env bash
# Usage: json_lines_check.sh MESHSIM FILE...
# Runs `MESHSIM run -o json FILE...` and checks the JSON Lines format: every line of stdout is one
# JSON document, one per file in order; prints "exit N, K lines" and per line what it holds
# ("line 1: NAME passed", "line 2: FILE error MESSAGE"). Skips (77) without python3.
set -u
meshsim="$1"
shift
command -v python3 >/dev/null || { echo "SKIPPED: python3 is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$meshsim" run -o json "$@" >"$tmp/out" 2>"$tmp/err"
code=$?
echo "exit $code, $(wc -l <"$tmp/out") lines"
python3 - "$tmp/out" "$#" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
if lines[-1] != "":
    sys.exit("the output does not end in a line break")
lines = lines[:-1]
if len(lines) != int(sys.argv[2]):
    sys.exit(f"{len(lines)} lines for {sys.argv[2]} files")
for i, line in enumerate(lines, 1):
    doc = json.loads(line)
    if "error" in doc:
        assert doc["passed"] is False
        print(f"line {i}: {doc['file']} error {doc['error']}")
    else:
        print(f"line {i}: {doc['scenario']} {'passed' if doc['passed'] else 'failed'}")
PY
