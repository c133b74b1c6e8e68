#include "sim/istio/translate.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include "proxy/http/message.h"

namespace meshsim::sim::istio {

namespace {

using proxy::config::Cluster;
using proxy::config::Endpoint;
using proxy::config::HeaderMatcher;
using proxy::config::HeaderOperations;
using proxy::config::Listener;
using proxy::config::ProxyConfig;
using proxy::config::Route;
using proxy::config::RouteConfiguration;
using proxy::config::StringMatcher;
using proxy::config::VirtualHost;

constexpr const char* kPassthroughCluster = "PassthroughCluster";
// Istio's vhost and route names for unknown hosts (util.Passthrough, util.BlackHole).
constexpr const char* kAllowAny = "allow_any";
constexpr const char* kBlockAll = "block_all";
constexpr const char* kRootNamespace = "istio-system";

std::string describe(const std::string& kind, const k8s::ObjectMeta& meta) {
  return kind + " " + meta.id() + " (" + meta.location.toString() + ")";
}

std::string gatewayKey(const std::string& name, const std::string& vs_namespace) {
  if (name == "mesh") {
    return name;
  }
  if (name.starts_with("./")) {
    return vs_namespace + "/" + name.substr(2);
  }
  if (name.find('/') != std::string::npos) {
    return name;
  }
  // Legacy FQDN form gw.ns.svc.cluster.local -> ns/gw.
  if (const size_t dot = name.find('.'); dot != std::string::npos) {
    const size_t dot2 = name.find('.', dot + 1);
    return name.substr(dot + 1, dot2 - dot - 1) + "/" + name.substr(0, dot);
  }
  return vs_namespace + "/" + name;
}

bool boundTo(const VirtualService& vs, const std::string& key) {
  if (vs.gateways.empty()) {
    return key == "mesh";
  }
  return std::any_of(vs.gateways.begin(), vs.gateways.end(), [&](const std::string& g) {
    return gatewayKey(g, vs.meta.namespace_name) == key;
  });
}

bool exportedTo(const std::vector<std::string>& export_to, const std::string& own_namespace,
                const std::string& namespace_name) {
  if (export_to.empty()) {
    return true;  // meshConfig default exportTo: "*"
  }
  for (const auto& e : export_to) {
    if (e == "*" || e == namespace_name || (e == "." && own_namespace == namespace_name)) {
      return true;
    }
  }
  return false;
}

// 0: private to the namespace, 1: explicitly exported to it, 2: public (Istio's order).
int exportRank(const VirtualService& vs, const std::string& namespace_name) {
  if (vs.export_to.empty()) {
    return 2;
  }
  for (const auto& e : vs.export_to) {
    if ((e == "." || e == namespace_name) && vs.meta.namespace_name == namespace_name) {
      return 0;
    }
  }
  for (const auto& e : vs.export_to) {
    if (e == namespace_name) {
      return 1;
    }
  }
  return 2;
}

// The server hosts that admit VirtualServices of `vs_namespace` (section 1.4), without their
// namespace part.
std::vector<std::string> serverHostsFor(const Server& server, const std::string& gateway_namespace,
                                        const std::string& vs_namespace) {
  std::vector<std::string> out;
  for (const auto& entry : server.hosts) {
    if (entry == "*/*") {
      return {"*"};
    }
    const size_t slash = entry.find('/');
    if (slash == std::string::npos) {
      out.push_back(entry);
      continue;
    }
    const std::string ns = entry.substr(0, slash);
    if (ns == "*" || ns == vs_namespace || (ns == "." && gateway_namespace == vs_namespace)) {
      out.push_back(entry.substr(slash + 1));
    }
  }
  return out;
}

bool isCatchAll(const Route& r) {
  return r.match.path.empty() && (r.match.regex.empty() || r.match.regex == ".*") &&
         r.match.prefix == "/" && r.match.headers.empty() && r.match.query_parameters.empty();
}

StringMatcher toMatcher(const StringMatch& m, bool ignore_case = false) {
  StringMatcher out;
  out.value = m.value;
  out.ignore_case = ignore_case;
  switch (m.kind) {
    case StringMatch::Kind::Exact:
      out.kind = StringMatcher::Kind::Exact;
      break;
    case StringMatch::Kind::Prefix:
      out.kind = StringMatcher::Kind::Prefix;
      break;
    case StringMatch::Kind::Regex:
      out.kind = StringMatcher::Kind::Regex;
      break;
    case StringMatch::Kind::Present:
      out.kind = StringMatcher::Kind::Regex;
      out.value = ".*";
      break;
  }
  return out;
}

HeaderMatcher headerMatcher(const std::string& name, const StringMatch& m, bool without) {
  HeaderMatcher h;
  h.name = name;
  if (m.kind != StringMatch::Kind::Present) {
    h.value = toMatcher(m);
    h.treat_missing_as_empty = without;
  }
  h.invert = without;
  return h;
}

// The parser has already moved `:authority`/`Host` out of the operations into `ops.authority`.
HeaderOperations toOperations(const HeaderOps& ops) {
  HeaderOperations out;
  out.set = ops.set;
  out.add = ops.add;
  out.remove = ops.remove;
  return out;
}

void append(HeaderOperations& to, const HeaderOperations& from) {
  to.set.insert(to.set.end(), from.set.begin(), from.set.end());
  to.add.insert(to.add.end(), from.add.begin(), from.add.end());
  to.remove.insert(to.remove.end(), from.remove.begin(), from.remove.end());
}

int listenerPortFor(const k8s::World& world, const k8s::PodState& pod, int server_port) {
  // The server port is a Service port of a Service selecting the gateway pod; the listener
  // binds the Service's targetPort (section 1.3).
  for (const k8s::ServiceState* s : world.servicesOf(pod)) {
    for (const auto& p : s->spec.ports) {
      if (p.port != server_port) {
        continue;
      }
      if (!p.target_port_name.empty()) {
        for (const auto& cp : pod.spec.ports) {
          if (cp.name == p.target_port_name) {
            return cp.port;
          }
        }
        continue;
      }
      return p.target_port_number.value_or(p.port);
    }
  }
  return server_port;
}

// Istio's connectionPool -> Envoy circuit breakers; zero means "not set" (section 3.5).
void applyConnectionPool(const std::optional<ConnectionPool>& pool,
                         proxy::config::CircuitBreakers& cb,
                         std::chrono::nanoseconds& connect_timeout) {
  if (!pool) {
    return;
  }
  if (pool->connect_timeout_ms > 0) {
    connect_timeout =
        std::chrono::nanoseconds(static_cast<int64_t>(pool->connect_timeout_ms * 1e6));
  }
  const auto set = [](uint32_t v, uint32_t& out) {
    if (v > 0) {
      out = v;
    }
  };
  set(pool->max_connections, cb.max_connections);
  set(pool->http1_max_pending_requests, cb.max_pending_requests);
  set(pool->http2_max_requests, cb.max_requests);
  set(pool->max_retries, cb.max_retries);
}

// The HTTP version of a cluster's requests, as Istio builds it: setUpstreamProtocol from the
// port's protocol (HTTP2, GRPC and GRPC-WEB speak HTTP/2; a sidecar uses the downstream's
// version on a port whose protocol is sniffed), then the DestinationRule's connection pool
// (applyH2Upgrade: h2UpgradePolicy UPGRADE upgrades, unless useClientProtocol, which makes the
// cluster use the downstream's version whatever the port). The mesh default h2UpgradePolicy is
// Istio's DO_NOT_UPGRADE.
proxy::config::Cluster::Protocol upstreamProtocol(const std::string& port_protocol, bool sidecar,
                                                  const std::optional<ConnectionPool>& pool) {
  using P = proxy::config::Cluster::Protocol;
  P p = P::Http11;
  if (port_protocol == "HTTP2" || port_protocol == "GRPC" || port_protocol == "GRPC-WEB") {
    p = P::Http2;
  } else if (sidecar && port_protocol.empty()) {
    p = P::Downstream;
  }
  if (pool && pool->use_client_protocol) {
    return P::Downstream;
  }
  if (pool && pool->h2_upgrade_policy == "UPGRADE") {
    return P::Http2;
  }
  return p;
}

std::optional<proxy::config::OutlierDetection> outlierDetection(
    const std::optional<OutlierDetection>& in) {
  if (!in) {
    return std::nullopt;
  }
  proxy::config::OutlierDetection od;
  od.consecutive_5xx = in->consecutive_5xx_errors.value_or(5);  // Envoy's default when absent
  od.consecutive_gateway_failure = in->consecutive_gateway_errors;
  od.interval = std::chrono::nanoseconds(static_cast<int64_t>(in->interval_ms * 1e6));
  od.base_ejection_time =
      std::chrono::nanoseconds(static_cast<int64_t>(in->base_ejection_time_ms * 1e6));
  od.max_ejection_percent = in->max_ejection_percent;
  od.min_health_percent = in->min_health_percent;
  return od;
}

proxy::config::LbPolicy lbPolicy(const std::string& simple) {
  if (simple == "ROUND_ROBIN") {
    return proxy::config::LbPolicy::RoundRobin;
  }
  if (simple == "RANDOM") {
    return proxy::config::LbPolicy::Random;
  }
  return proxy::config::LbPolicy::LeastRequest;
}

// A DestinationRule's consistentHash as Envoy's cluster policy (ApplyRingHashLoadBalancer).
void applyConsistentHash(const std::optional<ConsistentHash>& ch, Cluster& c) {
  if (!ch) {
    return;
  }
  c.lb_policy = ch->maglev ? proxy::config::LbPolicy::Maglev : proxy::config::LbPolicy::RingHash;
  c.minimum_ring_size = ch->minimum_ring_size;
  c.maglev_table_size = ch->maglev_table_size;
}

// ... and as the route's hash policy (route.go ConsistentHashToHashPolicy); none for a
// consistentHash without a key (the ring is then looked up with a random hash).
std::optional<proxy::config::HashPolicy> hashPolicy(const ConsistentHash& ch) {
  using Kind = proxy::config::HashPolicy::Kind;
  proxy::config::HashPolicy p;
  p.name = ch.name;
  switch (ch.key) {
    case ConsistentHash::Key::None:
      return std::nullopt;
    case ConsistentHash::Key::Header:
      p.kind = Kind::Header;
      break;
    case ConsistentHash::Key::Cookie:
      p.kind = Kind::Cookie;
      p.cookie_path = ch.cookie_path;
      if (ch.cookie_ttl_s) {
        p.cookie_ttl = std::chrono::seconds(*ch.cookie_ttl_s);
      }
      break;
    case ConsistentHash::Key::SourceIp:
      p.kind = Kind::SourceIp;
      break;
    case ConsistentHash::Key::QueryParameter:
      p.kind = Kind::QueryParameter;
      break;
  }
  return p;
}

// A policy's settings for `port`: its portLevelSettings entry for the port, which replaces the
// four components as a whole (a component it leaves out is Istio's default, not the policy's),
// else the policy. Sets `port_level` when there was an entry (GetPortLevelTrafficPolicy).
TrafficPolicy atPort(const TrafficPolicy& policy, int port, bool& port_level) {
  for (const auto& p : policy.port_level_settings) {
    if (p.port == port) {
      port_level = true;
      return p.policy;
    }
  }
  port_level = false;
  TrafficPolicy copy = policy;
  copy.port_level_settings.clear();
  return copy;
}

// The traffic policy of the cluster of `subset` ("" for none) and `port`, from the service's
// DestinationRules, as Istio's MergeSubsetTrafficPolicy builds it: the first top-level traffic
// policy at the port; then each component the subset's policy at the port sets replaces that
// one, and a subset's port-level entry replaces all four (sections 3.1 and 3.3).
std::optional<TrafficPolicy> policyFor(const std::vector<const DestinationRule*>& rules,
                                       const std::string& subset, int port) {
  const TrafficPolicy* top = nullptr;
  const Subset* sub = nullptr;
  for (const DestinationRule* dr : rules) {
    if (dr->traffic_policy && top == nullptr) {
      top = &*dr->traffic_policy;
    }
    for (const auto& s : dr->subsets) {
      if (sub == nullptr && !subset.empty() && s.name == subset) {
        sub = &s;
      }
    }
  }
  bool port_level = false;
  std::optional<TrafficPolicy> merged;
  if (top != nullptr) {
    merged = atPort(*top, port, port_level);
  }
  if (sub == nullptr || !sub->traffic_policy) {
    return merged;
  }
  const TrafficPolicy own = atPort(*sub->traffic_policy, port, port_level);
  if (!merged) {
    return own;
  }
  if (port_level || !own.load_balancer.empty() || own.consistent_hash) {
    merged->load_balancer = own.load_balancer;
    merged->consistent_hash = own.consistent_hash;
  }
  if (port_level || own.connection_pool) {
    merged->connection_pool = own.connection_pool;
  }
  if (port_level || own.outlier_detection) {
    merged->outlier_detection = own.outlier_detection;
  }
  if (port_level || own.tls_mode) {
    merged->tls_mode = own.tls_mode;
  }
  return merged;
}

// Whether the hop to an endpoint is mutual TLS under a policy's TLS mode: auto mTLS (no mode)
// when the endpoint has a sidecar, always with ISTIO_MUTUAL, never with DISABLE. Mutual TLS to an
// endpoint without a sidecar fails its handshake (the network refuses it: sim/net).
bool mtlsTo(const std::optional<TrafficPolicy>& policy, bool endpoint_has_sidecar) {
  if (!policy || !policy->tls_mode) {
    return endpoint_has_sidecar;
  }
  return *policy->tls_mode == "ISTIO_MUTUAL";
}

std::chrono::nanoseconds millis(double ms) {
  return std::chrono::nanoseconds(static_cast<int64_t>(ms * 1e6));
}

// Istio's retry policy for a route (section 2.12): the default when the VirtualService says
// nothing, none when attempts <= 0.
proxy::config::RetryPolicy retryPolicy(const std::optional<HttpRetry>& in) {
  using proxy::config::RetryPolicy;
  constexpr uint32_t kDefaultOn =
      proxy::config::kRetryOnConnectFailure | proxy::config::kRetryOnRefusedStream |
      proxy::config::kRetryOnGrpcUnavailable | proxy::config::kRetryOnGrpcCancelled |
      proxy::config::kRetryOnRetriableStatusCodes;
  RetryPolicy p;
  if (!in) {
    p.num_retries = 2;
    p.retry_on = kDefaultOn;  // retriable_status_codes empty since Istio 1.24: 503 not retried
    return p;
  }
  if (in->attempts <= 0) {
    return p;  // num_retries 0: retries disabled
  }
  p.num_retries = static_cast<uint32_t>(in->attempts);
  if (in->retry_on.empty()) {
    p.retry_on = kDefaultOn;
  }
  static const std::map<std::string, uint32_t> kBits = {
      {"5xx", proxy::config::kRetryOn5xx},
      {"gateway-error", proxy::config::kRetryOnGatewayError},
      {"reset", proxy::config::kRetryOnReset},
      {"connect-failure", proxy::config::kRetryOnConnectFailure},
      {"retriable-4xx", proxy::config::kRetryOnRetriable4xx},
      {"refused-stream", proxy::config::kRetryOnRefusedStream},
      {"retriable-status-codes", proxy::config::kRetryOnRetriableStatusCodes},
      {"reset-before-request", proxy::config::kRetryOnResetBeforeRequest},
      {"cancelled", proxy::config::kRetryOnGrpcCancelled},
      {"deadline-exceeded", proxy::config::kRetryOnGrpcDeadlineExceeded},
      {"internal", proxy::config::kRetryOnGrpcInternal},
      {"resource-exhausted", proxy::config::kRetryOnGrpcResourceExhausted},
      {"unavailable", proxy::config::kRetryOnGrpcUnavailable}};
  size_t start = 0;
  while (!in->retry_on.empty() && start <= in->retry_on.size()) {
    size_t end = in->retry_on.find(',', start);
    if (end == std::string::npos) {
      end = in->retry_on.size();
    }
    const std::string c = in->retry_on.substr(start, end - start);
    if (!c.empty() && c.find_first_not_of("0123456789") == std::string::npos) {
      // A status code: Istio moves it to retriable_status_codes and adds the condition.
      p.retriable_status_codes.push_back(std::stoi(c.substr(0, 4)));
      p.retry_on |= proxy::config::kRetryOnRetriableStatusCodes;
    } else if (auto it = kBits.find(c); it != kBits.end()) {
      p.retry_on |= it->second;
    }
    start = end + 1;
  }
  p.per_try_timeout = millis(in->per_try_timeout_ms);
  p.avoid_previous_hosts = in->ignore_previous_hosts.value_or(true);
  if (in->backoff_ms > 0) {
    p.base_interval = millis(in->backoff_ms);
    p.max_interval = p.base_interval * 10;
  }
  return p;
}

// Who a route table is being built for: the control-plane filters of section 2.4 need it.
struct BuildContext {
  const k8s::PodState* proxy_pod;
  std::string gateway;  // "ns/name" of the Gateway, or "mesh"
  int listen_port;      // gateway: the server port number; sidecar: the service port
};

class Translator {
public:
  Translator(const k8s::World& world, const Resources& istio, const TranslateOptions& options)
      : world_(world), istio_(istio), options_(options) {}

  StatusOr<Translation> run() {
    indexDestinationRules();
    collectEntryHosts();
    for (size_t i = 0; i < world_.pods().size(); ++i) {
      const k8s::PodState& pod = world_.pods()[i];
      if (pod.gateway) {
        MESHSIM_ASSIGN_OR_RETURN(auto config, gatewayConfig(pod));
        out_.proxies.push_back({i, std::move(config)});
      } else if (pod.sidecar) {
        MESHSIM_ASSIGN_OR_RETURN(auto config, sidecarConfig(pod));
        out_.proxies.push_back({i, std::move(config)});
      }
    }
    checkReferences();
    return std::move(out_);
  }

private:
  // A host of a ServiceEntry: a service of the registry like a Kubernetes Service, named by the
  // host (Istio's convertServices: Attributes.Name = host, Namespace = the entry's namespace).
  struct EntryHost {
    const ServiceEntry* se;
    std::string host;
    proxy::config::ServiceInfoConstSharedPtr info;
  };

  // The imported hosts of one namespace in an egress listener (Istio's hostClassification).
  struct EgressHosts {
    std::set<std::string> exact;
    std::vector<std::string> all;       // exact and wildcard
    std::vector<std::string> excluded;  // "~ns/host" entries (Istio 1.31+)
  };
  // One egress listener of a Sidecar as istiod indexes it (convertIstioListenerToWrapper).
  struct Egress {
    int port = 0;                                        // 0: the catch-all listener
    std::unordered_map<std::string, EgressHosts> hosts;  // by namespace; "*": any namespace
    // The mesh VirtualServices it imports, in Istio's order (SelectVirtualServices).
    std::vector<const VirtualService*> virtual_services;
  };
  // What the sidecars under one Sidecar resource in one namespace see (Istio's SidecarScope).
  // Without a Sidecar everything visible is imported and nothing is filtered.
  struct Scope {
    const Sidecar* sidecar = nullptr;
    std::string namespace_name;  // the config namespace: the pods'
    std::string key;             // "namespace\0Sidecar ns/name"; the namespace alone without one
    std::vector<Egress> egress;  // a port's listener first, the catch-all last
    bool allow_any = true;       // outboundTrafficPolicy: the Sidecar's, else the MeshConfig's
    // Hosts whose clusters the scope holds (collectImportedServices), with their ports (0: all).
    std::unordered_map<std::string, std::set<int>> services;
  };

  // The hosts of every ServiceEntry, in definition order. A host that a Kubernetes Service or an
  // earlier ServiceEntry already provides is left out, with a warning: the Kubernetes registry
  // comes first in istiod, and of several entries for one host the first counts.
  void collectEntryHosts() {
    for (const auto& se : istio_.service_entries) {
      for (const auto& host : se.hosts) {
        std::string reason;
        if (world_.findServiceByHost(host) != nullptr) {
          reason = "a Kubernetes Service already has this host";
        } else if (const EntryHost* earlier = findEntryHost(host); earlier != nullptr) {
          reason = "ServiceEntry " + earlier->se->meta.id() + " already defines it";
        }
        if (!reason.empty()) {
          out_.warnings.push_back(se.meta.location.toString() + ": Warning (ServiceEntry " +
                                  se.meta.id() + ") host \"" + host + "\" ignored: " + reason);
          continue;
        }
        auto info = std::make_shared<proxy::config::ServiceInfo>();
        info->host = host;
        info->name = host;
        info->namespace_name = se.meta.namespace_name;
        entry_by_host_.emplace(host, entry_hosts_.size());
        entry_hosts_.push_back({&se, host, std::move(info)});
      }
    }
  }

  const EntryHost* findEntryHost(const std::string& host) const {
    auto it = entry_by_host_.find(host);
    return it == entry_by_host_.end() ? nullptr : &entry_hosts_[it->second];
  }

  // Istio's endpoint port (serviceentry/conversion.go convertEndpoint): the endpoint's port for
  // the service port's name, else the service port's targetPort, else its number.
  static uint16_t entryEndpointPort(const ServiceEntryPort& port, const ServiceEntryEndpoint& ep) {
    if (auto it = ep.ports.find(port.name); it != ep.ports.end() && it->second > 0) {
      return static_cast<uint16_t>(it->second);
    }
    return static_cast<uint16_t>(port.target_port > 0 ? port.target_port : port.number);
  }

  // Auto mTLS to an entry's endpoint: only inside the mesh, and only when the endpoint says it
  // has an Istio proxy (label security.istio.io/tlsMode: istio); otherwise plain text.
  static bool entryEndpointMtls(const ServiceEntry& se, const ServiceEntryEndpoint& ep) {
    if (se.location != ServiceEntry::Location::MeshInternal) {
      return false;
    }
    auto it = ep.labels.find("security.istio.io/tlsMode");
    return it != ep.labels.end() && it->second == "istio";
  }

  // The DestinationRules that apply to `fqdn` for a client in `client_namespace`: looked up in
  // the client's namespace, then the service's, then the root namespace; the most specific host
  // wins; several rules for that host in that namespace are merged (section 3.1).
  std::vector<const DestinationRule*> destinationRules(const std::string& fqdn,
                                                       const std::string& service_namespace,
                                                       const std::string& client_namespace) {
    for (const std::string& ns :
         {client_namespace, service_namespace, std::string(kRootNamespace)}) {
      std::vector<const DestinationRule*> found;
      // A rule for exactly this host beats every wildcard (section 3.1).
      if (auto exact = dr_exact_.find(ns + '\0' + fqdn); exact != dr_exact_.end()) {
        for (const auto& [dr, host] : exact->second) {
          if (exportedTo(dr->export_to, dr->meta.namespace_name, client_namespace)) {
            found.push_back(dr);
          }
        }
      }
      if (!found.empty()) {
        return found;
      }
      auto wild = dr_wildcard_.find(ns);
      if (wild == dr_wildcard_.end()) {
        continue;
      }
      std::string best;
      for (const auto& [dr, host] : wild->second) {
        if (!exportedTo(dr->export_to, dr->meta.namespace_name, client_namespace) ||
            !hostCovers(host, fqdn)) {
          continue;
        }
        const bool more_specific = best.empty() || (host[0] != '*' && best[0] == '*') ||
                                   (host[0] == '*' && best[0] == '*' && host.size() > best.size());
        if (more_specific) {
          best = host;
          found.clear();
        }
        if (host == best) {
          found.push_back(dr);
        }
      }
      if (!found.empty()) {
        return found;
      }
    }
    return {};
  }

  // One port of a service and the endpoints behind it, each with the labels subsets select on.
  struct PortEndpoints {
    int port;
    std::string protocol;  // portProtocol()'s name; "" for a sniffed port
    std::vector<std::pair<Endpoint, const k8s::Labels*>> endpoints;
  };

  // The outbound clusters of one service (a Kubernetes Service or a ServiceEntry host) for
  // clients in `client_namespace`: one per port, plus one per DestinationRule subset.
  void addServiceClusters(std::vector<Cluster>& out, const std::string& fqdn,
                          const std::string& service_namespace,
                          const proxy::config::ServiceInfoConstSharedPtr& info,
                          const std::string& client_namespace,
                          const std::vector<PortEndpoints>& ports, bool sidecar,
                          uint32_t entry_key = 0) {
    const auto rules = destinationRules(fqdn, service_namespace, client_namespace);
    std::vector<std::pair<const Subset*, uint32_t>> subsets;  // with its coverage key
    std::set<std::string> subset_names;
    for (const DestinationRule* dr : rules) {
      for (size_t i = 0; i < dr->subsets.size(); ++i) {
        if (subset_names.insert(dr->subsets[i].name).second) {
          subsets.emplace_back(&dr->subsets[i], coverageKey([&](const CoverageRegistry& c) {
            return c.subset(*dr, i);
          }));
        }
      }
    }
    for (const auto& port : ports) {
      const auto make = [&](const std::string& subset, const k8s::Labels& labels, uint32_t key) {
        Cluster c;
        c.name = outboundClusterName(port.port, subset, fqdn);
        c.coverage_key = key;
        c.service = info;
        const std::optional<TrafficPolicy> policy = policyFor(rules, subset, port.port);
        const TrafficPolicy none;
        const TrafficPolicy& p = policy ? *policy : none;
        c.lb_policy = lbPolicy(p.load_balancer);
        applyConsistentHash(p.consistent_hash, c);
        applyConnectionPool(p.connection_pool, c.circuit_breakers, c.connect_timeout);
        c.upstream_protocol = upstreamProtocol(port.protocol, sidecar, p.connection_pool);
        c.outlier_detection = outlierDetection(p.outlier_detection);
        for (const auto& [ep, ep_labels] : port.endpoints) {
          if (k8s::selectorMatches(labels, *ep_labels)) {
            c.endpoints.push_back(ep);
            c.endpoints.back().mtls = mtlsTo(policy, ep.mtls);
          }
        }
        out.push_back(std::move(c));
      };
      make("", {}, entry_key);
      for (const auto& [s, key] : subsets) {
        make(s->name, s->labels, key);
      }
    }
  }

  // Every service port gets an outbound cluster with the service's ready endpoints, plus one per
  // DestinationRule subset, as seen by clients in `client_namespace`; so does every port of
  // every ServiceEntry host exported to that namespace, with the entry's endpoints. For
  // `sidecar`s, a headless Service's clusters are ORIGINAL_DST (gateways keep EDS; cluster.go
  // convertResolution): each request goes to the pod address the client connected to.
  // With a Sidecar `scope`, only the clusters it holds (collectImportedServices).
  const proxy::upstream::ClusterTableConstSharedPtr& clustersFor(
      const std::string& client_namespace, bool sidecar = false, const Scope* scope = nullptr) {
    std::string key = client_namespace;
    if (sidecar) {
      key += std::string(1, '\0') + "sidecar";
    }
    if (scope != nullptr) {
      key += '\0' + scope->sidecar->meta.id();
    }
    auto it = out_.cluster_tables.find(key);
    if (it != out_.cluster_tables.end()) {
      return it->second;
    }
    std::vector<Cluster> out;
    for (const auto& svc : world_.services()) {
      std::vector<PortEndpoints> ports;
      for (const auto& port : svc.spec.ports) {
        if (scope != nullptr && !holds(*scope, svc.fqdn, port.port)) {
          continue;
        }
        PortEndpoints pe{port.port, portProtocol(port), {}};
        for (const auto& ep : world_.endpoints(svc, port)) {
          const k8s::PodState& p = world_.pods()[ep.pod];
          pe.endpoints.emplace_back(Endpoint{{p.ip, ep.port}, p.info, p.sidecar}, &p.labels);
        }
        ports.push_back(std::move(pe));
      }
      addServiceClusters(out, svc.fqdn, svc.spec.meta.namespace_name, svc.info, client_namespace,
                         ports, sidecar);
    }
    for (const auto& entry : entry_hosts_) {
      const ServiceEntry& se = *entry.se;
      if (!exportedTo(se.export_to, se.meta.namespace_name, client_namespace)) {
        continue;
      }
      std::vector<PortEndpoints> ports;
      for (const auto& port : se.ports) {
        if (scope != nullptr && !holds(*scope, entry.host, port.number)) {
          continue;
        }
        PortEndpoints pe{port.number, port.protocol, {}};
        for (const auto& ep : se.endpoints) {
          pe.endpoints.emplace_back(
              Endpoint{{ep.ip, entryEndpointPort(port, ep)}, nullptr, entryEndpointMtls(se, ep)},
              &ep.labels);
        }
        ports.push_back(std::move(pe));
      }
      addServiceClusters(out, entry.host, se.meta.namespace_name, entry.info, client_namespace,
                         ports, sidecar,
                         coverageKey([&](const CoverageRegistry& c) { return c.entry(se); }));
    }
    Cluster passthrough;
    passthrough.name = kPassthroughCluster;
    passthrough.original_destination = true;
    out.push_back(std::move(passthrough));
    if (sidecar) {
      for (Cluster& c : out) {
        if (c.service != nullptr && !c.original_destination) {
          const k8s::ServiceState* svc = world_.findServiceByHost(c.service->host);
          c.original_destination = svc != nullptr && svc->spec.headless;
        }
      }
    }
    const proxy::upstream::ClusterTable* previous = nullptr;
    if (options_.previous != nullptr) {
      auto before = options_.previous->cluster_tables.find(key);
      if (before != options_.previous->cluster_tables.end()) {
        previous = before->second.get();
      }
    }
    return out_.cluster_tables
        .emplace(key, proxy::upstream::ClusterTable::create(std::move(out), previous))
        .first->second;
  }

  // Destination rules by namespace: those for one exact host, and those for wildcard hosts, each
  // in definition order with their resolved host.
  void indexDestinationRules() {
    for (const auto& dr : istio_.destination_rules) {
      std::string host = resolveHost(dr.host, dr.meta.namespace_name);
      if (!host.empty() && host[0] == '*') {
        dr_wildcard_[dr.meta.namespace_name].emplace_back(&dr, std::move(host));
      } else {
        dr_exact_[dr.meta.namespace_name + '\0' + host].emplace_back(&dr, std::move(host));
      }
    }
  }

  // The consistentHash of the DestinationRules that apply to `fqdn` (and `subset`) for a client
  // in `client_namespace` (route.go hashForHTTPDestination / hashForService).
  std::optional<ConsistentHash> consistentHashFor(const std::string& fqdn,
                                                  const std::string& subset, int port,
                                                  const std::string& client_namespace) {
    std::string service_namespace;
    if (const k8s::ServiceState* svc = world_.findServiceByHost(fqdn); svc != nullptr) {
      service_namespace = svc->spec.meta.namespace_name;
    } else if (const EntryHost* entry = findEntryHost(fqdn); entry != nullptr) {
      service_namespace = entry->se->meta.namespace_name;
    } else {
      return std::nullopt;
    }
    const auto policy =
        policyFor(destinationRules(fqdn, service_namespace, client_namespace), subset, port);
    return policy ? policy->consistent_hash : std::nullopt;
  }

  std::string clusterFor(const Destination& d, const std::string& vs_namespace, int listen_port) {
    return outboundClusterName(destinationPort(d, vs_namespace, listen_port), d.subset,
                               resolveHost(d.host, vs_namespace));
  }

  // The service port a route destination sends to: its own, else the only port of its service,
  // else the port the route listens on.
  int destinationPort(const Destination& d, const std::string& vs_namespace, int listen_port) {
    const std::string host = resolveHost(d.host, vs_namespace);
    int port = d.port;
    if (port == 0) {
      port = listen_port;
      if (const k8s::ServiceState* svc = world_.findServiceByHost(host); svc != nullptr) {
        if (svc->spec.ports.size() == 1) {
          port = svc->spec.ports.front().port;
        }
      } else if (const EntryHost* entry = findEntryHost(host); entry != nullptr) {
        if (entry->se->ports.size() == 1) {
          port = entry->se->ports.front().number;
        }
      }
    }
    return port;
  }

  // The Envoy routes of one VirtualService for one proxy and port (section 2.4).
  std::vector<Route> translateRoutes(const VirtualService& vs, const BuildContext& ctx) {
    std::vector<Route> routes;
    const std::string& ns = vs.meta.namespace_name;
    for (size_t route_index = 0; route_index < vs.http.size(); ++route_index) {
      const HttpRoute& http = vs.http[route_index];
      Route base;
      base.name = http.name;
      base.coverage_key =
          coverageKey([&](const CoverageRegistry& c) { return c.route(vs, route_index); });
      base.source.description =
          describe("VirtualService", vs.meta) + " " + http.path + " at " + http.location.toString();
      // Route-level authority (route.go translateRoute): headers first, rewrite.authority
      // replaces it; it wins over a destination's (applied last by Envoy, or not at all).
      std::string host_rewrite = http.headers.request.authority;
      if (http.rewrite && !http.rewrite->authority.empty()) {
        host_rewrite = http.rewrite->authority;
      }
      base.request_headers = toOperations(http.headers.request);
      base.response_headers = toOperations(http.headers.response);
      if (http.redirect) {
        base.kind = Route::Kind::Redirect;
        auto& r = base.redirect;
        const auto& in = *http.redirect;
        r.path = in.uri;
        if (!in.prefix_rewrite.empty()) {
          r.prefix_rewrite = in.prefix_rewrite;
        }
        r.host = in.authority;
        r.scheme = in.scheme;
        r.response_code = in.redirect_code;
        int port = in.port;
        if (in.derive_port == "FROM_REQUEST_PORT") {
          port = ctx.listen_port;
        }
        const std::string scheme = in.scheme.empty() ? "http" : in.scheme;
        // Istio drops a port equal to the scheme's default; Envoy then keeps the Host's port.
        if ((scheme == "http" && port == 80) || (scheme == "https" && port == 443)) {
          port = 0;
        }
        r.port = port;
      } else if (http.direct_response) {
        base.kind = Route::Kind::DirectResponse;
        base.direct_response.status = http.direct_response->status;
        base.direct_response.body = http.direct_response->body;
      } else {
        base.action.timeout = millis(http.timeout_ms);
        base.action.retry_policy = retryPolicy(http.retries);
        if (http.fault) {
          proxy::config::FaultPolicy f;
          f.delay = millis(http.fault->delay_ms);
          f.delay_fraction = http.fault->delay_percent / 100.0;
          f.abort_status = http.fault->abort_status;
          f.abort_fraction = http.fault->abort_percent / 100.0;
          base.fault = f;
        }
        const bool single = http.route.size() == 1;
        bool hashed = false;
        for (const auto& d : http.route) {
          const int weight = single ? 100 : d.weight.value_or(0);
          if (weight == 0) {
            continue;  // a zero-weight destination of several is removed
          }
          if (const auto ch =
                  consistentHashFor(resolveHost(d.destination.host, ns), d.destination.subset,
                                    destinationPort(d.destination, ns, ctx.listen_port),
                                    ctx.proxy_pod->namespace_name)) {
            hashed = true;
            if (auto p = hashPolicy(*ch)) {
              base.action.hash_policies.push_back(std::move(*p));
            }
          }
          proxy::config::WeightedCluster wc;
          wc.name = clusterFor(d.destination, ns, ctx.listen_port);
          wc.weight = static_cast<uint32_t>(weight);
          HeaderOperations req = toOperations(d.headers.request);
          HeaderOperations resp = toOperations(d.headers.response);
          if (single) {
            // Appended after the route's own operations: the destination's set wins. Its
            // authority applies only when the route has none (route.go processDestination).
            append(base.request_headers, req);
            append(base.response_headers, resp);
            if (host_rewrite.empty()) {
              host_rewrite = d.headers.request.authority;
            }
          } else {
            // On the weighted cluster, applied before the route's: the route's set and
            // authority win (processWeightedDestination, Envoy's weighted_clusters).
            wc.request_headers = std::move(req);
            wc.response_headers = std::move(resp);
            wc.host_rewrite = d.headers.request.authority;
          }
          base.action.clusters.push_back(std::move(wc));
        }
        if (single && hashed && base.action.retry_policy) {
          // Retries stay on the hashed host unless retryIgnorePreviousHosts says otherwise
          // (retry.go ConvertPolicy with a hash policy).
          base.action.retry_policy->avoid_previous_hosts =
              http.retries && http.retries->ignore_previous_hosts.value_or(false);
        }
      }
      if (http.rewrite) {
        if (http.rewrite->uri) {
          base.action.prefix_rewrite = *http.rewrite->uri;
        }
        base.action.regex_rewrite_pattern = http.rewrite->regex_match;
        base.action.regex_rewrite_substitution = http.rewrite->regex_rewrite;
      }
      base.action.host_rewrite = host_rewrite;
      if (http.cors) {
        proxy::config::CorsPolicy cors;
        for (const auto& o : http.cors->allow_origins) {
          cors.allow_origins.push_back(toMatcher(o));
        }
        const auto join = [](const std::vector<std::string>& v) {
          std::string out;
          for (const auto& s : v) {
            out += (out.empty() ? "" : ",") + s;
          }
          return out;
        };
        cors.allow_methods = join(http.cors->allow_methods);
        cors.allow_headers = join(http.cors->allow_headers);
        cors.expose_headers = join(http.cors->expose_headers);
        cors.max_age = http.cors->max_age;
        cors.allow_credentials = http.cors->allow_credentials;
        cors.forward_not_matching_preflights = http.cors->forward_unmatched_preflights;
        base.cors = std::move(cors);
      }
      for (const auto& m : http.mirrors) {
        proxy::config::MirrorPolicy mp;
        mp.cluster = clusterFor(m.destination, ns, ctx.listen_port);
        mp.fraction = m.percentage.value_or(100.0) / 100.0;
        // Istio 1.28 sets DISABLE_SHADOW_HOST_SUFFIX (section 2.14).
        mp.shadow_host_suffix = options_.istio_minor <= 27;
        if (mp.fraction > 0) {
          base.action.mirrors.push_back(std::move(mp));
        }
      }

      bool catch_all = false;
      if (http.match.empty()) {
        routes.push_back(base);
        catch_all = true;
      }
      for (size_t match_index = 0; match_index < http.match.size(); ++match_index) {
        const HttpMatchRequest& m = http.match[match_index];
        if (m.port != 0 && m.port != ctx.listen_port) {
          continue;
        }
        if (!m.gateways.empty()) {
          const bool ours =
              std::any_of(m.gateways.begin(), m.gateways.end(),
                          [&](const std::string& g) { return gatewayKey(g, ns) == ctx.gateway; });
          if (!ours) {
            continue;
          }
        } else {
          if (!m.source_labels.empty() &&
              !k8s::selectorMatches(m.source_labels, ctx.proxy_pod->labels)) {
            continue;
          }
          if (!m.source_namespace.empty() && m.source_namespace != ctx.proxy_pod->namespace_name) {
            continue;
          }
        }
        Route r = base;
        r.coverage_key = coverageKey(
            [&](const CoverageRegistry& c) { return c.match(vs, route_index, match_index); });
        if (!m.name.empty()) {
          r.name = r.name.empty() ? m.name : r.name + "." + m.name;
        }
        r.match.case_sensitive = !m.ignore_uri_case;
        if (m.uri) {
          switch (m.uri->kind) {
            case StringMatch::Kind::Exact:
              r.match.path = m.uri->value;
              break;
            case StringMatch::Kind::Prefix:
              r.match.prefix = m.uri->value;
              break;
            case StringMatch::Kind::Regex:
              r.match.regex = m.uri->value;
              break;
            case StringMatch::Kind::Present:
              break;
          }
        }
        if (m.scheme) {
          r.match.headers.push_back(headerMatcher(":scheme", *m.scheme, false));
        }
        if (m.method) {
          r.match.headers.push_back(headerMatcher(":method", *m.method, false));
        }
        if (m.authority) {
          r.match.headers.push_back(headerMatcher(":authority", *m.authority, false));
        }
        for (const auto& [name, sm] : m.headers) {
          if (name == "uri" || name == "scheme" || name == "method" || name == "authority") {
            continue;  // ignored by Istio inside headers
          }
          r.match.headers.push_back(headerMatcher(name, sm, false));
        }
        for (const auto& [name, sm] : m.without_headers) {
          r.match.headers.push_back(headerMatcher(name, sm, true));
        }
        for (const auto& [name, sm] : m.query_params) {
          proxy::config::QueryParameterMatcher q;
          q.name = name;
          if (sm.kind != StringMatch::Kind::Present) {
            q.value = toMatcher(sm);
          }
          r.match.query_parameters.push_back(std::move(q));
        }
        catch_all = catch_all || isCatchAll(r);
        routes.push_back(std::move(r));
      }
      if (catch_all) {
        break;  // later routes of this VirtualService can never match (section 2.4)
      }
    }
    return routes;
  }

  // VirtualServices bound to `gateway` and visible from `namespace_name`, in Istio's order.
  const std::vector<const VirtualService*>& visibleVirtualServices(
      const std::string& gateway, const std::string& namespace_name) {
    const std::string key = gateway + '\0' + namespace_name;
    auto cached = visible_.find(key);
    if (cached != visible_.end()) {
      return cached->second;
    }
    std::vector<const VirtualService*> visible;
    for (const auto& vs : istio_.virtual_services) {
      if (boundTo(vs, gateway) &&
          exportedTo(vs.export_to, vs.meta.namespace_name, namespace_name)) {
        visible.push_back(&vs);
      }
    }
    std::stable_sort(visible.begin(), visible.end(), [&](auto* a, auto* b) {
      return exportRank(*a, namespace_name) < exportRank(*b, namespace_name);
    });
    return visible_.emplace(key, std::move(visible)).first->second;
  }

  StatusOr<ProxyConfig> gatewayConfig(const k8s::PodState& pod) {
    ProxyConfig config;
    config.node_id =
        "router~" + proxy::config::ipToString(pod.ip) + "~" + pod.name + "." + pod.namespace_name;
    config.ip = pod.ip;
    config.workload = pod.info;
    // The clusters seen from the gateway's namespace, shared with every proxy there; the
    // listeners and routes are the gateway's own.
    auto& shared = gateway_shared_[pod.namespace_name];
    if (shared == nullptr) {
      MESHSIM_ASSIGN_OR_RETURN(
          shared, proxy::SharedConfig::create({}, {}, clustersFor(pod.namespace_name)));
    }
    config.shared = shared;

    // Servers of every Gateway that selects this pod, grouped by listener port, in order.
    struct BoundServer {
      const Gateway* gateway;
      const Server* server;
    };
    std::map<int, std::vector<BoundServer>> by_port;
    for (const auto& gw : istio_.gateways) {
      if (!k8s::selectorMatches(gw.selector, pod.labels)) {
        continue;
      }
      selected_gateways_.insert(gw.meta.id());
      for (const auto& server : gw.servers) {
        by_port[listenerPortFor(world_, pod, server.port.number)].push_back({&gw, &server});
      }
    }

    for (const auto& [port, servers] : by_port) {
      RouteConfiguration rc;
      rc.name = "http." + std::to_string(port);
      std::map<std::string, size_t> vhost_index;
      const auto vhostFor = [&](const std::string& host, const BoundServer& bs) -> VirtualHost& {
        const std::string key = proxy::http::toLower(host);
        auto [it, inserted] = vhost_index.emplace(key, rc.virtual_hosts.size());
        if (inserted) {
          VirtualHost vh;
          vh.name = key + ":" + std::to_string(bs.server->port.number);
          vh.domains = {key};
          vh.source.description = describe("Gateway", bs.gateway->meta);
          vh.coverage_key = coverageKey([&](const CoverageRegistry& c) {
            return c.server(*bs.gateway,
                            static_cast<size_t>(bs.server - bs.gateway->servers.data()));
          });
          rc.virtual_hosts.push_back(std::move(vh));
        }
        return rc.virtual_hosts[it->second];
      };
      for (const auto& bs : servers) {
        const std::string gw_key = bs.gateway->meta.id();
        if (bs.server->https_redirect) {
          // A vhost per server host, even without a VirtualService (section 1.7).
          for (const auto& entry : bs.server->hosts) {
            const size_t slash = entry.find('/');
            vhostFor(slash == std::string::npos ? entry : entry.substr(slash + 1), bs).require_tls =
                true;
          }
        }
        const BuildContext ctx{&pod, gw_key, bs.server->port.number};
        for (const VirtualService* vs : visibleVirtualServices(gw_key, pod.namespace_name)) {
          const auto server_hosts =
              serverHostsFor(*bs.server, bs.gateway->meta.namespace_name, vs->meta.namespace_name);
          std::vector<std::string> hosts;
          for (const auto& raw : vs->hosts) {
            const std::string vh = resolveHost(raw, vs->meta.namespace_name);
            for (const auto& sh : server_hosts) {
              std::string narrower;
              if (hostCovers(sh, vh)) {
                narrower = vh;
              } else if (hostCovers(vh, sh)) {
                narrower = sh;
              }
              if (!narrower.empty() &&
                  std::find(hosts.begin(), hosts.end(), narrower) == hosts.end()) {
                hosts.push_back(narrower);
              }
            }
          }
          if (hosts.empty()) {
            continue;
          }
          const std::vector<Route> routes = translateRoutes(*vs, ctx);
          if (routes.empty()) {
            continue;
          }
          for (const auto& h : hosts) {
            VirtualHost& vh = vhostFor(h, bs);
            vh.routes.insert(vh.routes.end(), routes.begin(), routes.end());
            // Every vhost built under a redirecting server redirects, whatever its host
            // (gateway.go buildGatewayHTTPRouteConfig); another server never clears it.
            vh.require_tls = vh.require_tls || bs.server->https_redirect;
          }
        }
      }
      for (auto& vh : rc.virtual_hosts) {
        std::stable_partition(vh.routes.begin(), vh.routes.end(),
                              [](const Route& r) { return !isCatchAll(r); });
      }
      if (rc.virtual_hosts.empty()) {
        VirtualHost blackhole;
        blackhole.name = "blackhole:" + std::to_string(port);
        blackhole.domains = {"*"};
        rc.virtual_hosts.push_back(std::move(blackhole));
      }
      Listener l;
      l.name = "0.0.0.0_" + std::to_string(port);
      l.port = static_cast<uint16_t>(port);
      l.direction = proxy::config::TrafficDirection::Outbound;
      l.route_config_name = rc.name;
      l.use_remote_address = true;
      config.listeners.push_back(std::move(l));
      config.route_configs.push_back(std::move(rc));
    }
    return config;
  }

  StatusOr<ProxyConfig> sidecarConfig(const k8s::PodState& pod) {
    ProxyConfig config;
    config.node_id =
        "sidecar~" + proxy::config::ipToString(pod.ip) + "~" + pod.name + "." + pod.namespace_name;
    config.ip = pod.ip;
    config.workload = pod.info;
    addInbound(pod, config);
    const Scope& scope = scopeFor(pod);
    config.outbound_passthrough = scope.allow_any;
    MESHSIM_ASSIGN_OR_RETURN(config.shared, outboundFor(pod, scope));
    return config;
  }

  // The Sidecar that applies to a pod, as istiod picks it (PushContext.getSidecarScope): in the
  // pod's namespace the oldest whose workloadSelector matches, else the oldest without selector
  // (the namespace default), else the oldest without selector in the root namespace (the mesh
  // default), else none. Resources are in definition (creation) order.
  const Sidecar* sidecarFor(const k8s::PodState& pod) const {
    const Sidecar* namespace_default = nullptr;
    for (const auto& sc : istio_.sidecars) {
      if (sc.meta.namespace_name != pod.namespace_name) {
        continue;
      }
      if (!sc.workload_selector) {
        namespace_default = namespace_default == nullptr ? &sc : namespace_default;
      } else if (k8s::selectorMatches(*sc.workload_selector, pod.labels)) {
        return &sc;
      }
    }
    if (namespace_default != nullptr) {
      return namespace_default;
    }
    for (const auto& sc : istio_.sidecars) {
      if (sc.meta.namespace_name == kRootNamespace && !sc.workload_selector) {
        return &sc;
      }
    }
    return nullptr;
  }

  static bool isWildcard(const std::string& host) { return !host.empty() && host[0] == '*'; }

  // hostClassification.Matches: whether `host` (a service's) is imported.
  static bool importsHost(const EgressHosts& hc, const std::string& host) {
    if (hc.exact.count(host) != 0) {
      return true;
    }
    return std::any_of(hc.all.begin(), hc.all.end(), [&](const std::string& imported) {
      return (isWildcard(host) || isWildcard(imported)) && hostCovers(imported, host);
    });
  }

  // hostClassification.VSMatches: like importsHost, but a wildcard on either side matches
  // whatever it overlaps (host.Name.Matches).
  static bool importsVirtualServiceHost(const EgressHosts& hc, const std::string& host) {
    if (hc.exact.count(host) != 0) {
      return true;
    }
    return std::any_of(hc.all.begin(), hc.all.end(), [&](const std::string& imported) {
      return (isWildcard(host) || isWildcard(imported)) &&
             (hostCovers(imported, host) || hostCovers(host, imported));
    });
  }

  static bool excludes(const EgressHosts& hc, const std::string& host) {
    return std::any_of(hc.excluded.begin(), hc.excluded.end(),
                       [&](const std::string& e) { return hostCovers(e, host); });
  }

  static const EgressHosts* hostsOf(const Egress& e, const std::string& namespace_name) {
    auto it = e.hosts.find(namespace_name);
    return it == e.hosts.end() ? nullptr : &it->second;
  }

  // Whether the egress listener imports a service (selectServices): not excluded in the
  // service's namespace or "*", and named by an import of its namespace or of "*".
  static bool importsService(const Egress& e, const std::string& host,
                             const std::string& service_namespace) {
    const EgressHosts* own = hostsOf(e, service_namespace);
    const EgressHosts* any = hostsOf(e, "*");
    if ((own != nullptr && excludes(*own, host)) || (any != nullptr && excludes(*any, host))) {
      return false;
    }
    return (own != nullptr && importsHost(*own, host)) ||
           (any != nullptr && importsHost(*any, host));
  }

  // Whether the egress listener imports a VirtualService (SelectVirtualServices): one of its
  // hosts is imported from the VirtualService's namespace or "*" and not excluded.
  static bool importsVirtualService(const Egress& e, const VirtualService& vs) {
    const EgressHosts* own = hostsOf(e, vs.meta.namespace_name);
    const EgressHosts* any = hostsOf(e, "*");
    for (const auto& raw : vs.hosts) {
      const std::string host = resolveHost(raw, vs.meta.namespace_name);
      const bool matched = (own != nullptr && importsVirtualServiceHost(*own, host)) ||
                           (any != nullptr && importsVirtualServiceHost(*any, host));
      if (matched && !(own != nullptr && excludes(*own, host)) &&
          !(any != nullptr && excludes(*any, host))) {
        return true;
      }
    }
    return false;
  }

  // The egress listener that serves outbound `port` (GetEgressListenerForRDS): the one on that
  // port, else the catch-all, else none (no outbound listener on the port).
  static const Egress* egressFor(const Scope& scope, int port) {
    for (const auto& e : scope.egress) {
      if (e.port == port || e.port == 0) {
        return &e;
      }
    }
    return nullptr;
  }

  // Whether the scope holds the clusters of `host` on `port`.
  static bool holds(const Scope& scope, const std::string& host, int port) {
    auto it = scope.services.find(host);
    return it != scope.services.end() && (it->second.count(0) != 0 || it->second.count(port) != 0);
  }

  const Scope& scopeFor(const k8s::PodState& pod) {
    const Sidecar* sidecar = sidecarFor(pod);
    std::string key = pod.namespace_name;
    if (sidecar != nullptr) {
      key += '\0' + sidecar->meta.id();
    }
    auto [it, inserted] = sidecar_scopes_.try_emplace(key);
    Scope& scope = it->second;
    if (!inserted) {
      return scope;
    }
    scope.sidecar = sidecar;
    scope.namespace_name = pod.namespace_name;
    scope.key = key;
    scope.allow_any = istio_.mesh_config.outbound_allow_any;
    if (sidecar == nullptr) {
      return scope;
    }
    if (sidecar->outbound_mode != Sidecar::OutboundMode::Unset) {
      scope.allow_any = sidecar->outbound_mode == Sidecar::OutboundMode::AllowAny;
    }
    std::vector<SidecarEgress> egress = sidecar->egress;
    if (egress.empty()) {
      egress.push_back(SidecarEgress{0, "", {"*/*"}, sidecar->meta.location});
    }
    const auto& mesh_vs = visibleVirtualServices("mesh", pod.namespace_name);
    for (const auto& in : egress) {
      Egress e;
      e.port = in.port;
      for (const auto& h : in.hosts) {
        const size_t slash = h.find('/');
        std::string ns = h.substr(0, slash);
        std::string name = h.substr(slash + 1);
        // Since 1.31 "~ns/host" excludes; before, "~" is a namespace that holds nothing.
        if (ns.starts_with('~') && options_.istio_minor >= 31) {
          ns = ns.size() == 1 ? "*" : ns.substr(1);
          e.hosts[ns == "." ? pod.namespace_name : ns].excluded.push_back(std::move(name));
          continue;
        }
        EgressHosts& hc = e.hosts[ns == "." ? pod.namespace_name : ns];
        if (!isWildcard(name)) {
          hc.exact.insert(name);
        }
        hc.all.push_back(std::move(name));
      }
      for (const VirtualService* vs : mesh_vs) {
        if (importsVirtualService(e, *vs)) {
          e.virtual_services.push_back(vs);
        }
      }
      scope.egress.push_back(std::move(e));
    }
    collectImportedServices(scope);
    return scope;
  }

  // The services whose clusters a Sidecar scope holds (collectImportedServices): those its egress
  // listeners import (only the listener's port for a listener with a port), and the
  // destinations of the VirtualServices they import.
  void collectImportedServices(Scope& scope) {
    const auto add = [&](const Egress& e, const std::string& host, const std::vector<int>& ports,
                         const std::set<int>& wanted) {
      std::set<int>& held = scope.services[host];
      if (e.port != 0) {
        // serviceMatchingListenerPort: the listener's port, if the service has it.
        if (std::find(ports.begin(), ports.end(), e.port) != ports.end()) {
          held.insert(e.port);
        }
        return;
      }
      if (wanted.empty() || wanted.count(0) != 0) {
        held.insert(0);
        return;
      }
      for (int p : ports) {
        if (wanted.count(p) != 0) {
          held.insert(p);
        }
      }
    };
    const auto service_ports = [&](const std::string& host,
                                   std::string* namespace_name) -> std::optional<std::vector<int>> {
      std::vector<int> ports;
      if (const k8s::ServiceState* svc = world_.findServiceByHost(host); svc != nullptr) {
        for (const auto& p : svc->spec.ports) {
          ports.push_back(p.port);
        }
        *namespace_name = svc->spec.meta.namespace_name;
        return ports;
      }
      const EntryHost* entry = findEntryHost(host);
      if (entry == nullptr ||
          !exportedTo(entry->se->export_to, entry->se->meta.namespace_name, scope.namespace_name)) {
        return std::nullopt;
      }
      for (const auto& p : entry->se->ports) {
        ports.push_back(p.number);
      }
      *namespace_name = entry->se->meta.namespace_name;
      return ports;
    };
    for (const Egress& e : scope.egress) {
      for (const auto& svc : world_.services()) {
        if (importsService(e, svc.fqdn, svc.spec.meta.namespace_name)) {
          std::vector<int> ports;
          for (const auto& p : svc.spec.ports) {
            ports.push_back(p.port);
          }
          add(e, svc.fqdn, ports, {});
        }
      }
      for (const auto& entry : entry_hosts_) {
        const ServiceEntry& se = *entry.se;
        if (exportedTo(se.export_to, se.meta.namespace_name, scope.namespace_name) &&
            importsService(e, entry.host, se.meta.namespace_name)) {
          std::vector<int> ports;
          for (const auto& p : se.ports) {
            ports.push_back(p.number);
          }
          add(e, entry.host, ports, {});
        }
      }
      for (const VirtualService* vs : e.virtual_services) {
        // virtualServiceDestinationsFilteredBySourceNamespace: the destinations (routes and
        // mirrors) of the http routes whose matches may apply to the scope's namespace.
        std::map<std::string, std::set<int>> destinations;
        for (const auto& http : vs->http) {
          bool namespace_matched = true;
          for (const auto& m : http.match) {
            if (!m.source_namespace.empty()) {
              namespace_matched = m.source_namespace == scope.namespace_name;
              if (namespace_matched) {
                break;
              }
            }
          }
          if (!namespace_matched) {
            continue;
          }
          for (const auto& d : http.route) {
            destinations[resolveHost(d.destination.host, vs->meta.namespace_name)].insert(
                d.destination.port);
          }
          for (const auto& m : http.mirrors) {
            destinations[resolveHost(m.destination.host, vs->meta.namespace_name)].insert(
                m.destination.port);
          }
        }
        for (const auto& [host, wanted] : destinations) {
          std::string service_namespace;
          if (auto ports = service_ports(host, &service_namespace)) {
            add(e, host, *ports, wanted);
          }
        }
      }
    }
    std::erase_if(scope.services, [](const auto& kv) { return kv.second.empty(); });
  }

  // The outbound side of a sidecar, built once per scope and shared by every sidecar in it. A
  // scope is what decides the outbound configuration: the namespace (visibility, exportTo, the
  // short service names), the Sidecar resource that applies, and the pod's labels only where a
  // visible mesh VirtualService matches on sourceLabels.
  StatusOr<proxy::SharedConfigConstSharedPtr> outboundFor(const k8s::PodState& pod,
                                                          const Scope& scope) {
    std::string key = scope.key;
    const auto& mesh_vs = visibleVirtualServices("mesh", pod.namespace_name);
    const bool by_labels = std::any_of(mesh_vs.begin(), mesh_vs.end(), [](const auto* vs) {
      return std::any_of(vs->http.begin(), vs->http.end(), [](const auto& http) {
        return std::any_of(http.match.begin(), http.match.end(),
                           [](const auto& m) { return !m.source_labels.empty(); });
      });
    });
    if (by_labels) {
      key += '\0' + k8s::labelsToString(pod.labels);
    }
    auto& shared = scopes_[key];
    if (shared == nullptr) {
      ProxyConfig outbound;
      addOutbound(pod, scope, outbound);
      MESHSIM_ASSIGN_OR_RETURN(
          shared,
          proxy::SharedConfig::create(
              std::move(outbound.listeners), std::move(outbound.route_configs),
              clustersFor(pod.namespace_name, true, scope.sidecar == nullptr ? nullptr : &scope)));
    }
    return shared;
  }

  // The inbound side: one listener per port its Services target, forwarding to the app on
  // localhost.
  void addInbound(const k8s::PodState& pod, ProxyConfig& config) {
    // Per port: the Service, and the protocol of its port (first Service by definition order).
    std::map<int, std::pair<proxy::config::ServiceInfoConstSharedPtr, std::string>> ports;
    for (const k8s::ServiceState* svc : world_.servicesOf(pod)) {
      for (const auto& p : svc->spec.ports) {
        for (const auto& ep : world_.endpoints(*svc, p)) {
          if (&world_.pods()[ep.pod] == &pod) {
            ports.emplace(ep.port, std::pair(svc->info, portProtocol(p)));
          }
        }
      }
    }
    for (const auto& cp : pod.spec.ports) {
      ports.emplace(cp.port, std::pair(nullptr, std::string()));
    }
    for (const auto& [port, service_protocol] : ports) {
      const auto& [service, protocol] = service_protocol;
      const std::string p = std::to_string(port);
      Cluster c;
      c.name = "inbound|" + p + "||";
      c.service = service;
      // To the app: HTTP/2 on an HTTP2/GRPC port, the downstream's version on a sniffed one.
      c.upstream_protocol = upstreamProtocol(protocol, true, std::nullopt);
      c.endpoints.push_back(
          Endpoint{{proxy::config::kLoopback, static_cast<uint16_t>(port)}, pod.info, false});
      RouteConfiguration rc;
      rc.name = "inbound|" + p;
      VirtualHost vh;
      vh.name = "inbound|http|" + p;
      vh.domains = {"*"};
      Route r;
      r.name = "default";
      r.action.clusters.push_back({c.name, 100, {}, {}, {}});
      // Istio 1.24+ (reference 2.12): the server sidecar retries twice when the request never
      // reached the app (reset-before-request; a refused connection to a restarting app too).
      proxy::config::RetryPolicy inbound_retries;
      inbound_retries.num_retries = 2;
      inbound_retries.retry_on = proxy::config::kRetryOnResetBeforeRequest;
      r.action.retry_policy = inbound_retries;
      vh.routes.push_back(std::move(r));
      rc.virtual_hosts.push_back(std::move(vh));
      Listener l;
      l.name = "inbound_" + proxy::config::ipToString(pod.ip) + "_" + p;
      l.port = static_cast<uint16_t>(port);
      l.direction = proxy::config::TrafficDirection::Inbound;
      l.route_config_name = rc.name;
      config.listeners.push_back(std::move(l));
      config.route_configs.push_back(std::move(rc));
      config.clusters.push_back(std::move(c));
    }
  }

  // The outbound side (section 2.18): a listener per service port, a virtual host per service on
  // it with its DNS names and ClusterIP, routes from the first mesh VirtualService claiming the
  // host or else straight to the service; unknown hosts pass through.
  // With a Sidecar, each port is served by its egress listener (egressFor): only the services
  // and VirtualServices it imports get vhosts there, and a port it does not serve gets no
  // listener; unknown hosts are answered 502 (block_all) under REGISTRY_ONLY.
  void addOutbound(const k8s::PodState& pod, const Scope& scope, ProxyConfig& config) {
    const auto& mesh_vs = visibleVirtualServices("mesh", pod.namespace_name);
    const bool scoped = scope.sidecar != nullptr;
    // The egress listener serving `port`; null when a Sidecar leaves the port without one.
    const auto egress = [&](int port) { return scoped ? egressFor(scope, port) : nullptr; };
    const auto served = [&](int port) { return !scoped || egressFor(scope, port) != nullptr; };
    // The mesh VirtualServices that can claim hosts on `port`.
    const auto virtual_services_on = [&](int port) -> const std::vector<const VirtualService*>& {
      const Egress* e = egress(port);
      return e == nullptr ? mesh_vs : e->virtual_services;
    };
    std::map<int, RouteConfiguration> by_port;
    std::map<int, std::set<std::string>> claimed;  // domains already in a port's table
    const auto table = [&](int port) -> RouteConfiguration& {
      auto& rc = by_port[port];
      rc.name = std::to_string(port);
      return rc;
    };
    // The VirtualService that claims `fqdn` (Istio's computeWildcardHostVirtualServiceIndex):
    // the oldest naming it exactly, else the oldest naming the most specific (longest) wildcard
    // host covering it, whatever their creation order relative to each other.
    const auto claimant = [&](const std::string& fqdn, int port) -> const VirtualService* {
      const VirtualService* wildcard = nullptr;
      size_t wildcard_size = 0;
      for (const VirtualService* vs : virtual_services_on(port)) {
        for (const auto& h : vs->hosts) {
          const std::string host = resolveHost(h, vs->meta.namespace_name);
          if (host == fqdn) {
            return vs;
          }
          if (host.starts_with('*') && hostCovers(host, fqdn) &&
              (wildcard == nullptr || host.size() > wildcard_size)) {
            wildcard = vs;
            wildcard_size = host.size();
          }
        }
      }
      return wildcard;
    };
    // The routes of a registry host's vhost: those of the first mesh VirtualService claiming it,
    // else one default route to its cluster with Istio's default retries (section 2.18).
    // Returns whether a VirtualService claimed it.
    const auto routeHost = [&](VirtualHost& vh, const std::string& host, int port) {
      if (const VirtualService* vs = claimant(host, port)) {
        vh.routes = translateRoutes(*vs, BuildContext{&pod, "mesh", port});
        vh.source.description = describe("VirtualService", vs->meta);
        return true;
      }
      Route r;
      r.name = "default";
      r.action.clusters.push_back({outboundClusterName(port, "", host), 100, {}, {}, {}});
      r.action.retry_policy = retryPolicy(std::nullopt);
      if (const auto ch = consistentHashFor(host, "", port, pod.namespace_name)) {
        if (auto p = hashPolicy(*ch)) {
          r.action.hash_policies.push_back(std::move(*p));
        }
        r.action.retry_policy->avoid_previous_hosts = false;  // DefaultConsistentHashPolicy
      }
      vh.routes.push_back(std::move(r));
      return false;
    };
    for (const auto& svc : world_.services()) {
      for (const auto& sp : svc.spec.ports) {
        if (!served(sp.port) ||
            (scoped && !importsService(*egress(sp.port), svc.fqdn, svc.spec.meta.namespace_name))) {
          continue;
        }
        VirtualHost vh;
        vh.name = svc.fqdn + ":" + std::to_string(sp.port);
        const std::string short_fqdn = svc.fqdn.substr(0, svc.fqdn.size() - 14);  // -.cluster.local
        vh.domains = {svc.fqdn, short_fqdn,
                      svc.spec.meta.name + "." + svc.spec.meta.namespace_name};
        if (svc.spec.meta.namespace_name == pod.namespace_name) {
          vh.domains.push_back(svc.spec.meta.name);
        }
        if (svc.spec.headless) {
          // Per-pod names: `*.` before each name (httproute.go generateVirtualHostDomains, for
          // Kubernetes services of resolution Passthrough); no virtual IP.
          const size_t names = vh.domains.size();
          for (size_t i = 0; i < names; ++i) {
            vh.domains.push_back("*." + vh.domains[i]);
          }
        } else {
          vh.domains.push_back(proxy::config::ipToString(svc.cluster_ip));
        }
        routeHost(vh, svc.fqdn, sp.port);
        auto& seen = claimed[sp.port];
        for (const auto& d : vh.domains) {
          seen.insert(d);
        }
        table(sp.port).virtual_hosts.push_back(std::move(vh));
      }
    }
    // ServiceEntry hosts exported to this namespace: a vhost per port, like a Service, with the
    // entry's addresses (IPs, not ranges) as further domains.
    for (const auto& entry : entry_hosts_) {
      const ServiceEntry& se = *entry.se;
      if (!exportedTo(se.export_to, se.meta.namespace_name, pod.namespace_name)) {
        continue;
      }
      for (const auto& port : se.ports) {
        if (!served(port.number) ||
            (scoped && !importsService(*egress(port.number), entry.host, se.meta.namespace_name))) {
          continue;
        }
        auto& seen = claimed[port.number];
        if (seen.count(entry.host) != 0) {
          continue;
        }
        VirtualHost vh;
        vh.name = entry.host + ":" + std::to_string(port.number);
        vh.domains = {entry.host};
        for (const auto& a : se.addresses) {
          const std::string ip = a.ends_with("/32") ? a.substr(0, a.size() - 3) : a;
          if (ip.find('/') == std::string::npos && seen.count(ip) == 0) {
            vh.domains.push_back(ip);
          }
        }
        if (!routeHost(vh, entry.host, port.number)) {
          vh.source.description = describe("ServiceEntry", se.meta);
        }
        for (const auto& d : vh.domains) {
          seen.insert(d);
        }
        table(port.number).virtual_hosts.push_back(std::move(vh));
      }
    }
    // Mesh VirtualService hosts that are not services get a vhost on port 80 only.
    for (const VirtualService* vs :
         served(80) ? virtual_services_on(80) : std::vector<const VirtualService*>{}) {
      for (const auto& raw : vs->hosts) {
        const std::string host = resolveHost(raw, vs->meta.namespace_name);
        if (world_.findServiceByHost(host) != nullptr || findEntryHost(host) != nullptr ||
            claimed[80].count(host) != 0) {
          continue;
        }
        VirtualHost vh;
        vh.name = host + ":80";
        vh.domains = {host};
        vh.routes = translateRoutes(*vs, BuildContext{&pod, "mesh", 80});
        vh.source.description = describe("VirtualService", vs->meta);
        claimed[80].insert(host);
        table(80).virtual_hosts.push_back(std::move(vh));
      }
    }
    for (auto& [port, rc] : by_port) {
      // Unknown hosts (BuildCatchAllVirtualHost): to PassthroughCluster under ALLOW_ANY, a
      // direct 502 under REGISTRY_ONLY.
      VirtualHost any;
      any.name = scope.allow_any ? kAllowAny : kBlockAll;
      any.domains = {"*"};
      Route r;
      r.name = any.name;
      if (scope.allow_any) {
        r.action.clusters.push_back({kPassthroughCluster, 100, {}, {}, {}});
      } else {
        r.kind = Route::Kind::DirectResponse;
        r.direct_response.status = 502;
      }
      any.routes.push_back(std::move(r));
      rc.virtual_hosts.push_back(std::move(any));
      Listener l;
      l.name = "0.0.0.0_" + std::to_string(port);
      l.port = static_cast<uint16_t>(port);
      l.direction = proxy::config::TrafficDirection::Outbound;
      l.route_config_name = rc.name;
      l.bind_to_port = false;
      l.server_name = "envoy";
      config.listeners.push_back(std::move(l));
      config.route_configs.push_back(std::move(rc));
    }
  }

  // istioctl analyze's reference checks.
  void checkReferences() {
    std::set<std::string> gateway_ids;
    for (const auto& gw : istio_.gateways) {
      gateway_ids.insert(gw.meta.id());
      if (selected_gateways_.count(gw.meta.id()) == 0) {
        report(referencedResourceNotFound("Gateway", gw.meta, {}, "selector",
                                          k8s::labelsToString(gw.selector)));
      }
    }
    for (const auto& vs : istio_.virtual_services) {
      for (const auto& g : vs.gateways) {
        const std::string key = gatewayKey(g, vs.meta.namespace_name);
        if (key != "mesh" && gateway_ids.count(key) == 0) {
          // istioctl names the gateway as the VirtualService writes it.
          report(referencedResourceNotFound("VirtualService", vs.meta, {}, "gateway", g));
        }
      }
      for (const auto& http : vs.http) {
        std::vector<std::pair<const Destination*, yaml::Location>> dests;
        for (const auto& d : http.route) {
          dests.emplace_back(&d.destination, d.location);
        }
        for (const auto& m : http.mirrors) {
          dests.emplace_back(&m.destination, http.location);
        }
        for (const auto& [d, at] : dests) {
          const std::string host = resolveHost(d->host, vs.meta.namespace_name);
          const k8s::ServiceState* svc = world_.findServiceByHost(host);
          const EntryHost* entry = svc == nullptr ? findEntryHost(host) : nullptr;
          if (svc == nullptr && entry == nullptr) {
            report(referencedResourceNotFound("VirtualService", vs.meta, at, "host", d->host));
            continue;
          }
          const std::string& service_namespace =
              svc != nullptr ? svc->spec.meta.namespace_name : entry->se->meta.namespace_name;
          if (!d->subset.empty() &&
              !subsetDefined(host, service_namespace, d->subset, vs.meta.namespace_name)) {
            report(referencedResourceNotFound("VirtualService", vs.meta, at,
                                              "host+subset in destinationrule",
                                              d->host + "+" + d->subset));
          }
        }
      }
    }
  }

  void report(AnalysisMessage m) {
    out_.warnings.push_back(m.toString());
    out_.analysis.push_back(std::move(m));
  }

  bool subsetDefined(const std::string& fqdn, const std::string& service_namespace,
                     const std::string& subset, const std::string& client_namespace) {
    for (const DestinationRule* dr : destinationRules(fqdn, service_namespace, client_namespace)) {
      for (const auto& s : dr->subsets) {
        if (s.name == subset) {
          return true;
        }
      }
    }
    // Gateways look up from their own namespace; accept a definition any client could see.
    for (const DestinationRule* dr : destinationRules(fqdn, service_namespace, kRootNamespace)) {
      for (const auto& s : dr->subsets) {
        if (s.name == subset) {
          return true;
        }
      }
    }
    return false;
  }

  const k8s::World& world_;
  // The coverage key `lookup` finds in the registry, or 0 without one.
  template <typename Lookup>
  uint32_t coverageKey(const Lookup& lookup) const {
    return options_.coverage == nullptr ? 0 : lookup(*options_.coverage);
  }

  const Resources& istio_;
  TranslateOptions options_;
  Translation out_;
  std::vector<EntryHost> entry_hosts_;
  std::unordered_map<std::string, size_t> entry_by_host_;  // host -> index in entry_hosts_
  // Destination rules (with their resolved hosts): "namespace\0host" -> those for that host;
  // namespace -> those for wildcard hosts.
  std::unordered_map<std::string, std::vector<std::pair<const DestinationRule*, std::string>>>
      dr_exact_;
  std::unordered_map<std::string, std::vector<std::pair<const DestinationRule*, std::string>>>
      dr_wildcard_;
  // "gateway\0namespace" -> the VirtualServices visible there, in Istio's order.
  std::unordered_map<std::string, std::vector<const VirtualService*>> visible_;
  // Shared configurations: a sidecar scope's outbound side; a gateway namespace's clusters.
  std::unordered_map<std::string, proxy::SharedConfigConstSharedPtr> scopes_;
  // Sidecar scopes by Scope::key.
  std::unordered_map<std::string, Scope> sidecar_scopes_;
  std::unordered_map<std::string, proxy::SharedConfigConstSharedPtr> gateway_shared_;
  std::set<std::string> selected_gateways_;
};

}  // namespace

std::string resolveHost(const std::string& host, const std::string& namespace_name) {
  if (host == "*" || host.find('.') != std::string::npos) {
    return host;
  }
  return host + "." + namespace_name + ".svc." + std::string(k8s::kClusterDomain);
}

bool hostCovers(std::string_view a, std::string_view b) {
  if (a == b || a == "*") {
    return true;
  }
  if (!a.empty() && a.front() == '*') {
    const std::string_view suffix = a.substr(1);
    return b.size() > suffix.size() && b.ends_with(suffix);
  }
  return false;
}

std::string portProtocol(const k8s::ServicePort& port) {
  if (proxy::http::equalsIgnoreCase(port.protocol, "UDP")) {
    return "UDP";
  }
  std::string name = port.name;
  if (!port.app_protocol.empty()) {
    name = port.app_protocol;
    if (name == "kubernetes.io/h2c") {
      return "HTTP2";
    }
    if (name == "kubernetes.io/ws") {
      return "HTTP";
    }
    if (name == "kubernetes.io/wss") {
      return "HTTPS";
    }
  }
  std::string upper = name;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (upper.starts_with("GRPC-WEB")) {
    return "GRPC-WEB";
  }
  upper = upper.substr(0, upper.find('-'));
  static const std::set<std::string> kKnown = {"TCP",        "UDP",   "GRPC",  "HTTP",
                                               "HTTP_PROXY", "HTTP2", "HTTPS", "TLS",
                                               "MONGO",      "REDIS", "MYSQL"};
  if (kKnown.contains(upper)) {
    return upper;
  }
  static const std::set<int> kWellKnownTcp = {25, 53, 3306, 27017};
  return kWellKnownTcp.contains(port.port) ? "TCP" : "";
}

std::string outboundClusterName(int port, const std::string& subset, const std::string& host) {
  return "outbound|" + std::to_string(port) + "|" + subset + "|" + host;
}

StatusOr<Translation> translate(const k8s::World& world, const Resources& istio,
                                const TranslateOptions& options) {
  return Translator(world, istio, options).run();
}

}  // namespace meshsim::sim::istio
