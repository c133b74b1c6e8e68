#pragma once

// File: proxy/upstream/cluster_manager.h
//
// Owns a proxy's clusters: load balancing, circuit breakers and outlier detection, per cluster,
// as one Envoy keeps them (each proxy counts on its own; subsets are separate clusters).

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/core/unique_function.h"
#include "proxy/event/dispatcher.h"
#include "proxy/upstream/hash_lb.h"

namespace meshsim::proxy::upstream {

// A cluster as the data plane uses it: its config plus load-balancer, breaker and outlier state.
class ClusterState {
public:
  ClusterState(config::Cluster config, RandomGenerator& random, TimeSource& time);
  // `created`: when the cluster was configured (its outlier detector's intervals count from it).
  ClusterState(config::Cluster config, RandomGenerator& random, TimeSource& time,
               MonotonicTime created);
  const config::Cluster& config() const { return config_; }

  // Takes a new configuration of the same cluster (an xDS push: CDS and EDS) while requests are
  // in flight. Endpoints are matched by address: one that stays keeps its index, its active
  // requests and its outlier-detection state; one that goes is never picked again but keeps
  // its index, so requests in flight to it still account correctly; a new one is appended.
  void update(config::Cluster config);
  // Endpoints that can be picked (present in the last update), ejected or not.
  size_t liveEndpoints() const { return all_.size(); }

  // Returns the index of the endpoint the cluster's policy picks among the endpoints that are
  // not ejected, or -1 when there is none (503 UH for the caller).
  //  - RoundRobin: in order, starting at the first endpoint.
  //  - Random: uniform.
  //  - LeastRequest: Envoy's power of two choices: two uniform draws (with replacement), the
  //    one with fewer active requests wins, ties go to the first draw.
  // `avoid` lists endpoints a retry should not use (Envoy's previous_hosts predicate): the pick
  // is redrawn up to `max_attempts` times while it lands on one of them.
  //  - RingHash, Maglev: Envoy's tables over the healthy endpoints (keys "ip:port"), looked up
  //    with `hash` (a random one when absent); a retry avoiding earlier hosts looks again with
  //    the attempt number, as Envoy's chooseHost does.
  // When the share of healthy endpoints is below the outlier detection's min_health_percent
  // (Envoy's healthy_panic_threshold; Istio's default 0 disables it), every endpoint is a
  // candidate again (panic mode).
  int pickEndpoint(std::span<const int> avoid = {}, uint32_t max_attempts = 1,
                   std::optional<uint64_t> hash = std::nullopt);
  const config::Endpoint& endpoint(int index) const { return config_.endpoints[index]; }

  // Active-request accounting for LeastRequest; call once each when a request to the endpoint
  // starts and ends.
  void onRequestStart(int index) { ++active_[index]; }
  void onRequestEnd(int index) { --active_[index]; }
  uint32_t activeRequests(int index) const { return active_[index]; }

  // Circuit breakers. admit() reserves a request slot; when a connection is free `start` runs
  // now (inline), else it waits in the pending queue and runs when release() frees one.
  // Returns false on overflow (max_requests or max_pending_requests reached): 503 UO.
  // A `multiplexed` (HTTP/2) request shares one connection with every other stream, as Envoy's
  // HTTP/2 pool does with Istio's unlimited concurrent streams: it never waits for a connection,
  // only max_requests bounds it.
  bool admit(UniqueFunction<void()> start, bool multiplexed = false);
  // Frees the slot (and, for HTTP/1.1, the connection) of a finished request and starts the next
  // pending one. `multiplexed` as given to admit().
  void release(bool multiplexed = false);
  // Retries in flight against max_retries; false when a retry would overflow.
  bool tryStartRetry();
  void endRetry() { --retries_in_flight_; }

  // Outlier detection: the outcome of a request to endpoint `index` (status 0: a local failure
  // such as a connect failure, reset or timeout).
  void recordOutcome(int index, int status);
  bool ejected(int index) const { return hosts_[index].ejected; }
  uint32_t ejectionCount(int index) const { return hosts_[index].ejections; }

private:
  struct HostHealth {
    uint32_t consecutive_5xx = 0;
    uint32_t consecutive_gateway = 0;
    bool ejected = false;
    MonotonicTime ejected_until{};
    uint32_t ejections = 0;  // Envoy's ejection multiplier
    MonotonicTime returned_at{};
    bool removed = false;  // gone from the cluster's endpoints (EDS)
  };

  // Returns hosts whose ejection has ended, at the outlier detector's interval ticks.
  void unejectDue();
  bool healthy(int index) const { return !hosts_[index].ejected && !hosts_[index].removed; }
  int pickAmong(const int* candidates, size_t n);
  int pickHashed(const int* candidates, size_t n, std::span<const int> avoid, uint32_t max_attempts,
                 uint64_t hash);

  config::Cluster config_;
  RandomGenerator& random_;
  TimeSource& time_;
  MonotonicTime created_;
  std::vector<uint32_t> active_;
  std::vector<int> all_;  // the endpoints not removed: the candidates when none is ejected
  std::vector<HostHealth> hosts_;
  size_t ejected_count_ = 0;
  size_t next_ = 0;
  uint32_t requests_ = 0;  // admitted and not released: in flight plus pending
  uint32_t connections_ = 0;
  uint32_t retries_in_flight_ = 0;
  std::deque<UniqueFunction<void()>> pending_;
  // The consistent-hash table and the candidates it was built from (rebuilt when they change).
  std::vector<int> hashed_hosts_;
  std::unique_ptr<RingHashTable> ring_;
  std::unique_ptr<MaglevTable> maglev_;
};

using ClusterStateSharedPtr = std::shared_ptr<ClusterState>;

// An immutable set of cluster configurations by name, as a control plane sends them (CDS and
// EDS). Built once and shared by every proxy that sees the same clusters; a proxy creates its
// own ClusterState for a cluster only when it first uses it.
class ClusterTable {
public:
  // `previous`: the table this one replaces, if any (the same clusters one push earlier). A
  // cluster that was in it keeps the generation it appeared in; a new one gets this table's.
  static std::shared_ptr<const ClusterTable> create(std::vector<config::Cluster> clusters,
                                                    const ClusterTable* previous = nullptr);

  struct Entry {
    std::shared_ptr<const config::Cluster> cluster;
    uint64_t since = 0;  // the generation of the table the cluster first appeared in
  };
  // The cluster called `name`, or nullptr.
  const Entry* find(std::string_view name) const;
  uint64_t generation() const { return generation_; }
  size_t size() const { return clusters_.size(); }
  // Every cluster, in the order given to create().
  const std::vector<std::shared_ptr<const config::Cluster>>& ordered() const { return ordered_; }

private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> clusters_;
  std::vector<std::shared_ptr<const config::Cluster>> ordered_;
  uint64_t generation_ = 1;
};
using ClusterTableConstSharedPtr = std::shared_ptr<const ClusterTable>;

// The clusters of one proxy: its own table (e.g. a sidecar's inbound clusters) and a table it
// shares with other proxies (the outbound clusters of its scope); the own one is looked up
// first. Load-balancer, breaker and outlier state (ClusterState) is per proxy and created on
// first use of a cluster, so a proxy pays only for the clusters it talks to.
class ClusterManager {
public:
  ClusterManager(std::vector<config::Cluster> clusters, RandomGenerator& random, TimeSource& time);
  ClusterManager(ClusterTableConstSharedPtr own, ClusterTableConstSharedPtr shared,
                 RandomGenerator& random, TimeSource& time);
  // Returns the cluster called `name`, or nullptr (503 NC for the caller).
  ClusterState* find(std::string_view name) { return findShared(name).get(); }
  // The same; a request holds the result so that the cluster's state outlives a push that
  // removes the cluster until the request ends.
  const ClusterStateSharedPtr& findShared(std::string_view name);
  // The same with the name's hash (std::hash<std::string_view>) computed beforehand, as a
  // route's clusters carry it (config::WeightedCluster::name_hash).
  const ClusterStateSharedPtr& findShared(std::string_view name, size_t name_hash);
  // Applies a new set of clusters (a CDS/EDS push): clusters that stay are updated in place
  // (ClusterState::update()), new ones are added, and removed ones can no longer be found; the
  // manager lets go of their state, which lives on only while requests in flight hold it.
  void update(std::vector<config::Cluster> clusters);
  void update(ClusterTableConstSharedPtr own, ClusterTableConstSharedPtr shared);
  // Clusters whose state exists (used at least once since they appeared).
  size_t statesForTest() const { return states_.size(); }

private:
  // A name with its hash: looked up without hashing it again.
  struct HashedName {
    std::string_view name;
    size_t hash;
    friend bool operator==(const HashedName& a, const std::string& b) { return a.name == b; }
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    size_t operator()(const HashedName& h) const { return h.hash; }
  };
  struct State {
    ClusterStateSharedPtr state;
    std::shared_ptr<const config::Cluster> source;  // the configuration it was last given
  };
  const ClusterTable::Entry* lookUp(std::string_view name) const;
  // When the detector of a cluster that first appeared in table generation `since` started.
  MonotonicTime createdAt(const ClusterTable::Entry& entry, bool own) const;

  ClusterTableConstSharedPtr own_;
  ClusterTableConstSharedPtr shared_;
  std::unordered_map<std::string, State, StringHash, std::equal_to<>> states_;
  RandomGenerator& random_;
  TimeSource& time_;
  // When the manager was created and got its current tables, and their generations then, so a
  // cluster created on first use counts outlier-detection intervals from when it was configured.
  MonotonicTime started_{};
  MonotonicTime updated_{};
  uint64_t own_started_generation_ = 0;
  uint64_t shared_started_generation_ = 0;
};

}  // namespace meshsim::proxy::upstream
