#include "sim/driver/traffic.h"

#include <algorithm>

namespace meshsim::sim::driver {

StatusOr<Sender> Sender::parse(std::string_view from, std::string namespace_name) {
  Sender s;
  s.namespace_name = std::move(namespace_name);
  if (from == "ingress") {
    return s;
  }
  if (from.starts_with("ingress/")) {
    s.name = std::string(from.substr(8));
    if (std::count(s.name.begin(), s.name.end(), '/') != 1 || s.name.front() == '/' ||
        s.name.back() == '/') {
      return invalidArgumentError("expected ingress or ingress/NAMESPACE/SERVICE, got \"" +
                                  std::string(from) + "\"");
    }
    return s;
  }
  if (from.starts_with("pod/") || from.starts_with("deployment/")) {
    s.kind = from.starts_with("pod/") ? Kind::Pod : Kind::Deployment;
    s.name = std::string(from.substr(from.find('/') + 1));
    if (s.name.empty()) {
      return invalidArgumentError("a pod or deployment name is missing in \"" + std::string(from) +
                                  "\"");
    }
    return s;
  }
  return invalidArgumentError(
      "expected ingress, ingress/NAMESPACE/SERVICE, pod/NAME or deployment/NAME, got \"" +
      std::string(from) + "\"");
}

std::string Sender::describe() const {
  switch (kind) {
    case Kind::Ingress:
      return name.empty() ? std::string("ingress") : "ingress/" + name;
    case Kind::Pod:
      return "pod " + namespace_name + "/" + name;
    case Kind::Deployment:
      return "deployment " + namespace_name + "/" + name;
  }
  return "?";
}

StatusOr<Target> resolveTarget(const Mesh& mesh, const Sender& from, const Url& url,
                               TargetPart* part) {
  TargetPart unused = TargetPart::From;
  TargetPart& at = part == nullptr ? unused : *part;
  at = TargetPart::From;
  Target t;
  if (from.kind == Sender::Kind::Ingress) {
    MESHSIM_ASSIGN_OR_RETURN(t.to, mesh.ingressAddress(from.name, url.port));
    return t;
  }
  const bool deployment = from.kind == Sender::Kind::Deployment;
  for (const auto& pod : mesh.world().pods()) {
    // A bare pod named like the Deployment is not one of its replicas.
    if (pod.namespace_name == from.namespace_name &&
        (deployment ? pod.workload == from.name && pod.name != from.name : pod.name == from.name)) {
      t.pods.push_back(&pod);
    }
  }
  if (t.pods.empty()) {
    return notFoundError(std::string("no ") + (deployment ? "deployment " : "pod ") +
                         from.namespace_name + "/" + from.name);
  }
  if (t.pods.front()->gateway) {
    return invalidArgumentError("traffic cannot start in a gateway pod (" + from.describe() +
                                "): send from ingress instead");
  }
  const std::optional<uint32_t> ip = mesh.resolveHost(url.host, from.namespace_name);
  if (!ip) {
    at = TargetPart::Url;
    return notFoundError("cannot resolve host \"" + url.host + "\" from namespace " +
                         from.namespace_name + ": no Service or ServiceEntry has that name");
  }
  t.to = proxy::config::Address{*ip, url.port};
  return t;
}

StatusOr<RequestTemplate> RequestTemplate::create(
    std::string method, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string body) {
  if (method.empty()) {
    return invalidArgumentError("request " + url + ": empty method");
  }
  RequestTemplate t;
  MESHSIM_ASSIGN_OR_RETURN(t.url_, parseUrl(url));
  proxy::http::Request& r = t.request_;
  r.method = std::move(method);
  r.scheme = t.url_.scheme;
  r.authority =
      t.url_.explicit_port ? t.url_.host + ":" + std::to_string(t.url_.port) : t.url_.host;
  r.path = t.url_.path;
  for (const auto& [k, v] : headers) {
    if (proxy::http::equalsIgnoreCase(k, "host")) {
      r.authority = v;
    } else {
      r.headers.add(k, v);
    }
  }
  r.body = std::move(body);
  if (!r.body.empty() && !r.headers.has("content-length")) {
    r.headers.set("content-length", std::to_string(r.body.size()));
  }
  return t;
}

proxy::http::RequestPtr RequestTemplate::make(uint64_t tag) const {
  auto r = std::make_unique<proxy::http::Request>(request_);
  r->tag = tag;
  return r;
}

StatusOr<proxy::http::Protocol> parseProtocol(std::string_view name) {
  if (name == "HTTP/1.1") {
    return proxy::http::Protocol::Http11;
  }
  if (name == "HTTP/2" || name == "HTTP/2.0" || name == "h2c") {
    return proxy::http::Protocol::Http2;
  }
  return invalidArgumentError("unknown protocol \"" + std::string(name) +
                              "\": expected HTTP/1.1 or HTTP/2 (h2c with prior knowledge)");
}

const char* errorName(proxy::ResetReason reason) {
  switch (reason) {
    case proxy::ResetReason::ConnectFailure:
      return "refused";
    case proxy::ResetReason::Timeout:
      return "timeout";
    case proxy::ResetReason::Overflow:
      return "overflow";
    case proxy::ResetReason::RemoteReset:
    case proxy::ResetReason::ConnectionTermination:
    case proxy::ResetReason::None:
      break;
  }
  return "reset";
}

Stream::Stream(Mesh& mesh, Target target, const RequestTemplate& request, Pacing pacing,
               TagFunction tags, DoneFunction done)
    : mesh_(mesh),
      target_(std::move(target)),
      request_(request),
      pacing_(pacing),
      tags_(std::move(tags)),
      done_fn_(std::move(done)) {}

void Stream::start() {
  auto& loop = mesh_.loop();
  if (pacing_.rate > 0) {
    for (int64_t i = 0; i < pacing_.count; ++i) {
      const auto at = pacing_.start + std::chrono::nanoseconds(static_cast<int64_t>(
                                          static_cast<double>(i) * 1e9 / pacing_.rate));
      loop.postAfter(at, [this] { sendOne(); });
    }
    return;
  }
  const int64_t clients = std::min(pacing_.concurrency, pacing_.count);
  for (int64_t i = 0; i < clients; ++i) {
    loop.postAfter(pacing_.start, [this] { sendOne(); });
  }
}

void Stream::sendOne() {
  if (static_cast<int64_t>(sent_) >= pacing_.count) {
    return;
  }
  const uint64_t index = sent_++;
  const uint64_t tag = tags_(index);
  const proxy::MonotonicTime sent_at = mesh_.loop().now();
  auto done = [this, tag, index, sent_at](proxy::http::ResponsePtr response,
                                          proxy::ResetReason reset) {
    ++done_;
    Completion c{tag, index, sent_at, std::move(response), reset};
    done_fn_(c);
    if (pacing_.rate <= 0) {
      sendOne();
    }
  };
  if (target_.pods.empty()) {
    mesh_.sendFromOutside(target_.to, request_.make(tag), std::move(done));
  } else {
    mesh_.sendFromPod(*target_.pods[index % target_.pods.size()], target_.to, request_.make(tag),
                      std::move(done));
  }
}

}  // namespace meshsim::sim::driver
