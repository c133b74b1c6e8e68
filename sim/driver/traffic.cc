#include "sim/driver/traffic.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// One request of a stream and, when it is redirected, the requests that follow it.
struct Stream::Exchange {
  uint64_t tag = 0;
  uint64_t index = 0;
  proxy::MonotonicTime sent_at{};
  const k8s::PodState* pod = nullptr;  // the sending pod; nullptr from outside
  proxy::config::Address to;
  Url url;
  proxy::http::Request request;  // what the current hop sends (kept only to follow redirects)
  std::vector<RedirectHop> redirects;
};

void Stream::followRedirects(Sender from, int max_hops) {
  redirect_from_ = std::move(from);
  max_redirects_ = max_hops;
}

void Stream::sendOne() {
  if (static_cast<int64_t>(sent_) >= pacing_.count) {
    return;
  }
  const uint64_t index = sent_++;
  const uint64_t tag = tags_(index);
  const proxy::MonotonicTime sent_at = mesh_.loop().now();
  const k8s::PodState* pod =
      target_.pods.empty() ? nullptr : target_.pods[index % target_.pods.size()];
  if (max_redirects_ > 0) {
    auto exchange = std::make_shared<Exchange>();
    exchange->index = index;
    exchange->tag = tag;
    exchange->sent_at = sent_at;
    exchange->pod = pod;
    exchange->to = target_.to;
    exchange->url = request_.url();
    exchange->request = *request_.make(tag);
    send(std::move(exchange));
    return;
  }
  // Without redirects to follow, nothing is kept per request beyond the callback.
  dispatch(
      pod, target_.to, request_.make(tag),
      [this, tag, index, sent_at](proxy::http::ResponsePtr response, proxy::ResetReason reset) {
        Completion c{tag, index, sent_at, std::move(response), reset, {}};
        complete(c);
      });
}

void Stream::dispatch(const k8s::PodState* pod, proxy::config::Address to,
                      proxy::http::RequestPtr request, proxy::ResponseCallback done) {
  if (pod == nullptr) {
    mesh_.sendFromOutside(to, std::move(request), std::move(done));
  } else {
    mesh_.sendFromPod(*pod, to, std::move(request), std::move(done));
  }
}

void Stream::complete(Completion& c) {
  ++done_;
  done_fn_(c);
  if (pacing_.rate <= 0) {
    sendOne();
  }
}

void Stream::send(std::shared_ptr<Exchange> exchange) {
  auto request = std::make_unique<proxy::http::Request>(exchange->request);
  const proxy::config::Address to = exchange->to;
  const k8s::PodState* pod = exchange->pod;
  dispatch(
      pod, to, std::move(request),
      [this, exchange = std::move(exchange)](proxy::http::ResponsePtr response,
                                             proxy::ResetReason reset) mutable {
        if (response != nullptr) {
          const int status = response->status;
          const std::string* location = response->headers.get("location");
          if ((status == 301 || status == 302 || status == 303 || status == 307 || status == 308) &&
              location != nullptr) {
            RedirectHop hop{status, *location, "", ""};
            const bool follow = redirect(*exchange, hop);
            exchange->redirects.push_back(std::move(hop));
            if (follow) {
              send(std::move(exchange));
              return;
            }
          }
        }
        Completion c{exchange->tag,       exchange->index, exchange->sent_at,
                     std::move(response), reset,           std::move(exchange->redirects)};
        complete(c);
      });
}

bool Stream::redirect(Exchange& exchange, RedirectHop& hop) {
  if (static_cast<int>(exchange.redirects.size()) >= max_redirects_) {
    hop.not_followed = "more than " + std::to_string(max_redirects_) +
                       " redirects (curl: maximum redirects followed)";
    return false;
  }
  auto next = resolveLocation(exchange.url, hop.location);
  if (!next.ok()) {
    hop.not_followed = std::string(next.status().message());
    return false;
  }
  if (next->scheme != "http") {
    hop.not_followed = next->scheme + ": an in-process client does not speak TLS";
    return false;
  }
  auto target = resolveTarget(mesh_, redirect_from_, *next);
  if (!target.ok()) {
    hop.not_followed = std::string(target.status().message());
    return false;
  }
  hop.next_url = urlText(*next);
  proxy::http::Request& r = exchange.request;
  // curl -L: 303 makes every method but HEAD a GET; 301 and 302 make a POST a GET; 307 and 308
  // resend the request as it was.
  const bool to_get = (hop.status == 303 && r.method != "HEAD") ||
                      ((hop.status == 301 || hop.status == 302) && r.method == "POST");
  if (to_get) {
    r.method = "GET";
    r.body.clear();
    r.headers.remove("content-length");
  }
  const bool same_host = next->host == exchange.url.host && next->port == exchange.url.port;
  if (!same_host) {
    // A custom Host goes to the original host only (curl); a new host gets its own.
    r.authority = next->explicit_port ? next->host + ":" + std::to_string(next->port) : next->host;
  }
  r.scheme = next->scheme;
  r.path = next->path;
  exchange.url = *next;
  exchange.to = target->to;
  return true;
}

namespace {

// RFC 3986 5.2.4.
std::string removeDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = path.empty() || path.front() != '/' ? 0 : 1;
  bool trailing = false;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const std::string_view seg = path.substr(start, end - start);
    trailing = end == path.size() && (seg == "." || seg == "..");
    if (seg == "..") {
      if (!out.empty()) {
        out.pop_back();
      }
    } else if (seg != ".") {
      out.push_back(seg);
    }
    start = end + 1;
  }
  std::string result;
  for (const auto seg : out) {
    result += "/" + std::string(seg);
  }
  if (trailing || result.empty()) {
    result += "/";
  }
  return result;
}

}  // namespace

StatusOr<Url> resolveLocation(const Url& base, std::string_view location) {
  location = location.substr(0, location.find('#'));
  const std::string where = "Location \"" + std::string(location) + "\"";
  const size_t scheme_end = location.find("://");
  if (scheme_end != std::string_view::npos &&
      location.find_first_of("/?") > scheme_end) {  // absolute
    auto url = parseUrl(std::string(location));
    if (!url.ok()) {
      return invalidArgumentError(where +
                                  " is not an http(s) URL: " + std::string(url.status().message()));
    }
    return url;
  }
  if (location.starts_with("//")) {
    return resolveLocation(base, base.scheme + ":" + std::string(location));
  }
  Url out = base;
  std::string_view base_path = base.path;
  base_path = base_path.substr(0, base_path.find('?'));
  if (location.empty()) {
    return out;
  }
  std::string_view path = location.substr(0, location.find('?'));
  const std::string_view query =
      location.find('?') == std::string_view::npos ? "" : location.substr(location.find('?'));
  std::string merged;
  if (path.empty()) {
    merged = std::string(base_path);  // "?q": the base path with a new query
  } else if (path.front() == '/') {
    merged = removeDotSegments(path);
  } else {
    const size_t slash = base_path.rfind('/');
    merged = removeDotSegments(
        std::string(base_path.substr(0, slash == std::string_view::npos ? 0 : slash + 1)) +
        std::string(path));
  }
  out.path = merged + std::string(query);
  return out;
}

std::string urlText(const Url& url) {
  const bool default_port =
      (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443);
  return url.scheme + "://" + url.host +
         (url.explicit_port && !default_port ? ":" + std::to_string(url.port) : "") + url.path;
}

}  // namespace meshsim::sim::driver
