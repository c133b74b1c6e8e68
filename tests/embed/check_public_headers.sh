#!/usr/bin/env bash
# Fails when a public header (include/meshsim/) includes a private one (sim/, proxy/, tools/) or a
# header outside meshsim/ written with quotes. Prints every offending line.
set -u
dir="${1:?usage: check_public_headers.sh INCLUDE_DIR}"
if out=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](sim|proxy|tools)/' "$dir"); then
  echo "public headers include private ones:"; echo "$out"; exit 1
fi
if out=$(grep -rnE '#[[:space:]]*include[[:space:]]*"' "$dir" | grep -vE '#[[:space:]]*include[[:space:]]*"meshsim/'); then
  echo "public headers include non-public headers with quotes:"; echo "$out"; exit 1
fi
echo "public headers ok"
