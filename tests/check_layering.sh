#!/usr/bin/env bash
# Fails when a lower layer includes a higher one: proxy/ must not include sim/ or tools/, sim/
# must not include tools/, and inside sim/ the parts keep the order below. Prints every
# offending line.
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
# The order inside sim/, lowest first (docs/architecture.md draws it). A part is a folder under
# sim/ or a file at its top (sim/mesh.h is part "mesh"). A file may include its own part and the
# parts of lower layers only; a part missing from this list is an error too.
sim_layers=(
  "yaml json duration"          # YAML with positions, JSON text, durations
  "k8s"                         # Kubernetes resources and the world
  "istio"                       # Istio resources, translation (what istiod does), analysis
  "manifests telemetry apps"    # loading manifests; samples, queries, scrapes; simulated apps
  "net"                         # the virtual (and real) network
  "mesh"                        # sim::Mesh: the world on one clock
  "driver"                      # the traffic driver
  "scenario embed serve testing"  # scenario runner, embedding API, meshsim serve, test helpers
)
declare -A sim_rank=()
for i in "${!sim_layers[@]}"; do
  for part in ${sim_layers[$i]}; do sim_rank[$part]=$i; done
done
sim_part() {  # sim/mesh.cc -> mesh, sim/telemetry/x.h -> telemetry
  local rest=${1#sim/}
  rest=${rest%%/*}
  echo "${rest%%.*}"
}
if [ -d sim ]; then
  out=""
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -nE 's/.*#[[:space:]]*include[[:space:]]*[<"](sim\/[^">]*)[">].*/\1/p' <<<"$line")
    from=$(sim_part "$file")
    to=$(sim_part "$target")
    if [ -z "${sim_rank[$from]+x}" ]; then
      out+="$line   (sim/$from is in no layer of check_layering.sh)"$'\n'; continue
    fi
    if [ -z "${sim_rank[$to]+x}" ]; then
      out+="$line   (sim/$to is in no layer of check_layering.sh)"$'\n'; continue
    fi
    if [ "$from" != "$to" ] && [ "${sim_rank[$to]}" -ge "${sim_rank[$from]}" ]; then
      out+="$line   (sim/$from may not include sim/$to)"$'\n'
    fi
  done < <(grep -rnE '#[[:space:]]*include[[:space:]]*[<"]sim/' sim)
  if [ -n "$out" ]; then
    echo "sim/ includes a part of the same or a higher layer:"; printf '%s' "$out"; status=1
  fi
fi
if out=$(grep -rnE 'system_clock|steady_clock::now|high_resolution_clock|sleep_for|usleep\(|[^_]sleep\(' proxy sim \
         | grep -vE '^proxy/net/|^proxy/event/asio'); then
  echo "wall clock or sleep outside the real-network code (use the injected clock):"; echo "$out"; status=1
fi
[ $status -eq 0 ] && echo "layering ok"
exit $status
