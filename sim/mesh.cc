#include "sim/mesh.h"

#include <charconv>
#include <set>

namespace meshsim::sim {

StatusOr<Url> parseUrl(const std::string& text) {
  Url url;
  std::string_view rest = text;
  const size_t scheme_end = rest.find("://");
  if (scheme_end == std::string_view::npos) {
    return invalidArgumentError("URL \"" + text + "\" must start with http:// or https://");
  }
  url.scheme = std::string(rest.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return invalidArgumentError("URL \"" + text + "\": scheme must be http or https");
  }
  url.port = url.scheme == "https" ? 443 : 80;
  rest.remove_prefix(scheme_end + 3);
  const size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    url.path = std::string(rest.substr(path_start));
    if (url.path.front() == '?') {
      url.path = "/" + url.path;
    }
  }
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
      return invalidArgumentError("URL \"" + text + "\": bad port \"" + std::string(port) + "\"");
    }
    url.port = static_cast<uint16_t>(p);
    url.explicit_port = true;
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) {
    return invalidArgumentError("URL \"" + text + "\" has no host");
  }
  url.host = std::string(authority);
  return url;
}

Mesh::~Mesh() = default;

StatusOr<std::unique_ptr<Mesh>> Mesh::create(Manifests manifests, MeshOptions options) {
  std::unique_ptr<Mesh> mesh(new Mesh(options.seed));
  mesh->warnings_ = std::move(manifests.warnings);
  MESHSIM_ASSIGN_OR_RETURN(mesh->world_, k8s::World::build(manifests.k8s));
  istio::TranslateOptions translate_options;
  translate_options.istio_minor = options.istio_minor;
  MESHSIM_ASSIGN_OR_RETURN(mesh->translation_,
                           istio::translate(mesh->world_, manifests.istio, translate_options));
  for (const auto& w : mesh->translation_.warnings) {
    mesh->warnings_.push_back(w);
  }
  const auto& pods = mesh->world_.pods();

  // Proxies: gateway pods listen on their pod IP; sidecars take the pod's inbound ports.
  std::set<size_t> has_proxy;
  for (auto& plan : mesh->translation_.proxies) {
    MESHSIM_ASSIGN_OR_RETURN(auto p, proxy::Proxy::create(std::move(plan.config), mesh->loop_,
                                                          mesh->network_, mesh->random_));
    for (uint16_t port : p->listenerPorts()) {
      mesh->network_.listen({pods[plan.pod].ip, port}, *p->listener(port));
    }
    has_proxy.insert(plan.pod);
    mesh->proxy_pods_.push_back(plan.pod);
    mesh->proxies_.push_back(std::move(p));
  }

  // Apps: every non-gateway pod runs one, on its container ports and the ports its Services
  // target; behind the sidecar (loopback) when it has one.
  for (size_t i = 0; i < pods.size(); ++i) {
    const k8s::PodState& pod = pods[i];
    if (pod.gateway) {
      continue;
    }
    std::set<uint16_t> ports;
    for (const auto& cp : pod.spec.ports) {
      ports.insert(static_cast<uint16_t>(cp.port));
    }
    for (const k8s::ServiceState* svc : mesh->world_.servicesOf(pod)) {
      for (const auto& sp : svc->spec.ports) {
        for (const auto& ep : mesh->world_.endpoints(*svc, sp)) {
          if (ep.pod == i) {
            ports.insert(ep.port);
          }
        }
      }
    }
    apps::Behavior behavior;
    for (const auto& w : options.workloads) {
      if ((w.namespace_name.empty() || w.namespace_name == pod.namespace_name) &&
          k8s::selectorMatches(w.selector, pod.labels)) {
        behavior = w.behavior;
        break;
      }
    }
    mesh->origins_.push_back(&pod);
    auto app = std::make_unique<apps::App>(pod, mesh->origins_.size(), std::move(behavior));
    app->setRuntime(&mesh->loop_, &mesh->random_);
    for (uint16_t port : ports) {
      if (has_proxy.count(i) != 0) {
        mesh->network_.listenLocal(pod.ip, port, *app);
      } else {
        mesh->network_.listen({pod.ip, port}, *app);
      }
    }
    mesh->apps_.push_back(std::move(app));
  }

  // kube-proxy: ClusterIPs and LoadBalancer addresses forward to the service's endpoints.
  for (const auto& svc : mesh->world_.services()) {
    for (const auto& sp : svc.spec.ports) {
      std::vector<proxy::config::Address> backends;
      for (const auto& ep : mesh->world_.endpoints(svc, sp)) {
        backends.push_back({pods[ep.pod].ip, ep.port});
      }
      mesh->network_.addVirtualIp({svc.cluster_ip, static_cast<uint16_t>(sp.port)}, backends);
      if (svc.external_ip != 0) {
        mesh->network_.addVirtualIp({svc.external_ip, static_cast<uint16_t>(sp.port)},
                                    std::move(backends));
      }
    }
  }
  return mesh;
}

StatusOr<proxy::config::Address> Mesh::ingressAddress(const std::string& gateway_service,
                                                      uint16_t port) const {
  const k8s::ServiceState* found = nullptr;
  if (gateway_service.empty()) {
    for (const auto& svc : world_.services()) {
      auto it = svc.spec.meta.labels.find("istio");
      if (svc.spec.type == "LoadBalancer" && it != svc.spec.meta.labels.end() &&
          it->second == "ingressgateway") {
        found = &svc;
        break;
      }
    }
    if (found == nullptr) {
      return failedPreconditionError(
          "no default ingress gateway: no LoadBalancer Service labelled istio=ingressgateway "
          "(include fixtures/istio/ingressgateway.yaml)");
    }
  } else {
    const size_t slash = gateway_service.find('/');
    if (slash == std::string::npos) {
      return invalidArgumentError("gateway service \"" + gateway_service +
                                  "\" must be NAMESPACE/NAME");
    }
    found = world_.findService(gateway_service.substr(0, slash), gateway_service.substr(slash + 1));
    if (found == nullptr) {
      return notFoundError("no Service " + gateway_service);
    }
  }
  const uint32_t ip = found->external_ip != 0 ? found->external_ip : found->cluster_ip;
  return proxy::config::Address{ip, port};
}

void Mesh::sendFromOutside(proxy::config::Address to, proxy::http::RequestPtr request,
                           proxy::ResponseCallback done) {
  proxy::ConnectionInfo from{{kClientIp, 0}, to, nullptr, false};
  network_.send(from, to, std::move(request), std::move(done));
}

void Mesh::setRequestObserver(apps::RequestObserver observer) {
  observer_ = std::move(observer);
  for (auto& app : apps_) {
    app->setObserver(observer_ ? &observer_ : nullptr);
  }
}

proxy::Proxy* Mesh::proxyOf(size_t pod) {
  for (size_t i = 0; i < proxy_pods_.size(); ++i) {
    if (proxy_pods_[i] == pod) {
      return proxies_[i].get();
    }
  }
  return nullptr;
}

void Mesh::sendFromPod(size_t pod, proxy::config::Address to, proxy::http::RequestPtr request,
                       proxy::ResponseCallback done) {
  const k8s::PodState& p = world_.pods()[pod];
  proxy::ConnectionInfo from{{p.ip, 0}, to, nullptr, false};
  proxy::Proxy* sidecar = p.sidecar ? proxyOf(pod) : nullptr;
  proxy::RequestHandler* captured =
      sidecar == nullptr ? nullptr : sidecar->outboundListener(to.port);
  if (captured == nullptr) {
    network_.send(from, to, std::move(request), std::move(done));
    return;
  }
  // iptables hands the connection to the sidecar; as on the network, one event later, and the
  // answer comes back one event after the sidecar gives it.
  loop_.post(
      [this, captured, from, request = std::move(request), done = std::move(done)]() mutable {
        captured->onRequest(from, std::move(request),
                            [this, done = std::move(done)](proxy::http::ResponsePtr response,
                                                           proxy::ResetReason reset) mutable {
                              loop_.post([done = std::move(done), response = std::move(response),
                                          reset]() mutable { done(std::move(response), reset); });
                            });
      });
}

const k8s::PodState* Mesh::podForOrigin(uint64_t origin) const {
  if (origin == 0 || origin > origins_.size()) {
    return nullptr;
  }
  return origins_[origin - 1];
}

const apps::App* Mesh::app(const std::string& namespace_name, const std::string& pod) const {
  for (const auto& a : apps_) {
    if (a->pod().namespace_name == namespace_name && a->pod().name == pod) {
      return a.get();
    }
  }
  return nullptr;
}

std::vector<telemetry::Sample> Mesh::metrics() const {
  std::vector<telemetry::Sample> out;
  for (size_t i = 0; i < proxies_.size(); ++i) {
    const k8s::PodState& pod = world_.pods()[proxy_pods_[i]];
    const auto scrape = [&](telemetry::Labels labels) {
      labels.emplace_back("namespace", pod.namespace_name);
      labels.emplace_back("pod", pod.name);
      return labels;
    };
    const auto& stats = proxies_[i]->stats();
    for (auto& c : stats.requestsTotal()) {
      out.push_back(
          {"istio_requests_total", scrape(std::move(c.labels)), static_cast<double>(c.value)});
    }
    for (auto& h : stats.requestDuration()) {
      telemetry::Labels labels = scrape(std::move(h.labels));
      for (size_t b = 0; b < h.cumulative.size(); ++b) {
        telemetry::Labels with_le = labels;
        char buf[48];
        if (b < proxy::stats::kDurationBuckets.size()) {
          std::snprintf(buf, sizeof(buf), "%.32g", proxy::stats::kDurationBuckets[b]);
        } else {
          std::snprintf(buf, sizeof(buf), "+Inf");
        }
        with_le.emplace_back("le", buf);
        out.push_back({"istio_request_duration_milliseconds_bucket", std::move(with_le),
                       static_cast<double>(h.cumulative[b])});
      }
      out.push_back({"istio_request_duration_milliseconds_sum", labels, h.sum});
      out.push_back({"istio_request_duration_milliseconds_count", std::move(labels),
                     static_cast<double>(h.count)});
    }
  }
  return out;
}

}  // namespace meshsim::sim
