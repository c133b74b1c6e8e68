#pragma once

// File: proxy/router/retry_state.h
//
// The retry decisions of Envoy's router (router_filter.rst, RetryStateImpl): pure functions of a
// route's RetryPolicy and an attempt's outcome, and RetryState, which one request's router asks
// after every attempt and which owns the backoff timer and the request's claim on the cluster's
// retry budget (the max_retries circuit breaker).

#include <chrono>
#include <cstdint>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/core/unique_function.h"
#include "proxy/event/dispatcher.h"
#include "proxy/http/message.h"
#include "proxy/stats/response_flags.h"
#include "proxy/upstream/cluster_manager.h"
#include "proxy/upstream/transport.h"

namespace meshsim::proxy::router {

// Whether `policy` retries an attempt that got `response`. Never for responses marked
// x-envoy-overloaded or x-envoy-ratelimited.
bool retriableResponse(const config::RetryPolicy& policy, const http::Response& response);

// Whether `policy` retries an attempt that ended without response headers. `reason` Timeout is
// a per-try timeout (retried only under 5xx, gateway-error or reset); Overflow is never retried.
bool retriableReset(const config::RetryPolicy& policy, ResetReason reason);

// The wait before retry number `retry` (1 for the first retry): uniform in
// [0, min((2^retry - 1) * base, max)), drawn from `random` (Envoy's fully jittered backoff).
std::chrono::nanoseconds backoff(const config::RetryPolicy& policy, uint32_t retry,
                                 RandomGenerator& random);

enum class RetryStatus {
  No,   // the outcome is not retriable: it is the answer
  Yes,  // a retry is scheduled after the backoff
  // Retriable, but no retry is left or the cluster's retry budget is full: it is the answer,
  // with flags() added (URX when the policy has retries, UO when the budget refused).
  Exhausted,
};

// The retry state of one request (Envoy's RetryStateImpl). Holds at most one retry of the
// request against the cluster's max_retries breaker, from the decision to retry until the
// retried attempt ends (the next decision) or the request ends (reset() or destruction).
class RetryState {
public:
  // `policy`, `cluster`, `dispatcher` and `random` must outlive the state.
  RetryState(const config::RetryPolicy& policy, upstream::ClusterState& cluster,
             Dispatcher& dispatcher, RandomGenerator& random);
  ~RetryState();
  RetryState(const RetryState&) = delete;
  RetryState& operator=(const RetryState&) = delete;

  // Decides on an attempt that ended with `response`. On Yes, `do_retry` runs after a jittered
  // backoff (never inline) unless reset() comes first.
  RetryStatus shouldRetryHeaders(const http::Response& response, UniqueFunction<void()> do_retry);
  // The same for an attempt that ended without response headers.
  RetryStatus shouldRetryReset(ResetReason reason, UniqueFunction<void()> do_retry);
  // The flags the decisions add to the request's answer (URX, UO).
  stats::ResponseFlags flags() const { return flags_; }
  // Retries scheduled so far.
  uint32_t retries() const { return retries_; }
  // The request ended: the pending backoff is cancelled and the retry budget given back.
  void reset();

private:
  RetryStatus decide(bool retriable, UniqueFunction<void()> do_retry);

  const config::RetryPolicy& policy_;
  upstream::ClusterState& cluster_;
  Dispatcher& dispatcher_;
  RandomGenerator& random_;
  stats::ResponseFlags flags_ = 0;
  uint32_t retries_ = 0;
  bool in_retry_ = false;  // holds one of the cluster's max_retries
  TimerPtr backoff_timer_;
  UniqueFunction<void()> do_retry_;
};

}  // namespace meshsim::proxy::router
