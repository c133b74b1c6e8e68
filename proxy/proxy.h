#pragma once

// File: proxy/proxy.h
//
// One proxy instance (one Envoy): a gateway or a sidecar. It owns its listeners, compiled route
// tables, clusters and Istio stats, and forwards requests through an UpstreamTransport. The
// same class runs on virtual time in the simulator and on real sockets.
//
// Example:
//   auto proxy = Proxy::create(std::move(config), dispatcher, transport, random).value();
//   network.listen(address, *proxy->listener(8080));

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/core/status.h"
#include "proxy/event/dispatcher.h"
#include "proxy/router/route_table.h"
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
  // ClusterManager::update()). A listener whose port is gone stops being returned by listener()
  // but stays alive, as does every earlier configuration, so nothing in flight dangles. Stats
  // and the access log continue. The workload identity must not change. On error (an invalid
  // route configuration) nothing changes.
  Status update(config::ProxyConfig config);
  Proxy& operator=(const Proxy&) = delete;

  // Returns the handler of the listener bound to `port` of the proxy's own address (a gateway's
  // listeners, a sidecar's inbound ones), or nullptr. The handler lives as long as the proxy.
  RequestHandler* listener(uint16_t port);
  std::vector<uint16_t> listenerPorts() const;
  // Returns the handler of the sidecar outbound listener (bind_to_port: false) that captures what
  // the pod's app sends to `port`, or nullptr.
  RequestHandler* outboundListener(uint16_t port);

  const config::ProxyConfig& config() const { return *config_; }
  const stats::IstioStats& stats() const { return stats_; }
  // The proxy's access log; disabled (and free) until enabled.
  stats::AccessLog& accessLog() { return access_log_; }
  const stats::AccessLog& accessLog() const { return access_log_; }

private:
  class ListenerImpl;

  Proxy(config::ProxyConfig config, Dispatcher& dispatcher, UpstreamTransport& transport,
        RandomGenerator& random);

  static StatusOr<std::unordered_map<std::string, router::RouteTableConstSharedPtr>> compileRoutes(
      const config::ProxyConfig& config);
  void installListeners(
      const std::unordered_map<std::string, router::RouteTableConstSharedPtr>& tables);

  std::unique_ptr<config::ProxyConfig> config_;
  std::vector<std::unique_ptr<config::ProxyConfig>> retired_configs_;
  Dispatcher& dispatcher_;
  UpstreamTransport& transport_;
  RandomGenerator& random_;
  upstream::ClusterManager clusters_;
  stats::IstioStats stats_;
  stats::AccessLog access_log_;
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> listeners_;
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> outbound_listeners_;
  std::vector<std::unique_ptr<ListenerImpl>> retired_listeners_;
};

// A random UUID version 4 ("f81d4fae-7dec-41d0-a765-00a0c91e6bf6") drawn from `random`, as
// Envoy generates for x-request-id.
std::string generateRequestId(RandomGenerator& random);

}  // namespace meshsim::proxy
