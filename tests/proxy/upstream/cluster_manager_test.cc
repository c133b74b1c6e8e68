#include "proxy/upstream/cluster_manager.h"

#include <map>

#include <gtest/gtest.h>

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
  ClusterManager cm({cluster(config::LbPolicy::RoundRobin, 1)}, random);
  EXPECT_NE(cm.find("outbound|80||hello.default.svc.cluster.local"), nullptr);
  EXPECT_EQ(cm.find("outbound|80|v2|hello.default.svc.cluster.local"), nullptr);
}

TEST(ClusterManagerTest, NoEndpointsPicksNothing) {
  SeededRandom random(1);
  ClusterState c(cluster(config::LbPolicy::LeastRequest, 0), random);
  EXPECT_EQ(c.pickEndpoint(), -1);
}

TEST(ClusterManagerTest, RoundRobinCyclesInOrder) {
  SeededRandom random(1);
  ClusterState c(cluster(config::LbPolicy::RoundRobin, 3), random);
  std::vector<int> picks;
  for (int i = 0; i < 6; ++i) {
    picks.push_back(c.pickEndpoint());
  }
  EXPECT_EQ(picks, (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

TEST(ClusterManagerTest, LeastRequestAvoidsBusyEndpoints) {
  SeededRandom random(3);
  ClusterState c(cluster(config::LbPolicy::LeastRequest, 2), random);
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
  ClusterState c(cluster(config::LbPolicy::LeastRequest, 4), random);
  std::map<int, int> counts;
  for (int i = 0; i < 40000; ++i) {
    ++counts[c.pickEndpoint()];
  }
  for (const auto& [index, n] : counts) {
    EXPECT_NEAR(n / 40000.0, 0.25, 0.02) << "endpoint " << index;
  }
}

}  // namespace
}  // namespace meshsim::proxy::upstream
