#!/usr/bin/env bash
# Usage: parallel_same_output.sh MESHSIM PATH...
# Runs `MESHSIM run PATH...` with -j 1 and with -j 4, in every report format, and fails unless
# stdout, stderr and the exit code are the same byte for byte: parallel runs must not change
# what is reported or its order. Prints one "FORMAT: identical ..." line per format.
set -u
meshsim="$1"
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for format in text json junit; do
  "$meshsim" run --output "$format" -j 1 "$@" >"$tmp/1.out" 2>"$tmp/1.err"
  serial=$?
  "$meshsim" run --output "$format" -j 4 "$@" >"$tmp/4.out" 2>"$tmp/4.err"
  parallel=$?
  [ -s "$tmp/1.out" ] || { echo "$format: empty report"; exit 1; }
  if [ "$serial" -ne "$parallel" ]; then
    echo "$format: exit $serial with -j 1, $parallel with -j 4"; exit 1
  fi
  for stream in out err; do
    if ! cmp -s "$tmp/1.$stream" "$tmp/4.$stream"; then
      echo "$format: std$stream differs between -j 1 and -j 4:"
      diff "$tmp/1.$stream" "$tmp/4.$stream" | head -20
      exit 1
    fi
  done
  echo "$format: identical, $(wc -c <"$tmp/1.out") bytes, exit $serial"
done
