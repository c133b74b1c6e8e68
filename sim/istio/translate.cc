#include "sim/istio/translate.h"

#include <algorithm>
#include <map>
#include <set>

#include "proxy/http/message.h"

namespace meshsim::sim::istio {

namespace {

using proxy::config::Cluster;
using proxy::config::Endpoint;
using proxy::config::Listener;
using proxy::config::ProxyConfig;
using proxy::config::Route;
using proxy::config::RouteConfiguration;
using proxy::config::VirtualHost;

// "VirtualService default/frontend-ingress at fixtures/hello/virtualservice.yaml:4:1"
std::string describe(const std::string& kind, const k8s::ObjectMeta& meta) {
  return kind + " " + meta.id() + " (" + meta.location.toString() + ")";
}

std::string gatewayKey(const std::string& name, const std::string& vs_namespace) {
  if (name == "mesh") {
    return name;
  }
  if (name.starts_with("./")) {
    return vs_namespace + "/" + name.substr(2);
  }
  if (name.find('/') != std::string::npos) {
    return name;
  }
  // Legacy FQDN form gw.ns.svc.cluster.local -> ns/gw.
  if (const size_t dot = name.find('.'); dot != std::string::npos) {
    const size_t dot2 = name.find('.', dot + 1);
    return name.substr(dot + 1, dot2 - dot - 1) + "/" + name.substr(0, dot);
  }
  return vs_namespace + "/" + name;
}

bool exportedTo(const VirtualService& vs, const std::string& namespace_name) {
  if (vs.export_to.empty()) {
    return true;  // meshConfig defaultVirtualServiceExportTo: "*"
  }
  for (const auto& e : vs.export_to) {
    if (e == "*" || e == namespace_name || (e == "." && vs.meta.namespace_name == namespace_name)) {
      return true;
    }
  }
  return false;
}

// 0: private to the namespace, 1: explicitly exported to it, 2: public (Istio's order).
int exportRank(const VirtualService& vs, const std::string& namespace_name) {
  if (vs.export_to.empty()) {
    return 2;
  }
  for (const auto& e : vs.export_to) {
    if (e == "." && vs.meta.namespace_name == namespace_name) {
      return 0;
    }
  }
  for (const auto& e : vs.export_to) {
    if (e == namespace_name) {
      return vs.meta.namespace_name == namespace_name ? 0 : 1;
    }
  }
  return 2;
}

// The server hosts that admit VirtualServices of `vs_namespace` (section 1.4), without their
// namespace part.
std::vector<std::string> serverHostsFor(const Server& server, const std::string& gateway_namespace,
                                        const std::string& vs_namespace) {
  std::vector<std::string> out;
  for (const auto& entry : server.hosts) {
    if (entry == "*/*") {
      return {"*"};
    }
    const size_t slash = entry.find('/');
    if (slash == std::string::npos) {
      out.push_back(entry);
      continue;
    }
    const std::string ns = entry.substr(0, slash);
    if (ns == "*" || ns == vs_namespace || (ns == "." && gateway_namespace == vs_namespace)) {
      out.push_back(entry.substr(slash + 1));
    }
  }
  return out;
}

bool isCatchAll(const Route& r) {
  return r.match.path.empty() && r.match.prefix == "/";
}

int listenerPortFor(const k8s::World& world, const k8s::PodState& pod, int server_port) {
  // The server port is a Service port of a Service selecting the gateway pod; the listener
  // binds the Service's targetPort (section 1.3).
  for (const k8s::ServiceState* s : world.servicesOf(pod)) {
    for (const auto& p : s->spec.ports) {
      if (p.port != server_port) {
        continue;
      }
      if (!p.target_port_name.empty()) {
        for (const auto& cp : pod.spec.ports) {
          if (cp.name == p.target_port_name) {
            return cp.port;
          }
        }
        continue;
      }
      return p.target_port_number.value_or(p.port);
    }
  }
  return server_port;
}

class Translator {
public:
  Translator(const k8s::World& world, const Resources& istio) : world_(world), istio_(istio) {}

  StatusOr<Translation> run() {
    buildClusters();
    for (size_t i = 0; i < world_.pods().size(); ++i) {
      const k8s::PodState& pod = world_.pods()[i];
      if (pod.gateway) {
        MESHSIM_ASSIGN_OR_RETURN(auto config, gatewayConfig(pod));
        out_.proxies.push_back({i, std::move(config)});
      } else if (pod.sidecar) {
        out_.proxies.push_back({i, sidecarConfig(pod)});
      }
    }
    checkReferences();
    return std::move(out_);
  }

private:
  // Every service port gets an outbound cluster with the service's ready endpoints.
  void buildClusters() {
    for (const auto& svc : world_.services()) {
      for (const auto& port : svc.spec.ports) {
        Cluster c;
        c.name = outboundClusterName(port.port, "", svc.fqdn);
        c.service = svc.info;
        for (const auto& ep : world_.endpoints(svc, port)) {
          const k8s::PodState& p = world_.pods()[ep.pod];
          c.endpoints.push_back(Endpoint{{p.ip, ep.port}, p.info, p.sidecar});
        }
        outbound_clusters_.push_back(std::move(c));
      }
    }
  }

  // `listen_port` is the port the route is built for (the gateway server's port number): the
  // destination port when neither the route nor a single-port service gives one (section 2.6).
  std::vector<Route> translateRoutes(const VirtualService& vs, int listen_port) {
    std::vector<Route> routes;
    for (const auto& http : vs.http) {
      Route base;
      base.name = http.name;
      base.source.description =
          describe("VirtualService", vs.meta) + " " + http.path + " at " + http.location.toString();
      for (const auto& d : http.route) {
        const int weight = http.route.size() == 1 ? 100 : d.weight.value_or(0);
        if (weight == 0) {
          continue;
        }
        const std::string host = resolveHost(d.destination.host, vs.meta.namespace_name);
        int port = d.destination.port;
        if (port == 0) {
          const k8s::ServiceState* svc = world_.findServiceByHost(host);
          port = (svc != nullptr && svc->spec.ports.size() == 1) ? svc->spec.ports.front().port
                                                                 : listen_port;
        }
        base.action.clusters.push_back(
            {outboundClusterName(port, d.destination.subset, host), static_cast<uint32_t>(weight)});
      }
      bool catch_all = false;
      if (http.match.empty()) {
        routes.push_back(base);
        catch_all = true;
      }
      for (const auto& m : http.match) {
        Route r = base;
        if (!m.name.empty()) {
          r.name = r.name.empty() ? m.name : r.name + "." + m.name;
        }
        if (m.uri) {
          if (m.uri->kind == StringMatch::Kind::Exact) {
            r.match.path = m.uri->value;
          } else {
            r.match.prefix = m.uri->value;
          }
        }
        catch_all = catch_all || isCatchAll(r);
        routes.push_back(std::move(r));
      }
      if (catch_all) {
        break;  // later routes of this VirtualService can never match (section 2.4)
      }
    }
    return routes;
  }

  StatusOr<ProxyConfig> gatewayConfig(const k8s::PodState& pod) {
    ProxyConfig config;
    config.node_id =
        "router~" + proxy::config::ipToString(pod.ip) + "~" + pod.name + "." + pod.namespace_name;
    config.ip = pod.ip;
    config.workload = pod.info;
    config.clusters = outbound_clusters_;

    // Servers of every Gateway that selects this pod, grouped by listener port, in order.
    struct BoundServer {
      const Gateway* gateway;
      const Server* server;
    };
    std::map<int, std::vector<BoundServer>> by_port;
    for (const auto& gw : istio_.gateways) {
      if (!k8s::selectorMatches(gw.selector, pod.labels)) {
        continue;
      }
      selected_gateways_.insert(gw.meta.id());
      for (const auto& server : gw.servers) {
        by_port[listenerPortFor(world_, pod, server.port.number)].push_back({&gw, &server});
      }
    }

    // VirtualServices visible to this gateway, in Istio's order.
    std::vector<const VirtualService*> visible;
    for (const auto& vs : istio_.virtual_services) {
      if (exportedTo(vs, pod.namespace_name)) {
        visible.push_back(&vs);
      }
    }
    std::stable_sort(visible.begin(), visible.end(), [&](auto* a, auto* b) {
      return exportRank(*a, pod.namespace_name) < exportRank(*b, pod.namespace_name);
    });

    for (const auto& [port, servers] : by_port) {
      RouteConfiguration rc;
      rc.name = "http." + std::to_string(port);
      std::map<std::string, size_t> vhost_index;
      for (const auto& bs : servers) {
        const std::string gw_key = bs.gateway->meta.id();
        for (const VirtualService* vs : visible) {
          bool bound = false;
          for (const auto& g : vs->gateways) {
            bound = bound || gatewayKey(g, vs->meta.namespace_name) == gw_key;
          }
          if (!bound) {
            continue;
          }
          const auto server_hosts =
              serverHostsFor(*bs.server, bs.gateway->meta.namespace_name, vs->meta.namespace_name);
          std::vector<std::string> hosts;
          for (const auto& raw : vs->hosts) {
            const std::string vh = resolveHost(raw, vs->meta.namespace_name);
            for (const auto& sh : server_hosts) {
              std::string narrower;
              if (hostCovers(sh, vh)) {
                narrower = vh;
              } else if (hostCovers(vh, sh)) {
                narrower = sh;
              }
              if (!narrower.empty() &&
                  std::find(hosts.begin(), hosts.end(), narrower) == hosts.end()) {
                hosts.push_back(narrower);
              }
            }
          }
          if (hosts.empty()) {
            continue;
          }
          bound_virtual_services_.insert(vs->meta.id());
          const std::vector<Route> routes = translateRoutes(*vs, bs.server->port.number);
          if (routes.empty()) {
            continue;
          }
          for (const auto& h : hosts) {
            const std::string key = proxy::http::toLower(h);
            auto [it, inserted] = vhost_index.emplace(key, rc.virtual_hosts.size());
            if (inserted) {
              VirtualHost vh;
              vh.name = key + ":" + std::to_string(bs.server->port.number);
              vh.domains = {key};
              vh.source.description = describe("Gateway", bs.gateway->meta);
              rc.virtual_hosts.push_back(std::move(vh));
            }
            auto& target = rc.virtual_hosts[it->second].routes;
            target.insert(target.end(), routes.begin(), routes.end());
          }
        }
      }
      for (auto& vh : rc.virtual_hosts) {
        std::stable_partition(vh.routes.begin(), vh.routes.end(),
                              [](const Route& r) { return !isCatchAll(r); });
      }
      if (rc.virtual_hosts.empty()) {
        VirtualHost blackhole;
        blackhole.name = "blackhole:" + std::to_string(port);
        blackhole.domains = {"*"};
        rc.virtual_hosts.push_back(std::move(blackhole));
      }
      Listener l;
      l.name = "0.0.0.0_" + std::to_string(port);
      l.port = static_cast<uint16_t>(port);
      l.direction = proxy::config::TrafficDirection::Outbound;
      l.route_config_name = rc.name;
      l.use_remote_address = true;
      config.listeners.push_back(std::move(l));
      config.route_configs.push_back(std::move(rc));
    }
    return config;
  }

  // A sidecar's inbound side: one listener per port its Services target, forwarding to the
  // app on localhost.
  ProxyConfig sidecarConfig(const k8s::PodState& pod) {
    ProxyConfig config;
    config.node_id =
        "sidecar~" + proxy::config::ipToString(pod.ip) + "~" + pod.name + "." + pod.namespace_name;
    config.ip = pod.ip;
    config.workload = pod.info;
    std::map<int, proxy::config::ServiceInfoConstSharedPtr> ports;
    for (const k8s::ServiceState* svc : world_.servicesOf(pod)) {
      for (const auto& p : svc->spec.ports) {
        for (const auto& ep : world_.endpoints(*svc, p)) {
          if (&world_.pods()[ep.pod] == &pod) {
            ports.emplace(ep.port, svc->info);  // first Service by definition order
          }
        }
      }
    }
    for (const auto& cp : pod.spec.ports) {
      ports.emplace(cp.port, nullptr);
    }
    for (const auto& [port, service] : ports) {
      const std::string p = std::to_string(port);
      Cluster c;
      c.name = "inbound|" + p + "||";
      c.service = service;
      c.endpoints.push_back(
          Endpoint{{proxy::config::kLoopback, static_cast<uint16_t>(port)}, pod.info, false});
      RouteConfiguration rc;
      rc.name = "inbound|" + p;
      VirtualHost vh;
      vh.name = "inbound|http|" + p;
      vh.domains = {"*"};
      Route r;
      r.name = "default";
      r.action.clusters.push_back({c.name, 100});
      vh.routes.push_back(std::move(r));
      rc.virtual_hosts.push_back(std::move(vh));
      Listener l;
      l.name = "inbound_" + proxy::config::ipToString(pod.ip) + "_" + p;
      l.port = static_cast<uint16_t>(port);
      l.direction = proxy::config::TrafficDirection::Inbound;
      l.route_config_name = rc.name;
      config.listeners.push_back(std::move(l));
      config.route_configs.push_back(std::move(rc));
      config.clusters.push_back(std::move(c));
    }
    return config;
  }

  // istioctl analyze's reference checks that the skeleton can already make.
  void checkReferences() {
    std::set<std::string> gateway_ids;
    for (const auto& gw : istio_.gateways) {
      gateway_ids.insert(gw.meta.id());
      if (selected_gateways_.count(gw.meta.id()) == 0) {
        out_.warnings.push_back(gw.meta.location.toString() + ": Error [IST0101] (Gateway " +
                                gw.meta.id() + ") Referenced selector not found: \"" +
                                k8s::labelsToString(gw.selector) + "\"");
      }
    }
    for (const auto& vs : istio_.virtual_services) {
      for (const auto& g : vs.gateways) {
        const std::string key = gatewayKey(g, vs.meta.namespace_name);
        if (key != "mesh" && gateway_ids.count(key) == 0) {
          out_.warnings.push_back(vs.meta.location.toString() +
                                  ": Error [IST0101] (VirtualService " + vs.meta.id() +
                                  ") Referenced gateway not found: \"" + key + "\"");
        }
      }
      for (const auto& http : vs.http) {
        for (const auto& d : http.route) {
          const std::string host = resolveHost(d.destination.host, vs.meta.namespace_name);
          if (world_.findServiceByHost(host) == nullptr) {
            out_.warnings.push_back(d.location.toString() + ": Error [IST0101] (VirtualService " +
                                    vs.meta.id() + ") Referenced host not found: \"" + host + "\"");
          }
        }
      }
    }
  }

  const k8s::World& world_;
  const Resources& istio_;
  Translation out_;
  std::vector<Cluster> outbound_clusters_;
  std::set<std::string> selected_gateways_;
  std::set<std::string> bound_virtual_services_;
};

}  // namespace

std::string resolveHost(const std::string& host, const std::string& namespace_name) {
  if (host == "*" || host.find('.') != std::string::npos) {
    return host;
  }
  return host + "." + namespace_name + ".svc." + std::string(k8s::kClusterDomain);
}

bool hostCovers(std::string_view a, std::string_view b) {
  if (a == b || a == "*") {
    return true;
  }
  if (!a.empty() && a.front() == '*') {
    const std::string_view suffix = a.substr(1);
    return b.size() > suffix.size() && b.ends_with(suffix);
  }
  return false;
}

std::string outboundClusterName(int port, const std::string& subset, const std::string& host) {
  return "outbound|" + std::to_string(port) + "|" + subset + "|" + host;
}

StatusOr<Translation> translate(const k8s::World& world, const Resources& istio) {
  return Translator(world, istio).run();
}

}  // namespace meshsim::sim::istio
