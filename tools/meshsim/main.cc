// The meshsim command line. Each subcommand lives in its own file (see commands.h).
//
// Exit codes: 0 every expectation held, 1 an expectation failed, 2 invalid input or usage.

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/meshsim/commands.h"

namespace {

int run(int argc, char** argv) {
  using meshsim::cli::kExitInvalid;
  CLI::App app{"meshsim: a sidecar-plus-gateway service-mesh simulator and test harness"};
  app.set_version_flag("--version", std::string("meshsim ") + MESHSIM_VERSION);
  app.require_subcommand(1);
  // Usage errors read like every other error of meshsim's: "error: ..." on stderr, exit 2.
  app.failure_message([](const CLI::App* /*app*/, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + " (see meshsim help)\n";
  });

  const std::vector<meshsim::cli::Command> commands = {
      meshsim::cli::addRunCommand(app),         meshsim::cli::addValidateCommand(app),
      meshsim::cli::addExplainCommand(app),     meshsim::cli::addMetricsCommand(app),
      meshsim::cli::addGraphCommand(app),       meshsim::cli::addServeCommand(app),
      meshsim::cli::addConformanceCommand(app), meshsim::cli::addExportCommand(app),
  };

  // meshsim help [COMMAND]: the same text as --help.
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "Show help for meshsim or for one command");
  help->add_option("command", help_topic, "The command to explain (run, validate, explain, ...)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? meshsim::cli::kExitOk : kExitInvalid;
  }
  if (help->parsed()) {
    if (help_topic.empty()) {
      // Not app.help(): with a subcommand parsed it would describe `help` itself.
      std::cout << app.get_formatter()->make_help(&app, argv[0], CLI::AppFormatMode::Normal);
      return meshsim::cli::kExitOk;
    }
    for (CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == help_topic && sub != help) {
        std::cout << sub->get_formatter()->make_help(sub, std::string(argv[0]) + " " + help_topic,
                                                     CLI::AppFormatMode::Normal);
        return meshsim::cli::kExitOk;
      }
    }
    std::cerr << "error: no command " << help_topic << " (see meshsim help)\n";
    return kExitInvalid;
  }
  for (const auto& command : commands) {
    if (const int code = command(); code >= 0) {
      return code;
    }
  }
  return kExitInvalid;
}

}  // namespace

// An exception that escapes a command (none should) is an error of meshsim's, not a crash.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: internal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "error: internal: unknown exception\n";
  }
  return meshsim::cli::kExitInvalid;
}
