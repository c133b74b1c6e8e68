#pragma once

// File: meshsim/mesh.h
//
// meshsim as a library: build a virtual service mesh from Kubernetes and Istio YAML (strings or
// files) or typed objects, send HTTP requests through its ingress gateway or from its pods, and
// read what happened: responses, what each app received, Istio metrics, the service graph and
// the proxies' access logs. A real proxy core routes every hop; time is virtual, so a mesh with
// a 30 s timeout answers in microseconds, and the same inputs and seed give the same results.
//
// Everything here is single-threaded: a Mesh and everything it hands out belong to the thread
// that uses it. Errors are values (Result<T>, see result.h); nothing throws for bad input.
//
// Example:
//   meshsim::Mesh mesh = meshsim::Mesh::fromYaml(MyGenerator().render()).value();
//   meshsim::Result<meshsim::Responses> r = mesh.send(meshsim::Request::get("http://hello.com/"),
//                                                     1000);
//   double v2 = r->shareServedBy("hello-v2");
//   double ok = mesh.metric(R"(sum(istio_requests_total{reporter="source",response_code="200"}))")
//                   .value();

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "meshsim/http.h"
#include "meshsim/objects.h"
#include "meshsim/result.h"

namespace meshsim {

struct MeshOptions {
  // Seeds every random choice (weights, load balancing, request ids).
  uint64_t seed = 1;
  // The Istio minor release (24..31) whose defaults and API fields apply.
  int istio_minor = 31;
  // Adds Istio's default ingress gateway (MeshBuilder::addIngressGateway()) unless the
  // manifests have one already: a Service labelled istio=ingressgateway, or a Deployment or
  // Service istio-system/istio-ingressgateway.
  bool ingress_gateway = true;
  // How often the metrics are scraped as virtual time passes, as Prometheus would, so that range
  // queries (rate, increase, histogram_quantile over rates) have points; 0: only when a query
  // runs.
  std::chrono::nanoseconds scrape_interval = std::chrono::seconds(15);
  // Keeps the proxies' access logs (the last 10,000 entries of each) for accessLog().
  bool access_log = true;
  // Keeps every request the apps receive for receivedRequests(). Each Response still carries
  // its own upstream request when this is off.
  bool record_requests = true;
};

// Who sends a request.
class From {
public:
  // A client outside the cluster, through the default ingress gateway (the LoadBalancer Service
  // labelled istio=ingressgateway) or through the gateway Service "namespace/name".
  static From ingress(std::string gateway_service = {});
  // The app of a pod: through its sidecar's outbound listener when it has one.
  static From pod(std::string name, std::string namespace_name = "default");
  // The pods of a Deployment, taking turns.
  static From deployment(std::string name, std::string namespace_name = "default");

  // "ingress", "ingress/istio-system/my-gateway", "pod default/sleep-0",
  // "deployment default/sleep".
  std::string toString() const;

private:
  enum class Kind { Ingress, Pod, Deployment };
  From(Kind kind, std::string name, std::string namespace_name);
  friend class Mesh;

  Kind kind_{};
  std::string name_{};
  std::string namespace_{};
};

// How a batch of requests is sent.
struct Traffic {
  int count = 1;
  From from = From::ingress();
  // Closed loop: this many clients, each sending its next request when its last one ended.
  int concurrency = 1;
  // Open loop when > 0: requests per second of virtual time, whatever is in flight.
  double rate = 0;
};

// One series of a metric query's result.
struct MetricSample {
  std::string name{};  // empty for aggregations
  Labels labels{};
  double value = 0;
};

// One line of a proxy's access log (Istio's default text format), with a few of its fields.
struct AccessLogEntry {
  std::string namespace_name{};  // of the proxy's pod
  std::string pod{};
  std::string line{};  // as Envoy prints it, without the pod prefix
  std::string method{};
  std::string path{};  // before any rewrite
  std::string authority{};
  int response_code = 0;           // 0: no response was sent
  std::string response_flags{};    // "-", "NR", "UH", ...
  std::string upstream_cluster{};  // "outbound|80||hello.default.svc.cluster.local"
  std::string upstream_host{};     // "10.1.0.12:8080"; empty when none was picked
  std::string route_name{};
};

// The service graph as Kiali draws it from the Istio metrics of everything sent so far.
struct ServiceGraph {
  struct Node {
    // "wl_default_hello-v1", "svc_default_hello", "unknown"
    std::string id{};
    std::string type{};  // "workload", "service" or "unknown"
    std::string namespace_name{};
    std::string name{};  // the workload or the service
    bool ingress_gateway = false;
  };
  struct Edge {
    std::string source{};  // node ids
    std::string target{};
    double requests = 0;
    double error_ratio = 0;  // 4xx, 5xx and no response, over requests
  };
  std::vector<Node> nodes{};  // by id
  std::vector<Edge> edges{};  // by source, then target
  std::string dot{};          // Graphviz
  std::string json{};         // Kiali-like JSON

  // The edge from `source` to `target` (node ids), or nullptr.
  const Edge* edge(std::string_view source, std::string_view target) const;
};

class Mesh;

// Collects manifests, typed objects and custom apps, then builds a Mesh. Every add*() records
// problems instead of failing; build() reports them all.
//
// Example:
//   auto mesh = meshsim::MeshBuilder()
//                   .addIngressGateway()
//                   .addFile("deploy/")
//                   .handle("app=ratings", [](const meshsim::ReceivedRequest&) {
//                     return meshsim::Response::make(503);
//                   })
//                   .build();
class MeshBuilder {
public:
  MeshBuilder();
  ~MeshBuilder();
  MeshBuilder(MeshBuilder&&) noexcept;
  MeshBuilder& operator=(MeshBuilder&&) noexcept;
  MeshBuilder(const MeshBuilder&) = delete;
  MeshBuilder& operator=(const MeshBuilder&) = delete;

  // Kubernetes and Istio manifests: one or more YAML documents separated by "---". `source`
  // names the text in diagnostics ("<yaml>:3:5: spec.hosts: ...").
  MeshBuilder& addYaml(std::string_view yaml, const std::string& source = "<yaml>");
  // A manifest file, or every *.yaml and *.yml file of a folder (recursively, in name order).
  MeshBuilder& addFile(const std::string& path);
  // Istio's default ingress gateway: the Deployment and LoadBalancer Service
  // istio-ingressgateway in istio-system (labels istio=ingressgateway; ports 80 -> 8080,
  // 443 -> 8443), as the default profile installs it.
  MeshBuilder& addIngressGateway();
  MeshBuilder& addNamespace(const Namespace& ns);
  MeshBuilder& addDeployment(const Deployment& deployment);
  MeshBuilder& addService(const Service& service);
  // A Deployment, its Service (unless a workload of the same app added it) and its handler.
  MeshBuilder& addWorkload(const Workload& workload);
  // Installs `handler` as the app of the pods `selector` picks. The first handler added that
  // picks a pod applies; pods without one run the echo app.
  MeshBuilder& handle(PodSelector selector, Handler handler);
  MeshBuilder& options(const MeshOptions& options);
  MeshBuilder& seed(uint64_t seed);

  // Builds the mesh: loads and validates everything added, creates the pods, Services,
  // gateways and sidecars and configures every proxy. Fails with every problem found
  // (diagnostics) when an input is invalid. The builder can build again.
  Result<Mesh> build() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_{};
};

// A virtual mesh. Movable, not copyable; a moved-from Mesh may only be destroyed or assigned.
class Mesh {
public:
  // A mesh from YAML text (Kubernetes and Istio manifests, "---" between documents).
  static Result<Mesh> fromYaml(std::string_view yaml, const MeshOptions& options = {});
  // A mesh from manifest files or folders (see MeshBuilder::addFile()).
  static Result<Mesh> fromFiles(const std::vector<std::string>& paths,
                                const MeshOptions& options = {});

  Mesh(Mesh&&) noexcept;
  Mesh& operator=(Mesh&&) noexcept;
  ~Mesh();

  // --- Sending -------------------------------------------------------------------------------
  // The synchronous sends run the virtual clock until their responses are in (other events due
  // meanwhile run too, such as earlier sendAsync() requests) and leave it there. They fail,
  // sending nothing, when the request or the sender is invalid: a bad URL, no such pod, no
  // ingress gateway, a host the pod cannot resolve.

  // Sends one request.
  Result<Response> send(const Request& request, const From& from = From::ingress());
  // Sends `count` requests one after the other.
  Result<Responses> send(const Request& request, int count, const From& from = From::ingress());
  // Sends a batch as `traffic` says (closed or open loop).
  Result<Responses> send(const Request& request, const Traffic& traffic);
  // Sends one request now and returns at once; `done` runs when the response is in, during a
  // later advanceTime(), runUntilIdle() or send(). Never calls `done` inline.
  Result<void> sendAsync(const Request& request, std::function<void(const Response&)> done,
                         const From& from = From::ingress());

  // --- Virtual time --------------------------------------------------------------------------
  // Virtual time since the mesh was built.
  std::chrono::nanoseconds now() const;
  // Runs every event due within `duration`, then moves the clock `duration` forward.
  void advanceTime(std::chrono::nanoseconds duration);
  // Runs events until none is left; the clock stops at the last one.
  void runUntilIdle();

  // --- What happened -------------------------------------------------------------------------
  // Every request the apps received, in arrival order (needs MeshOptions::record_requests).
  const std::vector<ReceivedRequest>& receivedRequests() const;
  // Those received by a pod `selector` picks.
  std::vector<ReceivedRequest> receivedBy(const PodSelector& selector) const;
  void clearReceivedRequests();

  // The value of a metric query (the PromQL subset of scenario files) at the current virtual
  // time, over the Istio metrics of every proxy as scraped every MeshOptions::scrape_interval
  // and now: a scalar, the value of the single resulting series, or 0 when no series matches.
  // Fails on a bad query (the message shows the column) and when several series result.
  Result<double> metric(std::string_view query) const;
  // Every series a query yields.
  Result<std::vector<MetricSample>> metricSamples(std::string_view query) const;
  // Every proxy's Istio metrics in the Prometheus text format, labelled namespace and pod.
  std::string prometheusText() const;

  ServiceGraph serviceGraph() const;
  // The kept access-log entries of every proxy, in completion order (needs
  // MeshOptions::access_log).
  std::vector<AccessLogEntry> accessLog() const;

  // --- The world -----------------------------------------------------------------------------
  // Every pod, in creation order (gateways included).
  std::vector<PodInfo> pods() const;
  // Notes about skipped documents and Istio objects that do not take effect.
  const std::vector<std::string>& warnings() const;

private:
  struct Impl;
  explicit Mesh(std::unique_ptr<Impl> impl);
  friend class MeshBuilder;

  std::unique_ptr<Impl> impl_{};
};

// Printing, for logs and test failure messages. A Mesh prints as
// "meshsim::Mesh (N pods, virtual time T ms)"; an AccessLogEntry as "[namespace/pod] line".
std::ostream& operator<<(std::ostream& os, const Mesh& mesh);
std::ostream& operator<<(std::ostream& os, const From& from);
std::ostream& operator<<(std::ostream& os, const MetricSample& sample);
std::ostream& operator<<(std::ostream& os, const AccessLogEntry& entry);
std::ostream& operator<<(std::ostream& os, const ServiceGraph::Node& node);
std::ostream& operator<<(std::ostream& os, const ServiceGraph::Edge& edge);

}  // namespace meshsim
