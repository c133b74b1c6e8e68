// meshsim export: a scenario's manifests, with echo servers for its apps, for a real cluster.

#include "sim/scenario/export.h"

#include <iostream>
#include <memory>
#include <string>

#include "tools/meshsim/commands.h"

namespace meshsim::cli {

namespace {

struct ExportArgs {
  std::string scenario;
  std::string dir;
  std::string image{sim::scenario::kDefaultEchoImage};
};

int exportCommand(const ExportArgs& args) {
  auto exported = sim::scenario::exportScenario(args.scenario, {args.image});
  if (!exported.ok()) {
    std::cerr << "error: " << exported.status().message() << "\n";
    return kExitInvalid;
  }
  if (Status written = sim::scenario::writeExport(exported.value(), args.dir); !written.ok()) {
    std::cerr << "error: " << written.message() << "\n";
    return kExitInvalid;
  }
  size_t manifests = 0;
  for (const auto& f : exported.value().files) {
    manifests += f.path.rfind("manifests/", 0) == 0 ? 1 : 0;
  }
  std::cout << "exported " << args.scenario << " to " << args.dir << ": " << manifests
            << " manifests, scenario.yaml, apply.sh, README.md\n";
  for (const auto& note : exported.value().notes) {
    std::cout << "note: " << note << "\n";
  }
  std::cout << "next: " << args.dir << "/apply.sh, then meshsim run --target "
            << "http://INGRESS_HOST:80 " << args.dir << "/scenario.yaml\n";
  return kExitOk;
}

}  // namespace

Command addExportCommand(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write what a real cluster with Istio needs to run a scenario: its manifests with echo "
      "servers for the apps, the scenario for run --target, an apply script and a README");
  cmd->add_option("scenario", args->scenario, "Scenario file")->required();
  cmd->add_option("-o,--output-dir", args->dir, "Folder to write (new, or empty)")->required();
  cmd->add_option("--image", args->image,
                  "Image the echo server runs on; it needs python3 (default " +
                      std::string(sim::scenario::kDefaultEchoImage) + ")");
  return [cmd, args] { return *cmd ? exportCommand(*args) : -1; };
}

}  // namespace meshsim::cli
