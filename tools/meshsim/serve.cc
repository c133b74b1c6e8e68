// meshsim serve: the world of a set of manifests, run for real on loopback ports.

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/signal_set.hpp>

#include "sim/manifests.h"
#include "sim/serve/served_mesh.h"
#include "tools/meshsim/commands.h"
#include "tools/meshsim/scenario_setup.h"

namespace meshsim::cli {

namespace {

struct ServeArgs {
  std::vector<std::string> files;
  std::string scenario;  // serve this scenario's manifests (include + resources)
  uint16_t port = 0;
  uint16_t admin_port = 0;
  std::vector<std::string> apps;
  uint64_t seed = 1;
  double request_headers_timeout_s = 10;
  double idle_timeout_s = 3600;
  // Downstream connections open at once across every listener; unset: from the descriptor
  // limit (see defaultMaxConnections), 0: no limit.
  std::optional<size_t> max_connections;
  bool allow_unmodelled = false;
};

// The connection cap that keeps a flood of connections from using up the process's file
// descriptors: every downstream connection between two proxies of the mesh takes two
// descriptors (both of its ends are in this process), so half of what the soft RLIMIT_NOFILE
// leaves after the fixed needs: the listeners, the connections to the app servers (two
// descriptors each, at most `app_connections` of them), the admin page (64) and 64 spare. At
// least 16. 0 (no limit) when the descriptor limit is infinite.
size_t defaultMaxConnections(size_t listeners, size_t app_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 0;
  }
  const size_t reserve = listeners + 2 * app_connections + 64 + 64;
  const auto soft = static_cast<size_t>(limit.rlim_cur);
  return std::max<size_t>(16, soft > reserve ? (soft - reserve) / 2 : 0);
}

// "127.0.0.1:18081" -> Address.
StatusOr<proxy::config::Address> parseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return invalidArgumentError("\"" + text + "\" is not HOST:PORT");
  }
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address_v4(text.substr(0, colon), ec);
  int port = 0;
  try {
    port = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
    port = 0;
  }
  if (ec || port < 1 || port > 65535) {
    return invalidArgumentError("\"" + text + "\" is not an IPv4 HOST:PORT");
  }
  return proxy::config::Address{ip.to_uint(), static_cast<uint16_t>(port)};
}

int serveCommand(const ServeArgs& args) {
  if (args.files.empty() == args.scenario.empty()) {
    std::cerr << "error: name the manifests to serve with -f, or a scenario with --scenario "
                 "(not both)\n";
    return kExitInvalid;
  }
  std::optional<sim::Manifests> manifests;
  if (!args.scenario.empty()) {
    auto scenario = loadScenarioOrReport(args.scenario, args.allow_unmodelled);
    if (!scenario) {
      return kExitInvalid;
    }
    if (!scenario->workloads.empty()) {
      std::cerr << args.scenario
                << ": note: the scenario's workload behaviours are not served; every app echoes\n";
    }
    manifests = std::move(scenario->manifests);
  } else {
    manifests = loadManifestsOrReport(args.files, args.allow_unmodelled);
  }
  if (!manifests) {
    return kExitInvalid;
  }
  sim::serve::ServeOptions options;
  options.gateway_port = args.port;
  options.admin_port = args.admin_port;
  options.seed = args.seed;
  options.listener_options.request_headers_timeout = std::chrono::duration_cast<proxy::Duration>(
      std::chrono::duration<double>(args.request_headers_timeout_s));
  options.listener_options.idle_timeout = std::chrono::duration_cast<proxy::Duration>(
      std::chrono::duration<double>(args.idle_timeout_s));
  // Envoy's idle_timeout (HttpProtocolOptions) is one setting for both ends: the connection
  // manager's downstream connections and a cluster's upstream pool. Without it on the pools, the
  // connections to the apps that a peak of load opened stayed open (the apps keep them 60 s).
  options.pool_options.idle_timeout = options.listener_options.idle_timeout;
  // One cap for all listeners; its value is known once the mesh says how many there are.
  auto limit = std::make_shared<proxy::net::SharedConnectionLimit>();
  options.listener_options.shared_limit = limit;
  for (const auto& app : args.apps) {
    const size_t eq = app.find('=');
    auto address = eq == std::string::npos ? StatusOr<proxy::config::Address>(invalidArgumentError(
                                                 "expected NAMESPACE/POD=HOST:PORT"))
                                           : parseHostPort(app.substr(eq + 1));
    if (!address.ok()) {
      std::cerr << "error: --app " << app << ": " << address.status().message() << "\n";
      return kExitInvalid;
    }
    options.external_apps[app.substr(0, eq)] = *address;
  }

  auto mesh = sim::serve::ServedMesh::create(std::move(*manifests), options);
  if (!mesh.ok()) {
    std::cerr << "error: " << mesh.status().message() << "\n";
    return kExitInvalid;
  }
  for (const auto& w : (*mesh)->warnings()) {
    std::cerr << w << "\n";
  }
  size_t listeners = 0;
  size_t apps = 0;
  for (const auto& e : (*mesh)->endpoints()) {
    listeners += e.kind == sim::serve::ServedEndpoint::Kind::App ? 0 : 1;
    apps += e.kind == sim::serve::ServedEndpoint::Kind::App ? 1 : 0;
  }
  limit->max =
      args.max_connections.value_or(defaultMaxConnections(listeners, apps * options.app_threads));
  std::cout << "gateway listening on 127.0.0.1:" << (*mesh)->gatewayPort() << "\n";
  std::cout << "admin listening on 127.0.0.1:" << (*mesh)->adminPort() << " (/stats/prometheus)\n";
  for (const auto& e : (*mesh)->endpoints()) {
    if (e.kind == sim::serve::ServedEndpoint::Kind::Admin) {
      continue;
    }
    std::cout << "  " << toString(e.kind) << " " << e.pod << " "
              << proxy::config::toString(e.virtual_address) << " -> "
              << proxy::config::toString(e.real_address) << "\n";
  }
  std::cout << "downstream connections: "
            << (limit->max == 0 ? std::string("no limit") : "at most " + std::to_string(limit->max))
            << " across all listeners; idle ones closed ";
  if (args.idle_timeout_s > 0) {
    std::cout << "after " << args.idle_timeout_s << " s\n";
  } else {
    std::cout << "never\n";
  }
  std::cout << "serving; Ctrl-C stops" << std::endl;

  // A peer that closes early must not kill the process when a write follows.
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::signal_set signals((*mesh)->ioContext(), SIGINT, SIGTERM);
  signals.async_wait([&mesh](const boost::system::error_code& ec, int /*signal*/) {
    if (!ec) {
      (*mesh)->stop();
    }
  });
  (*mesh)->run();
  std::cout << "stopped" << std::endl;
  return kExitOk;
}

}  // namespace

Command addServeCommand(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run the mesh of the manifests for real: the ingress gateway, sidecars and apps listen on "
      "127.0.0.1 ports");
  serve->add_option("-f,--filename", args->files, "Manifest files or folders (repeatable)");
  serve->add_option("--scenario", args->scenario,
                    "Serve the manifests of this scenario file (its include and resources) instead "
                    "of -f, e.g. as the target of meshsim run --target");
  serve->add_flag("--allow-unmodelled", args->allow_unmodelled, kAllowUnmodelledHelp);
  serve->add_option("--port", args->port,
                    "Port of the ingress gateway's HTTP listener (default: a free port)");
  serve->add_option("--admin-port", args->admin_port,
                    "Port of the admin page with /stats/prometheus (default: a free port)");
  serve->add_option("--app", args->apps,
                    "NAMESPACE/POD=HOST:PORT: that pod's app is the server already running at "
                    "HOST:PORT (repeatable)");
  serve->add_option("--seed", args->seed, "Seed of the random choices (load balancing, weights)")
      ->check(seedValidator());
  serve
      ->add_option("--request-headers-timeout", args->request_headers_timeout_s,
                   "Seconds a client may take to send request headers before a 408 (0: none)")
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--idle-timeout", args->idle_timeout_s,
                   "Seconds a connection may stay idle before it is closed: a client's, and an "
                   "upstream one of the proxies' pools (default 3600, Envoy's; 0: never)")
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--max-connections", args->max_connections,
                   "Downstream connections open at once across all listeners; more are accepted "
                   "and closed at once (default: what the file descriptor limit leaves room for; "
                   "0: no limit)")
      ->check(CLI::NonNegativeNumber);
  return [serve, args] { return *serve ? serveCommand(*args) : -1; };
}

}  // namespace meshsim::cli
