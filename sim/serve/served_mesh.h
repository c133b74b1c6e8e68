#pragma once

// File: sim/serve/served_mesh.h
//
// The world of a set of manifests, run for real (`meshsim serve`): a sim::Mesh, the same world
// the simulator runs (translation, proxies holding the shared configuration of their scope,
// Sidecar scoping, apps, Service virtual IPs, configuration pushes), built on an AsioDispatcher
// and real sockets instead of virtual time. ServedMesh is the MeshRuntime it runs on: every
// listener the world opens is a real socket on 127.0.0.1:
// - the ingress gateway's listeners (its HTTP port on ServeOptions::gateway_port),
// - each sidecar's inbound listeners, in front of its app,
// - each app a cpp-httplib server answering with the pod's echo document,
// - one admin page for all proxies: /stats/prometheus, /ready.
// A RealNetwork (the mesh's transport) maps the world's virtual addresses to those ports, so the
// gateway reaches the sidecars, and the sidecars their apps, over TCP.
//
// Threading: the proxies, their listeners and pools run on one io_context thread, the one
// calling run(). The admin page has a thread of its own, as Envoy's admin runs on the main
// thread, away from the workers: a scrape takes a snapshot of the counters on the data thread
// (copies, a few microseconds) and renders the text on the admin thread, so scraping does not
// slow the data path. The app servers have their own threads. stop() may be called from any
// thread.
//
// Example:
//   auto mesh = ServedMesh::create(std::move(manifests)).value();
//   std::cout << "gateway listening on 127.0.0.1:" << mesh->gatewayPort() << "\n";
//   mesh->run();  // until stop()

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/event/asio_dispatcher.h"
#include "proxy/net/connection_pool.h"
#include "proxy/net/http_server.h"
#include "proxy/proxy.h"
#include "proxy/stats/istio_stats.h"
#include "sim/apps/app.h"
#include "sim/k8s/world.h"
#include "sim/manifests.h"
#include "sim/mesh.h"
#include "sim/net/real_network.h"
#include "sim/serve/app_server.h"

namespace meshsim::sim::serve {

struct ServeOptions {
  // The port of the default ingress gateway's HTTP listener (the one its Service's port 80
  // leads to) on 127.0.0.1; 0 picks a free one.
  uint16_t gateway_port = 0;
  // The admin page's port on 127.0.0.1; 0 picks a free one.
  uint16_t admin_port = 0;
  uint64_t seed = 1;
  // Pods ("namespace/name") whose app is a server that already runs at the given address: no
  // app server is started for them, and each of their app ports leads there.
  std::map<std::string, proxy::config::Address> external_apps;
  // Limits and timeouts of every proxy listener (the gateway's is the edge). Serve mode sets a
  // request header timeout against slow clients, where Envoy has none by default.
  proxy::net::HttpServerOptions listener_options = defaultListenerOptions();
  proxy::net::ConnectionPoolOptions pool_options;
  // Threads of each app server; pools to an app open at most this many connections.
  size_t app_threads = 8;

  static proxy::net::HttpServerOptions defaultListenerOptions() {
    proxy::net::HttpServerOptions o;
    o.request_headers_timeout = std::chrono::seconds(10);
    return o;
  }
};

// Something listening on loopback, for `meshsim serve` to print.
struct ServedEndpoint {
  enum class Kind { Gateway, Sidecar, App, Admin };
  Kind kind = Kind::Gateway;
  std::string pod;  // "namespace/name"; empty for the admin page
  // The address it stands for in the world: pod IP and port (apps behind a sidecar: the pod's
  // loopback port).
  proxy::config::Address virtual_address;
  proxy::config::Address real_address;
};
const char* toString(ServedEndpoint::Kind kind);

class ServedMesh : private MeshRuntime {
public:
  // Builds the world and binds every listener. Fails like Mesh::create on invalid manifests
  // (InvalidArgument, NotFound), with FailedPrecondition when there is no ingress gateway, and
  // with Unavailable when a port cannot be bound (e.g. --port in use).
  static StatusOr<std::unique_ptr<ServedMesh>> create(Manifests manifests,
                                                      const ServeOptions& options = {});
  // Closes every listener and connection and stops the app servers.
  ~ServedMesh() override;
  ServedMesh(const ServedMesh&) = delete;
  ServedMesh& operator=(const ServedMesh&) = delete;

  uint16_t gatewayPort() const { return gateway_port_; }
  uint16_t adminPort() const { return admin_port_; }
  // Everything listening, gateway first, admin last.
  const std::vector<ServedEndpoint>& endpoints() const { return endpoints_; }
  const std::vector<std::string>& warnings() const { return mesh_->warnings(); }
  const k8s::World& world() const { return mesh_->world(); }
  // The world itself, e.g. for events (apply, delete, scale): call it on the io_context thread
  // (or while it is not running).
  Mesh& mesh() { return *mesh_; }

  boost::asio::io_context& ioContext() { return io_context_; }
  // Serves on the calling thread until stop().
  void run();
  // Makes run() return. Safe from any thread and from a signal handler's completion.
  void stop();

  // The admin page's /stats/prometheus: Istio's metrics of every proxy (labelled with the
  // proxy's namespace and pod) and meshsim's listener and pool counters. Call on the
  // io_context thread (or while it is not running).
  std::string prometheusText() const;

private:
  class AdminHandler;
  // What the admin page shows, copied on the io_context thread; rendered on any thread.
  struct StatsSnapshot {
    struct Proxy {
      proxy::stats::IstioStats stats;
      proxy::stats::Labels labels;  // namespace, pod
    };
    std::vector<Proxy> proxies;  // in Mesh::proxies() order
    struct Listener {
      std::string pod;  // "namespace/name"
      uint16_t port;    // virtual
      proxy::net::HttpServerStats stats;
    };
    std::vector<Listener> listeners;  // in listeners_ order
    struct Pool {
      std::string pod;  // the sender's "namespace/name" (or its IP)
      proxy::config::Address upstream;
      proxy::net::ConnectionPoolStats stats;
    };
    std::vector<Pool> pools;
    std::vector<ServedEndpoint> endpoints;  // for the admin page's listing
  };
  StatsSnapshot snapshot() const;
  // Reads only the snapshot, so any thread may call it.
  static std::string render(const StatsSnapshot& snapshot);

  explicit ServedMesh(const ServeOptions& options);
  Status build(Manifests manifests);
  // The gateway pod and listener port that --port applies to (k8s::findIngress), or nullopt.
  std::optional<std::pair<const k8s::PodState*, uint16_t>> primaryGatewayListener() const;
  std::string podLabel(uint32_t ip) const;
  // Opens a real server on 127.0.0.1:`port` for `handler`, the listener at `virtual_address`.
  StatusOr<std::unique_ptr<proxy::net::HttpServer>> openServer(
      proxy::config::Address virtual_address, proxy::RequestHandler& handler, uint16_t port);

  // MeshRuntime: what the world opens, as real sockets.
  proxy::Dispatcher& dispatcher() override { return dispatcher_; }
  proxy::UpstreamTransport& transport() override { return *network_; }
  Status listen(const k8s::PodState& pod, uint16_t port, proxy::RequestHandler& listener) override;
  void unlisten(const k8s::PodState& pod, uint16_t port) override;
  // An app listens as a cpp-httplib server of its own (AppServer), one per app, or is the
  // server --app names for its pod.
  Status listenApp(const k8s::PodState& pod, uint16_t port, apps::App& app, bool local) override;
  void unlistenApp(const k8s::PodState& pod, uint16_t port, bool local) override;
  // A listener's server is closed and opened again (on a new port): its connections close,
  // which resets what is in flight (a listener that stopped listening was closed already). An
  // app's server (its AppServer's or --app's) is not reset: what is in flight to it completes.
  void resetInFlight(const proxy::RequestHandler& handler) override;
  void addVirtualIp(proxy::config::Address vip,
                    std::vector<proxy::config::Address> backends) override {
    network_->addVirtualIp(vip, std::move(backends));
  }
  void removeVirtualIp(proxy::config::Address vip) override { network_->removeVirtualIp(vip); }

  // Declaration order is destruction order reversed: the io_context goes last.
  boost::asio::io_context io_context_;
  proxy::AsioDispatcher dispatcher_;
  // The admin page's loop and thread (see the file comment).
  boost::asio::io_context admin_io_;
  proxy::AsioDispatcher admin_dispatcher_;
  std::thread admin_thread_;
  const ServeOptions options_;
  proxy::SeededRandom random_;  // the network's (kube-proxy's choices); the mesh has its own
  std::unique_ptr<net::RealNetwork> network_;
  std::unique_ptr<Mesh> mesh_;
  // The real server of each app that listens (its AppServer's, or --app's), by app.
  std::map<const proxy::RequestHandler*, proxy::config::Address> app_addresses_;
  std::map<const proxy::RequestHandler*, std::unique_ptr<AppServer>> app_servers_;
  struct Listener {
    std::string pod;
    proxy::config::Address virtual_address;
    proxy::RequestHandler* handler;
    std::unique_ptr<proxy::net::HttpServer> server;
  };
  std::vector<Listener> listeners_;
  std::unique_ptr<AdminHandler> admin_handler_;
  std::unique_ptr<proxy::net::HttpServer> admin_server_;
  std::vector<ServedEndpoint> endpoints_;
  uint16_t gateway_port_ = 0;
  uint16_t admin_port_ = 0;
};

}  // namespace meshsim::sim::serve
