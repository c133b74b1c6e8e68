// Every matcher of meshsim/testing.h: what it matches, what it rejects, and its failure message
// (what was expected, what was seen), plus the MeshTest fixture.

#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "canary_yaml.h"
#include "meshsim/testing.h"

namespace meshsim::testing {
namespace {

using ::meshsim::embed_test::kCanaryYaml;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Lt;
using ::testing::Not;
using ::testing::StartsWith;

// GoogleMock's failure text for `value` against `matcher`: "Expected: ...\n  Actual: ...".
template <typename T, typename M>
std::string failureOf(const M& matcher, const T& value) {
  const ::testing::Matcher<const T&> m = ::testing::MatcherCast<const T&>(matcher);
  ::testing::StringMatchResultListener listener;
  const bool matched = m.MatchAndExplain(value, &listener);
  std::ostringstream os;
  os << (matched ? "(matched) " : "") << "Expected: ";
  m.DescribeTo(&os);
  os << "\n  Actual: " << ::testing::PrintToString(value);
  if (!listener.str().empty()) {
    os << ", " << listener.str();
  }
  return os.str();
}

template <typename T, typename M>
std::string negationOf(const M& matcher) {
  const ::testing::Matcher<const T&> m = ::testing::MatcherCast<const T&>(matcher);
  std::ostringstream os;
  m.DescribeNegationTo(&os);
  return os.str();
}

PodInfo pod(std::string name, std::string workload, Labels labels) {
  PodInfo p;
  p.name = std::move(name);
  p.namespace_name = "default";
  p.workload = std::move(workload);
  p.labels = std::move(labels);
  return p;
}

Response served(int status, const std::string& workload, const std::string& version) {
  Response r = Response::make(status, "hello from " + workload);
  r.served_by = pod(workload + "-0", workload, {{"app", "hello"}, {"version", version}});
  ReceivedRequest up;
  up.pod = *r.served_by;
  up.method = "GET";
  up.scheme = "http";
  up.authority = "hello.com";
  up.path = "/v2/api";
  up.headers.add("x-version", "2");
  up.body = "in";
  r.upstream = up;
  return r;
}

Response redirect(int status, const std::string& location) {
  return Response::make(status, "", {{"location", location}});
}

Responses canaryBatch(int v1, int v2) {
  Responses b;
  for (int i = 0; i < v1; ++i) {
    b.responses.push_back(served(200, "hello-v1", "v1"));
  }
  for (int i = 0; i < v2; ++i) {
    b.responses.push_back(served(200, "hello-v2", "v2"));
  }
  return b;
}

// --- Succeeded, FailedWith, HasValue ---------------------------------------------------------

TEST(SucceededTest, MatchesValuesNotErrors) {
  EXPECT_THAT(Result<int>(1), Succeeded());
  EXPECT_THAT(Result<void>(), Succeeded());
  EXPECT_THAT(Result<int>(Error(ErrorCode::NotFound, "x")), Not(Succeeded()));
  EXPECT_EQ(failureOf(Succeeded(), Result<int>(Error(ErrorCode::NotFound, "no pod sleep-0"))),
            "Expected: succeeded\n  Actual: error: NOT_FOUND: no pod sleep-0, which failed: "
            "NOT_FOUND: no pod sleep-0");
  EXPECT_EQ(negationOf<Result<int>>(Succeeded()), "failed");
}

TEST(FailedWithTest, MatchesCodeAndMessage) {
  const Result<int> e = Error(ErrorCode::InvalidArgument, "<yaml>:3:1: spec.hosts: bad");
  EXPECT_THAT(e, FailedWith(ErrorCode::InvalidArgument));
  EXPECT_THAT(e, FailedWith(ErrorCode::InvalidArgument, HasSubstr("spec.hosts")));
  EXPECT_THAT(e, FailedWith(ErrorCode::InvalidArgument, "<yaml>:3:1: spec.hosts: bad"));
  EXPECT_THAT(e, Not(FailedWith(ErrorCode::NotFound)));
  EXPECT_THAT(e, Not(FailedWith(ErrorCode::InvalidArgument, HasSubstr("weight"))));
  EXPECT_THAT(Result<int>(1), Not(FailedWith(ErrorCode::InvalidArgument)));
  EXPECT_THAT(Result<void>(Error(ErrorCode::Internal, "x")), FailedWith(ErrorCode::Internal));

  EXPECT_EQ(failureOf(FailedWith(ErrorCode::NotFound, HasSubstr("weight")), e),
            "Expected: failed with NOT_FOUND and a message that has substring \"weight\"\n"
            "  Actual: error: INVALID_ARGUMENT: <yaml>:3:1: spec.hosts: bad, which failed with "
            "INVALID_ARGUMENT: <yaml>:3:1: spec.hosts: bad");
  EXPECT_EQ(failureOf(FailedWith(ErrorCode::NotFound), Result<int>(7)),
            "Expected: failed with NOT_FOUND and a message that is anything\n  Actual: 7, which "
            "succeeded");
  EXPECT_EQ(negationOf<Result<int>>(FailedWith(ErrorCode::NotFound)),
            "didn't fail with NOT_FOUND and a message that is anything");
}

TEST(HasValueTest, MatchesTheValueOfAResult) {
  EXPECT_THAT(Result<double>(1000), HasValue(1000));
  EXPECT_THAT(Result<double>(1000), HasValue(Ge(900)));
  EXPECT_THAT(Result<std::string>(std::string("abc")), HasValue(HasSubstr("b")));
  EXPECT_THAT(Result<double>(10), Not(HasValue(Ge(900))));
  EXPECT_THAT(Result<double>(Error(ErrorCode::InvalidArgument, "q")), Not(HasValue(0)));
  EXPECT_EQ(failureOf(HasValue(Ge(900)), Result<double>(10)),
            "Expected: succeeded with a value that is >= 900\n  Actual: 10, whose value is 10");
  EXPECT_EQ(failureOf(HasValue(Ge(900)), Result<double>(Error(ErrorCode::InvalidArgument, "q"))),
            "Expected: succeeded with a value that is >= 900\n  Actual: error: INVALID_ARGUMENT: "
            "q, which failed: INVALID_ARGUMENT: q");
  EXPECT_EQ(negationOf<Result<double>>(HasValue(Ge(900))),
            "failed, or succeeded with a value that isn't >= 900");
}

// --- HasStatus -------------------------------------------------------------------------------

TEST(HasStatusTest, OneBatchAndResults) {
  const Response ok = served(200, "hello-v1", "v1");
  EXPECT_THAT(ok, HasStatus(200));
  EXPECT_THAT(ok, Not(HasStatus(503)));
  EXPECT_THAT(canaryBatch(3, 1), HasStatus(200));
  EXPECT_THAT(Result<Response>(ok), HasStatus(200));
  EXPECT_THAT(Result<Responses>(canaryBatch(1, 1)), HasStatus(200));
  EXPECT_THAT(Result<Response>(Error(ErrorCode::NotFound, "x")), Not(HasStatus(200)));
  EXPECT_THAT(Responses(), Not(HasStatus(200)));  // an empty batch proves nothing
  Response none;
  none.error = "timeout";
  EXPECT_THAT(none, HasStatus(0));
  EXPECT_THAT(ok, Not(HasStatus(0)));
}

TEST(HasStatusTest, FailureMessages) {
  EXPECT_EQ(failureOf(HasStatus(404), Response::make(200, "ok")),
            "Expected: has status 404\n  Actual: 200 from a proxy (no app), headers {}, body "
            "\"ok\", which has status 200");
  Responses batch = canaryBatch(2, 0);
  batch.responses.push_back(Response::make(503));
  EXPECT_THAT(
      failureOf(HasStatus(200), batch),
      AllOf(StartsWith("Expected: has status 200\n  Actual: 3 responses: 200 x 2, 503 x 1;"),
            HasSubstr(", where 1 of 3 responses don't; the first, #2, which has status 503")));
  EXPECT_EQ(failureOf(HasStatus(200), Result<Response>(Error(ErrorCode::NotFound, "no pod"))),
            "Expected: has status 200\n  Actual: error: NOT_FOUND: no pod, which failed: "
            "NOT_FOUND: no pod");
  Response none;
  none.error = "refused";
  EXPECT_EQ(failureOf(HasStatus(200), none),
            "Expected: has status 200\n  Actual: no response (refused), which got no response "
            "(refused)");
  EXPECT_EQ(failureOf(HasStatus(0), Response::make(200)),
            "Expected: got no response\n  Actual: 200 from a proxy (no app), headers {}, which has "
            "status 200");
  EXPECT_EQ(failureOf(HasStatus(200), Responses()),
            "Expected: has status 200\n  Actual: 0 responses: no responses, which is an empty "
            "batch");
  EXPECT_EQ(negationOf<Response>(HasStatus(200)), "doesn't have status 200");
  EXPECT_EQ(negationOf<Response>(HasStatus(0)), "got a response");
}

TEST(HasStatusTest, GoogleTestReportsExpectedAndActual) {
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(Response::make(503), HasStatus(200)),
                          "Expected: has status 200\n  Actual: 503 from a proxy (no app)");
  EXPECT_NONFATAL_FAILURE(EXPECT_THAT(Response::make(503), HasStatus(200)), "which has status 503");
}

// --- ServedBy, ServedByPod, ServedByWorkload, ServedByLabels, AnsweredByProxy -----------------

TEST(ServedByTest, SelectorsOfEveryKind) {
  const Response v2 = served(200, "hello-v2", "v2");
  EXPECT_THAT(v2, ServedBy("hello-v2"));
  EXPECT_THAT(v2, ServedBy("version=v2"));
  EXPECT_THAT(v2, ServedBy(PodSelector::labels({{"app", "hello"}})));
  EXPECT_THAT(v2, ServedByPod("hello-v2-0"));
  EXPECT_THAT(v2, ServedByPod("default/hello-v2-0"));
  EXPECT_THAT(v2, ServedByWorkload("hello-v2"));
  EXPECT_THAT(v2, ServedByLabels({{"version", "v2"}}));
  EXPECT_THAT(v2, Not(ServedByWorkload("hello-v1")));
  EXPECT_THAT(v2, Not(ServedByPod("other/hello-v2-0")));
  EXPECT_THAT(v2, Not(ServedByLabels({{"version", "v1"}})));
  EXPECT_THAT(redirect(301, "/x"), Not(ServedBy("hello-v2")));
  EXPECT_THAT(canaryBatch(0, 3), ServedByWorkload("hello-v2"));
  EXPECT_THAT(canaryBatch(1, 3), Not(ServedByWorkload("hello-v2")));
  EXPECT_THAT(Result<Response>(v2), ServedBy("hello-v2"));
}

TEST(ServedByTest, FailureMessages) {
  EXPECT_THAT(failureOf(ServedByWorkload("hello-v2"), served(200, "hello-v1", "v1")),
              AllOf(StartsWith("Expected: is served by workload hello-v2\n  Actual: 200 from "
                               "default/hello-v1-0"),
                    HasSubstr(", which was served by default/hello-v1-0 (workload hello-v1)")));
  EXPECT_THAT(failureOf(ServedByLabels({{"version", "v2"}}), redirect(301, "/new")),
              AllOf(StartsWith("Expected: is served by pods labelled version=v2\n"),
                    HasSubstr("which a proxy answered itself (status 301, no app)")));
  EXPECT_THAT(failureOf(ServedByPod("hello-v2-0"), canaryBatch(2, 1)),
              AllOf(StartsWith("Expected: is served by pod hello-v2-0\n  Actual: 3 responses:"),
                    HasSubstr("where 2 of 3 responses don't; the first, #0, which was served by "
                              "default/hello-v1-0")));
  EXPECT_EQ(negationOf<Response>(ServedBy("hello")), "isn't served by workload or pod hello");
}

TEST(AnsweredByProxyTest, MatchesProxyRepliesOnly) {
  EXPECT_THAT(redirect(301, "/new"), AnsweredByProxy());
  EXPECT_THAT(Response::make(404), AnsweredByProxy());
  EXPECT_THAT(served(200, "hello-v1", "v1"), Not(AnsweredByProxy()));
  Response none;
  EXPECT_THAT(none, Not(AnsweredByProxy()));
  EXPECT_THAT(failureOf(AnsweredByProxy(), served(200, "hello-v1", "v1")),
              AllOf(StartsWith("Expected: is answered by a proxy itself, not an app\n"),
                    HasSubstr("which was served by default/hello-v1-0")));
  EXPECT_EQ(negationOf<Response>(AnsweredByProxy()), "is served by an app (or got no response)");
}

// --- ServedByShare ---------------------------------------------------------------------------

TEST(ServedByShareTest, WithinTolerance) {
  EXPECT_THAT(canaryBatch(90, 10), ServedByShare("hello-v2", 0.10, 0.03));
  EXPECT_THAT(canaryBatch(88, 12), ServedByShare("version=v2", 0.10, 0.03));
  EXPECT_THAT(canaryBatch(87, 13), ServedByShare(PodSelector::workload("hello-v2"), 0.10, 0.03));
  EXPECT_THAT(canaryBatch(86, 14), Not(ServedByShare("hello-v2", 0.10, 0.03)));
  EXPECT_THAT(canaryBatch(100, 0), ServedByShare("hello-v2", 0.0, 0.0));
  EXPECT_THAT(Result<Responses>(canaryBatch(90, 10)), ServedByShare("hello-v2", 0.10, 0.01));
  EXPECT_THAT(Responses(), Not(ServedByShare("hello-v2", 0.0, 1.0)));
}

TEST(ServedByShareTest, FailureMessageShowsTheShareAndWhoServed) {
  EXPECT_EQ(failureOf(ServedByShare("hello-v2", 0.10, 0.03), canaryBatch(96, 4)),
            "Expected: is served by workload or pod hello-v2 for 10.0% +/- 3.0% of responses\n"
            "  Actual: 100 responses: 200 x 100; served by default/hello-v1-0 x 96, "
            "default/hello-v2-0 x 4, where workload or pod hello-v2 served 4.0% (4 of 100); "
            "200 x 100; served by default/hello-v1-0 x 96, default/hello-v2-0 x 4");
  EXPECT_THAT(failureOf(ServedByShare("hello-v2", 0.1, 0.03),
                        Result<Responses>(Error(ErrorCode::FailedPrecondition, "no gateway"))),
              HasSubstr("which failed: FAILED_PRECONDITION: no gateway"));
  EXPECT_EQ(negationOf<Responses>(ServedByShare("hello-v2", 0.1, 0.03)),
            "isn't served by workload or pod hello-v2 for 10.0% +/- 3.0% of responses");
}

// --- RedirectsTo -----------------------------------------------------------------------------

TEST(RedirectsToTest, StatusAndLocation) {
  EXPECT_THAT(redirect(301, "http://hello.com/new"), RedirectsTo("http://hello.com/new", 301));
  EXPECT_THAT(redirect(308, "http://hello.com/new"), RedirectsTo("http://hello.com/new"));
  EXPECT_THAT(redirect(302, "http://hello.com/new"), Not(RedirectsTo("http://hello.com/new", 301)));
  EXPECT_THAT(redirect(301, "http://hello.com/other"), Not(RedirectsTo("http://hello.com/new")));
  EXPECT_THAT(Response::make(200, "", {{"location", "http://hello.com/new"}}),
              Not(RedirectsTo("http://hello.com/new")));
  EXPECT_THAT(Response::make(301), Not(RedirectsTo("http://hello.com/new")));
}

TEST(RedirectsToTest, FailureMessages) {
  EXPECT_EQ(failureOf(RedirectsTo("http://hello.com/new", 301), redirect(302, "http://x/")),
            "Expected: redirects (301) to http://hello.com/new\n  Actual: 302 from a proxy (no "
            "app), headers {location: http://x/}, which has status 302 and location http://x/");
  EXPECT_THAT(failureOf(RedirectsTo("http://hello.com/new"), served(200, "hello-v1", "v1")),
              AllOf(StartsWith("Expected: redirects (301, 302, 303, 307 or 308) to "
                               "http://hello.com/new\n"),
                    HasSubstr("which has status 200 and no location header")));
  Response none;
  none.error = "reset";
  EXPECT_THAT(failureOf(RedirectsTo("/x"), none), HasSubstr("which got no response (reset)"));
  EXPECT_EQ(negationOf<Response>(RedirectsTo("/x", 307)), "doesn't redirect (307) to /x");
}

// --- HasHeader, HasBody ----------------------------------------------------------------------

TEST(HasHeaderTest, ResponsesAndReceivedRequests) {
  const Response r = Response::make(200, "", {{"Server", "istio-envoy"}, {"x-a", "1"}});
  EXPECT_THAT(r, HasHeader("server", "istio-envoy"));
  EXPECT_THAT(r, HasHeader("SERVER", HasSubstr("envoy")));
  EXPECT_THAT(r, HasHeader("x-a"));
  EXPECT_THAT(r, Not(HasHeader("x-b")));
  EXPECT_THAT(r, Not(HasHeader("server", "nginx")));
  EXPECT_THAT(canaryBatch(1, 1), Not(HasHeader("server")));
  const ReceivedRequest up = *served(200, "hello-v2", "v2").upstream;
  EXPECT_THAT(up, HasHeader("x-version", "2"));
  EXPECT_THAT(up, Not(HasHeader("x-version", "3")));
}

TEST(HasHeaderTest, FailureMessages) {
  const Response r = Response::make(200, "", {{"server", "istio-envoy"}});
  EXPECT_EQ(failureOf(HasHeader("server", "nginx"), r),
            "Expected: has header server that is equal to \"nginx\"\n  Actual: 200 from a proxy "
            "(no app), headers {server: istio-envoy}, whose header server is \"istio-envoy\"");
  EXPECT_EQ(failureOf(HasHeader("x-b"), r),
            "Expected: has header x-b\n  Actual: 200 from a proxy (no app), headers {server: "
            "istio-envoy}, which has no header x-b");
  const ReceivedRequest up = *served(200, "hello-v2", "v2").upstream;
  EXPECT_THAT(failureOf(HasHeader("x-version", "3"), up),
              AllOf(StartsWith("Expected: has header x-version that is equal to \"3\"\n"),
                    HasSubstr("whose header x-version is \"2\"")));
  EXPECT_EQ(negationOf<Response>(HasHeader("x-b")), "doesn't have header x-b");
  EXPECT_EQ(negationOf<Response>(HasHeader("x-b", "1")),
            "doesn't have header x-b that is equal to \"1\"");
}

TEST(HasBodyTest, ResponsesAndReceivedRequests) {
  EXPECT_THAT(Response::make(200, "hello"), HasBody("hello"));
  EXPECT_THAT(Response::make(200, "hello"), HasBody(HasSubstr("ell")));
  EXPECT_THAT(Response::make(200, "hello"), Not(HasBody("bye")));
  EXPECT_THAT(*served(200, "hello-v2", "v2").upstream, HasBody("in"));
  EXPECT_EQ(failureOf(HasBody("bye"), Response::make(200, "hello")),
            "Expected: has a body that is equal to \"bye\"\n  Actual: 200 from a proxy (no app), "
            "headers {}, body \"hello\", whose body is \"hello\"");
  EXPECT_THAT(failureOf(HasBody("x"), *served(200, "hello-v2", "v2").upstream),
              HasSubstr("whose body is \"in\""));
  EXPECT_EQ(negationOf<Response>(HasBody("x")), "doesn't have a body that is equal to \"x\"");
}

// --- UpstreamRequest, HasMethod, HasPath, HasHost --------------------------------------------

TEST(UpstreamRequestTest, MatchesWhatTheAppReceived) {
  const Response r = served(200, "hello-v2", "v2");
  EXPECT_THAT(r, UpstreamRequest(HasPath("/v2/api")));
  EXPECT_THAT(r, UpstreamRequest(AllOf(HasMethod("GET"), HasHost("hello.com"),
                                       HasHeader("x-version", "2"), HasBody("in"))));
  EXPECT_THAT(r, UpstreamRequest(::testing::Field(&ReceivedRequest::scheme, "http")));
  EXPECT_THAT(r, Not(UpstreamRequest(HasPath("/api"))));
  EXPECT_THAT(redirect(301, "/new"), Not(UpstreamRequest(HasPath(::testing::_))));
  EXPECT_THAT(canaryBatch(2, 2), UpstreamRequest(HasPath(StartsWith("/v2"))));
}

TEST(UpstreamRequestTest, FailureMessages) {
  EXPECT_EQ(failureOf(UpstreamRequest(HasPath("/api")), served(200, "hello-v2", "v2")),
            "Expected: is served by an app that received a request that has path that is equal "
            "to \"/api\"\n  Actual: 200 from default/hello-v2-0, headers {}, body \"hello from "
            "hello-v2\", whose app received GET http://hello.com/v2/api at default/hello-v2-0, "
            "headers {x-version: 2}, body \"in\", whose path is \"/v2/api\"");
  EXPECT_THAT(failureOf(UpstreamRequest(HasPath("/api")), redirect(301, "/new")),
              HasSubstr("which a proxy answered itself (status 301, no app), so no app received "
                        "the request"));
  EXPECT_EQ(negationOf<Response>(UpstreamRequest(HasPath("/a"))),
            "isn't served by an app that received a request that has path that is equal to "
            "\"/a\"");
}

TEST(RequestFieldTest, MethodPathHost) {
  const ReceivedRequest up = *served(200, "hello-v2", "v2").upstream;
  EXPECT_THAT(up, HasMethod("GET"));
  EXPECT_THAT(up, Not(HasMethod("POST")));
  EXPECT_THAT(up, HasPath(StartsWith("/v2")));
  EXPECT_THAT(up, HasHost("hello.com"));
  EXPECT_THAT(up, Not(HasHost("other.com")));
  EXPECT_EQ(failureOf(HasMethod("POST"), up),
            "Expected: has method that is equal to \"POST\"\n  Actual: GET "
            "http://hello.com/v2/api at default/hello-v2-0, headers {x-version: 2}, body \"in\", "
            "whose method is \"GET\"");
  EXPECT_THAT(failureOf(HasHost("other.com"), up), HasSubstr("whose host is \"hello.com\""));
  EXPECT_THAT(failureOf(HasPath("/"), up), HasSubstr("whose path is \"/v2/api\""));
  EXPECT_EQ(negationOf<ReceivedRequest>(HasPath("/")), "has path that isn't equal to \"/\"");
}

// --- HasMetric, on a real mesh ---------------------------------------------------------------

TEST(HasMetricTest, EvaluatesTheQueryOnTheMesh) {
  Mesh mesh = Mesh::fromYaml(kCanaryYaml).value();
  ASSERT_THAT(mesh.send(Request::get("http://hello.com/"), 10), Succeeded());
  const std::string q = R"(sum(istio_requests_total{reporter="source"}))";
  EXPECT_THAT(mesh, HasMetric(q, 10));
  EXPECT_THAT(mesh, HasMetric(q, Lt(11)));
  EXPECT_THAT(mesh, Not(HasMetric(q, 11)));
  EXPECT_THAT(mesh, Not(HasMetric("sum(", 0)));
  EXPECT_EQ(failureOf(HasMetric(q, 11), mesh),
            "Expected: has metric " + q +
                " that is equal to 11\n  Actual: meshsim::Mesh (4 "
                "pods, virtual time 0.000 ms), whose metric " +
                q + " is 10");
  EXPECT_THAT(failureOf(HasMetric("sum(", 0), mesh),
              HasSubstr("whose metric query failed: INVALID_ARGUMENT: metric query: column 5"));
  EXPECT_EQ(negationOf<Mesh>(HasMetric(q, 11)), "has metric " + q + " that isn't equal to 11");
}

// --- The issue's quick start, end to end ------------------------------------------------------

TEST(QuickStartTest, CanaryGetsTenPercent) {
  Mesh mesh = Mesh::fromYaml(kCanaryYaml).value();
  auto results = mesh.send(Request::get("http://hello.com/"), /*count=*/1000);
  EXPECT_THAT(results, ServedByShare("hello-v2", 0.10, /*tolerance=*/0.03));
  EXPECT_THAT(results, AllOf(HasStatus(200), UpstreamRequest(HasHost("hello.com"))));
  EXPECT_THAT(mesh.send(Request::get("http://hello.com/old")),
              AllOf(RedirectsTo("http://hello.com/new", 301), AnsweredByProxy()));
  EXPECT_EQ(mesh.metric(R"(sum(istio_requests_total{reporter="source",response_code="200"}))"),
            1000);
  EXPECT_THAT(mesh.send(Request::get("http://hello.com/api")),
              AllOf(ServedBy("version=v2"), HasHeader("x-route", "api"),
                    UpstreamRequest(AllOf(HasPath("/v2/api"), HasHeader("x-version", "2")))));
}

// --- MeshTest, TestUsingMesh -----------------------------------------------------------------

class CanaryFixtureTest : public MeshTest {
protected:
  void SetUp() override { builder().addYaml(kCanaryYaml); }
};

TEST_F(CanaryFixtureTest, BuildsOnFirstUseAndSends) {
  EXPECT_THAT(send(Request::get("http://hello.com/")), HasStatus(200));
  EXPECT_THAT(send(Request::get("http://hello.com/"), 20), HasStatus(200));
  EXPECT_THAT(send(Request::get("http://hello/"), 2, From::pod("sleep-0")), HasStatus(200));
  EXPECT_EQ(&mesh(), &mesh());  // built once
  EXPECT_THAT(mesh().receivedRequests(), ::testing::SizeIs(23));
  builder().addYaml("kind: [");  // too late: the mesh is built
  EXPECT_THAT(send(Request::get("http://hello.com/")), HasStatus(200));
}

class BrokenFixtureTest : public MeshTest {};

TEST_F(BrokenFixtureTest, ABuildFailureFailsTheTestAndLeavesAnEmptyMesh) {
  builder().addYaml("kind: [", "broken.yaml");
  EXPECT_NONFATAL_FAILURE(mesh(), "building the mesh failed: INVALID_ARGUMENT: broken.yaml");
  EXPECT_THAT(mesh().pods(), ::testing::IsEmpty());
  EXPECT_THAT(send(Request::get("http://hello.com/")), FailedWith(ErrorCode::FailedPrecondition));
}

// The mixin, under a fixture of one's own.
class OwnBase : public ::testing::Test {
protected:
  int own_ = 7;
};
class MixinTest : public OwnBase, public TestUsingMesh {};

TEST_F(MixinTest, Works) {
  builder().addYaml(kCanaryYaml);
  EXPECT_THAT(send(Request::get("http://hello.com/api")), ServedByWorkload("hello-v2"));
  EXPECT_EQ(own_, 7);
}

}  // namespace
}  // namespace meshsim::testing
