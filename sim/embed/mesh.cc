// The embedding API's Mesh and MeshBuilder (meshsim/mesh.h) over sim::Mesh.
//
// A public Mesh owns a sim::Mesh and watches every request its apps receive: each request sent
// through the API carries a fresh tag (proxies pass it along untouched), so the request an app
// received can be handed back with the response to it. Synchronous sends run the virtual loop
// one event time at a time until their responses are in.

#include "meshsim/mesh.h"

#include <cstdio>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

#include "proxy/stats/access_log.h"
#include "proxy/stats/prometheus.h"
#include "sim/driver/scrape_clock.h"
#include "sim/driver/traffic.h"
#include "sim/json.h"
#include "sim/manifests.h"
#include "sim/mesh.h"
#include "sim/telemetry/access_logs.h"
#include "sim/telemetry/graph.h"
#include "sim/telemetry/metric_query.h"
#include "sim/telemetry/scrape.h"

namespace meshsim {

namespace {

using proxy::http::RequestPtr;
using proxy::http::ResponsePtr;

ErrorCode codeOf(StatusCode code) {
  switch (code) {
    case StatusCode::InvalidArgument:
      return ErrorCode::InvalidArgument;
    case StatusCode::NotFound:
      return ErrorCode::NotFound;
    case StatusCode::AlreadyExists:
      return ErrorCode::AlreadyExists;
    case StatusCode::FailedPrecondition:
      return ErrorCode::FailedPrecondition;
    case StatusCode::OutOfRange:
      return ErrorCode::OutOfRange;
    case StatusCode::Unimplemented:
      return ErrorCode::Unimplemented;
    case StatusCode::Unavailable:
      return ErrorCode::Unavailable;
    case StatusCode::Ok:
    case StatusCode::Internal:
      break;
  }
  return ErrorCode::Internal;
}

Error toError(const Status& status) {
  return Error(codeOf(status.code()), status.message());
}

PodInfo podInfoOf(const sim::k8s::PodState& pod) {
  PodInfo info;
  info.name = pod.name;
  info.namespace_name = pod.namespace_name;
  info.workload = pod.workload;
  info.labels = Labels(pod.labels.begin(), pod.labels.end());
  info.ip = proxy::config::ipToString(pod.ip);
  info.sidecar = pod.sidecar;
  info.gateway = pod.gateway;
  return info;
}

Headers headersOf(const proxy::http::HeaderMap& map) {
  Headers out;
  for (const auto& [k, v] : map) {
    out.add(k, v);
  }
  return out;
}

ReceivedRequest receivedOf(PodInfo pod, const proxy::http::Request& r,
                           std::chrono::nanoseconds at) {
  ReceivedRequest out;
  out.pod = std::move(pod);
  out.method = r.method;
  out.scheme = r.scheme;
  out.authority = r.authority;
  out.path = r.path;
  out.headers = headersOf(r.headers);
  out.body = r.body;
  out.protocol = std::string(proxy::http::protocolName(r.protocol));
  out.at = at;
  return out;
}

// Custom apps by pod selector; one table per built mesh, shared by the apps' behaviours.
struct HandlerTable {
  std::vector<std::pair<PodSelector, Handler>> handlers;
  const proxy::VirtualDispatcher* loop = nullptr;
  // Per pod: the index of its handler (-1: none) and what the handler is told about the pod.
  std::unordered_map<const sim::k8s::PodState*, std::pair<int, PodInfo>> pods;

  std::optional<proxy::http::Response> handle(const sim::k8s::PodState& pod,
                                              const proxy::http::Request& request) {
    auto it = pods.find(&pod);
    if (it == pods.end()) {
      PodInfo info = podInfoOf(pod);
      int index = -1;
      for (size_t i = 0; i < handlers.size(); ++i) {
        if (handlers[i].first.matches(info)) {
          index = static_cast<int>(i);
          break;
        }
      }
      it = pods.emplace(&pod, std::make_pair(index, std::move(info))).first;
    }
    if (it->second.first < 0) {
      return std::nullopt;
    }
    const auto at = loop == nullptr ? std::chrono::nanoseconds(0) : loop->elapsed();
    proxy::http::Response out;
    Response answer;
    try {
      answer = handlers[static_cast<size_t>(it->second.first)].second(
          receivedOf(it->second.second, request, at));
    } catch (const std::exception& e) {
      // A throwing handler must not unwind through the proxies; it becomes the app's 500.
      answer = Response::make(500, std::string("meshsim: the handler threw: ") + e.what());
    }
    if (answer.status < 100 || answer.status > 599) {
      answer = Response::make(500, "meshsim: the handler returned status " +
                                       std::to_string(answer.status) + ", not in [100, 599]");
    }
    out.status = answer.status;
    for (const auto& [k, v] : answer.headers) {
      out.headers.add(k, v);
    }
    out.body = std::move(answer.body);
    return out;
  }
};

// YAML (flow style inside block style) for typed objects. Strings are JSON literals, which YAML
// reads as double-quoted scalars.
std::string flowMap(const Labels& labels) {
  std::string out = "{";
  for (const auto& [k, v] : labels) {
    out += (out.size() > 1 ? ", " : "") + sim::jsonString(k) + ": " + sim::jsonString(v);
  }
  return out + "}";
}

std::string metadataYaml(const std::string& name, const std::string& namespace_name,
                         const Labels& labels) {
  return "metadata:\n  name: " + sim::jsonString(name) +
         "\n  namespace: " + sim::jsonString(namespace_name) + "\n  labels: " + flowMap(labels) +
         "\n";
}

std::string namespaceYaml(const Namespace& ns) {
  Labels labels = ns.labels;
  if (ns.sidecar_injection) {
    labels["istio-injection"] = "enabled";
  }
  return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + sim::jsonString(ns.name) +
         "\n  labels: " + flowMap(labels) + "\n";
}

std::string deploymentYaml(const Deployment& d) {
  std::string out = "apiVersion: apps/v1\nkind: Deployment\n" +
                    metadataYaml(d.name, d.namespace_name, {}) +
                    "spec:\n  replicas: " + std::to_string(d.replicas) +
                    "\n  selector:\n    matchLabels: " + flowMap(d.labels) +
                    "\n  template:\n    metadata:\n      labels: " + flowMap(d.labels) +
                    "\n      annotations: " + flowMap(d.annotations) +
                    "\n    spec:\n      serviceAccountName: " + sim::jsonString(d.service_account) +
                    "\n      containers:\n      - name: app\n        ports:\n";
  for (size_t i = 0; i < d.ports.size(); ++i) {
    out += "        - containerPort: " + std::to_string(d.ports[i]) + "\n          name: " +
           (i == 0 ? std::string("http") : "port-" + std::to_string(d.ports[i])) + "\n";
  }
  if (d.ports.empty()) {
    out += "        []\n";
  }
  return out;
}

std::string serviceYaml(const Service& s) {
  std::string out = "apiVersion: v1\nkind: Service\n" +
                    metadataYaml(s.name, s.namespace_name, s.labels) +
                    "spec:\n  type: " + sim::jsonString(s.type) +
                    "\n  selector: " + flowMap(s.selector) + "\n  ports:\n";
  for (const auto& p : s.ports) {
    out += "  - name: " + sim::jsonString(p.name) + "\n    port: " + std::to_string(p.port) +
           "\n    targetPort: " + std::to_string(p.target_port == 0 ? p.port : p.target_port) +
           "\n";
  }
  if (s.ports.empty()) {
    out += "  []\n";
  }
  return out;
}

}  // namespace

// --- From ------------------------------------------------------------------------------------

From::From(Kind kind, std::string name, std::string namespace_name)
    : kind_(kind), name_(std::move(name)), namespace_(std::move(namespace_name)) {}

From From::ingress(std::string gateway_service) {
  return From(Kind::Ingress, std::move(gateway_service), "");
}

From From::pod(std::string name, std::string namespace_name) {
  return From(Kind::Pod, std::move(name), std::move(namespace_name));
}

From From::deployment(std::string name, std::string namespace_name) {
  return From(Kind::Deployment, std::move(name), std::move(namespace_name));
}

std::string From::toString() const {
  switch (kind_) {
    case Kind::Ingress:
      return name_.empty() ? std::string("ingress") : "ingress/" + name_;
    case Kind::Pod:
      return "pod " + namespace_ + "/" + name_;
    case Kind::Deployment:
      return "deployment " + namespace_ + "/" + name_;
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, const From& from) {
  return os << from.toString();
}

std::ostream& operator<<(std::ostream& os, const MetricSample& sample) {
  os << sample.name << "{";
  bool first = true;
  for (const auto& [k, v] : sample.labels) {
    os << (first ? "" : ",") << k << "=\"" << v << "\"";
    first = false;
  }
  return os << "} " << sample.value;
}

std::ostream& operator<<(std::ostream& os, const AccessLogEntry& entry) {
  return os << "[" << entry.namespace_name << "/" << entry.pod << "] " << entry.line;
}

std::ostream& operator<<(std::ostream& os, const ServiceGraph::Node& node) {
  return os << node.id << " (" << node.type << (node.ingress_gateway ? ", ingress gateway" : "")
            << ")";
}

std::ostream& operator<<(std::ostream& os, const ServiceGraph::Edge& edge) {
  return os << edge.source << " -> " << edge.target << " (" << edge.requests << " requests, "
            << edge.error_ratio * 100 << "% errors)";
}

const ServiceGraph::Edge* ServiceGraph::edge(std::string_view source,
                                             std::string_view target) const {
  for (const auto& e : edges) {
    if (e.source == source && e.target == target) {
      return &e;
    }
  }
  return nullptr;
}

// --- Mesh::Impl ------------------------------------------------------------------------------

struct Mesh::Impl {
  // A request ready to send: who sends, where to, and the request itself.
  struct Prepared {
    sim::driver::Target target;
    std::unique_ptr<sim::driver::RequestTemplate> request;
    sim::driver::Sender sender;
    int follow_redirects = 0;
  };
  // A batch being sent; shared with the callbacks on the loop.
  struct Batch {
    Prepared prepared;
    std::vector<std::optional<Response>> responses;
    std::unique_ptr<sim::driver::Stream> stream;
    std::function<void(Response)> on_done;  // sendAsync's callback
  };

  std::unique_ptr<sim::Mesh> mesh;
  std::shared_ptr<HandlerTable> handlers;
  MeshOptions options;
  std::vector<PodInfo> pods;  // by pod index
  std::vector<ReceivedRequest> received;
  // The latest request an app received for each request in flight, by tag.
  std::unordered_map<uint64_t, ReceivedRequest> upstream;
  uint64_t next_tag = 1;
  // Scrapes every options.scrape_interval of virtual time (the first when the mesh is built),
  // plus one whenever a query runs.
  sim::telemetry::Tsdb tsdb;
  std::unique_ptr<sim::driver::ScrapeClock> clock;
  // sendAsync() batches until their response is in.
  std::vector<std::unique_ptr<Batch>> async;

  proxy::VirtualDispatcher& loop() const { return mesh->loop(); }

  void onAppRequest(const sim::k8s::PodState& pod, const proxy::http::Request& request) {
    if (request.tag == 0 && !options.record_requests) {
      return;
    }
    const size_t index = mesh->world().indexOf(pod);
    if (index >= pods.size()) {
      return;  // not a pod of the current world
    }
    ReceivedRequest r = receivedOf(pods[index], request, loop().elapsed());
    if (options.record_requests) {
      received.push_back(r);
    }
    if (request.tag != 0) {
      upstream.insert_or_assign(request.tag, std::move(r));
    }
  }

  Result<Prepared> prepare(const Request& request, const From& from) const {
    auto tmpl =
        sim::driver::RequestTemplate::create(request.method, request.url,
                                             std::vector<std::pair<std::string, std::string>>(
                                                 request.headers.begin(), request.headers.end()),
                                             request.body);
    if (!tmpl.ok()) {
      return toError(tmpl.status());
    }
    auto protocol = sim::driver::parseProtocol(request.protocol);
    if (!protocol.ok()) {
      return toError(protocol.status());
    }
    tmpl->setProtocol(*protocol);
    sim::driver::Sender sender;
    sender.kind = from.kind_ == From::Kind::Ingress ? sim::driver::Sender::Kind::Ingress
                  : from.kind_ == From::Kind::Pod   ? sim::driver::Sender::Kind::Pod
                                                    : sim::driver::Sender::Kind::Deployment;
    sender.name = from.name_;
    sender.namespace_name = from.namespace_;
    auto target = sim::driver::resolveTarget(*mesh, sender, tmpl->url());
    if (!target.ok()) {
      return Error(codeOf(target.status().code()),
                   "cannot send from " + from.toString() + ": " + target.status().message());
    }
    if (request.follow_redirects < 0) {
      return Error(ErrorCode::InvalidArgument, "follow_redirects must not be negative");
    }
    return Prepared{std::move(target).value(),
                    std::make_unique<sim::driver::RequestTemplate>(std::move(tmpl).value()), sender,
                    request.follow_redirects};
  }

  Response toResponse(sim::driver::Completion& c) {
    Response out;
    out.latency = loop().now() - c.sent_at;
    if (auto it = upstream.find(c.tag); it != upstream.end()) {
      out.upstream = std::move(it->second);
      upstream.erase(it);
    }
    if (c.response == nullptr) {
      out.error = sim::driver::errorName(c.reset);
      out.upstream.reset();
      return out;
    }
    for (auto& hop : c.redirects) {
      out.redirects.push_back({hop.status, std::move(hop.location), std::move(hop.next_url),
                               std::move(hop.not_followed)});
    }
    out.status = c.response->status;
    out.headers = headersOf(c.response->headers);
    out.body = std::move(c.response->body);
    if (const sim::k8s::PodState* pod = mesh->podForOrigin(c.response->origin);
        pod != nullptr && mesh->world().indexOf(*pod) < pods.size()) {
      out.served_by = pods[mesh->world().indexOf(*pod)];
    } else {
      out.upstream.reset();  // a proxy answered; what an app saw belongs to no response
    }
    return out;
  }

  // Starts sending `batch`'s requests as `pacing` says; each response lands in
  // batch.responses, or goes to batch.on_done when it is set.
  void start(Batch& batch, const sim::driver::Pacing& pacing) {
    Batch* b = &batch;
    batch.stream = std::make_unique<sim::driver::Stream>(
        *mesh, batch.prepared.target, *batch.prepared.request, pacing,
        [this](uint64_t) { return next_tag++; },
        [this, b](sim::driver::Completion& c) {
          Response r = toResponse(c);
          if (b->on_done) {
            b->on_done(std::move(r));
            // The stream is still on the stack: free the batch later, from the loop.
            loop().post([this, b] {
              std::erase_if(async, [b](const auto& kept) { return kept.get() == b; });
            });
          } else {
            b->responses[c.index] = std::move(r);
          }
        });
    if (batch.prepared.follow_redirects > 0) {
      batch.stream->followRedirects(batch.prepared.sender, batch.prepared.follow_redirects);
    }
    batch.stream->start();
  }

  Result<void> sendAsync(const Request& request, std::function<void(const Response&)> done,
                         const From& from) {
    auto prepared = prepare(request, from);
    if (!prepared.ok()) {
      return prepared.error();
    }
    auto batch = std::make_unique<Batch>();
    batch->prepared = std::move(prepared).value();
    batch->on_done = [done = std::move(done)](Response r) { done(r); };
    start(*batch, sim::driver::Pacing{});
    async.push_back(std::move(batch));
    return {};
  }

  Result<Responses> sendBatch(const Request& request, const Traffic& traffic) {
    if (traffic.count < 1) {
      return Error(ErrorCode::InvalidArgument,
                   "traffic count must be at least 1, not " + std::to_string(traffic.count));
    }
    if (traffic.concurrency < 1) {
      return Error(ErrorCode::InvalidArgument, "traffic concurrency must be at least 1, not " +
                                                   std::to_string(traffic.concurrency));
    }
    if (!(traffic.rate >= 0)) {
      return Error(ErrorCode::InvalidArgument, "traffic rate must not be negative");
    }
    auto prepared = prepare(request, traffic.from);
    if (!prepared.ok()) {
      return prepared.error();
    }
    Batch batch;
    batch.prepared = std::move(prepared).value();
    const auto count = static_cast<size_t>(traffic.count);
    batch.responses.resize(count);
    start(batch, sim::driver::Pacing{traffic.count, traffic.concurrency, traffic.rate, {}});
    while (batch.stream->done() < count) {
      if (!clock->step()) {
        return Error(ErrorCode::Internal, "the mesh went idle with " +
                                              std::to_string(count - batch.stream->done()) +
                                              " requests unanswered");
      }
    }
    Responses out;
    out.responses.reserve(count);
    for (auto& r : batch.responses) {
      out.responses.push_back(std::move(*r));
    }
    return out;
  }
};

// --- MeshBuilder -----------------------------------------------------------------------------

struct MeshBuilder::Impl {
  sim::Manifests manifests;
  std::vector<Status> errors;
  std::vector<std::pair<PodSelector, Handler>> handlers;
  std::set<std::string> workload_services;  // "namespace/name"
  bool ingress_gateway = false;
  MeshOptions options;

  void add(const std::string& yaml, const std::string& source) {
    Status s = sim::addText(yaml, source, 1, manifests);
    if (!s.ok()) {
      errors.push_back(std::move(s));
    }
  }
};

MeshBuilder::MeshBuilder() : impl_(std::make_unique<Impl>()) {}
MeshBuilder::~MeshBuilder() = default;
MeshBuilder::MeshBuilder(MeshBuilder&&) noexcept = default;
MeshBuilder& MeshBuilder::operator=(MeshBuilder&&) noexcept = default;

MeshBuilder& MeshBuilder::addYaml(std::string_view yaml, const std::string& source) {
  impl_->add(std::string(yaml), source);
  return *this;
}

MeshBuilder& MeshBuilder::addFile(const std::string& path) {
  Status s = sim::addPath(path, impl_->manifests);
  if (!s.ok()) {
    impl_->errors.push_back(std::move(s));
  }
  return *this;
}

MeshBuilder& MeshBuilder::addIngressGateway() {
  if (!impl_->ingress_gateway) {
    impl_->ingress_gateway = true;
    impl_->add(sim::kDefaultIngressGatewayYaml, sim::kDefaultIngressGatewayFile);
  }
  return *this;
}

MeshBuilder& MeshBuilder::addNamespace(const Namespace& ns) {
  impl_->add(namespaceYaml(ns), "<Namespace " + ns.name + ">");
  return *this;
}

MeshBuilder& MeshBuilder::addDeployment(const Deployment& deployment) {
  impl_->add(deploymentYaml(deployment),
             "<Deployment " + deployment.namespace_name + "/" + deployment.name + ">");
  return *this;
}

MeshBuilder& MeshBuilder::addService(const Service& service) {
  impl_->add(serviceYaml(service), "<Service " + service.namespace_name + "/" + service.name + ">");
  return *this;
}

MeshBuilder& MeshBuilder::addWorkload(const Workload& workload) {
  const std::string app = workload.app.empty() ? workload.name : workload.app;
  Deployment d;
  d.name = workload.name;
  d.namespace_name = workload.namespace_name;
  d.replicas = workload.replicas;
  d.labels = workload.labels;
  d.labels["app"] = app;
  d.labels["version"] = workload.version;
  d.labels["sidecar.istio.io/inject"] = workload.sidecar ? "true" : "false";
  d.ports = {workload.target_port};
  d.service_account = workload.name;
  addDeployment(d);
  if (impl_->workload_services.insert(workload.namespace_name + "/" + app).second) {
    Service s;
    s.name = app;
    s.namespace_name = workload.namespace_name;
    s.selector = {{"app", app}};
    s.ports = {ServicePort{workload.port, workload.target_port, "http"}};
    addService(s);
  }
  if (workload.handler) {
    handle(PodSelector::workload(workload.name, workload.namespace_name), workload.handler);
  }
  return *this;
}

MeshBuilder& MeshBuilder::handle(PodSelector selector, Handler handler) {
  if (!handler) {
    impl_->errors.push_back(
        invalidArgumentError("handle(" + selector.toString() + "): the handler is empty"));
    return *this;
  }
  impl_->handlers.emplace_back(std::move(selector), std::move(handler));
  return *this;
}

MeshBuilder& MeshBuilder::options(const MeshOptions& options) {
  impl_->options = options;
  return *this;
}

MeshBuilder& MeshBuilder::seed(uint64_t seed) {
  impl_->options.seed = seed;
  return *this;
}

Result<Mesh> MeshBuilder::build() const {
  const MeshOptions& options = impl_->options;
  std::vector<Status> errors = impl_->errors;
  if (options.istio_minor < 24 || options.istio_minor > 31) {
    errors.push_back(invalidArgumentError("istio_minor " + std::to_string(options.istio_minor) +
                                          ": must be in [24, 31] (Istio 1.24 to 1.31)"));
  }
  if (!errors.empty()) {
    std::vector<std::string> diagnostics;
    diagnostics.reserve(errors.size());
    for (const auto& e : errors) {
      diagnostics.push_back(e.message());
    }
    return Error(codeOf(errors.front().code()), errors.front().message(), std::move(diagnostics));
  }
  sim::Manifests manifests = impl_->manifests;
  if (options.ingress_gateway) {
    if (auto added = sim::addDefaultIngressGateway(manifests); !added.ok()) {
      return Error(ErrorCode::Internal, added.status().message());
    }
  }

  auto table = std::make_shared<HandlerTable>();
  table->handlers = impl_->handlers;
  sim::MeshOptions sim_options;
  sim_options.seed = options.seed;
  sim_options.istio_minor = options.istio_minor;
  if (!table->handlers.empty()) {
    sim::apps::Behavior behavior;
    behavior.handler = [table](const sim::k8s::PodState& pod, const proxy::http::Request& request) {
      return table->handle(pod, request);
    };
    sim_options.workloads.push_back(sim::WorkloadBehavior{{}, "", std::move(behavior)});
  }
  auto created = sim::Mesh::create(std::move(manifests), std::move(sim_options));
  if (!created.ok()) {
    return toError(created.status());
  }

  auto impl = std::make_unique<Mesh::Impl>();
  impl->mesh = std::move(created).value();
  impl->handlers = table;
  impl->options = options;
  table->loop = &impl->mesh->loop();
  impl->clock =
      std::make_unique<sim::driver::ScrapeClock>(*impl->mesh, impl->tsdb, options.scrape_interval);
  for (const auto& pod : impl->mesh->world().pods()) {
    impl->pods.push_back(podInfoOf(pod));
  }
  if (options.access_log) {
    sim::telemetry::enableAccessLogs(impl->mesh->proxies(),
                                     proxy::stats::AccessLog::kDefaultCapacity);
  }
  Mesh::Impl* raw = impl.get();
  impl->mesh->setRequestObserver(
      [raw](const sim::k8s::PodState& pod, const proxy::http::Request& request) {
        raw->onAppRequest(pod, request);
      });
  return Mesh(std::move(impl));
}

// --- Mesh ------------------------------------------------------------------------------------

Mesh::Mesh(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mesh::Mesh(Mesh&&) noexcept = default;
Mesh& Mesh::operator=(Mesh&&) noexcept = default;
Mesh::~Mesh() = default;

Result<Mesh> Mesh::fromYaml(std::string_view yaml, const MeshOptions& options) {
  return MeshBuilder().options(options).addYaml(yaml).build();
}

Result<Mesh> Mesh::fromFiles(const std::vector<std::string>& paths, const MeshOptions& options) {
  MeshBuilder builder;
  builder.options(options);
  for (const auto& p : paths) {
    builder.addFile(p);
  }
  return builder.build();
}

Result<Response> Mesh::send(const Request& request, const From& from) {
  auto batch = impl_->sendBatch(request, Traffic{.count = 1, .from = from});
  if (!batch.ok()) {
    return batch.error();
  }
  return std::move(batch->responses.front());
}

Result<Responses> Mesh::send(const Request& request, int count, const From& from) {
  return impl_->sendBatch(request, Traffic{.count = count, .from = from});
}

Result<Responses> Mesh::send(const Request& request, const Traffic& traffic) {
  return impl_->sendBatch(request, traffic);
}

Result<void> Mesh::sendAsync(const Request& request, std::function<void(const Response&)> done,
                             const From& from) {
  if (!done) {
    return Error(ErrorCode::InvalidArgument, "sendAsync: the callback is empty");
  }
  return impl_->sendAsync(request, std::move(done), from);
}

std::chrono::nanoseconds Mesh::now() const {
  return impl_->mesh->loop().elapsed();
}

void Mesh::advanceTime(std::chrono::nanoseconds duration) {
  impl_->clock->runUntil(impl_->loop().now() + std::max(duration, std::chrono::nanoseconds(0)));
}

void Mesh::runUntilIdle() {
  while (impl_->clock->step()) {
  }
}

const std::vector<ReceivedRequest>& Mesh::receivedRequests() const {
  return impl_->received;
}

std::vector<ReceivedRequest> Mesh::receivedBy(const PodSelector& selector) const {
  std::vector<ReceivedRequest> out;
  for (const auto& r : impl_->received) {
    if (selector.matches(r.pod)) {
      out.push_back(r);
    }
  }
  return out;
}

void Mesh::clearReceivedRequests() {
  impl_->received.clear();
}

Result<double> Mesh::metric(std::string_view query) const {
  auto q = sim::telemetry::MetricQuery::parse(std::string(query));
  if (!q.ok()) {
    return toError(q.status());
  }
  impl_->clock->scrapeNow();
  auto v = q->evaluateScalar(impl_->tsdb, impl_->loop().elapsed());
  if (!v.ok()) {
    return toError(v.status());
  }
  return *v;
}

Result<std::vector<MetricSample>> Mesh::metricSamples(std::string_view query) const {
  auto q = sim::telemetry::MetricQuery::parse(std::string(query));
  if (!q.ok()) {
    return toError(q.status());
  }
  impl_->clock->scrapeNow();
  auto samples = q->evaluate(impl_->tsdb, impl_->loop().elapsed());
  if (!samples.ok()) {
    return toError(samples.status());
  }
  std::vector<MetricSample> out;
  for (auto& s : *samples) {
    out.push_back(
        MetricSample{std::move(s.name), Labels(s.labels.begin(), s.labels.end()), s.value});
  }
  return out;
}

std::string Mesh::prometheusText() const {
  return proxy::stats::renderPrometheusText(
      sim::telemetry::collectMeshMetrics(impl_->mesh->proxies()));
}

ServiceGraph Mesh::serviceGraph() const {
  sim::telemetry::GraphOptions graph_options;
  for (const auto& pod : impl_->pods) {
    if (pod.gateway) {
      graph_options.ingress_gateways.insert(pod.namespace_name + "/" + pod.workload);
    }
  }
  const sim::telemetry::Graph g =
      sim::telemetry::buildGraph(sim::telemetry::scrapeMesh(impl_->mesh->proxies()),
                                 impl_->mesh->loop().elapsed(), graph_options);
  ServiceGraph out;
  for (const auto& n : g.nodes) {
    ServiceGraph::Node node;
    node.id = n.id;
    node.namespace_name = n.namespace_name;
    node.ingress_gateway = n.is_ingress_gateway;
    switch (n.type) {
      case sim::telemetry::GraphNodeType::Workload:
        node.type = "workload";
        node.name = n.workload;
        break;
      case sim::telemetry::GraphNodeType::Service:
        node.type = "service";
        node.name = n.service;
        break;
      case sim::telemetry::GraphNodeType::Unknown:
        node.type = "unknown";
        node.name = "unknown";
        break;
    }
    out.nodes.push_back(std::move(node));
  }
  for (const auto& e : g.edges) {
    out.edges.push_back(ServiceGraph::Edge{e.source, e.target, e.requests, e.error_ratio});
  }
  out.dot = sim::telemetry::graphToDot(g);
  out.json = sim::telemetry::graphToJson(g);
  return out;
}

std::vector<AccessLogEntry> Mesh::accessLog() const {
  std::vector<AccessLogEntry> out;
  for (const auto& e : sim::telemetry::accessLogEntries(impl_->mesh->proxies())) {
    const proxy::stats::AccessLogEntry& x = *e.entry;
    AccessLogEntry entry;
    entry.namespace_name = e.namespace_name;
    entry.pod = e.pod;
    entry.line = proxy::stats::formatAccessLogLine(x);
    entry.method = x.method;
    entry.path = x.path;
    entry.authority = x.authority;
    entry.response_code = x.response_code;
    entry.response_flags = proxy::stats::responseFlagsToString(x.response_flags);
    entry.upstream_cluster = x.upstream_cluster;
    entry.upstream_host = x.upstream_host;
    entry.route_name = x.route_name;
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<PodInfo> Mesh::pods() const {
  return impl_->pods;
}

const std::vector<std::string>& Mesh::warnings() const {
  return impl_->mesh->warnings();
}

std::ostream& operator<<(std::ostream& os, const Mesh& mesh) {
  const auto pods = mesh.pods();
  const auto ms = std::chrono::duration<double, std::milli>(mesh.now()).count();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", ms);
  return os << "meshsim::Mesh (" << pods.size() << " pods, virtual time " << buf << " ms)";
}

}  // namespace meshsim
