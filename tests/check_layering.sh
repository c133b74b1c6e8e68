#!/usr/bin/env bash
# Fails when a lower layer includes a higher one: proxy/ must not include sim/ or tools/, and
# sim/ must not include tools/. Prints every offending line.
set -u
root="${1:-.}"
cd "$root" || exit 2
status=0
if out=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](sim|tools)/' proxy); then
  echo "proxy/ includes a higher layer:"; echo "$out"; status=1
fi
if out=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"]tools/' sim); then
  echo "sim/ includes tools/:"; echo "$out"; status=1
fi
if out=$(grep -rnE 'system_clock|steady_clock::now|high_resolution_clock|sleep_for|usleep\(|[^_]sleep\(' proxy sim \
         | grep -vE '^proxy/net/|^proxy/event/asio'); then
  echo "wall clock or sleep outside the real-network code (use the injected clock):"; echo "$out"; status=1
fi
[ $status -eq 0 ] && echo "layering ok"
exit $status
