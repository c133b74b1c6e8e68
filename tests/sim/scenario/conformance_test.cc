// The conformance suite: spec.conformance metadata, the feature table, loading and planning a
// suite, and the ConformanceReport.
#include "sim/scenario/conformance.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "sim/istio/features.h"
#include "sim/scenario/scenario.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::scenario {
namespace {

namespace fs = std::filesystem;
using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string source(const std::string& rel) {
  return std::string(MESHSIM_SOURCE_DIR) + "/" + rel;
}

// A scenario whose spec starts with `conformance` (indented by four spaces per line).
std::string withConformance(const std::string& block) {
  return "apiVersion: meshsim.io/v1alpha1\n"
         "kind: Scenario\n"
         "metadata:\n"
         "  name: t\n"
         "spec:\n"
         "  conformance:\n" +
         block;
}

StatusOr<Scenario> parse(const std::string& block) {
  return parseScenario(withConformance(block), "t.yaml",
                       [](const std::string&, Manifests&) { return okStatus(); });
}

TEST(FeatureTableTest, SortedUniqueAndFound) {
  const auto all = istio::features();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].name, all[i].name) << "features.cc must stay sorted and unique";
  }
  for (const auto& f : all) {
    EXPECT_EQ(istio::findFeature(f.name), &f);
    EXPECT_FALSE(f.summary.empty()) << f.name;
    EXPECT_FALSE(f.doc.empty()) << f.name;
  }
  EXPECT_EQ(istio::findFeature("VirtualService.http.match.uri.suffix"), nullptr);
}

TEST(ConformanceMetaTest, ParsesTheBlock) {
  auto s = parse(
      "    profile: resilience\n"
      "    support: extended\n"
      "    features: [VirtualService.http.retries, Mesh.defaultRetryPolicy]\n"
      "    references: [\"https://istio.io/x\"]\n");
  ASSERT_THAT(s, IsOk());
  ASSERT_TRUE(s->conformance.has_value());
  EXPECT_EQ(s->conformance->profile, "resilience");
  EXPECT_TRUE(s->conformance->extended);
  EXPECT_THAT(s->conformance->features,
              ElementsAre("VirtualService.http.retries", "Mesh.defaultRetryPolicy"));
  EXPECT_THAT(s->conformance->references, ElementsAre("https://istio.io/x"));
  EXPECT_EQ(s->conformance->location.line, 7);
}

TEST(ConformanceMetaTest, OptionalOutsideASuite) {
  auto s = parseScenario(
      "apiVersion: meshsim.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
      "spec: {}\n",
      "t.yaml");
  ASSERT_THAT(s, IsOk());
  EXPECT_FALSE(s->conformance.has_value());
}

TEST(ConformanceMetaTest, MistakesNameFileLineAndField) {
  const std::string ok_rest =
      "    support: core\n    features: [Gateway.selector]\n    references: [x]\n";
  EXPECT_THAT(
      parse("    profile: http\n" + ok_rest),
      StatusIs(StatusCode::InvalidArgument,
               HasSubstr("t.yaml:7:14: spec.conformance.profile: unknown profile \"http\"")));
  EXPECT_THAT(
      parse("    profile: mesh-http\n    support: optional\n    features: [Gateway.selector]\n"
            "    references: [x]\n"),
      StatusIs(StatusCode::InvalidArgument,
               HasSubstr("t.yaml:8:14: spec.conformance.support: expected core or extended")));
  EXPECT_THAT(parse("    profile: mesh-http\n    support: core\n    features:\n"
                    "      - Gateway.selector\n      - Gateway.selectr\n    references: [x]\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("t.yaml:11:9: spec.conformance.features[1]: unknown feature "
                                 "\"Gateway.selectr\"")));
  EXPECT_THAT(parse("    profile: mesh-http\n    support: core\n    features: []\n"
                    "    references: [x]\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("spec.conformance.features: name at least one feature")));
  EXPECT_THAT(
      parse("    profile: mesh-http\n    support: core\n    features: [Gateway.selector]\n"),
      StatusIs(StatusCode::InvalidArgument, HasSubstr("spec.conformance.references")));
  EXPECT_THAT(parse("    profile: mesh-http\n" + ok_rest + "    level: 3\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("spec.conformance.level: unknown field \"level\"")));
  EXPECT_THAT(parse("    support: core\n    features: [Gateway.selector]\n    references: [x]\n"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("spec.conformance.profile")));
}

TEST(SuiteTest, TheShippedSuiteHasMetadataEverywhereAndCoversEveryFeature) {
  auto suite = loadSuite(source("scenarios/conformance"));
  ASSERT_THAT(suite, IsOk());
  // Every scenario file outside pending/ is a test.
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(source("scenarios/conformance"))) {
    const std::string rel =
        entry.path().lexically_relative(source("scenarios/conformance")).generic_string();
    if (entry.is_regular_file() && entry.path().extension() == ".yaml" &&
        !rel.starts_with("pending/") && isScenarioFile(entry.path().string())) {
      ++files;
    }
  }
  EXPECT_EQ(suite->size(), files);
  // A feature the translator implements (the table in sim/istio/features.cc) without a scenario
  // fails here: write one, or take the feature out of the table if it is not implemented.
  for (const auto& c : featureCoverage(*suite)) {
    EXPECT_FALSE(c.tests.empty()) << c.feature << " has no conformance scenario";
  }
}

TEST(SuiteTest, MissingMetadataDuplicateNamesAndBadFolders) {
  EXPECT_THAT(loadSuite(source("tests/conformance/no-metadata-suite")),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("no-metadata-suite/hello.yaml:1:1: spec.conformance: a scenario "
                                 "of a conformance suite needs a conformance block")));
  EXPECT_THAT(
      loadSuite(source("tests/conformance/bad-feature-suite")),
      StatusIs(StatusCode::InvalidArgument,
               HasSubstr("hello.yaml:12:9: spec.conformance.features[1]: unknown feature")));
  EXPECT_THAT(loadSuite(source("tests/conformance/nope")),
              StatusIs(StatusCode::NotFound, HasSubstr("no such folder")));
}

// Whether two parsed documents hold the same values, map keys in the same order (the YAML and
// JSON forms differ only in syntax).
bool sameTree(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) {
    return false;
  }
  if (a.IsScalar()) {
    return a.Scalar() == b.Scalar();
  }
  if (a.size() != b.size()) {
    return false;
  }
  if (a.IsSequence()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!sameTree(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first.Scalar() != j->first.Scalar() || !sameTree(i->second, j->second)) {
      return false;
    }
  }
  return true;
}

class SmallSuiteTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto suite = loadSuite(source("tests/conformance/small-suite"));
    ASSERT_THAT(suite, IsOk());
    suite_ = std::move(suite).value();
  }

  // Plans with `options` and "runs" each test: small-failing-extended fails, the others pass.
  SuitePlan planAndRun(const SuiteOptions& options) {
    auto plan = planSuite(suite_, options);
    EXPECT_THAT(plan, IsOk());
    for (auto& t : plan->tests) {
      if (t.skipped()) {
        continue;
      }
      RunResult r;
      r.name = t.test->scenario.name;
      ExpectationResult e;
      e.what = "traffic hello: status";
      e.passed = r.name != "small-failing-extended";
      e.detail = e.passed ? "" : "saw 200 x 5";
      r.expectations.push_back(e);
      t.outcome = r;
    }
    return std::move(plan).value();
  }

  std::vector<SuiteTest> suite_;
};

TEST_F(SmallSuiteTest, PendingIsLeftOutAndTestsAreInPathOrder) {
  ASSERT_EQ(suite_.size(), 3u);
  EXPECT_EQ(suite_[0].relative, "routing/failing-extended.yaml");
  EXPECT_EQ(suite_[1].relative, "routing/hello-core.yaml");
  EXPECT_EQ(suite_[2].relative, "telemetry-extended.yaml");
}

TEST_F(SmallSuiteTest, ReportCountsPerProfileAndLevel) {
  const SuitePlan plan = planAndRun({});
  ReportInfo info;
  info.version = "1.2.3";
  info.date = "2026-01-02";
  info.meshsim_version = "0.1.0";
  const YAML::Node report = YAML::Load(conformanceReportYaml(plan, info));
  EXPECT_EQ(report["kind"].as<std::string>(), "ConformanceReport");
  EXPECT_EQ(report["date"].as<std::string>(), "2026-01-02");
  ASSERT_EQ(report["profiles"].size(), 2u);
  const YAML::Node ingress = report["profiles"][0];
  EXPECT_EQ(ingress["name"].as<std::string>(), "ingress-http");
  EXPECT_EQ(ingress["core"]["result"].as<std::string>(), "success");
  EXPECT_EQ(ingress["core"]["statistics"]["Passed"].as<int>(), 1);
  EXPECT_EQ(ingress["extended"]["result"].as<std::string>(), "failure");
  EXPECT_EQ(ingress["extended"]["statistics"]["Failed"].as<int>(), 1);
  EXPECT_EQ(ingress["extended"]["failedTests"][0].as<std::string>(), "small-failing-extended");
  EXPECT_EQ(ingress["extended"]["supportedFeatures"][0].as<std::string>(),
            "VirtualService.http.redirect");
  EXPECT_EQ(ingress["summary"].as<std::string>(),
            "Core tests succeeded. Extended tests failed with 1 test failures.");
  EXPECT_EQ(report["profiles"][1]["name"].as<std::string>(), "telemetry");
}

TEST_F(SmallSuiteTest, YamlAndJsonAreTheSameDocument) {
  const SuitePlan plan = planAndRun({});
  ReportInfo info;
  info.version = "1.2.3";
  info.date = "2026-01-02";
  info.meshsim_version = "0.1.0";
  info.contact = {"@someone", "a: \"quoted\" value"};
  const YAML::Node yaml = YAML::Load(conformanceReportYaml(plan, info));
  const YAML::Node json = YAML::Load(conformanceReportJson(plan, info));
  EXPECT_TRUE(sameTree(yaml, json)) << conformanceReportYaml(plan, info);
  EXPECT_EQ(yaml["implementation"]["contact"][1].as<std::string>(), "a: \"quoted\" value");
}

TEST_F(SmallSuiteTest, SkipsUnsupportedFeaturesAndSkippedTests) {
  SuiteOptions options;
  options.supported_features = std::vector<std::string>{"VirtualService.http.redirect"};
  options.skip_tests = {"small-hello-core"};
  const SuitePlan plan = planAndRun(options);
  ASSERT_EQ(plan.tests.size(), 3u);
  EXPECT_EQ(plan.tests[1].verdict(), TestVerdict::Skipped);
  EXPECT_EQ(plan.tests[1].reason(), "skipped by --skip-tests");
  EXPECT_EQ(plan.tests[2].verdict(), TestVerdict::Skipped);
  EXPECT_EQ(plan.tests[2].reason(), "needs the unsupported feature Telemetry.istio_requests_total");
  ReportInfo info;
  const YAML::Node report = YAML::Load(conformanceReportYaml(plan, info));
  const YAML::Node telemetry = report["profiles"][1];
  EXPECT_EQ(telemetry["extended"]["result"].as<std::string>(), "partial");
  EXPECT_EQ(telemetry["extended"]["unsupportedFeatures"][0].as<std::string>(),
            "Telemetry.istio_requests_total");
  EXPECT_EQ(report["profiles"][0]["core"]["skippedTests"][0].as<std::string>(), "small-hello-core");
}

TEST_F(SmallSuiteTest, SelectsByProfileAndTest) {
  SuiteOptions by_profile;
  by_profile.profiles = {"telemetry"};
  auto plan = planSuite(suite_, by_profile);
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->tests.size(), 1u);
  EXPECT_EQ(plan->tests[0].test->scenario.name, "small-telemetry-extended");

  SuiteOptions one;
  one.run_test = "small-hello-core";
  plan = planSuite(suite_, one);
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->tests.size(), 1u);
  EXPECT_EQ(plan->tests[0].test->scenario.name, "small-hello-core");
}

TEST_F(SmallSuiteTest, UnknownNamesInOptionsAreErrors) {
  SuiteOptions o;
  o.profiles = {"grpc"};
  EXPECT_THAT(planSuite(suite_, o),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("unknown profile \"grpc\"")));
  o = {};
  o.run_test = "nope";
  EXPECT_THAT(planSuite(suite_, o),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("--run-test: no test \"nope\"")));
  o = {};
  o.skip_tests = {"nope"};
  EXPECT_THAT(planSuite(suite_, o),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("--skip-tests")));
  o = {};
  o.supported_features = std::vector<std::string>{"Nope.feature"};
  EXPECT_THAT(planSuite(suite_, o),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("unknown feature \"Nope.feature\"")));
}

TEST(PlannedTestTest, AnExpectationNotJudgedIsNeverAPass) {
  SuiteTest test;
  test.scenario.name = "x";
  PlannedTest t;
  t.test = &test;
  RunResult r;
  ExpectationResult judged;
  judged.passed = true;
  ExpectationResult not_judged;
  not_judged.skipped = true;
  not_judged.detail = "needs the gateway's metrics";
  r.expectations = {judged, not_judged};
  t.outcome = r;
  EXPECT_EQ(t.verdict(), TestVerdict::Skipped);
  EXPECT_THAT(t.reason(), HasSubstr("1 of 2 expectations could not be judged (needs the "
                                    "gateway's metrics)"));
  r.expectations.push_back(ExpectationResult{});  // failed
  t.outcome = r;
  EXPECT_EQ(t.verdict(), TestVerdict::Failed);
  t.outcome = RunError{"f.yaml", "f.yaml:3:1: bad", {}};
  EXPECT_EQ(t.verdict(), TestVerdict::Failed);
  EXPECT_EQ(t.reason(), "error: f.yaml:3:1: bad");
}

}  // namespace
}  // namespace meshsim::sim::scenario
