#pragma once

// File: proxy/config/proxy_config.h
//
// The proxy core's own configuration, in the terms of Envoy's xDS: listeners, route
// configurations (virtual hosts and routes), clusters and their endpoints. It knows nothing of
// Kubernetes or Istio; sim/istio translates Istio resources into it, the way istiod does for
// Envoy.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace meshsim::proxy::config {

// An IPv4 address and port. The simulation hands out 10.x addresses; real-network mode uses
// loopback.
struct Address {
  uint32_t ip = 0;
  uint16_t port = 0;

  friend bool operator==(const Address&, const Address&) = default;
};
// "10.1.0.7:8080".
std::string toString(const Address& a);
// "10.1.0.7".
std::string ipToString(uint32_t ip);
constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | uint32_t{d};
}
inline constexpr uint32_t kLoopback = ipv4(127, 0, 0, 1);

// Who a proxy or an endpoint is, as Istio's node metadata and peer-metadata exchange carry it.
// Metric labels (source_*, destination_*) are read from here.
struct WorkloadInfo {
  std::string workload;  // Deployment name, e.g. "hello-v1"
  std::string namespace_name;
  std::string pod;
  std::string app;      // label app; empty when absent
  std::string version;  // label version; empty when absent
  std::string canonical_service;
  std::string canonical_revision;
  std::string service_account;
  std::string principal;  // spiffe://cluster.local/ns/<ns>/sa/<sa>
  std::string cluster_id = "Kubernetes";
};
using WorkloadInfoConstSharedPtr = std::shared_ptr<const WorkloadInfo>;

// The service an outbound cluster stands for (Istio attaches it as cluster metadata).
struct ServiceInfo {
  std::string host;  // FQDN, e.g. hello.default.svc.cluster.local
  std::string name;
  std::string namespace_name;
};
using ServiceInfoConstSharedPtr = std::shared_ptr<const ServiceInfo>;

struct Endpoint {
  Address address;
  // The workload behind the endpoint; null when unknown (e.g. an external host).
  WorkloadInfoConstSharedPtr workload;
  // Whether the endpoint has an Istio proxy, so the hop to it is mutual TLS (auto mTLS).
  bool mtls = false;
};

// Istio's default when a DestinationRule sets none is LeastRequest (power of two choices).
enum class LbPolicy { LeastRequest, RoundRobin, Random };

struct Cluster {
  // e.g. "outbound|80||hello.default.svc.cluster.local" or "inbound|8080||".
  std::string name;
  // Null for clusters that stand for no service.
  ServiceInfoConstSharedPtr service;
  LbPolicy lb_policy = LbPolicy::LeastRequest;
  std::vector<Endpoint> endpoints;
};

// Where a piece of configuration came from, for `explain` and error messages:
// "VirtualService default/frontend-ingress (fixtures/hello/virtualservice.yaml:7)".
struct SourceRef {
  std::string description;
};

struct RouteMatch {
  // Path prefix of the full :path including the query; "/" matches everything. Used when
  // `path` is empty.
  std::string prefix = "/";
  // Exact path, compared with the :path without its query string.
  std::string path;
};

struct WeightedCluster {
  std::string name;
  uint32_t weight = 0;
};

struct RouteAction {
  // One cluster, or a weighted choice made once per request.
  std::vector<WeightedCluster> clusters;
  uint32_t total_weight() const {
    uint32_t t = 0;
    for (const auto& c : clusters) {
      t += c.weight;
    }
    return t;
  }
};

struct Route {
  std::string name;
  RouteMatch match;
  RouteAction action;
  SourceRef source;
};

struct VirtualHost {
  std::string name;
  // Envoy domain syntax: exact "hello.com", suffix "*.example.com", prefix "foo.*", or "*".
  std::vector<std::string> domains;
  std::vector<Route> routes;
  SourceRef source;
};

struct RouteConfiguration {
  std::string name;  // e.g. "http.8080"
  std::vector<VirtualHost> virtual_hosts;
  // Istio 1.16+ sets this: the port in Host/:authority does not take part in vhost selection.
  bool ignore_port_in_host_matching = true;
};

// Which side of a workload a listener serves. It decides the reporter of the Istio metrics:
// outbound (gateways and a sidecar's outgoing traffic) reports as "source", inbound as
// "destination".
enum class TrafficDirection { Outbound, Inbound };

struct Listener {
  std::string name;  // e.g. "0.0.0.0_8080"
  uint16_t port = 0;
  TrafficDirection direction = TrafficDirection::Outbound;
  std::string route_config_name;
  // Value of the `server` response header (server_header_transformation: OVERWRITE).
  std::string server_name = "istio-envoy";
  // Edge behaviour of a gateway (use_remote_address: true): append the peer to
  // x-forwarded-for, overwrite x-forwarded-proto, replace x-request-id.
  bool use_remote_address = false;
};

// One proxy's whole configuration (one Envoy: a gateway or a sidecar).
struct ProxyConfig {
  std::string node_id;
  // The address the proxy's own connections come from (its pod IP).
  uint32_t ip = 0;
  // The workload this proxy runs in (the gateway's own, or the app pod's for a sidecar).
  WorkloadInfoConstSharedPtr workload;
  std::vector<Listener> listeners;
  std::vector<RouteConfiguration> route_configs;
  std::vector<Cluster> clusters;
};

}  // namespace meshsim::proxy::config
