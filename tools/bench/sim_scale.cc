// Meshes of 100, 1,000 and 10,000 services through `meshsim run`, as a new user would try them:
// wall time and peak memory of the whole process (start, load, translate, run, report), and how
// they grow with the mesh. DESIGN.md's scale targets are printed beside the figures.
//
//   build/default/tools/bench/sim_scale [--meshsim PATH] [--sizes 100,1000,10000]
//                                       [--pushes-at 1000] [--keep DIR]
//
// Each generated mesh (one namespace with sidecar injection): per service one Deployment with one
// pod and a Service; a DestinationRule with subsets v1 and v2 for every tenth service; the default
// ingress gateway (fixtures/istio/ingressgateway.yaml) and a Gateway plus VirtualService for
// hello.com routing to the first service. The scenario sends 1,000 requests from outside through
// the gateway and 1,000 east-west requests (ten pods, each calling another service) and expects
// every one to answer 200. The push runs add 10 or 100 events that apply and delete a mesh
// VirtualService while the traffic flows; their peak memory shows whether retired configuration
// is freed (the same peak for 10 and 100 pushes) or piles up.
//
// docs/performance.md records what this printed.

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string meshsim;
  std::vector<int> sizes = {100, 1000, 10000};
  int pushes_at = 1000;  // services of the push runs; 0: none
  std::string keep;      // where the generated files go (kept); empty: a temporary folder
};

// One service "svc-N": a Deployment with one pod (labels app, version v1) and a Service on 80.
void writeService(std::ostream& out, int i) {
  const std::string name = "svc-" + std::to_string(i);
  out << "---\n"
      << "{apiVersion: apps/v1, kind: Deployment, metadata: {name: " << name
      << ", namespace: default}, spec: {replicas: 1, selector: {matchLabels: {app: " << name
      << "}}, template: {metadata: {labels: {app: " << name
      << ", version: v1}}, spec: {containers: [{name: app, image: app:1, ports: [{containerPort: "
         "8080, name: http}]}]}}}}\n"
      << "---\n"
      << "{apiVersion: v1, kind: Service, metadata: {name: " << name
      << ", namespace: default}, spec: {selector: {app: " << name
      << "}, ports: [{name: http, port: 80, targetPort: http}]}}\n";
  if (i % 10 == 0) {
    out << "---\n"
        << "{apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: " << name
        << ", namespace: default}, spec: {host: " << name
        << ", subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: "
           "v2}}]}}\n";
  }
}

// The manifests of a mesh of `services` services.
void writeMesh(const fs::path& file, int services) {
  std::ofstream out(file);
  out << "{apiVersion: v1, kind: Namespace, metadata: {name: default, labels: {istio-injection: "
         "enabled}}}\n"
      << "---\n"
      << "{apiVersion: networking.istio.io/v1, kind: Gateway, metadata: {name: hello-gateway, "
         "namespace: default}, spec: {selector: {istio: ingressgateway}, servers: [{port: "
         "{number: 80, name: http, protocol: HTTP}, hosts: [hello.com]}]}}\n"
      << "---\n"
      << "{apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: {name: hello, "
         "namespace: default}, spec: {hosts: [hello.com], gateways: [hello-gateway], http: "
         "[{route: [{destination: {host: svc-0.default.svc.cluster.local, subset: v1, port: "
         "{number: 80}}}]}]}}\n";
  for (int i = 0; i < services; ++i) {
    writeService(out, i);
  }
}

// The scenario: 1,000 edge and 1,000 east-west requests, `pushes` apply/delete events.
void writeScenario(const fs::path& file, const std::string& mesh_file, const std::string& gateway,
                   int services, int pushes) {
  std::ofstream out(file);
  out << "apiVersion: meshsim.io/v1alpha1\nkind: Scenario\nmetadata:\n  name: scale-" << services
      << "-" << pushes << "\nspec:\n  include:\n    - " << gateway << "\n    - " << mesh_file
      << "\n  traffic:\n"
      << "    - name: edge\n      request: {url: http://hello.com/}\n      count: 1000\n"
      << "      rate: 1000/s\n";
  for (int k = 0; k < 10; ++k) {
    const int from = (k * 7919) % services;
    const int to = (from + services / 2 + 1) % services;
    out << "    - name: east-west-" << k << "\n      from: deployment/svc-" << from
        << "\n      request: {url: http://svc-" << to << "/}\n      count: 100\n"
        << "      rate: 100/s\n";
  }
  if (pushes > 0) {
    out << "  events:\n";
    for (int p = 0; p < pushes; ++p) {
      // Within the traffic's second: apply at even steps, delete at odd ones.
      const int at_us = 5000 + p * (990000 / pushes);
      out << "    - at: " << at_us / 1000 << "." << at_us % 1000 / 100 << "ms\n";
      if (p % 2 == 0) {
        out << "      apply: |\n"
            << "        {apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: "
               "{name: pushed, namespace: default}, spec: {hosts: [svc-1], http: [{route: "
               "[{destination: {host: svc-1}}], headers: {response: {set: {x-push: \""
            << p << "\"}}}}]}}\n";
      } else {
        out << "      delete: {kind: VirtualService, name: pushed, namespace: default}\n";
      }
    }
  }
  out << "  expect:\n    - traffic: edge\n      status: 200\n";
  for (int k = 0; k < 10; ++k) {
    out << "    - traffic: east-west-" << k << "\n      status: 200\n";
  }
}

struct Measured {
  bool ok = false;
  double wall_s = 0;
  double peak_mib = 0;
  std::string failure;
};

// Runs `meshsim run FILE` as a child process: wall time and the child's peak resident set.
Measured runMeshsim(const std::string& meshsim, const fs::path& scenario) {
  Measured m;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    m.failure = "fork failed";
    return m;
  }
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDOUT_FILENO);
    }
    const std::string file = scenario.string();
    ::execl(meshsim.c_str(), meshsim.c_str(), "run", file.c_str(), static_cast<char*>(nullptr));
    std::perror("exec meshsim");
    std::_Exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (::wait4(pid, &status, 0, &usage) < 0) {
    m.failure = "wait4 failed";
    return m;
  }
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    m.ok = true;
  } else if (WIFEXITED(status)) {
    m.failure = "exit " + std::to_string(WEXITSTATUS(status));
  } else {
    m.failure = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return m;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  const fs::path self = fs::absolute(argv[0]).parent_path();
  o.meshsim = (self / ".." / ".." / "meshsim").lexically_normal().string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--meshsim" && has_value) {
      o.meshsim = argv[++i];
    } else if (arg == "--sizes" && has_value) {
      o.sizes.clear();
      std::stringstream list(argv[++i]);
      for (std::string n; std::getline(list, n, ',');) {
        o.sizes.push_back(std::atoi(n.c_str()));
        if (o.sizes.back() < 20) {
          std::cerr << "error: --sizes: each size must be at least 20\n";
          return std::nullopt;
        }
      }
    } else if (arg == "--pushes-at" && has_value) {
      o.pushes_at = std::atoi(argv[++i]);
    } else if (arg == "--keep" && has_value) {
      o.keep = argv[++i];
    } else {
      std::cerr << "usage: sim_scale [--meshsim PATH] [--sizes 100,1000,10000] [--pushes-at N]"
                   " [--keep DIR]\n";
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse(argc, argv);
  if (!options) {
    return 2;
  }
  if (::access(options->meshsim.c_str(), X_OK) != 0) {
    std::cerr << "error: no meshsim executable at " << options->meshsim << " (--meshsim PATH)\n";
    return 2;
  }
  const fs::path dir = options->keep.empty()
                           ? fs::temp_directory_path() / ("sim_scale." + std::to_string(getpid()))
                           : fs::path(options->keep);
  fs::create_directories(dir);
  const std::string gateway =
      std::string(MESHSIM_SOURCE_DIR) + "/fixtures/istio/ingressgateway.yaml";

  std::cout << "meshsim run on generated meshes (" << options->meshsim << ")\n\n"
            << "| services | wall time | peak memory | time ratio | memory ratio | result |\n"
            << "| --- | --- | --- | --- | --- | --- |\n";
  bool all_ok = true;
  std::optional<Measured> previous;
  int previous_size = 0;
  std::optional<Measured> largest;
  for (int n : options->sizes) {
    const std::string mesh = "mesh-" + std::to_string(n) + ".yaml";
    writeMesh(dir / mesh, n);
    const fs::path scenario = dir / ("scale-" + std::to_string(n) + ".yaml");
    writeScenario(scenario, mesh, gateway, n, 0);
    const Measured m = runMeshsim(options->meshsim, scenario);
    all_ok = all_ok && m.ok;
    std::cout << "| " << n << " | " << fixed(m.wall_s, 2) << " s | " << fixed(m.peak_mib, 0)
              << " MiB | ";
    if (previous && previous->ok && m.ok) {
      const double size_ratio = static_cast<double>(n) / previous_size;
      std::cout << fixed(m.wall_s / previous->wall_s, 1) << "x for " << fixed(size_ratio, 0)
                << "x | " << fixed(m.peak_mib / previous->peak_mib, 1) << "x | ";
    } else {
      std::cout << "| | ";
    }
    std::cout << (m.ok ? "PASS" : "FAILED: " + m.failure) << " |\n";
    previous = m;
    previous_size = n;
    if (n == 10000) {
      largest = m;
    }
  }
  if (largest && largest->ok) {
    std::cout << "\ntarget 10,000 services <= 2 s: " << fixed(largest->wall_s, 2) << " s "
              << (largest->wall_s <= 2.0 ? "met" : "MISSED")
              << "; <= 1 GiB: " << fixed(largest->peak_mib, 0) << " MiB "
              << (largest->peak_mib <= 1024 ? "met" : "MISSED") << "\n";
  }
  std::cout << "target 10x services <= 12x time and memory: see the ratio columns\n";

  if (options->pushes_at > 0) {
    const int n = options->pushes_at;
    const std::string mesh = "mesh-" + std::to_string(n) + ".yaml";
    if (!fs::exists(dir / mesh)) {
      writeMesh(dir / mesh, n);
    }
    std::cout << "\nconfiguration pushes at " << n << " services\n\n"
              << "| pushes | wall time | peak memory | result |\n| --- | --- | --- | --- |\n";
    std::vector<Measured> runs;
    for (int pushes : {0, 10, 100}) {
      const fs::path scenario =
          dir / ("push-" + std::to_string(n) + "-" + std::to_string(pushes) + ".yaml");
      writeScenario(scenario, mesh, gateway, n, pushes);
      runs.push_back(runMeshsim(options->meshsim, scenario));
      const Measured& m = runs.back();
      all_ok = all_ok && m.ok;
      std::cout << "| " << pushes << " | " << fixed(m.wall_s, 2) << " s | " << fixed(m.peak_mib, 0)
                << " MiB | " << (m.ok ? "PASS" : "FAILED: " + m.failure) << " |\n";
    }
    if (runs[1].ok && runs[2].ok) {
      const double growth = runs[2].peak_mib / runs[1].peak_mib;
      std::cout << "\ntarget memory flat under pushes (100 pushes <= 1.10x the peak of 10): "
                << fixed(growth, 2) << "x " << (growth <= 1.10 ? "met" : "MISSED") << "\n";
    }
  }
  if (options->keep.empty()) {
    fs::remove_all(dir);
  }
  return all_ok ? 0 : 1;
}
