// meshsim run and meshsim validate.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/manifests.h"
#include "sim/mesh.h"
#include "sim/scenario/report.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "tools/meshsim/commands.h"

namespace meshsim::cli {

namespace {

namespace fs = std::filesystem;
using meshsim::sim::scenario::isScenarioFile;

// Expands folders into the scenario files below them, in name order. Files are kept as given.
std::vector<std::string> expandScenarioPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(p, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto ext = it->path().extension();
      if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml") &&
          isScenarioFile(it->path().string())) {
        found.push_back(it->path().string());
      }
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

struct RunFlags {
  std::vector<std::string> paths;
  std::optional<uint64_t> seed;
  std::string output = "text";
  std::string output_file;
};

int runCommand(const RunFlags& flags) {
  int exit_code = kExitOk;
  const auto files = expandScenarioPaths(flags.paths);
  if (files.empty()) {
    std::cerr << "meshsim run: no scenario files found in the given paths\n";
    return kExitInvalid;
  }
  std::vector<meshsim::sim::scenario::RunResult> results;
  std::string out;
  for (const auto& file : files) {
    auto scenario = meshsim::sim::scenario::loadScenario(file);
    if (!scenario.ok()) {
      std::cerr << "error: " << scenario.status().message() << "\n";
      exit_code = kExitInvalid;
      continue;
    }
    meshsim::sim::scenario::RunOptions options;
    options.seed = flags.seed;
    auto result = meshsim::sim::scenario::runScenario(*scenario, options);
    if (!result.ok()) {
      std::cerr << "error: " << result.status().message() << "\n";
      exit_code = kExitInvalid;
      continue;
    }
    if (flags.output == "text") {
      out += (results.empty() ? "" : "\n") + meshsim::sim::scenario::textReport(*result);
    } else if (flags.output == "json") {
      out += meshsim::sim::scenario::jsonReport(*result);
    }
    if (!result->passed() && exit_code == kExitOk) {
      exit_code = kExitFailed;
    }
    results.push_back(std::move(result).value());
  }
  if (flags.output == "junit") {
    out = meshsim::sim::scenario::junitReport(results);
  }
  if (flags.output_file.empty()) {
    std::cout << out;
  } else {
    std::ofstream f(flags.output_file, std::ios::binary);
    f << out;
    if (!f) {
      std::cerr << "error: cannot write " << flags.output_file << "\n";
      return kExitInvalid;
    }
  }
  return exit_code;
}

int validateCommand(const std::vector<std::string>& paths) {
  int exit_code = kExitOk;
  for (const auto& path : paths) {
    std::error_code ec;
    meshsim::sim::Manifests manifests;
    if (!fs::exists(path, ec)) {
      std::cerr << "error: " << path << ": no such file or folder\n";
      exit_code = kExitInvalid;
      continue;
    }
    if (!fs::is_directory(path, ec) && isScenarioFile(path)) {
      auto scenario = meshsim::sim::scenario::loadScenario(path);
      if (!scenario.ok()) {
        std::cerr << "error: " << scenario.status().message() << "\n";
        exit_code = kExitInvalid;
        continue;
      }
      manifests = std::move(scenario->manifests);
    } else if (auto s = meshsim::sim::addPath(path, manifests); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = kExitInvalid;
      continue;
    }
    auto mesh = meshsim::sim::Mesh::create(std::move(manifests));
    if (!mesh.ok()) {
      std::cerr << "error: " << mesh.status().message() << "\n";
      exit_code = kExitInvalid;
      continue;
    }
    for (const auto& w : (*mesh)->warnings()) {
      std::cout << w << "\n";
    }
    std::cout << path << ": " << (*mesh)->world().pods().size() << " pods, "
              << (*mesh)->world().services().size() << " services, " << (*mesh)->proxies().size()
              << " proxies; "
              << ((*mesh)->warnings().empty() ? "no problems found" : "see the notes above")
              << "\n";
  }
  return exit_code;
}

}  // namespace

Command addRunCommand(CLI::App& app) {
  auto o = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "Run scenario files (or every scenario in a folder)");
  run->add_option("paths", o->paths, "Scenario files or folders")->required();
  run->add_option("--seed", o->seed, "Override every scenario's seed");
  run->add_option("--output", o->output,
                  "Report format: text, json (one document per scenario "
                  "and line group) or junit")
      ->check(CLI::IsMember({"text", "json", "junit"}));
  run->add_option("-o,--output-file", o->output_file, "Write the report to FILE instead of stdout");
  return [run, o] { return *run ? runCommand(*o) : -1; };
}

Command addValidateCommand(CLI::App& app) {
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* validate =
      app.add_subcommand("validate", "Load and check manifests or scenarios without running them");
  validate->add_option("paths", *paths, "Scenario files, manifest files or folders")->required();
  return [validate, paths] { return *validate ? validateCommand(*paths) : -1; };
}

}  // namespace meshsim::cli
