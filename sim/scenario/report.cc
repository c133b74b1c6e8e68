#include "sim/scenario/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace meshsim::sim::scenario {

namespace {

std::string share(uint64_t n, uint64_t total) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%5.1f%%",
                total == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(total));
  return buf;
}

std::string millis(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3gms", static_cast<double>(us) / 1000.0);
  return buf;
}

}  // namespace

uint64_t percentileUs(std::vector<uint64_t> latencies_us, double q) {
  if (latencies_us.empty()) {
    return 0;
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(latencies_us.size())));
  return latencies_us[std::min(latencies_us.size(), std::max<size_t>(rank, 1)) - 1];
}

std::string textReport(const RunResult& r) {
  std::string out;
  out += "scenario " + r.name + " (" + r.file + "), seed " + std::to_string(r.seed) + "\n";
  if (!r.description.empty()) {
    out += "  " + r.description + "\n";
  }
  for (const auto& w : r.warnings) {
    out += "  warning: " + w + "\n";
  }
  for (const auto& t : r.traffic) {
    const uint64_t total = t.completed();
    out += "\ntraffic " + t.name + ": " + std::to_string(t.sent) + " requests from " + t.from +
           " to " + t.url + "\n";
    for (const auto& [code, n] : t.status_counts) {
      out += "  status  " + (code == 0 ? std::string("---") : std::to_string(code)) + "  " +
             share(n, total) + "  (" + std::to_string(n) + ")" +
             (code == 0 ? "  no response" : "") + "\n";
    }
    for (const auto& [pod, n] : t.served_by) {
      out += "  served  " + share(n, total) + "  (" + std::to_string(n) + ")  " +
             (pod.empty() ? std::string("local reply (no app)") : "pod " + pod) + "\n";
    }
    out += "  latency p50 " + millis(percentileUs(t.latencies_us, 0.5)) + "  p99 " +
           millis(percentileUs(t.latencies_us, 0.99)) + "  (virtual time)\n";
  }
  size_t failed = 0;
  if (!r.expectations.empty()) {
    out += "\nexpectations\n";
  }
  for (const auto& e : r.expectations) {
    failed += e.passed ? 0 : 1;
    out += std::string(e.passed ? "  PASS  " : "  FAIL  ") + e.location.toString() + "  " + e.what +
           "\n";
    if (!e.detail.empty()) {
      out += "        " + e.detail + "\n";
    }
  }
  out += "\n" + std::string(failed == 0 ? "PASS" : "FAIL") + "  " + r.name + ": " +
         std::to_string(r.expectations.size() - failed) + " of " +
         std::to_string(r.expectations.size()) + " expectations held\n";
  return out;
}

}  // namespace meshsim::sim::scenario
