#pragma once

// File: proxy/router/retry_state.h
//
// The retry decisions of Envoy's router (router_filter.rst, RetryStateImpl), as pure functions
// of a route's RetryPolicy and an attempt's outcome. The Proxy asks them after every attempt.

#include <chrono>
#include <cstdint>

#include "proxy/config/proxy_config.h"
#include "proxy/core/random.h"
#include "proxy/http/message.h"
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

}  // namespace meshsim::proxy::router
