#pragma once

// File: sim/manifests.h
//
// Loads Kubernetes and Istio manifests (files, folders, inline text, `kind: List` documents as
// `kubectl get -o yaml` prints them) into typed resources. Fails closed: a kind that could change
// where traffic goes or whether it is allowed but is not modelled (AuthorizationPolicy,
// HTTPRoute, ...) is an error unless `allow_unmodelled` is set (then it is skipped with a
// warning); kinds that cannot change traffic (ConfigMap, ServiceAccount, ...) are skipped; the
// same object defined twice and malformed documents are errors with file:line.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/status.h"
#include "sim/istio/resources.h"
#include "sim/k8s/resources.h"
#include "sim/yaml/document.h"

namespace meshsim::sim {

struct Manifests {
  k8s::Resources k8s;
  istio::Resources istio;
  // Human-readable notes for every report ("file:line:col: AuthorizationPolicy default/deny is
  // not modelled yet; ...").
  std::vector<std::string> warnings;
  // Set before adding documents: skip kinds that are not modelled (with a warning) instead of
  // refusing them (the CLI's --allow-unmodelled).
  bool allow_unmodelled = false;
  // Where each object added so far was defined, by "group/Kind namespace/name", so that a second
  // definition is refused with both places.
  std::map<std::string, yaml::Location, std::less<>> defined;
};

// Adds every resource of `docs` to `out`.
Status addDocuments(const std::vector<yaml::Document>& docs, Manifests& out);
// The files addPath() reads for `path`: the file itself, or every *.yaml / *.yml file below a
// folder, recursively, in name order.
StatusOr<std::vector<std::string>> manifestFiles(const std::string& path);
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
// How the loader treats a kind (by API group and kind; "" is the core group of apiVersion v1).
enum class KindTreatment {
  Modelled,    // becomes a resource of the simulated mesh
  Skipped,     // cannot change traffic (ConfigMap, ServiceAccount, ...): left out silently
  Unmodelled,  // could change traffic but is not modelled: an error, or skipped with a warning
  Unknown,     // no kind meshsim knows: treated as Unmodelled
};
KindTreatment kindTreatment(std::string_view group, std::string_view kind);

// The group of an apiVersion: "apps" for "apps/v1", "" for "v1".
std::string_view apiGroup(std::string_view api_version);

}  // namespace meshsim::sim
