#include "proxy/proxy.h"

#include <algorithm>

namespace meshsim::proxy {

const char* toString(ResetReason r) {
  switch (r) {
    case ResetReason::None:
      return "none";
    case ResetReason::ConnectFailure:
      return "connection failure";
    case ResetReason::RemoteReset:
      return "remote reset";
    case ResetReason::ConnectionTermination:
      return "connection termination";
    case ResetReason::Timeout:
      return "timeout";
    case ResetReason::Overflow:
      return "overflow";
  }
  return "unknown";
}

Proxy::Proxy(std::shared_ptr<const Snapshot> snapshot, Dispatcher& dispatcher,
             UpstreamTransport& transport, RandomGenerator& random)
    : snapshot_(std::move(snapshot)),
      dispatcher_(dispatcher),
      transport_(transport),
      random_(random),
      clusters_(
          snapshot_->own_clusters,
          snapshot_->config.shared == nullptr ? nullptr : snapshot_->config.shared->clusters(),
          random, dispatcher.timeSource()),
      stats_(snapshot_->config.workload),
      context_{dispatcher,
               transport,
               random,
               clusters_,
               stats_,
               access_log_,
               snapshot_->config.ip,
               snapshot_->config.workload,
               nullptr},
      chain_(filters::FilterChain::istioChain()),
      recorder_(stats_, access_log_) {}

Proxy::~Proxy() = default;

StatusOr<std::unique_ptr<Proxy>> Proxy::create(config::ProxyConfig config, Dispatcher& dispatcher,
                                               UpstreamTransport& transport,
                                               RandomGenerator& random) {
  MESHSIM_ASSIGN_OR_RETURN(auto snapshot, compile(std::move(config), nullptr));
  std::unique_ptr<Proxy> proxy(new Proxy(std::move(snapshot), dispatcher, transport, random));
  proxy->installListeners();
  return proxy;
}

StatusOr<std::shared_ptr<const Proxy::Snapshot>> Proxy::compile(config::ProxyConfig config,
                                                                const Snapshot* previous) {
  auto snapshot = std::make_shared<Snapshot>();
  for (const auto& rc : config.route_configs) {
    MESHSIM_ASSIGN_OR_RETURN(auto table, router::RouteTable::create(rc));
    snapshot->tables[rc.name] = std::move(table);
  }
  std::unordered_map<uint16_t, bool> bound, outbound;
  const auto check = [&](const config::Listener& l, bool own) -> Status {
    const bool found = own ? snapshot->tables.count(l.route_config_name) != 0
                           : config.shared->routeTable(l.route_config_name) != nullptr;
    if (!found) {
      return invalidArgumentError("proxy " + config.node_id + ": listener " + l.name +
                                  " names missing route configuration " + l.route_config_name);
    }
    auto& ports = l.bind_to_port ? bound : outbound;
    if (!ports.emplace(l.port, true).second) {
      return invalidArgumentError("proxy " + config.node_id + ": two listeners on port " +
                                  std::to_string(l.port));
    }
    return okStatus();
  };
  for (const auto& l : config.listeners) {
    MESHSIM_RETURN_IF_ERROR(check(l, true));
  }
  if (config.shared != nullptr) {
    for (const auto& l : config.shared->listeners()) {
      MESHSIM_RETURN_IF_ERROR(check(l, false));
    }
  }
  snapshot->own_clusters = upstream::ClusterTable::create(
      config.clusters, previous == nullptr ? nullptr : previous->own_clusters.get());
  snapshot->config = std::move(config);
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

void Proxy::installListeners() {
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> old_bound = std::move(listeners_);
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> old_outbound =
      std::move(outbound_listeners_);
  listeners_.clear();
  outbound_listeners_.clear();
  const auto install = [&](const config::Listener& l, const router::RouteTableConstSharedPtr& table,
                           std::shared_ptr<const void> owner) {
    auto& old = l.bind_to_port ? old_bound : old_outbound;
    auto& listeners = l.bind_to_port ? listeners_ : outbound_listeners_;
    if (auto it = old.find(l.port); it != old.end()) {
      it->second->reconfigure(l, table, std::move(owner));
      listeners[l.port] = std::move(it->second);
      old.erase(it);
    } else {
      listeners[l.port] =
          std::make_unique<ListenerImpl>(context_, chain_, recorder_, l, table, std::move(owner));
    }
  };
  const config::ProxyConfig& config = snapshot_->config;
  for (const auto& l : config.listeners) {
    install(l, snapshot_->tables.at(l.route_config_name), snapshot_);
  }
  if (config.shared != nullptr) {
    for (const auto& l : config.shared->listeners()) {
      install(l, *config.shared->routeTable(l.route_config_name), config.shared);
    }
  }
  // Listeners retired at an earlier push go once nothing is in flight on them; those retired
  // now wait at least until the next push (deliveries already under way may still reach them).
  std::erase_if(retired_listeners_, [](const auto& l) { return !l->busy(); });
  for (auto* old : {&old_bound, &old_outbound}) {
    for (auto& [port, listener] : *old) {
      retired_listeners_.push_back(std::move(listener));
    }
  }
}

Status Proxy::update(config::ProxyConfig config) {
  MESHSIM_ASSIGN_OR_RETURN(auto snapshot, compile(std::move(config), snapshot_.get()));
  snapshot_ = std::move(snapshot);
  context_.ip = snapshot_->config.ip;
  installListeners();
  clusters_.update(snapshot_->own_clusters, snapshot_->config.shared == nullptr
                                                ? nullptr
                                                : snapshot_->config.shared->clusters());
  return okStatus();
}

void Proxy::setAuthorizer(filters::AuthorizerConstSharedPtr authorizer) {
  context_.authorizer = std::move(authorizer);
}

const config::Cluster* Proxy::clusterConfig(std::string_view name) const {
  if (const auto* own = snapshot_->own_clusters->find(name); own != nullptr) {
    return own->cluster.get();
  }
  const config::ProxyConfig& config = snapshot_->config;
  if (config.shared != nullptr && config.shared->clusters() != nullptr) {
    if (const auto* shared = config.shared->clusters()->find(name); shared != nullptr) {
      return shared->cluster.get();
    }
  }
  return nullptr;
}

bool Proxy::idle() const {
  for (const auto* listeners : {&listeners_, &outbound_listeners_}) {
    for (const auto& [port, l] : *listeners) {
      if (l->busy()) {
        return false;
      }
    }
  }
  return std::none_of(retired_listeners_.begin(), retired_listeners_.end(),
                      [](const auto& l) { return l->busy(); });
}

std::pair<const config::Listener*, const config::RouteConfiguration*> Proxy::listenerConfig(
    uint16_t port, bool bound) const {
  const config::ProxyConfig& config = snapshot_->config;
  for (const auto& l : config.listeners) {
    if (l.port == port && l.bind_to_port == bound) {
      return {&l, &snapshot_->tables.at(l.route_config_name)->config()};
    }
  }
  if (config.shared != nullptr) {
    for (const auto& l : config.shared->listeners()) {
      if (l.port == port && l.bind_to_port == bound) {
        return {&l, &(*config.shared->routeTable(l.route_config_name))->config()};
      }
    }
  }
  return {nullptr, nullptr};
}

RequestHandler* Proxy::listener(uint16_t port) {
  auto it = listeners_.find(port);
  return it == listeners_.end() ? nullptr : it->second.get();
}

RequestHandler* Proxy::outboundListener(uint16_t port) {
  auto it = outbound_listeners_.find(port);
  return it == outbound_listeners_.end() ? nullptr : it->second.get();
}

std::vector<uint16_t> Proxy::listenerPorts() const {
  std::vector<uint16_t> ports;
  for (const auto& [port, l] : listeners_) {
    ports.push_back(port);
  }
  std::sort(ports.begin(), ports.end());
  return ports;
}

}  // namespace meshsim::proxy
