#!/usr/bin/env bash
# The export's apply.sh, against a stand-in kubectl that records its arguments: it checks that
# Istio is installed, applies the namespaces, accounts, Services and Deployments in one call,
# then the Istio configuration one file at a time in the scenario's order, and waits for every
# Deployment's rollout. A kubectl that says Istio is missing stops it with exit 2.
# Usage: apply_script.sh MESHSIM SCENARIO
set -uo pipefail
meshsim="${1:?usage: apply_script.sh MESHSIM SCENARIO}"
scenario="${2:?}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-apply.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$meshsim" export "$scenario" -o "$tmp/out" >/dev/null || { echo "FAIL: export"; exit 1; }
mkdir "$tmp/bin"
cat >"$tmp/bin/kubectl" <<'KUBECTL'
#!/bin/sh
echo "kubectl $*" >>"$KUBECTL_LOG"
case "$*" in
  "get crd virtualservices.networking.istio.io") [ -z "${NO_ISTIO:-}" ] ;;
  *) exit 0 ;;
esac
KUBECTL
chmod +x "$tmp/bin/kubectl"
# sleep is the script's one-second pause between Istio resources; recorded, not waited for.
printf '#!/bin/sh\necho "sleep $*" >>"$KUBECTL_LOG"\n' >"$tmp/bin/sleep"
chmod +x "$tmp/bin/sleep"
KUBECTL_LOG="$tmp/log" PATH="$tmp/bin:$PATH" "$tmp/out/apply.sh" || { echo "FAIL: apply.sh exit $?"; cat "$tmp/log"; exit 1; }
cat "$tmp/log"
NO_ISTIO=1 KUBECTL_LOG="$tmp/log2" PATH="$tmp/bin:$PATH" "$tmp/out/apply.sh" 2>&1
echo "without Istio: exit $?"
