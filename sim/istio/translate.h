#pragma once

// File: sim/istio/translate.h
//
// What istiod does: turns the world (pods, services, endpoints) and the Istio resources into
// one proxy configuration per gateway pod and per sidecar. The rules follow
// reference/istio-semantics.md sections 1 (Gateway), 2 (VirtualService), 3 (DestinationRule)
// and 7; a Sidecar resource scopes a sidecar's outbound side as pilot/pkg/model/sidecar.go does
// (docs/architecture.md). A ServiceEntry host is a service like a Kubernetes Service (clusters,
// DestinationRules, sidecar virtual hosts); docs/real-network.md describes its translation.

#include <map>
#include <string>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/status.h"
#include "proxy/shared_config.h"
#include "sim/istio/analyze.h"
#include "sim/istio/coverage.h"
#include "sim/istio/resources.h"
#include "sim/k8s/world.h"

namespace meshsim::sim::istio {

struct ProxyPlan {
  size_t pod;  // index into World::pods()
  proxy::config::ProxyConfig config;
};

struct Translation {
  // One plan per gateway pod and per sidecar. Their configurations hold shared parts
  // (ProxyConfig::shared): a sidecar's outbound side is built once per scope and the clusters
  // once per client namespace.
  std::vector<ProxyPlan> proxies;
  // The clusters as seen from each client namespace (what ProxyConfig::shared holds): by
  // namespace for gateways, by "namespace\0sidecar" for sidecars, by
  // "namespace\0sidecar\0<Sidecar namespace/name>" for sidecars under a Sidecar resource.
  std::map<std::string, proxy::upstream::ClusterTableConstSharedPtr> cluster_tables;
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
  // The translation this one follows (after an event), if any: clusters that were in it keep
  // the generation they appeared in (see proxy::upstream::ClusterTable).
  const Translation* previous = nullptr;
  // When set, the keys of the registry's items (Gateway servers, VirtualService routes and match
  // blocks, DestinationRule subsets, ServiceEntries) become the coverage_key of the virtual hosts,
  // routes and clusters built from them (see coverage.h). Must hold every item of `istio`.
  const CoverageRegistry* coverage = nullptr;
};

StatusOr<Translation> translate(const k8s::World& world, const Resources& istio,
                                const TranslateOptions& options = {});

// Resolves a VirtualService or DestinationRule host as Istio does: a name without a dot becomes
// "<name>.<namespace>.svc.cluster.local"; anything with a dot (and "*") is taken literally.
std::string resolveHost(const std::string& host, const std::string& namespace_name);

// Whether host pattern `a` covers `b` (Istio's host.Name rules: "*" covers everything, "*X"
// covers whatever ends in X, otherwise equality).
bool hostCovers(std::string_view a, std::string_view b);

// The protocol Istio gives a Kubernetes Service port (kube.ConvertProtocol): UDP for UDP ports,
// else from appProtocol (kubernetes.io/h2c is HTTP2, kubernetes.io/ws HTTP, kubernetes.io/wss
// HTTPS) or the port name: "grpc-web..." or the part before the first '-', case-insensitive, as
// an upper-case name ("HTTP", "HTTP2", "GRPC", "GRPC-WEB", "TCP", ...). "" when none is
// recognised (Istio's Unsupported: protocol sniffing), except TCP for ports 25, 53, 3306, 27017.
std::string portProtocol(const k8s::ServicePort& port);

// Istio's cluster name: "outbound|80|v1|hello.default.svc.cluster.local".
std::string outboundClusterName(int port, const std::string& subset, const std::string& host);

}  // namespace meshsim::sim::istio
