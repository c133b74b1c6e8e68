#pragma once

// File: sim/manifests.h
//
// Loads Kubernetes and Istio manifests (files, folders, inline text) into typed resources.
// Kinds that do not affect routing (ServiceAccount, ConfigMap, ...) are skipped with a note;
// unknown kinds are skipped with a warning; malformed documents are errors with file:line.

#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/istio/resources.h"
#include "sim/k8s/resources.h"
#include "sim/yaml/document.h"

namespace meshsim::sim {

struct Manifests {
  k8s::Resources k8s;
  istio::Resources istio;
  // Human-readable notes about skipped documents ("file:line: kind X is not modelled; skipped").
  std::vector<std::string> warnings;
};

// Adds every resource of `docs` to `out`.
Status addDocuments(const std::vector<yaml::Document>& docs, Manifests& out);
// Adds a file, or every *.yaml / *.yml file of a folder (recursively, in name order).
Status addPath(const std::string& path, Manifests& out);
// Adds the multi-document `text` that starts at `first_line` of `file`, its lines indented by
// `indent` columns there.
Status addText(const std::string& text, const std::string& file, int first_line, Manifests& out,
               int indent = 0);

}  // namespace meshsim::sim
