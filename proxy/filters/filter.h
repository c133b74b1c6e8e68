#pragma once

// File: proxy/filters/filter.h
//
// The HTTP filter interface of the proxy, after Envoy's StreamDecoderFilter/StreamEncoderFilter
// (envoy/http/filter.h), trimmed to what a simulated request needs: one decodeHeaders() call
// per filter on the way in, which continues, stops (to be resumed later) or stops with a local
// reply; one encodeHeaders() call per filter on the way out, in reverse order; and
// onStreamReset() when the client goes away. The connection manager (proxy/connection_manager.h)
// drives a FilterChain (filter_chain.h) over every request; the filters see the stream through
// StreamCallbacks.
//
// Filters are shared by every request of a proxy and keep no per-request state of their own:
// what one request needs lives in its stream (StreamInfo, the stream's wake-up timer, the
// router's UpstreamRequest), so a request costs no allocation per filter.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/core/unique_function.h"
#include "proxy/event/dispatcher.h"
#include "proxy/http/message.h"
#include "proxy/router/route_table.h"
#include "proxy/stats/access_log.h"
#include "proxy/stats/istio_stats.h"
#include "proxy/stats/response_flags.h"
#include "proxy/upstream/cluster_manager.h"
#include "proxy/upstream/transport.h"

namespace meshsim::proxy {

namespace router {
class UpstreamRequest;
}  // namespace router

namespace filters {

class Authorizer;

// What a proxy lends the streams of its listeners. The identity fields follow the proxy's
// current configuration (an xDS push may change the address, never the workload).
struct ProxyContext {
  Dispatcher& dispatcher;
  UpstreamTransport& transport;
  RandomGenerator& random;
  upstream::ClusterManager& clusters;
  stats::IstioStats& stats;
  stats::AccessLog& access_log;
  uint32_t ip = 0;  // the proxy's own address: the source of its upstream connections
  config::WorkloadInfoConstSharedPtr workload;
  // What the authorization slot asks (see authz_filter.h); null: everything is allowed.
  std::shared_ptr<const Authorizer> authorizer;
  // Requests per coverage key (the coverage_key of config::VirtualHost, Route and Cluster),
  // indexed by key; index 0 (no key) stays 0. Counts survive pushes.
  std::vector<uint64_t> coverage_hits{};

  // One request for `key` (nothing for 0); the vector grows only when a new key shows up.
  void countCoverage(uint32_t key) {
    if (key == 0) {
      return;
    }
    if (key >= coverage_hits.size()) {
      coverage_hits.resize(key + 1);
    }
    ++coverage_hits[key];
  }
};

// What the connection manager and the filters know about one request (Envoy's StreamInfo plus
// the route it resolved). Filled in as the request goes through the chain; read by the stats
// recorder and the access log when it ends.
struct StreamInfo {
  ConnectionInfo downstream;
  MonotonicTime start{};
  // Whether the listener is a client-side one (gateway, sidecar outbound): it decides the
  // reporter of the Istio metrics and whose identity their peer labels describe.
  bool outbound = false;
  // The route table the request matched: keeps `route` and `weighted` alive through pushes.
  router::RouteTableConstSharedPtr table;
  // Set when the virtual host requires TLS and the request is plain HTTP: the router answers
  // with a redirect to https (Envoy's require_tls); `route` is null then.
  bool tls_redirect = false;
  // The matched route (null: no route) and the cluster chosen for it (a weighted pick, made
  // once per request when the route is resolved, as Envoy does).
  // The route's consistent hash (its hash policies on the request as the router saw it), and
  // the cookie to set on the upstream response when a cookie policy generated one.
  std::optional<uint64_t> hash;
  std::string set_cookie;
  const config::Route* route = nullptr;
  const config::WeightedCluster* weighted = nullptr;
  // The proxy's state of the chosen cluster (null: no such cluster, 503 NC at the router).
  // Held, not borrowed: a push that removes the cluster leaves it to the requests using it.
  upstream::ClusterStateSharedPtr cluster;
  // The destination service labels: the cluster's service, or a passthrough host's.
  config::ServiceInfoConstSharedPtr service;
  // The endpoint of the last upstream attempt, for client-side metrics.
  config::WorkloadInfoConstSharedPtr upstream_workload;
  bool upstream_mtls = false;
  // The request's Origin when the route's CORS policy allows it (set by the CORS filter).
  std::optional<std::string> cors_origin;
  // Downstream wire bytes of the request as received.
  uint64_t request_bytes = 0;
  // Response flags collected before the answer (DI from a fault delay, ...).
  stats::ResponseFlags flags = 0;
  // Set only while the access log is enabled; completed and logged when the stream ends.
  std::unique_ptr<stats::AccessLogEntry> log;
};

enum class FilterStatus {
  Continue,       // the next filter sees the request now
  StopIteration,  // the filter answered (sendLocalReply) or will resume the chain later
};

// The stream as a filter sees it; implemented by the connection manager.
class StreamCallbacks {
public:
  virtual ~StreamCallbacks() = default;
  virtual http::Request& request() = 0;
  virtual StreamInfo& streamInfo() = 0;
  virtual ProxyContext& context() = 0;
  // Ends decoding with `response`: no later filter and no router sees the request. The response
  // goes through every filter's encodeHeaders() and is recorded with `flags` (plus those in
  // streamInfo().flags). The stream is finished when this returns; the caller must return
  // StopIteration (or, from a callback, do nothing more with the stream).
  virtual void sendLocalReply(http::ResponsePtr response, stats::ResponseFlags flags) = 0;
  // The router's answer from upstream; the same path as sendLocalReply().
  virtual void encodeHeaders(http::ResponsePtr response, stats::ResponseFlags flags) = 0;
  // Resumes the chain at the filter after the one that stopped it.
  virtual void continueDecoding() = 0;
  // Calls `wake_up` after `delay` unless the stream has ended by then (one pending wake-up per
  // stream). A filter that stops uses it to resume later.
  virtual void wakeUpAfter(Duration delay, UniqueFunction<void()> wake_up) = 0;
  // The service label values of a request to `host` through a passthrough (ORIGINAL_DST)
  // cluster: the host and Istio's "PassthroughCluster". Interned per listener (metric series are
  // keyed by the identity of the object).
  virtual config::ServiceInfoConstSharedPtr passthroughService(std::string_view host) = 0;
  // The router's per-request state (attempts, retries, timeouts), kept in the stream.
  virtual router::UpstreamRequest& upstreamRequest() = 0;
  // A reference that keeps the stream (and everything reached through these callbacks) alive,
  // for callbacks that may outlive the current event.
  virtual std::shared_ptr<StreamCallbacks> keepAlive() = 0;
};

class HttpFilter {
public:
  virtual ~HttpFilter() = default;
  // The filter's name in Envoy's terms ("envoy.filters.http.fault"), for docs and tests.
  virtual std::string_view name() const = 0;
  // Called once per request, in chain order, until a filter stops.
  virtual FilterStatus decodeHeaders(StreamCallbacks& stream) = 0;
  // Called once per response (upstream or local reply), in reverse chain order, before the
  // connection manager records and sends it.
  virtual void encodeHeaders(StreamCallbacks& stream, http::Response& response) {
    (void)stream;
    (void)response;
  }
  // The client went away before the answer; the filter drops what it started for the stream.
  virtual void onStreamReset(StreamCallbacks& stream) { (void)stream; }
};
using HttpFilterSharedPtr = std::shared_ptr<HttpFilter>;

// An Envoy local reply: `status`, and when `body` is non-empty, the body as text/plain.
http::ResponsePtr localResponse(int status, std::string_view body);

}  // namespace filters
}  // namespace meshsim::proxy
