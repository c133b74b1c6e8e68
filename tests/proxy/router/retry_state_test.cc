#include "proxy/router/retry_state.h"

#include <gtest/gtest.h>

#include "proxy/event/virtual_dispatcher.h"

namespace meshsim::proxy::router {
namespace {

using std::chrono::milliseconds;

config::RetryPolicy policy(uint32_t on, std::vector<int> codes = {}) {
  config::RetryPolicy p;
  p.num_retries = 2;
  p.retry_on = on;
  p.retriable_status_codes = std::move(codes);
  return p;
}

http::Response response(int status) {
  http::Response r;
  r.status = status;
  return r;
}

TEST(RetryStateTest, StatusPolicies) {
  EXPECT_TRUE(retriableResponse(policy(config::kRetryOn5xx), response(500)));
  EXPECT_TRUE(retriableResponse(policy(config::kRetryOn5xx), response(503)));
  EXPECT_FALSE(retriableResponse(policy(config::kRetryOn5xx), response(404)));
  EXPECT_FALSE(retriableResponse(policy(config::kRetryOnGatewayError), response(500)));
  EXPECT_TRUE(retriableResponse(policy(config::kRetryOnGatewayError), response(504)));
  EXPECT_TRUE(retriableResponse(policy(config::kRetryOnRetriable4xx), response(409)));
  EXPECT_FALSE(retriableResponse(policy(config::kRetryOnRetriable4xx), response(404)));
  EXPECT_TRUE(
      retriableResponse(policy(config::kRetryOnRetriableStatusCodes, {418}), response(418)));
  // Istio 1.24+ default: retriable-status-codes with an empty list retries no status.
  EXPECT_FALSE(retriableResponse(
      policy(config::kRetryOnRetriableStatusCodes | config::kRetryOnConnectFailure),
      response(503)));
}

TEST(RetryStateTest, OverloadedResponsesAreNeverRetried) {
  auto r = response(503);
  r.headers.set("x-envoy-overloaded", "true");
  EXPECT_FALSE(retriableResponse(policy(config::kRetryOn5xx), r));
  auto limited = response(503);
  limited.headers.set("x-envoy-ratelimited", "true");
  EXPECT_FALSE(retriableResponse(policy(config::kRetryOn5xx), limited));
  EXPECT_TRUE(retriableResponse(policy(config::kRetryOn5xx), response(503)));
}

TEST(RetryStateTest, ResetPolicies) {
  const auto connect = policy(config::kRetryOnConnectFailure);
  EXPECT_TRUE(retriableReset(connect, ResetReason::ConnectFailure));
  EXPECT_FALSE(retriableReset(connect, ResetReason::RemoteReset));
  EXPECT_FALSE(retriableReset(connect, ResetReason::Timeout));  // per-try timeout needs 5xx/reset
  const auto five = policy(config::kRetryOn5xx);
  EXPECT_TRUE(retriableReset(five, ResetReason::RemoteReset));
  EXPECT_TRUE(retriableReset(five, ResetReason::Timeout));
  EXPECT_TRUE(retriableReset(five, ResetReason::ConnectFailure));
  EXPECT_FALSE(retriableReset(five, ResetReason::Overflow));
  EXPECT_TRUE(retriableReset(policy(config::kRetryOnReset), ResetReason::Timeout));
}

TEST(RetryStateTest, BackoffIsFullyJitteredAndCapped) {
  SeededRandom random(3);
  const auto p = policy(config::kRetryOn5xx);  // base 25 ms, max 250 ms
  int64_t max_seen[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 5000; ++i) {
    for (uint32_t n = 1; n <= 4; ++n) {
      const auto b = std::chrono::duration_cast<milliseconds>(backoff(p, n, random)).count();
      ASSERT_GE(b, 0);
      max_seen[n] = std::max(max_seen[n], b);
    }
  }
  EXPECT_EQ(max_seen[1], 24);   // [0, 25)
  EXPECT_EQ(max_seen[2], 74);   // [0, 75)
  EXPECT_EQ(max_seen[3], 174);  // [0, 175)
  EXPECT_EQ(max_seen[4], 249);  // capped at 250
}

// The state of one request against a cluster whose max_retries breaker allows `budget` retries.
struct RetryFixture {
  explicit RetryFixture(uint32_t budget, uint32_t num_retries = 2) : random(7) {
    config::Cluster c;
    c.name = "c";
    c.circuit_breakers.max_retries = budget;
    cluster = std::make_unique<upstream::ClusterState>(c, random, loop);
    p = policy(config::kRetryOn5xx);
    p.num_retries = num_retries;
  }
  VirtualDispatcher loop;
  SeededRandom random;
  std::unique_ptr<upstream::ClusterState> cluster;
  config::RetryPolicy p;
};

TEST(RetryStateTest, ARetryRunsAfterTheBackoffNeverInline) {
  RetryFixture f(10);
  RetryState state(f.p, *f.cluster, f.loop, f.random);
  int retried = 0;
  EXPECT_EQ(state.shouldRetryHeaders(response(503), [&] { ++retried; }), RetryStatus::Yes);
  EXPECT_EQ(retried, 0);
  f.loop.runUntilIdle();
  EXPECT_EQ(retried, 1);
  EXPECT_EQ(state.retries(), 1u);
  EXPECT_EQ(state.shouldRetryHeaders(response(200), [&] { ++retried; }), RetryStatus::No);
  EXPECT_EQ(state.flags(), 0u);
}

TEST(RetryStateTest, RetriesRunOutWithUrx) {
  RetryFixture f(10, 1);
  RetryState state(f.p, *f.cluster, f.loop, f.random);
  EXPECT_EQ(state.shouldRetryReset(ResetReason::RemoteReset, [] {}), RetryStatus::Yes);
  f.loop.runUntilIdle();
  EXPECT_EQ(state.shouldRetryReset(ResetReason::RemoteReset, [] {}), RetryStatus::Exhausted);
  EXPECT_EQ(stats::responseFlagsToString(state.flags()), "URX");
}

TEST(RetryStateTest, TheClusterRetryBudgetIsHeldUntilTheRetriedAttemptEnds) {
  RetryFixture f(1);
  RetryState first(f.p, *f.cluster, f.loop, f.random);
  RetryState second(f.p, *f.cluster, f.loop, f.random);
  EXPECT_EQ(first.shouldRetryHeaders(response(503), [] {}), RetryStatus::Yes);
  // The budget of one retry is taken: the second request overflows (UO, and URX as Envoy).
  EXPECT_EQ(second.shouldRetryHeaders(response(503), [] {}), RetryStatus::Exhausted);
  EXPECT_EQ(stats::responseFlagsToString(second.flags()), "UO,URX");
  // The first request's retried attempt ends: its next decision gives the budget back first.
  f.loop.runUntilIdle();
  EXPECT_EQ(first.shouldRetryHeaders(response(503), [] {}), RetryStatus::Yes);
  first.reset();  // the request ends: budget back, backoff cancelled
  RetryState third(f.p, *f.cluster, f.loop, f.random);
  EXPECT_EQ(third.shouldRetryHeaders(response(503), [] {}), RetryStatus::Yes);
}

TEST(RetryStateTest, ResetCancelsThePendingBackoff) {
  RetryFixture f(10);
  RetryState state(f.p, *f.cluster, f.loop, f.random);
  bool retried = false;
  EXPECT_EQ(state.shouldRetryHeaders(response(503), [&] { retried = true; }), RetryStatus::Yes);
  state.reset();
  f.loop.runUntilIdle();
  EXPECT_FALSE(retried);
}

}  // namespace
}  // namespace meshsim::proxy::router
