#pragma once

// File: proxy/shared_config.h
//
// Configuration that many proxies hold at once. A control plane computes the outbound side of
// a proxy (listeners, route configurations, clusters) once per visibility scope, and every proxy
// in the scope points at the same immutable SharedConfig: route tables are compiled once, and a
// push to the scope is a new SharedConfig whose pointer each proxy swaps in. What a proxy keeps
// for itself (breaker, outlier and load-balancer state, stats) lives in the proxy.
//
// Lifetime: a proxy holds its current SharedConfig; an exchange in flight holds the route table
// it matched, and a request upstream the cluster state it uses, so a retired SharedConfig is
// freed when the last proxy has moved on and the last exchange that started under it has ended.
//
// Example:
//   auto shared = SharedConfig::create(listeners, route_configs, clusters).value();
//   config::ProxyConfig own;  // node id, address, workload, inbound listeners
//   own.shared = shared;
//   auto proxy = Proxy::create(std::move(own), dispatcher, transport, random).value();

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/status.h"
#include "proxy/router/route_table.h"
#include "proxy/upstream/cluster_manager.h"

namespace meshsim::proxy {

class SharedConfig {
public:
  // Compiles every route configuration once. Fails when a route configuration is invalid (see
  // RouteTable::create), two have one name, or a listener names a missing one. `clusters` may
  // be null (no shared clusters).
  static StatusOr<std::shared_ptr<const SharedConfig>> create(
      std::vector<config::Listener> listeners,
      std::vector<config::RouteConfiguration> route_configs,
      upstream::ClusterTableConstSharedPtr clusters);

  // The whole configuration of a proxy as one value: `config` with the listeners, route
  // configurations and clusters of its shared part appended and `shared` null (for inspection).
  static config::ProxyConfig flatten(const config::ProxyConfig& config);

  const std::vector<config::Listener>& listeners() const { return listeners_; }
  // The compiled route configuration called `name`, or nullptr.
  const router::RouteTableConstSharedPtr* routeTable(std::string_view name) const;
  // Every compiled route configuration, in the order given to create().
  const std::vector<router::RouteTableConstSharedPtr>& routeTables() const { return ordered_; }
  const upstream::ClusterTableConstSharedPtr& clusters() const { return clusters_; }

private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<config::Listener> listeners_;
  std::vector<router::RouteTableConstSharedPtr> ordered_;
  std::unordered_map<std::string, router::RouteTableConstSharedPtr, StringHash, std::equal_to<>>
      tables_;
  upstream::ClusterTableConstSharedPtr clusters_;
};
using SharedConfigConstSharedPtr = std::shared_ptr<const SharedConfig>;

}  // namespace meshsim::proxy
