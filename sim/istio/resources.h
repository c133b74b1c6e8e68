#pragma once

// File: sim/istio/resources.h
//
// Istio networking resources as typed values: Gateway, VirtualService, DestinationRule,
// ServiceEntry and Sidecar (networking.istio.io v1alpha3, v1beta1 and v1 share one schema). Fields
// that Istio defines but the simulator does not model yet are rejected with a message that says so,
// rather than silently ignored. Webhook validation rules (reference section 2.19) are applied while
// parsing.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/core/status.h"
#include "sim/istio/mesh_config.h"
#include "sim/k8s/resources.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::istio {

struct Port {
  int number = 0;
  std::string name;
  std::string protocol;  // upper-cased
};

struct Server {
  Port port;
  std::vector<std::string> hosts;
  std::string name;
  bool https_redirect = false;
  yaml::Location location;
};

struct Gateway {
  k8s::ObjectMeta meta;
  k8s::Labels selector;
  std::vector<Server> servers;
};

// Istio's StringMatch. An empty match ({}) means "present" where Istio allows it.
struct StringMatch {
  enum class Kind { Exact, Prefix, Regex, Present };
  Kind kind = Kind::Present;
  std::string value;
};

struct HttpMatchRequest {
  std::string name;
  std::optional<StringMatch> uri;
  std::optional<StringMatch> scheme;
  std::optional<StringMatch> method;
  std::optional<StringMatch> authority;
  std::vector<std::pair<std::string, StringMatch>> headers;          // names lower-cased
  std::vector<std::pair<std::string, StringMatch>> without_headers;  // names lower-cased
  std::vector<std::pair<std::string, StringMatch>> query_params;
  bool ignore_uri_case = false;
  int port = 0;
  k8s::Labels source_labels;
  std::string source_namespace;
  std::vector<std::string> gateways;
  yaml::Location location;
};

struct Destination {
  std::string host;
  std::string subset;
  int port = 0;  // 0: not given
};

struct HeaderOps {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  // A request `set` or `add` of `:authority` or `Host` (a `set` wins over an `add`): Istio turns
  // it into a host rewrite instead of a header operation (route.TranslateHeadersOperations).
  std::string authority;
  bool authority_in_set_and_add = false;
};

struct Headers {
  HeaderOps request;
  HeaderOps response;
};

struct HttpRouteDestination {
  Destination destination;
  std::optional<int> weight;
  Headers headers;
  yaml::Location location;
};

struct HttpRedirect {
  std::string uri;
  std::string prefix_rewrite;  // Istio 1.31+; replaces the matched prefix (exclusive with uri)
  std::string authority;
  int port = 0;
  std::string derive_port;  // FROM_PROTOCOL_DEFAULT | FROM_REQUEST_PORT
  std::string scheme;
  int redirect_code = 301;
};

struct HttpRewrite {
  std::optional<std::string> uri;
  std::string regex_match;
  std::string regex_rewrite;
  std::string authority;
};

struct DirectResponse {
  int status = 200;
  std::string body;
};

struct CorsPolicy {
  std::vector<StringMatch> allow_origins;
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_headers;
  std::vector<std::string> expose_headers;
  std::string max_age;  // seconds
  std::optional<bool> allow_credentials;
  bool forward_unmatched_preflights = true;  // unmatchedPreflights: FORWARD (default) or IGNORE
};

struct Mirror {
  Destination destination;
  std::optional<double> percentage;  // 0..100; absent: 100
};

struct HttpRetry {
  int attempts = 0;               // <= 0: retries disabled
  double per_try_timeout_ms = 0;  // 0: none
  std::string retry_on;           // as written; empty: Istio's default conditions
  std::optional<bool> ignore_previous_hosts;
  double backoff_ms = 0;  // 0: Envoy's default base interval (25 ms)
};

struct HttpFault {
  double delay_ms = 0;
  double delay_percent = 0;  // 0..100; absent percentage means 0: the fault never fires
  int abort_status = 0;
  double abort_percent = 0;
};

// A field of Istio's API that an older release does not have: where it was written, and the
// minor release that added it (checked against the scenario's istioVersion by
// checkIstioVersion).
struct VersionedField {
  yaml::Location location;
  std::string path;     // "spec.http[0].redirect.prefixRewrite"
  std::string context;  // "VirtualService default/r"
  int since_minor = 0;
};

struct HttpRoute {
  std::string name;
  double timeout_ms = 0;  // 0: no timeout (Istio's default)
  std::optional<HttpRetry> retries;
  std::optional<HttpFault> fault;
  std::vector<HttpMatchRequest> match;
  std::vector<HttpRouteDestination> route;
  std::optional<HttpRedirect> redirect;
  std::optional<DirectResponse> direct_response;
  std::optional<HttpRewrite> rewrite;
  Headers headers;
  std::optional<CorsPolicy> cors;
  std::vector<Mirror> mirrors;
  yaml::Location location;
  std::string path;                       // "spec.http[0]"
  std::vector<VersionedField> versioned;  // fields newer than Istio 1.24 that it uses
};

struct VirtualService {
  k8s::ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;  // as written; empty means ["mesh"]
  std::vector<std::string> export_to;
  std::vector<HttpRoute> http;
};

// The parts of a DestinationRule traffic policy the simulator models.
struct ConnectionPool {
  uint32_t max_connections = 0;  // 0: not set (Istio: unlimited)
  uint32_t http1_max_pending_requests = 0;
  uint32_t http2_max_requests = 0;
  uint32_t max_retries = 0;
  double connect_timeout_ms = 0;  // 0: not set (Istio: 10 s)
  std::string h2_upgrade_policy;  // "", DEFAULT, DO_NOT_UPGRADE or UPGRADE
  bool use_client_protocol = false;
};

struct OutlierDetection {
  std::optional<uint32_t> consecutive_5xx_errors;  // absent: Envoy's default 5
  uint32_t consecutive_gateway_errors = 0;
  double interval_ms = 10000;
  double base_ejection_time_ms = 30000;
  uint32_t max_ejection_percent = 10;
  uint32_t min_health_percent = 0;
};

// LoadBalancerSettings.consistentHash: what a request is hashed on (at most one key; none:
// a random hash) and the table (Istio's default: a ring of at least 1024 points).
struct ConsistentHash {
  enum class Key { None, Header, Cookie, SourceIp, QueryParameter };
  Key key = Key::None;
  std::string name;  // header (lower case), cookie or query parameter
  std::string cookie_path;
  std::optional<int64_t> cookie_ttl_s;
  bool maglev = false;
  uint64_t minimum_ring_size = 1024;
  uint64_t maglev_table_size = 65537;
};

struct PortTrafficPolicy;

struct TrafficPolicy {
  std::string load_balancer;  // ROUND_ROBIN, LEAST_REQUEST, RANDOM; empty: unset
  std::optional<ConsistentHash> consistent_hash;  // instead of `load_balancer`
  std::optional<ConnectionPool> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  // ClientTLSSettings.mode: DISABLE or ISTIO_MUTUAL (SIMPLE and MUTUAL are not modelled); unset:
  // Istio's auto mTLS (mutual TLS to the endpoints that have a sidecar).
  std::optional<std::string> tls_mode;
  // Policies for one port each, which replace the four components above (load balancer,
  // connection pool, outlier detection, TLS) as a whole for clusters of that port.
  std::vector<PortTrafficPolicy> port_level_settings;
};

struct PortTrafficPolicy {
  int port = 0;
  TrafficPolicy policy;  // without port_level_settings
};

struct Subset {
  std::string name;
  k8s::Labels labels;
  std::optional<TrafficPolicy> traffic_policy;
  yaml::Location location;
};

struct DestinationRule {
  k8s::ObjectMeta meta;
  std::string host;
  std::optional<TrafficPolicy> traffic_policy;
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  std::vector<VersionedField> versioned;  // values older releases refused (TCP idleTimeout 0s)
};

// One port of a ServiceEntry.
struct ServiceEntryPort {
  int number = 0;
  std::string name;
  std::string protocol;  // upper-cased; empty: protocol sniffing (taken as HTTP)
  int target_port = 0;   // 0: not given
};

// An inline endpoint of a ServiceEntry (Istio's WorkloadEntry without its identity fields).
struct ServiceEntryEndpoint {
  uint32_t ip = 0;                   // IPv4 address (resolution STATIC, or DNS with an IP)
  std::string address;               // as written
  std::map<std::string, int> ports;  // service port name -> endpoint port
  k8s::Labels labels;
  uint32_t weight = 0;  // 0: not given
  yaml::Location location;
};

// Istio's ServiceEntry, as istiod converts it (pilot/pkg/serviceregistry/serviceentry):
// each host is a service in the registry, `Attributes.Name` = the host, `Namespace` = the
// ServiceEntry's namespace.
struct ServiceEntry {
  enum class Location { MeshExternal, MeshInternal };
  // NONE is Istio's default (enum value 0).
  enum class Resolution { None, Static, Dns, DnsRoundRobin };
  k8s::ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;  // as written: IPs or CIDRs
  std::vector<ServiceEntryPort> ports;
  Location location = Location::MeshExternal;
  Resolution resolution = Resolution::None;
  std::vector<ServiceEntryEndpoint> endpoints;
  std::vector<std::string> export_to;
};

// One egress listener of a Sidecar (networking.istio.io Sidecar spec.egress[]).
struct SidecarEgress {
  int port = 0;  // 0: the catch-all listener (no port), always the last one
  std::string protocol;
  // "namespace/dnsName" as written: namespace "." (the Sidecar's config namespace), "*" (any),
  // "~" (none); dnsName an FQDN, "*" or "*.suffix". Since Istio 1.31 a namespace starting with
  // "~" excludes what it names ("~/*": everything).
  std::vector<std::string> hosts;
  yaml::Location location;
};

// Istio's Sidecar: what the sidecars of its workloads see on the way out (pilot/pkg/model/
// sidecar.go). A Sidecar without workloadSelector is its namespace's default; one in the root
// namespace (istio-system) is the mesh's default.
struct Sidecar {
  enum class OutboundMode { Unset, AllowAny, RegistryOnly };
  k8s::ObjectMeta meta;
  std::optional<k8s::Labels> workload_selector;      // absent: the namespace default
  std::vector<SidecarEgress> egress;                 // empty: everything ("*/*")
  OutboundMode outbound_mode = OutboundMode::Unset;  // Unset: the MeshConfig's
  std::vector<VersionedField> versioned;  // values newer than Istio 1.24 ("~ns/host": 1.31)
};

StatusOr<Gateway> parseGateway(const yaml::Document& doc, k8s::ObjectMeta meta);
StatusOr<VirtualService> parseVirtualService(const yaml::Document& doc, k8s::ObjectMeta meta);
StatusOr<DestinationRule> parseDestinationRule(const yaml::Document& doc, k8s::ObjectMeta meta);
StatusOr<ServiceEntry> parseServiceEntry(const yaml::Document& doc, k8s::ObjectMeta meta);
StatusOr<Sidecar> parseSidecar(const yaml::Document& doc, k8s::ObjectMeta meta);

struct Resources {
  std::vector<Gateway> gateways;
  std::vector<VirtualService> virtual_services;
  std::vector<DestinationRule> destination_rules;
  std::vector<ServiceEntry> service_entries;
  std::vector<Sidecar> sidecars;
  // The ConfigMap istio-system/istio's MeshConfig; Istio's defaults without one.
  MeshConfig mesh_config;
};

// Fails, naming the file, line and field, when a resource uses a field (or a Sidecar egress
// host form) that Istio 1.`minor` does not have yet ("not in Istio 1.25 (added in 1.26)"), as
// that release's CRD schema or webhook would refuse it.
Status checkIstioVersion(const Resources& resources, int minor);

}  // namespace meshsim::sim::istio
