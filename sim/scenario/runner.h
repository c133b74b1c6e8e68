#pragma once

// File: sim/scenario/runner.h
//
// Runs a scenario: builds the mesh, drives every traffic stream on the virtual clock, then
// judges the expectations. Same scenario and seed, same result, byte for byte.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/driver/traffic.h"
#include "sim/scenario/scenario.h"
#include "sim/telemetry/tsdb.h"

namespace meshsim::sim::scenario {

struct TrafficResult {
  std::string name;
  std::string from;
  std::string url;
  uint64_t sent = 0;
  // Status code -> responses; 0 counts requests that got no response (connection refused).
  std::map<int, uint64_t> status_counts;
  // Envoy response flags at the proxy the client talked to ("-" for none) -> responses.
  std::map<std::string, uint64_t> response_flags;
  // Upstream attempts per request as the apps saw them (x-envoy-attempt-count) -> requests.
  std::map<uint64_t, uint64_t> attempts;
  // "refused" / "reset" / "timeout" / "overflow" (driver::errorName()) -> requests that ended that
  // way without a response.
  std::map<std::string, uint64_t> errors;
  // "namespace/pod" -> responses it produced; "" for a proxy's local reply.
  std::map<std::string, uint64_t> served_by;
  // Latency in microseconds of virtual time -> requests that took it.
  std::map<uint64_t, uint64_t> latency_us;
  // With followRedirects: each distinct redirect chain the requests took (an empty chain: no
  // redirect), in the order first seen, with the final status (0: no response) and how many
  // requests took it.
  struct RedirectChain {
    std::vector<driver::RedirectHop> hops;
    int final_status = 0;
    uint64_t requests = 0;
  };
  std::vector<RedirectChain> redirects;
  // Requests that stopped at a redirect the client did not follow (RedirectHop::not_followed).
  uint64_t redirects_not_followed = 0;
  uint64_t completed() const;
};

struct ExpectationResult {
  yaml::Location location;
  std::string what;  // "traffic hello: status 200"
  bool passed = false;
  // Not judged: the run could not observe what it needs (against a real gateway, metrics and
  // response flags are inside knowledge); `detail` says why. A skipped expectation never passes
  // and never fails.
  bool skipped = false;
  // The expectation cannot observe anything (a servedBy key that selects no pod of the run): an
  // error in the input, reported as ERROR and exit code 2, never a pass.
  bool invalid = false;
  std::string detail;  // what was seen; for distributions the counts and the interval
};

struct EventResult {
  std::chrono::nanoseconds at{0};  // virtual time
  std::string what;                // "kill pod default/hello-v1-0"
};

struct RunResult {
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 1;
  std::vector<std::string> warnings;
  std::vector<TrafficResult> traffic;
  std::vector<EventResult> events;  // the events that happened, in order
  std::vector<ExpectationResult> expectations;
  std::chrono::nanoseconds virtual_time{0};
  // No expectation failed (skipped ones do not count).
  bool passed() const;
  // Whether an expectation is invalid (ExpectationResult::invalid): exit code 2.
  bool invalid() const;
};

struct RunOptions {
  std::optional<uint64_t> seed;  // overrides the scenario's seed
  // Prometheus' scrape interval on virtual time: every proxy's metrics are stored in the run's
  // time-series database before the traffic starts, every interval while it runs, and when it
  // has finished (see driver::ScrapeClock). 0: only before and after.
  std::chrono::nanoseconds scrape_interval = std::chrono::seconds(15);
  // Called once the mesh is built, before any traffic: e.g. to enable access logs.
  std::function<void(Mesh& mesh)> on_mesh_ready;
  // Called when the traffic has finished, after the final scrape and before the expectations
  // are judged, with the mesh and every scrape of the run.
  std::function<void(const Mesh& mesh, const telemetry::Tsdb& tsdb)> on_finished;
};

// Runs `scenario`. Fails (exit 2 territory) when the mesh cannot be built from its manifests or
// a traffic stream cannot be started; a failed expectation is a result, not an error.
StatusOr<RunResult> runScenario(const Scenario& scenario, const RunOptions& options = {});

// The judging steps, for drivers other than runScenario() (a --target run, target.h).
// A failure of one request's upstream or response check in words ("" when it holds).
std::string checkUpstreamRequest(const Expectation& e, const proxy::http::Request& r);
std::string checkResponseMessage(const Expectation& e, const proxy::http::Response* r);
// The pod "namespace/name" of TrafficResult::served_by, or nullptr when unknown.
using PodLookup = std::function<const k8s::PodState*(const std::string& id)>;
// Whether a servedBy key can observe anything: it selects a pod of the run or a Deployment of
// the manifests (a misspelt key is an error, not a pass of 0%).
using KeyObserves = std::function<bool(const std::string& key)>;
// Judges the status, status share, error, responseFlags, attempts, latency and servedBy parts of
// a traffic expectation from `t`, appending one result per part.
void judgeTrafficExpectation(const Expectation& e, const TrafficResult& t,
                             const PodLookup& pod_ever, const KeyObserves& key_observes,
                             std::vector<ExpectationResult>& out);
// Whether `pod` is selected by a servedBy key: a Deployment or pod name, or a label selector
// ("version=v2,app=x").
bool podMatchesServedByKey(const k8s::PodState& pod, const std::string& key);
// Whether a Deployment of `deployments` (also one scaled to zero) matches a servedBy key.
bool deploymentMatchesServedByKey(const std::vector<k8s::Deployment>& deployments,
                                  const std::string& key);

// The default tolerance for an expected share `p` over `n` requests: the half-width of the
// 99.9% normal-approximation binomial interval, z * sqrt(p (1 - p) / n) with z = 3.29.
double defaultTolerance(double p, uint64_t n);

}  // namespace meshsim::sim::scenario
