// meshsim conformance: runs the conformance suite and writes a ConformanceReport.

#include "sim/scenario/conformance.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/report.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/target.h"
#include "tools/meshsim/commands.h"
#include "tools/meshsim/scenario_setup.h"

namespace meshsim::cli {

namespace {

namespace fs = std::filesystem;

struct ConformanceFlags {
  std::string suite;
  std::vector<std::string> profiles;
  std::string run_test;
  std::vector<std::string> skip_tests;
  std::vector<std::string> supported_features;
  std::string report_output;
  std::string output = "text";
  std::string output_file;
  std::optional<uint64_t> seed;
  std::string target;  // http://HOST:PORT: a real gateway (run --target)
  bool list_features = false;
  std::string date;
  std::string organization = "meshsim";
  std::string project = "meshsim";
  std::string url = "https://github.com/meshsim/meshsim";
  std::string implementation_version;
  std::vector<std::string> contact;
};

// The suite shipped with the binary: <prefix>/share/meshsim/conformance/scenarios/conformance
// next to <prefix>/bin/meshsim once installed; in a build tree, the source tree's
// scenarios/conformance. Empty when neither exists.
std::string defaultSuite() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed =
        exe.parent_path().parent_path() / "share/meshsim/conformance/scenarios/conformance";
    if (fs::is_directory(installed, ec)) {
      return installed.string();
    }
  }
#ifdef MESHSIM_SOURCE_DIR
  const fs::path source = fs::path(MESHSIM_SOURCE_DIR) / "scenarios/conformance";
  if (fs::is_directory(source, ec)) {
    return source.string();
  }
#endif
  return "";
}

// Today's date in UTC (YYYY-MM-DD), or SOURCE_DATE_EPOCH's when set, so that a build can make
// the report reproducible; --date overrides both. The date is the report's only input from the
// wall clock.
std::string reportDate() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    t = static_cast<std::time_t>(std::strtoll(epoch, nullptr, 10));
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

int listFeatures(const std::vector<sim::scenario::SuiteTest>& suite) {
  int code = kExitOk;
  for (const auto& c : sim::scenario::featureCoverage(suite)) {
    std::string line = c.feature + "  ";
    if (c.tests.empty()) {
      line += "NO SCENARIO";
      code = kExitFailed;
    } else {
      line += std::to_string(c.tests.size()) + (c.tests.size() == 1 ? " test: " : " tests: ");
      for (size_t i = 0; i < c.tests.size(); ++i) {
        line += (i == 0 ? "" : ", ") + c.tests[i];
      }
    }
    std::cout << line << "\n";
  }
  if (code != kExitOk) {
    std::cerr << "error: some features have no scenario in the suite\n";
  }
  return code;
}

int conformanceCommand(const ConformanceFlags& flags) {
  const std::string dir = flags.suite.empty() ? defaultSuite() : flags.suite;
  if (dir.empty()) {
    std::cerr << "error: no conformance suite found next to the meshsim binary; name one with "
                 "--suite DIR\n";
    return kExitInvalid;
  }
  auto suite = sim::scenario::loadSuite(dir);
  if (!suite.ok()) {
    std::cerr << "error: " << suite.status().message() << "\n";
    return kExitInvalid;
  }
  if (flags.list_features) {
    return listFeatures(*suite);
  }
  sim::scenario::SuiteOptions options;
  options.profiles = flags.profiles;
  options.run_test = flags.run_test;
  options.skip_tests = flags.skip_tests;
  if (!flags.supported_features.empty()) {
    options.supported_features = flags.supported_features;
  }
  auto plan = sim::scenario::planSuite(*suite, options);
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return kExitInvalid;
  }
  if (plan->tests.empty()) {
    std::cerr << "error: no test of the suite matches the selection\n";
    return kExitInvalid;
  }
  int code = kExitOk;
  std::vector<sim::scenario::FileOutcome> outcomes;  // for the JUnit report
  for (auto& test : plan->tests) {
    if (test.skipped()) {
      continue;
    }
    sim::scenario::RunOptions run_options;
    run_options.seed = flags.seed;
    try {
      auto result = flags.target.empty()
                        ? sim::scenario::runScenario(test.test->scenario, run_options)
                        : sim::scenario::runAgainstTarget(test.test->scenario, flags.target);
      if (result.ok()) {
        test.outcome = std::move(result).value();
      } else {
        test.outcome =
            sim::scenario::RunError{test.test->file, std::string(result.status().message()), {}};
      }
    } catch (const std::exception& e) {
      test.outcome = sim::scenario::RunError{
          test.test->file, test.test->file + ": internal error: " + e.what(), {}};
    }
    if (std::holds_alternative<sim::scenario::RunError>(*test.outcome)) {
      std::cerr << "error: " << std::get<sim::scenario::RunError>(*test.outcome).message << "\n";
      code = kExitInvalid;
    } else if (test.verdict() == sim::scenario::TestVerdict::Failed) {
      code = std::max(code, kExitFailed);
    }
    outcomes.push_back(*test.outcome);
  }

  sim::scenario::ReportInfo info;
  info.organization = flags.organization;
  info.project = flags.project;
  info.url = flags.url;
  info.version =
      flags.implementation_version.empty() ? MESHSIM_VERSION : flags.implementation_version;
  info.contact = flags.contact;
  info.date = flags.date.empty() ? reportDate() : flags.date;
  info.meshsim_version = MESHSIM_VERSION;
  if (!flags.target.empty()) {
    info.mode = "target";
    info.target = flags.target;
  }
  if (!flags.report_output.empty()) {
    const bool json = fs::path(flags.report_output).extension() == ".json";
    const std::string report = json ? sim::scenario::conformanceReportJson(*plan, info)
                                    : sim::scenario::conformanceReportYaml(*plan, info);
    if (writeOutput(report, flags.report_output) != kExitOk) {
      return kExitInvalid;
    }
  }
  std::string out;
  if (flags.output == "json") {
    out = sim::scenario::conformanceReportJson(*plan, info);
  } else if (flags.output == "junit") {
    out = sim::scenario::junitReport(outcomes);
  } else {
    out = sim::scenario::conformanceTextReport(*plan);
  }
  if (writeOutput(out, flags.output_file) != kExitOk) {
    return kExitInvalid;
  }
  return code;
}

}  // namespace

Command addConformanceCommand(CLI::App& app) {
  auto f = std::make_shared<ConformanceFlags>();
  CLI::App* c = app.add_subcommand(
      "conformance",
      "Run the conformance suite and write a ConformanceReport (docs/conformance.md)");
  c->add_option("--suite", f->suite,
                "The suite's folder (default: the suite installed next to meshsim, or the source "
                "tree's scenarios/conformance)");
  c->add_option("--profile", f->profiles,
                "Only these profiles: ingress-http, mesh-http, resilience, telemetry (repeatable)");
  c->add_option("--run-test", f->run_test, "Run only the test with this ID (its metadata.name)");
  c->add_option("--skip-tests", f->skip_tests, "Skip the tests with these IDs (repeatable)");
  c->add_option("--supported-features", f->supported_features,
                "The extended features the implementation supports (default: all); extended "
                "tests needing others are skipped");
  c->add_option("--report-output", f->report_output,
                "Write the ConformanceReport to FILE (YAML; JSON when FILE ends in .json)");
  c->add_option("-o,--output", f->output,
                "Format on stdout: text (default), json (the report) or junit")
      ->check(CLI::IsMember({"text", "json", "junit"}));
  c->add_option("--output-file", f->output_file, "Write the -o output to FILE instead of stdout");
  c->add_option("--seed", f->seed, "Override every scenario's seed")->check(seedValidator());
  c->add_option("--target", f->target,
                "Send the tests' from: ingress traffic to this real gateway (http://HOST:PORT), "
                "configured with the tests' manifests; tests with expectations that cannot be "
                "judged from outside are skipped");
  c->add_flag("--list-features", f->list_features,
              "List every feature with the tests that cover it; exit 1 when one has none");
  c->add_option("--date", f->date,
                "The report's date (default: today in UTC, or SOURCE_DATE_EPOCH's date)");
  c->add_option("--organization", f->organization, "implementation.organization in the report");
  c->add_option("--project", f->project, "implementation.project in the report");
  c->add_option("--url", f->url, "implementation.url in the report");
  c->add_option("--implementation-version", f->implementation_version,
                "implementation.version in the report (default: meshsim's version)");
  c->add_option("--contact", f->contact, "implementation.contact in the report (repeatable)");
  return [c, f] { return *c ? conformanceCommand(*f) : -1; };
}

}  // namespace meshsim::cli
