#include "proxy/upstream/cluster_manager.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "proxy/event/virtual_dispatcher.h"

namespace meshsim::proxy::upstream {
namespace {

config::Cluster cluster(config::LbPolicy policy, int endpoints) {
  config::Cluster c;
  c.name = "outbound|80||hello.default.svc.cluster.local";
  c.lb_policy = policy;
  for (int i = 0; i < endpoints; ++i) {
    c.endpoints.push_back({{config::ipv4(10, 1, 0, static_cast<uint8_t>(10 + i)), 8080}, nullptr});
  }
  return c;
}

TEST(ClusterManagerTest, FindsClustersByName) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  ClusterManager cm({cluster(config::LbPolicy::RoundRobin, 1)}, random, loop);
  EXPECT_NE(cm.find("outbound|80||hello.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(cm.find("outbound|80|v2|hello.default.svc.cluster.local"), nullptr);
}

// A route's cluster carries its name's hash (RouteTable::create sets it); the lookup with it
// finds the same state as the one by name alone, created on first use either way.
TEST(ClusterManagerTest, FindsClustersByNameWithItsHash) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  ClusterManager cm({cluster(config::LbPolicy::RoundRobin, 1)}, random, loop);
  const std::string_view name = "outbound|80||hello.default.svc.cluster.local";
  const size_t hash = std::hash<std::string_view>{}(name);
  const ClusterStateSharedPtr& first = cm.findShared(name, hash);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first, cm.findShared(name));
  EXPECT_EQ(cm.statesForTest(), 1u);
  const std::string_view other = "outbound|80|v2|hello.default.svc.cluster.local";
  EXPECT_EQ(cm.findShared(other, std::hash<std::string_view>{}(other)), nullptr);
}

TEST(ClusterManagerTest, NoEndpointsPicksNothing) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  ClusterState c(cluster(config::LbPolicy::LeastRequest, 0), random, loop);
  EXPECT_EQ(c.pickEndpoint(), -1);
}

TEST(ClusterManagerTest, RoundRobinCyclesInOrder) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  ClusterState c(cluster(config::LbPolicy::RoundRobin, 3), random, loop);
  std::vector<int> picks;
  for (int i = 0; i < 6; ++i) {
    picks.push_back(c.pickEndpoint());
  }
  EXPECT_EQ(picks, (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

TEST(ClusterManagerTest, LeastRequestAvoidsBusyEndpoints) {
  SeededRandom random(3);
  VirtualDispatcher loop;
  ClusterState c(cluster(config::LbPolicy::LeastRequest, 2), random, loop);
  c.onRequestStart(0);
  c.onRequestStart(0);
  // With two endpoints, a pick lands on the busy one only when both draws chose it (1 in 4).
  int busy = 0;
  for (int i = 0; i < 4000; ++i) {
    busy += c.pickEndpoint() == 0 ? 1 : 0;
  }
  EXPECT_NEAR(busy / 4000.0, 0.25, 0.03);
}

TEST(ClusterManagerTest, LeastRequestIsEvenWhenIdle) {
  SeededRandom random(5);
  VirtualDispatcher loop;
  ClusterState c(cluster(config::LbPolicy::LeastRequest, 4), random, loop);
  std::map<int, int> counts;
  for (int i = 0; i < 40000; ++i) {
    ++counts[c.pickEndpoint()];
  }
  for (const auto& [index, n] : counts) {
    EXPECT_NEAR(n / 40000.0, 0.25, 0.02) << "endpoint " << index;
  }
}

TEST(CircuitBreakerTest, PendingQueueThenOverflow) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RoundRobin, 1);
  cfg.circuit_breakers.max_connections = 1;
  cfg.circuit_breakers.max_pending_requests = 1;
  ClusterState c(cfg, random, loop);
  std::vector<int> started;
  EXPECT_TRUE(c.admit([&] { started.push_back(1); }));   // takes the connection
  EXPECT_TRUE(c.admit([&] { started.push_back(2); }));   // waits
  EXPECT_FALSE(c.admit([&] { started.push_back(3); }));  // pending queue full: 503 UO
  EXPECT_EQ(started, (std::vector<int>{1}));
  c.release();  // request 1 done: request 2 gets the connection
  EXPECT_EQ(started, (std::vector<int>{1, 2}));
  c.release();
  EXPECT_TRUE(c.admit([&] { started.push_back(4); }));
  EXPECT_EQ(started.back(), 4);
}

TEST(CircuitBreakerTest, MultiplexedRequestsShareAConnectionAndOnlyMaxRequestsBoundsThem) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RoundRobin, 1);
  cfg.circuit_breakers.max_connections = 1;
  cfg.circuit_breakers.max_pending_requests = 1;
  cfg.circuit_breakers.max_requests = 3;
  ClusterState c(cfg, random, loop);
  int started = 0;
  EXPECT_TRUE(c.admit([&] { ++started; }, true));
  EXPECT_TRUE(c.admit([&] { ++started; }, true));
  EXPECT_TRUE(c.admit([&] { ++started; }, true));   // no connection wait: all three start
  EXPECT_FALSE(c.admit([&] { ++started; }, true));  // max_requests: 503 UO
  EXPECT_EQ(started, 3);
  c.release(true);
  // An HTTP/1.1 request still finds the one connection free: streams never held it.
  EXPECT_TRUE(c.admit([&] { ++started; }));
  EXPECT_EQ(started, 4);
}

TEST(CircuitBreakerTest, MaxRequestsAndMaxRetries) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RoundRobin, 1);
  cfg.circuit_breakers.max_requests = 2;
  cfg.circuit_breakers.max_retries = 1;
  ClusterState c(cfg, random, loop);
  EXPECT_TRUE(c.admit([] {}));
  EXPECT_TRUE(c.admit([] {}));
  EXPECT_FALSE(c.admit([] {}));
  EXPECT_TRUE(c.tryStartRetry());
  EXPECT_FALSE(c.tryStartRetry());
  c.endRetry();
  EXPECT_TRUE(c.tryStartRetry());
}

TEST(OutlierDetectionTest, EjectsAfterConsecutive5xxAndReturnsAtTheNextIntervalTick) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RoundRobin, 2);
  config::OutlierDetection od;
  od.consecutive_5xx = 3;
  od.interval = std::chrono::seconds(10);
  od.base_ejection_time = std::chrono::seconds(30);
  od.max_ejection_percent = 100;
  cfg.outlier_detection = od;
  ClusterState c(cfg, random, loop);
  c.recordOutcome(0, 503);
  c.recordOutcome(0, 200);  // a success resets the count
  c.recordOutcome(0, 500);
  c.recordOutcome(0, 502);
  EXPECT_FALSE(c.ejected(0));
  c.recordOutcome(0, 0);  // a local failure counts too
  EXPECT_TRUE(c.ejected(0));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(c.pickEndpoint(), 1);
  }
  loop.runFor(std::chrono::seconds(29));
  EXPECT_EQ(c.pickEndpoint(), 1);
  loop.runFor(std::chrono::seconds(1));  // 30 s: the tick at 30 s returns it
  c.pickEndpoint();
  EXPECT_FALSE(c.ejected(0));
  // A second ejection soon after lasts twice as long (the multiplier).
  for (int i = 0; i < 3; ++i) {
    c.recordOutcome(0, 503);
  }
  EXPECT_TRUE(c.ejected(0));
  EXPECT_EQ(c.ejectionCount(0), 2u);
  loop.runFor(std::chrono::seconds(59));
  c.pickEndpoint();
  EXPECT_TRUE(c.ejected(0));
  loop.runFor(std::chrono::seconds(1));
  c.pickEndpoint();
  EXPECT_FALSE(c.ejected(0));
}

TEST(OutlierDetectionTest, MaxEjectionPercentAndAllEjectedIsNoHealthyUpstream) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RoundRobin, 2);
  config::OutlierDetection od;
  od.consecutive_5xx = 1;
  od.max_ejection_percent = 10;  // of 2 hosts: still at least one may go
  cfg.outlier_detection = od;
  ClusterState c(cfg, random, loop);
  c.recordOutcome(0, 503);
  c.recordOutcome(1, 503);
  EXPECT_TRUE(c.ejected(0));
  EXPECT_FALSE(c.ejected(1));
  cfg.outlier_detection->max_ejection_percent = 100;
  ClusterState all(cfg, random, loop);
  all.recordOutcome(0, 503);
  all.recordOutcome(1, 503);
  EXPECT_EQ(all.pickEndpoint(), -1);
}

TEST(ClusterManagerTest, RetriesAvoidPreviousHosts) {
  SeededRandom random(11);
  VirtualDispatcher loop;
  ClusterState c(cluster(config::LbPolicy::Random, 3), random, loop);
  // Five draws land on the one allowed host unless all five hit an excluded one: (2/3)^5.
  const int previous[] = {0, 1};
  int avoided = 0;
  for (int i = 0; i < 3000; ++i) {
    avoided += c.pickEndpoint(previous, 5) == 2 ? 1 : 0;
  }
  EXPECT_NEAR(avoided / 3000.0, 1.0 - std::pow(2.0 / 3.0, 5), 0.03);
}

}  // namespace
}  // namespace meshsim::proxy::upstream

namespace meshsim::proxy::upstream {
namespace {

TEST(ClusterUpdateTest, EndpointsKeepTheirIndexAndStateAcrossAnUpdate) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RoundRobin, 3);  // .10 .11 .12
  config::OutlierDetection od;
  od.consecutive_5xx = 1;
  od.interval = std::chrono::seconds(10);
  od.base_ejection_time = std::chrono::seconds(30);
  od.max_ejection_percent = 100;
  cfg.outlier_detection = od;
  ClusterState c(cfg, random, loop);
  c.onRequestStart(1);  // a request in flight to .11
  c.recordOutcome(2, 503);
  ASSERT_TRUE(c.ejected(2));

  // EDS: .10 goes, .11 and .12 stay, .13 arrives.
  config::Cluster next = cfg;
  next.endpoints.erase(next.endpoints.begin());
  next.endpoints.push_back({{config::ipv4(10, 1, 0, 13), 8080}, nullptr});
  c.update(next);
  EXPECT_EQ(c.liveEndpoints(), 3u);
  EXPECT_EQ(c.endpoint(1).address.ip, config::ipv4(10, 1, 0, 11));
  EXPECT_EQ(c.endpoint(3).address.ip, config::ipv4(10, 1, 0, 13));
  EXPECT_EQ(c.activeRequests(1), 1u);  // the in-flight request still counts where it went
  EXPECT_TRUE(c.ejected(2));           // outlier state survives the push
  std::set<int> picked;
  for (int i = 0; i < 20; ++i) {
    picked.insert(c.pickEndpoint());
  }
  EXPECT_EQ(picked, (std::set<int>{1, 3}));  // never the removed .10, nor the ejected .12
  c.onRequestEnd(1);
  EXPECT_EQ(c.activeRequests(1), 0u);

  // The removed endpoint comes back (same address): same index, healthy.
  c.update(cfg);
  picked.clear();
  for (int i = 0; i < 20; ++i) {
    picked.insert(c.pickEndpoint());
  }
  // .10 .11 .12 are live again, .13 is gone, and .12 is still ejected.
  EXPECT_EQ(c.liveEndpoints(), 3u);
  EXPECT_EQ(picked, (std::set<int>{0, 1}));
}

TEST(ClusterUpdateTest, AllEndpointsRemovedIsNoHealthyUpstream) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  ClusterState c(cluster(config::LbPolicy::LeastRequest, 2), random, loop);
  c.update(cluster(config::LbPolicy::LeastRequest, 0));
  EXPECT_EQ(c.liveEndpoints(), 0u);
  EXPECT_EQ(c.pickEndpoint(), -1);
}

TEST(ClusterUpdateTest, ManagerAddsUpdatesAndRetiresClusters) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  ClusterManager cm({cluster(config::LbPolicy::RoundRobin, 1)}, random, loop);
  // Held as a request upstream holds it.
  ClusterStateSharedPtr before = cm.findShared("outbound|80||hello.default.svc.cluster.local");
  ASSERT_NE(before, nullptr);
  config::Cluster other = cluster(config::LbPolicy::Random, 2);
  other.name = "outbound|80|v2|hello.default.svc.cluster.local";
  cm.update({cluster(config::LbPolicy::RoundRobin, 2), other});
  // Updated in place: the same object, with the new endpoint.
  EXPECT_EQ(cm.find("outbound|80||hello.default.svc.cluster.local"), before.get());
  EXPECT_EQ(before->liveEndpoints(), 2u);
  ASSERT_NE(cm.find(other.name), nullptr);
  cm.update({other});
  EXPECT_EQ(cm.find("outbound|80||hello.default.svc.cluster.local"), nullptr);
  // Retired, not destroyed while a request in flight holds it; freed when the last one lets go.
  EXPECT_EQ(before->liveEndpoints(), 2u);
  std::weak_ptr<ClusterState> watch = before;
  before.reset();
  EXPECT_TRUE(watch.expired());
}

TEST(ClusterManagerTest, RingHashSendsAKeyToOneEndpointAndPanicModeUsesAll) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RingHash, 3);
  ClusterState c(cfg, random, loop);
  const uint64_t alice = xxHash64("alice");
  const int first = c.pickEndpoint({}, 1, alice);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(c.pickEndpoint({}, 1, alice), first);
  }
  // The same table as Envoy's ring over the same "ip:port" keys.
  std::vector<std::string> keys;
  for (const auto& e : cfg.endpoints) {
    keys.push_back(config::toString(e.address));
  }
  EXPECT_EQ(first, RingHashTable(keys, 1024, 8388608).pick(alice));
  // Without a hash, picks spread over every endpoint.
  std::set<int> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(c.pickEndpoint());
  }
  EXPECT_EQ(seen.size(), 3u);
  // A retry that must avoid the first pick walks the ring to another endpoint.
  const std::vector<int> avoid = {first};
  EXPECT_NE(c.pickEndpoint(avoid, 5, alice), first);
}

TEST(ClusterManagerTest, MaglevUsesItsTable) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::Maglev, 2);
  cfg.maglev_table_size = 251;
  ClusterState c(cfg, random, loop);
  std::vector<std::string> keys;
  for (const auto& e : cfg.endpoints) {
    keys.push_back(config::toString(e.address));
  }
  const MaglevTable table(keys, 251);
  for (uint64_t h : {uint64_t{1}, uint64_t{77}, xxHash64("bob")}) {
    EXPECT_EQ(c.pickEndpoint({}, 1, h), table.pick(h));
  }
}

TEST(ClusterManagerTest, PanicModeBalancesOverEveryEndpointBelowMinHealthPercent) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  config::Cluster cfg = cluster(config::LbPolicy::RoundRobin, 3);
  config::OutlierDetection od;
  od.consecutive_5xx = 1;
  od.max_ejection_percent = 100;
  od.min_health_percent = 50;
  cfg.outlier_detection = od;
  ClusterState c(cfg, random, loop);
  c.recordOutcome(0, 500);
  // One of three ejected: 67% healthy, no panic, endpoint 0 is never picked.
  for (int i = 0; i < 6; ++i) {
    EXPECT_NE(c.pickEndpoint(), 0);
  }
  c.recordOutcome(1, 500);
  ASSERT_TRUE(c.ejected(0) && c.ejected(1));
  // 33% healthy < 50%: Envoy's panic mode picks among all three again.
  std::set<int> seen;
  for (int i = 0; i < 6; ++i) {
    seen.insert(c.pickEndpoint());
  }
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2}));
}

}  // namespace
}  // namespace meshsim::proxy::upstream
