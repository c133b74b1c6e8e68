#include "sim/mesh.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "sim/k8s/ingress.h"
#include "sim/telemetry/scrape.h"

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
  // A client never sends the fragment (RFC 3986 3.5; curl strips it).
  rest = rest.substr(0, rest.find('#'));
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

// The simulator's runtime: virtual time and the in-process network.
struct Mesh::SimulatedRuntime final : MeshRuntime {
  explicit SimulatedRuntime(proxy::RandomGenerator& random) : network(loop, random) {}

  proxy::Dispatcher& dispatcher() override { return loop; }
  proxy::UpstreamTransport& transport() override { return network; }
  Status listen(const k8s::PodState& pod, uint16_t port, proxy::RequestHandler& listener) override {
    network.listen({pod.ip, port}, listener);
    return okStatus();
  }
  void unlisten(const k8s::PodState& pod, uint16_t port) override {
    network.unlisten({pod.ip, port});
  }
  Status listenApp(const k8s::PodState& pod, uint16_t port, apps::App& app, bool local) override {
    if (local) {
      network.listenLocal(pod.ip, port, app);
    } else {
      network.listen({pod.ip, port}, app, /*plaintext=*/true);
    }
    return okStatus();
  }
  void unlistenApp(const k8s::PodState& pod, uint16_t port, bool local) override {
    if (local) {
      network.unlistenLocal(pod.ip, port);
    } else {
      network.unlisten({pod.ip, port});
    }
  }
  void resetInFlight(const proxy::RequestHandler& handler) override {
    network.resetInFlight(handler);
  }
  void addVirtualIp(proxy::config::Address vip,
                    std::vector<proxy::config::Address> backends) override {
    network.addVirtualIp(vip, std::move(backends));
  }
  void removeVirtualIp(proxy::config::Address vip) override { network.removeVirtualIp(vip); }

  proxy::VirtualDispatcher loop;
  net::VirtualNetwork network;
};

Mesh::Mesh(uint64_t seed, MeshRuntime* runtime)
    : random_(seed),
      simulated_(runtime == nullptr ? std::make_unique<SimulatedRuntime>(random_) : nullptr),
      runtime_(runtime == nullptr ? *simulated_ : *runtime),
      dispatcher_(runtime_.dispatcher()),
      loop_(simulated_ == nullptr ? nullptr : &simulated_->loop),
      network_(simulated_ == nullptr ? nullptr : &simulated_->network) {}

Mesh::~Mesh() = default;

void Mesh::send(const proxy::ConnectionInfo& from, proxy::config::Address to,
                proxy::http::RequestPtr&& request, proxy::ResponseCallback&& done) {
  if (network_ != nullptr) {
    // Qualified: a direct call, as on the simulator's own network before it had a runtime.
    network_->net::VirtualNetwork::send(from, to, std::move(request), std::move(done));
  } else {
    runtime_.transport().send(from, to, std::move(request), std::move(done));
  }
}

template <typename F>
void Mesh::post(F&& cb) {
  if (loop_ != nullptr) {
    loop_->proxy::VirtualDispatcher::post(std::forward<F>(cb));  // a direct call, as for send()
  } else {
    dispatcher_.post(std::forward<F>(cb));
  }
}

istio::CoverageReport Mesh::coverage() const {
  std::vector<uint64_t> hits;
  for (const auto* list : {&proxies_, &dead_proxies_}) {
    for (const auto& proxy : *list) {
      const auto& h = proxy->coverageHits();
      hits.resize(std::max(hits.size(), h.size()));
      for (size_t i = 0; i < h.size(); ++i) {
        hits[i] += h[i];
      }
    }
  }
  return istio::measureCoverage(coverage_, hits);
}

StatusOr<std::unique_ptr<Mesh>> Mesh::create(Manifests manifests, MeshOptions options) {
  std::unique_ptr<Mesh> mesh(new Mesh(options.seed, nullptr));
  mesh->options_ = std::move(options);
  return build(std::move(mesh), std::move(manifests));
}

StatusOr<std::unique_ptr<Mesh>> Mesh::create(Manifests manifests, MeshOptions options,
                                             MeshRuntime& runtime) {
  std::unique_ptr<Mesh> mesh(new Mesh(options.seed, &runtime));
  mesh->options_ = std::move(options);
  return build(std::move(mesh), std::move(manifests));
}

StatusOr<std::unique_ptr<Mesh>> Mesh::build(std::unique_ptr<Mesh> mesh, Manifests manifests) {
  mesh->warnings_ = manifests.warnings;
  MESHSIM_RETURN_IF_ERROR(istio::checkIstioVersion(manifests.istio, mesh->options_.istio_minor));
  MESHSIM_ASSIGN_OR_RETURN(k8s::World world, k8s::World::build(manifests.k8s));
  mesh->world_ = std::make_unique<k8s::World>(std::move(world));
  istio::TranslateOptions translate_options;
  translate_options.istio_minor = mesh->options_.istio_minor;
  mesh->coverage_.add(manifests.istio);
  translate_options.coverage = &mesh->coverage_;
  MESHSIM_ASSIGN_OR_RETURN(istio::Translation translation,
                           istio::translate(*mesh->world_, manifests.istio, translate_options));
  mesh->manifests_ = std::move(manifests);
  mesh->last_translation_.cluster_tables = translation.cluster_tables;
  mesh->last_translation_.analysis = translation.analysis;
  for (const auto& w : translation.warnings) {
    mesh->warnings_.push_back(w);
  }
  std::map<size_t, proxy::config::ProxyConfig> configs;
  for (auto& plan : translation.proxies) {
    configs.emplace(plan.pod, std::move(plan.config));
  }
  for (size_t i = 0; i < mesh->world_->pods().size(); ++i) {
    auto it = configs.find(i);
    MESHSIM_RETURN_IF_ERROR(mesh->startPod(
        i, it == configs.end() ? std::nullopt : std::make_optional(std::move(it->second))));
  }
  // Every call URL must resolve from its pod, as its DNS lookups would.
  for (const auto& [id, rt] : mesh->running_) {
    if (rt.app == nullptr) {
      continue;
    }
    for (const auto& call : rt.app->behavior().calls) {
      auto url = parseUrl(call.url);
      if (!url.ok()) {
        return invalidArgumentError(call.source + ": " + url.status().message());
      }
      if (!mesh->resolveHost(url->host, rt.pod->namespace_name)) {
        return invalidArgumentError(call.source + ": pod " + id + " cannot resolve host \"" +
                                    url->host + "\": no Service or ServiceEntry has that name");
      }
    }
  }
  mesh->rebuildVirtualIps();
  return mesh;
}

Mesh::PodRuntime* Mesh::runtimeOf(const std::string& id) {
  auto it = running_.find(id);
  return it == running_.end() ? nullptr : &it->second;
}

// Starts what runs in a pod of the current world: its proxy (gateway pods listen on their pod
// IP, sidecars take the pod's inbound ports) and, in every non-gateway pod, its app on its
// container ports and the ports its Services target, behind the sidecar (loopback) when there
// is one.
Status Mesh::startPod(size_t index, std::optional<proxy::config::ProxyConfig> config) {
  const k8s::PodState& pod = world_->pods()[index];
  pods_ever_.push_back(world_->pods().shared(index));
  PodRuntime rt;
  rt.pod = &pod;
  if (config) {
    MESHSIM_ASSIGN_OR_RETURN(auto p, proxy::Proxy::create(std::move(*config), dispatcher_,
                                                          runtime_.transport(), random_));
    rt.proxy = p.get();
    proxies_.push_back(std::move(p));
    for (uint16_t port : rt.proxy->listenerPorts()) {
      MESHSIM_RETURN_IF_ERROR(runtime_.listen(pod, port, *rt.proxy->listener(port)));
      rt.proxy_ports.push_back(port);
    }
  }
  if (!pod.gateway) {
    std::set<uint16_t> ports;
    for (const auto& cp : pod.spec.ports) {
      ports.insert(static_cast<uint16_t>(cp.port));
    }
    for (const k8s::ServiceState* svc : world_->servicesOf(pod)) {
      for (const auto& sp : svc->spec.ports) {
        for (const auto& ep : world_->endpoints(*svc, sp)) {
          if (ep.pod == index) {
            ports.insert(ep.port);
          }
        }
      }
    }
    apps::Behavior behavior;
    for (const auto& w : options_.workloads) {
      if ((w.namespace_name.empty() || w.namespace_name == pod.namespace_name) &&
          k8s::selectorMatches(w.selector, pod.labels)) {
        behavior = w.behavior;
        break;
      }
    }
    origins_.push_back(&pod);
    auto app = std::make_unique<apps::App>(pod, origins_.size(), std::move(behavior));
    app->setRuntime(&dispatcher_, &random_);
    app->setEchoBodies(options_.echo_bodies);
    app->setCallSender(this);
    app->setObserver(observer_ ? &observer_ : nullptr);
    rt.app = app.get();
    rt.app_ports.assign(ports.begin(), ports.end());
    rt.app_local = rt.proxy != nullptr;
    apps_.push_back(std::move(app));
    MESHSIM_RETURN_IF_ERROR(listenApp(rt));
  }
  running_[pod.id()] = std::move(rt);
  return okStatus();
}

Status Mesh::listenApp(PodRuntime& rt) {
  for (uint16_t port : rt.app_ports) {
    MESHSIM_RETURN_IF_ERROR(runtime_.listenApp(*rt.pod, port, *rt.app, rt.app_local));
  }
  return okStatus();
}

void Mesh::unlistenApp(PodRuntime& rt) {
  for (uint16_t port : rt.app_ports) {
    runtime_.unlistenApp(*rt.pod, port, rt.app_local);
  }
}

void Mesh::stopPod(const std::string& id, bool reset) {
  auto it = running_.find(id);
  if (it == running_.end()) {
    return;
  }
  PodRuntime& rt = it->second;
  if (rt.app != nullptr) {
    unlistenApp(rt);
    if (reset) {
      runtime_.resetInFlight(*rt.app);
    }
  }
  if (rt.proxy != nullptr) {
    for (uint16_t port : rt.proxy_ports) {
      runtime_.unlisten(*rt.pod, port);
      if (reset) {
        runtime_.resetInFlight(*rt.proxy->listener(port));
      }
    }
    for (auto p = proxies_.begin(); p != proxies_.end(); ++p) {
      if (p->get() == rt.proxy) {
        dead_proxies_.push_back(std::move(*p));
        proxies_.erase(p);
        break;
      }
    }
    // Not before the next event: the network may still deliver what was sent to it in this one.
    post([this] { pruneDeadProxies(); });
  }
  running_.erase(it);
}

void Mesh::pruneDeadProxies() {
  std::erase_if(dead_proxies_, [](const auto& p) { return p->idle(); });
}

// kube-proxy: ClusterIPs and LoadBalancer addresses forward to the service's endpoints.
void Mesh::rebuildVirtualIps() {
  for (const auto& vip : virtual_ips_) {
    runtime_.removeVirtualIp(vip);
  }
  virtual_ips_.clear();
  const auto& pods = world_->pods();
  for (const auto& svc : world_->services()) {
    for (const auto& sp : svc.spec.ports) {
      std::vector<proxy::config::Address> backends;
      for (const auto& ep : world_->endpoints(svc, sp)) {
        backends.push_back({pods[ep.pod].ip, ep.port});
      }
      const auto port = static_cast<uint16_t>(sp.port);
      if (svc.cluster_ip != 0) {  // a headless Service has no virtual IP
        runtime_.addVirtualIp({svc.cluster_ip, port}, backends);
        virtual_ips_.push_back({svc.cluster_ip, port});
      }
      if (svc.external_ip != 0) {
        runtime_.addVirtualIp({svc.external_ip, port}, std::move(backends));
        virtual_ips_.push_back({svc.external_ip, port});
      }
    }
  }
}

Status Mesh::changeWorld(Manifests next, std::chrono::nanoseconds propagation) {
  MESHSIM_RETURN_IF_ERROR(istio::checkIstioVersion(next.istio, options_.istio_minor));
  k8s::BuildOptions build;
  build.previous = world_.get();
  build.removed_pods = killed_;
  MESHSIM_ASSIGN_OR_RETURN(k8s::World world, k8s::World::build(next.k8s, build));
  auto built = std::make_unique<k8s::World>(std::move(world));
  istio::TranslateOptions translate_options;
  translate_options.istio_minor = options_.istio_minor;
  translate_options.previous = &last_translation_;
  coverage_.add(next.istio);
  translate_options.coverage = &coverage_;
  MESHSIM_ASSIGN_OR_RETURN(istio::Translation translation,
                           istio::translate(*built, next.istio, translate_options));

  // The API server has the new state now. Pods that did not change are the same objects in it.
  world_ = std::move(built);
  last_translation_.cluster_tables = translation.cluster_tables;
  last_translation_.analysis = translation.analysis;
  manifests_ = std::move(next);
  for (const auto& w : translation.warnings) {
    if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) {
      warnings_.push_back(w);
    }
  }
  std::map<std::string, proxy::config::ProxyConfig> configs;
  for (auto& plan : translation.proxies) {
    configs.emplace(world_->pods()[plan.pod].id(), std::move(plan.config));
  }
  // Pods that are gone, or whose labels or injection changed (a new pod in a cluster), stop;
  // new ones start now.
  std::vector<std::string> leaving;
  for (const auto& [id, rt] : running_) {
    const size_t slash = id.find('/');
    const k8s::PodState* now = world_->findPod(id.substr(0, slash), id.substr(slash + 1));
    // A pod that left the API and came back before it stopped (scaled down and up within one
    // propagation window) is a new pod with a new IP.
    if (now == nullptr || now->labels != rt.pod->labels || now->sidecar != rt.pod->sidecar ||
        now->ip != rt.pod->ip) {
      leaving.push_back(id);
    }
  }
  std::vector<std::string> replaced;
  for (const auto& id : leaving) {
    const size_t slash = id.find('/');
    if (world_->findPod(id.substr(0, slash), id.substr(slash + 1)) != nullptr) {
      replaced.push_back(id);
    }
  }
  for (const auto& id : replaced) {
    stopPod(id, /*reset=*/false);
  }
  for (size_t i = 0; i < world_->pods().size(); ++i) {
    const std::string id = world_->pods()[i].id();
    if (running_.count(id) != 0) {
      continue;
    }
    auto it = configs.find(id);
    MESHSIM_RETURN_IF_ERROR(startPod(
        i, it == configs.end() ? std::nullopt : std::make_optional(std::move(it->second))));
    if (it != configs.end()) {
      configs.erase(it);
    }
  }
  // The push: proxies and kube-proxy follow after `propagation`. A later change supersedes an
  // earlier one that has not been pushed yet.
  const uint64_t generation = ++push_generation_;
  if (pending_push_ != nullptr) {
    pending_push_->clear();  // superseded: its push will apply nothing (see below)
  }
  auto pending =
      std::make_shared<std::map<std::string, proxy::config::ProxyConfig>>(std::move(configs));
  pending_push_ = pending;
  std::vector<std::string> gone;
  for (const auto& id : leaving) {
    if (std::find(replaced.begin(), replaced.end(), id) == replaced.end()) {
      gone.push_back(id);
    }
  }
  dispatcher_.postAfter(propagation, [this, generation, pending, gone = std::move(gone)] {
    for (const auto& id : gone) {
      // Unless a later change brought it back before this push.
      const size_t slash = id.find('/');
      if (world_->findPod(id.substr(0, slash), id.substr(slash + 1)) == nullptr) {
        stopPod(id, /*reset=*/false);
      }
    }
    pruneDeadProxies();
    if (generation != push_generation_) {
      return;
    }
    pending_push_.reset();
    for (auto& [id, config] : *pending) {
      PodRuntime* rt = runtimeOf(id);
      if (rt == nullptr || rt->proxy == nullptr) {
        continue;
      }
      // Validated by Proxy::create for every new config shape; a failure here would be a
      // translator bug, so the old configuration stays.
      if (!rt->proxy->update(std::move(config)).ok()) {
        continue;
      }
      std::vector<uint16_t> ports = rt->proxy->listenerPorts();
      for (uint16_t port : rt->proxy_ports) {
        if (std::find(ports.begin(), ports.end(), port) == ports.end()) {
          runtime_.unlisten(*rt->pod, port);
        }
      }
      for (uint16_t port : ports) {
        // Only a runtime that binds real sockets can fail here (none left); the port stays
        // closed then, as a listener Envoy cannot bind.
        (void)runtime_.listen(*rt->pod, port, *rt->proxy->listener(port));
      }
      rt->proxy_ports = std::move(ports);
    }
    rebuildVirtualIps();
  });
  return okStatus();
}

namespace {

template <typename T>
bool erase(std::vector<T>& list, const std::string& namespace_name, const std::string& name) {
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->meta.name == name && it->meta.namespace_name == namespace_name) {
      list.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace

Status Mesh::killPod(const std::string& namespace_name, const std::string& name,
                     std::chrono::nanoseconds propagation, bool replace) {
  const std::string id = namespace_name + "/" + name;
  PodRuntime* rt = runtimeOf(id);
  if (rt == nullptr) {
    return notFoundError("no running pod " + id);
  }
  Manifests next = manifests_;
  if (!replace && rt->pod->workload != rt->pod->name) {
    for (auto& d : next.k8s.deployments) {
      if (d.meta.name == rt->pod->workload && d.meta.namespace_name == namespace_name) {
        d.replicas = std::max(0, d.replicas - 1);
      }
    }
  }
  stopPod(id, /*reset=*/true);
  killed_.insert(id);
  return changeWorld(std::move(next), propagation);
}

Status Mesh::restartPod(const std::string& namespace_name, const std::string& name,
                        std::chrono::nanoseconds downtime) {
  const std::string id = namespace_name + "/" + name;
  PodRuntime* rt = runtimeOf(id);
  if (rt == nullptr) {
    return notFoundError("no running pod " + id);
  }
  if (rt->app == nullptr) {
    return failedPreconditionError("pod " + id + " runs no app (a gateway); kill it instead");
  }
  unlistenApp(*rt);
  runtime_.resetInFlight(*rt->app);
  rt->app->restart();
  apps::App* app = rt->app;
  dispatcher_.postAfter(downtime, [this, id, app] {
    PodRuntime* now = runtimeOf(id);
    if (now != nullptr && now->app == app) {
      (void)listenApp(*now);  // fails only on real sockets that cannot be bound
    }
  });
  return okStatus();
}

Status Mesh::scale(const std::string& namespace_name, const std::string& deployment, int replicas,
                   std::chrono::nanoseconds propagation) {
  if (replicas < 0) {
    return invalidArgumentError("replicas must not be negative");
  }
  Manifests next = manifests_;
  for (auto& d : next.k8s.deployments) {
    if (d.meta.name == deployment && d.meta.namespace_name == namespace_name) {
      d.replicas = replicas;
      return changeWorld(std::move(next), propagation);
    }
  }
  return notFoundError("no Deployment " + namespace_name + "/" + deployment);
}

Status Mesh::apply(const Manifests& more, std::chrono::nanoseconds propagation) {
  Manifests next = manifests_;
  applyManifests(next, more);
  return changeWorld(std::move(next), propagation);
}

Status Mesh::remove(const std::string& kind, const std::string& namespace_name,
                    const std::string& name, std::chrono::nanoseconds propagation) {
  Manifests next = manifests_;
  bool found = false;
  if (kind == "Namespace") {
    // Deleting a namespace deletes everything in it.
    const auto in = [&](const auto& r) { return r.meta.namespace_name == name; };
    const auto purge = [&](auto& list) { std::erase_if(list, in); };
    found = std::erase_if(next.k8s.namespaces,
                          [&](const k8s::Namespace& ns) { return ns.meta.name == name; }) > 0;
    purge(next.k8s.deployments);
    purge(next.k8s.pods);
    purge(next.k8s.services);
    purge(next.istio.gateways);
    purge(next.istio.virtual_services);
    purge(next.istio.destination_rules);
    purge(next.istio.service_entries);
    purge(next.istio.sidecars);
  } else if (kind == "Deployment") {
    found = erase(next.k8s.deployments, namespace_name, name);
  } else if (kind == "Pod") {
    found = erase(next.k8s.pods, namespace_name, name);
  } else if (kind == "Service") {
    found = erase(next.k8s.services, namespace_name, name);
  } else if (kind == "Gateway") {
    found = erase(next.istio.gateways, namespace_name, name);
  } else if (kind == "VirtualService") {
    found = erase(next.istio.virtual_services, namespace_name, name);
  } else if (kind == "DestinationRule") {
    found = erase(next.istio.destination_rules, namespace_name, name);
  } else if (kind == "ServiceEntry") {
    found = erase(next.istio.service_entries, namespace_name, name);
  } else if (kind == "Sidecar") {
    found = erase(next.istio.sidecars, namespace_name, name);
  } else {
    return invalidArgumentError("cannot delete kind " + kind +
                                " (known: Namespace, Deployment, Pod, Service, Gateway, "
                                "VirtualService, DestinationRule, ServiceEntry, Sidecar)");
  }
  if (!found) {
    return notFoundError("no " + kind + " " + namespace_name + "/" + name);
  }
  return changeWorld(std::move(next), propagation);
}

std::vector<uint32_t> Mesh::ipsOf(const std::vector<size_t>& pods) const {
  std::vector<uint32_t> out;
  out.reserve(pods.size());
  for (size_t i : pods) {
    out.push_back(world_->pods()[i].ip);
  }
  return out;
}

void Mesh::partition(const std::vector<size_t>& a, const std::vector<size_t>& b, bool drop) {
  network_->partition(ipsOf(a), ipsOf(b), drop);
}

void Mesh::heal(const std::vector<size_t>& a, const std::vector<size_t>& b) {
  network_->heal(ipsOf(a), ipsOf(b));
}

StatusOr<proxy::config::Address> Mesh::ingressAddress(const std::string& gateway_service,
                                                      uint16_t port) const {
  MESHSIM_ASSIGN_OR_RETURN(const k8s::Ingress ingress,
                           k8s::findIngress(*world_, gateway_service, port));
  return proxy::config::Address{ingress.ip, port};
}

void Mesh::sendFromOutside(proxy::config::Address to, proxy::http::RequestPtr request,
                           proxy::ResponseCallback done) {
  proxy::ConnectionInfo from{{kClientIp, 0}, to, nullptr, false, nullptr, {}};
  send(from, to, std::move(request), std::move(done));
}

void Mesh::setRequestObserver(apps::RequestObserver observer) {
  observer_ = std::move(observer);
  for (auto& app : apps_) {
    app->setObserver(observer_ ? &observer_ : nullptr);
  }
}

proxy::Proxy* Mesh::proxyOf(size_t pod) {
  PodRuntime* rt = runtimeOf(world_->pods()[pod].id());
  return rt == nullptr ? nullptr : rt->proxy;
}

void Mesh::sendFromPod(size_t pod, proxy::config::Address to, proxy::http::RequestPtr request,
                       proxy::ResponseCallback done) {
  sendFromPod(world_->pods()[pod], to, std::move(request), std::move(done));
}

void Mesh::sendFromPod(const k8s::PodState& p, proxy::config::Address to,
                       proxy::http::RequestPtr request, proxy::ResponseCallback done,
                       proxy::CancellationPtr cancel) {
  proxy::ConnectionInfo from{{p.ip, 0}, to, nullptr, false, std::move(cancel), {}};
  PodRuntime* rt = runtimeOf(p.id());
  if (rt == nullptr) {
    // A pod that is gone sends nothing.
    post([done = std::move(done)]() mutable { done(nullptr, proxy::ResetReason::ConnectFailure); });
    return;
  }
  proxy::Proxy* sidecar = p.sidecar ? rt->proxy : nullptr;
  proxy::RequestHandler* captured =
      sidecar == nullptr ? nullptr : sidecar->outboundListener(to.port);
  if (captured == nullptr) {
    if (sidecar != nullptr && !sidecar->config().outbound_passthrough) {
      // REGISTRY_ONLY: the virtual outbound listener sends a port without an outbound listener
      // to BlackHoleCluster, which closes the connection before any response.
      post([done = std::move(done)]() mutable {
        done(nullptr, proxy::ResetReason::ConnectionTermination);
      });
      return;
    }
    send(from, to, std::move(request), std::move(done));
    return;
  }
  // iptables hands the connection to the sidecar; as on the network, one event later, and the
  // answer comes back one event after the sidecar gives it.
  post([this, captured, from, request = std::move(request), done = std::move(done)]() mutable {
    captured->onRequest(from, std::move(request),
                        [this, done = std::move(done)](proxy::http::ResponsePtr response,
                                                       proxy::ResetReason reset) mutable {
                          post([done = std::move(done), response = std::move(response),
                                reset]() mutable { done(std::move(response), reset); });
                        });
  });
}

std::optional<uint32_t> Mesh::resolveHost(const std::string& host,
                                          const std::string& from_namespace) const {
  if (auto address = world_->resolveAddress(host, from_namespace)) {
    return address;
  }
  uint32_t auto_allocated = proxy::config::ipv4(240, 240, 0, 1);
  for (const auto& se : manifests_.istio.service_entries) {
    const auto& to = se.export_to;
    const bool visible = to.empty() || std::find(to.begin(), to.end(), "*") != to.end() ||
                         std::find(to.begin(), to.end(), from_namespace) != to.end() ||
                         (std::find(to.begin(), to.end(), ".") != to.end() &&
                          se.meta.namespace_name == from_namespace);
    for (const auto& h : se.hosts) {
      const uint32_t allocated = auto_allocated++;
      if (!visible || h != host) {
        continue;
      }
      for (const auto& a : se.addresses) {
        in_addr addr{};
        if (::inet_pton(AF_INET, a.c_str(), &addr) == 1) {
          return ntohl(addr.s_addr);
        }
      }
      return allocated;
    }
  }
  return std::nullopt;
}

void Mesh::sendCall(const k8s::PodState& from, const apps::Call& call,
                    proxy::http::RequestPtr request, proxy::CancellationPtr cancel,
                    proxy::ResponseCallback done) {
  auto url = parseUrl(call.url);
  const std::optional<uint32_t> ip =
      url.ok() ? resolveHost(url->host, from.namespace_name) : std::nullopt;
  if (!ip) {
    // NXDOMAIN: the Service is gone (or never was); the app's HTTP client cannot connect.
    post([done = std::move(done)]() mutable { done(nullptr, proxy::ResetReason::ConnectFailure); });
    return;
  }
  request->scheme = url->scheme;
  request->authority = url->explicit_port ? url->host + ":" + std::to_string(url->port) : url->host;
  request->path = url->path;
  sendFromPod(from, {*ip, url->port}, std::move(request), std::move(done), std::move(cancel));
}

const k8s::PodState* Mesh::podForOrigin(uint64_t origin) const {
  if (origin == 0 || origin > origins_.size()) {
    return nullptr;
  }
  return origins_[origin - 1];
}

const apps::App* Mesh::app(const std::string& namespace_name, const std::string& pod) const {
  auto it = running_.find(namespace_name + "/" + pod);
  return it == running_.end() ? nullptr : it->second.app;
}

const k8s::PodState* Mesh::podEver(const std::string& id) const {
  for (auto it = origins_.rbegin(); it != origins_.rend(); ++it) {
    if ((*it)->id() == id) {
      return *it;
    }
  }
  const size_t slash = id.find('/');
  return slash == std::string::npos ? nullptr
                                    : world_->findPod(id.substr(0, slash), id.substr(slash + 1));
}

bool Mesh::anyPodEver(const std::function<bool(const k8s::PodState&)>& pred) const {
  return std::any_of(origins_.begin(), origins_.end(),
                     [&](const k8s::PodState* pod) { return pred(*pod); }) ||
         std::any_of(world_->pods().begin(), world_->pods().end(), pred);
}

std::vector<telemetry::Sample> Mesh::metrics() const {
  return telemetry::scrapeMesh(proxies_);
}

}  // namespace meshsim::sim
