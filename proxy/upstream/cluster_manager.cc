#include "proxy/upstream/cluster_manager.h"

namespace meshsim::proxy::upstream {

ClusterState::ClusterState(config::Cluster config, RandomGenerator& random)
    : config_(std::move(config)), random_(random), active_(config_.endpoints.size(), 0) {}

int ClusterState::pickEndpoint() {
  const size_t n = config_.endpoints.size();
  if (n == 0) {
    return -1;
  }
  switch (config_.lb_policy) {
    case config::LbPolicy::RoundRobin:
      // Envoy starts each rotation at a random index; starting at zero keeps small runs
      // readable and is equally fair over a whole rotation.
      return static_cast<int>(next_++ % n);
    case config::LbPolicy::Random:
      return static_cast<int>(random_.uniform(n));
    case config::LbPolicy::LeastRequest: {
      if (n == 1) {
        return 0;
      }
      const auto first = static_cast<int>(random_.uniform(n));
      const auto second = static_cast<int>(random_.uniform(n));
      return active_[second] < active_[first] ? second : first;
    }
  }
  return 0;
}

ClusterManager::ClusterManager(std::vector<config::Cluster> clusters, RandomGenerator& random) {
  for (auto& c : clusters) {
    std::string name = c.name;
    clusters_.emplace(std::move(name), std::make_unique<ClusterState>(std::move(c), random));
  }
}

ClusterState* ClusterManager::find(std::string_view name) {
  auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : it->second.get();
}

}  // namespace meshsim::proxy::upstream
