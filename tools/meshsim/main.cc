// The meshsim command line. Each subcommand lives in its own file (see commands.h).
//
// Exit codes: 0 every expectation held, 1 an expectation failed, 2 invalid input or usage.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/meshsim/commands.h"

int main(int argc, char** argv) {
  using meshsim::cli::kExitInvalid;
  CLI::App app{"meshsim: a sidecar-plus-gateway service-mesh simulator and test harness"};
  app.set_version_flag("--version", std::string("meshsim ") + MESHSIM_VERSION);
  app.require_subcommand(1);

  const std::vector<meshsim::cli::Command> commands = {
      meshsim::cli::addRunCommand(app),     meshsim::cli::addValidateCommand(app),
      meshsim::cli::addExplainCommand(app), meshsim::cli::addMetricsCommand(app),
      meshsim::cli::addGraphCommand(app),   meshsim::cli::addServeCommand(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? meshsim::cli::kExitOk : kExitInvalid;
  }
  for (const auto& command : commands) {
    if (const int code = command(); code >= 0) {
      return code;
    }
  }
  return kExitInvalid;
}
