#include "sim/driver/traffic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/testing/matchers.h"

namespace meshsim::sim::driver {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ErrorNameTest, NamesEveryResetReason) {
  EXPECT_STREQ(errorName(proxy::ResetReason::ConnectFailure), "refused");
  EXPECT_STREQ(errorName(proxy::ResetReason::Timeout), "timeout");
  // A circuit breaker or pool without room: its own name in reports and the embedding API alike
  // (the scenario runner used to call it "reset").
  EXPECT_STREQ(errorName(proxy::ResetReason::Overflow), "overflow");
  EXPECT_STREQ(errorName(proxy::ResetReason::RemoteReset), "reset");
  EXPECT_STREQ(errorName(proxy::ResetReason::ConnectionTermination), "reset");
}

TEST(SenderTest, ParsesTheFromForms) {
  auto ingress = Sender::parse("ingress", "default");
  ASSERT_THAT(ingress, IsOk());
  EXPECT_EQ(ingress->kind, Sender::Kind::Ingress);
  EXPECT_EQ(ingress->name, "");
  EXPECT_EQ(ingress->describe(), "ingress");
  auto named = Sender::parse("ingress/istio-system/gw", "default");
  ASSERT_THAT(named, IsOk());
  EXPECT_EQ(named->name, "istio-system/gw");
  EXPECT_EQ(named->describe(), "ingress/istio-system/gw");
  auto pod = Sender::parse("pod/sleep-0", "apps");
  ASSERT_THAT(pod, IsOk());
  EXPECT_EQ(pod->kind, Sender::Kind::Pod);
  EXPECT_EQ(pod->describe(), "pod apps/sleep-0");
  auto deployment = Sender::parse("deployment/sleep", "default");
  ASSERT_THAT(deployment, IsOk());
  EXPECT_EQ(deployment->kind, Sender::Kind::Deployment);
  EXPECT_EQ(deployment->describe(), "deployment default/sleep");
  EXPECT_THAT(Sender::parse("ingress/gw", "default"),
              StatusIs(StatusCode::InvalidArgument, ::testing::_));
  EXPECT_THAT(Sender::parse("pod/", "default"),
              StatusIs(StatusCode::InvalidArgument, ::testing::_));
  EXPECT_THAT(Sender::parse("service/hello", "default"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("service/hello")));
}

TEST(RequestTemplateTest, BuildsTheRequestOnce) {
  auto t = RequestTemplate::create("POST", "http://hello.com:8080/api?x=1",
                                   {{"x-a", "1"}, {"Host", "other.com"}}, "body");
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->url().host, "hello.com");
  EXPECT_EQ(t->url().port, 8080);
  auto r = t->make(42);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->authority, "other.com");  // a Host header replaces the URL's
  EXPECT_EQ(r->path, "/api?x=1");
  EXPECT_EQ(r->tag, 42u);
  EXPECT_EQ(r->body, "body");
  ASSERT_NE(r->headers.get("x-a"), nullptr);
  EXPECT_EQ(*r->headers.get("content-length"), "4");
  EXPECT_EQ(r->headers.get("host"), nullptr);

  auto no_host = RequestTemplate::create("GET", "http://hello.com:8080/", {}, "");
  ASSERT_THAT(no_host, IsOk());
  EXPECT_EQ(no_host->make(1)->authority, "hello.com:8080");
  EXPECT_EQ(no_host->make(1)->headers.get("content-length"), nullptr);

  auto own_length = RequestTemplate::create("POST", "http://a/", {{"content-length", "2"}}, "xyz");
  ASSERT_THAT(own_length, IsOk());
  EXPECT_EQ(*own_length->make(1)->headers.get("content-length"), "2");  // as the caller said

  EXPECT_THAT(RequestTemplate::create("", "http://a/", {}, ""),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("empty method")));
  EXPECT_THAT(RequestTemplate::create("GET", "ftp://a/", {}, ""),
              StatusIs(StatusCode::InvalidArgument, ::testing::_));
}

class TargetTest : public ::testing::Test {
protected:
  void SetUp() override {
    Manifests m;
    const std::string root = MESHSIM_SOURCE_DIR;
    ASSERT_THAT(addPath(root + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
    ASSERT_THAT(addPath(root + "/fixtures/hello", m), IsOk());
    ASSERT_THAT(addPath(root + "/fixtures/conformance/clients/sleep.yaml", m), IsOk());
    ASSERT_THAT(addText(R"(apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: default}
spec:
  hosts: [api.partner.com]
  addresses: [240.0.10.1]
  location: MESH_EXTERNAL
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 203.0.113.7}]
)",
                        "<serviceentry>", 1, m),
                IsOk());
    auto mesh = Mesh::create(std::move(m), {});
    ASSERT_THAT(mesh, IsOk());
    mesh_ = std::move(mesh).value();
  }

  StatusOr<Target> resolve(const std::string& from, const std::string& url,
                           TargetPart* part = nullptr) {
    auto u = parseUrl(url);
    EXPECT_THAT(u, IsOk());
    return resolveTarget(*mesh_, Sender::parse(from, "default").value(), *u, part);
  }

  std::unique_ptr<Mesh> mesh_;
};

TEST_F(TargetTest, AnOutsideClientGoesToTheGateway) {
  auto t = resolve("ingress", "http://hello.com/");
  ASSERT_THAT(t, IsOk());
  EXPECT_TRUE(t->pods.empty());
  EXPECT_EQ(t->to, *mesh_->ingressAddress("", 80));
}

TEST_F(TargetTest, APodResolvesServicesAndServiceEntryHosts) {
  auto svc = resolve("deployment/sleep", "http://hello/");
  ASSERT_THAT(svc, IsOk());
  ASSERT_EQ(svc->pods.size(), 1u);
  EXPECT_EQ(svc->pods[0]->name, "sleep-0");
  EXPECT_EQ(svc->to.ip, *mesh_->resolveHost("hello", "default"));
  // The ServiceEntry's address, as Istio's DNS proxy answers it.
  auto external = resolve("pod/sleep-0", "http://api.partner.com/quote");
  ASSERT_THAT(external, IsOk());
  EXPECT_EQ(external->to, (proxy::config::Address{proxy::config::ipv4(240, 0, 10, 1), 80}));
}

TEST_F(TargetTest, FailuresNameThePartAtFault) {
  TargetPart part = TargetPart::Url;
  EXPECT_THAT(resolve("pod/nope-0", "http://hello/", &part),
              StatusIs(StatusCode::NotFound, HasSubstr("no pod default/nope-0")));
  EXPECT_EQ(part, TargetPart::From);
  EXPECT_THAT(resolve("deployment/nope", "http://hello/"),
              StatusIs(StatusCode::NotFound, HasSubstr("no deployment default/nope")));
  EXPECT_THAT(resolve("pod/nope-0", "http://hello/"), StatusIs(StatusCode::NotFound, ::testing::_));
  EXPECT_THAT(resolve("pod/sleep-0", "http://nowhere/", &part),
              StatusIs(StatusCode::NotFound, HasSubstr("cannot resolve host \"nowhere\"")));
  EXPECT_EQ(part, TargetPart::Url);
  EXPECT_THAT(resolve("ingress/istio-system/none", "http://hello.com/", &part),
              StatusIs(StatusCode::NotFound, ::testing::_));
  EXPECT_EQ(part, TargetPart::From);
  auto gateway =
      resolveTarget(*mesh_, Sender::parse("pod/istio-ingressgateway-0", "istio-system").value(),
                    *parseUrl("http://hello/"));
  EXPECT_THAT(gateway, StatusIs(StatusCode::InvalidArgument, HasSubstr("gateway pod")));
}

TEST_F(TargetTest, AStreamPacesItsRequestsAndTagsThem) {
  auto t = resolve("ingress", "http://hello.com/");
  ASSERT_THAT(t, IsOk());
  auto request = RequestTemplate::create("GET", "http://hello.com/", {}, "");
  ASSERT_THAT(request, IsOk());
  std::vector<uint64_t> tags;
  std::vector<uint64_t> indices;
  int in_flight = 0;
  int most_in_flight = 0;
  mesh_->setRequestObserver([&](const k8s::PodState&, const proxy::http::Request& r) {
    tags.push_back(r.tag);
    most_in_flight = std::max(most_in_flight, ++in_flight);
  });
  Stream stream(
      *mesh_, *t, *request, Pacing{.count = 10, .concurrency = 3},
      [](uint64_t index) { return 100 + index; },
      [&](Completion& c) {
        --in_flight;
        indices.push_back(c.index);
        EXPECT_EQ(c.tag, 100 + c.index);
        ASSERT_NE(c.response, nullptr);
        EXPECT_EQ(c.response->status, 200);
      });
  stream.start();
  EXPECT_EQ(stream.sent(), 0u);  // nothing is sent inline
  mesh_->loop().runUntilIdle();
  EXPECT_EQ(stream.sent(), 10u);
  EXPECT_EQ(stream.done(), 10u);
  EXPECT_EQ(indices.size(), 10u);
  EXPECT_EQ(most_in_flight, 3);
  ASSERT_EQ(tags.size(), 10u);
  EXPECT_EQ(tags.front(), 100u);
}

TEST(ResolveLocationTest, FollowsRfc3986References) {
  const Url base = *parseUrl("http://shop.example.com/a/b/page?x=1");
  const auto at = [&](std::string_view location) {
    auto url = resolveLocation(base, location);
    EXPECT_THAT(url, IsOk()) << location;
    return url.ok() ? urlText(*url) : std::string();
  };
  EXPECT_EQ(at("http://other.example.com:8080/x?y=2#frag"), "http://other.example.com:8080/x?y=2");
  EXPECT_EQ(at("https://shop.example.com/"), "https://shop.example.com/");
  EXPECT_EQ(at("//cdn.example.com/img"), "http://cdn.example.com/img");
  EXPECT_EQ(at("/new/./path/../end"), "http://shop.example.com/new/end");
  EXPECT_EQ(at("next"), "http://shop.example.com/a/b/next");
  EXPECT_EQ(at("../up?q=1"), "http://shop.example.com/a/up?q=1");
  EXPECT_EQ(at("../../../../top"), "http://shop.example.com/top");
  EXPECT_EQ(at("?only=query"), "http://shop.example.com/a/b/page?only=query");
  EXPECT_EQ(at("#fragment-only"), "http://shop.example.com/a/b/page?x=1");
  EXPECT_EQ(at("./"), "http://shop.example.com/a/b/");
  EXPECT_THAT(resolveLocation(base, "ftp://files.example.com/x"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("is not an http(s) URL")));
  EXPECT_THAT(resolveLocation(base, "http://:80/x"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("has no host")));
}

// A stream that follows redirects, against apps that redirect (status and Location from the
// workload behaviour): method and body per status code, and the hops in the completion.
class RedirectTest : public ::testing::Test {
protected:
  void build(int status, const std::string& location) {
    Manifests m;
    ASSERT_THAT(addPath(std::string(MESHSIM_SOURCE_DIR) + "/fixtures/hello/", m), IsOk());
    ASSERT_THAT(addDefaultIngressGateway(m), IsOk());
    MeshOptions options;
    WorkloadBehavior redirecting;
    redirecting.selector = {{"app", "hello"}};
    redirecting.behavior.sequence = {status, 200};
    redirecting.behavior.headers = {{"location", location}};
    options.workloads.push_back(redirecting);
    auto mesh = Mesh::create(std::move(m), options);
    ASSERT_THAT(mesh, IsOk());
    mesh_ = std::move(mesh).value();
  }

  // Sends one POST with a body, following at most `max_hops` redirects; returns what the app
  // saw per hop ("METHOD path body-length") and the completion.
  Completion send(int max_hops, std::vector<std::string>& seen) {
    auto request = RequestTemplate::create("POST", "http://hello.com/a/start", {}, "order=1");
    EXPECT_THAT(request, IsOk());
    auto target = resolveTarget(*mesh_, Sender{}, request->url());
    EXPECT_THAT(target, IsOk());
    mesh_->setRequestObserver([&](const k8s::PodState&, const proxy::http::Request& r) {
      const std::string* length = r.headers.get("content-length");
      seen.push_back(r.method + " " + r.path + " " + (length == nullptr ? "-" : *length));
    });
    Completion out;
    Stream stream(
        *mesh_, *target, *request, Pacing{}, [](uint64_t index) { return index + 1; },
        [&](Completion& c) { out = std::move(c); });
    stream.followRedirects(Sender{}, max_hops);
    stream.start();
    mesh_->loop().runUntilIdle();
    return out;
  }

  std::unique_ptr<Mesh> mesh_;
};

TEST_F(RedirectTest, A302TurnsAPostIntoAGet) {
  build(302, "../end");
  std::vector<std::string> seen;
  Completion c = send(kDefaultMaxRedirects, seen);
  ASSERT_NE(c.response, nullptr);
  EXPECT_EQ(c.response->status, 200);
  EXPECT_THAT(seen, ::testing::ElementsAre("POST /a/start 7", "GET /end -"));
  ASSERT_EQ(c.redirects.size(), 1u);
  EXPECT_EQ(c.redirects[0].status, 302);
  EXPECT_EQ(c.redirects[0].location, "../end");
  EXPECT_EQ(c.redirects[0].next_url, "http://hello.com/end");
  EXPECT_EQ(c.redirects[0].not_followed, "");
}

TEST_F(RedirectTest, A307KeepsMethodAndBody) {
  build(307, "http://hello.com/kept");
  std::vector<std::string> seen;
  Completion c = send(1, seen);
  ASSERT_NE(c.response, nullptr);
  EXPECT_EQ(c.response->status, 200);
  EXPECT_THAT(seen, ::testing::ElementsAre("POST /a/start 7", "POST /kept 7"));
}

TEST_F(RedirectTest, WithoutFollowingTheRedirectIsTheAnswer) {
  build(301, "/elsewhere");
  std::vector<std::string> seen;
  Completion c = send(0, seen);
  ASSERT_NE(c.response, nullptr);
  EXPECT_EQ(c.response->status, 301);
  EXPECT_TRUE(c.redirects.empty());
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(RedirectTest, AnHttpsLocationIsNotFollowed) {
  build(308, "https://hello.com/secure");
  std::vector<std::string> seen;
  Completion c = send(kDefaultMaxRedirects, seen);
  ASSERT_NE(c.response, nullptr);
  EXPECT_EQ(c.response->status, 308);
  ASSERT_EQ(c.redirects.size(), 1u);
  EXPECT_THAT(c.redirects[0].not_followed, HasSubstr("does not speak TLS"));
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace meshsim::sim::driver
