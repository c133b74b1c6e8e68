#include "sim/scenario/conformance.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <utility>
#include <variant>

#include "sim/istio/features.h"
#include "sim/json.h"

namespace meshsim::sim::scenario {

namespace {

namespace fs = std::filesystem;

// A report value: a string, a count, or an ordered list or map of values. The YAML and JSON
// writers walk the same tree, so the two forms cannot disagree.
struct Field;

struct Node {
  enum class Kind { String, Count, List, Map };
  Kind kind = Kind::Map;
  std::string text;
  uint64_t count = 0;
  std::vector<Node> items;  // List
  // Map. Not std::pair<std::string, Node>: clang cannot instantiate that pair for the vector of
  // a Node still being defined (the fuzz preset builds this file with clang).
  std::vector<Field> fields;

  // Defined after Field.
  static Node string(std::string s);
  static Node number(uint64_t v);
  static Node list(const std::vector<std::string>& strings);
  Node& add(std::string key, Node value);
};

struct Field {
  std::string key;
  Node value;
};

Node& Node::add(std::string key, Node value) {
  fields.push_back(Field{std::move(key), std::move(value)});
  return fields.back().value;
}

Node Node::string(std::string s) {
  Node n;
  n.kind = Kind::String;
  n.text = std::move(s);
  return n;
}

Node Node::number(uint64_t v) {
  Node n;
  n.kind = Kind::Count;
  n.count = v;
  return n;
}

Node Node::list(const std::vector<std::string>& strings) {
  Node n;
  n.kind = Kind::List;
  for (const auto& s : strings) {
    n.items.push_back(string(s));
  }
  return n;
}

void writeJson(const Node& n, std::string& out, int indent) {
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  switch (n.kind) {
    case Node::Kind::String:
      appendJsonString(out, n.text);
      return;
    case Node::Kind::Count:
      out += std::to_string(n.count);
      return;
    case Node::Kind::List:
      if (n.items.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (size_t i = 0; i < n.items.size(); ++i) {
        out += pad;
        writeJson(n.items[i], out, indent + 2);
        out += i + 1 < n.items.size() ? ",\n" : "\n";
      }
      out += std::string(static_cast<size_t>(indent), ' ') + "]";
      return;
    case Node::Kind::Map:
      out += "{\n";
      for (size_t i = 0; i < n.fields.size(); ++i) {
        out += pad;
        appendJsonString(out, n.fields[i].key);
        out += ": ";
        writeJson(n.fields[i].value, out, indent + 2);
        out += i + 1 < n.fields.size() ? ",\n" : "\n";
      }
      out += std::string(static_cast<size_t>(indent), ' ') + "}";
      return;
  }
}

// YAML scalars are written as JSON strings (a valid YAML double-quoted form) unless they are
// plain words that cannot be read as anything but a string.
std::string yamlScalar(const std::string& s) {
  const bool plain =
      !s.empty() &&
      std::all_of(s.begin(), s.end(),
                  [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '/' || c == '_';
                  }) &&
      !(s[0] >= '0' && s[0] <= '9') && s[0] != '-' && s[0] != '.' && s != "true" && s != "false" &&
      s != "null" && s != "yes" && s != "no" && s != "on" && s != "off";
  return plain ? s : jsonString(s);
}

void writeYaml(const Node& n, std::string& out, int indent);

// A map's or list's value after "key:" or "- ".
void writeYamlValue(const Node& v, std::string& out, int indent) {
  switch (v.kind) {
    case Node::Kind::String:
      out += " " + yamlScalar(v.text) + "\n";
      return;
    case Node::Kind::Count:
      out += " " + std::to_string(v.count) + "\n";
      return;
    case Node::Kind::List:
    case Node::Kind::Map:
      if (v.items.empty() && v.fields.empty()) {
        out += v.kind == Node::Kind::List ? " []\n" : " {}\n";
        return;
      }
      out += "\n";
      writeYaml(v, out, indent);
      return;
  }
}

void writeYaml(const Node& n, std::string& out, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  if (n.kind == Node::Kind::List) {
    for (const auto& item : n.items) {
      if (item.kind == Node::Kind::Map && !item.fields.empty()) {
        // "- key: value" then the other keys aligned under the first.
        std::string inner;
        writeYaml(item, inner, indent + 2);
        out += pad + "- " + inner.substr(static_cast<size_t>(indent) + 2);
      } else {
        out += pad + "-";
        writeYamlValue(item, out, indent + 2);
      }
    }
    return;
  }
  for (const auto& [key, value] : n.fields) {
    out += pad + key + ":";
    writeYamlValue(value, out, indent + 2);
  }
}

const char* verdictName(TestVerdict v) {
  switch (v) {
    case TestVerdict::Passed:
      return "PASS";
    case TestVerdict::Failed:
      return "FAIL";
    case TestVerdict::Skipped:
      return "SKIP";
  }
  return "";
}

struct LevelCounts {
  uint64_t passed = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;
  std::vector<std::string> failed_tests;
  std::vector<std::string> skipped_tests;
  std::set<std::string> supported;
  std::set<std::string> unsupported;
  bool any = false;
  // Gateway API's Result: failure when a test failed, partial when one was skipped.
  std::string result() const {
    return failed > 0 ? "failure" : (skipped > 0 ? "partial" : "success");
  }
  std::string summary(const char* level) const {
    if (failed > 0) {
      return std::string(level) + " tests failed with " + std::to_string(failed) +
             " test failures.";
    }
    if (skipped > 0) {
      return std::string(level) + " tests partially succeeded with " + std::to_string(skipped) +
             " test skips.";
    }
    return std::string(level) + " tests succeeded.";
  }
};

bool isSupported(const std::optional<std::vector<std::string>>& supported,
                 const std::string& feature) {
  return !supported || std::find(supported->begin(), supported->end(), feature) != supported->end();
}

Node statusNode(const LevelCounts& c, bool extended) {
  Node n;
  n.add("result", Node::string(c.result()));
  Node& stats = n.add("statistics", Node{});
  stats.add("Failed", Node::number(c.failed));
  stats.add("Passed", Node::number(c.passed));
  stats.add("Skipped", Node::number(c.skipped));
  if (!c.skipped_tests.empty()) {
    n.add("skippedTests", Node::list(c.skipped_tests));
  }
  if (!c.failed_tests.empty()) {
    n.add("failedTests", Node::list(c.failed_tests));
  }
  if (extended) {
    if (!c.supported.empty()) {
      n.add("supportedFeatures", Node::list({c.supported.begin(), c.supported.end()}));
    }
    if (!c.unsupported.empty()) {
      n.add("unsupportedFeatures", Node::list({c.unsupported.begin(), c.unsupported.end()}));
    }
  }
  return n;
}

Node reportTree(const SuitePlan& plan, const ReportInfo& info) {
  Node root;
  root.add("apiVersion", Node::string("meshsim.io/v1alpha1"));
  root.add("kind", Node::string("ConformanceReport"));
  Node& impl = root.add("implementation", Node{});
  impl.add("organization", Node::string(info.organization));
  impl.add("project", Node::string(info.project));
  impl.add("url", Node::string(info.url));
  impl.add("version", Node::string(info.version));
  impl.add("contact", Node::list(info.contact));
  root.add("date", Node::string(info.date));
  root.add("meshsimVersion", Node::string(info.meshsim_version));
  root.add("mode", Node::string(info.mode));
  if (!info.target.empty()) {
    root.add("target", Node::string(info.target));
  }
  Node& profiles = root.add("profiles", Node{});
  profiles.kind = Node::Kind::List;
  for (const auto& profile : plan.profiles) {
    LevelCounts core;
    LevelCounts extended;
    for (const auto& t : plan.tests) {
      const ConformanceMeta& meta = *t.test->scenario.conformance;
      if (meta.profile != profile) {
        continue;
      }
      LevelCounts& c = meta.extended ? extended : core;
      c.any = true;
      for (const auto& f : meta.features) {
        if (meta.extended) {
          (isSupported(plan.supported_features, f) ? c.supported : c.unsupported).insert(f);
        }
      }
      const std::string& id = t.test->scenario.name;
      switch (t.verdict()) {
        case TestVerdict::Passed:
          ++c.passed;
          break;
        case TestVerdict::Failed:
          ++c.failed;
          c.failed_tests.push_back(id);
          break;
        case TestVerdict::Skipped:
          ++c.skipped;
          c.skipped_tests.push_back(id);
          break;
      }
    }
    if (!core.any && !extended.any) {
      continue;
    }
    // A feature some supported test needs is supported, even if an unsupported one shares it.
    for (const auto& f : extended.supported) {
      extended.unsupported.erase(f);
    }
    Node p;
    p.add("name", Node::string(profile));
    p.add("summary", Node::string(core.summary("Core") + " " + extended.summary("Extended")));
    p.add("core", statusNode(core, false));
    if (extended.any) {
      p.add("extended", statusNode(extended, true));
    }
    profiles.items.push_back(std::move(p));
  }
  return root;
}

}  // namespace

TestVerdict PlannedTest::verdict() const {
  if (skipped() || !outcome) {
    return TestVerdict::Skipped;
  }
  const auto* result = std::get_if<RunResult>(&*outcome);
  if (result == nullptr) {
    return TestVerdict::Failed;
  }
  bool any_skipped = false;
  for (const auto& e : result->expectations) {
    if (!e.passed && !e.skipped) {
      return TestVerdict::Failed;
    }
    any_skipped = any_skipped || e.skipped;
  }
  return any_skipped || result->expectations.empty() ? TestVerdict::Skipped : TestVerdict::Passed;
}

std::string PlannedTest::reason() const {
  if (skipped()) {
    return skip_reason;
  }
  if (!outcome) {
    return "not run";
  }
  if (const auto* error = std::get_if<RunError>(&*outcome)) {
    return "error: " + error->message;
  }
  const auto& result = std::get<RunResult>(*outcome);
  size_t failed = 0;
  size_t not_judged = 0;
  std::string first;
  for (const auto& e : result.expectations) {
    if (!e.passed && !e.skipped) {
      if (failed++ == 0) {
        first = e.location.toString() + " " + e.what + ": " + e.detail;
      }
    }
    not_judged += e.skipped ? 1 : 0;
  }
  if (failed > 0) {
    return std::to_string(failed) + " of " + std::to_string(result.expectations.size()) +
           " expectations failed; first: " + first;
  }
  if (not_judged > 0) {
    return std::to_string(not_judged) + " of " + std::to_string(result.expectations.size()) +
           " expectations could not be judged (" +
           std::find_if(result.expectations.begin(), result.expectations.end(),
                        [](const ExpectationResult& e) { return e.skipped; })
               ->detail +
           ")";
  }
  return result.expectations.empty() ? "no expectations" : "";
}

StatusOr<std::vector<SuiteTest>> loadSuite(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return notFoundError(dir + ": no such folder (the conformance suite; see --suite)");
  }
  std::vector<std::pair<std::string, std::string>> files;  // relative, full
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto ext = it->path().extension();
    if (!it->is_regular_file(ec) || (ext != ".yaml" && ext != ".yml")) {
      continue;
    }
    const std::string relative = it->path().lexically_relative(dir).generic_string();
    if (relative.starts_with("pending/") || !isScenarioFile(it->path().string())) {
      continue;
    }
    files.emplace_back(relative, it->path().string());
  }
  if (ec) {
    return notFoundError(dir + ": cannot read the folder: " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<SuiteTest> suite;
  std::map<std::string, std::string> names;  // test ID -> file
  for (const auto& [relative, file] : files) {
    MESHSIM_ASSIGN_OR_RETURN(Scenario scenario, loadScenario(file));
    if (!scenario.conformance) {
      return invalidArgumentError(
          file +
          ":1:1: spec.conformance: a scenario of a conformance suite needs a conformance "
          "block (profile, support, features, references; see docs/conformance.md)");
    }
    if (auto [it, fresh] = names.emplace(scenario.name, file); !fresh) {
      return invalidArgumentError(file + ": metadata.name: the test ID \"" + scenario.name +
                                  "\" is also the name of " + it->second);
    }
    suite.push_back(SuiteTest{file, relative, std::move(scenario)});
  }
  if (suite.empty()) {
    return notFoundError(dir + ": no scenario files in the conformance suite");
  }
  return suite;
}

StatusOr<SuitePlan> planSuite(const std::vector<SuiteTest>& suite, const SuiteOptions& options) {
  const auto known_profiles = conformanceProfiles();
  for (const auto& p : options.profiles) {
    if (std::find(known_profiles.begin(), known_profiles.end(), p) == known_profiles.end()) {
      return invalidArgumentError("--profile: unknown profile \"" + p + "\"");
    }
  }
  if (options.supported_features) {
    for (const auto& f : *options.supported_features) {
      if (istio::findFeature(f) == nullptr) {
        return invalidArgumentError("--supported-features: unknown feature \"" + f +
                                    "\" (see meshsim conformance --list-features)");
      }
    }
  }
  const auto has_test = [&suite](const std::string& id) {
    return std::any_of(suite.begin(), suite.end(),
                       [&id](const SuiteTest& t) { return t.scenario.name == id; });
  };
  if (!options.run_test.empty() && !has_test(options.run_test)) {
    return invalidArgumentError("--run-test: no test \"" + options.run_test + "\" in the suite");
  }
  for (const auto& id : options.skip_tests) {
    if (!has_test(id)) {
      return invalidArgumentError("--skip-tests: no test \"" + id + "\" in the suite");
    }
  }
  SuitePlan plan;
  plan.supported_features = options.supported_features;
  for (const auto p : known_profiles) {
    if (options.profiles.empty() ||
        std::find(options.profiles.begin(), options.profiles.end(), p) != options.profiles.end()) {
      plan.profiles.emplace_back(p);
    }
  }
  for (const auto& test : suite) {
    const ConformanceMeta& meta = *test.scenario.conformance;
    if (std::find(plan.profiles.begin(), plan.profiles.end(), meta.profile) ==
            plan.profiles.end() ||
        (!options.run_test.empty() && test.scenario.name != options.run_test)) {
      continue;
    }
    PlannedTest planned;
    planned.test = &test;
    if (std::find(options.skip_tests.begin(), options.skip_tests.end(), test.scenario.name) !=
        options.skip_tests.end()) {
      planned.skip_reason = "skipped by --skip-tests";
    } else if (meta.extended) {
      for (const auto& f : meta.features) {
        if (!isSupported(options.supported_features, f)) {
          planned.skip_reason = "needs the unsupported feature " + f;
          break;
        }
      }
    }
    plan.tests.push_back(std::move(planned));
  }
  return plan;
}

std::string conformanceReportYaml(const SuitePlan& plan, const ReportInfo& info) {
  std::string out;
  writeYaml(reportTree(plan, info), out, 0);
  return out;
}

std::string conformanceReportJson(const SuitePlan& plan, const ReportInfo& info) {
  std::string out;
  writeJson(reportTree(plan, info), out, 0);
  return out + "\n";
}

std::string conformanceTextReport(const SuitePlan& plan) {
  std::string out;
  std::map<std::string, std::map<TestVerdict, uint64_t>> by_profile;
  std::map<TestVerdict, uint64_t> total;
  for (const auto& t : plan.tests) {
    const ConformanceMeta& meta = *t.test->scenario.conformance;
    const TestVerdict v = t.verdict();
    out += std::string(verdictName(v)) + "  " + t.test->scenario.name + "  (" + meta.profile +
           ", " + (meta.extended ? "extended" : "core") + ", " + t.test->relative + ")\n";
    if (v != TestVerdict::Passed) {
      out += "      " + t.reason() + "\n";
    }
    ++by_profile[meta.profile][v];
    ++total[v];
  }
  out += "\n";
  const auto counts = [](std::map<TestVerdict, uint64_t>& c) {
    return std::to_string(c[TestVerdict::Passed]) + " passed, " +
           std::to_string(c[TestVerdict::Failed]) + " failed, " +
           std::to_string(c[TestVerdict::Skipped]) + " skipped";
  };
  for (const auto& profile : plan.profiles) {
    if (by_profile.count(profile) != 0) {
      out += "profile " + profile + ": " + counts(by_profile[profile]) + "\n";
    }
  }
  out += std::string(total[TestVerdict::Failed] == 0 ? "PASS" : "FAIL") +
         "  conformance: " + counts(total) + "\n";
  return out;
}

std::vector<FeatureCoverage> featureCoverage(const std::vector<SuiteTest>& suite) {
  std::vector<FeatureCoverage> out;
  for (const auto& f : istio::features()) {
    FeatureCoverage c;
    c.feature = std::string(f.name);
    for (const auto& t : suite) {
      const auto& features = t.scenario.conformance->features;
      if (std::find(features.begin(), features.end(), c.feature) != features.end()) {
        c.tests.push_back(t.scenario.name);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace meshsim::sim::scenario
