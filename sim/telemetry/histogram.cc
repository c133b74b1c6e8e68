#include "sim/telemetry/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace meshsim::sim::telemetry {

double bucketQuantile(double q, std::vector<Bucket> buckets) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (std::isnan(q)) {
    return kNaN;
  }
  if (q < 0) {
    return -kInf;
  }
  if (q > 1) {
    return kInf;
  }
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (buckets.empty() || !std::isinf(buckets.back().upper_bound)) {
    return kNaN;
  }
  // Coalesce buckets with the same bound (Prometheus sums them), then force monotonic counts.
  std::vector<Bucket> merged;
  for (const Bucket& b : buckets) {
    if (!merged.empty() && merged.back().upper_bound == b.upper_bound) {
      merged.back().count += b.count;
    } else {
      merged.push_back(b);
    }
  }
  double max = -kInf;
  for (Bucket& b : merged) {
    max = std::max(max, b.count);
    b.count = max;
  }
  if (merged.size() < 2) {
    return kNaN;
  }
  const double observations = merged.back().count;
  if (observations == 0) {
    return kNaN;
  }
  double rank = q * observations;
  size_t b = 0;
  while (b < merged.size() - 1 && merged[b].count < rank) {
    ++b;
  }
  if (b == merged.size() - 1) {
    return merged[merged.size() - 2].upper_bound;
  }
  if (b == 0 && merged[0].upper_bound <= 0) {
    return merged[0].upper_bound;
  }
  double start = 0;
  const double end = merged[b].upper_bound;
  double count = merged[b].count;
  if (b > 0) {
    start = merged[b - 1].upper_bound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace meshsim::sim::telemetry
