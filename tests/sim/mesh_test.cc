#include "sim/mesh.h"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/http/codec.h"
#include "proxy/stats/istio_stats.h"
#include "proxy/stats/prometheus.h"
#include "sim/telemetry/scrape.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim {
namespace {

using ::meshsim::testing::IsOk;
using ::testing::HasSubstr;

class HelloMeshTest : public ::testing::Test {
protected:
  void SetUp() override {
    Manifests m;
    const std::string root = MESHSIM_SOURCE_DIR;
    ASSERT_THAT(addPath(root + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
    ASSERT_THAT(addPath(root + "/fixtures/hello", m), IsOk());
    auto mesh = Mesh::create(std::move(m), {});
    ASSERT_THAT(mesh, IsOk());
    mesh_ = std::move(mesh).value();
  }

  proxy::http::ResponsePtr get(const std::string& host, const std::string& path = "/") {
    auto req = std::make_unique<proxy::http::Request>();
    req->authority = host;
    req->path = path;
    auto to = mesh_->ingressAddress("", 80);
    EXPECT_THAT(to, IsOk());
    proxy::http::ResponsePtr out;
    mesh_->sendFromOutside(
        *to, std::move(req),
        [&](proxy::http::ResponsePtr r, proxy::ResetReason) { out = std::move(r); });
    mesh_->loop().runUntilIdle();
    return out;
  }

  std::map<std::string, std::string> labelsOf(const std::string& reporter) {
    for (const auto& s : mesh_->metrics()) {
      if (s.name != "istio_requests_total") {
        continue;
      }
      std::map<std::string, std::string> m(s.labels.begin(), s.labels.end());
      if (m["reporter"] == reporter) {
        return m;
      }
    }
    return {};
  }

  std::unique_ptr<Mesh> mesh_;
};

TEST_F(HelloMeshTest, HelloComReachesTheEchoAppThroughGatewayAndSidecar) {
  auto r = get("hello.com", "/api?x=1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(*r->headers.get("server"), "istio-envoy");
  EXPECT_THAT(r->body, HasSubstr("\"pod\": \"hello-0\""));
  EXPECT_THAT(r->body, HasSubstr("\"host\": \"hello.com\""));
  EXPECT_THAT(r->body, HasSubstr("\"path\": \"/api?x=1\""));
  EXPECT_THAT(r->body, HasSubstr("\"x-forwarded-for\": \"198.51.100.1\""));
  const k8s::PodState* pod = mesh_->podForOrigin(r->origin);
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->id(), "default/hello-0");
  EXPECT_EQ(mesh_->app("default", "hello-0")->received(), 1u);
}

// The echo document is sized before it is written; a value that needs escaping makes it longer
// than the fields, and it still reads back as the request's JSON.
TEST_F(HelloMeshTest, EchoDocumentEscapesWhatItMust) {
  auto req = std::make_unique<proxy::http::Request>();
  req->authority = "hello.com";
  req->path = "/a\"b";
  req->headers.add("x-quote", "say \"hi\" \\ \t end of a long value");
  req->headers.add("x-plain", "plain");
  auto to = mesh_->ingressAddress("", 80);
  ASSERT_THAT(to, IsOk());
  proxy::http::ResponsePtr r;
  mesh_->sendFromOutside(
      *to, std::move(req),
      [&](proxy::http::ResponsePtr got, proxy::ResetReason) { r = std::move(got); });
  mesh_->loop().runUntilIdle();
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->body, HasSubstr(R"("x-quote": "say \"hi\" \\ \t end of a long value")"));
  EXPECT_THAT(r->body, HasSubstr(R"("x-plain": "plain")"));
  EXPECT_THAT(r->body, HasSubstr(R"("path": "/a\"b")"));
  EXPECT_EQ(r->body.substr(r->body.size() - 3), "}}}");
  EXPECT_EQ(r->body.find('\0'), std::string::npos);
}

// A run that reads no body leaves the echo document out (MeshOptions::echo_bodies) but counts
// it everywhere as if it were there: the response says how many bytes it stands for, and every
// proxy's metrics are the same as with the document, escaped values included.
TEST(EchoBodiesTest, LeftOutDocumentsAreCountedAsTheirSize) {
  const auto run = [](bool echo_bodies, std::vector<proxy::http::ResponsePtr>& responses) {
    Manifests m;
    const std::string root = MESHSIM_SOURCE_DIR;
    EXPECT_THAT(addPath(root + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
    EXPECT_THAT(addPath(root + "/fixtures/hello", m), IsOk());
    MeshOptions options;
    options.echo_bodies = echo_bodies;
    auto mesh = Mesh::create(std::move(m), options);
    EXPECT_THAT(mesh, IsOk());
    for (const std::string path : {"/", "/a\"b", "/long/path/with?query=1&more=2"}) {
      auto req = std::make_unique<proxy::http::Request>();
      req->authority = "hello.com";
      req->path = path;
      req->headers.add("x-quote", "say \"hi\" \\ end");
      auto to = (*mesh)->ingressAddress("", 80);
      EXPECT_THAT(to, IsOk());
      (*mesh)->sendFromOutside(*to, std::move(req),
                               [&](proxy::http::ResponsePtr r, proxy::ResetReason) {
                                 responses.push_back(std::move(r));
                               });
      (*mesh)->loop().runUntilIdle();
    }
    return proxy::stats::renderPrometheusText(telemetry::collectMeshMetrics((*mesh)->proxies()));
  };
  std::vector<proxy::http::ResponsePtr> with;
  std::vector<proxy::http::ResponsePtr> without;
  const std::string metrics_with = run(true, with);
  const std::string metrics_without = run(false, without);
  ASSERT_EQ(with.size(), 3u);
  ASSERT_EQ(without.size(), 3u);
  for (size_t i = 0; i < with.size(); ++i) {
    ASSERT_NE(with[i], nullptr);
    ASSERT_NE(without[i], nullptr);
    EXPECT_EQ(with[i]->unread_body_bytes, 0u);
    EXPECT_FALSE(with[i]->body.empty());
    EXPECT_TRUE(without[i]->body.empty());
    EXPECT_EQ(without[i]->unread_body_bytes, with[i]->body.size());
    EXPECT_EQ(without[i]->bodyBytes(), with[i]->bodyBytes());
    EXPECT_EQ(proxy::stats::wireSize(*without[i]), proxy::stats::wireSize(*with[i]));
  }
  EXPECT_THAT(metrics_with, HasSubstr("istio_response_bytes_sum"));
  EXPECT_EQ(metrics_without, metrics_with);
}

// The edge limits of `meshsim serve`'s codec hold in-process too: a 5 MB header, or more header
// fields than Envoy's default 100, gets 431 from the gateway and never reaches the app.
TEST_F(HelloMeshTest, OversizedRequestsGetTheCodecStatusAndNeverReachTheApp) {
  const auto send = [&](auto fill) {
    auto req = std::make_unique<proxy::http::Request>();
    req->authority = "hello.com";
    req->path = "/";
    fill(*req);
    proxy::http::ResponsePtr out;
    mesh_->sendFromOutside(
        *mesh_->ingressAddress("", 80), std::move(req),
        [&](proxy::http::ResponsePtr r, proxy::ResetReason) { out = std::move(r); });
    mesh_->loop().runUntilIdle();
    return out;
  };
  auto big =
      send([](proxy::http::Request& r) { r.headers.add("x-big", std::string(5 << 20, 'a')); });
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->status, 431);
  auto many = send([](proxy::http::Request& r) {
    for (int i = 0; i < 100; ++i) {
      r.headers.add("x-h" + std::to_string(i), "1");
    }
  });
  ASSERT_NE(many, nullptr);
  EXPECT_EQ(many->status, 431);
  auto body = send([](proxy::http::Request& r) {
    r.method = "POST";
    r.body.assign(proxy::http::kDefaultMaxBodyBytes + 1, 'b');
  });
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->status, 413);
  EXPECT_EQ(mesh_->app("default", "hello-0")->received(), 0u);
  // Just under the limits is fine.
  auto ok = send([](proxy::http::Request& r) {
    for (int i = 0; i < 90; ++i) {
      r.headers.add("x-h" + std::to_string(i), "1");
    }
  });
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HelloMeshTest, GatewayAndSidecarReportIstioLabels) {
  ASSERT_EQ(get("hello.com")->status, 200);
  // The reference's worked example (section 5.3), adapted to this fixture's names.
  auto gw = labelsOf("source");
  EXPECT_EQ(gw["source_workload"], "istio-ingressgateway");
  EXPECT_EQ(gw["source_workload_namespace"], "istio-system");
  EXPECT_EQ(gw["source_principal"],
            "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account");
  EXPECT_EQ(gw["source_app"], "istio-ingressgateway");
  EXPECT_EQ(gw["source_version"], "");
  EXPECT_EQ(gw["source_canonical_revision"], "latest");
  EXPECT_EQ(gw["destination_workload"], "hello");
  EXPECT_EQ(gw["destination_principal"], "spiffe://cluster.local/ns/default/sa/hello");
  EXPECT_EQ(gw["destination_version"], "v1");
  EXPECT_EQ(gw["destination_service"], "hello.default.svc.cluster.local");
  EXPECT_EQ(gw["destination_service_name"], "hello");
  EXPECT_EQ(gw["destination_service_namespace"], "default");
  EXPECT_EQ(gw["destination_canonical_service"], "hello");
  EXPECT_EQ(gw["response_code"], "200");
  EXPECT_EQ(gw["response_flags"], "-");
  EXPECT_EQ(gw["connection_security_policy"], "unknown");
  EXPECT_EQ(gw["namespace"], "istio-system");

  auto sc = labelsOf("destination");
  EXPECT_EQ(sc["source_workload"], "istio-ingressgateway");
  EXPECT_EQ(sc["source_version"], "unknown");  // a peer's missing label
  EXPECT_EQ(sc["destination_workload"], "hello");
  EXPECT_EQ(sc["destination_service"], "hello.default.svc.cluster.local");
  EXPECT_EQ(sc["connection_security_policy"], "mutual_tls");
  EXPECT_EQ(sc["pod"], "hello-0");
}

TEST_F(HelloMeshTest, UnknownHostIs404NrWithUnknownDestination) {
  auto r = get("goodbye.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(mesh_->podForOrigin(r->origin), nullptr);
  auto gw = labelsOf("source");
  EXPECT_EQ(gw["response_flags"], "NR");
  EXPECT_EQ(gw["destination_service"], "unknown");
  EXPECT_EQ(gw["destination_workload"], "unknown");
  EXPECT_EQ(gw["destination_service_namespace"], "unknown");
  EXPECT_TRUE(labelsOf("destination").empty());
}

TEST_F(HelloMeshTest, PortInHostIsIgnoredForVirtualHostSelection) {
  EXPECT_EQ(get("hello.com:80")->status, 200);
  EXPECT_EQ(get("HELLO.COM")->status, 200);
}

TEST_F(HelloMeshTest, NothingListensOnAnUnopenedGatewayPort) {
  auto to = mesh_->ingressAddress("", 8443);
  ASSERT_THAT(to, IsOk());
  bool reset = false;
  mesh_->sendFromOutside(*to, std::make_unique<proxy::http::Request>(),
                         [&](proxy::http::ResponsePtr r, proxy::ResetReason why) {
                           reset = r == nullptr && why == proxy::ResetReason::ConnectFailure;
                         });
  mesh_->loop().runUntilIdle();
  EXPECT_TRUE(reset);
}

TEST(UrlTest, ParsesSchemeHostPortPath) {
  auto u = parseUrl("http://hello.com:8080/api?x=1");
  ASSERT_THAT(u, IsOk());
  EXPECT_EQ(u->host, "hello.com");
  EXPECT_EQ(u->port, 8080);
  EXPECT_TRUE(u->explicit_port);
  EXPECT_EQ(u->path, "/api?x=1");
  auto bare = parseUrl("https://hello.com");
  ASSERT_THAT(bare, IsOk());
  EXPECT_EQ(bare->port, 443);
  EXPECT_EQ(bare->path, "/");
  EXPECT_FALSE(parseUrl("hello.com/").ok());
  EXPECT_FALSE(parseUrl("http://hello.com:99999/").ok());
  EXPECT_FALSE(parseUrl("ftp://hello.com/").ok());
}

}  // namespace
}  // namespace meshsim::sim

namespace meshsim::sim {
namespace {

// A runtime of the test's: the simulator's loop and network behind the MeshRuntime interface,
// noting what the world opens, and refusing to listen on one port.
class RecordingRuntime : public MeshRuntime {
public:
  RecordingRuntime() : network(loop, random) {}

  proxy::Dispatcher& dispatcher() override { return loop; }
  proxy::UpstreamTransport& transport() override { return network; }
  Status listen(const k8s::PodState& pod, uint16_t port, proxy::RequestHandler& listener) override {
    if (port == refused_port) {
      return unavailableError("port " + std::to_string(port) + " is taken");
    }
    opened.push_back("listener " + pod.id() + ":" + std::to_string(port));
    network.listen({pod.ip, port}, listener);
    return okStatus();
  }
  void unlisten(const k8s::PodState& pod, uint16_t port) override {
    network.unlisten({pod.ip, port});
  }
  Status listenApp(const k8s::PodState& pod, uint16_t port, apps::App& app, bool local) override {
    opened.push_back(std::string(local ? "local app " : "app ") + pod.id() + ":" +
                     std::to_string(port));
    if (local) {
      network.listenLocal(pod.ip, port, app);
    } else {
      network.listen({pod.ip, port}, app);
    }
    return okStatus();
  }
  void unlistenApp(const k8s::PodState& pod, uint16_t port, bool local) override {
    if (local) {
      network.unlistenLocal(pod.ip, port);
    } else {
      network.unlisten({pod.ip, port});
    }
  }
  void resetInFlight(const proxy::RequestHandler& handler) override {
    network.resetInFlight(handler);
  }
  void addVirtualIp(proxy::config::Address vip,
                    std::vector<proxy::config::Address> backends) override {
    ++virtual_ips;
    network.addVirtualIp(vip, std::move(backends));
  }
  void removeVirtualIp(proxy::config::Address vip) override { network.removeVirtualIp(vip); }

  proxy::VirtualDispatcher loop;
  proxy::SeededRandom random{1};
  net::VirtualNetwork network;
  std::vector<std::string> opened;
  int virtual_ips = 0;
  uint16_t refused_port = 0;
};

Manifests helloManifests() {
  Manifests m;
  const std::string root = MESHSIM_SOURCE_DIR;
  EXPECT_THAT(addPath(root + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
  EXPECT_THAT(addPath(root + "/fixtures/hello", m), IsOk());
  return m;
}

// The world Mesh builds does not depend on what it runs on: on a runtime of the caller's it opens
// the same listeners, apps and virtual IPs there, and requests travel through its transport.
TEST(MeshRuntimeTest, TheSameWorldRunsOnARuntimeOfTheCallers) {
  RecordingRuntime runtime;
  auto created = Mesh::create(helloManifests(), {}, runtime);
  ASSERT_THAT(created, IsOk());
  Mesh& mesh = **created;
  EXPECT_THAT(
      runtime.opened,
      ::testing::ElementsAre("listener istio-system/istio-ingressgateway-0:8080",
                             "listener default/hello-0:8080", "local app default/hello-0:8080"));
  EXPECT_GT(runtime.virtual_ips, 0);
  auto req = std::make_unique<proxy::http::Request>();
  req->authority = "hello.com";
  auto to = mesh.ingressAddress("", 80);
  ASSERT_THAT(to, IsOk());
  proxy::http::ResponsePtr out;
  mesh.sendFromOutside(*to, std::move(req),
                       [&](proxy::http::ResponsePtr r, proxy::ResetReason) { out = std::move(r); });
  runtime.loop.runUntilIdle();
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(runtime.network.deliveredRequests(), 3U);  // gateway, sidecar, app
}

TEST(MeshRuntimeTest, AListenerTheRuntimeCannotOpenFailsTheMesh) {
  RecordingRuntime runtime;
  runtime.refused_port = 8080;
  EXPECT_THAT(Mesh::create(helloManifests(), {}, runtime),
              ::meshsim::testing::StatusIs(StatusCode::Unavailable, HasSubstr("8080 is taken")));
}

}  // namespace
}  // namespace meshsim::sim
