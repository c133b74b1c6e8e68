#!/usr/bin/env bash
# Usage: golden_check.sh GOLDEN COMMAND [ARGS...]
# Runs COMMAND and compares its standard output with the file GOLDEN, byte for byte.
set -u
golden="$1"
shift
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$@" >"$tmp" || { echo "command failed: $*"; exit 1; }
if ! cmp -s "$golden" "$tmp"; then
  echo "output of '$*' differs from $golden:"
  diff -u "$golden" "$tmp" | head -40
  exit 1
fi
echo "output matches $golden"
