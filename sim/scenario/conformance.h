#pragma once

// File: sim/scenario/conformance.h
//
// The conformance suite as a product: a folder of scenario files, each with spec.conformance
// metadata (profile, support level, features), run as one suite and summarised in a report shaped
// like the Kubernetes Gateway API's ConformanceReport (conformance/apis/v1): per profile, the core
// and extended results with Passed/Failed/Skipped counts, the supported and unsupported features
// and the failed and skipped tests.
//
// Example:
//   auto suite = loadSuite("scenarios/conformance");                 // every file, checked
//   auto plan = planSuite(*suite, options);                          // what to run, what to skip
//   for (auto& test : plan->tests) if (!test.skipped()) test.outcome = run(test.scenario);
//   std::string yaml = conformanceReportYaml(*plan, info);

#include <optional>
#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/scenario/report.h"
#include "sim/scenario/scenario.h"

namespace meshsim::sim::scenario {

// One scenario of a suite. The test's ID is the scenario's metadata.name.
struct SuiteTest {
  std::string file;      // as found (suite folder joined with the relative path)
  std::string relative;  // below the suite folder: "routing/vs-uri-exact.yaml"
  Scenario scenario;
};

// Loads every scenario file below `dir` in path order, leaving out `pending/` (scenarios waiting
// for an expectation kind meshsim lacks). Fails with the file, line and field when a file cannot
// be loaded, lacks spec.conformance, or shares its name with another test; NotFound when `dir`
// is not a folder or holds no scenario.
StatusOr<std::vector<SuiteTest>> loadSuite(const std::string& dir);

struct SuiteOptions {
  std::vector<std::string> profiles;  // only these profiles; empty: every profile
  std::string run_test;               // only this test; empty: every test
  std::vector<std::string> skip_tests;
  // The extended features the implementation supports: an extended test that needs another
  // feature is skipped and its features reported as unsupported. nullopt: every feature. Core
  // tests always run.
  std::optional<std::vector<std::string>> supported_features;
};

enum class TestVerdict { Passed, Failed, Skipped };

struct PlannedTest {
  const SuiteTest* test = nullptr;
  // Why the test is not run (--skip-tests, an unsupported feature); empty when it runs.
  std::string skip_reason;
  // The run's result or the error that stopped it; set by the caller for tests that run.
  std::optional<FileOutcome> outcome;
  bool skipped() const { return !skip_reason.empty(); }
  // Passed when every expectation held; Skipped when not run, or when an expectation could not
  // be judged (e.g. from outside a real gateway) and none failed; Failed otherwise.
  TestVerdict verdict() const;
  // Why the test did not pass, in one line; empty when it passed.
  std::string reason() const;
};

struct SuitePlan {
  std::vector<PlannedTest> tests;  // the selected tests, in suite order
  std::vector<std::string> profiles;
  std::optional<std::vector<std::string>> supported_features;
};

// Selects and plans the tests of `suite`. Fails (InvalidArgument) on an unknown profile, test ID
// or feature name in `options`.
StatusOr<SuitePlan> planSuite(const std::vector<SuiteTest>& suite, const SuiteOptions& options);

// Who ran the suite and how, for the report's header.
struct ReportInfo {
  std::string organization = "meshsim";
  std::string project = "meshsim";
  std::string url = "https://github.com/meshsim/meshsim";
  std::string version;  // the implementation's version
  std::vector<std::string> contact;
  std::string date;  // as given: reports stay byte-identical for the same inputs
  std::string meshsim_version;
  std::string mode = "in-process";  // or "target"
  std::string target;               // the gateway address in target mode
};

// The report as YAML (kind: ConformanceReport) and as JSON: the same fields in the same order.
std::string conformanceReportYaml(const SuitePlan& plan, const ReportInfo& info);
std::string conformanceReportJson(const SuitePlan& plan, const ReportInfo& info);
// For people: one line per test (PASS/FAIL/SKIP with the reason), then one line per profile.
std::string conformanceTextReport(const SuitePlan& plan);

// Every feature with the tests that cover it ("" when none): "FEATURE  test, test".
struct FeatureCoverage {
  std::string feature;
  std::vector<std::string> tests;  // IDs, in suite order
};
std::vector<FeatureCoverage> featureCoverage(const std::vector<SuiteTest>& suite);

}  // namespace meshsim::sim::scenario
