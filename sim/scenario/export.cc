#include "sim/scenario/export.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "sim/json.h"
#include "sim/k8s/world.h"
#include "sim/manifests.h"
#include "sim/scenario/scenario.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::scenario {

namespace {

namespace fs = std::filesystem;

// --- A YAML writer that keeps strings strings. yaml-cpp's emitter writes a quoted "false" or
// "8080" back plain (a bool, a number), which Kubernetes rejects in labels and annotations; here
// a scalar that was plain in the source stays plain and every other one is quoted unless plain
// text cannot be mistaken for anything else.

bool safePlain(const std::string& s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
    return false;
  }
  static const std::set<std::string> kSpecial = {"true", "false", "yes", "no", "on",
                                                 "off",  "null",  "y",   "n"};
  std::string lower;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '/';
    if (!ok) {
      return false;
    }
    lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return kSpecial.count(lower) == 0;
}

// A literal block (|) keeps a script readable; only for text that ends in one newline and whose
// lines need no escapes.
bool literalBlockFits(const std::string& s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n' || s[0] == ' ' || s[0] == '\n') {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  });
}

void emitScalar(const YAML::Node& node, int indent, std::string& out) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "?" || safePlain(s)) {
    out += s;
  } else if (literalBlockFits(s)) {
    out += "|\n";
    size_t start = 0;
    while (start < s.size()) {
      const size_t eol = s.find('\n', start);
      const std::string line = s.substr(start, eol - start);
      if (!line.empty()) {
        out += std::string(static_cast<size_t>(indent), ' ') + line;
      }
      out += '\n';
      start = eol + 1;
    }
    out.pop_back();  // the caller ends the line
  } else {
    appendJsonString(out, s);  // a JSON string is a YAML double-quoted scalar
  }
}

void emitNode(const YAML::Node& node, int indent, std::string& out);

// The value after "key:" or "- ": on the same line for scalars and empty collections, on the
// next lines otherwise.
void emitValue(const YAML::Node& node, int indent, bool in_sequence, std::string& out) {
  if (node.IsMap() && node.size() > 0) {
    out += '\n';
    emitNode(node, indent + 2, out);
  } else if (node.IsSequence() && node.size() > 0) {
    out += '\n';
    // Kubernetes style: a list under a key is not indented further; under a list item it is.
    emitNode(node, in_sequence ? indent + 2 : indent, out);
  } else {
    out += ' ';
    emitNode(node, indent + 2, out);
    out += '\n';
  }
}

void emitNode(const YAML::Node& node, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (node.IsMap()) {
    if (node.size() == 0) {
      out += "{}";
      return;
    }
    for (const auto& kv : node) {
      out += pad;
      emitScalar(kv.first, indent, out);
      out += ':';
      emitValue(kv.second, indent, false, out);
    }
  } else if (node.IsSequence()) {
    if (node.size() == 0) {
      out += "[]";
      return;
    }
    for (const auto& item : node) {
      out += pad + "-";
      if (item.IsMap() && item.size() > 0) {
        // The first key on the dash's line, the others under it.
        std::string inner;
        emitNode(item, indent + 2, inner);
        out += ' ' + inner.substr(static_cast<size_t>(indent) + 2);
      } else {
        emitValue(item, indent, true, out);
      }
    }
  } else if (node.IsScalar()) {
    emitScalar(node, indent, out);
  } else {
    out += "null";
  }
}

std::string toYaml(const YAML::Node& root) {
  std::string out;
  emitNode(root, 0, out);
  if (out.empty() || out.back() != '\n') {
    out += '\n';
  }
  return out;
}

// A plain scalar node (numbers, booleans) for generated fields.
YAML::Node plain(const std::string& text) {
  YAML::Node n(text);
  n.SetTag("?");
  return n;
}

// --- The echo server.

constexpr std::string_view kEchoScript =
    R"py(# meshsim's echo app for a real cluster (written by meshsim export; docs/scenarios.md).
# Answers every request with 200 and the echo document that meshsim's simulated apps and
# `meshsim serve` answer with:
#   {"pod": ..., "namespace": ..., "serviceAccount": ..., "labels": {...}, "ip": ...,
#    "request": {"method": ..., "protocol": ..., "host": ..., "path": ..., "headers": {...}}}
# The pod's facts come from the Downward API: POD_NAME, POD_NAMESPACE, POD_IP, SERVICE_ACCOUNT
# and the labels file ECHO_LABELS_FILE. It listens on every port of ECHO_PORTS (a,b,c).
import http.server
import json
import os
import sys
import threading


def read_labels(path):
    # The Downward API writes one label per line: key="value" (the value quoted as Go's %q).
    labels = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if not sep:
                    continue
                try:
                    labels[key] = json.loads(value)
                except ValueError:
                    labels[key] = value.strip('"')
    except OSError:
        pass
    return labels


def js(value):
    return json.dumps(value, ensure_ascii=False)


LABELS = read_labels(os.environ.get("ECHO_LABELS_FILE", "/etc/podinfo/labels"))
PREFIX = ("{\"pod\": " + js(os.environ.get("POD_NAME", "")) +
          ", \"namespace\": " + js(os.environ.get("POD_NAMESPACE", "")) +
          ", \"serviceAccount\": " + js(os.environ.get("SERVICE_ACCOUNT") or "default") +
          ", \"labels\": {" +
          ", ".join(js(k) + ": " + js(LABELS[k]) for k in sorted(LABELS)) +
          "}, \"ip\": " + js(os.environ.get("POD_IP", "")) + ", \"request\": {\"method\": ")


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length > 0:
            self.rfile.read(length)
        # Header names in lower case, in arrival order, a repeated name repeated; Host is the
        # request's "host", not one of its headers.
        headers = [(k.lower(), v) for k, v in self.headers.items() if k.lower() != "host"]
        # This server speaks HTTP/1.x only: an app behind an http2/grpc port needs h2c.
        body = (PREFIX + js(self.command) + ", \"protocol\": " + js(self.request_version) +
                ", \"host\": " + js(self.headers.get("host", "")) +
                ", \"path\": " + js(self.path) + ", \"headers\": {" +
                ", ".join(js(k) + ": " + js(v) for k, v in headers) + "}}}").encode("utf-8")
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = answer

    def log_message(self, fmt, *args):
        pass


def main():
    ports = [int(p) for p in os.environ.get("ECHO_PORTS", "8080").split(",") if p.strip()]
    servers = [http.server.ThreadingHTTPServer(("", p), Echo) for p in ports]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("echo listening on " + ", ".join(str(p) for p in ports), flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    sys.exit(main())
)py";

constexpr std::string_view kEchoConfigMap = "meshsim-echo";

// --- The scenario's documents.

enum class Placement { Cluster, MeshsimOnly };

struct SourceDoc {
  YAML::Node root;  // a deep copy, edited in place
  std::string kind;
  std::string api_version;
  std::string name;
  std::string namespace_name;  // empty for cluster-scoped kinds
  size_t order = 0;            // in the scenario's load order
  Placement placement = Placement::Cluster;
  std::string file;  // the exported file, relative to the export folder
};

bool clusterScoped(const std::string& kind) {
  return kind == "Namespace" || kind == "ClusterRole" || kind == "ClusterRoleBinding" ||
         kind == "CustomResourceDefinition";
}

std::string scalarAt(const YAML::Node& node, std::string_view key) {
  const YAML::Node v = yaml::get(node, key);
  return v.IsScalar() ? v.Scalar() : "";
}

k8s::Labels labelsAt(const YAML::Node& meta, std::string_view key) {
  k8s::Labels out;
  const YAML::Node m = yaml::get(meta, key);
  if (m.IsMap()) {
    for (const auto& kv : m) {
      if (kv.second.IsScalar()) {
        out[kv.first.Scalar()] = kv.second.Scalar();
      }
    }
  }
  return out;
}

// Apply order: namespaces, then what pods need (service accounts, config maps, ...), Services,
// workloads, and Istio's configuration last (its CRDs exist once Istio is installed).
int applyClass(const SourceDoc& d) {
  if (d.kind == "Namespace") {
    return 0;
  }
  if (d.api_version.rfind("networking.istio.io/", 0) == 0) {
    return 4;
  }
  if (d.kind == "Deployment" || d.kind == "Pod") {
    return 3;
  }
  if (d.kind == "Service") {
    return 2;
  }
  return 1;
}

// What the cluster's Istio installation (istioctl install, the default profile) creates itself:
// its namespace and the default ingress gateway. Applying them would clash with it, and deleting
// the export's manifests would delete Istio.
bool istioInstalled(const SourceDoc& d) {
  if (d.kind == "Namespace") {
    return d.name == "istio-system";
  }
  return d.namespace_name == "istio-system" &&
         (((d.kind == "Deployment" || d.kind == "Service") && d.name == "istio-ingressgateway") ||
          (d.kind == "ServiceAccount" && d.name == "istio-ingressgateway-service-account"));
}

bool isIstioConfig(const SourceDoc& d) {
  return applyClass(d) == 4;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return s;
}

// The ports the echo server must listen on for a pod: its containers' ports, and every target
// port of a Service of its namespace that selects it (a numeric targetPort need not be declared).
std::vector<int> echoPorts(const std::vector<k8s::ContainerPort>& declared,
                           const k8s::Labels& labels, const std::string& namespace_name,
                           const Manifests& manifests) {
  std::vector<int> ports;
  const auto add = [&](int p) {
    if (std::find(ports.begin(), ports.end(), p) == ports.end()) {
      ports.push_back(p);
    }
  };
  for (const auto& cp : declared) {
    add(cp.port);
  }
  for (const auto& svc : manifests.k8s.services) {
    if (svc.meta.namespace_name != namespace_name || svc.selector.empty() ||
        !k8s::selectorMatches(svc.selector, labels)) {
      continue;
    }
    for (const auto& sp : svc.ports) {
      if (sp.target_port_number) {
        add(*sp.target_port_number);
      } else if (sp.target_port_name.empty()) {
        add(sp.port);
      }
    }
  }
  if (ports.empty()) {
    ports.push_back(8080);
  }
  return ports;
}

// The pod spec of an echo server pod: the original's service account and host networking, one
// container running the echo script from the meshsim-echo ConfigMap, the Downward API facts.
YAML::Node echoPodSpec(const YAML::Node& original, const std::vector<k8s::ContainerPort>& declared,
                       const std::vector<int>& ports, const std::string& image) {
  std::string ports_text;
  for (size_t i = 0; i < ports.size(); ++i) {
    ports_text += (i == 0 ? "" : ",") + std::to_string(ports[i]);
  }
  std::string text = R"txt(containers:
- name: echo
  image: )txt" + jsonString(image) +
                     R"txt(
  command: [python3, /etc/meshsim-echo/echo.py]
  env:
  - {name: ECHO_PORTS, value: ")txt" +
                     ports_text + R"txt("}
  - {name: ECHO_LABELS_FILE, value: /etc/podinfo/labels}
  - name: POD_NAME
    valueFrom: {fieldRef: {fieldPath: metadata.name}}
  - name: POD_NAMESPACE
    valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
  - name: POD_IP
    valueFrom: {fieldRef: {fieldPath: status.podIP}}
  - name: SERVICE_ACCOUNT
    valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}
  volumeMounts:
  - {name: meshsim-echo, mountPath: /etc/meshsim-echo, readOnly: true}
  - {name: podinfo, mountPath: /etc/podinfo, readOnly: true}
volumes:
- name: meshsim-echo
  configMap: {name: meshsim-echo}
- name: podinfo
  downwardAPI:
    items:
    - path: labels
      fieldRef: {fieldPath: metadata.labels}
)txt";
  YAML::Node spec = YAML::Load(text);
  YAML::Node container_ports(YAML::NodeType::Sequence);
  for (int p : ports) {
    YAML::Node cp(YAML::NodeType::Map);
    for (const auto& d : declared) {
      if (d.port == p && !d.name.empty()) {
        cp["name"] = d.name;
      }
    }
    cp["containerPort"] = plain(std::to_string(p));
    container_ports.push_back(cp);
  }
  spec["containers"][0]["ports"] = container_ports;
  YAML::Node out(YAML::NodeType::Map);
  for (const char* key : {"serviceAccountName", "hostNetwork"}) {
    if (yaml::get(original, key).IsDefined()) {
      out[key] = YAML::Clone(original[key]);
    }
  }
  out["containers"] = spec["containers"];
  out["volumes"] = spec["volumes"];
  return out;
}

// The documents of the scenario, in the order the loader reads them: each include entry (a
// folder: its files in name order), then the inline resources.
StatusOr<std::vector<SourceDoc>> scenarioDocuments(const yaml::Document& scenario_doc,
                                                   const std::string& scenario_path) {
  std::vector<yaml::Document> docs;
  const YAML::Node spec = yaml::get(scenario_doc.root, "spec");
  const YAML::Node includes = yaml::get(spec, "include");
  const fs::path base = fs::path(scenario_path).parent_path();
  for (size_t i = 0; includes.IsSequence() && i < includes.size(); ++i) {
    const std::string entry = (base / includes[i].Scalar()).lexically_normal().string();
    MESHSIM_ASSIGN_OR_RETURN(auto files, manifestFiles(entry));
    for (const auto& f : files) {
      MESHSIM_ASSIGN_OR_RETURN(auto more, yaml::parseFile(f));
      docs.insert(docs.end(), more.begin(), more.end());
    }
  }
  const YAML::Node resources = yaml::get(spec, "resources");
  if (resources.IsScalar()) {
    MESHSIM_ASSIGN_OR_RETURN(auto more, yaml::parseString(resources.Scalar(), scenario_path));
    docs.insert(docs.end(), more.begin(), more.end());
  }
  std::vector<SourceDoc> out;
  for (const auto& doc : docs) {
    if (!doc.root.IsMap()) {
      continue;  // the loader accepted the scenario, so this is an empty document
    }
    SourceDoc d;
    d.root = YAML::Clone(doc.root);
    d.kind = scalarAt(d.root, "kind");
    d.api_version = scalarAt(d.root, "apiVersion");
    const YAML::Node meta = yaml::get(d.root, "metadata");
    d.name = scalarAt(meta, "name");
    if (!clusterScoped(d.kind)) {
      d.namespace_name = scalarAt(meta, "namespace");
      if (d.namespace_name.empty()) {
        d.namespace_name = "default";
      }
    }
    d.order = out.size();
    out.push_back(std::move(d));
  }
  return out;
}

// --- The scenario, rewritten to include the exported files.

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t eol = text.find('\n', start);
    if (eol == std::string::npos) {
      if (start < text.size()) {
        lines.push_back(text.substr(start));
      }
      break;
    }
    lines.push_back(text.substr(start, eol - start));
    start = eol + 1;
  }
  return lines;
}

// Replaces spec.include (and drops spec.resources, now exported files) in the scenario's text,
// keeping every other line as written: comments, block scalars of events and the expectations'
// layout stay as the author wrote them.
StatusOr<std::string> rewriteScenario(const std::string& text, const yaml::Document& doc,
                                      const std::vector<std::string>& includes,
                                      const std::string& header) {
  const YAML::Node spec = yaml::get(doc.root, "spec");
  if (spec.Style() == YAML::EmitterStyle::Flow) {
    return invalidArgumentError(doc.file + ": spec: written in flow style ({...}); export " +
                                "rewrites block-style scenarios only");
  }
  const std::vector<std::string> lines = splitLines(text);
  const int total = static_cast<int>(lines.size());
  // The end of spec: the next top-level key after it, or the end of the file.
  int spec_line = 0;
  int spec_end = total + 1;
  for (const auto& kv : doc.root) {
    const int line = doc.locate(kv.first).line;
    if (kv.first.Scalar() == "spec") {
      spec_line = line;
    } else if (spec_line != 0 && line > spec_line && line < spec_end) {
      spec_end = line;
    }
  }
  struct Key {
    std::string name;
    int line = 0;
    int column = 0;
  };
  std::vector<Key> keys;
  for (const auto& kv : spec) {
    const yaml::Location at = doc.locate(kv.first);
    keys.push_back({kv.first.Scalar(), at.line, at.column});
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.line < b.line; });
  if (keys.empty()) {
    return invalidArgumentError(doc.file + ": spec: empty");
  }
  const int column = keys.front().column;  // 1-based
  const std::string pad(static_cast<size_t>(column - 1), ' ');
  std::string block = pad + "include:  # written by meshsim export: the exported manifests\n";
  for (const auto& inc : includes) {
    block.append(pad).append("  - ").append(inc).append("\n");
  }
  // [first, last) line ranges (1-based) to replace, with what.
  std::map<int, std::pair<int, std::string>> edits;
  bool placed = false;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].name != "include" && keys[i].name != "resources") {
      continue;
    }
    int last = i + 1 < keys.size() ? keys[i + 1].line : spec_end;
    // Comments and blank lines just before the next key belong to it.
    while (last - 1 > keys[i].line) {
      const std::string& l = lines[static_cast<size_t>(last - 2)];
      const size_t first = l.find_first_not_of(' ');
      if (first == std::string::npos ||
          (l[first] == '#' && static_cast<int>(first) <= column - 1)) {
        --last;
      } else {
        break;
      }
    }
    edits[keys[i].line] = {last, placed ? std::string() : block};
    placed = true;
  }
  if (!placed) {
    edits[keys.front().line] = {keys.front().line, block};
  }
  std::string out = header;
  for (int n = 1; n <= total;) {
    auto it = edits.find(n);
    if (it != edits.end()) {
      out += it->second.second;
      if (it->second.first > n) {
        n = it->second.first;
        continue;
      }
    }
    out += lines[static_cast<size_t>(n - 1)] + "\n";
    ++n;
  }
  return out;
}

// --- The apply script and the README.

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string applyScript(const std::vector<const SourceDoc*>& cluster_docs,
                        const std::vector<std::pair<std::string, std::string>>& rollouts) {
  std::string s = R"txt(#!/bin/sh
# Applies this export's manifests to the cluster kubectl points at (written by meshsim export).
# The cluster needs Istio with its default ingress gateway (istioctl install --set
# profile=default): see README.md. Exit 0 when every workload is rolled out.
set -eu
cd "$(dirname "$0")"
command -v kubectl >/dev/null 2>&1 || { echo "apply.sh: kubectl not found" >&2; exit 2; }
if ! kubectl get crd virtualservices.networking.istio.io >/dev/null 2>&1; then
  echo "apply.sh: Istio is not installed in this cluster (no VirtualService CRD); see README.md" >&2
  exit 2
fi
)txt";
  std::string plain_files;
  std::string istio_files;
  for (const SourceDoc* d : cluster_docs) {
    if (isIstioConfig(*d)) {
      istio_files += "  " + shellQuote(d->file) + " \\\n";
    } else {
      plain_files += " -f " + shellQuote(d->file);
    }
  }
  if (!plain_files.empty()) {
    s += "kubectl apply" + plain_files + "\n";
  }
  if (!istio_files.empty()) {
    s += R"txt(# Istio configuration one file at a time, a second apart: istiod orders resources by
# creation time, kept in whole seconds, and breaks ties by name, so this keeps the scenario's
# order wherever it matters (the oldest VirtualService for a host wins).
for f in \
)txt" + istio_files +
         R"txt(; do
  kubectl apply -f "$f"
  sleep 1
done
)txt";
  }
  for (const auto& [ns, name] : rollouts) {
    s += "kubectl -n " + shellQuote(ns) + " rollout status deployment/" + shellQuote(name) +
         " --timeout=300s\n";
  }
  s +=
      R"txt(echo "applied; next: meshsim run --target http://INGRESS_HOST:80 scenario.yaml (README.md)"
)txt";
  return s;
}

std::string readme(const Scenario& s, const std::string& scenario_path, const std::string& image,
                   const std::vector<std::string>& notes) {
  std::string r = "# " + s.name + ", exported for a real cluster\n\n";
  if (!s.description.empty()) {
    r += s.description + "\n\n";
  }
  r += "Written by `meshsim export " + scenario_path + "`. ";
  r += R"txt(The same scenario, run against a cluster with Istio
instead of meshsim's simulated mesh: `meshsim run --target` sends the scenario's `from: ingress`
traffic to the cluster's ingress gateway and judges status codes, response headers and bodies,
and, from the echo document every app answers with, which pod served each request (`servedBy`)
and what it received (`upstream`). Metrics, attempts, response flags and latencies are reported
as not judged (docs/conformance.md).

## What is here

- `manifests/`: the scenario's Kubernetes and Istio resources, one per file, numbered in apply
  order (namespaces with their `istio-injection` labels first, Istio configuration last). Every
  app Deployment and Pod runs the echo server instead of its own containers (image `)txt" +
       image + R"txt(`,
  the script from the `meshsim-echo` ConfigMap in each namespace); labels, annotations,
  replicas, service accounts and ports are kept.
- `echo/echo.py`: that echo server (python3, standard library only). It answers every request
  with 200 and the echo document of meshsim's apps (docs/scenarios.md): pod, namespace, service
  account, labels and IP from the Downward API, and the request as received.
- `scenario.yaml`: the scenario, including the exported files instead of its original ones;
  `meshsim run scenario.yaml` gives the same results as the original, in-process.
- `meshsim-only/` (when present): the `istio-system` namespace and Istio's default ingress
  gateway, which the scenario defined itself; the cluster's Istio installation provides them,
  so `apply.sh` does not apply them (nor does deleting `manifests/` delete Istio), but meshsim
  needs them to load `scenario.yaml`.
- `apply.sh`: applies `manifests/` with kubectl and waits for every Deployment to roll out.

## Run it on kind (or any cluster with Istio)

```sh
kind create cluster --name meshsim                 # any Kubernetes cluster will do
istioctl install --set profile=default -y          # Istio with istio-ingressgateway
./apply.sh
kubectl -n istio-system port-forward svc/istio-ingressgateway 8080:80 &
meshsim run --target http://127.0.0.1:8080 scenario.yaml
```

On a cluster whose LoadBalancer Services get an address, use it instead of the port-forward:

```sh
INGRESS_HOST=$(kubectl -n istio-system get svc istio-ingressgateway \
  -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
meshsim run --target http://$INGRESS_HOST:80 scenario.yaml
```

)txt";
  if (!s.istio_version.empty()) {
    r += "The scenario pins Istio " + s.istio_version +
         " (`spec.istioVersion`): install that release for the same defaults.\n\n";
  }
  r += "To remove it: `kubectl delete -f manifests/` (the API server refuses to delete the "
       "`default` namespace; everything else goes).\n\n";
  r += "## Not reproduced in the cluster\n\n";
  if (notes.empty()) {
    r += "Nothing: every traffic expectation of this scenario that can be judged from outside "
         "is judged.\n";
  }
  for (const auto& n : notes) {
    r += "- " + n + "\n";
  }
  return r;
}

std::string fileName(size_t seq, const SourceDoc& d) {
  char number[16];
  std::snprintf(number, sizeof(number), "%03zu", seq);
  return std::string(number) + "-" + lower(d.kind) + "-" +
         (d.namespace_name.empty() ? std::string("cluster") : d.namespace_name) + "-" + d.name +
         ".yaml";
}

}  // namespace

std::string_view echoServerScript() {
  return kEchoScript;
}

StatusOr<Export> exportScenario(const std::string& scenario_path, const ExportOptions& options) {
  MESHSIM_ASSIGN_OR_RETURN(Scenario scenario, loadScenario(scenario_path));
  MESHSIM_ASSIGN_OR_RETURN(std::string scenario_text, yaml::readFile(scenario_path));
  MESHSIM_ASSIGN_OR_RETURN(auto parsed, yaml::parseString(scenario_text, scenario_path));
  const yaml::Document& scenario_doc = parsed.front();  // loadScenario checked there is one
  MESHSIM_ASSIGN_OR_RETURN(auto docs, scenarioDocuments(scenario_doc, scenario_path));

  Export out;
  const Manifests& manifests = scenario.manifests;
  std::set<std::string> echo_namespaces;
  std::set<std::pair<std::string, std::string>> service_accounts;  // (namespace, name) used
  std::set<std::pair<std::string, std::string>> defined_accounts;
  std::set<std::string> used_namespaces;
  std::set<std::string> defined_namespaces;
  std::vector<std::pair<std::string, std::string>> rollouts;
  std::vector<std::string> kept_gateways;

  for (auto& d : docs) {
    if (istioInstalled(d)) {
      d.placement = Placement::MeshsimOnly;
      continue;
    }
    if (!d.namespace_name.empty()) {
      used_namespaces.insert(d.namespace_name);
    }
    if (d.kind == "Namespace") {
      defined_namespaces.insert(d.name);
    } else if (d.kind == "ServiceAccount") {
      defined_accounts.insert({d.namespace_name, d.name});
    }
    const bool deployment = d.kind == "Deployment" && d.api_version == "apps/v1";
    const bool pod = d.kind == "Pod" && d.api_version == "v1";
    if (!deployment && !pod) {
      continue;
    }
    const YAML::Node pod_meta =
        deployment ? yaml::get(yaml::get(yaml::get(d.root, "spec"), "template"), "metadata")
                   : yaml::get(d.root, "metadata");
    const k8s::Labels labels = labelsAt(pod_meta, "labels");
    if (k8s::isGatewayPod(labels, labelsAt(pod_meta, "annotations"))) {
      kept_gateways.push_back(d.kind + " " + d.namespace_name + "/" + d.name);
      continue;
    }
    std::vector<k8s::ContainerPort> declared;
    const std::string id = d.namespace_name + "/" + d.name;
    if (deployment) {
      for (const auto& dep : manifests.k8s.deployments) {
        if (dep.meta.id() == id) {
          declared = dep.pod.ports;
        }
      }
      rollouts.emplace_back(d.namespace_name, d.name);
    } else {
      for (const auto& p : manifests.k8s.pods) {
        if (p.meta.id() == id) {
          declared = p.spec.ports;
        }
      }
    }
    YAML::Node spec_parent = deployment ? d.root["spec"]["template"] : d.root;
    const YAML::Node original = yaml::get(spec_parent, "spec");
    const std::string account = scalarAt(original, "serviceAccountName");
    if (!account.empty() && account != "default") {
      service_accounts.insert({d.namespace_name, account});
    }
    spec_parent["spec"] =
        echoPodSpec(original, declared, echoPorts(declared, labels, d.namespace_name, manifests),
                    options.image);
    echo_namespaces.insert(d.namespace_name);
  }

  // What the cluster needs beyond the scenario's own resources.
  std::vector<SourceDoc> generated;
  const auto generate = [&](const std::string& text, const std::string& kind, const std::string& ns,
                            const std::string& name) {
    SourceDoc g;
    g.root = YAML::Load(text);
    g.kind = kind;
    g.api_version = "v1";
    g.namespace_name = ns;
    g.name = name;
    g.order = docs.size() + generated.size();
    generated.push_back(std::move(g));
  };
  static const std::set<std::string> kClusterNamespaces = {"default", "istio-system", "kube-system",
                                                           "kube-public"};
  for (const auto& ns : used_namespaces) {
    if (defined_namespaces.count(ns) == 0 && kClusterNamespaces.count(ns) == 0) {
      generate("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n", "Namespace", "",
               ns);
    }
  }
  for (const auto& [ns, name] : service_accounts) {
    if (defined_accounts.count({ns, name}) == 0) {
      std::string text = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ";
      text.append(name).append(", namespace: ").append(ns).append("}\n");
      generate(text, "ServiceAccount", ns, name);
    }
  }
  for (const auto& ns : echo_namespaces) {
    YAML::Node cm = YAML::Load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " +
                               std::string(kEchoConfigMap) + ", namespace: " + ns + "}\n");
    cm["data"]["echo.py"] = std::string(kEchoScript);
    SourceDoc g;
    g.root = cm;
    g.kind = "ConfigMap";
    g.api_version = "v1";
    g.namespace_name = ns;
    g.name = std::string(kEchoConfigMap);
    g.order = docs.size() + generated.size();
    generated.push_back(std::move(g));
  }

  // Files: the cluster's in apply order, the rest in meshsim-only/.
  std::vector<SourceDoc*> cluster;
  for (auto& d : docs) {
    if (d.placement == Placement::Cluster) {
      cluster.push_back(&d);
    }
  }
  for (auto& g : generated) {
    cluster.push_back(&g);
  }
  std::stable_sort(cluster.begin(), cluster.end(), [](const SourceDoc* a, const SourceDoc* b) {
    return applyClass(*a) < applyClass(*b);
  });
  std::vector<const SourceDoc*> applied;
  for (size_t i = 0; i < cluster.size(); ++i) {
    cluster[i]->file = "manifests/" + fileName(i + 1, *cluster[i]);
    applied.push_back(cluster[i]);
  }
  size_t meshsim_only = 0;
  for (auto& d : docs) {
    if (d.placement == Placement::MeshsimOnly) {
      d.file = "meshsim-only/" + fileName(++meshsim_only, d);
    }
  }
  const std::string note_header =
      "# Written by meshsim export from " + scenario_path + " for a real cluster (README.md).\n";
  for (const auto* d : applied) {
    out.files.push_back({d->file, note_header + toYaml(d->root)});
  }
  std::vector<std::string> includes;
  for (const auto& d : docs) {
    includes.push_back(d.file);
    if (d.placement == Placement::MeshsimOnly) {
      out.files.push_back({d.file,
                           "# Istio's installation provides this resource in a real cluster; "
                           "meshsim needs it to load scenario.yaml.\n" +
                               toYaml(d.root)});
    }
  }

  // What the cluster does not reproduce.
  for (const auto& g : kept_gateways) {
    out.notes.push_back(g +
                        " runs a gateway and is kept as written: its image must run an Istio "
                        "gateway (image: auto with inject.istio.io/templates: gateway)");
  }
  if (!scenario.workloads.empty()) {
    out.notes.push_back(
        "spec.workloads (statuses, bodies, latencies, calls) are not reproduced: every app is "
        "the echo server, and run --target does not judge the traffic of such a scenario");
  }
  if (!scenario.events.empty()) {
    out.notes.push_back(
        "spec.events (kills, scaling, applies, partitions) are not replayed in the cluster, and "
        "run --target does not judge the traffic of a scenario with events");
  }
  for (const auto& t : scenario.traffic) {
    if (t.from.rfind("ingress", 0) != 0) {
      out.notes.push_back("traffic " + t.name + " comes from " + t.from +
                          " inside the mesh; run --target sends only from: ingress traffic");
    }
  }

  const std::string scenario_header =
      "# Written by meshsim export from " + scenario_path +
      ": the scenario with the exported manifests.\n# In a cluster: meshsim run --target "
      "http://INGRESS_HOST:80 scenario.yaml (README.md)\n";
  MESHSIM_ASSIGN_OR_RETURN(std::string rewritten,
                           rewriteScenario(scenario_text, scenario_doc, includes, scenario_header));
  out.files.push_back({"scenario.yaml", rewritten});
  out.files.push_back({"echo/echo.py", std::string(kEchoScript)});
  out.files.push_back({"apply.sh", applyScript(applied, rollouts), true});
  out.files.push_back({"README.md", readme(scenario, scenario_path, options.image, out.notes)});
  return out;
}

Status writeExport(const Export& exported, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return invalidArgumentError(dir + ": exists and is not a folder");
    }
    if (!fs::is_empty(dir, ec)) {
      return invalidArgumentError(dir + ": exists and is not empty; name a new or empty folder");
    }
  }
  fs::create_directories(dir, ec);
  if (ec) {
    return invalidArgumentError(dir + ": cannot create folder: " + ec.message());
  }
  for (const auto& f : exported.files) {
    const fs::path path = fs::path(dir) / f.path;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return invalidArgumentError(path.parent_path().string() +
                                  ": cannot create folder: " + ec.message());
    }
    std::ofstream file(path, std::ios::binary);
    file << f.text;
    file.close();
    if (!file) {
      return invalidArgumentError(path.string() + ": cannot write file");
    }
    if (f.executable) {
      fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                      fs::perm_options::add, ec);
      if (ec) {
        return invalidArgumentError(path.string() + ": cannot make executable: " + ec.message());
      }
    }
  }
  return okStatus();
}

}  // namespace meshsim::sim::scenario
