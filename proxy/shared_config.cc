#include "proxy/shared_config.h"

namespace meshsim::proxy {

StatusOr<std::shared_ptr<const SharedConfig>> SharedConfig::create(
    std::vector<config::Listener> listeners, std::vector<config::RouteConfiguration> route_configs,
    upstream::ClusterTableConstSharedPtr clusters) {
  auto out = std::make_shared<SharedConfig>();
  out->ordered_.reserve(route_configs.size());
  for (auto& rc : route_configs) {
    std::string name = rc.name;
    MESHSIM_ASSIGN_OR_RETURN(auto table, router::RouteTable::create(std::move(rc)));
    if (!out->tables_.emplace(name, table).second) {
      return invalidArgumentError("two route configurations are called " + name);
    }
    out->ordered_.push_back(std::move(table));
  }
  for (const auto& l : listeners) {
    if (out->tables_.count(l.route_config_name) == 0) {
      return invalidArgumentError("listener " + l.name + " names missing route configuration " +
                                  l.route_config_name);
    }
  }
  out->listeners_ = std::move(listeners);
  out->clusters_ = std::move(clusters);
  return std::shared_ptr<const SharedConfig>(std::move(out));
}

config::ProxyConfig SharedConfig::flatten(const config::ProxyConfig& config) {
  config::ProxyConfig out = config;
  out.shared = nullptr;
  if (config.shared == nullptr) {
    return out;
  }
  const SharedConfig& shared = *config.shared;
  out.listeners.insert(out.listeners.end(), shared.listeners_.begin(), shared.listeners_.end());
  for (const auto& table : shared.ordered_) {
    out.route_configs.push_back(table->config());
  }
  if (shared.clusters_ != nullptr) {
    for (const auto& c : shared.clusters_->ordered()) {
      out.clusters.push_back(*c);
    }
  }
  return out;
}

const router::RouteTableConstSharedPtr* SharedConfig::routeTable(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

}  // namespace meshsim::proxy
