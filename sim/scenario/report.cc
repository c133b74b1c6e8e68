#include "sim/scenario/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/json.h"

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

namespace {

std::string xmlEscape(std::string_view in) {
  std::string out;
  for (const char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';  // not allowed in XML 1.0
        } else {
          out += c;
        }
    }
  }
  return out;
}

template <typename Map, typename Key>
void appendCounts(std::string& out, const Map& counts, Key key) {
  out += "{";
  bool first = true;
  for (const auto& [k, n] : counts) {
    out += first ? "" : ", ";
    first = false;
    appendJsonString(out, key(k));
    out += ": " + std::to_string(n);
  }
  out += "}";
}

}  // namespace

std::string jsonReport(const RunResult& r) {
  std::string out = "{\"scenario\": ";
  appendJsonString(out, r.name);
  out += ", \"file\": ";
  appendJsonString(out, r.file);
  out += ", \"seed\": " + std::to_string(r.seed);
  out += ", \"passed\": " + std::string(r.passed() ? "true" : "false");
  out +=
      ", \"virtualTimeMs\": " +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(r.virtual_time).count());
  out += ", \"warnings\": [";
  for (size_t i = 0; i < r.warnings.size(); ++i) {
    out += i == 0 ? "" : ", ";
    appendJsonString(out, r.warnings[i]);
  }
  out += "], \"traffic\": [";
  for (size_t i = 0; i < r.traffic.size(); ++i) {
    const TrafficResult& t = r.traffic[i];
    out += i == 0 ? "\n  {" : ",\n  {";
    out += "\"name\": ";
    appendJsonString(out, t.name);
    out += ", \"from\": ";
    appendJsonString(out, t.from);
    out += ", \"url\": ";
    appendJsonString(out, t.url);
    out += ", \"sent\": " + std::to_string(t.sent) + ", \"status\": ";
    appendCounts(out, t.status_counts, [](int code) { return std::to_string(code); });
    out += ", \"servedBy\": ";
    appendCounts(out, t.served_by,
                 [](const std::string& pod) { return pod.empty() ? std::string("-") : pod; });
    out += ", \"responseFlags\": ";
    appendCounts(out, t.response_flags, [](const std::string& f) { return f; });
    out += ", \"errors\": ";
    appendCounts(out, t.errors, [](const std::string& e) { return e; });
    out += ", \"latencyUs\": {\"p50\": " + std::to_string(percentileUs(t.latencies_us, 0.5)) +
           ", \"p99\": " + std::to_string(percentileUs(t.latencies_us, 0.99)) + "}}";
  }
  out += "], \"expectations\": [";
  for (size_t i = 0; i < r.expectations.size(); ++i) {
    const ExpectationResult& e = r.expectations[i];
    out += i == 0 ? "\n  {" : ",\n  {";
    out += "\"location\": ";
    appendJsonString(out, e.location.toString());
    out += ", \"what\": ";
    appendJsonString(out, e.what);
    out += ", \"passed\": " + std::string(e.passed ? "true" : "false") + ", \"detail\": ";
    appendJsonString(out, e.detail);
    out += "}";
  }
  out += "]}\n";
  return out;
}

std::string junitReport(const std::vector<RunResult>& results) {
  size_t tests = 0;
  size_t failures = 0;
  for (const auto& r : results) {
    for (const auto& e : r.expectations) {
      ++tests;
      failures += e.passed ? 0 : 1;
    }
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"meshsim\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
         std::to_string(failures) + "\">\n";
  for (const auto& r : results) {
    size_t suite_failures = 0;
    for (const auto& e : r.expectations) {
      suite_failures += e.passed ? 0 : 1;
    }
    out += "  <testsuite name=\"" + xmlEscape(r.name) + "\" tests=\"" +
           std::to_string(r.expectations.size()) + "\" failures=\"" +
           std::to_string(suite_failures) + "\" errors=\"0\" skipped=\"0\" file=\"" +
           xmlEscape(r.file) + "\">\n";
    for (const auto& e : r.expectations) {
      out += "    <testcase classname=\"" + xmlEscape(r.name) + "\" name=\"" +
             xmlEscape(e.location.toString() + " " + e.what) + "\"";
      if (e.passed) {
        out += "/>\n";
      } else {
        out += ">\n      <failure message=\"" + xmlEscape(e.detail) + "\">" +
               xmlEscape(e.what + ": " + e.detail) + "</failure>\n    </testcase>\n";
      }
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace meshsim::sim::scenario
