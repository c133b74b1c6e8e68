#pragma once

// File: proxy/proxy.h
//
// One proxy instance (one Envoy): a gateway or a sidecar. It owns its listeners (one
// ConnectionManager per port), compiled route tables, clusters, the HTTP filter chain and the
// Istio stats, and forwards requests through an UpstreamTransport. The same class runs on
// virtual time in the simulator and on real sockets.
//
// Example:
//   auto proxy = Proxy::create(std::move(config), dispatcher, transport, random).value();
//   network.listen(address, *proxy->listener(8080));

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/connection_manager.h"
#include "proxy/core/random.h"
#include "proxy/core/status.h"
#include "proxy/event/dispatcher.h"
#include "proxy/router/route_table.h"
#include "proxy/shared_config.h"
#include "proxy/stats/access_log.h"
#include "proxy/stats/istio_stats.h"
#include "proxy/upstream/cluster_manager.h"
#include "proxy/upstream/transport.h"

namespace meshsim::proxy {

class Proxy {
public:
  // Compiles `config`. Fails when a listener names a missing route configuration or a route
  // configuration is invalid (see RouteTable::create). `dispatcher`, `transport` and `random`
  // must outlive the proxy.
  static StatusOr<std::unique_ptr<Proxy>> create(config::ProxyConfig config, Dispatcher& dispatcher,
                                                 UpstreamTransport& transport,
                                                 RandomGenerator& random);
  ~Proxy();
  Proxy(const Proxy&) = delete;

  // Takes a new configuration (an xDS push) while requests are in flight: listeners on the same
  // port switch to the new routes, new ports get listeners, clusters are updated in place (see
  // ClusterManager::update()). An exchange in flight keeps the route table it matched and the
  // cluster state it uses; a listener whose port is gone stops being returned by listener() and
  // is freed at a later push once nothing is in flight on it. Nothing else of the old
  // configuration is kept. Stats and the access log continue. The workload identity must not
  // change. On error (an invalid route configuration) nothing changes.
  Status update(config::ProxyConfig config);
  Proxy& operator=(const Proxy&) = delete;

  // Returns the handler of the listener bound to `port` of the proxy's own address (a gateway's
  // listeners, a sidecar's inbound ones), or nullptr. The handler lives as long as the proxy.
  RequestHandler* listener(uint16_t port);
  std::vector<uint16_t> listenerPorts() const;
  // Returns the handler of the sidecar outbound listener (bind_to_port: false) that captures what
  // the pod's app sends to `port`, or nullptr.
  RequestHandler* outboundListener(uint16_t port);

  const config::ProxyConfig& config() const { return snapshot_->config; }
  // The listener configuration bound to `port` (`bound`: a listener on the proxy's own address;
  // else the outbound capture of a sidecar), with its route configuration, or nulls.
  std::pair<const config::Listener*, const config::RouteConfiguration*> listenerConfig(
      uint16_t port, bool bound) const;
  // The configuration of the cluster called `name` (own first, then shared), or nullptr.
  const config::Cluster* clusterConfig(std::string_view name) const;
  // Whether no request is in flight through the proxy (it can be destroyed).
  bool idle() const;
  // The proxy's state for a cluster (created if it does not exist yet).
  std::weak_ptr<upstream::ClusterState> clusterStateForTest(std::string_view name) {
    return clusters_.findShared(name);
  }
  const stats::IstioStats& stats() const { return stats_; }
  // The authorizer the filter chain's authorization slot asks for every request (allow-all
  // until set): the seam where AuthorizationPolicy (Envoy's RBAC filter) plugs in.
  void setAuthorizer(filters::AuthorizerConstSharedPtr authorizer);
  // The filter chain every listener runs, in Istio's order.
  const filters::FilterChain& filterChain() const { return chain_; }
  // The proxy's access log; disabled (and free) until enabled.
  stats::AccessLog& accessLog() { return access_log_; }
  const stats::AccessLog& accessLog() const { return access_log_; }
  // Requests per coverage key (the coverage_key of config::VirtualHost, Route and Cluster),
  // indexed by key; index 0 (no key) stays 0. Counts survive update(). A request is counted once
  // for its virtual host, once for its route and once for its upstream cluster.
  const std::vector<uint64_t>& coverageHits() const { return context_.coverage_hits; }

private:
  using ListenerImpl = ConnectionManager;
  // One configuration as the proxy runs it: the config and its own compiled route tables (the
  // shared part is compiled in config.shared). Immutable; a push replaces it.
  struct Snapshot {
    config::ProxyConfig config;
    std::unordered_map<std::string, router::RouteTableConstSharedPtr> tables;
    upstream::ClusterTableConstSharedPtr own_clusters;
  };

  Proxy(std::shared_ptr<const Snapshot> snapshot, Dispatcher& dispatcher,
        UpstreamTransport& transport, RandomGenerator& random);

  // Compiles the own route configurations and checks the listeners of both parts.
  static StatusOr<std::shared_ptr<const Snapshot>> compile(config::ProxyConfig config,
                                                           const Snapshot* previous);
  void installListeners();

  std::shared_ptr<const Snapshot> snapshot_;
  Dispatcher& dispatcher_;
  UpstreamTransport& transport_;
  RandomGenerator& random_;
  upstream::ClusterManager clusters_;
  stats::IstioStats stats_;
  stats::AccessLog access_log_;
  filters::ProxyContext context_;
  filters::FilterChain chain_;
  filters::StatsRecorder recorder_;
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> listeners_;
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> outbound_listeners_;
  // Listeners whose port went away in a push, until nothing is in flight on them (checked at
  // the next push: the network may still deliver to them until the end of the current event).
  std::vector<std::unique_ptr<ListenerImpl>> retired_listeners_;
};

}  // namespace meshsim::proxy
