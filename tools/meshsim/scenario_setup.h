#pragma once

// File: tools/meshsim/scenario_setup.h
//
// The setup shared by the commands that run one scenario for what it leaves behind rather than
// for its verdict (meshsim metrics, meshsim graph): loading and running the scenario with errors
// on stderr, duration options, and writing the output to a file or stdout. Errors are printed as
// "error: ..." and mean exit code 2 (kExitInvalid).
//
//   auto scenario = loadScenarioOrReport(flags.scenario);
//   if (!scenario) return kExitInvalid;
//   sim::scenario::RunOptions options;
//   options.on_finished = [&](const sim::Mesh& mesh, const sim::telemetry::Tsdb& tsdb) { ... };
//   if (!runScenarioOrReport(*scenario, flags.seed, options)) return kExitInvalid;
//   return writeOutput(text, flags.output);

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/manifests.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"

namespace meshsim::cli {

// Parses `value` of the duration option `option` ("--window", "1m"). Returns nullopt after
// printing "error: OPTION: message" when it is not a duration.
std::optional<std::chrono::nanoseconds> parseDurationOption(std::string_view option,
                                                            const std::string& value);

// Loads the manifest files and folders of -f (explain, serve), then adds Istio's default ingress
// gateway unless they define one (sim::addDefaultIngressGateway); its warnings become the mesh's.
// Returns nullopt after printing the error when one cannot be loaded. `allow_unmodelled`:
// --allow-unmodelled (sim::Manifests::allow_unmodelled).
std::optional<sim::Manifests> loadManifestsOrReport(const std::vector<std::string>& paths,
                                                    bool allow_unmodelled);

// Loads the scenario file at `path` and the manifests it includes, printing its warnings on
// stderr. Returns nullopt after printing the error (which names file, line and field) when it
// cannot be loaded. `allow_unmodelled`: --allow-unmodelled (sim::scenario::LoadOptions).
std::optional<sim::scenario::Scenario> loadScenarioOrReport(const std::string& path,
                                                            bool allow_unmodelled);

// Runs `scenario` with `options`, its seed replaced by `seed` when given; the callbacks in
// `options` collect what the command prints. Returns false after printing the error when the run
// could not be done (the mesh cannot be built, a stream cannot start). Whether the expectations
// held does not matter here.
bool runScenarioOrReport(const sim::scenario::Scenario& scenario, std::optional<uint64_t> seed,
                         sim::scenario::RunOptions options);

// Writes `text` to the file `path`, or to stdout when `path` is empty. Returns kExitOk, or
// kExitInvalid after printing "error: cannot write PATH".
int writeOutput(const std::string& text, const std::string& path);

}  // namespace meshsim::cli
