#pragma once

// File: sim/mesh.h
//
// The assembled virtual world: Kubernetes objects, one proxy per gateway pod and per sidecar
// (configured by the Istio translator), simulated apps, and the in-process network, all on
// one virtual-time dispatcher seeded from the scenario.
//
// Example:
//   auto mesh = Mesh::create(std::move(manifests), {.seed = 7}).value();
//   mesh->sendFromIngress(Mesh::request("GET", "http://hello.com/"), {}, [&](auto r, auto) {...});
//   mesh->loop().runUntilIdle();

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proxy/core/random.h"
#include "proxy/event/virtual_dispatcher.h"
#include "proxy/proxy.h"
#include "sim/apps/app.h"
#include "sim/istio/translate.h"
#include "sim/k8s/world.h"
#include "sim/manifests.h"
#include "sim/net/virtual_network.h"
#include "sim/telemetry/metric_query.h"

namespace meshsim::sim {

// The behaviour of the apps in the pods a label selector picks.
struct WorkloadBehavior {
  k8s::Labels selector;
  std::string namespace_name;  // empty: any namespace
  apps::Behavior behavior;
};

struct MeshOptions {
  uint64_t seed = 1;
  // The Istio minor release (24..30) whose defaults apply where they changed.
  int istio_minor = 30;
  // App behaviours; the first entry selecting a pod applies, pods without one run the echo app.
  std::vector<WorkloadBehavior> workloads;
};

// A parsed URL of the form scheme://host[:port]/path?query.
struct Url {
  std::string scheme = "http";
  std::string host;
  uint16_t port = 80;
  bool explicit_port = false;
  std::string path = "/";  // with the query
};
StatusOr<Url> parseUrl(const std::string& text);

class Mesh {
public:
  static StatusOr<std::unique_ptr<Mesh>> create(Manifests manifests, MeshOptions options = {});
  ~Mesh();
  Mesh(const Mesh&) = delete;
  Mesh& operator=(const Mesh&) = delete;

  proxy::VirtualDispatcher& loop() { return loop_; }
  const k8s::World& world() const { return world_; }
  const istio::Translation& translation() const { return translation_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The address an outside client reaches `gateway_service` ("" for the default ingress: the
  // LoadBalancer Service labelled istio=ingressgateway; else "namespace/name") on `port`.
  StatusOr<proxy::config::Address> ingressAddress(const std::string& gateway_service,
                                                  uint16_t port) const;
  // Sends `request` from a client outside the cluster to `to`. `done` runs on the loop, later.
  void sendFromOutside(proxy::config::Address to, proxy::http::RequestPtr request,
                       proxy::ResponseCallback done);

  // Sends `request` from the app of `pod` (an index into world().pods()) to `to`, as a process
  // in that pod would: through its sidecar's outbound listener for the port when it has one
  // (traffic capture), else straight onto the network. `done` runs on the loop, later.
  void sendFromPod(size_t pod, proxy::config::Address to, proxy::http::RequestPtr request,
                   proxy::ResponseCallback done);
  // Shows every request any app receives to `observer` (empty: stop).
  void setRequestObserver(apps::RequestObserver observer);

  // The proxy of a pod (gateway or sidecar), or nullptr.
  proxy::Proxy* proxyOf(size_t pod);

  // The pod whose app produced a response with this origin; nullptr for a proxy's local reply.
  const k8s::PodState* podForOrigin(uint64_t origin) const;

  // Every Istio metric sample of every proxy, with the scrape labels namespace and pod.
  std::vector<telemetry::Sample> metrics() const;

  const std::vector<std::unique_ptr<proxy::Proxy>>& proxies() const { return proxies_; }
  const apps::App* app(const std::string& namespace_name, const std::string& pod) const;

  // The address outside clients come from.
  static constexpr uint32_t kClientIp = proxy::config::ipv4(198, 51, 100, 1);

private:
  Mesh(uint64_t seed) : random_(seed), network_(loop_, random_) {}

  proxy::VirtualDispatcher loop_;
  proxy::SeededRandom random_;
  net::VirtualNetwork network_;
  k8s::World world_;
  istio::Translation translation_;
  std::vector<std::string> warnings_;
  std::vector<std::unique_ptr<proxy::Proxy>> proxies_;
  std::vector<size_t> proxy_pods_;  // pod index per proxy
  std::vector<std::unique_ptr<apps::App>> apps_;
  std::vector<const k8s::PodState*> origins_;  // origin - 1 -> pod
  apps::RequestObserver observer_;
};

}  // namespace meshsim::sim
