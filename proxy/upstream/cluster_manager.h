#pragma once

// File: proxy/upstream/cluster_manager.h
//
// Owns a proxy's clusters and picks endpoints for requests (load balancing).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"

namespace meshsim::proxy::upstream {

// A cluster as the data plane uses it: its config plus load-balancer state.
class ClusterState {
public:
  ClusterState(config::Cluster config, RandomGenerator& random);
  const config::Cluster& config() const { return config_; }

  // Returns the index of the endpoint the cluster's policy picks, or -1 when the cluster has
  // none (503 UH for the caller).
  //  - RoundRobin: in order, starting at the first endpoint.
  //  - Random: uniform.
  //  - LeastRequest: Envoy's power of two choices: two uniform draws (with replacement), the
  //    one with fewer active requests wins, ties go to the first draw.
  int pickEndpoint();
  const config::Endpoint& endpoint(int index) const { return config_.endpoints[index]; }

  // Active-request accounting for LeastRequest; call once each when a request to the endpoint
  // starts and ends.
  void onRequestStart(int index) { ++active_[index]; }
  void onRequestEnd(int index) { --active_[index]; }
  uint32_t activeRequests(int index) const { return active_[index]; }

private:
  config::Cluster config_;
  RandomGenerator& random_;
  std::vector<uint32_t> active_;
  size_t next_ = 0;
};

class ClusterManager {
public:
  ClusterManager(std::vector<config::Cluster> clusters, RandomGenerator& random);
  // Returns the cluster called `name`, or nullptr (503 NC for the caller).
  ClusterState* find(std::string_view name);

private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<ClusterState>, StringHash, std::equal_to<>>
      clusters_;
};

}  // namespace meshsim::proxy::upstream
