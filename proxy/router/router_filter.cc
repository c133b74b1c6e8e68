#include "proxy/router/router_filter.h"

#include <chrono>
#include <string>
#include <utility>

#include "proxy/router/route_actions.h"

namespace meshsim::proxy::router {

namespace {

using filters::FilterStatus;
using filters::localResponse;
using filters::StreamCallbacks;
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
constexpr std::string_view kOverflow =
    "upstream connect error or disconnect/reset before headers. reset reason: overflow";

const config::RetryPolicy kNoRetries{};

uint64_t wholeMillis(Duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

ResponseFlags flag(ResponseFlag f) {
  return static_cast<ResponseFlags>(f);
}

http::ResponsePtr overflowResponse() {
  auto r = localResponse(503, kOverflow);
  r->headers.set("x-envoy-overloaded", "true");
  return r;
}

}  // namespace

FilterStatus RouterFilter::decodeHeaders(StreamCallbacks& stream) {
  filters::StreamInfo& info = stream.streamInfo();
  http::Request& request = stream.request();
  if (info.tls_redirect) {
    auto r = std::make_unique<http::Response>();
    r->status = 301;
    r->headers.set("location", httpsRedirectLocation(request));
    stream.sendLocalReply(std::move(r), 0);
    return FilterStatus::StopIteration;
  }
  const config::Route* route = info.route;
  if (route == nullptr) {
    stream.sendLocalReply(localResponse(404, ""), flag(ResponseFlag::NoRouteFound));
    return FilterStatus::StopIteration;
  }
  if (route->kind == config::Route::Kind::Redirect) {
    auto r = std::make_unique<http::Response>();
    r->status = route->redirect.response_code;
    r->headers.set("location", redirectLocation(route->redirect, request, route->match.prefix));
    stream.sendLocalReply(std::move(r), 0);
    return FilterStatus::StopIteration;
  }
  if (route->kind == config::Route::Kind::DirectResponse) {
    auto r = std::make_unique<http::Response>();
    r->status = route->direct_response.status;
    r->body = route->direct_response.body;
    if (!r->body.empty()) {
      r->headers.set("content-type", "text/plain");
    }
    stream.sendLocalReply(std::move(r), 0);
    return FilterStatus::StopIteration;
  }
  if (info.weighted != nullptr) {
    applyHeaderOperations(info.weighted->request_headers, request.headers);
    if (!info.weighted->host_rewrite.empty()) {
      request.authority = info.weighted->host_rewrite;
    }
  }
  applyHeaderOperations(route->request_headers, request.headers);
  if (!route->action.hash_policies.empty()) {
    // On the request as the router sees it (after header operations, before rewrites).
    info.hash = requestHash(route->action.hash_policies, request, info.downstream.source,
                            info.downstream.destination, &info.set_cookie);
  }
  applyRewrites(*route, request);
  if (info.cluster == nullptr) {
    stream.sendLocalReply(localResponse(503, ""), flag(ResponseFlag::NoClusterFound));
    return FilterStatus::StopIteration;
  }
  for (const auto& mirror : route->action.mirrors) {
    if (mirror.fraction >= 1.0 || stream.context().random.unit() < mirror.fraction) {
      sendMirror(stream, mirror);
    }
  }
  if (info.cluster->config().original_destination && info.service == nullptr) {
    const std::string& authority = request.authority;
    info.service = stream.passthroughService(
        std::string_view(authority).substr(0, std::min(authority.rfind(':'), authority.size())));
  }
  stream.upstreamRequest().start(stream);
  return FilterStatus::StopIteration;
}

void RouterFilter::encodeHeaders(StreamCallbacks& stream, http::Response& response) {
  const filters::StreamInfo& info = stream.streamInfo();
  if (info.weighted != nullptr) {
    applyHeaderOperations(info.weighted->response_headers, response.headers);
  }
  if (info.route != nullptr) {
    applyHeaderOperations(info.route->response_headers, response.headers);
  }
}

void RouterFilter::onStreamReset(StreamCallbacks& stream) {
  stream.upstreamRequest().onStreamReset();
}

// Sends a fire-and-forget copy of the request to the mirror cluster; its response is dropped
// and it is not counted in this proxy's metrics (Envoy shadows outside the filter chain).
void RouterFilter::sendMirror(StreamCallbacks& stream, const config::MirrorPolicy& mirror) {
  filters::ProxyContext& context = stream.context();
  upstream::ClusterState* cluster = context.clusters.find(mirror.cluster);
  if (cluster == nullptr) {
    return;
  }
  const int index = cluster->pickEndpoint();
  if (index < 0) {
    return;
  }
  const config::Endpoint& endpoint = cluster->endpoint(index);
  auto copy = std::make_unique<http::Request>(stream.request());
  copy->tag = 0;  // a shadow is not the client's request
  if (cluster->config().upstream_protocol != config::Cluster::Protocol::Downstream) {
    copy->protocol = cluster->config().upstream_protocol == config::Cluster::Protocol::Http2
                         ? http::Protocol::Http2
                         : http::Protocol::Http11;
  }
  if (mirror.shadow_host_suffix) {
    copy->authority = shadowAuthority(copy->authority);
  }
  ConnectionInfo from{
      config::Address{context.ip, 0},   endpoint.address, context.workload, endpoint.mtls, nullptr,
      cluster->config().connect_timeout};
  context.transport.send(from, endpoint.address, std::move(copy),
                         [](http::ResponsePtr, ResetReason) {});
}

std::shared_ptr<UpstreamRequest> UpstreamRequest::self() {
  return std::shared_ptr<UpstreamRequest>(stream_->keepAlive(), this);
}

void UpstreamRequest::start(StreamCallbacks& stream) {
  stream_ = &stream;
  filters::StreamInfo& info = stream.streamInfo();
  cluster_ = info.cluster.get();
  route_ = info.route;
  policy_ = route_->action.retry_policy ? &*route_->action.retry_policy : &kNoRetries;
  filters::ProxyContext& context = stream.context();
  retry_.emplace(*policy_, *cluster_, context.dispatcher, context.random);
  // The upstream HTTP version is the cluster's (setUpstreamProtocol in Istio), or the
  // downstream request's for USE_DOWNSTREAM_PROTOCOL clusters.
  http::Request& request = stream.request();
  switch (cluster_->config().upstream_protocol) {
    case config::Cluster::Protocol::Http11:
      request.protocol = http::Protocol::Http11;
      break;
    case config::Cluster::Protocol::Http2:
      request.protocol = http::Protocol::Http2;
      break;
    case config::Cluster::Protocol::Downstream:
      break;
  }
  multiplexed_ = request.protocol == http::Protocol::Http2;
  // The route timeout starts when the router has the request, after any fault delay.
  if (route_->action.timeout.count() > 0) {
    route_timer_ = context.dispatcher.createTimer([this] { onRouteTimeout(); });
    route_timer_->enable(route_->action.timeout);
  }
  startAttempt();
}

void UpstreamRequest::onStreamReset() {
  if (stream_ == nullptr || done_) {
    return;
  }
  cancelAttempt();
  cleanUp();
}

void UpstreamRequest::startAttempt() {
  ++attempt_;
  const uint64_t attempt = attempt_;
  const filters::StreamInfo& info = stream_->streamInfo();
  config::Endpoint original_destination;
  const config::Endpoint* endpoint = &original_destination;
  int index = -1;
  if (cluster_->config().original_destination) {
    // ORIGINAL_DST: to wherever the client connected, no load balancing.
    original_destination.address = info.downstream.destination;
    for (const auto& e : cluster_->config().endpoints) {
      if (e.address == original_destination.address) {
        original_destination = e;
        break;
      }
    }
  } else {
    // tried_ is empty unless the policy avoids previous hosts.
    index = cluster_->pickEndpoint(std::span<const int>(tried_.data(), tried_.size()),
                                   policy_->host_selection_max_attempts, info.hash);
    if (index < 0) {
      answer(localResponse(503, kNoHealthyUpstream), flag(ResponseFlag::NoHealthyUpstream));
      return;
    }
    endpoint = &cluster_->endpoint(index);
    if (policy_->avoid_previous_hosts) {
      tried_.push_back(index);  // only the previous-hosts predicate looks at them
    }
  }
  const bool admitted =
      cluster_->admit([self = self(), attempt, index,
                       endpoint = *endpoint]() mutable { self->send(attempt, index, endpoint); },
                      multiplexed_);
  if (!admitted) {
    // Circuit breaker overflow: never retried.
    answer(overflowResponse(), flag(ResponseFlag::UpstreamOverflow));
  }
}

void UpstreamRequest::send(uint64_t attempt, int index, const config::Endpoint& endpoint) {
  if (done_ || attempt != attempt_) {
    cluster_->release(multiplexed_);  // the request was answered while this attempt waited
    return;
  }
  filters::StreamInfo& info = stream_->streamInfo();
  filters::ProxyContext& context = stream_->context();
  http::Request& request = stream_->request();
  if (info.outbound) {
    // include_request_attempt_count is set on the gateway's and sidecars' outbound virtual
    // hosts; an inbound sidecar passes the client proxy's count through.
    request.headers.setReferenceKeyOwned(http::headers::kXEnvoyAttemptCount,
                                         std::to_string(attempt));
    info.upstream_workload = endpoint.workload;
    info.upstream_mtls = endpoint.mtls;
  }
  if (info.log != nullptr) {
    info.log->upstream_host = config::toString(endpoint.address);
    info.log->upstream_local_address = config::ipToString(context.ip) + ":0";
  }
  if (policy_->per_try_timeout.count() > 0) {
    if (try_timer_ == nullptr) {
      try_timer_ = context.dispatcher.createTimer([this] { onPerTryTimeout(); });
    }
    try_timer_->enable(policy_->per_try_timeout);
  }
  if (index >= 0) {
    cluster_->onRequestStart(index);
  }
  sent_ = context.dispatcher.now();
  // Only an attempt that may be given up on carries a Cancellation (no allocation otherwise):
  // a route or per-try timeout, or a client that may itself go away.
  const bool cancellable = route_->action.timeout.count() > 0 ||
                           policy_->per_try_timeout.count() > 0 ||
                           info.downstream.cancel != nullptr;
  attempt_cancel_ = cancellable ? std::make_shared<Cancellation>() : nullptr;
  ConnectionInfo from{config::Address{context.ip, 0},
                      endpoint.address,
                      context.workload,
                      endpoint.mtls,
                      attempt_cancel_,
                      cluster_->config().connect_timeout};
  // The transport copies (or serialises) the request; it stays for the next attempt.
  context.transport.sendCopy(
      from, endpoint.address, request,
      [self = self(), attempt, index](http::ResponsePtr response, ResetReason reset) mutable {
        self->onAttemptDone(attempt, index, std::move(response), reset);
      });
}

void UpstreamRequest::onAttemptDone(uint64_t attempt, int index, http::ResponsePtr response,
                                    ResetReason reset) {
  cluster_->release(multiplexed_);
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
    if (const std::string& cookie = stream_->streamInfo().set_cookie; !cookie.empty()) {
      response->headers.add("set-cookie", cookie);
    }
    response->headers.setReferenceKeyOwned(
        http::headers::kXEnvoyUpstreamServiceTime,
        std::to_string(wholeMillis(stream_->context().dispatcher.now() - sent_)));
    if (retry_->shouldRetryHeaders(*response, [this] { startAttempt(); }) == RetryStatus::Yes) {
      attempt_timed_out_ = false;
      return;
    }
    answer(std::move(response), retry_->flags());
    return;
  }
  onReset(reset);
}

void UpstreamRequest::onPerTryTimeout() {
  attempt_timed_out_ = true;  // Envoy resets the attempt; its late answer is ignored
  cancelAttempt();
  onReset(ResetReason::Timeout);
}

void UpstreamRequest::cancelAttempt() {
  if (attempt_cancel_ != nullptr) {
    CancellationPtr c = std::move(attempt_cancel_);
    c->cancel();
  }
}

void UpstreamRequest::onReset(ResetReason reset) {
  if (retry_->shouldRetryReset(reset, [this] { startAttempt(); }) == RetryStatus::Yes) {
    attempt_timed_out_ = false;
    return;
  }
  const ResponseFlags exhausted = retry_->flags();
  switch (reset) {
    case ResetReason::Timeout:
      answer(localResponse(504, kTimeout), exhausted | ResponseFlag::UpstreamRequestTimeout);
      return;
    case ResetReason::Overflow:
      answer(overflowResponse(), exhausted | ResponseFlag::UpstreamOverflow);
      return;
    case ResetReason::RemoteReset:
      answer(localResponse(503, kRemoteReset), exhausted | ResponseFlag::UpstreamRemoteReset);
      return;
    case ResetReason::ConnectionTermination:
      answer(localResponse(503, kConnectionTermination),
             exhausted | ResponseFlag::UpstreamConnectionTermination);
      return;
    case ResetReason::ConnectFailure:
    case ResetReason::None:
      answer(localResponse(503, kConnectFailure),
             exhausted | ResponseFlag::UpstreamConnectionFailure);
      return;
  }
}

void UpstreamRequest::onRouteTimeout() {
  // The global timeout is never retried; the attempt in flight is reset.
  cancelAttempt();
  answer(localResponse(504, kTimeout), flag(ResponseFlag::UpstreamRequestTimeout));
}

void UpstreamRequest::answer(http::ResponsePtr response, ResponseFlags flags) {
  if (done_) {
    return;
  }
  cleanUp();
  stream_->encodeHeaders(std::move(response), flags);
}

void UpstreamRequest::cleanUp() {
  done_ = true;
  retry_->reset();
  if (route_timer_ != nullptr) {
    route_timer_->disable();
  }
  if (try_timer_ != nullptr) {
    try_timer_->disable();
  }
}

}  // namespace meshsim::proxy::router
