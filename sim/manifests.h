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

// What `kubectl apply` of `more` does to `into`: each resource replaces the one of the same kind,
// namespace and name, or is added; the warnings are appended.
void applyManifests(Manifests& into, const Manifests& more);

// Istio's default ingress gateway, as `istioctl install` (the default profile) creates it: the
// Deployment and the LoadBalancer Service istio-system/istio-ingressgateway, labelled
// istio=ingressgateway, Service ports 80 -> 8080 (http2), 443 -> 8443 (https) and 15021
// (fixtures/istio/ingressgateway.yaml without its Namespace and ServiceAccount, which would clash
// with, or warn about, the user's own). Its file name in locations is kDefaultIngressGatewayFile.
extern const char* const kDefaultIngressGatewayYaml;
extern const char* const kDefaultIngressGatewayFile;  // "<meshsim default ingress gateway>"

// Whether `m` has an ingress gateway of its own: a Service labelled istio=ingressgateway, or the
// Service or Deployment istio-system/istio-ingressgateway.
bool hasIngressGateway(const Manifests& m);

// Adds the default ingress gateway unless `m` has one of its own (which replaces it): what the
// embedding API, scenarios and the CLI's -f manifests all get, as a cluster with Istio's default
// install has it. Returns whether it was added.
StatusOr<bool> addDefaultIngressGateway(Manifests& m);

}  // namespace meshsim::sim
