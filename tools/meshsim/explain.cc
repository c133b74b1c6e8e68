// meshsim explain: one request traced hop by hop through the configuration that routes it,
// then sent through the simulated mesh to show what really happened.

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/router/route_table.h"
#include "proxy/stats/response_flags.h"
#include "sim/driver/traffic.h"
#include "sim/k8s/ingress.h"
#include "sim/manifests.h"
#include "sim/mesh.h"
#include "tools/meshsim/commands.h"
#include "tools/meshsim/scenario_setup.h"

namespace meshsim::cli {

namespace {

struct ExplainFlags {
  std::vector<std::string> files;
  std::string url;
  std::string from = "ingress";
  std::string namespace_name = "default";
  std::vector<std::string> headers;
  std::string method = "GET";
  bool allow_unmodelled = false;
};

std::string podAt(const sim::Mesh& mesh, const proxy::config::Address& a) {
  for (const auto& p : mesh.world().pods()) {
    if (p.ip == a.ip) {
      return p.id() + " (" + proxy::config::toString(a) + ")";
    }
  }
  return proxy::config::toString(a);
}

std::string describeMatch(const proxy::config::RouteMatch& m) {
  std::string out;
  if (!m.path.empty()) {
    out = "path == " + m.path;
  } else if (!m.regex.empty()) {
    out = "path ~ " + m.regex;
  } else {
    out = "prefix " + m.prefix;
  }
  for (const auto& h : m.headers) {
    out += ", header " + h.name + (h.invert ? " (without)" : "") +
           (h.value ? " " + h.value->value : " present");
  }
  for (const auto& q : m.query_parameters) {
    out += ", query " + q.name + (q.value ? "=" + q.value->value : " present");
  }
  return out;
}

int explain(const ExplainFlags& flags) {
  auto manifests = loadManifestsOrReport(flags.files, flags.allow_unmodelled);
  if (!manifests) {
    return kExitInvalid;
  }
  auto created = sim::Mesh::create(std::move(*manifests));
  if (!created.ok()) {
    std::cerr << "error: " << created.status().message() << "\n";
    return kExitInvalid;
  }
  sim::Mesh& mesh = **created;
  for (const auto& w : mesh.warnings()) {
    std::cerr << "warning: " << w << "\n";
  }
  auto url = sim::parseUrl(flags.url);
  if (!url.ok()) {
    std::cerr << "error: --url: " << url.status().message() << "\n";
    return kExitInvalid;
  }
  auto request = std::make_unique<proxy::http::Request>();
  request->method = flags.method;
  request->scheme = url->scheme;
  request->authority = url->explicit_port ? url->host + ":" + std::to_string(url->port) : url->host;
  request->path = url->path;
  for (const auto& h : flags.headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos) {
      std::cerr << "error: -H \"" << h << "\": expected NAME:VALUE\n";
      return kExitInvalid;
    }
    std::string name = proxy::http::toLower(h.substr(0, colon));
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (name == "host") {
      request->authority = value;
    } else {
      request->headers.add(name, value);
    }
  }

  // Where the request goes and who sends it, as a scenario's `from:` reads (ingress,
  // ingress/NAMESPACE/SERVICE, pod/NAME, deployment/NAME in --namespace).
  auto sender = sim::driver::Sender::parse(flags.from, flags.namespace_name);
  if (!sender.ok()) {
    std::cerr << "error: --from: " << sender.status().message() << "\n";
    return kExitInvalid;
  }
  sim::driver::TargetPart part = sim::driver::TargetPart::From;
  auto source = sim::driver::resolveTarget(mesh, *sender, *url, &part);
  if (!source.ok()) {
    std::cerr << "error: " << (part == sim::driver::TargetPart::From ? "--from" : "--url") << ": "
              << source.status().message() << "\n";
    return kExitInvalid;
  }
  std::cout << "request  " << request->method << " " << flags.url
            << " (Host: " << request->authority << ") from " << flags.from << "\n";

  const bool outside = source->pods.empty();
  // The first hop: the ingress gateway, or the client pod's sidecar.
  proxy::Proxy* first = nullptr;
  uint16_t port = 0;
  if (outside) {
    // The gateway Service's target port on its first gateway pod (what kube-proxy may pick).
    auto ingress = sim::k8s::findIngress(mesh.world(), sender->name, url->port);
    port = url->port;
    if (ingress.ok() && !ingress->endpoints.empty()) {
      first = mesh.proxyOf(ingress->endpoints.front().pod);
      port = ingress->endpoints.front().port;
    }
    std::cout << "dns      " << url->host << " -> " << proxy::config::toString(source->to)
              << " (the ingress gateway's external address)\n";
  } else {
    const sim::k8s::PodState* pod = source->pods.front();
    for (size_t i = 0; i < mesh.world().pods().size(); ++i) {
      if (&mesh.world().pods()[i] == pod) {
        first = pod->sidecar ? mesh.proxyOf(i) : nullptr;
      }
    }
    port = url->port;
    std::cout << "client   pod " << pod->id() << "\n";
    std::cout << "dns      " << url->host << " -> " << proxy::config::toString(source->to)
              << " (from namespace " << flags.namespace_name << ")\n";
  }
  if (first == nullptr) {
    std::cout << "proxy    none: nothing on this path runs Istio's proxy for port " << port << "\n";
  } else {
    const auto& cfg = first->config();
    std::cout << "proxy    " << cfg.node_id << "\n";
    const auto [listener, route_config] = first->listenerConfig(port, outside);
    if (listener == nullptr && !outside) {
      // A sidecar's virtual outbound listener takes what no outbound listener does.
      std::cout << "listener none on port " << port << ": the virtual outbound listener "
                << (cfg.outbound_passthrough
                        ? "passes the connection through to " +
                              proxy::config::toString(source->to) +
                              " (PassthroughCluster, outboundTrafficPolicy ALLOW_ANY)"
                        : std::string("closes the connection (BlackHoleCluster, "
                                      "outboundTrafficPolicy REGISTRY_ONLY)"))
                << "\n";
    } else if (listener == nullptr) {
      std::cout << "listener none on port " << port << ": the connection is refused\n";
    } else {
      std::cout << "listener " << listener->name << " -> route configuration "
                << listener->route_config_name << "\n";
      for (const proxy::config::RouteConfiguration* found : {route_config}) {
        const proxy::config::RouteConfiguration& rc = *found;
        auto table = proxy::router::RouteTable::create(rc);
        if (!table.ok()) {
          std::cout << "         invalid: " << table.status().message() << "\n";
          break;
        }
        const auto* vhost = (*table)->findVirtualHost(request->authority);
        if (vhost == nullptr) {
          std::cout << "vhost    none matches \"" << request->authority << "\": 404 NR\n";
          break;
        }
        std::cout << "vhost    " << vhost->name << " (domains:";
        for (const auto& d : vhost->domains) {
          std::cout << " " << d;
        }
        std::cout << ")" << (vhost->source.description.empty() ? "" : " from ")
                  << vhost->source.description << "\n";
        const auto* route = proxy::router::RouteTable::findRoute(*vhost, *request);
        if (route == nullptr) {
          std::cout << "route    none of " << vhost->routes.size() << " routes matches: 404 NR\n";
          break;
        }
        std::cout << "route    " << (route->name.empty() ? "(unnamed)" : route->name) << ": "
                  << describeMatch(route->match) << "\n";
        if (!route->source.description.empty()) {
          std::cout << "         from " << route->source.description << "\n";
        }
        if (route->kind == proxy::config::Route::Kind::Redirect) {
          std::cout << "action   redirect " << route->redirect.response_code << "\n";
        } else if (route->kind == proxy::config::Route::Kind::DirectResponse) {
          std::cout << "action   direct response " << route->direct_response.status << "\n";
        } else {
          for (const auto& c : route->action.clusters) {
            std::cout << "cluster  " << c.name << " weight " << c.weight << "\n";
            for (const proxy::config::Cluster* known : {first->clusterConfig(c.name)}) {
              if (known == nullptr) {
                continue;
              }
              const proxy::config::Cluster& cl = *known;
              if (cl.endpoints.empty() && !cl.original_destination) {
                std::cout << "         no endpoints: 503 UH\n";
              }
              for (const auto& ep : cl.endpoints) {
                std::cout << "         endpoint " << podAt(mesh, ep.address)
                          << (ep.mtls ? " mTLS" : " plaintext") << "\n";
              }
            }
          }
          if (route->action.timeout.count() > 0) {
            std::cout << "         timeout "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(
                             route->action.timeout)
                             .count()
                      << "ms\n";
          }
          if (route->action.retry_policy) {
            std::cout << "         retries " << route->action.retry_policy->num_retries << "\n";
          }
        }
        break;
      }
    }
  }

  // What really happens: send it.
  std::optional<proxy::http::Request> seen;
  mesh.setRequestObserver(
      [&seen](const sim::k8s::PodState&, const proxy::http::Request& r) { seen = r; });
  proxy::http::ResponsePtr response;
  proxy::ResetReason reset = proxy::ResetReason::None;
  const auto done = [&](proxy::http::ResponsePtr r, proxy::ResetReason why) {
    response = std::move(r);
    reset = why;
  };
  if (outside) {
    mesh.sendFromOutside(source->to, std::move(request), done);
  } else {
    mesh.sendFromPod(*source->pods.front(), source->to, std::move(request), done);
  }
  mesh.loop().runUntilIdle();
  if (seen) {
    std::cout << "arrived  " << seen->method << " " << seen->path << " Host: " << seen->authority
              << "\n";
    for (const auto& [k, v] : seen->headers) {
      std::cout << "         " << k << ": " << v << "\n";
    }
  }
  if (response == nullptr) {
    std::cout << "result   no response (" << proxy::toString(reset) << ")\n";
    return kExitOk;
  }
  const auto* pod = mesh.podForOrigin(response->origin);
  std::cout << "result   " << response->status << " "
            << proxy::stats::responseFlagsToString(response->response_flags) << ", served by "
            << (pod == nullptr ? std::string("a proxy's local reply") : "pod " + pod->id()) << "\n";
  return kExitOk;
}

}  // namespace

Command addExplainCommand(CLI::App& app) {
  auto o = std::make_shared<ExplainFlags>();
  CLI::App* cmd = app.add_subcommand(
      "explain",
      "Trace one request through the configuration: listener, virtual host, route "
      "(with the VirtualService file:line), cluster, endpoints, then the result");
  cmd->add_option("-f,--filename", o->files, "Manifest files or folders (repeatable)")->required();
  cmd->add_flag("--allow-unmodelled", o->allow_unmodelled, kAllowUnmodelledHelp);
  cmd->add_option("--url", o->url, "The request URL, e.g. http://hello.com/api")->required();
  cmd->add_option("--from", o->from,
                  "Who sends the request, as a scenario's from: ingress (default), "
                  "ingress/NAMESPACE/SERVICE, pod/NAME or deployment/NAME");
  cmd->add_option("-n,--namespace", o->namespace_name,
                  "Namespace of --from pod/NAME or deployment/NAME (default: default)");
  cmd->add_option("-H,--header", o->headers, "Request header NAME:VALUE (repeatable)");
  cmd->add_option("-X,--method", o->method, "Request method");
  return [cmd, o] { return *cmd ? explain(*o) : -1; };
}

}  // namespace meshsim::cli
