#include "proxy/proxy.h"

#include <functional>

#include <gtest/gtest.h>

#include "proxy/event/virtual_dispatcher.h"

namespace meshsim::proxy {
namespace {

using stats::ResponseFlag;

// A transport that records what the proxy sends and answers as the test says: a fixed
// status from the "upstream", or a reset.
class FakeTransport : public UpstreamTransport {
public:
  explicit FakeTransport(Dispatcher& d) : dispatcher_(d) {}
  // proxy::UpstreamTransport
  void send(const ConnectionInfo& from, config::Address to, http::RequestPtr request,
            ResponseCallback done) override {
    sent.push_back({from, to, *request});
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    dispatcher_.post([this, done = std::move(done)]() mutable {
      if (reset != ResetReason::None) {
        done(nullptr, reset);
        return;
      }
      auto r = std::make_unique<http::Response>();
      r->status = status;
      r->headers.set("server", "app");
      r->origin = 42;
      done(std::move(r), ResetReason::None);
    });
  }
  struct Sent {
    ConnectionInfo from;
    config::Address to;
    http::Request request;
  };
  std::vector<Sent> sent;
  int status = 200;
  ResetReason reset = ResetReason::None;
  bool hold = false;  // keep the callbacks instead of answering
  std::vector<ResponseCallback> held;

private:
  Dispatcher& dispatcher_;
};

class ProxyTest : public ::testing::Test {
protected:
  ProxyTest() : transport_(loop_), random_(1) {}

  // A gateway with one listener on 8080: hello.com -> cluster "hello" (or the given cluster).
  // `edit` may change the configuration before the proxy is created.
  void build(std::vector<config::Endpoint> endpoints, std::string route_cluster = "hello",
             const std::function<void(config::ProxyConfig&)>& edit = nullptr) {
    config::ProxyConfig c;
    c.node_id = "gw";
    c.ip = config::ipv4(10, 1, 0, 10);
    auto me = std::make_shared<config::WorkloadInfo>();
    me->workload = "istio-ingressgateway";
    me->namespace_name = "istio-system";
    c.workload = me;
    config::Listener l;
    l.name = "0.0.0.0_8080";
    l.port = 8080;
    l.route_config_name = "http.8080";
    l.use_remote_address = true;
    c.listeners.push_back(l);
    config::RouteConfiguration rc;
    rc.name = "http.8080";
    config::VirtualHost vh;
    vh.name = "hello.com:80";
    vh.domains = {"hello.com"};
    config::Route r;
    r.action.clusters.push_back({route_cluster, 100, {}, {}, {}});
    vh.routes.push_back(r);
    rc.virtual_hosts.push_back(vh);
    c.route_configs.push_back(rc);
    config::Cluster cl;
    cl.name = "hello";
    cl.service = std::make_shared<config::ServiceInfo>(
        config::ServiceInfo{"hello.default.svc.cluster.local", "hello", "default"});
    cl.endpoints = std::move(endpoints);
    c.clusters.push_back(cl);
    if (edit) {
      edit(c);
    }
    auto p = Proxy::create(std::move(c), loop_, transport_, random_);
    ASSERT_TRUE(p.ok()) << p.status().toString();
    proxy_ = std::move(*p);
  }

  http::ResponsePtr request(const std::string& host, const std::string& path = "/") {
    auto req = std::make_unique<http::Request>();
    req->authority = host;
    req->path = path;
    req->headers.set("x-request-id", "client-chosen");
    http::ResponsePtr out;
    ConnectionInfo from{{config::ipv4(198, 51, 100, 1), 40000}, {}, nullptr, false, nullptr, {}};
    proxy_->listener(8080)->onRequest(
        from, std::move(req), [&](http::ResponsePtr r, ResetReason) { out = std::move(r); });
    loop_.runUntilIdle();
    return out;
  }

  std::string onlyFlags() const {
    const auto series = proxy_->stats().requestsTotal();
    EXPECT_EQ(series.size(), 1u);
    for (const auto& [k, v] : series.front().labels) {
      if (k == "response_flags") {
        return v;
      }
    }
    return "";
  }

  VirtualDispatcher loop_;
  FakeTransport transport_;
  SeededRandom random_;
  std::unique_ptr<Proxy> proxy_;
};

config::Endpoint endpoint(uint8_t last) {
  auto w = std::make_shared<config::WorkloadInfo>();
  w->workload = "hello";
  return config::Endpoint{{config::ipv4(10, 1, 0, last), 8080}, w, true};
}

TEST_F(ProxyTest, ForwardsToAnEndpointAndOverwritesServer) {
  build({endpoint(11)});
  auto r = request("hello.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->origin, 42u);
  EXPECT_EQ(*r->headers.get("server"), "istio-envoy");
  EXPECT_NE(r->headers.get("x-envoy-upstream-service-time"), nullptr);
  ASSERT_EQ(transport_.sent.size(), 1u);
  const auto& sent = transport_.sent.front();
  EXPECT_EQ(sent.to, (config::Address{config::ipv4(10, 1, 0, 11), 8080}));
  EXPECT_TRUE(sent.from.mtls);
  EXPECT_EQ(*sent.request.headers.get("x-forwarded-for"), "198.51.100.1");
  EXPECT_EQ(*sent.request.headers.get("x-forwarded-proto"), "http");
  EXPECT_EQ(*sent.request.headers.get("x-envoy-attempt-count"), "1");
  // An edge proxy does not trust the client's request id.
  EXPECT_NE(*sent.request.headers.get("x-request-id"), "client-chosen");
  EXPECT_EQ(sent.request.headers.get("x-request-id")->size(), 36u);
  EXPECT_EQ(onlyFlags(), "-");
}

TEST_F(ProxyTest, UnknownHostIs404NoRoute) {
  build({endpoint(11)});
  auto r = request("goodbye.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(*r->headers.get("server"), "istio-envoy");
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(onlyFlags(), "NR");
}

TEST_F(ProxyTest, NoEndpointsIs503NoHealthyUpstream) {
  build({});
  auto r = request("hello.com");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "no healthy upstream");
  EXPECT_EQ(onlyFlags(), "UH");
}

TEST_F(ProxyTest, MissingClusterIs503NoCluster) {
  build({endpoint(11)}, "outbound|80|v9|hello.default.svc.cluster.local");
  auto r = request("hello.com");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(onlyFlags(), "NC");
}

// Counts the requests it is asked about; denies paths under /admin.
class CountingAuthorizer : public filters::Authorizer {
public:
  bool allowed(const http::Request& request, const filters::StreamInfo&) const override {
    ++asked;
    return request.path.rfind("/admin", 0) != 0;
  }
  mutable int asked = 0;
};

TEST_F(ProxyTest, TheAuthorizationSlotIsAskedOncePerRequest) {
  build({endpoint(11)});
  EXPECT_EQ(proxy_->filterChain().at(0).name(), "envoy.filters.http.rbac");
  auto authorizer = std::make_shared<CountingAuthorizer>();
  proxy_->setAuthorizer(authorizer);
  EXPECT_EQ(request("hello.com")->status, 200);
  EXPECT_EQ(request("goodbye.com")->status, 404);  // asked before the router finds no route
  EXPECT_EQ(request("hello.com", "/x")->status, 200);
  EXPECT_EQ(authorizer->asked, 3);
  EXPECT_EQ(transport_.sent.size(), 2u);
}

TEST_F(ProxyTest, ADenialShortCircuitsTheFaultFilterAndTheRouter) {
  build({endpoint(11)}, "hello", [](config::ProxyConfig& c) {
    config::FaultPolicy fault;
    fault.abort_status = 418;
    fault.abort_fraction = 1.0;
    c.route_configs[0].virtual_hosts[0].routes[0].fault = fault;
  });
  proxy_->setAuthorizer(std::make_shared<CountingAuthorizer>());
  auto r = request("hello.com", "/admin/users");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 403);  // RBAC comes before fault: no 418
  EXPECT_EQ(r->body, "RBAC: access denied");
  EXPECT_EQ(*r->headers.get("server"), "istio-envoy");
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(onlyFlags(), "-");
}

TEST_F(ProxyTest, TheFaultFilterRunsBeforeTheRouter) {
  // Envoy's order: a fault abort answers before the router looks for the cluster (no NC).
  build({endpoint(11)}, "outbound|80|v9|hello.default.svc.cluster.local",
        [](config::ProxyConfig& c) {
          config::FaultPolicy fault;
          fault.abort_status = 418;
          fault.abort_fraction = 1.0;
          c.route_configs[0].virtual_hosts[0].routes[0].fault = fault;
        });
  auto r = request("hello.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 418);
  EXPECT_EQ(r->body, "fault filter abort");
  EXPECT_EQ(onlyFlags(), "FI");
}

TEST_F(ProxyTest, TheFaultFilterRunsBeforeCors) {
  // Istio's order puts fault before CORS: an aborted preflight never reaches the CORS filter.
  build({endpoint(11)}, "hello", [](config::ProxyConfig& c) {
    config::Route& route = c.route_configs[0].virtual_hosts[0].routes[0];
    config::FaultPolicy fault;
    fault.abort_status = 418;
    fault.abort_fraction = 1.0;
    route.fault = fault;
    config::CorsPolicy cors;
    config::StringMatcher origin;
    origin.value = "https://a.com";
    cors.allow_origins.push_back(origin);
    cors.allow_methods = "GET";
    route.cors = cors;
  });
  auto req = std::make_unique<http::Request>();
  req->method = "OPTIONS";
  req->authority = "hello.com";
  req->headers.set("origin", "https://a.com");
  req->headers.set("access-control-request-method", "GET");
  http::ResponsePtr out;
  ConnectionInfo from{{config::ipv4(198, 51, 100, 1), 40000}, {}, nullptr, false, nullptr, {}};
  proxy_->listener(8080)->onRequest(from, std::move(req),
                                    [&](http::ResponsePtr r, ResetReason) { out = std::move(r); });
  loop_.runUntilIdle();
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->status, 418);
  EXPECT_FALSE(out->headers.has("access-control-allow-origin"));
  EXPECT_EQ(onlyFlags(), "FI");
}

TEST_F(ProxyTest, ConnectFailureIs503UpstreamFailure) {
  build({endpoint(11)});
  transport_.reset = ResetReason::ConnectFailure;
  auto r = request("hello.com");
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("connection failure"), std::string::npos);
  EXPECT_EQ(onlyFlags(), "UF");
}

TEST_F(ProxyTest, UpstreamStatusPassesThroughWithoutFlags) {
  build({endpoint(11)});
  transport_.status = 503;
  auto r = request("hello.com");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(onlyFlags(), "-");
}

TEST_F(ProxyTest, WeightedClusterHostRewriteIsOverriddenByTheRoutes) {
  build({endpoint(11)}, "hello", [](config::ProxyConfig& c) {
    auto& r = c.route_configs[0].virtual_hosts[0].routes[0];
    r.action.clusters[0].host_rewrite = "cluster.internal";
    r.action.clusters[0].request_headers.set.emplace_back("x-cluster", "1");
  });
  ASSERT_NE(request("hello.com"), nullptr);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].request.authority, "cluster.internal");
  EXPECT_EQ(*transport_.sent[0].request.headers.get("x-cluster"), "1");

  build({endpoint(11)}, "hello", [](config::ProxyConfig& c) {
    auto& r = c.route_configs[0].virtual_hosts[0].routes[0];
    r.action.clusters[0].host_rewrite = "cluster.internal";
    r.action.host_rewrite = "route.internal";
  });
  ASSERT_NE(request("hello.com"), nullptr);
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].request.authority, "route.internal");
}

TEST_F(ProxyTest, FragmentIsStrippedAsIstioConfiguresEnvoy) {
  build({endpoint(11)});
  auto r = request("hello.com", "/a/../p?k=v#frag/../x");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].request.path, "/p?k=v");  // stripped, then normalised
}

TEST_F(ProxyTest, FragmentIsRejectedWithEnvoysDefault) {
  build({endpoint(11)}, "hello",
        [](config::ProxyConfig& c) { c.listeners[0].reject_path_with_fragment = true; });
  auto r = request("hello.com", "/p#frag");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(onlyFlags(), "-");
}

TEST(RequestIdTest, IsAVersion4Uuid) {
  SeededRandom random(9);
  const std::string id = generateRequestId(random);
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
}

// The ids are part of what a seed reproduces (reports, access logs): the same draws must give
// the same text as the first, byte-by-byte writer did.
TEST(RequestIdTest, SameDrawsGiveTheSameIdAsTheByteByByteWriter) {
  const auto reference = [](uint64_t hi, uint64_t lo) {
    static constexpr char kHex[] = "0123456789abcdef";
    uint8_t bytes[16];
    for (int i = 0; i < 8; ++i) {
      bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
      bytes[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
    }
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
    std::string out;
    for (int i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) {
        out += '-';
      }
      out += kHex[bytes[i] >> 4];
      out += kHex[bytes[i] & 0xf];
    }
    return out;
  };
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SeededRandom draws(seed);
    const uint64_t hi = draws.random();
    const uint64_t lo = draws.random();
    SeededRandom random(seed);
    EXPECT_EQ(generateRequestId(random), reference(hi, lo)) << "seed " << seed;
  }
}

TEST(ResponseFlagsTest, PrintsInEnvoyOrderAndParses) {
  stats::ResponseFlags f = 0;
  EXPECT_EQ(stats::responseFlagsToString(f), "-");
  f = f | ResponseFlag::UpstreamRetryLimitExceeded;
  f = f | ResponseFlag::UpstreamConnectionFailure;
  EXPECT_EQ(stats::responseFlagsToString(f), "UF,URX");
  stats::ResponseFlags parsed = 0;
  ASSERT_TRUE(stats::parseResponseFlags("UF,URX", &parsed));
  EXPECT_EQ(parsed, f);
  EXPECT_FALSE(stats::parseResponseFlags("XX", &parsed));
}

}  // namespace
}  // namespace meshsim::proxy

namespace meshsim::proxy::config {
namespace {

TEST(AddressTest, PrintsDottedQuadAndPort) {
  EXPECT_EQ(ipToString(ipv4(10, 1, 0, 7)), "10.1.0.7");
  EXPECT_EQ(ipToString(ipv4(198, 51, 100, 255)), "198.51.100.255");
  EXPECT_EQ(ipToString(0), "0.0.0.0");
  EXPECT_EQ(toString(Address{kLoopback, 8080}), "127.0.0.1:8080");
}

}  // namespace
}  // namespace meshsim::proxy::config

namespace meshsim::proxy {
namespace {

TEST_F(ProxyTest, UpdateSwitchesRoutesAndEndpointsWhileARequestIsInFlight) {
  build({endpoint(11)});
  // A request in flight when the new configuration arrives.
  http::ResponsePtr first;
  auto req = std::make_unique<http::Request>();
  req->authority = "hello.com";
  req->path = "/";
  ConnectionInfo from{{config::ipv4(198, 51, 100, 1), 40000}, {}, nullptr, false, nullptr, {}};
  proxy_->listener(8080)->onRequest(
      from, std::move(req), [&](http::ResponsePtr r, ResetReason) { first = std::move(r); });

  config::ProxyConfig next = proxy_->config();
  next.route_configs[0].virtual_hosts[0].domains = {"hello.com", "hi.com"};
  next.clusters[0].endpoints = {endpoint(12)};
  ASSERT_TRUE(proxy_->update(std::move(next)).ok());
  loop_.runUntilIdle();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->status, 200);  // the old route and endpoint finished normally

  auto r = request("hi.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(transport_.sent.back().to.ip, config::ipv4(10, 1, 0, 12));
  // Stats continue across the update: both requests counted.
  uint64_t total = 0;
  for (const auto& c : proxy_->stats().requestsTotal()) {
    total += c.value;
  }
  EXPECT_EQ(total, 2u);
}

TEST_F(ProxyTest, UpdateAddsAndRetiresListeners) {
  build({endpoint(11)});
  RequestHandler* old = proxy_->listener(8080);
  config::ProxyConfig next = proxy_->config();
  next.listeners[0].port = 8443;
  ASSERT_TRUE(proxy_->update(std::move(next)).ok());
  EXPECT_EQ(proxy_->listener(8080), nullptr);
  ASSERT_NE(proxy_->listener(8443), nullptr);
  EXPECT_NE(proxy_->listener(8443), old);
  EXPECT_EQ(proxy_->listenerPorts(), std::vector<uint16_t>{8443});
}

TEST_F(ProxyTest, InvalidUpdateChangesNothing) {
  build({endpoint(11)});
  config::ProxyConfig next = proxy_->config();
  next.listeners[0].route_config_name = "missing";
  EXPECT_FALSE(proxy_->update(std::move(next)).ok());
  auto r = request("hello.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace meshsim::proxy

namespace meshsim::proxy {
namespace {

TEST_F(ProxyTest, ClientGoingAwayIsRecordedAsZeroDcAndResetsTheAttempt) {
  build({endpoint(11)});
  transport_.hold = true;
  auto cancel = std::make_shared<Cancellation>();
  auto req = std::make_unique<http::Request>();
  req->authority = "hello.com";
  req->path = "/";
  ConnectionInfo from{{config::ipv4(198, 51, 100, 1), 40000}, {}, nullptr, false, cancel, {}};
  bool answered = false;
  ResetReason reason = ResetReason::None;
  proxy_->listener(8080)->onRequest(from, std::move(req),
                                    [&](http::ResponsePtr r, ResetReason why) {
                                      answered = r != nullptr;
                                      reason = why;
                                    });
  loop_.runUntilIdle();
  ASSERT_EQ(transport_.sent.size(), 1u);
  const CancellationPtr attempt = transport_.sent[0].from.cancel;
  ASSERT_NE(attempt, nullptr);
  EXPECT_FALSE(attempt->cancelled());
  cancel->cancel();
  EXPECT_TRUE(attempt->cancelled());  // the upstream sees its client go away too
  EXPECT_FALSE(answered);
  EXPECT_EQ(reason, ResetReason::ConnectionTermination);
  EXPECT_EQ(onlyFlags(), "DC");
  for (const auto& c : proxy_->stats().requestsTotal()) {
    for (const auto& [k, v] : c.labels) {
      if (k == "response_code") {
        EXPECT_EQ(v, "0");
      }
    }
  }
  // The upstream's late answer is ignored.
  auto late = std::make_unique<http::Response>();
  late->status = 200;
  transport_.held[0](std::move(late), ResetReason::None);
  loop_.runUntilIdle();
  EXPECT_EQ(proxy_->stats().requestsTotal().size(), 1u);
}

TEST_F(ProxyTest, RouteTimeoutResetsTheAttemptInFlight) {
  build({endpoint(11)});
  config::ProxyConfig next = proxy_->config();
  next.route_configs[0].virtual_hosts[0].routes[0].action.timeout = std::chrono::seconds(1);
  ASSERT_TRUE(proxy_->update(std::move(next)).ok());
  transport_.hold = true;
  auto r = request("hello.com");  // runs the loop past the timeout
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 504);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_TRUE(transport_.sent[0].from.cancel->cancelled());
}

}  // namespace
}  // namespace meshsim::proxy
