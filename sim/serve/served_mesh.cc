#include "sim/serve/served_mesh.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/asio/post.hpp>

#include "proxy/stats/prometheus.h"
#include "sim/k8s/ingress.h"
#include "sim/telemetry/scrape.h"

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
      viaSnapshot(std::move(done), &ServedMesh::render, "text/plain; version=0.0.4");
    } else if (path == "/ready") {
      done(textResponse(200, "LIVE\n", "text/plain"), proxy::ResetReason::None);
    } else if (path == "/") {
      viaSnapshot(std::move(done), &listing, "text/plain");
    } else {
      done(textResponse(404, "not found\n", "text/plain"), proxy::ResetReason::None);
    }
  }

private:
  using Render = std::string (*)(const StatsSnapshot&);

  static std::string listing(const StatsSnapshot& snapshot) {
    std::string body = "meshsim serve admin\n  /stats/prometheus\n  /ready\n\nlisteners:\n";
    for (const auto& e : snapshot.endpoints) {
      body += std::string("  ") + toString(e.kind) + " " + e.pod + " " +
              proxy::config::toString(e.virtual_address) + " -> " +
              proxy::config::toString(e.real_address) + "\n";
    }
    return body;
  }

  // Answers with `render` of a snapshot taken on the io_context thread (the world's).
  void viaSnapshot(proxy::ResponseCallback done, Render render, const char* content_type) {
    const uint64_t id = ++last_scrape_;
    waiting_.emplace(id, std::move(done));
    // Both loops outlive every handler posted to them: ~ServedMesh joins the admin thread and
    // destroys unrun handlers with their io_context, and run() is over by then.
    boost::asio::post(mesh_.io_context_, [mesh = &mesh_, handler = this, id, render, content_type] {
      auto snapshot = std::make_shared<const StatsSnapshot>(mesh->snapshot());
      boost::asio::post(mesh->admin_io_, [handler, id, snapshot, render, content_type] {
        handler->finish(id, render(*snapshot), content_type);
      });
    });
  }

  void finish(uint64_t id, std::string text, const char* content_type) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) {
      return;
    }
    proxy::ResponseCallback done = std::move(it->second);
    waiting_.erase(it);
    done(textResponse(200, std::move(text), content_type), proxy::ResetReason::None);
  }

  ServedMesh& mesh_;
  // Scrapes waiting for their snapshot, by id; admin thread only.
  std::map<uint64_t, proxy::ResponseCallback> waiting_;
  uint64_t last_scrape_ = 0;
};

// One thread runs the io_context and owns every socket, so the reactor needs no locking (other
// threads only post and stop, which stay locked).
ServedMesh::ServedMesh(const ServeOptions& options)
    : io_context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      dispatcher_(io_context_),
      admin_dispatcher_(admin_io_),
      options_(options),
      random_(options.seed) {}

ServedMesh::~ServedMesh() {
  // The admin thread first (its scrapes read the proxies), then its server and the scrapes it
  // still holds, while its io_context is alive. Then the listeners (they hand requests to the
  // proxies), then the pools, whose connections keep app server threads busy until closed, then
  // the app servers, joining their threads, and last the world (the apps the servers answer
  // for, the proxies).
  admin_io_.stop();
  if (admin_thread_.joinable()) {
    admin_thread_.join();
  }
  admin_server_.reset();
  admin_handler_.reset();
  listeners_.clear();
  network_.reset();
  app_servers_.clear();
  mesh_.reset();
}

StatusOr<std::unique_ptr<ServedMesh>> ServedMesh::create(Manifests manifests,
                                                         const ServeOptions& options) {
  std::unique_ptr<ServedMesh> mesh(new ServedMesh(options));
  MESHSIM_RETURN_IF_ERROR(mesh->build(std::move(manifests)));
  return mesh;
}

Status ServedMesh::build(Manifests manifests) {
  network_ = std::make_unique<net::RealNetwork>(dispatcher_, random_, options_.pool_options);
  // The world, as the simulator builds it, opening its listeners here. Every app echoes.
  MeshOptions mesh_options;
  mesh_options.seed = options_.seed;
  MESHSIM_ASSIGN_OR_RETURN(mesh_,
                           Mesh::create(std::move(manifests), std::move(mesh_options), *this));
  for (const auto& [pod, address] : options_.external_apps) {
    const size_t slash = pod.find('/');
    if (slash == std::string::npos ||
        world().findPod(pod.substr(0, slash), pod.substr(slash + 1)) == nullptr) {
      return notFoundError("--app " + pod +
                           ": no such pod (give NAMESPACE/POD, e.g. default/hello-0)");
    }
  }
  const auto primary = primaryGatewayListener();
  if (!primary) {
    return failedPreconditionError(
        "no ingress gateway: serve needs a gateway pod (meshsim serve adds Istio's default one "
        "unless the manifests define an ingress gateway Service of their own)");
  }
  // The gateway's HTTP listener on --port, first in the list.
  const Address primary_address{primary->first->ip, primary->second};
  for (auto& l : listeners_) {
    if (l.virtual_address != primary_address) {
      continue;
    }
    if (options_.gateway_port != 0) {
      l.server.reset();  // the ephemeral port it had
      MESHSIM_ASSIGN_OR_RETURN(l.server,
                               openServer(primary_address, *l.handler, options_.gateway_port));
      network_->bind(primary_address, Address{kLoopback, l.server->port()});
    }
    gateway_port_ = l.server->port();
  }
  for (auto& e : endpoints_) {
    if (e.virtual_address == primary_address && e.kind != ServedEndpoint::Kind::App) {
      e.real_address = Address{kLoopback, gateway_port_};
    }
  }
  std::stable_partition(endpoints_.begin(), endpoints_.end(), [&](const ServedEndpoint& e) {
    return e.virtual_address == primary_address && e.kind != ServedEndpoint::Kind::App;
  });

  admin_handler_ = std::make_unique<AdminHandler>(*this);
  proxy::net::HttpServerOptions admin_options;
  admin_options.request_headers_timeout = std::chrono::seconds(10);
  // Outside the listeners' shared limit, with a small one of its own, so that the page stays
  // reachable while a flood fills the listeners.
  admin_options.max_connections = kAdminMaxConnections;
  MESHSIM_ASSIGN_OR_RETURN(admin_server_, proxy::net::HttpServer::create(
                                              admin_dispatcher_, {kLoopback, options_.admin_port},
                                              *admin_handler_, admin_options));
  admin_port_ = admin_server_->port();
  endpoints_.push_back(
      {ServedEndpoint::Kind::Admin, "", Address{}, Address{kLoopback, admin_port_}});
  admin_thread_ = std::thread([this] { admin_io_.run(); });
  return okStatus();
}

StatusOr<std::unique_ptr<proxy::net::HttpServer>> ServedMesh::openServer(
    Address virtual_address, proxy::RequestHandler& handler, uint16_t port) {
  net::RealNetwork* network = network_.get();
  return proxy::net::HttpServer::create(
      dispatcher_, {kLoopback, port}, handler, options_.listener_options,
      [network, virtual_address](const Address& remote, const Address& /*local*/) {
        return network->connectionInfo(remote, virtual_address);
      });
}

Status ServedMesh::listen(const k8s::PodState& pod, uint16_t port,
                          proxy::RequestHandler& listener) {
  const Address virtual_address{pod.ip, port};
  auto it = std::find_if(listeners_.begin(), listeners_.end(),
                         [&](const Listener& l) { return l.virtual_address == virtual_address; });
  if (it != listeners_.end() && it->handler == &listener) {
    return okStatus();  // a push that kept the listener
  }
  MESHSIM_ASSIGN_OR_RETURN(auto server, openServer(virtual_address, listener, 0));
  const Address real{kLoopback, server->port()};
  network_->bind(virtual_address, real);
  if (it != listeners_.end()) {
    it->handler = &listener;
    it->server = std::move(server);
    for (auto& e : endpoints_) {
      if (e.virtual_address == virtual_address && e.kind != ServedEndpoint::Kind::App) {
        e.real_address = real;
      }
    }
    return okStatus();
  }
  listeners_.push_back({pod.id(), virtual_address, &listener, std::move(server)});
  endpoints_.push_back({pod.gateway ? ServedEndpoint::Kind::Gateway : ServedEndpoint::Kind::Sidecar,
                        pod.id(), virtual_address, real});
  return okStatus();
}

void ServedMesh::unlisten(const k8s::PodState& pod, uint16_t port) {
  const Address virtual_address{pod.ip, port};
  network_->unbind(virtual_address);
  std::erase_if(listeners_,
                [&](const Listener& l) { return l.virtual_address == virtual_address; });
  std::erase_if(endpoints_, [&](const ServedEndpoint& e) {
    return e.virtual_address == virtual_address && e.kind != ServedEndpoint::Kind::App;
  });
}

Status ServedMesh::listenApp(const k8s::PodState& pod, uint16_t port, apps::App& app, bool local) {
  auto known = app_addresses_.find(&static_cast<const proxy::RequestHandler&>(app));
  if (known == app_addresses_.end()) {
    Address real;
    if (auto external = options_.external_apps.find(pod.id());
        external != options_.external_apps.end()) {
      real = external->second;
    } else {
      MESHSIM_ASSIGN_OR_RETURN(auto server, AppServer::start(app, options_.app_threads));
      real = Address{kLoopback, server->port()};
      proxy::net::ConnectionPoolOptions pool = options_.pool_options;
      pool.max_connections = std::min(pool.max_connections, server->threads());
      network_->setUpstreamOptions(real, pool);
      app_servers_[&static_cast<const proxy::RequestHandler&>(app)] = std::move(server);
    }
    known = app_addresses_.emplace(&static_cast<const proxy::RequestHandler&>(app), real).first;
  }
  const Address real = known->second;
  if (local) {
    network_->bindLocal(pod.ip, port, real);
    endpoints_.push_back({ServedEndpoint::Kind::App, pod.id(), Address{kLoopback, port}, real});
  } else {
    network_->bind(Address{pod.ip, port}, real, /*plaintext=*/true);
    endpoints_.push_back({ServedEndpoint::Kind::App, pod.id(), Address{pod.ip, port}, real});
  }
  return okStatus();
}

void ServedMesh::unlistenApp(const k8s::PodState& pod, uint16_t port, bool local) {
  const Address virtual_address = local ? Address{kLoopback, port} : Address{pod.ip, port};
  if (local) {
    network_->unbindLocal(pod.ip, port);
  } else {
    network_->unbind(virtual_address);
  }
  std::erase_if(endpoints_, [&](const ServedEndpoint& e) {
    return e.kind == ServedEndpoint::Kind::App && e.pod == pod.id() &&
           e.virtual_address == virtual_address;
  });
}

void ServedMesh::resetInFlight(const proxy::RequestHandler& handler) {
  for (auto& l : listeners_) {
    if (l.handler != &handler) {
      continue;
    }
    l.server.reset();  // closes its connections
    auto server = openServer(l.virtual_address, *l.handler, 0);
    if (!server.ok()) {
      // Nothing listens there any more.
      network_->unbind(l.virtual_address);
      std::erase_if(endpoints_, [&](const ServedEndpoint& e) {
        return e.virtual_address == l.virtual_address && e.kind != ServedEndpoint::Kind::App;
      });
      continue;
    }
    l.server = std::move(*server);
    const Address real{kLoopback, l.server->port()};
    network_->bind(l.virtual_address, real);
    for (auto& e : endpoints_) {
      if (e.virtual_address == l.virtual_address && e.kind != ServedEndpoint::Kind::App) {
        e.real_address = real;
      }
    }
  }
  std::erase_if(listeners_, [](const Listener& l) { return l.server == nullptr; });
  // An app server is left running: stopping it here would wait, on this thread, for its workers
  // to finish the keep-alive connections of pools that only this thread can close. Its
  // exchanges in flight complete; nothing new reaches it once it has stopped listening.
}

std::optional<std::pair<const k8s::PodState*, uint16_t>> ServedMesh::primaryGatewayListener()
    const {
  const k8s::World& world = mesh_->world();
  // The default ingress (k8s::findIngress): its HTTP port (80, else its first), then its other
  // ports, lead to a gateway pod's listener.
  if (auto ingress = k8s::findIngress(world, ""); ingress.ok()) {
    std::vector<uint16_t> ports = {ingress->port};
    for (const auto& sp : ingress->service->spec.ports) {
      if (sp.port != ingress->port) {
        ports.push_back(static_cast<uint16_t>(sp.port));
      }
    }
    for (uint16_t port : ports) {
      const auto behind = k8s::findIngress(world, "", port);
      for (const auto& ep : behind->endpoints) {
        proxy::Proxy* proxy = mesh_->proxyOf(ep.pod);
        if (proxy != nullptr && proxy->listener(ep.port) != nullptr) {
          return std::make_pair(&world.pods()[ep.pod], ep.port);
        }
      }
    }
  }
  // Otherwise the first listener of the first gateway.
  for (size_t i = 0; i < world.pods().size(); ++i) {
    proxy::Proxy* proxy = mesh_->proxyOf(i);
    if (world.pods()[i].gateway && proxy != nullptr && !proxy->listenerPorts().empty()) {
      return std::make_pair(&world.pods()[i], proxy->listenerPorts().front());
    }
  }
  return std::nullopt;
}

std::string ServedMesh::podLabel(uint32_t ip) const {
  for (const auto& pod : world().pods()) {
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
  s.proxies.reserve(mesh_->proxies().size());
  for (const auto& p : mesh_->proxies()) {
    const auto& workload = p->config().workload;
    s.proxies.push_back({p->stats(), workload == nullptr ? proxy::stats::Labels{}
                                                         : telemetry::targetLabels(*workload)});
  }
  s.listeners.reserve(listeners_.size());
  for (const auto& l : listeners_) {
    s.listeners.push_back({l.pod, l.virtual_address.port, l.server->stats()});
  }
  for (const auto& p : network_->pools()) {
    s.pools.push_back({podLabel(p.source_ip), p.pool->upstream(), p.pool->stats()});
  }
  s.endpoints = endpoints_;
  return s;
}

std::string ServedMesh::render(const StatsSnapshot& snapshot) {
  using proxy::stats::MetricFamily;
  using proxy::stats::MetricType;
  std::vector<proxy::stats::ScrapeTarget> targets;
  targets.reserve(snapshot.proxies.size());
  for (const auto& p : snapshot.proxies) {
    targets.push_back({&p.stats, p.labels});
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
    for (const auto& l : snapshot.listeners) {
      const size_t slash = l.pod.find('/');
      f.points.push_back({c.name,
                          {{"namespace", l.pod.substr(0, slash)},
                           {"pod", slash == std::string::npos ? l.pod : l.pod.substr(slash + 1)},
                           {"listener_port", std::to_string(l.port)}},
                          static_cast<double>(l.stats.*c.field)});
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
      {"meshsim_upstream_cx_idle_timeout_total", MetricType::Counter,
       "Upstream connections closed when idle.", &PoolStats::upstream_cx_idle_timeout},
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
      const std::string& pod = p.pod;
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
