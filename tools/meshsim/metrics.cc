// meshsim metrics: runs a scenario and prints every proxy's Istio metrics in the Prometheus text
// format, or the result of PromQL queries over the run's scrapes; optionally writes the access
// logs.
//
//   meshsim metrics scenarios/hello.yaml                       # the exposition, to stdout
//   meshsim metrics scenarios/hello.yaml --output-file hello.prom
//   meshsim metrics scenarios/hello.yaml --at 30s
//       --query 'sum by (response_code) (rate(istio_requests_total[1m]))'   # (one line)
//   meshsim metrics scenarios/hello.yaml --access-log access.log
//
// Exit codes: 0 the metrics were written (whatever the scenario's expectations say), 2 invalid
// input (scenario, query, option) or a file that cannot be written.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/stats/prometheus.h"
#include "sim/mesh.h"
#include "sim/scenario/runner.h"
#include "sim/telemetry/access_logs.h"
#include "sim/telemetry/metric_query.h"
#include "sim/telemetry/scrape.h"
#include "tools/meshsim/commands.h"
#include "tools/meshsim/scenario_setup.h"

namespace meshsim::cli {

namespace {

struct MetricsOptions {
  std::string scenario;
  std::string output;
  std::vector<std::string> queries;
  std::string at;
  std::string scrape_interval = "15s";
  std::string access_log;
  std::optional<uint64_t> seed;
  bool allow_unmodelled = false;
};

// The shortest decimal form of `v` that reads back as `v` (Prometheus' console prints values
// that way), "+Inf", "-Inf" or "NaN".
std::string shortest(double v) {
  if (!std::isfinite(v)) {
    return proxy::stats::formatPrometheusValue(v);
  }
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) {
      break;
    }
  }
  return buf;
}

// "{a="b", c="d"}" as Prometheus' console shows a sample; the name first when it has one.
std::string formatSample(const sim::telemetry::Sample& s) {
  std::string out = s.name;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : s.labels) {
    if (!first) {
      out += ", ";
    }
    first = false;
    out.append(k).append("=\"").append(v).append("\"");
  }
  out += "} ";
  out += shortest(s.value);
  return out;
}

int metricsCommand(const MetricsOptions& o) {
  std::vector<sim::telemetry::MetricQuery> queries;
  for (const auto& text : o.queries) {
    auto q = sim::telemetry::MetricQuery::parse(text);
    if (!q.ok()) {
      std::cerr << "error: " << q.status().message() << "\n";
      return kExitInvalid;
    }
    queries.push_back(std::move(q).value());
  }
  std::optional<sim::telemetry::VirtualTime> at;
  if (!o.at.empty()) {
    at = parseDurationOption("--at", o.at);
    if (!at) {
      return kExitInvalid;
    }
  }
  const auto interval = parseDurationOption("--scrape-interval", o.scrape_interval);
  if (!interval) {
    return kExitInvalid;
  }
  const auto scenario = loadScenarioOrReport(o.scenario, o.allow_unmodelled);
  if (!scenario) {
    return kExitInvalid;
  }

  std::unique_ptr<std::ofstream> access_log;
  if (!o.access_log.empty()) {
    access_log = std::make_unique<std::ofstream>(o.access_log, std::ios::binary);
    if (!*access_log) {
      std::cerr << "error: cannot write " << o.access_log << "\n";
      return kExitInvalid;
    }
  }

  std::string exposition;
  std::string query_output;
  std::string query_error;
  sim::scenario::RunOptions options;
  options.scrape_interval = *interval;
  if (access_log != nullptr) {
    options.on_mesh_ready = [&](sim::Mesh& mesh) {
      // The stream is the log; keep nothing in memory.
      sim::telemetry::enableAccessLogs(
          mesh.proxies(), 0, [&](const std::string& line) { *access_log << line << '\n'; });
    };
  }
  options.on_finished = [&](const sim::Mesh& mesh, const sim::telemetry::Tsdb& tsdb) {
    if (queries.empty()) {
      exposition =
          proxy::stats::renderPrometheusText(sim::telemetry::collectMeshMetrics(mesh.proxies()));
      return;
    }
    const sim::telemetry::VirtualTime when =
        at.value_or(tsdb.lastScrape().value_or(sim::telemetry::VirtualTime{0}));
    for (const auto& q : queries) {
      auto result = q.evaluate(tsdb, when);
      if (!result.ok()) {
        query_error = result.status().message();
        return;
      }
      if (queries.size() > 1) {
        query_output += "# " + q.text() + "\n";
      }
      if (q.returnsScalar()) {
        query_output += shortest(result->front().value) + "\n";
        continue;
      }
      for (const auto& s : *result) {
        query_output += formatSample(s) + "\n";
      }
    }
  };
  if (!runScenarioOrReport(*scenario, o.seed, std::move(options))) {
    return kExitInvalid;
  }
  if (access_log != nullptr) {
    access_log->flush();
    if (!*access_log) {
      std::cerr << "error: cannot write " << o.access_log << "\n";
      return kExitInvalid;
    }
  }
  if (!query_error.empty()) {
    std::cerr << "error: " << query_error << "\n";
    return kExitInvalid;
  }
  return writeOutput(queries.empty() ? exposition : query_output, o.output);
}

}  // namespace

Command addMetricsCommand(CLI::App& app) {
  auto o = std::make_shared<MetricsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "metrics",
      "Run a scenario and print every proxy's Istio metrics (Prometheus text format), or PromQL "
      "query results");
  cmd->add_option("scenario", o->scenario, "Scenario file")->required();
  cmd->add_option("--output-file", o->output, "Write to this file instead of stdout");
  cmd->add_flag("--allow-unmodelled", o->allow_unmodelled, kAllowUnmodelledHelp);
  cmd->add_option("-q,--query", o->queries,
                  "Evaluate a PromQL query over the run's scrapes instead (repeatable)");
  cmd->add_option("--at", o->at,
                  "Virtual time at which queries are evaluated, e.g. 30s (default: the end)");
  cmd->add_option("--scrape-interval", o->scrape_interval,
                  "Scrape interval on virtual time (default 15s; 0s: start and end only)");
  cmd->add_option("--access-log", o->access_log,
                  "Write every proxy's access log to this file, each line prefixed with "
                  "[namespace/pod]");
  cmd->add_option("--seed", o->seed, "Override the scenario's seed")->check(seedValidator());
  return [cmd, o] { return *cmd ? metricsCommand(*o) : -1; };
}

}  // namespace meshsim::cli
