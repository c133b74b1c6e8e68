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

// The check of a --seed: a whole number in [0, 2^64-1]; "-1" is refused, not wrapped round.
inline CLI::Validator seedValidator() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
          return "expected a whole number from 0 to 18446744073709551615, got \"" + value + "\"";
        }
        return "";
      },
      "SEED");
}
// The help of --allow-unmodelled, a flag of every command that loads manifests.
inline constexpr const char* kAllowUnmodelledHelp =
    "Leave out kinds meshsim does not model (AuthorizationPolicy, HTTPRoute, ...) with a warning "
    "in every report, instead of refusing them";

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
// meshsim export: a scenario's manifests, echo servers and scripts for a real cluster.
Command addExportCommand(CLI::App& app);

}  // namespace meshsim::cli
