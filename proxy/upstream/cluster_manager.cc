#include "proxy/upstream/cluster_manager.h"

#include <algorithm>

namespace meshsim::proxy::upstream {

ClusterState::ClusterState(config::Cluster config, RandomGenerator& random, TimeSource& time)
    : ClusterState(std::move(config), random, time, time.monotonicTime()) {}

ClusterState::ClusterState(config::Cluster config, RandomGenerator& random, TimeSource& time,
                           MonotonicTime created)
    : config_(std::move(config)),
      random_(random),
      time_(time),
      created_(created),
      active_(config_.endpoints.size(), 0),
      all_(config_.endpoints.size()),
      hosts_(config_.endpoints.size()) {
  for (size_t i = 0; i < all_.size(); ++i) {
    all_[i] = static_cast<int>(i);
  }
}

int ClusterState::pickAmong(const int* candidates, size_t n) {
  switch (config_.lb_policy) {
    case config::LbPolicy::RoundRobin:
      // Envoy starts each rotation at a random index; starting at zero keeps small runs
      // readable and is equally fair over a whole rotation.
      return candidates[next_++ % n];
    case config::LbPolicy::Random:
      return candidates[random_.uniform(n)];
    case config::LbPolicy::RingHash:
    case config::LbPolicy::Maglev:
      break;  // pickHashed
    case config::LbPolicy::LeastRequest: {
      if (n == 1) {
        return candidates[0];
      }
      const int first = candidates[random_.uniform(n)];
      const int second = candidates[random_.uniform(n)];
      return active_[second] < active_[first] ? second : first;
    }
  }
  return candidates[0];
}

void ClusterState::update(config::Cluster config) {
  std::vector<config::Endpoint> merged = std::move(config_.endpoints);
  for (auto& h : hosts_) {
    h.removed = true;
  }
  for (auto& e : config.endpoints) {
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const config::Endpoint& old) { return old.address == e.address; });
    if (same == merged.end()) {
      merged.push_back(std::move(e));
      hosts_.emplace_back();
      active_.push_back(0);
      continue;
    }
    const size_t i = static_cast<size_t>(same - merged.begin());
    *same = std::move(e);
    hosts_[i].removed = false;
  }
  config.endpoints = std::move(merged);
  config_ = std::move(config);
  all_.clear();
  ejected_count_ = 0;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (hosts_[i].removed) {
      hosts_[i].ejected = false;  // a host that comes back starts healthy, as a new Envoy host
      continue;
    }
    all_.push_back(static_cast<int>(i));
    ejected_count_ += hosts_[i].ejected ? 1 : 0;
  }
  if (!config_.outlier_detection) {
    for (int i : all_) {
      hosts_[i].ejected = false;
    }
    ejected_count_ = 0;
  }
}

int ClusterState::pickHashed(const int* candidates, size_t n, std::span<const int> avoid,
                             uint32_t max_attempts, uint64_t hash) {
  if (!std::equal(candidates, candidates + n, hashed_hosts_.begin(), hashed_hosts_.end())) {
    hashed_hosts_.assign(candidates, candidates + n);
    std::vector<std::string> keys;
    keys.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      keys.push_back(config::toString(config_.endpoints[candidates[i]].address));
    }
    ring_.reset();
    maglev_.reset();
    if (config_.lb_policy == config::LbPolicy::Maglev) {
      maglev_ = std::make_unique<MaglevTable>(keys, config_.maglev_table_size);
    } else {
      ring_ = std::make_unique<RingHashTable>(keys, config_.minimum_ring_size,
                                              config_.maximum_ring_size);
    }
  }
  int pick = -1;
  for (uint32_t attempt = 0; attempt < std::max<uint32_t>(max_attempts, 1); ++attempt) {
    const int slot = ring_ != nullptr ? ring_->pick(hash, attempt) : maglev_->pick(hash, attempt);
    pick = hashed_hosts_[slot];
    if (std::find(avoid.begin(), avoid.end(), pick) == avoid.end()) {
      break;
    }
  }
  return pick;
}

int ClusterState::pickEndpoint(std::span<const int> avoid, uint32_t max_attempts,
                               std::optional<uint64_t> hash) {
  const size_t n = all_.size();
  if (n == 0) {
    return -1;
  }
  if (ejected_count_ > 0) {
    unejectDue();
  }
  std::vector<int> healthy_hosts;
  const int* candidates = all_.data();
  size_t count = n;
  if (ejected_count_ > 0) {
    healthy_hosts.reserve(n);
    for (int i : all_) {
      if (healthy(i)) {
        healthy_hosts.push_back(i);
      }
    }
    const uint32_t min_health =
        config_.outlier_detection ? config_.outlier_detection->min_health_percent : 0;
    if (healthy_hosts.size() * 100 < static_cast<size_t>(min_health) * n) {
      healthy_hosts.assign(all_.begin(), all_.end());  // panic: every endpoint again
    } else if (healthy_hosts.empty()) {
      return -1;  // all ejected, panic mode disabled (Istio's default): no healthy upstream
    }
    candidates = healthy_hosts.data();
    count = healthy_hosts.size();
  }
  if (config_.lb_policy == config::LbPolicy::RingHash ||
      config_.lb_policy == config::LbPolicy::Maglev) {
    return pickHashed(candidates, count, avoid, max_attempts, hash ? *hash : random_.random());
  }
  int pick = pickAmong(candidates, count);
  for (uint32_t attempt = 1;
       attempt < max_attempts && std::find(avoid.begin(), avoid.end(), pick) != avoid.end();
       ++attempt) {
    pick = pickAmong(candidates, count);
  }
  return pick;
}

bool ClusterState::admit(UniqueFunction<void()> start, bool multiplexed) {
  const auto& cb = config_.circuit_breakers;
  if (requests_ >= cb.max_requests) {
    return false;
  }
  if (multiplexed) {
    ++requests_;
    start();
    return true;
  }
  if (connections_ < cb.max_connections) {
    ++requests_;
    ++connections_;  // HTTP/1.1: one request per connection at a time
    start();
    return true;
  }
  if (pending_.size() >= cb.max_pending_requests) {
    return false;
  }
  ++requests_;
  pending_.push_back(std::move(start));
  return true;
}

void ClusterState::release(bool multiplexed) {
  --requests_;
  if (multiplexed) {
    return;
  }
  if (!pending_.empty()) {
    // The freed connection goes to the oldest waiting request.
    UniqueFunction<void()> next = std::move(pending_.front());
    pending_.pop_front();
    next();
    return;
  }
  --connections_;
}

bool ClusterState::tryStartRetry() {
  if (retries_in_flight_ >= config_.circuit_breakers.max_retries) {
    return false;
  }
  ++retries_in_flight_;
  return true;
}

void ClusterState::recordOutcome(int index, int status) {
  if (!config_.outlier_detection || index < 0) {
    return;
  }
  const config::OutlierDetection& od = *config_.outlier_detection;
  HostHealth& h = hosts_[index];
  const bool error = status == 0 || status >= 500;
  const bool gateway = status == 0 || status == 502 || status == 503 || status == 504;
  h.consecutive_5xx = error ? h.consecutive_5xx + 1 : 0;
  h.consecutive_gateway = gateway ? h.consecutive_gateway + 1 : 0;
  if (h.ejected || h.removed) {
    return;
  }
  const bool trip = (od.consecutive_5xx > 0 && h.consecutive_5xx >= od.consecutive_5xx) ||
                    (od.consecutive_gateway_failure > 0 &&
                     h.consecutive_gateway >= od.consecutive_gateway_failure);
  if (!trip) {
    return;
  }
  // maxEjectionPercent bounds how many hosts may be out at once; one may always be ejected.
  const size_t n = all_.size();
  const size_t allowed = std::max<size_t>(1, n * od.max_ejection_percent / 100);
  if (ejected_count_ >= allowed) {
    return;
  }
  const MonotonicTime now = time_.monotonicTime();
  // The multiplier drops by one for every interval the host spent healthy since it returned.
  if (h.ejections > 0 && od.interval.count() > 0) {
    const auto healthy_ticks = static_cast<uint32_t>((now - h.returned_at) / od.interval);
    h.ejections = healthy_ticks >= h.ejections ? 0 : h.ejections - healthy_ticks;
  }
  ++h.ejections;
  h.ejected = true;
  h.ejected_until = now + std::min(od.base_ejection_time * h.ejections,
                                   std::max(od.max_ejection_time, od.base_ejection_time));
  h.consecutive_5xx = 0;
  h.consecutive_gateway = 0;
  ++ejected_count_;
}

void ClusterState::unejectDue() {
  const config::OutlierDetection& od = *config_.outlier_detection;
  const MonotonicTime now = time_.monotonicTime();
  for (auto& h : hosts_) {
    if (!h.ejected || h.removed) {
      continue;
    }
    // Ejected hosts come back at the detector's next interval tick after their time is up.
    MonotonicTime back = h.ejected_until;
    if (od.interval.count() > 0) {
      const auto since = h.ejected_until - created_;
      const auto ticks = (since + od.interval - std::chrono::nanoseconds(1)) / od.interval;
      back = created_ + od.interval * ticks;
    }
    if (now >= back) {
      h.ejected = false;
      h.returned_at = back;
      --ejected_count_;
    }
  }
}

std::shared_ptr<const ClusterTable> ClusterTable::create(std::vector<config::Cluster> clusters,
                                                         const ClusterTable* previous) {
  auto table = std::make_shared<ClusterTable>();
  table->generation_ = previous == nullptr ? 1 : previous->generation_ + 1;
  table->clusters_.reserve(clusters.size());
  table->ordered_.reserve(clusters.size());
  for (auto& c : clusters) {
    uint64_t since = table->generation_;
    if (previous != nullptr) {
      if (const Entry* before = previous->find(c.name); before != nullptr) {
        since = before->since;
      }
    }
    auto shared = std::make_shared<const config::Cluster>(std::move(c));
    table->ordered_.push_back(shared);
    const std::string& name = shared->name;
    table->clusters_.insert_or_assign(name, Entry{shared, since});
  }
  return table;
}

const ClusterTable::Entry* ClusterTable::find(std::string_view name) const {
  auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : &it->second;
}

ClusterManager::ClusterManager(std::vector<config::Cluster> clusters, RandomGenerator& random,
                               TimeSource& time)
    : ClusterManager(ClusterTable::create(std::move(clusters)), nullptr, random, time) {}

ClusterManager::ClusterManager(ClusterTableConstSharedPtr own, ClusterTableConstSharedPtr shared,
                               RandomGenerator& random, TimeSource& time)
    : own_(std::move(own)),
      shared_(std::move(shared)),
      random_(random),
      time_(time),
      started_(time.monotonicTime()),
      updated_(started_),
      own_started_generation_(own_ == nullptr ? 0 : own_->generation()),
      shared_started_generation_(shared_ == nullptr ? 0 : shared_->generation()) {}

const ClusterTable::Entry* ClusterManager::lookUp(std::string_view name) const {
  if (own_ != nullptr) {
    if (const ClusterTable::Entry* e = own_->find(name); e != nullptr) {
      return e;
    }
  }
  return shared_ == nullptr ? nullptr : shared_->find(name);
}

MonotonicTime ClusterManager::createdAt(const ClusterTable::Entry& entry, bool own) const {
  const uint64_t started = own ? own_started_generation_ : shared_started_generation_;
  // Configured when the manager started, or by a later push (the last one: a cluster that came
  // and went unused in between is rare enough to count from the push that has it now).
  return entry.since <= started ? started_ : updated_;
}

const ClusterStateSharedPtr& ClusterManager::findShared(std::string_view name) {
  return findShared(name, std::hash<std::string_view>{}(name));
}

const ClusterStateSharedPtr& ClusterManager::findShared(std::string_view name, size_t name_hash) {
  static const ClusterStateSharedPtr kNone;
  auto it = states_.find(HashedName{name, name_hash});
  if (it != states_.end()) {
    return it->second.state;
  }
  const ClusterTable::Entry* own = own_ == nullptr ? nullptr : own_->find(name);
  const ClusterTable::Entry* entry = own != nullptr ? own : lookUp(name);
  if (entry == nullptr) {
    return kNone;
  }
  State st;
  st.state = std::make_shared<ClusterState>(*entry->cluster, random_, time_,
                                            createdAt(*entry, own != nullptr));
  st.source = entry->cluster;
  return states_.emplace(std::string(name), std::move(st)).first->second.state;
}

void ClusterManager::update(std::vector<config::Cluster> clusters) {
  update(ClusterTable::create(std::move(clusters), own_.get()), nullptr);
}

void ClusterManager::update(ClusterTableConstSharedPtr own, ClusterTableConstSharedPtr shared) {
  own_ = std::move(own);
  shared_ = std::move(shared);
  updated_ = time_.monotonicTime();
  for (auto it = states_.begin(); it != states_.end();) {
    const ClusterTable::Entry* entry = lookUp(it->first);
    if (entry == nullptr) {
      it = states_.erase(it);  // requests in flight keep the state until they end
      continue;
    }
    if (entry->cluster != it->second.source) {
      it->second.state->update(*entry->cluster);
      it->second.source = entry->cluster;
    }
    ++it;
  }
}

}  // namespace meshsim::proxy::upstream
