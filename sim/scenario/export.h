#pragma once

// File: sim/scenario/export.h
//
// `meshsim export`: what a real Kubernetes cluster with Istio needs to run a scenario. The
// scenario's manifests (its includes and inline resources) become one file per resource, with
// every app Deployment's and Pod's containers replaced by an echo server that answers with the
// echo document meshsim's apps answer with (docs/scenarios.md), so that `meshsim run --target`
// can judge where requests went. Beside them: the echo server's script, a copy of the scenario
// that includes the exported files, an apply script and a README (docs/conformance.md).
//
// Example:
//   auto exported = exportScenario("scenarios/hello.yaml", {});
//   if (exported.ok()) writeExport(exported.value(), "out/hello");

#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/status.h"

namespace meshsim::sim::scenario {

// A public image with python3 on which the echo server script runs.
inline constexpr std::string_view kDefaultEchoImage = "docker.io/library/python:3.12-alpine";

struct ExportOptions {
  std::string image{kDefaultEchoImage};  // must have python3 on its PATH
};

struct ExportFile {
  std::string path;  // relative to the export folder, '/'-separated
  std::string text;
  bool executable = false;
};

struct Export {
  std::vector<ExportFile> files;
  // What the cluster will not reproduce (workload behaviours, events, gateway Deployments kept
  // as written, ...), one sentence each; also listed in the README.
  std::vector<std::string> notes;
};

// Builds the export of the scenario file at `scenario_path`. The scenario is loaded first, so a
// scenario that does not load fails with the loader's error (file:line:col and field).
StatusOr<Export> exportScenario(const std::string& scenario_path, const ExportOptions& options);

// Writes `exported` under `dir`, creating it. Refuses a `dir` that exists and is not an empty
// folder, so that an export never mixes with other files.
Status writeExport(const Export& exported, const std::string& dir);

// The echo server that the export runs in place of every app (python3, standard library only):
// answers every request with 200 and the echo document, reading the pod's name, namespace, IP,
// service account and labels from the Downward API and listening on the ports in ECHO_PORTS.
std::string_view echoServerScript();

}  // namespace meshsim::sim::scenario
