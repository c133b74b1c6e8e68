// Driving a built Mesh: sending (from the ingress, pods, deployments; sync, batches, async),
// virtual time, what apps received, metrics, the service graph and access logs.

#include "meshsim/mesh.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "canary_yaml.h"
#include "meshsim/testing.h"

namespace meshsim {
namespace {

using namespace std::chrono_literals;
using ::meshsim::embed_test::kCanaryYaml;
using ::meshsim::testing::FailedWith;
using ::meshsim::testing::HasHeader;
using ::meshsim::testing::HasStatus;
using ::meshsim::testing::HasValue;
using ::meshsim::testing::ServedBy;
using ::meshsim::testing::Succeeded;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::DoubleNear;
using ::testing::Each;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
using ::testing::SizeIs;

class EmbeddedMeshTest : public ::testing::Test {
protected:
  Mesh mesh_ = Mesh::fromYaml(kCanaryYaml).value();
};

TEST_F(EmbeddedMeshTest, SendOneFromTheIngress) {
  Result<Response> r = mesh_.send(Request::get("http://hello.com/api/items?x=1"));
  ASSERT_THAT(r, Succeeded());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->error.empty());
  EXPECT_THAT(r->header("server"), Optional(std::string("istio-envoy")));
  EXPECT_THAT(r->header("x-route"), Optional(std::string("api")));
  ASSERT_TRUE(r->served_by.has_value());
  EXPECT_EQ(r->served_by->id(), "default/hello-v2-0");
  EXPECT_EQ(r->served_by->workload, "hello-v2");
  EXPECT_TRUE(r->served_by->sidecar);
  EXPECT_FALSE(r->served_by->gateway);
  EXPECT_THAT(r->served_by->labels, Contains(Pair("version", "v2")));
  // The request as the app saw it: rewritten, with the route's header and the gateway's.
  ASSERT_TRUE(r->upstream.has_value());
  EXPECT_EQ(r->upstream->pod.id(), "default/hello-v2-0");
  EXPECT_EQ(r->upstream->method, "GET");
  EXPECT_EQ(r->upstream->authority, "hello.com");
  EXPECT_EQ(r->upstream->path, "/v2/api/items?x=1");
  EXPECT_THAT(r->upstream->headers.get("x-version"), Optional(std::string("2")));
  EXPECT_THAT(r->upstream->headers.get("x-forwarded-for"), Optional(std::string("198.51.100.1")));
  EXPECT_EQ(r->latency, 0ns);
}

TEST_F(EmbeddedMeshTest, SendCarriesMethodHeadersBodyAndHost) {
  Result<Response> r = mesh_.send(Request::post("http://hello.com:80/api", "payload")
                                      .withHeader("X-User", "alice")
                                      .withHeader("host", "hello.com"));
  ASSERT_THAT(r, Succeeded());
  ASSERT_TRUE(r->upstream.has_value());
  EXPECT_EQ(r->upstream->method, "POST");
  EXPECT_EQ(r->upstream->body, "payload");
  EXPECT_EQ(r->upstream->authority, "hello.com");
  EXPECT_THAT(r->upstream->headers.get("x-user"), Optional(std::string("alice")));
  EXPECT_THAT(r->upstream->headers.get("content-length"), Optional(std::string("7")));
}

TEST_F(EmbeddedMeshTest, AnHttp2ClientDoesNotMakeTheAppsHopHttp2) {
  Request h2 = Request::get("http://hello.com/");
  h2.protocol = "HTTP/2";
  Result<Response> r = mesh_.send(h2);
  ASSERT_THAT(r, Succeeded());
  ASSERT_TRUE(r->upstream.has_value());
  EXPECT_EQ(r->upstream->protocol, "HTTP/1.1");  // the hello port is "http"
  h2.protocol = "SPDY/3";
  EXPECT_THAT(mesh_.send(h2), FailedWith(ErrorCode::InvalidArgument, HasSubstr("HTTP/2")));
}

TEST_F(EmbeddedMeshTest, ProxyRepliesHaveNoServingPod) {
  Result<Response> redirect = mesh_.send(Request::get("http://hello.com/old"));
  ASSERT_THAT(redirect, Succeeded());
  EXPECT_EQ(redirect->status, 301);
  EXPECT_THAT(redirect->header("location"), Optional(std::string("http://hello.com/new")));
  EXPECT_FALSE(redirect->served_by.has_value());
  EXPECT_FALSE(redirect->upstream.has_value());

  Result<Response> no_route = mesh_.send(Request::get("http://unknown.example/"));
  ASSERT_THAT(no_route, Succeeded());
  EXPECT_EQ(no_route->status, 404);
  EXPECT_FALSE(no_route->served_by.has_value());
}

TEST_F(EmbeddedMeshTest, FollowRedirectsEndsWhereTheChainEnds) {
  Request request = Request::get("http://hello.com/old");
  request.follow_redirects = 5;
  Result<Response> r = mesh_.send(request);
  ASSERT_THAT(r, Succeeded());
  ASSERT_EQ(r->redirects.size(), 1u);
  EXPECT_EQ(r->redirects[0].status, 301);
  EXPECT_EQ(r->redirects[0].location, "http://hello.com/new");
  EXPECT_EQ(r->redirects[0].followed, "http://hello.com/new");
  EXPECT_EQ(r->redirects[0].not_followed, "");
  // The chain's last request, /new, as the canary's routes answer it.
  Result<Response> direct = mesh_.send(Request::get("http://hello.com/new"));
  ASSERT_THAT(direct, Succeeded());
  EXPECT_EQ(r->status, direct->status);
  request.follow_redirects = -1;
  EXPECT_THAT(mesh_.send(request), FailedWith(ErrorCode::InvalidArgument));
}

TEST_F(EmbeddedMeshTest, NothingListeningIsNoResponse) {
  // Port 8443 of the gateway Service has no listener: no Gateway server opens it.
  Result<Response> r = mesh_.send(Request::get("https://hello.com:8443/"));
  ASSERT_THAT(r, Succeeded());
  EXPECT_EQ(r->status, 0);
  EXPECT_EQ(r->error, "refused");
  EXPECT_THAT(r, HasStatus(0));
}

TEST_F(EmbeddedMeshTest, SendCountSendsOneAfterTheOther) {
  Result<Responses> r = mesh_.send(Request::get("http://hello.com/"), 1000);
  ASSERT_THAT(r, Succeeded());
  EXPECT_EQ(r->size(), 1000u);
  EXPECT_EQ(r->countStatus(200), 1000u);
  EXPECT_NEAR(r->shareServedBy("hello-v2"), 0.10, 0.03);
  EXPECT_EQ(r->countServedBy("hello-v1") + r->countServedBy("hello-v2"), 1000u);
  EXPECT_THAT(mesh_.receivedRequests(), SizeIs(1000));
}

TEST_F(EmbeddedMeshTest, TrafficOpenLoopAdvancesVirtualTime) {
  EXPECT_EQ(mesh_.now(), 0ns);
  Result<Responses> r =
      mesh_.send(Request::get("http://hello.com/"), Traffic{.count = 5, .rate = 10});
  ASSERT_THAT(r, Succeeded());
  EXPECT_THAT(*r, HasStatus(200));
  EXPECT_EQ(mesh_.now(), 400ms);  // the 5th request leaves at 4 / 10 s
  const auto& received = mesh_.receivedRequests();
  ASSERT_THAT(received, SizeIs(5));
  EXPECT_EQ(received[0].at, 0ns);
  EXPECT_EQ(received[4].at, 400ms);
}

TEST_F(EmbeddedMeshTest, TrafficClosedLoopWithConcurrency) {
  Result<Responses> r =
      mesh_.send(Request::get("http://hello.com/"), Traffic{.count = 7, .concurrency = 3});
  ASSERT_THAT(r, Succeeded());
  EXPECT_EQ(r->size(), 7u);
  EXPECT_THAT(*r, HasStatus(200));
}

TEST_F(EmbeddedMeshTest, BadTrafficFailsAndSendsNothing) {
  const Request get = Request::get("http://hello.com/");
  EXPECT_THAT(mesh_.send(get, 0), FailedWith(ErrorCode::InvalidArgument, HasSubstr("count")));
  EXPECT_THAT(mesh_.send(get, Traffic{.count = 2, .concurrency = 0}),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("concurrency")));
  EXPECT_THAT(mesh_.send(get, Traffic{.count = 2, .rate = -1}),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("rate")));
  EXPECT_THAT(mesh_.send(Request::get("hello.com/")),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("http://")));
  EXPECT_THAT(mesh_.send(Request::get("http://hello.com:99999/")),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("port")));
  Request no_method = get;
  no_method.method = "";
  EXPECT_THAT(mesh_.send(no_method), FailedWith(ErrorCode::InvalidArgument, HasSubstr("method")));
  EXPECT_THAT(mesh_.receivedRequests(), IsEmpty());
}

TEST_F(EmbeddedMeshTest, SendFromAPodGoesThroughItsSidecar) {
  Result<Response> r = mesh_.send(Request::get("http://hello/api"), From::pod("sleep-0"));
  ASSERT_THAT(r, Succeeded());
  EXPECT_THAT(*r, AllOf(HasStatus(200), ServedBy("hello-v2")));
  EXPECT_EQ(r->upstream->path, "/v2/api");  // the mesh VirtualService applies in the sidecar

  Result<Responses> batch = mesh_.send(Request::get("http://hello.default.svc.cluster.local/"), 4,
                                       From::deployment("sleep"));
  ASSERT_THAT(batch, Succeeded());
  EXPECT_THAT(*batch, HasStatus(200));
}

TEST_F(EmbeddedMeshTest, BadSendersFail) {
  const Request get = Request::get("http://hello/");
  EXPECT_THAT(mesh_.send(get, From::pod("nope-0")),
              FailedWith(ErrorCode::NotFound, HasSubstr("pod default/nope-0")));
  EXPECT_THAT(mesh_.send(get, From::deployment("sleep", "other")),
              FailedWith(ErrorCode::NotFound, HasSubstr("deployment other/sleep")));
  EXPECT_THAT(mesh_.send(get, From::pod("istio-ingressgateway-0", "istio-system")),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("gateway")));
  EXPECT_THAT(mesh_.send(Request::get("http://nowhere/"), From::pod("sleep-0")),
              FailedWith(ErrorCode::NotFound, HasSubstr("cannot resolve host \"nowhere\"")));
  EXPECT_THAT(mesh_.send(get, From::ingress("istio-system/none")),
              FailedWith(ErrorCode::NotFound, HasSubstr("istio-system/none")));
  EXPECT_THAT(mesh_.send(get, From::ingress("no-slash")), FailedWith(ErrorCode::InvalidArgument));
}

// A pod reaches a ServiceEntry host as its resolver answers it (the entry's address), through its
// sidecar, as the scenario runner's `from: pod/...` streams do. Nothing answers at the entry's
// endpoint in a simulation: the sidecar retries the refused connection and answers 503.
TEST(EmbeddedMeshServiceEntryTest, APodSendsToAServiceEntryHost) {
  auto mesh = MeshBuilder()
                  .addYaml(kCanaryYaml)
                  .addYaml(R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: default}
spec:
  hosts: [api.partner.com]
  location: MESH_EXTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 203.0.113.7}]
)")
                  .build();
  ASSERT_THAT(mesh, Succeeded());
  Result<Response> r =
      mesh->send(Request::get("http://api.partner.com/quote"), From::pod("sleep-0"));
  ASSERT_THAT(r, Succeeded());
  EXPECT_EQ(r->status, 503);
  EXPECT_FALSE(r->served_by.has_value());
  EXPECT_THAT(
      mesh->metric(
          R"(sum(istio_requests_total{reporter="source",source_workload="sleep",destination_service="api.partner.com",response_code="503"}))"),
      HasValue(1.0));
}

TEST_F(EmbeddedMeshTest, SendThroughANamedGateway) {
  EXPECT_THAT(mesh_.send(Request::get("http://hello.com/"),
                         From::ingress("istio-system/istio-ingressgateway")),
              HasStatus(200));
}

TEST(FromTest, Describes) {
  EXPECT_EQ(From::ingress().toString(), "ingress");
  EXPECT_EQ(From::ingress("istio-system/gw").toString(), "ingress/istio-system/gw");
  EXPECT_EQ(From::pod("sleep-0").toString(), "pod default/sleep-0");
  EXPECT_EQ(From::deployment("sleep", "ns").toString(), "deployment ns/sleep");
  std::ostringstream os;
  os << From::pod("a", "b");
  EXPECT_EQ(os.str(), "pod b/a");
}

TEST_F(EmbeddedMeshTest, SendAsyncAnswersDuringAdvanceTime) {
  std::vector<Response> responses;
  ASSERT_THAT(mesh_.sendAsync(Request::get("http://hello.com/api"),
                              [&](const Response& r) { responses.push_back(r); }),
              Succeeded());
  ASSERT_THAT(mesh_.sendAsync(
                  Request::get("http://hello/"), [&](const Response& r) { responses.push_back(r); },
                  From::pod("sleep-0")),
              Succeeded());
  EXPECT_THAT(responses, IsEmpty());  // never inline
  mesh_.advanceTime(250ms);
  EXPECT_EQ(mesh_.now(), 250ms);
  ASSERT_THAT(responses, SizeIs(2));
  EXPECT_THAT(responses, Each(HasStatus(200)));
  EXPECT_EQ(responses[0].served_by->workload, "hello-v2");
  ASSERT_TRUE(responses[0].upstream.has_value());
  EXPECT_EQ(responses[0].upstream->path, "/v2/api");

  mesh_.advanceTime(-5ms);  // a negative duration does not move the clock back
  EXPECT_EQ(mesh_.now(), 250ms);
}

TEST_F(EmbeddedMeshTest, DelaysTakeVirtualTime) {
  Result<Response> r = mesh_.send(Request::get("http://hello.com/slow"));
  ASSERT_THAT(r, Succeeded());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->latency, 2s);
  EXPECT_EQ(mesh_.now(), 2s);

  std::vector<Response> responses;
  ASSERT_THAT(mesh_.sendAsync(Request::get("http://hello.com/slow"),
                              [&](const Response& response) { responses.push_back(response); }),
              Succeeded());
  mesh_.advanceTime(1500ms);
  EXPECT_THAT(responses, IsEmpty());
  mesh_.advanceTime(500ms);
  ASSERT_THAT(responses, SizeIs(1));
  EXPECT_EQ(responses[0].latency, 2s);
  EXPECT_EQ(mesh_.now(), 4s);

  ASSERT_THAT(mesh_.sendAsync(Request::get("http://hello.com/slow"),
                              [&](const Response& response) { responses.push_back(response); }),
              Succeeded());
  mesh_.runUntilIdle();
  EXPECT_THAT(responses, SizeIs(2));
  EXPECT_EQ(mesh_.now(), 6s);  // the clock stops at the last event
}

TEST_F(EmbeddedMeshTest, SendAsyncThenRunUntilIdleOrASyncSend) {
  int done = 0;
  ASSERT_THAT(mesh_.sendAsync(Request::get("http://hello.com/"), [&](const Response&) { ++done; }),
              Succeeded());
  mesh_.runUntilIdle();
  EXPECT_EQ(done, 1);
  EXPECT_EQ(mesh_.now(), 0ns);
  ASSERT_THAT(mesh_.sendAsync(Request::get("http://hello.com/"), [&](const Response&) { ++done; }),
              Succeeded());
  EXPECT_THAT(mesh_.send(Request::get("http://hello.com/")), HasStatus(200));
  EXPECT_EQ(done, 2);  // the earlier request completed while send() ran the loop
}

TEST_F(EmbeddedMeshTest, SendAsyncFailsOnBadInput) {
  EXPECT_THAT(mesh_.sendAsync(Request::get("nope"), [](const Response&) {}),
              FailedWith(ErrorCode::InvalidArgument));
  EXPECT_THAT(mesh_.sendAsync(Request::get("http://hello.com/"), nullptr),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("callback")));
}

TEST_F(EmbeddedMeshTest, ReceivedRequests) {
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/"), 50), Succeeded());
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/old")), Succeeded());  // no app
  EXPECT_THAT(mesh_.receivedRequests(), SizeIs(50));
  const auto v2 = mesh_.receivedBy("version=v2");
  const auto v1 = mesh_.receivedBy(PodSelector::workload("hello-v1"));
  EXPECT_EQ(v1.size() + v2.size(), 50u);
  EXPECT_THAT(v2, Each(Field(&ReceivedRequest::pod, Field(&PodInfo::workload, "hello-v2"))));
  EXPECT_THAT(v1, Each(HasHeader("x-forwarded-proto", "http")));
  mesh_.clearReceivedRequests();
  EXPECT_THAT(mesh_.receivedRequests(), IsEmpty());
  EXPECT_THAT(mesh_.receivedBy("hello-v1"), IsEmpty());
}

TEST(MeshOptionsTest, RecordRequestsOffStillGivesEachResponseItsUpstream) {
  MeshOptions options;
  options.record_requests = false;
  Mesh mesh = Mesh::fromYaml(kCanaryYaml, options).value();
  Result<Response> r = mesh.send(Request::get("http://hello.com/api"));
  ASSERT_THAT(r, Succeeded());
  EXPECT_TRUE(r->upstream.has_value());
  EXPECT_THAT(mesh.receivedRequests(), IsEmpty());
}

TEST_F(EmbeddedMeshTest, Metric) {
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/"), 100), Succeeded());
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/old")), Succeeded());
  EXPECT_EQ(mesh_.metric(R"(sum(istio_requests_total{reporter="source",response_code="200"}))"),
            100);
  EXPECT_EQ(mesh_.metric(R"(sum(istio_requests_total{reporter="destination"}))"), 100);
  EXPECT_EQ(mesh_.metric(R"(sum(istio_requests_total{response_code="301"}))"), 1);
  EXPECT_EQ(mesh_.metric(R"(sum(istio_requests_total{response_code="500"}))"), 0);
  EXPECT_EQ(mesh_.metric("1 + 2"), 3);
  EXPECT_THAT(mesh_.metric("sum(istio_requests_total{"),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("column")));
  // Several series where one number was asked for.
  EXPECT_THAT(mesh_.metric("sum by (reporter) (istio_requests_total)"),
              FailedWith(ErrorCode::InvalidArgument));
}

TEST_F(EmbeddedMeshTest, RangeQueriesSeeThePeriodicScrapes) {
  // 10 requests per second for two minutes of virtual time, scraped every 15 s.
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/"), Traffic{.count = 1200, .rate = 10}),
              Succeeded());
  const std::string rate = R"(sum(rate(istio_requests_total{reporter="source"}[1m])))";
  EXPECT_THAT(mesh_.metric(rate), HasValue(DoubleNear(10, 0.5)));
  mesh_.advanceTime(5min);  // nothing sent since: the rate falls to 0
  EXPECT_EQ(mesh_.metric(rate), 0);
  EXPECT_EQ(mesh_.metric(R"(sum(istio_requests_total{reporter="source"}))"), 1200);

  MeshOptions no_scrapes;
  no_scrapes.scrape_interval = 0s;
  Mesh mesh = Mesh::fromYaml(kCanaryYaml, no_scrapes).value();
  ASSERT_THAT(mesh.send(Request::get("http://hello.com/"), Traffic{.count = 1200, .rate = 10}),
              Succeeded());
  EXPECT_EQ(mesh.metric(rate), 0);  // one point per series: no rate
  EXPECT_EQ(mesh.metric(R"(sum(istio_requests_total{reporter="source"}))"), 1200);
}

TEST_F(EmbeddedMeshTest, MetricSamples) {
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/"), 100), Succeeded());
  Result<std::vector<MetricSample>> samples = mesh_.metricSamples(
      R"(sum by (destination_version) (istio_requests_total{reporter="source"}))");
  ASSERT_THAT(samples, Succeeded());
  ASSERT_THAT(*samples, SizeIs(2));
  EXPECT_EQ((*samples)[0].labels, (Labels{{"destination_version", "v1"}}));
  EXPECT_EQ((*samples)[1].labels, (Labels{{"destination_version", "v2"}}));
  EXPECT_EQ((*samples)[0].value + (*samples)[1].value, 100);
  Result<std::vector<MetricSample>> raw = mesh_.metricSamples(
      R"(istio_requests_total{reporter="destination",destination_version="v1"})");
  ASSERT_THAT(raw, Succeeded());
  ASSERT_THAT(*raw, SizeIs(1));
  EXPECT_EQ((*raw)[0].name, "istio_requests_total");
  EXPECT_THAT((*raw)[0].labels, Contains(Pair("pod", "hello-v1-0")));
  EXPECT_THAT(mesh_.metricSamples("rate("), FailedWith(ErrorCode::InvalidArgument));
  std::ostringstream os;
  os << MetricSample{"m", {{"a", "1"}, {"b", "2"}}, 3};
  EXPECT_EQ(os.str(), "m{a=\"1\",b=\"2\"} 3");
}

TEST_F(EmbeddedMeshTest, PrometheusText) {
  EXPECT_EQ(mesh_.prometheusText(), "");  // Istio's metrics appear on first use
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/")), Succeeded());
  const std::string text = mesh_.prometheusText();
  EXPECT_THAT(text, HasSubstr("# TYPE istio_requests_total counter"));
  EXPECT_THAT(text, HasSubstr("pod=\"istio-ingressgateway-0\""));
}

TEST_F(EmbeddedMeshTest, ServiceGraph) {
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/"), 100), Succeeded());
  const ServiceGraph g = mesh_.serviceGraph();
  EXPECT_THAT(g.nodes, Contains(AllOf(Field(&ServiceGraph::Node::id, "svc_default_hello"),
                                      Field(&ServiceGraph::Node::type, "service"),
                                      Field(&ServiceGraph::Node::name, "hello"))));
  EXPECT_THAT(g.nodes,
              Contains(AllOf(Field(&ServiceGraph::Node::id, "wl_istio-system_istio-ingressgateway"),
                             Field(&ServiceGraph::Node::type, "workload"),
                             Field(&ServiceGraph::Node::ingress_gateway, true))));
  const ServiceGraph::Edge* in =
      g.edge("wl_istio-system_istio-ingressgateway", "svc_default_hello");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->requests, 100);
  EXPECT_EQ(in->error_ratio, 0);
  const ServiceGraph::Edge* v1 = g.edge("svc_default_hello", "wl_default_hello-v1");
  const ServiceGraph::Edge* v2 = g.edge("svc_default_hello", "wl_default_hello-v2");
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v1->requests + v2->requests, 100);
  EXPECT_EQ(g.edge("svc_default_hello", "nowhere"), nullptr);
  std::ostringstream os;
  os << *in << " | " << g.nodes.front();
  EXPECT_THAT(os.str(), HasSubstr("wl_istio-system_istio-ingressgateway -> svc_default_hello (100 "
                                  "requests, 0% errors) | "));
  EXPECT_THAT(g.dot, HasSubstr("digraph"));
  EXPECT_THAT(g.json, HasSubstr("\"graphType\""));
}

TEST_F(EmbeddedMeshTest, AccessLog) {
  ASSERT_THAT(mesh_.send(Request::get("http://hello.com/api")), Succeeded());
  ASSERT_THAT(mesh_.send(Request::get("http://unknown.example/x")), Succeeded());
  const auto log = mesh_.accessLog();
  // The gateway and the hello-v2 sidecar log the first request, the gateway the 404.
  ASSERT_THAT(log, SizeIs(3));
  EXPECT_THAT(log, Contains(AllOf(Field(&AccessLogEntry::pod, "hello-v2-0"),
                                  Field(&AccessLogEntry::namespace_name, "default"),
                                  // %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%: before the rewrite
                                  Field(&AccessLogEntry::path, "/api"),
                                  Field(&AccessLogEntry::response_code, 200),
                                  Field(&AccessLogEntry::upstream_cluster, "inbound|8080||"))));
  EXPECT_THAT(log, Contains(AllOf(Field(&AccessLogEntry::pod, "istio-ingressgateway-0"),
                                  Field(&AccessLogEntry::path, "/x"),
                                  Field(&AccessLogEntry::authority, "unknown.example"),
                                  Field(&AccessLogEntry::response_code, 404),
                                  Field(&AccessLogEntry::response_flags, "NR"))));
  for (const auto& e : log) {
    EXPECT_THAT(e.line, HasSubstr("\"" + e.method + " " + e.path + " HTTP/1.1\""));
    std::ostringstream os;
    os << e;
    EXPECT_EQ(os.str(), "[" + e.namespace_name + "/" + e.pod + "] " + e.line);
  }
  MeshOptions off;
  off.access_log = false;
  Mesh quiet = Mesh::fromYaml(kCanaryYaml, off).value();
  ASSERT_THAT(quiet.send(Request::get("http://hello.com/")), Succeeded());
  EXPECT_THAT(quiet.accessLog(), IsEmpty());
}

TEST_F(EmbeddedMeshTest, PodsWarningsAndPrinting) {
  EXPECT_THAT(mesh_.pods(), SizeIs(4));
  EXPECT_THAT(mesh_.pods(), Contains(AllOf(Field(&PodInfo::name, "istio-ingressgateway-0"),
                                           Field(&PodInfo::gateway, true),
                                           Field(&PodInfo::ip, HasSubstr("10.1.0.")))));
  EXPECT_THAT(mesh_.warnings(), IsEmpty());
  std::ostringstream os;
  os << mesh_;
  EXPECT_EQ(os.str(), "meshsim::Mesh (4 pods, virtual time 0.000 ms)");
}

}  // namespace
}  // namespace meshsim
