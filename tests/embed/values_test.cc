#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "meshsim/http.h"

namespace meshsim {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;
using ::testing::Pair;

template <typename T>
std::string print(const T& value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

PodInfo podNamed(std::string name, std::string workload, Labels labels,
                 std::string ns = "default") {
  PodInfo p;
  p.name = std::move(name);
  p.namespace_name = std::move(ns);
  p.workload = std::move(workload);
  p.labels = std::move(labels);
  return p;
}

TEST(HeadersTest, StoresLowerCaseAndLooksUpAnyCase) {
  Headers h{{"Content-Type", "text/plain"}, {"X-A", "1"}};
  h.add("x-a", "2");
  EXPECT_EQ(h.size(), 3u);
  EXPECT_FALSE(h.empty());
  EXPECT_THAT(h.get("CONTENT-TYPE"), Optional(std::string("text/plain")));
  EXPECT_TRUE(h.has("x-A"));
  EXPECT_FALSE(h.has("x-b"));
  EXPECT_EQ(h.get("x-b"), std::nullopt);
  EXPECT_THAT(h.getAll("X-a"), ElementsAre("1", "2"));
  EXPECT_THAT(h,
              ElementsAre(Pair("content-type", "text/plain"), Pair("x-a", "1"), Pair("x-a", "2")));
}

TEST(HeadersTest, SetReplacesAndRemoveCounts) {
  Headers h{{"x-a", "1"}, {"x-a", "2"}, {"x-b", "3"}};
  h.set("X-A", "9");
  EXPECT_THAT(h.getAll("x-a"), ElementsAre("9"));
  EXPECT_EQ(h.remove("x-b"), 1u);
  EXPECT_EQ(h.remove("x-b"), 0u);
  EXPECT_EQ(h, (Headers{{"x-a", "9"}}));
  EXPECT_TRUE(Headers().empty());
  EXPECT_EQ(print(h), "{x-a: 9}");
  EXPECT_EQ(::testing::PrintToString(h), "{x-a: 9}");
}

TEST(RequestTest, GetPostAndChaining) {
  const Request get = Request::get("http://hello.com/").withHeader("X-User", "alice");
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.url, "http://hello.com/");
  EXPECT_THAT(get.headers.get("x-user"), Optional(std::string("alice")));
  EXPECT_TRUE(get.body.empty());

  const Request post = Request::post("http://hello.com/api", "{}");
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.body, "{}");
  EXPECT_EQ(Request::get("http://a/").withBody("x").body, "x");
  EXPECT_EQ(print(get), "GET http://hello.com/ {x-user: alice}");
  EXPECT_EQ(print(post), "POST http://hello.com/api body \"{}\"");
}

TEST(ResponseTest, MakeAndHeader) {
  const Response r = Response::make(418, "teapot", {{"X-Kind", "tea"}});
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body, "teapot");
  EXPECT_THAT(r.header("x-kind"), Optional(std::string("tea")));
  EXPECT_EQ(r.header("x-none"), std::nullopt);
  EXPECT_FALSE(r.served_by.has_value());
  EXPECT_EQ(print(r), "418 from a proxy (no app), headers {x-kind: tea}, body \"teapot\"");

  Response none;
  none.error = "timeout";
  EXPECT_EQ(print(none), "no response (timeout)");
  Response served = Response::make(200);
  served.served_by = podNamed("hello-0", "hello", {{"app", "hello"}});
  EXPECT_EQ(print(served), "200 from default/hello-0, headers {}");
}

TEST(ResponseTest, PrintsLongBodiesCut) {
  const Response r = Response::make(200, std::string(300, 'a'));
  EXPECT_THAT(print(r), ::testing::HasSubstr("aaa\"... (300 bytes)"));
}

TEST(PodInfoTest, IdAndPrinting) {
  const PodInfo p = podNamed("hello-v2-0", "hello-v2", {{"app", "hello"}, {"version", "v2"}});
  EXPECT_EQ(p.id(), "default/hello-v2-0");
  EXPECT_EQ(print(p), "default/hello-v2-0 (workload hello-v2, labels app=hello,version=v2)");
}

TEST(ReceivedRequestTest, Prints) {
  ReceivedRequest r;
  r.pod = podNamed("hello-0", "hello", {});
  r.method = "GET";
  r.scheme = "http";
  r.authority = "hello.com";
  r.path = "/a?b=1";
  r.headers.add("x-a", "1");
  r.body = "hi";
  EXPECT_EQ(print(r),
            "GET http://hello.com/a?b=1 at default/hello-0, headers {x-a: 1}, body \"hi\"");
}

TEST(PodSelectorTest, PodByNameOrId) {
  const PodInfo a = podNamed("hello-0", "hello", {});
  const PodInfo b = podNamed("hello-0", "hello", {}, "other");
  EXPECT_TRUE(PodSelector::pod("hello-0").matches(a));
  EXPECT_TRUE(PodSelector::pod("hello-0").matches(b));
  EXPECT_TRUE(PodSelector::pod("default/hello-0").matches(a));
  EXPECT_FALSE(PodSelector::pod("default/hello-0").matches(b));
  EXPECT_FALSE(PodSelector::pod("hello").matches(a));
  EXPECT_EQ(PodSelector::pod("default/hello-0").toString(), "pod default/hello-0");
  EXPECT_EQ(PodSelector::pod("hello-0").toString(), "pod hello-0");
}

TEST(PodSelectorTest, Workload) {
  const PodInfo a = podNamed("hello-v2-0", "hello-v2", {});
  EXPECT_TRUE(PodSelector::workload("hello-v2").matches(a));
  EXPECT_FALSE(PodSelector::workload("hello-v2-0").matches(a));
  EXPECT_FALSE(PodSelector::workload("hello-v2", "other").matches(a));
  EXPECT_EQ(PodSelector::workload("hello-v2", "other").toString(),
            "workload hello-v2 in namespace other");
}

TEST(PodSelectorTest, Labels) {
  const PodInfo a = podNamed("x-0", "x", {{"app", "hello"}, {"version", "v2"}});
  EXPECT_TRUE(PodSelector::labels({{"version", "v2"}}).matches(a));
  EXPECT_TRUE(PodSelector::labels({}).matches(a));
  EXPECT_FALSE(PodSelector::labels({{"version", "v1"}}).matches(a));
  EXPECT_FALSE(PodSelector::labels({{"tier", "web"}}).matches(a));
  EXPECT_EQ(PodSelector::labels({{"version", "v2"}, {"app", "hello"}}).toString(),
            "pods labelled app=hello,version=v2");
  EXPECT_EQ(PodSelector::labels({}).toString(), "any pod");
}

TEST(PodSelectorTest, ParseFollowsScenarioServedByKeys) {
  const PodInfo a = podNamed("hello-v2-0", "hello-v2", {{"app", "hello"}, {"version", "v2"}});
  EXPECT_TRUE(PodSelector::parse("hello-v2").matches(a));    // workload
  EXPECT_TRUE(PodSelector::parse("hello-v2-0").matches(a));  // pod name
  EXPECT_TRUE(PodSelector::parse("default/hello-v2-0").matches(a));
  EXPECT_TRUE(PodSelector::parse("version=v2, app=hello").matches(a));
  EXPECT_FALSE(PodSelector::parse("version=v1").matches(a));
  EXPECT_EQ(PodSelector::parse("hello-v2").toString(), "workload or pod hello-v2");
  EXPECT_EQ(PodSelector::parse("app=hello,version=v2").toString(),
            "pods labelled app=hello,version=v2");
  // Strings convert implicitly with the same rules.
  const PodSelector from_literal = "version=v2";
  const PodSelector from_string = std::string("default/hello-v2-0");
  EXPECT_TRUE(from_literal.matches(a));
  EXPECT_TRUE(from_string.matches(a));
  EXPECT_EQ(print(from_string), "pod default/hello-v2-0");
}

Responses batch() {
  Responses b;
  Response v1 = Response::make(200);
  v1.served_by = podNamed("hello-v1-0", "hello-v1", {{"version", "v1"}});
  Response v2 = Response::make(200);
  v2.served_by = podNamed("hello-v2-0", "hello-v2", {{"version", "v2"}});
  Response proxy = Response::make(503);
  Response none;
  none.error = "refused";
  b.responses = {v1, v1, v2, proxy, none};
  return b;
}

TEST(ResponsesTest, Counts) {
  const Responses b = batch();
  EXPECT_EQ(b.size(), 5u);
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(b[3].status, 503);
  EXPECT_EQ(std::distance(b.begin(), b.end()), 5);
  EXPECT_EQ(b.countStatus(200), 3u);
  EXPECT_EQ(b.countStatus(0), 1u);
  EXPECT_EQ(b.countServedBy("hello-v1"), 2u);
  EXPECT_EQ(b.countServedBy("version=v2"), 1u);
  EXPECT_DOUBLE_EQ(b.shareServedBy("hello-v1"), 0.4);
  EXPECT_DOUBLE_EQ(Responses().shareServedBy("hello-v1"), 0.0);
  EXPECT_THAT(b.statusCounts(), ElementsAre(Pair(0, 1u), Pair(200, 3u), Pair(503, 1u)));
  EXPECT_THAT(b.servedByCounts(), ElementsAre(Pair("", 2u), Pair("default/hello-v1-0", 2u),
                                              Pair("default/hello-v2-0", 1u)));
}

TEST(ResponsesTest, SummaryAndPrinting) {
  const Responses b = batch();
  EXPECT_EQ(b.summary(),
            "no response x 1, 200 x 3, 503 x 1; served by (no app) x 2, default/hello-v1-0 x 2, "
            "default/hello-v2-0 x 1");
  EXPECT_EQ(print(b), "5 responses: " + b.summary());
  EXPECT_EQ(::testing::PrintToString(b), "5 responses: " + b.summary());
  EXPECT_EQ(Responses().summary(), "no responses");
}

}  // namespace
}  // namespace meshsim
