// meshsim graph: runs a scenario and prints the Kiali-style service graph derived from its
// metrics, as Graphviz DOT, JSON, or SVG rendered by Graphviz's `dot`.
//
//   meshsim graph scenarios/hello.yaml                  # DOT, to stdout
//   meshsim graph scenarios/hello.yaml -o json
//   meshsim graph scenarios/hello.yaml -o svg --output-file hello.svg
//   meshsim graph scenarios/hello.yaml --window 1m      # rates over the last minute
//
// Exit codes: 0 the graph was written, 2 invalid input, or `dot` missing or failing for svg.

#include "sim/telemetry/graph.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "sim/mesh.h"
#include "sim/scenario/runner.h"
#include "tools/meshsim/commands.h"
#include "tools/meshsim/scenario_setup.h"

namespace meshsim::cli {

namespace {

struct GraphCommandOptions {
  std::string scenario;
  std::string format = "dot";
  std::string output;
  std::string window;
  std::optional<uint64_t> seed;
  bool allow_unmodelled = false;
};

// Whether an executable named `name` is on the PATH.
bool onPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) {
    return false;
  }
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

// Single-quotes `s` for /bin/sh.
std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Pipes `dot_text` through `dot -Tsvg`, to `output` or to stdout.
int renderSvg(const std::string& dot_text, const std::string& output) {
  if (!onPath("dot")) {
    std::cerr << "error: -o svg needs Graphviz's dot on the PATH (Debian package graphviz); "
                 "use -o dot and render it elsewhere\n";
    return kExitInvalid;
  }
  std::cout.flush();
  const std::string command = "dot -Tsvg" + (output.empty() ? "" : " -o " + shellQuote(output));
  FILE* pipe = popen(command.c_str(), "w");
  if (pipe == nullptr) {
    std::cerr << "error: cannot run dot\n";
    return kExitInvalid;
  }
  const size_t written = fwrite(dot_text.data(), 1, dot_text.size(), pipe);
  const int status = pclose(pipe);
  if (written != dot_text.size() || status == -1 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    std::cerr << "error: dot -Tsvg failed\n";
    return kExitInvalid;
  }
  return kExitOk;
}

int graphCommand(const GraphCommandOptions& o) {
  std::optional<sim::telemetry::VirtualTime> window;
  if (!o.window.empty()) {
    window = parseDurationOption("--window", o.window);
    if (!window) {
      return kExitInvalid;
    }
  }
  const auto scenario = loadScenarioOrReport(o.scenario, o.allow_unmodelled);
  if (!scenario) {
    return kExitInvalid;
  }

  std::optional<sim::telemetry::Graph> graph;
  std::string graph_error;
  sim::scenario::RunOptions options;
  options.on_finished = [&](const sim::Mesh& mesh, const sim::telemetry::Tsdb& tsdb) {
    sim::telemetry::GraphOptions graph_options;
    for (const auto& pod : mesh.world().pods()) {
      if (pod.gateway) {
        graph_options.ingress_gateways.insert(pod.namespace_name + "/" + pod.workload);
      }
    }
    const sim::telemetry::VirtualTime end =
        tsdb.lastScrape().value_or(sim::telemetry::VirtualTime{0});
    if (!window) {
      // The whole run: the final counters are the totals.
      graph = sim::telemetry::buildGraph(tsdb.latest(), end, graph_options);
      return;
    }
    auto g = sim::telemetry::buildGraph(tsdb, end, *window, graph_options);
    if (!g.ok()) {
      graph_error = g.status().message();
      return;
    }
    graph = std::move(g).value();
  };
  if (!runScenarioOrReport(*scenario, o.seed, std::move(options))) {
    return kExitInvalid;
  }
  if (!graph) {
    std::cerr << "error: " << graph_error << "\n";
    return kExitInvalid;
  }
  if (o.format == "svg") {
    return renderSvg(sim::telemetry::graphToDot(*graph), o.output);
  }
  return writeOutput(
      o.format == "json" ? sim::telemetry::graphToJson(*graph) : sim::telemetry::graphToDot(*graph),
      o.output);
}

}  // namespace

Command addGraphCommand(CLI::App& app) {
  auto o = std::make_shared<GraphCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "graph", "Run a scenario and print the service graph its metrics show (as Kiali draws it)");
  cmd->add_option("scenario", o->scenario, "Scenario file")->required();
  cmd->add_option("-o,--output", o->format,
                  "Format: dot (default), json, or svg (through Graphviz's dot)")
      ->check(CLI::IsMember({"dot", "json", "svg"}));
  cmd->add_option("--output-file", o->output, "Write to this file instead of stdout");
  cmd->add_flag("--allow-unmodelled", o->allow_unmodelled, kAllowUnmodelledHelp);
  cmd->add_option("--window", o->window,
                  "Rates over the last DURATION of the run, e.g. 1m (default: the whole run)");
  cmd->add_option("--seed", o->seed, "Override the scenario's seed")->check(seedValidator());
  return [cmd, o] { return *cmd ? graphCommand(*o) : -1; };
}

}  // namespace meshsim::cli
