#pragma once

// File: sim/istio/translate.h
//
// What istiod does: turns the world (pods, services, endpoints) and the Istio resources into
// one proxy configuration per gateway pod and per sidecar. The rules follow
// reference/istio-semantics.md sections 1 (Gateway), 2 (VirtualService), 3 (DestinationRule)
// and 7. A ServiceEntry host is a service like a Kubernetes Service (clusters, DestinationRules,
// sidecar virtual hosts); docs/real-network.md describes its translation.

#include <string>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/status.h"
#include "sim/istio/analyze.h"
#include "sim/istio/resources.h"
#include "sim/k8s/world.h"

namespace meshsim::sim::istio {

struct ProxyPlan {
  size_t pod;  // index into World::pods()
  proxy::config::ProxyConfig config;
};

struct Translation {
  std::vector<ProxyPlan> proxies;
  // What istioctl analyze reports as IST0101 (references to nothing), found while translating;
  // analyze() (analyze.h) adds its other analyzers.
  std::vector<AnalysisMessage> analysis;
  // The same as text, istioctl's log lines ("Error [IST0101] (VirtualService default/x
  // file:12) Referenced gateway not found: \"nope\"").
  std::vector<std::string> warnings;
};

struct TranslateOptions {
  // The Istio minor release (24..31) whose defaults apply where they changed.
  int istio_minor = 31;
};

StatusOr<Translation> translate(const k8s::World& world, const Resources& istio,
                                const TranslateOptions& options = {});

// Resolves a VirtualService or DestinationRule host as Istio does: a name without a dot becomes
// "<name>.<namespace>.svc.cluster.local"; anything with a dot (and "*") is taken literally.
std::string resolveHost(const std::string& host, const std::string& namespace_name);

// Whether host pattern `a` covers `b` (Istio's host.Name rules: "*" covers everything, "*X"
// covers whatever ends in X, otherwise equality).
bool hostCovers(std::string_view a, std::string_view b);

// Istio's cluster name: "outbound|80|v1|hello.default.svc.cluster.local".
std::string outboundClusterName(int port, const std::string& subset, const std::string& host);

}  // namespace meshsim::sim::istio
