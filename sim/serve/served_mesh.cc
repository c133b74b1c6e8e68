#include "sim/serve/served_mesh.h"

#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <boost/asio/post.hpp>

#include "proxy/stats/prometheus.h"
#include "sim/k8s/ingress.h"

namespace meshsim::sim::serve {

namespace {

using proxy::config::Address;
using proxy::config::kLoopback;

// Connections the admin page keeps open at once.
constexpr size_t kAdminMaxConnections = 64;

std::unique_ptr<proxy::http::Response> textResponse(int status, std::string body,
                                                    std::string_view content_type) {
  auto r = std::make_unique<proxy::http::Response>();
  r->status = status;
  r->body = std::move(body);
  r->headers.set("content-type", content_type);
  return r;
}

// The app ports of a pod, as Mesh::create finds them: its container ports and the ports its
// Services target.
std::set<uint16_t> appPorts(const k8s::World& world, size_t pod_index) {
  const k8s::PodState& pod = world.pods()[pod_index];
  std::set<uint16_t> ports;
  for (const auto& cp : pod.spec.ports) {
    ports.insert(static_cast<uint16_t>(cp.port));
  }
  for (const k8s::ServiceState* svc : world.servicesOf(pod)) {
    for (const auto& sp : svc->spec.ports) {
      for (const auto& ep : world.endpoints(*svc, sp)) {
        if (ep.pod == pod_index) {
          ports.insert(ep.port);
        }
      }
    }
  }
  return ports;
}

}  // namespace

const char* toString(ServedEndpoint::Kind kind) {
  switch (kind) {
    case ServedEndpoint::Kind::Gateway:
      return "gateway";
    case ServedEndpoint::Kind::Sidecar:
      return "sidecar";
    case ServedEndpoint::Kind::App:
      return "app";
    case ServedEndpoint::Kind::Admin:
      return "admin";
  }
  return "unknown";
}

// The admin page, served on the admin thread. /stats/prometheus is answered in two steps: a
// snapshot of the counters taken on the io_context thread (the proxies' own), then the text
// rendered back on the admin thread. A response whose connection has gone meanwhile is dropped
// by the server.
class ServedMesh::AdminHandler : public proxy::RequestHandler {
public:
  explicit AdminHandler(ServedMesh& mesh) : mesh_(mesh) {}

  // proxy::RequestHandler
  void onRequest(const proxy::ConnectionInfo& /*connection*/, proxy::http::RequestPtr request,
                 proxy::ResponseCallback done) override {
    if (request->method != "GET" && request->method != "HEAD") {
      done(textResponse(405, "method not allowed\n", "text/plain"), proxy::ResetReason::None);
      return;
    }
    const std::string_view target = request->path;
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/stats/prometheus") {
      scrape(std::move(done));
    } else if (path == "/ready") {
      done(textResponse(200, "LIVE\n", "text/plain"), proxy::ResetReason::None);
    } else if (path == "/") {
      std::string body = "meshsim serve admin\n  /stats/prometheus\n  /ready\n\nlisteners:\n";
      for (const auto& e : mesh_.endpoints()) {
        body += std::string("  ") + toString(e.kind) + " " + e.pod + " " +
                proxy::config::toString(e.virtual_address) + " -> " +
                proxy::config::toString(e.real_address) + "\n";
      }
      done(textResponse(200, std::move(body), "text/plain"), proxy::ResetReason::None);
    } else {
      done(textResponse(404, "not found\n", "text/plain"), proxy::ResetReason::None);
    }
  }

private:
  void scrape(proxy::ResponseCallback done) {
    const uint64_t id = ++last_scrape_;
    waiting_.emplace(id, std::move(done));
    // Both loops outlive every handler posted to them: ~ServedMesh joins the admin thread and
    // destroys unrun handlers with their io_context, and run() is over by then.
    boost::asio::post(mesh_.io_context_, [mesh = &mesh_, handler = this, id] {
      auto snapshot = std::make_shared<const StatsSnapshot>(mesh->snapshot());
      boost::asio::post(mesh->admin_io_, [mesh, handler, id, snapshot] {
        handler->finish(id, mesh->render(*snapshot));
      });
    });
  }

  void finish(uint64_t id, std::string text) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) {
      return;
    }
    proxy::ResponseCallback done = std::move(it->second);
    waiting_.erase(it);
    done(textResponse(200, std::move(text), "text/plain; version=0.0.4"), proxy::ResetReason::None);
  }

  ServedMesh& mesh_;
  // Scrapes waiting for their snapshot, by id; admin thread only.
  std::map<uint64_t, proxy::ResponseCallback> waiting_;
  uint64_t last_scrape_ = 0;
};

// One thread runs the io_context and owns every socket, so the reactor needs no locking (other
// threads only post and stop, which stay locked).
ServedMesh::ServedMesh(uint64_t seed)
    : io_context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      dispatcher_(io_context_),
      admin_dispatcher_(admin_io_),
      random_(seed) {}

ServedMesh::~ServedMesh() {
  // The admin thread first (its scrapes read the proxies), then its server and the scrapes it
  // still holds, while its io_context is alive. Then the listeners (they hand requests to the
  // proxies), then the pools, whose connections keep app server threads busy until closed, then
  // the app servers, joining their threads.
  admin_io_.stop();
  if (admin_thread_.joinable()) {
    admin_thread_.join();
  }
  admin_server_.reset();
  admin_handler_.reset();
  listeners_.clear();
  network_.reset();
  app_servers_.clear();
}

StatusOr<std::unique_ptr<ServedMesh>> ServedMesh::create(Manifests manifests,
                                                         const ServeOptions& options) {
  std::unique_ptr<ServedMesh> mesh(new ServedMesh(options.seed));
  MESHSIM_RETURN_IF_ERROR(mesh->build(std::move(manifests), options));
  return mesh;
}

Status ServedMesh::build(Manifests manifests, const ServeOptions& options) {
  network_ = std::make_unique<net::RealNetwork>(dispatcher_, random_, options.pool_options);
  warnings_ = std::move(manifests.warnings);
  MESHSIM_ASSIGN_OR_RETURN(world_, k8s::World::build(manifests.k8s));
  MESHSIM_ASSIGN_OR_RETURN(translation_, istio::translate(world_, manifests.istio));
  for (const auto& w : translation_.warnings) {
    warnings_.push_back(w);
  }
  for (const auto& [pod, address] : options.external_apps) {
    const size_t slash = pod.find('/');
    if (slash == std::string::npos ||
        world_.findPod(pod.substr(0, slash), pod.substr(slash + 1)) == nullptr) {
      return notFoundError("--app " + pod +
                           ": no such pod (give NAMESPACE/POD, e.g. default/hello-0)");
    }
  }
  const auto& pods = world_.pods();

  // Proxies.
  std::set<size_t> has_proxy;
  for (auto& plan : translation_.proxies) {
    MESHSIM_ASSIGN_OR_RETURN(
        auto p, proxy::Proxy::create(std::move(plan.config), dispatcher_, *network_, random_));
    has_proxy.insert(plan.pod);
    proxy_pods_.push_back(plan.pod);
    proxies_.push_back(std::move(p));
  }

  // Their listeners. The gateway's HTTP listener comes first so that --port is checked early.
  bool any_gateway = false;
  for (size_t i = 0; i < proxies_.size(); ++i) {
    any_gateway = any_gateway || pods[proxy_pods_[i]].gateway;
  }
  if (!any_gateway) {
    return failedPreconditionError(
        "no ingress gateway: serve needs a gateway pod (meshsim serve adds Istio's default one "
        "unless the manifests define an ingress gateway Service of their own)");
  }
  const auto [primary_pod, primary_port] = primaryGatewayListener();
  std::vector<std::pair<size_t, uint16_t>> order;  // (proxy index, listener port)
  for (size_t i = 0; i < proxies_.size(); ++i) {
    for (uint16_t port : proxies_[i]->listenerPorts()) {
      const bool primary = proxy_pods_[i] == primary_pod && port == primary_port;
      order.insert(primary ? order.begin() : order.end(), {i, port});
    }
  }
  for (const auto& [i, port] : order) {
    const k8s::PodState& pod = pods[proxy_pods_[i]];
    const bool primary = proxy_pods_[i] == primary_pod && port == primary_port;
    const Address virtual_address{pod.ip, port};
    MESHSIM_ASSIGN_OR_RETURN(
        const uint16_t real_port,
        listen(virtual_address, *proxies_[i]->listener(port),
               primary ? options.gateway_port : uint16_t{0}, options.listener_options));
    if (primary) {
      gateway_port_ = real_port;
    }
    network_->bind(virtual_address, Address{kLoopback, real_port});
    endpoints_.push_back(
        {pod.gateway ? ServedEndpoint::Kind::Gateway : ServedEndpoint::Kind::Sidecar, pod.id(),
         virtual_address, Address{kLoopback, real_port}});
  }

  // Apps: every non-gateway pod runs one, behind its sidecar when it has one.
  for (size_t i = 0; i < pods.size(); ++i) {
    const k8s::PodState& pod = pods[i];
    if (pod.gateway) {
      continue;
    }
    Address real;
    if (auto external = options.external_apps.find(pod.id());
        external != options.external_apps.end()) {
      real = external->second;
    } else {
      apps_.push_back(std::make_unique<apps::App>(pod, apps_.size() + 1, apps::Behavior{}));
      MESHSIM_ASSIGN_OR_RETURN(auto server, AppServer::start(*apps_.back(), options.app_threads));
      real = Address{kLoopback, server->port()};
      proxy::net::ConnectionPoolOptions pool = options.pool_options;
      pool.max_connections = std::min(pool.max_connections, server->threads());
      network_->setUpstreamOptions(real, pool);
      app_servers_.push_back(std::move(server));
    }
    for (uint16_t port : appPorts(world_, i)) {
      if (has_proxy.count(i) != 0) {
        network_->bindLocal(pod.ip, port, real);
        endpoints_.push_back({ServedEndpoint::Kind::App, pod.id(), Address{kLoopback, port}, real});
      } else {
        network_->bind(Address{pod.ip, port}, real);
        endpoints_.push_back({ServedEndpoint::Kind::App, pod.id(), Address{pod.ip, port}, real});
      }
    }
  }

  // kube-proxy: ClusterIPs and LoadBalancer addresses forward to the service's endpoints.
  for (const auto& svc : world_.services()) {
    for (const auto& sp : svc.spec.ports) {
      std::vector<Address> backends;
      for (const auto& ep : world_.endpoints(svc, sp)) {
        backends.push_back({pods[ep.pod].ip, ep.port});
      }
      if (svc.cluster_ip != 0) {  // a headless Service has no virtual IP
        network_->addVirtualIp({svc.cluster_ip, static_cast<uint16_t>(sp.port)}, backends);
      }
      if (svc.external_ip != 0) {
        network_->addVirtualIp({svc.external_ip, static_cast<uint16_t>(sp.port)},
                               std::move(backends));
      }
    }
  }

  admin_handler_ = std::make_unique<AdminHandler>(*this);
  proxy::net::HttpServerOptions admin_options;
  admin_options.request_headers_timeout = std::chrono::seconds(10);
  // Outside the listeners' shared limit, with a small one of its own, so that the page stays
  // reachable while a flood fills the listeners.
  admin_options.max_connections = kAdminMaxConnections;
  MESHSIM_ASSIGN_OR_RETURN(admin_server_, proxy::net::HttpServer::create(
                                              admin_dispatcher_, {kLoopback, options.admin_port},
                                              *admin_handler_, admin_options));
  admin_port_ = admin_server_->port();
  endpoints_.push_back(
      {ServedEndpoint::Kind::Admin, "", Address{}, Address{kLoopback, admin_port_}});
  admin_thread_ = std::thread([this] { admin_io_.run(); });
  return okStatus();
}

StatusOr<uint16_t> ServedMesh::listen(Address virtual_address, proxy::RequestHandler& handler,
                                      uint16_t port, const proxy::net::HttpServerOptions& options) {
  net::RealNetwork* network = network_.get();
  MESHSIM_ASSIGN_OR_RETURN(
      auto server, proxy::net::HttpServer::create(
                       dispatcher_, {kLoopback, port}, handler, options,
                       [network, virtual_address](const Address& remote, const Address& /*local*/) {
                         return network->connectionInfo(remote, virtual_address);
                       }));
  const uint16_t real_port = server->port();
  listeners_.push_back({podLabel(virtual_address.ip), virtual_address.port, std::move(server)});
  return real_port;
}

std::pair<size_t, uint16_t> ServedMesh::primaryGatewayListener() const {
  // The default ingress (k8s::findIngress): its HTTP port (80, else its first), then its other
  // ports, lead to a gateway pod's listener.
  if (auto ingress = k8s::findIngress(world_, ""); ingress.ok()) {
    std::vector<uint16_t> ports = {ingress->port};
    for (const auto& sp : ingress->service->spec.ports) {
      if (sp.port != ingress->port) {
        ports.push_back(static_cast<uint16_t>(sp.port));
      }
    }
    for (uint16_t port : ports) {
      const auto behind = k8s::findIngress(world_, "", port);
      for (const auto& ep : behind->endpoints) {
        for (size_t i = 0; i < proxies_.size(); ++i) {
          if (proxy_pods_[i] == ep.pod && proxies_[i]->listener(ep.port) != nullptr) {
            return {ep.pod, ep.port};
          }
        }
      }
    }
  }
  // Otherwise the first listener of the first gateway.
  for (size_t i = 0; i < proxies_.size(); ++i) {
    const auto ports = proxies_[i]->listenerPorts();
    if (world_.pods()[proxy_pods_[i]].gateway && !ports.empty()) {
      return {proxy_pods_[i], ports.front()};
    }
  }
  return {world_.pods().size(), 0};
}

std::string ServedMesh::podLabel(uint32_t ip) const {
  for (const auto& pod : world_.pods()) {
    if (pod.ip == ip) {
      return pod.id();
    }
  }
  return proxy::config::ipToString(ip);
}

void ServedMesh::run() {
  io_context_.run();
}

void ServedMesh::stop() {
  io_context_.stop();
  admin_io_.stop();
}

std::string ServedMesh::prometheusText() const {
  return render(snapshot());
}

ServedMesh::StatsSnapshot ServedMesh::snapshot() const {
  StatsSnapshot s;
  s.proxies.reserve(proxies_.size());
  for (const auto& p : proxies_) {
    s.proxies.push_back(p->stats());
  }
  s.listeners.reserve(listeners_.size());
  for (const auto& l : listeners_) {
    s.listeners.push_back(l.server->stats());
  }
  for (const auto& p : network_->pools()) {
    s.pools.push_back({p.source_ip, p.pool->upstream(), p.pool->stats()});
  }
  return s;
}

std::string ServedMesh::render(const StatsSnapshot& snapshot) const {
  using proxy::stats::MetricFamily;
  using proxy::stats::MetricType;
  std::vector<proxy::stats::ScrapeTarget> targets;
  for (size_t i = 0; i < snapshot.proxies.size(); ++i) {
    const k8s::PodState& pod = world_.pods()[proxy_pods_[i]];
    targets.push_back(
        {&snapshot.proxies[i], {{"namespace", pod.namespace_name}, {"pod", pod.name}}});
  }
  // Istio's metrics, exactly as `meshsim metrics` exposes them for a simulated run.
  std::vector<MetricFamily> families = proxy::stats::collectIstioMetrics(targets);

  // meshsim's own counters of the real sockets, named after Envoy's statistics.
  using Stats = proxy::net::HttpServerStats;
  struct ListenerCounter {
    const char* name;
    MetricType type;
    const char* help;
    uint64_t Stats::*field;
  };
  static constexpr ListenerCounter kListenerCounters[] = {
      {"meshsim_downstream_cx_total", MetricType::Counter, "Connections accepted.",
       &Stats::downstream_cx_total},
      {"meshsim_downstream_cx_active", MetricType::Gauge, "Connections open.",
       &Stats::downstream_cx_active},
      {"meshsim_downstream_cx_overflow_total", MetricType::Counter,
       "Connections refused over the connection limit.", &Stats::downstream_cx_overflow},
      {"meshsim_downstream_cx_idle_timeout_total", MetricType::Counter,
       "Connections closed when idle.", &Stats::downstream_cx_idle_timeout},
      {"meshsim_downstream_cx_protocol_error_total", MetricType::Counter,
       "Requests refused as malformed or over a limit (400, 413, 426, 431, 501).",
       &Stats::downstream_cx_protocol_error},
      {"meshsim_downstream_rq_total", MetricType::Counter, "Requests handed to the proxy.",
       &Stats::downstream_rq_total},
      {"meshsim_downstream_rq_header_timeout_total", MetricType::Counter,
       "Requests answered 408 because their headers took too long.",
       &Stats::downstream_rq_header_timeout},
      {"meshsim_downstream_rq_timeout_total", MetricType::Counter,
       "Requests answered 408 because they took too long to arrive.",
       &Stats::downstream_rq_timeout},
  };
  for (const auto& c : kListenerCounters) {
    MetricFamily f{c.name, c.type, {}, c.help};
    for (size_t i = 0; i < listeners_.size() && i < snapshot.listeners.size(); ++i) {
      const Listener& l = listeners_[i];
      const size_t slash = l.pod.find('/');
      f.points.push_back({c.name,
                          {{"namespace", l.pod.substr(0, slash)},
                           {"pod", slash == std::string::npos ? l.pod : l.pod.substr(slash + 1)},
                           {"listener_port", std::to_string(l.port)}},
                          static_cast<double>(snapshot.listeners[i].*c.field)});
    }
    families.push_back(std::move(f));
  }

  using PoolStats = proxy::net::ConnectionPoolStats;
  struct PoolCounter {
    const char* name;
    MetricType type;
    const char* help;
    uint64_t PoolStats::*field;
  };
  static constexpr PoolCounter kPoolCounters[] = {
      {"meshsim_upstream_cx_total", MetricType::Counter, "Upstream connections opened.",
       &PoolStats::upstream_cx_total},
      {"meshsim_upstream_cx_active", MetricType::Gauge, "Upstream connections open.",
       &PoolStats::upstream_cx_active},
      {"meshsim_upstream_cx_connect_fail_total", MetricType::Counter,
       "Upstream connects that failed.", &PoolStats::upstream_cx_connect_fail},
      {"meshsim_upstream_cx_connect_timeout_total", MetricType::Counter,
       "Upstream connects that timed out.", &PoolStats::upstream_cx_connect_timeout},
      {"meshsim_upstream_rq_total", MetricType::Counter, "Requests sent upstream.",
       &PoolStats::upstream_rq_total},
      {"meshsim_upstream_rq_pending_overflow_total", MetricType::Counter,
       "Requests refused because the pool's queue was full.",
       &PoolStats::upstream_rq_pending_overflow},
      {"meshsim_upstream_rq_retry_total", MetricType::Counter,
       "Requests sent again after the upstream closed a reused connection.",
       &PoolStats::upstream_rq_retry},
  };
  for (const auto& c : kPoolCounters) {
    MetricFamily f{c.name, c.type, {}, c.help};
    for (const auto& p : snapshot.pools) {
      const std::string pod = podLabel(p.source_ip);
      const size_t slash = pod.find('/');
      f.points.push_back({c.name,
                          {{"namespace", slash == std::string::npos ? "" : pod.substr(0, slash)},
                           {"pod", slash == std::string::npos ? pod : pod.substr(slash + 1)},
                           {"upstream", proxy::config::toString(p.upstream)}},
                          static_cast<double>(p.stats.*c.field)});
    }
    families.push_back(std::move(f));
  }
  return proxy::stats::renderPrometheusText(families);
}

}  // namespace meshsim::sim::serve
