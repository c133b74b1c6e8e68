#pragma once

// File: proxy/router/router_filter.h
//
// The router (envoy.filters.http.router), the terminal filter of every chain. It answers what
// the route itself answers (no route: 404 NR; require_tls: 301 to https; redirect; direct
// response), applies the route's and the chosen cluster's header operations and rewrites, sends
// mirrors, and forwards the request: one UpstreamRequest per request makes the attempts, with
// the route timeout, per-try timeouts, retries (RetryState), circuit breakers and outlier
// detection. On the way out it applies the response header operations.

#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include <boost/container/small_vector.hpp>

#include "proxy/filters/filter.h"
#include "proxy/router/retry_state.h"

namespace meshsim::proxy::router {

class RouterFilter : public filters::HttpFilter {
public:
  // filters::HttpFilter
  std::string_view name() const override { return "envoy.filters.http.router"; }
  filters::FilterStatus decodeHeaders(filters::StreamCallbacks& stream) override;
  void encodeHeaders(filters::StreamCallbacks& stream, http::Response& response) override;
  void onStreamReset(filters::StreamCallbacks& stream) override;

private:
  static void sendMirror(filters::StreamCallbacks& stream, const config::MirrorPolicy& mirror);
};

// The router's state of one forwarded request (Envoy's Router::Filter with its UpstreamRequest
// per attempt). Lives in the stream; the stream stays alive while an attempt, a timer or a
// circuit-breaker queue entry may still call back.
class UpstreamRequest {
public:
  UpstreamRequest() = default;
  UpstreamRequest(const UpstreamRequest&) = delete;
  UpstreamRequest& operator=(const UpstreamRequest&) = delete;

  // Starts the route timeout and the first attempt to the cluster of stream.streamInfo().
  void start(filters::StreamCallbacks& stream);
  // The client went away: the attempt in flight is reset and nothing more happens.
  void onStreamReset();
  bool started() const { return stream_ != nullptr; }

private:
  void startAttempt();
  // Runs when the circuit breaker grants a connection (now, or when one frees up).
  void send(uint64_t attempt, int index, const config::Endpoint& endpoint);
  void onAttemptDone(uint64_t attempt, int index, http::ResponsePtr response, ResetReason reset);
  void onPerTryTimeout();
  // Resets the attempt in flight, if any: the upstream sees its client go away.
  void cancelAttempt();
  void onReset(ResetReason reset);
  void onRouteTimeout();
  // Answers downstream once; later attempt results are ignored.
  void answer(http::ResponsePtr response, stats::ResponseFlags flags);
  // Ends the request's own business: timers, the retry budget. Once.
  void cleanUp();
  std::shared_ptr<UpstreamRequest> self();

  filters::StreamCallbacks* stream_ = nullptr;
  upstream::ClusterState* cluster_ = nullptr;  // held by the stream's StreamInfo
  const config::Route* route_ = nullptr;
  const config::RetryPolicy* policy_ = nullptr;
  std::optional<RetryState> retry_;
  CancellationPtr attempt_cancel_;  // of the attempt in flight
  bool done_ = false;
  // An HTTP/2 upstream request: it shares a connection instead of holding one.
  bool multiplexed_ = false;
  bool attempt_timed_out_ = false;
  uint64_t attempt_ = 0;
  // Inline for the attempts of Istio's default policy (3): no allocation per request.
  boost::container::small_vector<int, 4> tried_;
  MonotonicTime sent_{};
  TimerPtr route_timer_;  // the route timeout
  TimerPtr try_timer_;    // the per-try timeout
};

}  // namespace meshsim::proxy::router
