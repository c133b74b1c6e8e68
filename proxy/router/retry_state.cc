#include "proxy/router/retry_state.h"

#include <algorithm>

namespace meshsim::proxy::router {

namespace {

bool retriableStatus(const config::RetryPolicy& policy, int s) {
  const uint32_t on = policy.retry_on;
  if ((on & config::kRetryOn5xx) != 0 && s >= 500 && s <= 599) {
    return true;
  }
  if ((on & config::kRetryOnGatewayError) != 0 && (s == 502 || s == 503 || s == 504)) {
    return true;
  }
  if ((on & config::kRetryOnRetriable4xx) != 0 && s == 409) {
    return true;
  }
  return (on & config::kRetryOnRetriableStatusCodes) != 0 &&
         std::find(policy.retriable_status_codes.begin(), policy.retriable_status_codes.end(), s) !=
             policy.retriable_status_codes.end();
}

}  // namespace

bool retriableResponse(const config::RetryPolicy& policy, const http::Response& response) {
  // The status first: nearly every response is not retriable by it, and then the headers need
  // no scan.
  return retriableStatus(policy, response.status) && !response.headers.has("x-envoy-overloaded") &&
         !response.headers.has("x-envoy-ratelimited");
}

bool retriableReset(const config::RetryPolicy& policy, ResetReason reason) {
  const uint32_t on = policy.retry_on;
  // A reset counts as a 5xx for these policies.
  const bool any_reset =
      (on & (config::kRetryOn5xx | config::kRetryOnGatewayError | config::kRetryOnReset)) != 0;
  switch (reason) {
    case ResetReason::Overflow:
    case ResetReason::None:
      return false;
    case ResetReason::Timeout:
      return any_reset;
    case ResetReason::ConnectFailure:
      // The request never left: connect-failure and reset-before-request both cover it.
      return any_reset ||
             (on & (config::kRetryOnConnectFailure | config::kRetryOnResetBeforeRequest)) != 0;
    case ResetReason::RemoteReset:
    case ResetReason::ConnectionTermination:
      return any_reset;
  }
  return false;
}

std::chrono::nanoseconds backoff(const config::RetryPolicy& policy, uint32_t retry,
                                 RandomGenerator& random) {
  const uint32_t shift = std::min<uint32_t>(retry, 30);
  const auto base = policy.base_interval.count();
  auto ceiling = base * static_cast<int64_t>((uint64_t{1} << shift) - 1);
  ceiling = std::min<int64_t>(ceiling, policy.max_interval.count());
  if (ceiling <= 0) {
    return std::chrono::nanoseconds(0);
  }
  // Whole milliseconds, as Envoy's backoff strategy works in ms.
  const uint64_t ms = static_cast<uint64_t>(ceiling / 1000000);
  if (ms == 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::milliseconds(random.uniform(ms));
}

RetryState::RetryState(const config::RetryPolicy& policy, upstream::ClusterState& cluster,
                       Dispatcher& dispatcher, RandomGenerator& random)
    : policy_(policy), cluster_(cluster), dispatcher_(dispatcher), random_(random) {}

RetryState::~RetryState() {
  reset();
}

RetryStatus RetryState::shouldRetryHeaders(const http::Response& response,
                                           UniqueFunction<void()> do_retry) {
  return decide(retriableResponse(policy_, response), std::move(do_retry));
}

RetryStatus RetryState::shouldRetryReset(ResetReason reason, UniqueFunction<void()> do_retry) {
  return decide(retriableReset(policy_, reason), std::move(do_retry));
}

RetryStatus RetryState::decide(bool retriable, UniqueFunction<void()> do_retry) {
  if (!retriable) {
    return RetryStatus::No;
  }
  if (in_retry_) {
    cluster_.endRetry();  // the retry that just ended no longer counts against max_retries
    in_retry_ = false;
  }
  const stats::ResponseFlags exhausted =
      policy_.num_retries > 0
          ? static_cast<stats::ResponseFlags>(stats::ResponseFlag::UpstreamRetryLimitExceeded)
          : 0;
  if (retries_ >= policy_.num_retries) {
    flags_ |= exhausted;
    return RetryStatus::Exhausted;
  }
  if (!cluster_.tryStartRetry()) {
    flags_ = (flags_ | stats::ResponseFlag::UpstreamOverflow) | exhausted;
    return RetryStatus::Exhausted;
  }
  in_retry_ = true;
  ++retries_;
  do_retry_ = std::move(do_retry);
  if (backoff_timer_ == nullptr) {
    backoff_timer_ = dispatcher_.createTimer([this] {
      UniqueFunction<void()> f = std::move(do_retry_);
      f();
    });
  }
  backoff_timer_->enable(backoff(policy_, retries_, random_));
  return RetryStatus::Yes;
}

void RetryState::reset() {
  if (in_retry_) {
    cluster_.endRetry();
    in_retry_ = false;
  }
  if (backoff_timer_ != nullptr) {
    backoff_timer_->disable();
  }
  do_retry_ = nullptr;
}

}  // namespace meshsim::proxy::router
