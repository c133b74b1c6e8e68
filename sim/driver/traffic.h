#pragma once

// File: sim/driver/traffic.h
//
// The traffic driver: how a client sends requests into a simulated mesh. One layer for the
// scenario runner (`traffic:` streams), the embedding API (Mesh::send) and anything else that
// drives a mesh, so that they resolve senders and hosts, build requests, pace them and name
// failures the same way.
//
// Example:
//   auto from = driver::Sender::parse("deployment/sleep", "default").value();
//   auto tmpl = driver::RequestTemplate::create("GET", "http://hello/", {}, "").value();
//   auto target = driver::resolveTarget(mesh, from, tmpl.url()).value();
//   driver::Stream stream(mesh, target, tmpl, {.count = 100, .concurrency = 4},
//                         [](const driver::Completion& c) { ... });
//   stream.start();
//   mesh.loop().runUntilIdle();

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/core/status.h"
#include "proxy/http/message.h"
#include "proxy/upstream/transport.h"
#include "sim/mesh.h"

namespace meshsim::sim::driver {

// Who sends requests: an outside client through an ingress gateway, the app of one pod, or the
// apps of a Deployment's pods taking turns.
struct Sender {
  enum class Kind { Ingress, Pod, Deployment };
  Kind kind = Kind::Ingress;
  // Ingress: the gateway Service "namespace/name", "" for the default ingress gateway (the
  // LoadBalancer Service labelled istio=ingressgateway). Pod, Deployment: its name.
  std::string name;
  std::string namespace_name = "default";  // of the pod or Deployment

  // Parses a scenario's `from:`: "ingress", "ingress/NAMESPACE/SERVICE", "pod/NAME" or
  // "deployment/NAME" (a pod or Deployment in `namespace_name`). Fails on anything else.
  static StatusOr<Sender> parse(std::string_view from, std::string namespace_name);

  // "ingress", "ingress/istio-system/my-gateway", "pod default/sleep-0",
  // "deployment default/sleep".
  std::string describe() const;
};

// Where a sender's requests go: the address its client connects to, and the pods whose apps
// send (empty for an outside client).
struct Target {
  proxy::config::Address to;
  std::vector<const k8s::PodState*> pods;
};

// Which part of a send a resolution failure is about.
enum class TargetPart { From, Url };

// Resolves `from` and the host of `url` in `mesh` as it is now. An outside client connects to
// the gateway Service's external address on the URL's port; a pod resolves the host as its
// resolver would (Mesh::resolveHost(): a Service's ClusterIP, or a ServiceEntry host exported to
// its namespace). Fails (NotFound, InvalidArgument, FailedPrecondition) when the sender does not
// exist, is a gateway pod, or the host resolves to nothing; `*part` (when given) then names the
// part at fault.
StatusOr<Target> resolveTarget(const Mesh& mesh, const Sender& from, const Url& url,
                               TargetPart* part = nullptr);

// The request a sender sends, built once: method, URL (the Host header is the URL's host, with
// the port when the URL names one), headers (a "host" header replaces the Host), body (with a
// content-length unless a header gives one).
class RequestTemplate {
public:
  // Fails on a bad URL or an empty method.
  static StatusOr<RequestTemplate> create(
      std::string method, const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& headers, std::string body);

  const Url& url() const { return url_; }
  // The HTTP version the client speaks to its first hop (default HTTP/1.1; HTTP/2 is h2c with
  // prior knowledge for http:// URLs).
  void setProtocol(proxy::http::Protocol protocol) { request_.protocol = protocol; }
  // A fresh copy of the request, carrying `tag` (see proxy::http::Request::tag).
  proxy::http::RequestPtr make(uint64_t tag) const;

private:
  RequestTemplate() = default;

  Url url_;
  proxy::http::Request request_;
};

// "HTTP/1.1" or "HTTP/2" (also "HTTP/2.0" and "h2c"), as scenarios and the embedding API name the
// client's protocol.
StatusOr<proxy::http::Protocol> parseProtocol(std::string_view name);

// Why a request got no response, as reports and the embedding API name it: "refused" (nothing
// listened, or the connection was refused), "timeout", "overflow" (a connection pool or circuit
// breaker had no room) or "reset" (the peer reset or closed the connection first).
const char* errorName(proxy::ResetReason reason);

// How a stream paces its requests.
struct Pacing {
  int64_t count = 1;
  // Closed loop (rate 0): this many clients, each sending its next request when its last ended.
  int64_t concurrency = 1;
  // Open loop when > 0: request i leaves at start + i / rate, whatever is in flight.
  double rate = 0;
  // Virtual time, from when start() is called, of the first request.
  std::chrono::nanoseconds start{0};
};

// curl's default --max-redirs: how many redirects `followRedirects: true` follows.
inline constexpr int kDefaultMaxRedirects = 50;

// One redirect a request met on its way (a 301, 302, 303, 307 or 308 with a Location).
struct RedirectHop {
  int status = 0;
  std::string location;  // the Location header as the response gave it
  // Followed: the absolute URL of the next request. Not followed (the last hop): why, e.g.
  // "https: an in-process client does not speak TLS"; the hop's response is then the final one.
  std::string next_url;
  std::string not_followed;
};

// Where `location` (a Location header: absolute, scheme-relative, absolute-path or relative,
// RFC 3986 5.2) points from `base`; the fragment is dropped and dot segments removed, as curl
// does. Fails when it is not an http(s) URL reference.
StatusOr<Url> resolveLocation(const Url& base, std::string_view location);
// "http://host[:port]/path?query".
std::string urlText(const Url& url);

// One finished request of a stream.
struct Completion {
  uint64_t tag = 0;
  uint64_t index = 0;  // the request's number in its stream, from 0
  proxy::MonotonicTime sent_at{};
  proxy::http::ResponsePtr response;  // nullptr: no response, see `reset`
  proxy::ResetReason reset = proxy::ResetReason::None;
  // The redirects followed on the way to `response`, in order (Stream::followRedirects); the
  // last one has `not_followed` set when the client stopped at it.
  std::vector<RedirectHop> redirects;
};

// Sends the requests of one stream on the mesh's loop: request i carries tag `tags(i)` (so that
// what the apps receive can be tied back to it), goes from the target's pods in turn (or from
// outside), and its completion is handed to `done` on the loop. The stream, the mesh, the
// template and `tags` must outlive the loop's run. Callbacks never run inline in start().
class Stream {
public:
  using TagFunction = std::function<uint64_t(uint64_t index)>;
  using DoneFunction = std::function<void(Completion&)>;

  Stream(Mesh& mesh, Target target, const RequestTemplate& request, Pacing pacing, TagFunction tags,
         DoneFunction done);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Follows redirects as `curl -L --max-redirs max_hops` does, each from the same client: 301,
  // 302 and 303 turn a POST (303: any method but HEAD) into a GET without a body, 307 and 308
  // keep method and body; a relative Location keeps the host; another host is resolved again as
  // `from` resolves it (from outside: the same gateway Service, with the new Host). Not followed,
  // and reported in Completion::redirects: an https:// Location (the client has no TLS), a
  // Location that is no URL or whose host does not resolve, and a redirect beyond `max_hops`.
  // Call before start().
  void followRedirects(Sender from, int max_hops);

  // Posts the stream's first requests (all of them in open loop) on the loop.
  void start();
  uint64_t sent() const { return sent_; }
  uint64_t done() const { return done_; }

private:
  struct Exchange;
  void sendOne();
  // Sends one hop of a request that follows redirects.
  void send(std::shared_ptr<Exchange> exchange);
  void dispatch(const k8s::PodState* pod, proxy::config::Address to,
                proxy::http::RequestPtr request, proxy::ResponseCallback done);
  // Hands a finished request to `done` and, in closed loop, sends the next one.
  void complete(Completion& c);
  // The next request of a redirect chain, or false (with `hop.not_followed`) when the client
  // stops at `hop`.
  bool redirect(Exchange& exchange, RedirectHop& hop);

  Mesh& mesh_;
  Target target_;
  const RequestTemplate& request_;
  Pacing pacing_;
  TagFunction tags_;
  DoneFunction done_fn_;
  uint64_t sent_ = 0;
  uint64_t done_ = 0;
  Sender redirect_from_;
  int max_redirects_ = 0;  // 0: redirects are answers like any other
};

}  // namespace meshsim::sim::driver
