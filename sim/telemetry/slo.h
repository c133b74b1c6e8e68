#pragma once

// File: sim/telemetry/slo.h
//
// Service level objectives measured from the same metrics as everything else: a service's error
// rate and latency percentiles, over the whole run or over a window ending at an evaluation
// time. The measurement is a set of PromQL queries (see sloQueries()), so what an SLO reports
// can be reproduced with `meshsim metrics --query`.
//
// Example:
//   SloSpec spec{.service = "hello.default.svc.cluster.local", .quantiles = {0.5, 0.99}};
//   SloMeasurement m = measureSlo(spec, tsdb, end).value();
//   bool ok = m.requests > 0 && m.error_rate < 0.01 && m.latency_ms[1].second < 50;

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/core/status.h"
#include "sim/telemetry/tsdb.h"

namespace meshsim::sim::telemetry {

struct SloSpec {
  // The service: its FQDN (destination_service, "hello.default.svc.cluster.local") or, without
  // a dot, its short name (destination_service_name).
  std::string service;
  // Whose view counts: "source" (default: what callers saw, including requests that never
  // reached a pod, such as 503 UH, and one sample per request even when retried) or
  // "destination" (what the service's sidecars saw, one sample per attempt).
  std::string reporter = "source";
  // response_code values that count as errors (an RE2, fully anchored): 5xx and no response by
  // default.
  std::string error_codes = "5..|0";
  // Latency quantiles to measure, each in [0, 1].
  std::vector<double> quantiles;
  // Measure over [at - window, at] with increase(); without a window, over everything counted
  // up to `at` (the whole run when `at` is its end).
  std::optional<VirtualTime> window;
};

struct SloMeasurement {
  double requests = 0;
  double errors = 0;
  // errors / requests; NaN without requests.
  double error_rate = 0;
  // (quantile, milliseconds) per requested quantile, in the order given; NaN without requests.
  std::vector<std::pair<double, double>> latency_ms;
};

// The PromQL the measurement evaluates: total requests, errors, then one query per quantile.
StatusOr<std::vector<std::string>> sloQueries(const SloSpec& spec);

// Measures `spec` on `tsdb` at `at`. Fails on a bad spec (empty service, bad error_codes, a
// quantile outside [0, 1], a window shorter than 1 ms).
StatusOr<SloMeasurement> measureSlo(const SloSpec& spec, const Tsdb& tsdb, VirtualTime at);

}  // namespace meshsim::sim::telemetry
