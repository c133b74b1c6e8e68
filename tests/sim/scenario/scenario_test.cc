#include "sim/scenario/scenario.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/scenario/report.h"
#include "sim/scenario/runner.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::scenario {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

std::string path(const std::string& rel) {
  return std::string(MESHSIM_SOURCE_DIR) + "/" + rel;
}

TEST(ScenarioTest, LoadsTheHelloScenario) {
  auto s = loadScenario(path("scenarios/hello.yaml"));
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->name, "hello-ingress");
  EXPECT_EQ(s->seed, 7u);
  ASSERT_EQ(s->traffic.size(), 1u);
  EXPECT_EQ(s->traffic[0].count, 100);
  EXPECT_EQ(s->traffic[0].from, "ingress");
  EXPECT_EQ(s->manifests.istio.gateways.size(), 1u);
  EXPECT_EQ(s->manifests.istio.virtual_services.size(), 1u);
  ASSERT_EQ(s->expect.size(), 3u);
  EXPECT_EQ(*s->expect[0].status, 200);
  EXPECT_EQ(s->expect[0].served_by[0].key, "hello");
  EXPECT_DOUBLE_EQ(s->expect[0].served_by[0].share, 1.0);
  EXPECT_EQ(s->expect[0].location.line, 18);
}

TEST(ScenarioTest, BadFilesNameFileLineAndField) {
  EXPECT_THAT(loadScenario(path("tests/scenarios/bad/unknown-field.yaml")),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("unknown-field.yaml:13:7: spec.traffic[0].cuont: unknown field")));
  EXPECT_THAT(loadScenario(path("tests/scenarios/bad/missing-include.yaml")),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("missing-include.yaml:8:7")));
  EXPECT_THAT(loadScenario(path("tests/scenarios/bad/malformed.yaml")),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("malformed YAML")));
  EXPECT_THAT(loadScenario(path("tests/scenarios/bad/bad-manifest.yaml")),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("bad-manifest.yaml:16:24")));
  EXPECT_THAT(loadScenario(path("tests/scenarios/bad/unknown-traffic.yaml")),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("no traffic stream is named")));
  EXPECT_THAT(loadScenario(path("tests/scenarios/bad/nope.yaml")),
              StatusIs(StatusCode::NotFound, HasSubstr("cannot read file")));
}

std::string readFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What a scenario's locations say: where its resources, traffic, events and expectations are.
std::vector<std::string> locations(const Scenario& s) {
  std::vector<std::string> out;
  for (const auto& vs : s.manifests.istio.virtual_services) {
    out.push_back(vs.meta.id() + " " + vs.meta.location.toString());
  }
  for (const auto& d : s.manifests.k8s.deployments) {
    out.push_back(d.meta.id() + " " + d.meta.location.toString());
  }
  for (const auto& t : s.traffic) {
    out.push_back(t.name + " " + t.location.toString());
  }
  for (const auto& e : s.events) {
    out.push_back(e.describe() + " " + e.location.toString());
    for (const auto& vs : e.manifests.istio.virtual_services) {
      out.push_back(vs.meta.id() + " " + vs.meta.location.toString());
    }
  }
  for (const auto& e : s.expect) {
    out.push_back(e.path + " " + e.location.toString());
  }
  return out;
}

// parseScenario() on a file's text is loadScenario() on the file: the same scenario (the
// `resources` and `apply` blocks at the same lines and columns), or the same error.
TEST(ScenarioTest, ParseScenarioOfAFilesTextIsLoadScenario) {
  for (const char* rel :
       {"scenarios/hello.yaml", "scenarios/conformance/events/apply-propagation-0.yaml",
        "scenarios/events-tour.yaml"}) {
    SCOPED_TRACE(rel);
    const std::string file = path(rel);
    auto loaded = loadScenario(file);
    auto parsed = parseScenario(readFile(file), file);
    ASSERT_THAT(loaded, IsOk());
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(parsed->file, loaded->file);
    EXPECT_EQ(parsed->name, loaded->name);
    EXPECT_EQ(parsed->seed, loaded->seed);
    EXPECT_EQ(parsed->manifests.k8s.pods.size() + parsed->manifests.k8s.deployments.size(),
              loaded->manifests.k8s.pods.size() + loaded->manifests.k8s.deployments.size());
    EXPECT_EQ(parsed->manifests.istio.virtual_services.size(),
              loaded->manifests.istio.virtual_services.size());
    EXPECT_EQ(parsed->events.size(), loaded->events.size());
    EXPECT_EQ(locations(*parsed), locations(*loaded));
  }
  for (const auto& entry : std::filesystem::directory_iterator(path("tests/scenarios/bad"))) {
    const std::string file = entry.path().string();
    SCOPED_TRACE(file);
    auto loaded = loadScenario(file);
    auto parsed = parseScenario(readFile(file), file);
    ASSERT_EQ(parsed.ok(), loaded.ok());
    if (!loaded.ok()) {
      EXPECT_EQ(parsed.status().code(), loaded.status().code());
      EXPECT_EQ(parsed.status().message(), loaded.status().message());
    }
  }
}

// An IncludeReader stands in for the disk: it sees each include resolved against the
// scenario's folder, and its NotFound is an error naming the include entry.
TEST(ScenarioTest, ParseScenarioReadsIncludesThroughTheGivenReader) {
  const std::string text = R"(apiVersion: meshsim.io/v1alpha1
kind: Scenario
metadata: {name: includes}
spec:
  include:
    - ../fixtures/hello/
    - /dev/zero
)";
  std::vector<std::string> asked;
  auto reader = [&](const std::string& p, Manifests& out) -> Status {
    asked.push_back(p);
    if (p == "/dev/zero") {
      return notFoundError("no such file or folder: " + p);
    }
    return addPath(path("fixtures/hello"), out);
  };
  auto s = parseScenario(text, "/nowhere/scenarios/includes.yaml", reader);
  EXPECT_THAT(s, StatusIs(StatusCode::InvalidArgument,
                          HasSubstr("/nowhere/scenarios/includes.yaml:7:7: spec.include[1]: no "
                                    "such file or folder: /dev/zero")));
  EXPECT_EQ(asked, (std::vector<std::string>{"/nowhere/fixtures/hello/", "/dev/zero"}));
}

TEST(ScenarioTest, Units) {
  EXPECT_EQ(*parseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*parseDuration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*parseDuration("2m"), std::chrono::minutes(2));
  EXPECT_FALSE(parseDuration("5 parsecs").ok());
  EXPECT_FALSE(parseDuration("-1s").ok());
  EXPECT_DOUBLE_EQ(*parseShare("90%"), 0.9);
  EXPECT_DOUBLE_EQ(*parseShare("0.25"), 0.25);
  EXPECT_FALSE(parseShare("120%").ok());
  EXPECT_FALSE(parseShare("lots").ok());
}

TEST(ScenarioTest, Comparisons) {
  auto ge = parseComparison(">= 99%", true);
  ASSERT_THAT(ge, IsOk());
  EXPECT_TRUE(ge->holds(0.99));
  EXPECT_FALSE(ge->holds(0.98));
  auto lt = parseComparison("< 10", false);
  ASSERT_THAT(lt, IsOk());
  EXPECT_TRUE(lt->holds(9));
  EXPECT_FALSE(lt->holds(10));
  auto eq = parseComparison("1000", false);
  ASSERT_THAT(eq, IsOk());
  EXPECT_TRUE(eq->holds(1000));
  EXPECT_FALSE(eq->holds(999));
  EXPECT_FALSE(parseComparison("> 5%", false).ok());
  EXPECT_FALSE(parseComparison("about 5", false).ok());
}

TEST(RunnerTest, DefaultToleranceIsTheBinomialInterval) {
  EXPECT_DOUBLE_EQ(defaultTolerance(1.0, 100), 0.0);
  EXPECT_NEAR(defaultTolerance(0.1, 10000), 3.2905 * 0.003, 1e-9);
  EXPECT_NEAR(defaultTolerance(0.5, 100), 3.2905 * 0.05, 1e-9);
}

TEST(RunnerTest, HelloScenarioPassesAndNamesThePod) {
  auto s = loadScenario(path("scenarios/hello.yaml"));
  ASSERT_THAT(s, IsOk());
  auto r = runScenario(*s);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->passed());
  ASSERT_EQ(r->traffic.size(), 1u);
  EXPECT_EQ(r->traffic[0].status_counts.at(200), 100u);
  EXPECT_EQ(r->traffic[0].served_by.at("default/hello-0"), 100u);
  const std::string report = textReport(*r);
  EXPECT_THAT(report, HasSubstr("pod default/hello-0"));
  EXPECT_THAT(report, HasSubstr("PASS  hello-ingress: 4 of 4 expectations held"));
}

TEST(RunnerTest, SameSeedSameReportByteForByte) {
  auto s = loadScenario(path("scenarios/hello.yaml"));
  ASSERT_THAT(s, IsOk());
  const std::string a = textReport(*runScenario(*s));
  const std::string b = textReport(*runScenario(*s));
  EXPECT_EQ(a, b);
}

TEST(RunnerTest, FailedExpectationSaysWhatWasSeen) {
  auto s = loadScenario(path("tests/scenarios/failing.yaml"));
  ASSERT_THAT(s, IsOk());
  auto r = runScenario(*s);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->passed());
  ASSERT_EQ(r->expectations.size(), 1u);
  EXPECT_EQ(r->expectations[0].detail, "saw 200 x 20");
  EXPECT_EQ(r->expectations[0].location.line, 15);
}

TEST(ReportTest, PercentilesAreNearestRank) {
  EXPECT_EQ(percentileUs({}, 0.5), 0u);
  // Latency -> requests.
  EXPECT_EQ(percentileUs({{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}}, 0.5), 3u);
  EXPECT_EQ(percentileUs({{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}}, 0.99), 5u);
  EXPECT_EQ(percentileUs({{0, 99}, {7, 1}}, 0.99), 0u);
  EXPECT_EQ(percentileUs({{0, 99}, {7, 1}}, 0.995), 7u);
  EXPECT_EQ(percentileUs({{0, 98}, {7, 2}}, 0.99), 7u);
}

// The error names of `error:` are the traffic driver's (driver::errorName()), the ones the
// embedding API reports too: "overflow" is one of them.
TEST(ScenarioTest, ErrorExpectationTakesTheDriversNames) {
  const auto scenario = [](const std::string& error) {
    return "apiVersion: meshsim.io/v1alpha1\nkind: Scenario\nmetadata: {name: e}\nspec:\n"
           "  traffic: [{name: t, request: {url: http://hello.com/}}]\n"
           "  expect: [{traffic: t, error: " +
           error + "}]\n";
  };
  for (const char* name : {"refused", "reset", "timeout", "overflow"}) {
    auto s = parseScenario(scenario(name), "e.yaml");
    ASSERT_THAT(s, IsOk()) << name;
    EXPECT_EQ(s->expect[0].error, name);
  }
  EXPECT_THAT(parseScenario(scenario("exploded"), "e.yaml"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("expected refused, reset, timeout or overflow")));
}

}  // namespace
}  // namespace meshsim::sim::scenario
