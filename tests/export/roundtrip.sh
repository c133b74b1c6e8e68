#!/usr/bin/env bash
# meshsim export, loaded back: for each scenario, export it, check the exported manifests are one
# Kubernetes object per file (and that kubectl's offline kustomize reads them all, when kubectl
# is installed), then run the original and the exported scenario.yaml in-process: the reports
# must be the same apart from file:line locations, and so must the exit codes.
# Usage: roundtrip.sh MESHSIM SCENARIO_OR_FOLDER...
set -uo pipefail
meshsim="${1:?usage: roundtrip.sh MESHSIM SCENARIO_OR_FOLDER...}"
shift
tmp="$(mktemp -d "${TMPDIR:-/tmp}/meshsim-export.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
scenarios=()
for arg in "$@"; do
  if [ -d "$arg" ]; then
    while IFS= read -r f; do
      grep -q '^kind: Scenario' "$f" && scenarios+=("$f")
    done < <(find "$arg" -name '*.yaml' -not -path '*/pending/*' -not -path '*/known-bugs/*' | sort)
  else
    scenarios+=("$arg")
  fi
done
# Locations differ (the exported files are other files); everything else must not.
normalise() { sed -E -e 's#[^ ()]*\.yaml(:[0-9]+(:[0-9]+)?)?#FILE#g' "$1"; }
n=0
for scenario in "${scenarios[@]}"; do
  n=$((n + 1))
  out="$tmp/e$n"
  if ! "$meshsim" export "$scenario" -o "$out" >"$tmp/export.log" 2>&1; then
    echo "FAIL: meshsim export $scenario:"; cat "$tmp/export.log"; exit 1
  fi
  if command -v kubectl >/dev/null 2>&1; then
    # kustomize, offline, as a reader of Kubernetes objects; a prefix keeps the exports apart
    # (not for Namespaces, which it never renames: python checks those below).
    list="$(ls "$out/manifests" | grep -v -- '-namespace-' | sed 's/^/- manifests\//')"
    printf 'namePrefix: e%s-\nresources:\n%s\n' "$n" "$list" >"$out/kustomization.yaml"
    echo "- e$n" >>"$tmp/resources"
  fi
  "$meshsim" run "$scenario" >"$tmp/original.txt" 2>&1
  code_original=$?
  "$meshsim" run "$out/scenario.yaml" >"$tmp/exported.txt" 2>&1
  code_exported=$?
  if [ "$code_original" != "$code_exported" ]; then
    echo "FAIL: $scenario: exit $code_original, exported scenario exit $code_exported"
    cat "$tmp/exported.txt"; exit 1
  fi
  if ! diff <(normalise "$tmp/original.txt") <(normalise "$tmp/exported.txt") >"$tmp/diff"; then
    echo "FAIL: $scenario: the exported scenario's report differs:"; head -40 "$tmp/diff"; exit 1
  fi
done
# Every exported manifest is one Kubernetes object; app pods run the echo server.
python3 - "$tmp" <<'PY' || { echo "FAIL: exported manifests are not what a cluster takes"; exit 1; }
import glob, sys, yaml
for path in sorted(glob.glob(sys.argv[1] + "/e*/manifests/*.yaml")):
    docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    assert len(docs) == 1, path + ": expected one object"
    d = docs[0]
    for key in ("apiVersion", "kind", "metadata"):
        assert key in d, path + ": no " + key
    assert d["metadata"].get("name"), path + ": no metadata.name"
    meta = d["metadata"]
    if d["kind"] == "Deployment":
        meta = d["spec"]["template"]["metadata"]
    for k, v in list(meta.get("labels", {}).items()) + list(meta.get("annotations", {}).items()):
        assert isinstance(v, str), "%s: %s is not a string: %r" % (path, k, v)
    if d["kind"] in ("Deployment", "Pod"):
        spec = d["spec"]["template"]["spec"] if d["kind"] == "Deployment" else d["spec"]
        if "istio" not in meta.get("labels", {}):
            c = spec["containers"]
            assert len(c) == 1 and c[0]["name"] == "echo", path + ": not the echo server"
PY
if command -v kubectl >/dev/null 2>&1; then
  printf 'resources:\n%s\n' "$(cat "$tmp/resources")" >"$tmp/kustomization.yaml"
  if ! kubectl kustomize "$tmp" >/dev/null 2>"$tmp/kustomize.log"; then
    echo "FAIL: kubectl kustomize refuses the exported manifests:"; cat "$tmp/kustomize.log"; exit 1
  fi
  echo "kubectl kustomize read every exported manifest"
fi
echo "export round trip: $n scenarios, same reports"
