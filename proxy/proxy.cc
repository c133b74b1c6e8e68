#include "proxy/proxy.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <span>

#include <boost/container/small_vector.hpp>

#include "proxy/http/codec.h"
#include "proxy/router/retry_state.h"
#include "proxy/router/route_actions.h"

namespace meshsim::proxy {

namespace {

using stats::ResponseFlag;
using stats::ResponseFlags;

// Envoy's local-reply bodies (see the reference, "Local replies and their codes").
constexpr std::string_view kNoHealthyUpstream = "no healthy upstream";
constexpr std::string_view kConnectFailure =
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
constexpr std::string_view kRemoteReset =
    "upstream connect error or disconnect/reset before headers. reset reason: remote reset";
constexpr std::string_view kConnectionTermination =
    "upstream connect error or disconnect/reset before headers. reset reason: connection "
    "termination";
constexpr std::string_view kTimeout = "upstream request timeout";
constexpr std::string_view kFaultAbort = "fault filter abort";
constexpr std::string_view kOverflow =
    "upstream connect error or disconnect/reset before headers. reset reason: overflow";

uint64_t wholeMillis(Duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

const char* toString(ResetReason r) {
  switch (r) {
    case ResetReason::None:
      return "none";
    case ResetReason::ConnectFailure:
      return "connection failure";
    case ResetReason::RemoteReset:
      return "remote reset";
    case ResetReason::ConnectionTermination:
      return "connection termination";
    case ResetReason::Timeout:
      return "timeout";
    case ResetReason::Overflow:
      return "overflow";
  }
  return "unknown";
}

std::string generateRequestId(RandomGenerator& random) {
  // Two hex digits per byte from one table look-up (every proxied request makes an id).
  static constexpr auto kHexPairs = [] {
    std::array<char, 512> t{};
    constexpr char kHex[] = "0123456789abcdef";
    for (int b = 0; b < 256; ++b) {
      t[2 * b] = kHex[b >> 4];
      t[2 * b + 1] = kHex[b & 0xf];
    }
    return t;
  }();
  uint64_t hi = random.random();
  uint64_t lo = random.random();
  hi = (hi & ~(uint64_t{0xf0} << 8)) | (uint64_t{0x40} << 8);    // byte 6: version 4
  lo = (lo & ~(uint64_t{0xc0} << 56)) | (uint64_t{0x80} << 56);  // byte 8: RFC 4122 variant
  // Where each byte's two digits go in 8-4-4-4-12; the dashes are already there.
  static constexpr std::array<uint8_t, 16> kAt = {0,  2,  4,  6,  9,  11, 14, 16,
                                                  19, 21, 24, 26, 28, 30, 32, 34};
  std::string out(36, '-');
  for (int i = 0; i < 8; ++i) {
    std::memcpy(out.data() + kAt[i], &kHexPairs[2 * ((hi >> (56 - 8 * i)) & 0xff)], 2);
    std::memcpy(out.data() + kAt[8 + i], &kHexPairs[2 * ((lo >> (56 - 8 * i)) & 0xff)], 2);
  }
  return out;
}

// One listener: the HTTP connection manager plus the router, for one port.
class Proxy::ListenerImpl : public RequestHandler {
public:
  // `owner` keeps `listener` alive (the snapshot or shared configuration it belongs to).
  ListenerImpl(Proxy& proxy, const config::Listener& listener,
               router::RouteTableConstSharedPtr routes, std::shared_ptr<const void> owner)
      : proxy_(proxy), listener_(&listener), owner_(std::move(owner)), routes_(std::move(routes)) {}
  ListenerImpl(const ListenerImpl&) = delete;
  ListenerImpl& operator=(const ListenerImpl&) = delete;

  // Requests still upstream go with the listener (their callbacks find them gone).
  ~ListenerImpl() override {
    while (active_ != nullptr) {
      UpstreamRequest* r = active_;
      active_ = r->next_;
      r->prev_ = r->next_ = nullptr;
      std::shared_ptr<UpstreamRequest> last = std::move(r->self_);
    }
  }

  // A new configuration for this port (an LDS/RDS push). Requests in flight keep the route
  // table they matched (Exchange::table) alive themselves.
  void reconfigure(const config::Listener& listener, router::RouteTableConstSharedPtr routes,
                   std::shared_ptr<const void> owner) {
    listener_ = &listener;
    owner_ = std::move(owner);
    routes_ = std::move(routes);
  }

  // Whether a request is upstream through this listener.
  bool busy() const { return active_ != nullptr; }

  // proxy::RequestHandler
  void onRequest(const ConnectionInfo& connection, http::RequestPtr request,
                 ResponseCallback done) override {
    if (connection.cancel != nullptr && connection.cancel->cancelled()) {
      // The client gave up before the request arrived: nothing reaches the router.
      done(nullptr, ResetReason::ConnectionTermination);
      return;
    }
    Exchange x;
    x.table = routes_;
    x.downstream = connection;
    x.start = proxy_.dispatcher_.now();
    x.done = std::move(done);
    x.request_bytes = stats::wireSize(*request);  // as received, before our header changes
    // The edge limits of the HTTP codec (`meshsim serve` parses bytes under the same ones), for
    // a request handed over as an object: an oversized header section never reaches the app.
    if (const int status = http::limitStatus(*request); status != 0) {
      localReply(std::move(x), status, "", ResponseFlags{});
      return;
    }
    const size_t fragment = request->path.find('#');
    if (fragment != std::string::npos && !listener_->reject_path_with_fragment) {
      request->path.resize(fragment);  // before normalisation, as Envoy's maybeNormalizePath
    }
    prepareRequest(connection, *request);
    if (proxy_.access_log_.enabled()) {
      x.log = std::make_unique<stats::AccessLogEntry>(
          stats::beginAccessLogEntry(x.start, *request, config::toString(connection.destination),
                                     config::toString(connection.source)));
    }
    if (fragment != std::string::npos && listener_->reject_path_with_fragment) {
      localReply(std::move(x), 400, "", 0);  // the path normalisation failed
      return;
    }

    const config::VirtualHost* vhost = x.table->findVirtualHost(request->authority);
    if (vhost == nullptr) {
      localReply(std::move(x), 404, "", ResponseFlags{} | ResponseFlag::NoRouteFound);
      return;
    }
    if (vhost->require_tls && request->scheme != "https") {
      auto r = std::make_unique<http::Response>();
      r->status = 301;
      r->headers.set("location", router::httpsRedirectLocation(*request));
      finish(std::move(x), std::move(r), 0);
      return;
    }
    const config::Route* route = router::RouteTable::findRoute(*vhost, *request);
    if (route == nullptr) {
      localReply(std::move(x), 404, "", ResponseFlags{} | ResponseFlag::NoRouteFound);
      return;
    }
    if (x.log != nullptr) {
      x.log->route_name = route->name;
    }
    x.route = route;
    if (route->cors) {
      x.cors_origin = router::allowedOrigin(*route->cors, *request);
      if (router::isCorsPreflight(*request) &&
          (x.cors_origin || !route->cors->forward_not_matching_preflights)) {
        // Answered by the CORS filter, never forwarded: with the CORS headers for an allowed
        // origin, as a bare 200 for another one when such preflights are not forwarded.
        auto r = x.cors_origin ? router::corsPreflightResponse(*route->cors, *x.cors_origin)
                               : std::make_unique<http::Response>();
        x.cors_origin.reset();
        finish(std::move(x), std::move(r), 0);
        return;
      }
    }
    if (route->kind == config::Route::Kind::Redirect) {
      auto r = std::make_unique<http::Response>();
      r->status = route->redirect.response_code;
      r->headers.set("location",
                     router::redirectLocation(route->redirect, *request, route->match.prefix));
      finish(std::move(x), std::move(r), 0);
      return;
    }
    if (route->kind == config::Route::Kind::DirectResponse) {
      auto r = std::make_unique<http::Response>();
      r->status = route->direct_response.status;
      r->body = route->direct_response.body;
      if (!r->body.empty()) {
        r->headers.set("content-type", "text/plain");
      }
      finish(std::move(x), std::move(r), 0);
      return;
    }

    x.weighted = pickCluster(route->action);
    if (x.weighted != nullptr) {
      router::applyHeaderOperations(x.weighted->request_headers, request->headers);
      if (!x.weighted->host_rewrite.empty()) {
        request->authority = x.weighted->host_rewrite;
      }
    }
    router::applyHeaderOperations(route->request_headers, request->headers);
    router::applyRewrites(*route, *request);
    upstream::ClusterStateSharedPtr cluster =
        x.weighted == nullptr ? nullptr : proxy_.clusters_.findShared(x.weighted->name);
    if (cluster == nullptr) {
      localReply(std::move(x), 503, "", ResponseFlags{} | ResponseFlag::NoClusterFound);
      return;
    }
    for (const auto& mirror : route->action.mirrors) {
      if (mirror.fraction >= 1.0 || proxy_.random_.unit() < mirror.fraction) {
        sendMirror(mirror, *request);
      }
    }
    x.service = cluster->config().service;
    if (x.log != nullptr) {
      x.log->upstream_cluster = cluster->config().name;
    }
    if (cluster->config().original_destination && x.service == nullptr) {
      x.service = passthroughService(*request);
    }
    CancellationPtr cancel = x.downstream.cancel;
    auto upstream = std::make_shared<UpstreamRequest>(*this, std::move(x), std::move(request),
                                                      std::move(cluster), *route);
    link(upstream);
    if (cancel != nullptr) {
      // The client may go away while the request is upstream (Envoy: downstream reset).
      cancel->setOnCancel([weak = std::weak_ptr<UpstreamRequest>(upstream)] {
        if (auto u = weak.lock()) {
          u->onDownstreamCancelled();
        }
      });
    }
    upstream->start();
  }

private:
  // What the listener remembers about one downstream request while it is upstream.
  struct Exchange {
    // The route table the request matched: keeps `route` and `weighted` alive through pushes.
    router::RouteTableConstSharedPtr table;
    ConnectionInfo downstream;
    MonotonicTime start;
    ResponseCallback done;
    config::ServiceInfoConstSharedPtr service;
    config::WorkloadInfoConstSharedPtr upstream_workload;
    bool upstream_mtls = false;
    // The matched route and chosen cluster, for response header operations.
    const config::Route* route = nullptr;
    const config::WeightedCluster* weighted = nullptr;
    // The request's Origin when the route's CORS policy allows it.
    std::optional<std::string> cors_origin;
    uint64_t request_bytes = 0;
    uint64_t attempts = 0;  // upstream attempts made
    // Set only while the access log is enabled; completed and logged in finish().
    std::unique_ptr<stats::AccessLogEntry> log;
  };

  // One downstream request from the fault filter on: fault delay and abort, then the router's
  // attempts with retries, backoff, per-try and route timeouts, circuit breakers and outlier
  // detection. Owned by the listener's active set until it answers; in-flight attempts keep it
  // alive until their callbacks have run.
  class UpstreamRequest : public std::enable_shared_from_this<UpstreamRequest> {
  public:
    UpstreamRequest(ListenerImpl& listener, Exchange x, http::RequestPtr request,
                    upstream::ClusterStateSharedPtr cluster, const config::Route& route)
        : listener_(listener),
          proxy_(listener.proxy_),
          x_(std::move(x)),
          request_(std::move(request)),
          cluster_(std::move(cluster)),
          route_(route),
          policy_(route.action.retry_policy.value_or(config::RetryPolicy{})) {}

    // The client went away: the attempt in flight is reset and the request is recorded as
    // response code 0 with DC, as Envoy does; nothing is answered.
    void onDownstreamCancelled() {
      if (done_) {
        return;
      }
      cancelAttempt();
      cleanUp();
      listener_.finishCancelled(std::move(x_), flags_);
      listener_.release(this);
    }

    void start() {
      if (route_.fault) {
        const config::FaultPolicy& f = *route_.fault;
        // Delay and abort are rolled independently; a delayed request is aborted afterwards.
        const bool delay = f.delay.count() > 0 && roll(f.delay_fraction);
        abort_ = f.abort_status != 0 && roll(f.abort_fraction);
        if (delay) {
          flags_ = flags_ | ResponseFlag::DelayInjected;
          timer_ = proxy_.dispatcher_.createTimer([this] { afterFault(); });
          timer_->enable(f.delay);
          return;
        }
      }
      afterFault();
    }

  private:
    bool roll(double fraction) { return fraction >= 1.0 || proxy_.random_.unit() < fraction; }

    void afterFault() {
      if (abort_) {
        // A local reply of the fault filter: no upstream request, so nothing to retry.
        answer(localResponse(route_.fault->abort_status, kFaultAbort),
               flags_ | ResponseFlag::FaultInjected);
        return;
      }
      // The route timeout starts when the router has the request, after any fault delay.
      if (route_.action.timeout.count() > 0) {
        route_timer_ = proxy_.dispatcher_.createTimer([this] { onRouteTimeout(); });
        route_timer_->enable(route_.action.timeout);
      }
      startAttempt();
    }

    void startAttempt() {
      ++attempt_;
      const uint64_t attempt = attempt_;
      config::Endpoint original_destination;
      const config::Endpoint* endpoint = &original_destination;
      int index = -1;
      if (cluster_->config().original_destination) {
        // ORIGINAL_DST: to wherever the client connected, no load balancing.
        original_destination.address = x_.downstream.destination;
        for (const auto& e : cluster_->config().endpoints) {
          if (e.address == original_destination.address) {
            original_destination = e;
            break;
          }
        }
      } else {
        // tried_ is empty unless the policy avoids previous hosts.
        index = cluster_->pickEndpoint(std::span<const int>(tried_.data(), tried_.size()),
                                       policy_.host_selection_max_attempts);
        if (index < 0) {
          answer(localResponse(503, kNoHealthyUpstream), flags_ | ResponseFlag::NoHealthyUpstream);
          return;
        }
        endpoint = &cluster_->endpoint(index);
        if (policy_.avoid_previous_hosts) {
          tried_.push_back(index);  // only the previous-hosts predicate looks at them
        }
      }
      const bool admitted = cluster_->admit(
          [self = shared_from_this(), attempt, index, endpoint = *endpoint]() mutable {
            self->send(attempt, index, endpoint);
          });
      if (!admitted) {
        // Circuit breaker overflow: never retried.
        auto r = localResponse(503, kOverflow);
        r->headers.set("x-envoy-overloaded", "true");
        answer(std::move(r), flags_ | ResponseFlag::UpstreamOverflow);
      }
    }

    // Runs when the circuit breaker grants a connection (now, or when one frees up).
    void send(uint64_t attempt, int index, const config::Endpoint& endpoint) {
      if (done_ || attempt != attempt_) {
        cluster_->release();  // the request was answered while this attempt waited
        return;
      }
      if (listener_.isOutbound()) {
        // include_request_attempt_count is set on the gateway's and sidecars' outbound virtual
        // hosts; an inbound sidecar passes the client proxy's count through.
        request_->headers.setOwned("x-envoy-attempt-count", std::to_string(attempt));
        x_.upstream_workload = endpoint.workload;
        x_.upstream_mtls = endpoint.mtls;
      }
      if (x_.log != nullptr) {
        x_.log->upstream_host = config::toString(endpoint.address);
        x_.log->upstream_local_address = config::ipToString(proxy_.snapshot_->config.ip) + ":0";
      }
      if (policy_.per_try_timeout.count() > 0) {
        if (try_timer_ == nullptr) {
          try_timer_ = proxy_.dispatcher_.createTimer([this] { onPerTryTimeout(); });
        }
        try_timer_->enable(policy_.per_try_timeout);
      }
      if (index >= 0) {
        cluster_->onRequestStart(index);
      }
      sent_ = proxy_.dispatcher_.now();
      // Only an attempt that may be given up on carries a Cancellation (no allocation otherwise):
      // a route or per-try timeout, or a client that may itself go away.
      const bool cancellable = route_.action.timeout.count() > 0 ||
                               policy_.per_try_timeout.count() > 0 ||
                               x_.downstream.cancel != nullptr;
      attempt_cancel_ = cancellable ? std::make_shared<Cancellation>() : nullptr;
      ConnectionInfo from{config::Address{proxy_.snapshot_->config.ip, 0},
                          endpoint.address,
                          proxy_.snapshot_->config.workload,
                          endpoint.mtls,
                          attempt_cancel_,
                          cluster_->config().connect_timeout};
      // The transport copies (or serialises) the request; request_ stays for the next attempt.
      proxy_.transport_.sendCopy(from, endpoint.address, *request_,
                                 [self = shared_from_this(), attempt, index](
                                     http::ResponsePtr response, ResetReason reset) mutable {
                                   self->onAttemptDone(attempt, index, std::move(response), reset);
                                 });
    }

    void onAttemptDone(uint64_t attempt, int index, http::ResponsePtr response, ResetReason reset) {
      cluster_->release();
      if (index >= 0) {
        cluster_->onRequestEnd(index);
        cluster_->recordOutcome(index, response == nullptr ? 0 : response->status);
      }
      if (done_ || attempt != attempt_ || attempt_timed_out_) {
        return;  // answered already (route timeout), or this attempt's per-try timeout fired
      }
      attempt_cancel_.reset();  // finished: nothing left to cancel
      if (try_timer_ != nullptr) {
        try_timer_->disable();
      }
      if (response != nullptr) {
        response->headers.setOwned("x-envoy-upstream-service-time",
                                   std::to_string(wholeMillis(proxy_.dispatcher_.now() - sent_)));
        const bool retriable = router::retriableResponse(policy_, *response);
        if (retriable && retry()) {
          return;
        }
        answer(std::move(response),
               flags_ | (retriable && policy_.num_retries > 0 ? kRetryLimit : 0));
        return;
      }
      onReset(reset);
    }

    void onPerTryTimeout() {
      attempt_timed_out_ = true;  // Envoy resets the attempt; its late answer is ignored
      cancelAttempt();
      onReset(ResetReason::Timeout);
    }

    // Resets the attempt in flight, if any: the upstream sees its client go away.
    void cancelAttempt() {
      if (attempt_cancel_ != nullptr) {
        CancellationPtr c = std::move(attempt_cancel_);
        c->cancel();
      }
    }

    void onReset(ResetReason reset) {
      const bool retriable = router::retriableReset(policy_, reset);
      if (retriable && retry()) {
        return;
      }
      const ResponseFlags exhausted = retriable && policy_.num_retries > 0 ? kRetryLimit : 0;
      switch (reset) {
        case ResetReason::Timeout:
          answer(localResponse(504, kTimeout),
                 flags_ | exhausted | ResponseFlag::UpstreamRequestTimeout);
          return;
        case ResetReason::Overflow: {
          auto r = localResponse(503, kOverflow);
          r->headers.set("x-envoy-overloaded", "true");
          answer(std::move(r), flags_ | ResponseFlag::UpstreamOverflow);
          return;
        }
        case ResetReason::RemoteReset:
          answer(localResponse(503, kRemoteReset),
                 flags_ | exhausted | ResponseFlag::UpstreamRemoteReset);
          return;
        case ResetReason::ConnectionTermination:
          answer(localResponse(503, kConnectionTermination),
                 flags_ | exhausted | ResponseFlag::UpstreamConnectionTermination);
          return;
        case ResetReason::ConnectFailure:
        case ResetReason::None:
          answer(localResponse(503, kConnectFailure),
                 flags_ | exhausted | ResponseFlag::UpstreamConnectionFailure);
          return;
      }
    }

    // Schedules the next attempt after a jittered backoff. False when no retry is left or the
    // cluster's max_retries breaker is full (then UO joins the final flags).
    bool retry() {
      if (in_retry_) {
        cluster_->endRetry();  // the retry that just ended no longer counts against max_retries
        in_retry_ = false;
      }
      if (retries_ >= policy_.num_retries) {
        return false;
      }
      if (!cluster_->tryStartRetry()) {
        flags_ = flags_ | ResponseFlag::UpstreamOverflow;
        return false;
      }
      in_retry_ = true;
      ++retries_;
      attempt_timed_out_ = false;
      if (backoff_timer_ == nullptr) {
        backoff_timer_ = proxy_.dispatcher_.createTimer([this] { startAttempt(); });
      }
      backoff_timer_->enable(router::backoff(policy_, retries_, proxy_.random_));
      return true;
    }

    void onRouteTimeout() {
      // The global timeout is never retried; the attempt in flight is reset.
      cancelAttempt();
      answer(localResponse(504, kTimeout), flags_ | ResponseFlag::UpstreamRequestTimeout);
    }

    static http::ResponsePtr localResponse(int status, std::string_view body) {
      auto r = std::make_unique<http::Response>();
      r->status = status;
      r->body.assign(body);
      if (!body.empty()) {
        r->headers.set("content-type", "text/plain");
      }
      return r;
    }

    // Answers downstream once; later attempt results are ignored.
    void answer(http::ResponsePtr response, ResponseFlags flags) {
      if (done_) {
        return;
      }
      cleanUp();
      listener_.finish(std::move(x_), std::move(response), flags);
      listener_.release(this);
    }

    // Ends the request's own business: timers, the retry slot. Once.
    void cleanUp() {
      done_ = true;
      if (in_retry_) {
        cluster_->endRetry();
        in_retry_ = false;
      }
      if (route_timer_ != nullptr) {
        route_timer_->disable();
      }
      if (try_timer_ != nullptr) {
        try_timer_->disable();
      }
      if (backoff_timer_ != nullptr) {
        backoff_timer_->disable();
      }
      x_.attempts = attempt_;
    }

    static constexpr ResponseFlags kRetryLimit =
        static_cast<ResponseFlags>(ResponseFlag::UpstreamRetryLimitExceeded);

    ListenerImpl& listener_;
    Proxy& proxy_;
    Exchange x_;
    http::RequestPtr request_;
    // Held, not borrowed: a push that removes the cluster leaves its state to the requests
    // still using it.
    upstream::ClusterStateSharedPtr cluster_;
    const config::Route& route_;
    config::RetryPolicy policy_;
    CancellationPtr attempt_cancel_;  // of the attempt in flight
    ResponseFlags flags_ = 0;
    bool abort_ = false;
    bool done_ = false;
    bool in_retry_ = false;
    bool attempt_timed_out_ = false;
    uint64_t attempt_ = 0;
    uint32_t retries_ = 0;
    // Inline for the attempts of Istio's default policy (3): no allocation per request.
    boost::container::small_vector<int, 4> tried_;
    MonotonicTime sent_{};
    TimerPtr timer_;          // the fault delay
    TimerPtr backoff_timer_;  // the wait before a retry
    TimerPtr route_timer_;    // the route timeout
    TimerPtr try_timer_;      // the per-try timeout

    // The listener's list of requests upstream (see ListenerImpl::link).
    friend class ListenerImpl;
    std::shared_ptr<UpstreamRequest> self_;
    UpstreamRequest* prev_ = nullptr;
    UpstreamRequest* next_ = nullptr;
  };

  // The listener owns each request while it is upstream, in an intrusive list (no allocation
  // per request).
  void link(const std::shared_ptr<UpstreamRequest>& r) {
    r->self_ = r;
    r->next_ = active_;
    if (active_ != nullptr) {
      active_->prev_ = r.get();
    }
    active_ = r.get();
  }

  // Drops the listener's reference to a finished request; destruction is deferred to a later
  // event because the request may be running a timer callback right now (Envoy's deferredDelete).
  // The requests finished in one event are destroyed together by one posted task.
  void release(UpstreamRequest* r) {
    if (r->self_ == nullptr) {
      return;
    }
    (r->prev_ != nullptr ? r->prev_->next_ : active_) = r->next_;
    if (r->next_ != nullptr) {
      r->next_->prev_ = r->prev_;
    }
    r->prev_ = r->next_ = nullptr;
    if (finished_->empty()) {
      proxy_.dispatcher_.post([finished = finished_] {
        std::vector<std::shared_ptr<UpstreamRequest>> batch;
        batch.swap(*finished);
        batch.clear();  // May finish others, which go to *finished and post their own task.
        if (finished->empty()) {
          finished->swap(batch);  // Keeps the capacity: no allocation per event.
        }
      });
    }
    finished_->push_back(std::move(r->self_));
  }

  // The route's cluster, or a weighted random choice among its clusters (made once per
  // request, as Envoy does); nullptr when no cluster has weight.
  const config::WeightedCluster* pickCluster(const config::RouteAction& action) {
    if (action.clusters.size() == 1) {
      return &action.clusters.front();
    }
    const uint32_t total = action.total_weight();
    if (total == 0) {
      return nullptr;
    }
    uint64_t pick = proxy_.random_.uniform(total);
    for (const auto& c : action.clusters) {
      if (pick < c.weight) {
        return &c;
      }
      pick -= c.weight;
    }
    return &action.clusters.back();
  }

  // Sends a fire-and-forget copy of `request` to the mirror cluster; its response is dropped
  // and it is not counted in this proxy's metrics (Envoy shadows outside the filter chain).
  void sendMirror(const config::MirrorPolicy& mirror, const http::Request& request) {
    upstream::ClusterState* cluster = proxy_.clusters_.find(mirror.cluster);
    if (cluster == nullptr) {
      return;
    }
    const int index = cluster->pickEndpoint();
    if (index < 0) {
      return;
    }
    const config::Endpoint& endpoint = cluster->endpoint(index);
    auto copy = std::make_unique<http::Request>(request);
    copy->tag = 0;  // a shadow is not the client's request
    if (mirror.shadow_host_suffix) {
      copy->authority = router::shadowAuthority(copy->authority);
    }
    ConnectionInfo from{config::Address{proxy_.snapshot_->config.ip, 0},
                        endpoint.address,
                        proxy_.snapshot_->config.workload,
                        endpoint.mtls,
                        nullptr,
                        cluster->config().connect_timeout};
    proxy_.transport_.send(from, endpoint.address, std::move(copy),
                           [](http::ResponsePtr, ResetReason) {});
  }

  // The service label values of a passthrough request: the Host (outbound sidecars fall back to
  // it) and Istio's special service name. Interned per host: metric series are keyed by the
  // identity of this object.
  config::ServiceInfoConstSharedPtr passthroughService(const http::Request& request) {
    std::string host = request.authority.substr(0, request.authority.rfind(':'));
    auto& slot = passthrough_services_[host];
    if (slot == nullptr) {
      slot = std::make_shared<config::ServiceInfo>(
          config::ServiceInfo{std::move(host), "PassthroughCluster", "unknown"});
    }
    return slot;
  }

  bool isOutbound() const { return listener_->direction == config::TrafficDirection::Outbound; }

  void prepareRequest(const ConnectionInfo& connection, http::Request& request) {
    request.path = router::normalizePath(request.path);
    if (listener_->use_remote_address) {
      // Edge proxy: the peer is the client; its x-forwarded-* and x-request-id are not trusted.
      const std::string peer = config::ipToString(connection.source.ip);
      if (const std::string* xff = request.headers.get("x-forwarded-for")) {
        request.headers.set("x-forwarded-for", *xff + "," + peer);
      } else {
        request.headers.set("x-forwarded-for", peer);
      }
      request.headers.set("x-envoy-external-address", peer);
      request.headers.remove("x-envoy-internal");
      request.headers.set("x-forwarded-proto", request.scheme);
      request.headers.setOwned("x-request-id", generateRequestId(proxy_.random_));
    } else if (!request.headers.has("x-request-id")) {
      request.headers.setOwned("x-request-id", generateRequestId(proxy_.random_));
    }
  }

  void localReply(Exchange x, int status, std::string_view body, ResponseFlags flags) {
    auto response = std::make_unique<http::Response>();
    response->status = status;
    response->body.assign(body);
    if (!body.empty()) {
      response->headers.set("content-type", "text/plain");
    }
    finish(std::move(x), std::move(response), flags);
  }

  void finish(Exchange x, http::ResponsePtr response, ResponseFlags flags) {
    if (x.weighted != nullptr) {
      router::applyHeaderOperations(x.weighted->response_headers, response->headers);
    }
    if (x.route != nullptr) {
      router::applyHeaderOperations(x.route->response_headers, response->headers);
      if (x.cors_origin) {
        router::addCorsResponseHeaders(*x.route->cors, *x.cors_origin, *response);
      }
    }
    response->headers.set("server", listener_->server_name);
    response->response_flags = flags;
    stats::RequestRecord record;
    record.reporter = isOutbound() ? stats::Reporter::Source : stats::Reporter::Destination;
    record.peer = isOutbound() ? std::move(x.upstream_workload) : x.downstream.peer;
    record.service = std::move(x.service);
    record.response_code = response->status;
    record.flags = flags;
    // The hop whose peer identity the labels describe: upstream for a client-side proxy.
    record.mtls = isOutbound() ? x.upstream_mtls : x.downstream.mtls;
    record.duration_ms = wholeMillis(proxy_.dispatcher_.now() - x.start);
    record.request_bytes = x.request_bytes;
    record.response_bytes = stats::wireSize(*response);  // as sent, with our header changes
    proxy_.stats_.record(record);
    if (x.log != nullptr) {
      stats::completeAccessLogEntry(*x.log, *response, flags, record.duration_ms);
      proxy_.access_log_.log(std::move(*x.log));
    }
    x.done(std::move(response), ResetReason::None);
  }

  // Records a request whose client went away before the answer: response code 0 and DC (plus
  // what happened before, e.g. DI), nothing sent downstream. Its sender is told with a reset it
  // no longer listens for, so the transport's bookkeeping ends.
  void finishCancelled(Exchange x, ResponseFlags flags) {
    flags = flags | ResponseFlag::DownstreamConnectionTermination;
    stats::RequestRecord record;
    record.reporter = isOutbound() ? stats::Reporter::Source : stats::Reporter::Destination;
    record.peer = isOutbound() ? std::move(x.upstream_workload) : x.downstream.peer;
    record.service = std::move(x.service);
    record.response_code = 0;
    record.flags = flags;
    record.mtls = isOutbound() ? x.upstream_mtls : x.downstream.mtls;
    record.duration_ms = wholeMillis(proxy_.dispatcher_.now() - x.start);
    record.request_bytes = x.request_bytes;
    record.response_bytes = 0;
    proxy_.stats_.record(record);
    if (x.log != nullptr) {
      http::Response none;
      none.status = 0;
      stats::completeAccessLogEntry(*x.log, none, flags, record.duration_ms);
      proxy_.access_log_.log(std::move(*x.log));
    }
    x.done(nullptr, ResetReason::ConnectionTermination);
  }

  Proxy& proxy_;
  const config::Listener* listener_;
  std::shared_ptr<const void> owner_;  // of *listener_
  router::RouteTableConstSharedPtr routes_;
  std::unordered_map<std::string, config::ServiceInfoConstSharedPtr> passthrough_services_;
  UpstreamRequest* active_ = nullptr;  // head of the requests upstream
  std::shared_ptr<std::vector<std::shared_ptr<UpstreamRequest>>> finished_ =
      std::make_shared<std::vector<std::shared_ptr<UpstreamRequest>>>();
};

Proxy::Proxy(std::shared_ptr<const Snapshot> snapshot, Dispatcher& dispatcher,
             UpstreamTransport& transport, RandomGenerator& random)
    : snapshot_(std::move(snapshot)),
      dispatcher_(dispatcher),
      transport_(transport),
      random_(random),
      clusters_(
          snapshot_->own_clusters,
          snapshot_->config.shared == nullptr ? nullptr : snapshot_->config.shared->clusters(),
          random, dispatcher.timeSource()),
      stats_(snapshot_->config.workload) {}

Proxy::~Proxy() = default;

StatusOr<std::unique_ptr<Proxy>> Proxy::create(config::ProxyConfig config, Dispatcher& dispatcher,
                                               UpstreamTransport& transport,
                                               RandomGenerator& random) {
  MESHSIM_ASSIGN_OR_RETURN(auto snapshot, compile(std::move(config), nullptr));
  std::unique_ptr<Proxy> proxy(new Proxy(std::move(snapshot), dispatcher, transport, random));
  proxy->installListeners();
  return proxy;
}

StatusOr<std::shared_ptr<const Proxy::Snapshot>> Proxy::compile(config::ProxyConfig config,
                                                                const Snapshot* previous) {
  auto snapshot = std::make_shared<Snapshot>();
  for (const auto& rc : config.route_configs) {
    MESHSIM_ASSIGN_OR_RETURN(auto table, router::RouteTable::create(rc));
    snapshot->tables[rc.name] = std::move(table);
  }
  std::unordered_map<uint16_t, bool> bound, outbound;
  const auto check = [&](const config::Listener& l, bool own) -> Status {
    const bool found = own ? snapshot->tables.count(l.route_config_name) != 0
                           : config.shared->routeTable(l.route_config_name) != nullptr;
    if (!found) {
      return invalidArgumentError("proxy " + config.node_id + ": listener " + l.name +
                                  " names missing route configuration " + l.route_config_name);
    }
    auto& ports = l.bind_to_port ? bound : outbound;
    if (!ports.emplace(l.port, true).second) {
      return invalidArgumentError("proxy " + config.node_id + ": two listeners on port " +
                                  std::to_string(l.port));
    }
    return okStatus();
  };
  for (const auto& l : config.listeners) {
    MESHSIM_RETURN_IF_ERROR(check(l, true));
  }
  if (config.shared != nullptr) {
    for (const auto& l : config.shared->listeners()) {
      MESHSIM_RETURN_IF_ERROR(check(l, false));
    }
  }
  snapshot->own_clusters = upstream::ClusterTable::create(
      config.clusters, previous == nullptr ? nullptr : previous->own_clusters.get());
  snapshot->config = std::move(config);
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

void Proxy::installListeners() {
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> old_bound = std::move(listeners_);
  std::unordered_map<uint16_t, std::unique_ptr<ListenerImpl>> old_outbound =
      std::move(outbound_listeners_);
  listeners_.clear();
  outbound_listeners_.clear();
  const auto install = [&](const config::Listener& l, const router::RouteTableConstSharedPtr& table,
                           std::shared_ptr<const void> owner) {
    auto& old = l.bind_to_port ? old_bound : old_outbound;
    auto& listeners = l.bind_to_port ? listeners_ : outbound_listeners_;
    if (auto it = old.find(l.port); it != old.end()) {
      it->second->reconfigure(l, table, std::move(owner));
      listeners[l.port] = std::move(it->second);
      old.erase(it);
    } else {
      listeners[l.port] = std::make_unique<ListenerImpl>(*this, l, table, std::move(owner));
    }
  };
  const config::ProxyConfig& config = snapshot_->config;
  for (const auto& l : config.listeners) {
    install(l, snapshot_->tables.at(l.route_config_name), snapshot_);
  }
  if (config.shared != nullptr) {
    for (const auto& l : config.shared->listeners()) {
      install(l, *config.shared->routeTable(l.route_config_name), config.shared);
    }
  }
  // Listeners retired at an earlier push go once nothing is in flight on them; those retired
  // now wait at least until the next push (deliveries already under way may still reach them).
  std::erase_if(retired_listeners_, [](const auto& l) { return !l->busy(); });
  for (auto* old : {&old_bound, &old_outbound}) {
    for (auto& [port, listener] : *old) {
      retired_listeners_.push_back(std::move(listener));
    }
  }
}

Status Proxy::update(config::ProxyConfig config) {
  MESHSIM_ASSIGN_OR_RETURN(auto snapshot, compile(std::move(config), snapshot_.get()));
  snapshot_ = std::move(snapshot);
  installListeners();
  clusters_.update(snapshot_->own_clusters, snapshot_->config.shared == nullptr
                                                ? nullptr
                                                : snapshot_->config.shared->clusters());
  return okStatus();
}

const config::Cluster* Proxy::clusterConfig(std::string_view name) const {
  if (const auto* own = snapshot_->own_clusters->find(name); own != nullptr) {
    return own->cluster.get();
  }
  const config::ProxyConfig& config = snapshot_->config;
  if (config.shared != nullptr && config.shared->clusters() != nullptr) {
    if (const auto* shared = config.shared->clusters()->find(name); shared != nullptr) {
      return shared->cluster.get();
    }
  }
  return nullptr;
}

bool Proxy::idle() const {
  for (const auto* listeners : {&listeners_, &outbound_listeners_}) {
    for (const auto& [port, l] : *listeners) {
      if (l->busy()) {
        return false;
      }
    }
  }
  return std::none_of(retired_listeners_.begin(), retired_listeners_.end(),
                      [](const auto& l) { return l->busy(); });
}

std::pair<const config::Listener*, const config::RouteConfiguration*> Proxy::listenerConfig(
    uint16_t port, bool bound) const {
  const config::ProxyConfig& config = snapshot_->config;
  for (const auto& l : config.listeners) {
    if (l.port == port && l.bind_to_port == bound) {
      return {&l, &snapshot_->tables.at(l.route_config_name)->config()};
    }
  }
  if (config.shared != nullptr) {
    for (const auto& l : config.shared->listeners()) {
      if (l.port == port && l.bind_to_port == bound) {
        return {&l, &(*config.shared->routeTable(l.route_config_name))->config()};
      }
    }
  }
  return {nullptr, nullptr};
}

RequestHandler* Proxy::listener(uint16_t port) {
  auto it = listeners_.find(port);
  return it == listeners_.end() ? nullptr : it->second.get();
}

RequestHandler* Proxy::outboundListener(uint16_t port) {
  auto it = outbound_listeners_.find(port);
  return it == outbound_listeners_.end() ? nullptr : it->second.get();
}

std::vector<uint16_t> Proxy::listenerPorts() const {
  std::vector<uint16_t> ports;
  for (const auto& [port, l] : listeners_) {
    ports.push_back(port);
  }
  std::sort(ports.begin(), ports.end());
  return ports;
}

}  // namespace meshsim::proxy
