#pragma once

// File: sim/telemetry/histogram.h
//
// Quantiles from Prometheus histogram buckets, computed as PromQL's histogram_quantile() does.

#include <vector>

namespace meshsim::sim::telemetry {

// One cumulative bucket: observations <= upper_bound.
struct Bucket {
  double upper_bound = 0;
  double count = 0;
};

// The q-quantile of the observations in `buckets` (any order; one must be +Inf), interpolated
// linearly inside the bucket that holds it, exactly as Prometheus 2.x's bucketQuantile():
// NaN without a +Inf bucket, with fewer than two buckets or no observations; -Inf for q < 0 and
// +Inf for q > 1; the highest finite bound when the quantile falls in the +Inf bucket; the
// lowest bucket starts at 0 (unless its bound is <= 0). Non-monotonic counts (from rate()
// over separately scraped buckets) are made monotonic first.
double bucketQuantile(double q, std::vector<Bucket> buckets);

}  // namespace meshsim::sim::telemetry
