#include "sim/serve/served_mesh.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/net/http_server.h"
#include "sim/k8s/ingress.h"
#include "tests/proxy/net/net_test_util.h"

namespace meshsim::sim::serve {
namespace {

using proxy::net::testing::EchoHandler;
using proxy::net::testing::IoThread;
using proxy::net::testing::RawClient;
using ::testing::HasSubstr;

std::string source(const std::string& relative) {
  return std::string(MESHSIM_SOURCE_DIR) + "/" + relative;
}

Manifests load(const std::vector<std::string>& paths) {
  Manifests m;
  for (const auto& p : paths) {
    const Status s = addPath(source(p), m);
    EXPECT_TRUE(s.ok()) << s.toString();
  }
  return m;
}

// The fixtures/serviceentry mesh with backend.example.com's STATIC endpoint at 127.0.0.1:`port`.
Manifests serviceEntryMesh(uint16_t port) {
  Manifests m = load({"fixtures/istio/ingressgateway.yaml", "fixtures/serviceentry/gateway.yaml",
                      "fixtures/serviceentry/virtualservice.yaml"});
  const Status added = addText(R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backend, namespace: default}
spec:
  hosts: [backend.example.com]
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: )" +
                                   std::to_string(port) + "}}]\n",
                               "se.yaml", 1, m);
  EXPECT_TRUE(added.ok()) << added.toString();
  return m;
}

// A served mesh run by a background thread.
class Served {
public:
  explicit Served(Manifests manifests, const ServeOptions& options = {}) {
    auto mesh = ServedMesh::create(std::move(manifests), options);
    EXPECT_TRUE(mesh.ok()) << mesh.status().toString();
    if (mesh.ok()) {
      mesh_ = std::move(mesh).value();
      thread_ = std::thread([this] { mesh_->run(); });
    }
  }
  ~Served() {
    if (mesh_ != nullptr) {
      mesh_->stop();
      thread_.join();
    }
  }
  ServedMesh& operator*() { return *mesh_; }
  ServedMesh* operator->() { return mesh_.get(); }
  bool ok() const { return mesh_ != nullptr; }

private:
  std::unique_ptr<ServedMesh> mesh_;
  std::thread thread_;
};

proxy::http::ResponsePtr get(uint16_t port, const std::string& host, const std::string& path) {
  RawClient client(port);
  client.send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
  return client.readResponse();
}

// Starts a real server of the test's on loopback, run by `io`. Destroy it with stopServer.
std::unique_ptr<proxy::net::HttpServer> startServer(IoThread& io, proxy::RequestHandler& handler) {
  return io.call([&] {
    return proxy::net::HttpServer::create(io.dispatcher(), {proxy::config::kLoopback, 0}, handler)
        .value();
  });
}

void stopServer(IoThread& io, std::unique_ptr<proxy::net::HttpServer>& server) {
  io.call([&] {
    server.reset();
    return 0;
  });
}

TEST(ServedMeshTest, RoutesHelloThroughGatewaySidecarAndApp) {
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  auto r = get(mesh->gatewayPort(), "hello.com", "/greet?x=1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("\"pod\": \"hello-0\""));
  EXPECT_THAT(r->body, HasSubstr("\"path\": \"/greet?x=1\""));
  EXPECT_THAT(r->body, HasSubstr("\"x-forwarded-for\": \"127.0.0.1\""));
  ASSERT_NE(r->headers.get("server"), nullptr);
  EXPECT_EQ(*r->headers.get("server"), "istio-envoy");
}

// The hello app without a sidecar (its namespace has no injection label): the gateway reaches it
// in plain text under auto mTLS, and fails the handshake when a DestinationRule asks for Istio's
// mutual TLS, as in the simulated world (scenarios/conformance/routing/dr-tls-mode.yaml).
TEST(ServedMeshTest, IstioMutualTlsToAnAppWithoutASidecarFailsItsHandshake) {
  const std::vector<std::string> paths = {
      "fixtures/istio/ingressgateway.yaml", "fixtures/hello/gateway.yaml",
      "fixtures/hello/virtualservice.yaml", "fixtures/hello/hello.yaml"};
  {
    Served mesh(load(paths));
    ASSERT_TRUE(mesh.ok());
    auto r = get(mesh->gatewayPort(), "hello.com", "/");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 200);
  }
  Manifests m = load(paths);
  const Status added = addText(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hello, namespace: default}
spec:
  host: hello
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
)",
                               "dr.yaml", 1, m);
  ASSERT_TRUE(added.ok()) << added.toString();
  Served mesh(std::move(m));
  ASSERT_TRUE(mesh.ok());
  auto r = get(mesh->gatewayPort(), "hello.com", "/");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 503);
  EXPECT_THAT(r->body, HasSubstr("connection failure"));
}

// Every hop must send its response at once. Linux delays an ACK by at least 40 ms, so a hop
// that writes a response in two pieces with Nagle's algorithm on (cpp-httplib's default, which
// the apps' servers had) stalls each keep-alive request by that much: 40 ms instead of well
// under one. Twenty requests on one connection, the median far under the stall.
TEST(ServedMeshTest, KeepAliveRequestsDoNotWaitForDelayedAcks) {
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  RawClient client(mesh->gatewayPort());
  std::vector<double> millis;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    client.send("GET / HTTP/1.1\r\nHost: hello.com\r\n\r\n");
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->status, 200);
    millis.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(millis.begin(), millis.end());
  EXPECT_LT(millis[millis.size() / 2], 20.0) << "a hop waits for delayed ACKs (Nagle)";
}

TEST(ServedMeshTest, AnswersAnUnknownHostWith404) {
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  auto r = get(mesh->gatewayPort(), "nope.example", "/");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 404);
}

TEST(ServedMeshTest, ExposesIstioMetricsWithThePeerIdentityCarriedOverTcp) {
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  ASSERT_NE(get(mesh->gatewayPort(), "hello.com", "/"), nullptr);
  auto metrics = get(mesh->adminPort(), "admin", "/stats/prometheus");
  ASSERT_NE(metrics, nullptr);
  EXPECT_EQ(metrics->status, 200);
  const std::string& text = metrics->body;
  EXPECT_THAT(text, HasSubstr("# TYPE istio_requests_total counter"));
  // The sidecar learns who called it from the connection, as Istio's mTLS tells Envoy.
  EXPECT_THAT(text, HasSubstr("istio_requests_total{reporter=\"destination\","
                              "source_workload=\"istio-ingressgateway\""));
  EXPECT_THAT(text, HasSubstr("connection_security_policy=\"mutual_tls\",namespace=\"default\","
                              "pod=\"hello-0\"} 1"));
  EXPECT_THAT(text, HasSubstr("meshsim_downstream_rq_total{namespace=\"istio-system\","
                              "pod=\"istio-ingressgateway-0\",listener_port=\"8080\"} 1"));
  EXPECT_EQ(get(mesh->adminPort(), "admin", "/nope")->status, 404);
}

// Reads the gateway listener's meshsim_downstream_cx_active from the admin page.
std::string gatewayActiveConnections(uint16_t admin_port) {
  auto metrics = get(admin_port, "admin", "/stats/prometheus");
  if (metrics == nullptr) {
    return "";
  }
  const std::string key =
      "meshsim_downstream_cx_active{namespace=\"istio-system\",pod=\"istio-ingressgateway-0\","
      "listener_port=\"8080\"} ";
  const size_t at = metrics->body.find(key);
  return at == std::string::npos
             ? ""
             : metrics->body.substr(at + key.size(),
                                    metrics->body.find('\n', at) - at - key.size());
}

TEST(ServedMeshTest, AClientThatSendsItsFinWithTheRequestLeavesNothingOpen) {
  // The issue's reproducer: a client corks, sends a request and shuts its side down, so the
  // request and the FIN arrive in one segment. The gateway must see the FIN and close (as
  // Envoy does without half-close, the request in flight is reset), not keep the socket in
  // CLOSE-WAIT, counted active, until the idle timeout.
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  for (int i = 0; i < 50; ++i) {
    RawClient client(mesh->gatewayPort());
    const int fd = client.socket().native_handle();
    const int on = 1;
    ASSERT_EQ(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)), 0);
    client.send("GET /hc HTTP/1.1\r\nHost: hello.com\r\n\r\n");
    ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
    ASSERT_TRUE(client.waitForClose()) << "connection " << i << " left open";
  }
  std::string active;
  for (int i = 0; i < 200 && active != "0"; ++i) {
    active = gatewayActiveConnections(mesh->adminPort());
    if (active != "0") {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  EXPECT_EQ(active, "0");
  // Still serving.
  auto r = get(mesh->gatewayPort(), "hello.com", "/");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
}

TEST(ServedMeshTest, RoutesAnAbsoluteFormRequestOnTheUrisAuthority) {
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  RawClient client(mesh->gatewayPort());
  client.send("GET http://hello.com/abs?x=1 HTTP/1.1\r\nHost: unknown.example\r\n\r\n");
  auto r = client.readResponse();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("\"pod\": \"hello-0\""));
  EXPECT_THAT(r->body, HasSubstr("\"path\": \"/abs?x=1\""));
  EXPECT_THAT(r->body, HasSubstr("\"host\": \"hello.com\""));
}

TEST(ServedMeshTest, TheAdminPageHasAThreadOfItsOwn) {
  auto created = ServedMesh::create(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(created.ok()) << created.status().toString();
  ServedMesh& mesh = **created;
  // The data loop is not running: the admin page answers anyway.
  auto ready = get(mesh.adminPort(), "admin", "/ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, 200);
  // A scrape waits for its snapshot from the data loop, and is answered once that runs.
  RawClient scrape(mesh.adminPort());
  scrape.send("GET /stats/prometheus HTTP/1.1\r\nHost: admin\r\n\r\n");
  std::thread data([&] { mesh.run(); });
  auto metrics = scrape.readResponse();
  mesh.stop();
  data.join();
  ASSERT_NE(metrics, nullptr);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("meshsim_downstream_cx_total{namespace=\"istio-system\""));
}

TEST(ServedMeshTest, PromtoolAcceptsTheMetrics) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not installed: install the Debian package prometheus "
                    "(./tools/setup does) to check the exposition format";
  }
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  ASSERT_NE(get(mesh->gatewayPort(), "hello.com", "/"), nullptr);
  ASSERT_NE(get(mesh->gatewayPort(), "nope.example", "/"), nullptr);
  auto metrics = get(mesh->adminPort(), "admin", "/stats/prometheus");
  ASSERT_NE(metrics, nullptr);
  const auto dir =
      std::filesystem::temp_directory_path() / ("meshsim-promtool-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "metrics.prom") << metrics->body;
  const std::string command = "promtool check metrics < '" + (dir / "metrics.prom").string() +
                              "' > '" + (dir / "out.txt").string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(dir / "out.txt");
  std::stringstream out;
  out << in.rdbuf();
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  // Exit 3 means lint findings only; the ones allowed are those Istio's own metrics cause in
  // real Istio scrapes too: no help text (Envoy writes none for them) and a non-base unit
  // (promtool prefers seconds to milliseconds). meshsim's own families carry help text.
  if (code == 3) {
    std::istringstream lines(out.str());
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("istio_") && line.ends_with(" no help text")) {
        continue;
      }
      EXPECT_EQ(line,
                "istio_request_duration_milliseconds use base unit \"seconds\" instead of "
                "\"milliseconds\"");
    }
  } else {
    EXPECT_EQ(code, 0) << out.str();
  }
}

TEST(ServedMeshTest, RoutesToAnAppThatAlreadyRuns) {
  // No sidecar (the default namespace without injection), and the hello pod's app is a real
  // server of the test's (serve --app).
  IoThread io;
  EchoHandler app;
  auto server = startServer(io, app);
  ServeOptions options;
  options.external_apps["default/hello-0"] = {proxy::config::kLoopback, server->port()};  // --app
  Manifests manifests = load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello/gateway.yaml",
                              "fixtures/hello/virtualservice.yaml", "fixtures/hello/hello.yaml"});
  ASSERT_TRUE(addText("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n", "test.yaml",
                      1, manifests)
                  .ok());
  Served mesh(std::move(manifests), options);
  ASSERT_TRUE(mesh.ok());
  auto r = get(mesh->gatewayPort(), "hello.com", "/direct");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /direct 0");
  stopServer(io, server);
}

// An app that answers after `delay`, and notes when a client hangs up on a request first.
class SlowApp : public proxy::RequestHandler {
public:
  SlowApp(proxy::AsioDispatcher& dispatcher, proxy::Duration delay)
      : dispatcher_(dispatcher), delay_(delay) {}
  void onRequest(const proxy::ConnectionInfo& connection, proxy::http::RequestPtr,
                 proxy::ResponseCallback done) override {
    if (connection.cancel != nullptr) {
      connection.cancel->setOnCancel([this] { ++hung_up; });
    }
    dispatcher_.postAfter(delay_, [done = std::move(done)]() mutable {
      auto r = std::make_unique<proxy::http::Response>();
      r->status = 200;
      done(std::move(r), proxy::ResetReason::None);
    });
  }
  std::atomic<int> hung_up{0};

private:
  proxy::AsioDispatcher& dispatcher_;
  proxy::Duration delay_;
};

// The line of `text` that has every one of `parts`, or "".
std::string lineWith(const std::string& text, const std::vector<std::string>& parts) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (const auto& p : parts) {
      all = all && line.find(p) != std::string::npos;
    }
    if (all) {
      return line;
    }
  }
  return "";
}

// As in simulation (and Envoy): the gateway's route timeout resets its attempt, which on HTTP/1.1
// closes the connection; the hello pod's sidecar sees its client go away, records the request as
// response code 0 with DC, and resets its own request to the app.
TEST(ServedMeshTest, ARouteTimeoutResetsTheUpstreamAndTheSidecarRecordsDC) {
  IoThread io;
  SlowApp app(io.dispatcher(), std::chrono::seconds(3));
  auto server = startServer(io, app);
  ServeOptions options;
  options.external_apps["default/hello-0"] = {proxy::config::kLoopback, server->port()};  // --app
  Manifests manifests = load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello/namespace.yaml",
                              "fixtures/hello/gateway.yaml", "fixtures/hello/hello.yaml"});
  ASSERT_TRUE(addText(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: frontend-ingress, namespace: default}
spec:
  hosts: [hello.com]
  gateways: [hello-gateway]
  http:
  - timeout: 0.2s
    route:
    - destination: {host: hello.default.svc.cluster.local, port: {number: 80}}
)",
                      "vs.yaml", 1, manifests)
                  .ok());
  {
    Served mesh(std::move(manifests), options);
    ASSERT_TRUE(mesh.ok());
    auto r = get(mesh->gatewayPort(), "hello.com", "/slow");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 504);
    // The sidecar hears of the reset when the closed connection reaches it: look for a while.
    std::string sample;
    for (int i = 0; i < 100 && sample.empty(); ++i) {
      auto metrics = get(mesh->adminPort(), "admin", "/stats/prometheus");
      ASSERT_NE(metrics, nullptr);
      sample = lineWith(metrics->body, {"istio_requests_total{", "reporter=\"destination\"",
                                        "response_code=\"0\"", "response_flags=\"DC\""});
      if (sample.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    EXPECT_THAT(sample, HasSubstr("pod=\"hello-0\"} 1")) << "no 0 DC sample from the sidecar";
    auto metrics = get(mesh->adminPort(), "admin", "/stats/prometheus");
    ASSERT_NE(metrics, nullptr);
    EXPECT_THAT(lineWith(metrics->body, {"istio_requests_total{", "reporter=\"source\"",
                                         "response_code=\"504\"", "response_flags=\"UT\""}),
                HasSubstr("} 1"));
    // The sidecar reset its own request: the app's connection closed before it answered.
    for (int i = 0; i < 100 && app.hung_up == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(app.hung_up, 1);
  }
  stopServer(io, server);
}

TEST(ServedMeshTest, RoutesAServiceEntryHostToARealServerOnLoopback) {
  // A STATIC ServiceEntry endpoint on 127.0.0.1 is a real server on this machine: the gateway
  // connects to it directly (no sidecar, no app of the mesh).
  IoThread io;
  EchoHandler backend;
  auto server = startServer(io, backend);
  Served mesh(serviceEntryMesh(server->port()));
  ASSERT_TRUE(mesh.ok());
  auto r = get(mesh->gatewayPort(), "hello.com", "/from-the-entry");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /from-the-entry 0");
  auto metrics = get(mesh->adminPort(), "admin", "/stats/prometheus");
  ASSERT_NE(metrics, nullptr);
  EXPECT_THAT(metrics->body, HasSubstr("destination_service=\"backend.example.com\""));
  EXPECT_THAT(metrics->body, HasSubstr("destination_service_name=\"backend.example.com\","
                                       "destination_service_namespace=\"default\""));
  stopServer(io, server);
}

TEST(ServedMeshTest, AServiceEntryEndpointNobodyListensOnIs503) {
  // Bind a port, then close it: connecting there is refused.
  uint16_t closed_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
    closed_port = a.local_endpoint().port();
  }
  Served mesh(serviceEntryMesh(closed_port));
  ASSERT_TRUE(mesh.ok());
  auto r = get(mesh->gatewayPort(), "hello.com", "/");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 503);
  auto metrics = get(mesh->adminPort(), "admin", "/stats/prometheus");
  ASSERT_NE(metrics, nullptr);
  EXPECT_THAT(metrics->body, HasSubstr("response_flags=\"UF"));
}

TEST(ServedMeshTest, ReportsAGatewayPortInUse) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  ServeOptions options;
  options.gateway_port = taken.local_endpoint().port();
  auto mesh =
      ServedMesh::create(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}), options);
  ASSERT_FALSE(mesh.ok());
  EXPECT_EQ(mesh.status().code(), StatusCode::Unavailable);
}

// The gateway port (--port) is the listener gateway discovery (k8s::findIngress, which explain
// and Mesh::ingressAddress use too) names: the default ingress Service's port 80 on its first
// gateway pod, although the Service lists its status port first.
TEST(ServedMeshTest, TheGatewayPortIsTheListenerFindIngressNames) {
  auto mesh = ServedMesh::create(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok()) << mesh.status().toString();
  auto ingress = k8s::findIngress((*mesh)->world(), "");
  ASSERT_TRUE(ingress.ok()) << ingress.status().toString();
  ASSERT_FALSE(ingress->endpoints.empty());
  const auto& first = ingress->endpoints.front();
  const ServedEndpoint& primary = (*mesh)->endpoints().front();
  EXPECT_EQ(primary.kind, ServedEndpoint::Kind::Gateway);
  EXPECT_EQ(primary.pod, (*mesh)->world().pods()[first.pod].id());
  EXPECT_EQ(primary.virtual_address,
            (proxy::config::Address{(*mesh)->world().pods()[first.pod].ip, first.port}));
  EXPECT_EQ(primary.real_address.port, (*mesh)->gatewayPort());
}

// Runs `f` on the served mesh's io_context thread (where its world lives) and waits for it.
template <typename F>
auto onLoop(ServedMesh& mesh, F f) {
  std::promise<decltype(f())> result;
  boost::asio::post(mesh.ioContext(), [&] { result.set_value(f()); });
  return result.get_future().get();
}

// Two more sidecars: a in default (the hello pod's scope), c in namespace other.
constexpr const char* kScopes = R"(
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: default}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: a, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: c, namespace: other}
spec:
  selector: {matchLabels: {app: c}}
  template:
    metadata: {labels: {app: c}}
    spec: {containers: [{name: c, image: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: c, namespace: other}
spec: {selector: {app: c}, ports: [{name: http, port: 80, targetPort: 8080}]}
)";

// Serve runs the simulator's world (sim::Mesh) on real sockets, so it takes configuration pushes
// as a simulated mesh does: a VirtualService and a Sidecar applied while serving reach the
// gateway and rescope the sidecars, and the sidecars of one scope hold one shared snapshot.
TEST(ServedMeshTest, TakesPushesAndScopesItsSidecarsAsTheSimulatedWorldDoes) {
  Manifests manifests = load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"});
  ASSERT_TRUE(addText(kScopes, "scopes.yaml", 1, manifests).ok());
  Served mesh(std::move(manifests));
  ASSERT_TRUE(mesh.ok());
  const auto shared_of = [&](const std::string& ns, const std::string& pod) {
    return onLoop(*mesh, [&] {
      const k8s::PodState* p = mesh->world().findPod(ns, pod);
      proxy::Proxy* proxy =
          p == nullptr ? nullptr : mesh->mesh().proxyOf(mesh->world().indexOf(*p));
      return proxy == nullptr ? nullptr : proxy->config().shared;
    });
  };
  const auto before = shared_of("default", "hello-0");
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before, shared_of("default", "a-0"));  // one object for the scope
  EXPECT_NE(before, shared_of("other", "c-0"));
  EXPECT_NE(before->clusters()->find("outbound|80||c.other.svc.cluster.local"), nullptr);
  auto r = get(mesh->gatewayPort(), "hello.com", "/");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);

  Manifests more;
  ASSERT_TRUE(addText(R"(apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress: [{hosts: ["./*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: frontend-ingress, namespace: default}
spec:
  hosts: [hello.com]
  gateways: [hello-gateway]
  http:
  - fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route:
    - destination: {host: hello.default.svc.cluster.local, port: {number: 80}}
)",
                      "push.yaml", 1, more)
                  .ok());
  const Status applied = onLoop(*mesh, [&] { return mesh->mesh().apply(more, {}); });
  ASSERT_TRUE(applied.ok()) << applied.toString();
  // The push runs on the loop after the apply; a request sent after it sees the new routes.
  std::shared_ptr<const proxy::SharedConfig> after;
  for (int i = 0; i < 200 && (after == nullptr || after == before); ++i) {
    after = shared_of("default", "hello-0");
    if (after == before) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ASSERT_NE(after, before);
  EXPECT_EQ(after, shared_of("default", "a-0"));
  EXPECT_EQ(after->clusters()->find("outbound|80||c.other.svc.cluster.local"), nullptr);
  EXPECT_NE(shared_of("other", "c-0")->clusters()->find("outbound|80||c.other.svc.cluster.local"),
            nullptr);
  r = get(mesh->gatewayPort(), "hello.com", "/");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 418);
}

// The pods whose app or sidecar the served mesh lists now (read on its loop).
std::set<std::string> listedPods(ServedMesh& mesh, ServedEndpoint::Kind kind) {
  return onLoop(mesh, [&] {
    std::set<std::string> out;
    for (const auto& e : mesh.endpoints()) {
      if (e.kind == kind) {
        out.insert(e.pod);
      }
    }
    return out;
  });
}

// Scenario events work on a served mesh too: a scale-up starts a pod with its sidecar listener
// and app server, and the gateway reaches it once kube-proxy and the proxies have the push; a
// killed pod's listeners close and the gateway stops sending to it.
TEST(ServedMeshTest, ScaleAndKillWhileServing) {
  Served mesh(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_TRUE(mesh.ok());
  const Status scaled =
      onLoop(*mesh, [&] { return mesh->mesh().scale("default", "hello", 2, {}); });
  ASSERT_TRUE(scaled.ok()) << scaled.toString();
  EXPECT_EQ(listedPods(*mesh, ServedEndpoint::Kind::Sidecar),
            (std::set<std::string>{"default/hello-0", "default/hello-1"}));
  EXPECT_EQ(listedPods(*mesh, ServedEndpoint::Kind::App),
            (std::set<std::string>{"default/hello-0", "default/hello-1"}));
  std::set<std::string> served;
  for (int i = 0; i < 200 && served.size() < 2; ++i) {
    auto r = get(mesh->gatewayPort(), "hello.com", "/");
    ASSERT_NE(r, nullptr);
    ASSERT_EQ(r->status, 200);
    served.insert(r->body.find("\"pod\": \"hello-1\"") != std::string::npos ? "hello-1"
                                                                            : "hello-0");
  }
  EXPECT_EQ(served.size(), 2U) << "the gateway never reached the new pod";

  const Status killed = onLoop(
      *mesh, [&] { return mesh->mesh().killPod("default", "hello-0", {}, /*replace=*/false); });
  ASSERT_TRUE(killed.ok()) << killed.toString();
  EXPECT_EQ(listedPods(*mesh, ServedEndpoint::Kind::Sidecar),
            (std::set<std::string>{"default/hello-1"}));
  EXPECT_EQ(listedPods(*mesh, ServedEndpoint::Kind::App),
            (std::set<std::string>{"default/hello-1"}));
  // Once the push has reached the gateway, every request goes to hello-1.
  int in_a_row = 0;
  for (int i = 0; i < 400 && in_a_row < 20; ++i) {
    auto r = get(mesh->gatewayPort(), "hello.com", "/");
    ASSERT_NE(r, nullptr);
    const bool to_survivor =
        r->status == 200 && r->body.find("\"pod\": \"hello-1\"") != std::string::npos;
    in_a_row = to_survivor ? in_a_row + 1 : 0;
  }
  EXPECT_EQ(in_a_row, 20) << "requests still fail or reach the killed pod";
}

TEST(ServedMeshTest, NeedsAnIngressGateway) {
  auto mesh = ServedMesh::create(load({"fixtures/hello"}));
  ASSERT_FALSE(mesh.ok());
  EXPECT_EQ(mesh.status().code(), StatusCode::FailedPrecondition);
}

}  // namespace
}  // namespace meshsim::sim::serve
