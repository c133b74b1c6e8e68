#pragma once

// File: tools/meshsim/commands.h
//
// Each meshsim subcommand registers itself on the CLI11 app and returns the action to run when
// it was chosen. Exit codes: 0 every expectation held, 1 an expectation failed, 2 invalid input
// or usage.

#include <functional>

#include <CLI/CLI.hpp>

namespace meshsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitInvalid = 2;

// Adds the subcommand to `app`; the returned function runs it after parsing, if chosen.
using Command = std::function<int()>;

Command addRunCommand(CLI::App& app);
Command addValidateCommand(CLI::App& app);
Command addExplainCommand(CLI::App& app);
// meshsim metrics: the Istio metrics of a scenario run, as Prometheus text or query results.
Command addMetricsCommand(CLI::App& app);
// meshsim graph: the service graph of a scenario run, as DOT, JSON or SVG.
Command addGraphCommand(CLI::App& app);
Command addServeCommand(CLI::App& app);
// meshsim conformance: the conformance suite and its ConformanceReport.
Command addConformanceCommand(CLI::App& app);

}  // namespace meshsim::cli
