#pragma once

// File: proxy/config/proxy_config.h
//
// The proxy core's own configuration, in the terms of Envoy's xDS: listeners, route
// configurations (virtual hosts and routes), clusters and their endpoints. It knows nothing of
// Kubernetes or Istio; sim/istio translates Istio resources into it, the way istiod does for
// Envoy.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <climits>

namespace re2 {
class RE2;
}  // namespace re2

namespace meshsim::proxy {
class SharedConfig;  // proxy/shared_config.h
}  // namespace meshsim::proxy

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
// RingHash and Maglev pick by the request's hash (RouteAction::hash_policy); without one, by a
// random hash.
enum class LbPolicy { LeastRequest, RoundRobin, Random, RingHash, Maglev };

// Envoy's route hash_policy (Istio DestinationRule consistentHash): what a request is hashed on.
struct HashPolicy {
  enum class Kind { Header, Cookie, SourceIp, QueryParameter };
  Kind kind = Kind::Header;
  std::string name;  // header (lower case), cookie or query parameter name
  // Cookie only: with a ttl, a request without the cookie gets one generated (Set-Cookie on the
  // response) and is hashed on it.
  std::optional<std::chrono::seconds> cookie_ttl;
  std::string cookie_path;
};

// Circuit-breaker thresholds per client proxy per cluster. Istio installs 2^32-1 (effectively
// unlimited) unless a DestinationRule connectionPool sets them.
struct CircuitBreakers {
  uint32_t max_connections = UINT32_MAX;
  uint32_t max_pending_requests = UINT32_MAX;
  uint32_t max_requests = UINT32_MAX;
  uint32_t max_retries = UINT32_MAX;
};

// Envoy outlier detection as Istio configures it (consecutive errors only, panic disabled).
struct OutlierDetection {
  uint32_t consecutive_5xx = 5;              // 0: off
  uint32_t consecutive_gateway_failure = 0;  // 0: off
  std::chrono::nanoseconds interval = std::chrono::seconds(10);
  std::chrono::nanoseconds base_ejection_time = std::chrono::seconds(30);
  std::chrono::nanoseconds max_ejection_time = std::chrono::seconds(300);
  uint32_t max_ejection_percent = 10;
  uint32_t min_health_percent = 0;  // Envoy healthy_panic_threshold; Istio default 0 (no panic)
};

struct Cluster {
  // e.g. "outbound|80||hello.default.svc.cluster.local" or "inbound|8080||".
  std::string name;
  // Null for clusters that stand for no service.
  ServiceInfoConstSharedPtr service;
  LbPolicy lb_policy = LbPolicy::LeastRequest;
  std::vector<Endpoint> endpoints;
  CircuitBreakers circuit_breakers;
  std::optional<OutlierDetection> outlier_detection;
  // How long a connection attempt may take (DestinationRule connectionPool.tcp.connectTimeout;
  // Istio's default 10 s). Then 503 UF.
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(10);
  // RingHash: Envoy's minimum_ring_size (Istio sets 1024 unless ringHash.minimumRingSize says)
  // and maximum_ring_size (Envoy's default, 8M). Maglev: table_size, a prime (Envoy 65537).
  uint64_t minimum_ring_size = 1024;
  uint64_t maximum_ring_size = 8388608;
  uint64_t maglev_table_size = 65537;
  // Envoy ORIGINAL_DST (Istio's PassthroughCluster, and a headless Service's clusters on a
  // sidecar): forward to the address the client connected to, without load balancing. An
  // endpoint at that address lends its identity and mTLS (Istio's metadata exchange); the
  // metrics name the cluster's service, or PassthroughCluster when it has none.
  bool original_destination = false;
  uint32_t coverage_key = 0;  // see Route::coverage_key
  // The HTTP version of requests to the cluster's endpoints (Istio's setUpstreamProtocol and
  // DestinationRule connectionPool.http.h2UpgradePolicy / useClientProtocol): HTTP/1.1, HTTP/2,
  // or whatever the downstream request used. HTTP/2 multiplexes: requests do not wait for a
  // free connection (max_connections), only max_requests bounds them.
  enum class Protocol { Http11, Http2, Downstream };
  Protocol upstream_protocol = Protocol::Http11;
};

// Where a piece of configuration came from, for `explain` and error messages:
// "VirtualService default/frontend-ingress (fixtures/hello/virtualservice.yaml:7)".
struct SourceRef {
  std::string description;
};

// How a string (a header value, a query parameter, the path) is compared.
struct StringMatcher {
  enum class Kind { Exact, Prefix, Regex };
  Kind kind = Kind::Exact;
  std::string value;
  bool ignore_case = false;  // exact and prefix only
  // Compiled by RouteTable::create for Kind::Regex; RE2 full match (implicitly anchored).
  std::shared_ptr<const re2::RE2> regex;
};

struct HeaderMatcher {
  std::string name;  // lower case; ":method", ":scheme", ":authority" address pseudo-headers
  // Absent: the header only has to be present.
  std::optional<StringMatcher> value;
  // Matches when the inner test fails (Istio withoutHeaders).
  bool invert = false;
  // A missing header is compared as "" instead of failing (withoutHeaders value matchers).
  bool treat_missing_as_empty = false;
};

struct QueryParameterMatcher {
  std::string name;
  // Absent: the parameter only has to be present.
  std::optional<StringMatcher> value;
};

struct RouteMatch {
  // Exactly one path rule applies: `path` (exact, without the query) if set, else `regex` (full
  // match of the path without the query) if set, else `prefix` (of the full path and query).
  std::string prefix = "/";
  std::string path;
  std::string regex;
  bool case_sensitive = true;  // exact and prefix only
  std::vector<HeaderMatcher> headers;
  std::vector<QueryParameterMatcher> query_parameters;
  std::shared_ptr<const re2::RE2> compiled_regex;  // set by RouteTable::create
};

// Header edits: removals first, then `set` (replace), then `add` (append), as Envoy applies them.
struct HeaderOperations {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

struct WeightedCluster {
  std::string name;
  uint32_t weight = 0;
  // Applied before the route's own operations (so a route-level set wins).
  HeaderOperations request_headers;
  HeaderOperations response_headers;
  // Envoy's per-cluster host_rewrite_literal: applied before the route's own host_rewrite.
  std::string host_rewrite;
  // The hash of `name` (std::hash<std::string_view>), set by RouteTable::create: a proxy finds
  // the cluster's state with it instead of hashing the name for every request.
  size_t name_hash = 0;
};

struct MirrorPolicy {
  std::string cluster;
  double fraction = 1.0;  // of requests, in [0, 1]
  // Envoy appends "-shadow" to the mirrored request's host (Istio 1.27 and earlier).
  bool shadow_host_suffix = false;
};

// Envoy's retry_on conditions (router_filter.rst), as bits.
enum RetryOn : uint32_t {
  kRetryOn5xx = 1u << 0,
  kRetryOnGatewayError = 1u << 1,  // 502, 503, 504
  kRetryOnReset = 1u << 2,
  kRetryOnConnectFailure = 1u << 3,
  kRetryOnRetriable4xx = 1u << 4,  // 409
  kRetryOnRefusedStream = 1u << 5,
  kRetryOnRetriableStatusCodes = 1u << 6,
  kRetryOnResetBeforeRequest = 1u << 7,
  // gRPC conditions: they look at grpc-status in response headers; HTTP/1 traffic never has it.
  kRetryOnGrpcCancelled = 1u << 8,
  kRetryOnGrpcDeadlineExceeded = 1u << 9,
  kRetryOnGrpcInternal = 1u << 10,
  kRetryOnGrpcResourceExhausted = 1u << 11,
  kRetryOnGrpcUnavailable = 1u << 12,
};

struct RetryPolicy {
  uint32_t num_retries = 0;
  uint32_t retry_on = 0;  // RetryOn bits
  std::vector<int> retriable_status_codes;
  // 0: none (each attempt is bounded only by the route timeout).
  std::chrono::nanoseconds per_try_timeout{0};
  // Fully jittered exponential backoff: before retry n, a uniform wait in
  // [0, (2^n - 1) * base), capped at max.
  std::chrono::nanoseconds base_interval = std::chrono::milliseconds(25);
  std::chrono::nanoseconds max_interval = std::chrono::milliseconds(250);
  // previous_hosts predicate: a retry avoids endpoints already tried, up to this many picks.
  bool avoid_previous_hosts = true;
  uint32_t host_selection_max_attempts = 5;
};

// Envoy's fault filter on the client-side proxy: runs before the router.
struct FaultPolicy {
  std::chrono::nanoseconds delay{0};
  double delay_fraction = 0;  // of requests, in [0, 1]
  int abort_status = 0;       // 0: no abort
  double abort_fraction = 0;
};

struct RouteAction {
  // The whole exchange including retries and backoff; 0: no timeout (Istio's default).
  std::chrono::nanoseconds timeout{0};
  std::optional<RetryPolicy> retry_policy;
  // One cluster, or a weighted choice made once per request.
  std::vector<WeightedCluster> clusters;
  // Replaces the matched prefix (or the whole path for exact and regex matches).
  std::optional<std::string> prefix_rewrite;
  // Replaces every match of `regex_rewrite_pattern` in the path (not the query).
  std::string regex_rewrite_pattern;
  std::string regex_rewrite_substitution;
  std::shared_ptr<const re2::RE2> compiled_regex_rewrite;  // set by RouteTable::create
  std::string host_rewrite;
  std::vector<MirrorPolicy> mirrors;
  // Envoy combines the hashes of every policy that yields one, in order (the running value
  // rotated left by one, then XORed); none: no hash.
  std::vector<HashPolicy> hash_policies;

  uint32_t total_weight() const {
    uint32_t t = 0;
    for (const auto& c : clusters) {
      t += c.weight;
    }
    return t;
  }
};

struct RedirectAction {
  std::string scheme;  // empty: keep
  std::string host;    // empty: keep
  // 0: keep the request's port (dropped when the scheme changes away from its default port).
  // -1: drop any port.
  int port = 0;
  std::string path;  // empty: keep; a '?' in it replaces the query
  // Envoy's prefix_rewrite: replaces the route's matched prefix in the path and query (a route
  // with a prefix match only); exclusive with `path`.
  std::optional<std::string> prefix_rewrite;
  int response_code = 301;
};

struct DirectResponse {
  int status = 200;
  std::string body;
};

struct CorsPolicy {
  std::vector<StringMatcher> allow_origins;
  std::string allow_methods;
  std::string allow_headers;
  std::string expose_headers;
  std::string max_age;
  std::optional<bool> allow_credentials;
  // Envoy forward_not_matching_preflights (Istio unmatchedPreflights FORWARD, the default):
  // whether a preflight from an origin that is not allowed goes upstream or is answered 200.
  bool forward_not_matching_preflights = true;
};

struct Route {
  enum class Kind { Route, Redirect, DirectResponse };
  std::string name;
  RouteMatch match;
  Kind kind = Kind::Route;
  RouteAction action;
  RedirectAction redirect;
  DirectResponse direct_response;
  HeaderOperations request_headers;
  HeaderOperations response_headers;
  std::optional<CorsPolicy> cors;
  std::optional<FaultPolicy> fault;
  SourceRef source;
  // An identity the control plane gives the route for coverage (0: none); the proxy counts the
  // requests routed by it (Proxy::coverageHits()). Set on virtual hosts and clusters too.
  uint32_t coverage_key = 0;
};

struct VirtualHost {
  std::string name;
  // Istio httpsRedirect: a request that did not arrive over TLS gets a 301 to https.
  bool require_tls = false;
  // Envoy domain syntax: exact "hello.com", suffix "*.example.com", prefix "foo.*", or "*".
  std::vector<std::string> domains;
  std::vector<Route> routes;
  SourceRef source;
  uint32_t coverage_key = 0;  // see Route::coverage_key
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
  // A '#' in the request path: Envoy's default (since 1.19.1) answers 400; Istio's bootstrap
  // turns that off (runtime envoy.reloadable_features.http_reject_path_with_fragment: false),
  // so the fragment is stripped before routing (HTTP_STRIP_FRAGMENT_FROM_PATH_UNSAFE_IF_DISABLED
  // keeps its default, true).
  bool reject_path_with_fragment = false;
  // False for a sidecar's outbound listeners: they take traffic the pod's app sends to that
  // port anywhere (iptables capture), not connections to the proxy's own address.
  bool bind_to_port = true;
};

// One proxy's whole configuration (one Envoy: a gateway or a sidecar): what is its own, plus
// what it shares with the other proxies of its scope.
struct ProxyConfig {
  std::string node_id;
  // The address the proxy's own connections come from (its pod IP).
  uint32_t ip = 0;
  // The workload this proxy runs in (the gateway's own, or the app pod's for a sidecar).
  WorkloadInfoConstSharedPtr workload;
  std::vector<Listener> listeners;
  std::vector<RouteConfiguration> route_configs;
  std::vector<Cluster> clusters;
  // Listeners, compiled route configurations and clusters held in common with other proxies
  // (see proxy/shared_config.h), or null. A listener port may be in only one of the two parts;
  // a cluster name in both means the own one.
  std::shared_ptr<const SharedConfig> shared;
  // A sidecar's virtual outbound listener (Istio's "virtualOutbound" on 15001): what happens to a
  // connection the app opens to a port that has no outbound listener. True: it passes through to
  // the address the app asked for (PassthroughCluster, outboundTrafficPolicy ALLOW_ANY); false:
  // it is closed at once (BlackHoleCluster, REGISTRY_ONLY). Whoever captures the pod's traffic
  // (the simulated network) acts on it; Proxy itself has no such listener.
  bool outbound_passthrough = true;
};

}  // namespace meshsim::proxy::config
