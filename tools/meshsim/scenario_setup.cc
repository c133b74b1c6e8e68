#include "tools/meshsim/scenario_setup.h"

#include <fstream>
#include <iostream>
#include <utility>

#include "tools/meshsim/commands.h"

namespace meshsim::cli {

std::optional<std::chrono::nanoseconds> parseDurationOption(std::string_view option,
                                                            const std::string& value) {
  auto d = sim::scenario::parseDuration(value);
  if (!d.ok()) {
    std::cerr << "error: " << option << ": " << d.status().message() << "\n";
    return std::nullopt;
  }
  return *d;
}

std::optional<sim::Manifests> loadManifestsOrReport(const std::vector<std::string>& paths,
                                                    bool allow_unmodelled) {
  sim::Manifests manifests;
  manifests.allow_unmodelled = allow_unmodelled;
  for (const auto& path : paths) {
    if (auto s = sim::addPath(path, manifests); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return std::nullopt;
    }
  }
  if (auto added = sim::addDefaultIngressGateway(manifests); !added.ok()) {
    std::cerr << "error: " << added.status().message() << "\n";
    return std::nullopt;
  }
  return manifests;
}

std::optional<sim::scenario::Scenario> loadScenarioOrReport(const std::string& path,
                                                            bool allow_unmodelled) {
  sim::scenario::LoadOptions load;
  load.allow_unmodelled = allow_unmodelled;
  auto scenario = sim::scenario::loadScenario(path, load);
  if (!scenario.ok()) {
    std::cerr << "error: " << scenario.status().message() << "\n";
    return std::nullopt;
  }
  for (const auto& w : sim::scenario::loadWarnings(*scenario)) {
    std::cerr << "warning: " << w << "\n";
  }
  return std::move(scenario).value();
}

bool runScenarioOrReport(const sim::scenario::Scenario& scenario, std::optional<uint64_t> seed,
                         sim::scenario::RunOptions options) {
  options.seed = seed;
  auto result = sim::scenario::runScenario(scenario, options);
  if (!result.ok()) {
    std::cerr << "error: " << result.status().message() << "\n";
    return false;
  }
  return true;
}

int writeOutput(const std::string& text, const std::string& path) {
  if (path.empty()) {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.flush();
  if (!out) {
    std::cerr << "error: cannot write " << path << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace meshsim::cli
