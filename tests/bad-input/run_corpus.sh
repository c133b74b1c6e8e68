#!/usr/bin/env bash
# Usage: run_corpus.sh MESHSIM DIR...
# Runs `meshsim run` on every *.yaml file directly in each DIR (not in subfolders, which hold
# the manifests they include) and checks, per file: exit code 2; every "# expect: TEXT" line of
# the file appears in the output (stdout and stderr); the output names the file with a line
# number (NAME.yaml:LINE: the file itself, or a manifest it includes); and it all takes at most
# 10 seconds. Prints one line per file and a closing count; exits 1 if any file failed.
meshsim="$1"
shift
checked=0
failed=0
for dir in "$@"; do
  for file in "$dir"/*.yaml; do
    name=$(basename "$file")
    mapfile -t wants < <(sed -n 's/^# expect: //p' "$file")
    if [ "${#wants[@]}" -eq 0 ]; then
      echo "FAIL $name: no '# expect:' line"
      failed=$((failed + 1))
      continue
    fi
    out=$(timeout 10 "$meshsim" run --progress=never "$file" 2>&1)
    code=$?
    checked=$((checked + 1))
    problem=""
    if [ "$code" -eq 124 ]; then
      problem="took more than 10 seconds"
    elif [ "$code" -ne 2 ]; then
      problem="exit $code, expected 2"
    elif ! grep -qE "\.yaml:[0-9]+" <<<"$out"; then
      problem="the output names no file:line"
    else
      for want in "${wants[@]}"; do
        if ! grep -qF -- "$want" <<<"$out"; then
          problem="missing: $want"
          break
        fi
      done
    fi
    if [ -n "$problem" ]; then
      echo "FAIL $name: $problem"
      echo "$out" | head -5 | sed 's/^/    /'
      failed=$((failed + 1))
    else
      echo "ok   $name"
    fi
  done
done
echo "$checked files, $failed failed"
[ "$failed" -eq 0 ] && [ "$checked" -gt 0 ]
