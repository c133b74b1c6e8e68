// Proxies holding one SharedConfig: the same compiled objects, per-proxy state created on first
// use, and the lifetime of a configuration a push retires.

#include "proxy/shared_config.h"

#include <gtest/gtest.h>

#include "proxy/event/virtual_dispatcher.h"
#include "proxy/proxy.h"

namespace meshsim::proxy {
namespace {

// Answers only when the test says so.
class HoldingTransport : public UpstreamTransport {
public:
  // proxy::UpstreamTransport
  void send(const ConnectionInfo&, config::Address to, http::RequestPtr,
            ResponseCallback done) override {
    sent.push_back(to);
    held.push_back(std::move(done));
  }
  void answerAll() {
    for (auto& done : held) {
      auto r = std::make_unique<http::Response>();
      r->status = 200;
      done(std::move(r), ResetReason::None);
    }
    held.clear();
  }
  std::vector<config::Address> sent;
  std::vector<ResponseCallback> held;
};

config::Cluster cluster(const std::string& name, uint8_t last) {
  config::Cluster c;
  c.name = name;
  c.endpoints.push_back({{config::ipv4(10, 1, 0, last), 8080}, nullptr, false});
  return c;
}

// The outbound side of a scope: port 80, host `host` -> cluster `target`.
SharedConfigConstSharedPtr outbound(const std::string& host, const std::string& target,
                                    std::vector<config::Cluster> clusters,
                                    const upstream::ClusterTable* previous = nullptr) {
  config::Listener l;
  l.name = "0.0.0.0_80";
  l.port = 80;
  l.route_config_name = "80";
  l.bind_to_port = false;
  config::RouteConfiguration rc;
  rc.name = "80";
  config::VirtualHost vh;
  vh.name = host + ":80";
  vh.domains = {host};
  config::Route r;
  r.action.clusters.push_back({target, 100, {}, {}});
  vh.routes.push_back(r);
  rc.virtual_hosts.push_back(vh);
  auto shared = SharedConfig::create({l}, {rc},
                                     upstream::ClusterTable::create(std::move(clusters), previous));
  EXPECT_TRUE(shared.ok()) << shared.status().toString();
  return shared.ok() ? *shared : nullptr;
}

config::ProxyConfig own(uint8_t last, SharedConfigConstSharedPtr shared) {
  config::ProxyConfig c;
  c.node_id = "sidecar-" + std::to_string(last);
  c.ip = config::ipv4(10, 1, 0, last);
  c.workload = std::make_shared<config::WorkloadInfo>();
  c.shared = std::move(shared);
  return c;
}

class SharedConfigTest : public ::testing::Test {
protected:
  SharedConfigTest() : random_(1) {}

  void send(Proxy& proxy, const std::string& host, http::ResponsePtr* out) {
    auto req = std::make_unique<http::Request>();
    req->authority = host;
    req->path = "/";
    ConnectionInfo from{{proxy.config().ip, 0}, {}, nullptr, false, nullptr, {}};
    proxy.outboundListener(80)->onRequest(
        from, std::move(req), [out](http::ResponsePtr r, ResetReason) { *out = std::move(r); });
  }

  VirtualDispatcher loop_;
  HoldingTransport transport_;
  SeededRandom random_;
};

TEST_F(SharedConfigTest, TwoProxiesInOneScopeHoldTheSameCompiledConfiguration) {
  const auto shared = outbound("hello", "outbound|80||hello", {cluster("outbound|80||hello", 20)});
  auto a = Proxy::create(own(11, shared), loop_, transport_, random_);
  auto b = Proxy::create(own(12, shared), loop_, transport_, random_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->config().shared, shared);
  EXPECT_EQ((*a)->config().shared, (*b)->config().shared);
  // The listener configuration each proxy runs is the shared object itself, not a copy.
  EXPECT_EQ((*a)->listenerConfig(80, false).second, (*b)->listenerConfig(80, false).second);
  EXPECT_EQ((*a)->listenerConfig(80, false).second, &(*shared->routeTable("80"))->config());
  EXPECT_EQ((*a)->clusterConfig("outbound|80||hello"), (*b)->clusterConfig("outbound|80||hello"));
  // Routing works through the shared part.
  http::ResponsePtr r;
  send(**a, "hello", &r);
  loop_.runUntilIdle();
  transport_.answerAll();
  loop_.runUntilIdle();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(transport_.sent.back(), (config::Address{config::ipv4(10, 1, 0, 20), 8080}));
}

TEST(ClusterManagerLazyTest, StateIsCreatedOnFirstUseOnly) {
  SeededRandom random(1);
  VirtualDispatcher loop;
  auto table = upstream::ClusterTable::create({cluster("a", 20), cluster("b", 21)});
  upstream::ClusterManager cm(nullptr, table, random, loop);
  EXPECT_EQ(cm.statesForTest(), 0u);
  ASSERT_NE(cm.find("a"), nullptr);
  EXPECT_EQ(cm.find("a"), cm.find("a"));
  EXPECT_EQ(cm.statesForTest(), 1u);
  EXPECT_EQ(cm.find("missing"), nullptr);
  EXPECT_EQ(cm.statesForTest(), 1u);
}

TEST_F(SharedConfigTest, RetiredConfigurationIsFreedWhenTheLastExchangeEnds) {
  auto first = outbound("hello", "outbound|80||hello", {cluster("outbound|80||hello", 20)});
  std::weak_ptr<const SharedConfig> first_watch = first;
  std::weak_ptr<const router::RouteTable> table_watch = *first->routeTable("80");
  auto created = Proxy::create(own(11, first), loop_, transport_, random_);
  ASSERT_TRUE(created.ok());
  Proxy& proxy = **created;

  // An exchange in flight under the first configuration.
  http::ResponsePtr r;
  send(proxy, "hello", &r);
  loop_.runUntilIdle();
  ASSERT_EQ(transport_.held.size(), 1u);
  std::weak_ptr<upstream::ClusterState> state_watch =
      proxy.clusterStateForTest("outbound|80||hello");

  // The push: a new scope configuration without that cluster.
  auto second =
      outbound("hi", "outbound|80||hi", {cluster("outbound|80||hi", 30)}, first->clusters().get());
  first.reset();
  ASSERT_TRUE(proxy.update(own(11, second)).ok());
  EXPECT_TRUE(first_watch.expired());   // nobody holds the configuration object any more
  EXPECT_FALSE(table_watch.expired());  // but the exchange holds the route it matched
  EXPECT_FALSE(state_watch.expired());  // and the cluster state it uses
  EXPECT_EQ(proxy.clusterConfig("outbound|80||hello"), nullptr);

  transport_.answerAll();
  loop_.runUntilIdle();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);  // finished normally under the old configuration
  EXPECT_TRUE(table_watch.expired());
  EXPECT_TRUE(state_watch.expired());
  EXPECT_TRUE(proxy.idle());
}

}  // namespace
}  // namespace meshsim::proxy
