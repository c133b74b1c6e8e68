#pragma once

// File: sim/mesh.h
//
// The assembled world: Kubernetes objects, one proxy per gateway pod and per sidecar
// (configured by the Istio translator, sharing its configuration snapshots), the pods' apps,
// Service virtual IPs, and configuration pushes for events. By default it runs on the
// simulator's clock and network (a VirtualDispatcher and the in-process VirtualNetwork, seeded
// from the scenario); given a MeshRuntime it runs the same world on another clock and network,
// as `meshsim serve` does on Asio and real sockets (sim/serve/served_mesh.h).
//
// Example:
//   auto mesh = Mesh::create(std::move(manifests), {.seed = 7}).value();
//   mesh->sendFromIngress(Mesh::request("GET", "http://hello.com/"), {}, [&](auto r, auto) {...});
//   mesh->loop().runUntilIdle();

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
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
  // The Istio minor release (24..31) whose defaults and API fields apply.
  int istio_minor = 31;
  // App behaviours; the first entry selecting a pod applies, pods without one run the echo app.
  std::vector<WorkloadBehavior> workloads;
  // Whether the echo apps' responses carry their JSON document. A run that never reads a
  // response body turns it off: the document's size still counts everywhere (wire sizes,
  // istio_response_bytes, access logs), but it is not written.
  bool echo_bodies = true;
};

// A parsed URL of the form scheme://host[:port]/path?query; a #fragment is dropped, as clients
// do not send it.
struct Url {
  std::string scheme = "http";
  std::string host;
  uint16_t port = 80;
  bool explicit_port = false;
  std::string path = "/";  // with the query
};
StatusOr<Url> parseUrl(const std::string& text);

// What a world runs on, besides its random numbers: the dispatcher (the clock), the transport its
// proxies and senders use, and the places where its pods' proxies and apps listen and where
// kube-proxy's virtual IPs lead. The simulator's runtime is private to Mesh (a VirtualDispatcher
// and a VirtualNetwork); `meshsim serve` implements one on Asio and real sockets. Mesh calls it
// on the dispatcher's thread, while building the world and at events, never per request.
class MeshRuntime {
public:
  virtual ~MeshRuntime() = default;
  virtual proxy::Dispatcher& dispatcher() = 0;
  virtual proxy::UpstreamTransport& transport() = 0;
  // Makes `listener` (a gateway's or sidecar's) receive what is sent to the pod's IP and `port`.
  // Listening again on the same pod and port replaces the handler.
  virtual Status listen(const k8s::PodState& pod, uint16_t port,
                        proxy::RequestHandler& listener) = 0;
  virtual void unlisten(const k8s::PodState& pod, uint16_t port) = 0;
  // Makes the pod's `app` receive what is sent to `port` of the pod's loopback (`local`: behind
  // its sidecar, from that pod only) or of its IP.
  virtual Status listenApp(const k8s::PodState& pod, uint16_t port, apps::App& app, bool local) = 0;
  virtual void unlistenApp(const k8s::PodState& pod, uint16_t port, bool local) = 0;
  // Ends the exchanges `handler` (a listener or an app whose pod died or restarted) received and
  // has not answered: their senders see the connection terminate.
  virtual void resetInFlight(const proxy::RequestHandler& handler) = 0;
  // kube-proxy: what is sent to `vip` reaches one of `backends` (replacing earlier ones); an
  // empty list refuses connections.
  virtual void addVirtualIp(proxy::config::Address vip,
                            std::vector<proxy::config::Address> backends) = 0;
  virtual void removeVirtualIp(proxy::config::Address vip) = 0;
};

class Mesh : private apps::CallSender {
public:
  // The simulated world: virtual time, the in-process network.
  static StatusOr<std::unique_ptr<Mesh>> create(Manifests manifests, MeshOptions options = {});
  // The same world on `runtime` (which must outlive the mesh). The simulation-only calls
  // (loop(), partition(), heal(), healAll()) must not be used on it.
  static StatusOr<std::unique_ptr<Mesh>> create(Manifests manifests, MeshOptions options,
                                                MeshRuntime& runtime);
  ~Mesh() override;
  Mesh(const Mesh&) = delete;
  Mesh& operator=(const Mesh&) = delete;

  // The virtual clock of a simulated mesh.
  proxy::VirtualDispatcher& loop() { return *loop_; }
  // The dispatcher everything of the mesh runs on (the virtual loop when simulated).
  proxy::Dispatcher& dispatcher() { return dispatcher_; }
  // The cluster as the Kubernetes API sees it now. Pods that were killed or removed are gone
  // from it; PodStates handed out before stay valid for the mesh's lifetime.
  const k8s::World& world() const { return *world_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // What istioctl analyze reports as IST0101 (references to nothing), found while translating
  // the configuration the proxies run now; istio::analyze() adds the other analyzers.
  const std::vector<istio::AnalysisMessage>& translationAnalysis() const {
    return last_translation_.analysis;
  }

  // What a process in `from_namespace` gets for the host name `host`: a Service's ClusterIP
  // (cluster DNS: "hello", "hello.default", the FQDN), else, for a ServiceEntry host exported to
  // that namespace, the entry's first address when it lists one, or an address from the range
  // Istio's DNS proxy auto-allocates (240.240.0.0/16), which the pod's sidecar captures and
  // routes by Host. nullopt: nothing answers for the name.
  std::optional<uint32_t> resolveHost(const std::string& host,
                                      const std::string& from_namespace) const;

  // The address an outside client reaches `gateway_service` ("" for the default ingress: the
  // LoadBalancer Service labelled istio=ingressgateway; else "namespace/name") on `port`, as
  // k8s::findIngress() discovers it.
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
  // The same for a pod given by its state (valid for the mesh's lifetime, unlike an index once
  // events change the world); a pod that is no longer running cannot connect.
  void sendFromPod(const k8s::PodState& pod, proxy::config::Address to,
                   proxy::http::RequestPtr request, proxy::ResponseCallback done,
                   proxy::CancellationPtr cancel = nullptr);
  // Shows every request any app receives to `observer` (empty: stop).
  void setRequestObserver(apps::RequestObserver observer);

  // The proxy of a pod (gateway or sidecar), or nullptr.
  proxy::Proxy* proxyOf(size_t pod);

  // Events on the virtual timeline (scenario `events`), acting at the loop's current time. The
  // Kubernetes API changes at once; the proxies get the new configuration (an xDS push) and
  // kube-proxy the new endpoints `propagation` later. Each fails (changing nothing) when what it
  // names does not exist or the new configuration is invalid.
  //
  // Kills a pod abruptly (a crash, or a forced delete): its app and sidecar stop now, the
  // exchanges in flight to them are reset and new connections are refused; it leaves every
  // Service's endpoints after `propagation`. With `replace`, its Deployment's ReplicaSet starts
  // a new pod at once (the next free ordinal, ready at once, in the endpoints after
  // `propagation`), as in a cluster; without, the Deployment is left one replica short.
  Status killPod(const std::string& namespace_name, const std::string& name,
                 std::chrono::nanoseconds propagation, bool replace = true);
  // Restarts the app container of a pod in place: exchanges in flight to the app are reset, its
  // port refuses connections for `downtime`, then the app is back with fresh state (the
  // sequence starts over). The pod keeps its IP, its sidecar and its place in the endpoints.
  Status restartPod(const std::string& namespace_name, const std::string& name,
                    std::chrono::nanoseconds downtime);
  // Sets a Deployment's replicas. New pods start now (ready at once); removed pods (the highest
  // ordinals) leave the endpoints after `propagation` and stop then, finishing what is in flight.
  Status scale(const std::string& namespace_name, const std::string& deployment, int replicas,
               std::chrono::nanoseconds propagation);
  // kubectl apply: adds the resources, replacing those with the same kind, namespace and name.
  Status apply(const Manifests& more, std::chrono::nanoseconds propagation);
  // kubectl delete of one resource (kind as in manifests: Deployment, Pod, Service, Gateway,
  // VirtualService, DestinationRule, ServiceEntry, Sidecar, Namespace).
  Status remove(const std::string& kind, const std::string& namespace_name, const std::string& name,
                std::chrono::nanoseconds propagation);
  // Cuts the network between two sets of pods (indices into world().pods()), both directions;
  // see net::VirtualNetwork::partition().
  void partition(const std::vector<size_t>& a, const std::vector<size_t>& b, bool drop);
  void heal(const std::vector<size_t>& a, const std::vector<size_t>& b);
  void healAll() { network_->healAll(); }

  // The pod whose app produced a response with this origin; nullptr for a proxy's local reply.
  const k8s::PodState* podForOrigin(uint64_t origin) const;

  // Every Istio metric sample of every proxy, with the scrape labels namespace and pod.
  std::vector<telemetry::Sample> metrics() const;

  // The running proxies (of pods that have not been killed or removed).
  const std::vector<std::unique_ptr<proxy::Proxy>>& proxies() const { return proxies_; }
  // Which Gateway servers, VirtualService routes and match blocks, DestinationRule subsets and
  // ServiceEntries of every configuration the mesh has had were used by requests so far, as
  // counted by every proxy that ran (istio/coverage.h).
  istio::CoverageReport coverage() const;
  // The running app of a pod, or nullptr.
  const apps::App* app(const std::string& namespace_name, const std::string& pod) const;
  // A pod that exists or existed in this run ("namespace/name"), or nullptr.
  const k8s::PodState* podEver(const std::string& id) const;
  // The Kubernetes and Istio resources as they are now (after the events so far).
  const Manifests& manifests() const { return manifests_; }
  // Whether `pred` holds for a pod that exists or whose app ran at some time in this run.
  bool anyPodEver(const std::function<bool(const k8s::PodState&)>& pred) const;

  // The address outside clients come from.
  static constexpr uint32_t kClientIp = proxy::config::ipv4(198, 51, 100, 1);

private:
  // The simulator's runtime: a VirtualDispatcher and a VirtualNetwork.
  struct SimulatedRuntime;
  // `runtime` null: a simulated mesh (owning a SimulatedRuntime).
  Mesh(uint64_t seed, MeshRuntime* runtime);
  static StatusOr<std::unique_ptr<Mesh>> build(std::unique_ptr<Mesh> mesh, Manifests manifests);
  // The first hop of a request sent on the mesh's network, and of work posted to its dispatcher:
  // straight to the simulator's when simulated (a call the compiler can inline, none through the
  // runtime), else through the runtime.
  void send(const proxy::ConnectionInfo& from, proxy::config::Address to,
            proxy::http::RequestPtr&& request, proxy::ResponseCallback&& done);
  template <typename F>
  void post(F&& cb);  // defined in mesh.cc, its only user

  // What runs in one pod.
  struct PodRuntime {
    const k8s::PodState* pod = nullptr;  // kept alive by pods_ever_
    proxy::Proxy* proxy = nullptr;       // owned by proxies_
    std::vector<uint16_t> proxy_ports;   // bound listener ports
    apps::App* app = nullptr;            // owned by apps_
    std::vector<uint16_t> app_ports;
    bool app_local = false;  // behind a sidecar: listens on the pod's loopback
  };

  Status startPod(size_t index, std::optional<proxy::config::ProxyConfig> config);
  Status listenApp(PodRuntime& rt);
  void unlistenApp(PodRuntime& rt);
  // Stops what runs in a pod; `reset`: abruptly, resetting what is in flight.
  void stopPod(const std::string& id, bool reset);
  void rebuildVirtualIps();
  std::vector<uint32_t> ipsOf(const std::vector<size_t>& pods) const;
  // Moves the Kubernetes API to `next` (minus `killed` pods), starts new pods now and pushes
  // the new configuration to the proxies and kube-proxy after `propagation`.
  Status changeWorld(Manifests next, std::chrono::nanoseconds propagation);
  PodRuntime* runtimeOf(const std::string& id);

  // apps::CallSender: an app's call, through its pod's sidecar.
  void sendCall(const k8s::PodState& from, const apps::Call& call, proxy::http::RequestPtr request,
                proxy::CancellationPtr cancel, proxy::ResponseCallback done) override;

  MeshOptions options_;
  proxy::SeededRandom random_;
  std::unique_ptr<SimulatedRuntime> simulated_;  // null on a runtime of the caller's
  MeshRuntime& runtime_;
  proxy::Dispatcher& dispatcher_;
  // The simulated runtime's loop and network; null on a runtime of the caller's.
  proxy::VirtualDispatcher* loop_ = nullptr;
  net::VirtualNetwork* network_ = nullptr;
  Manifests manifests_;
  std::unique_ptr<k8s::World> world_;
  // Every pod that ran, so PodStates handed out stay valid (an unchanged pod is the same object
  // in the next world; old worlds themselves are not kept).
  std::vector<k8s::PodStateConstSharedPtr> pods_ever_;
  // What the proxies' shared clusters were translated from (cluster generations carry over).
  istio::Translation last_translation_;
  std::set<std::string> killed_;
  std::vector<std::string> warnings_;
  std::vector<std::unique_ptr<proxy::Proxy>> proxies_;  // running, in start order
  // Stopped proxies with exchanges still in flight; freed once they are idle.
  std::vector<std::unique_ptr<proxy::Proxy>> dead_proxies_;
  void pruneDeadProxies();
  istio::CoverageRegistry coverage_;           // every item of every configuration, keys stable
  std::map<std::string, PodRuntime> running_;  // by pod id
  std::vector<proxy::config::Address> virtual_ips_;
  std::vector<std::unique_ptr<apps::App>> apps_;  // every app ever started
  std::vector<const k8s::PodState*> origins_;     // origin - 1 -> pod
  apps::RequestObserver observer_;
  uint64_t push_generation_ = 0;
  // The configurations of the push not made yet. A later change supersedes it, so the change
  // empties it at once: superseded configurations do not wait for their push's time in memory.
  std::shared_ptr<std::map<std::string, proxy::config::ProxyConfig>> pending_push_;
};

}  // namespace meshsim::sim
