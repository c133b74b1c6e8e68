#include "sim/scenario/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string_view>
#include <variant>

#include "sim/json.h"

namespace meshsim::sim::scenario {

namespace {

std::string share(uint64_t n, uint64_t total) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%5.1f%%",
                total == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(total));
  return buf;
}

// A latency as people read it: "850ms", "12.5ms", "0.25ms", "1.2s", "95s": milliseconds below a
// second, seconds from one, up to three significant digits and never in exponent form.
std::string formatLatency(uint64_t us) {
  const bool in_seconds = us >= 999'500;  // what rounds to 1000ms reads 1s
  const double v = static_cast<double>(us) / (in_seconds ? 1e6 : 1e3);
  const int decimals = v >= 100 ? 0 : v >= 10 ? 1 : v >= 1 ? 2 : 3;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  std::string out = buf;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') {
      out.pop_back();
    }
    if (out.back() == '.') {
      out.pop_back();
    }
  }
  return out + (in_seconds ? "s" : "ms");
}

// "1 request", "20 requests".
std::string requests(uint64_t n) {
  return std::to_string(n) + (n == 1 ? " request" : " requests");
}

// Virtual time as seconds with up to millisecond precision: "5s", "0.1s", "12.345s".
std::string seconds(std::chrono::nanoseconds t) {
  char buf[48];
  std::snprintf(
      buf, sizeof(buf), "%.3f",
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(t).count()) / 1e6);
  std::string out = buf;
  while (out.back() == '0') {
    out.pop_back();
  }
  if (out.back() == '.') {
    out.pop_back();
  }
  return out + "s";
}

}  // namespace

uint64_t percentileUs(const std::map<uint64_t, uint64_t>& latency_us, double q) {
  uint64_t total = 0;
  for (const auto& [us, n] : latency_us) {
    total += n;
  }
  if (total == 0) {
    return 0;
  }
  const auto rank = std::min<uint64_t>(
      total,
      std::max<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(total))), 1));
  uint64_t seen = 0;
  for (const auto& [us, n] : latency_us) {
    seen += n;
    if (seen >= rank) {
      return us;
    }
  }
  return latency_us.rbegin()->first;
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
    out +=
        "\ntraffic " + t.name + ": " + requests(t.sent) + " from " + t.from + " to " + t.url + "\n";
    for (const auto& [code, n] : t.status_counts) {
      std::string why;
      if (code == 0) {
        // Why no response came: "refused", "reset", "timeout", with counts when they are mixed.
        for (const auto& [reason, count] : t.errors) {
          why += (why.empty() ? "" : ", ") + reason +
                 (t.errors.size() > 1 ? " " + std::to_string(count) : "");
        }
      }
      out += "  status  " + (code == 0 ? std::string("---") : std::to_string(code)) + "  " +
             share(n, total) + "  (" + std::to_string(n) + ")" +
             (code == 0 ? "  no response" + (why.empty() ? "" : ": " + why) : "") + "\n";
    }
    for (const auto& [pod, n] : t.served_by) {
      out += "  served  " + share(n, total) + "  (" + std::to_string(n) + ")  " +
             (pod.empty() ? std::string("local reply (no app)") : "pod " + pod) + "\n";
    }
    for (const auto& chain : t.redirects) {
      std::string hops;
      for (const auto& hop : chain.hops) {
        hops += std::to_string(hop.status) + " -> " +
                (hop.next_url.empty() ? hop.location : hop.next_url) + ", ";
      }
      const bool stopped = !chain.hops.empty() && !chain.hops.back().not_followed.empty();
      out += "  redirects  " + share(chain.requests, total) + "  (" +
             std::to_string(chain.requests) + ")  " + (hops.empty() ? "none, " : hops) +
             (stopped ? "NOT FOLLOWED: " + chain.hops.back().not_followed
                      : (chain.final_status == 0 ? std::string("no response")
                                                 : std::to_string(chain.final_status))) +
             "\n";
    }
    out += "  latency p50 " + formatLatency(percentileUs(t.latency_us, 0.5)) + "  p99 " +
           formatLatency(percentileUs(t.latency_us, 0.99)) + "  (virtual time)\n";
  }
  if (!r.events.empty()) {
    out += "\nevents\n";
    for (const auto& e : r.events) {
      out += "  at " + seconds(e.at) + "  " + e.what + "\n";
    }
  }
  size_t failed = 0;
  size_t skipped = 0;
  if (!r.expectations.empty()) {
    out += "\nexpectations\n";
  }
  for (const auto& e : r.expectations) {
    failed += e.passed || e.skipped ? 0 : 1;
    skipped += e.skipped ? 1 : 0;
    const char* verdict =
        e.passed ? "  PASS  " : (e.skipped ? "  SKIP  " : (e.invalid ? "  ERROR " : "  FAIL  "));
    out += verdict + e.location.toString() + "  " + e.what + "\n";
    if (!e.detail.empty()) {
      out += "        " + e.detail + "\n";
    }
  }
  out += "\n" +
         std::string(r.invalid()   ? "ERROR"
                     : failed == 0 ? "PASS"
                                   : "FAIL") +
         "  " + r.name + ": " + std::to_string(r.expectations.size() - failed - skipped) + " of " +
         std::to_string(r.expectations.size()) + " expectations held" +
         (skipped == 0 ? "" : ", " + std::to_string(skipped) + " not judged") + "\n";
  return out;
}

namespace {

// The length of the well-formed UTF-8 sequence at the start of `in` that XML 1.0 allows, or 0.
size_t validUtf8Length(std::string_view in) {
  const auto b0 = static_cast<unsigned char>(in[0]);
  size_t n = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) {
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (in.size() < n) {
    return 0;
  }
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(in[i]);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};  // no overlong forms
  const bool allowed = cp >= smallest[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) &&
                       cp != 0xFFFE && cp != 0xFFFF;
  return allowed ? n : 0;
}

// Escapes `in` for XML 1.0 text or, with `attribute`, a double-quoted attribute value (where
// line breaks and tabs are written as character references so that parsers keep them). Bytes
// that XML cannot carry (control characters, malformed UTF-8, e.g. from a binary response body)
// become U+FFFD, so the document always stays well formed.
std::string xmlEscape(std::string_view in, bool attribute = false) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
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
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      case '\r':
        out += "&#13;";
        break;
      default: {
        const size_t n = static_cast<unsigned char>(c) < 0x20 ? 0 : validUtf8Length(in.substr(i));
        if (n == 0) {
          out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
          ++i;
          continue;
        }
        out.append(in.substr(i, n));
        i += n;
        continue;
      }
    }
    ++i;
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
    out += i == 0 ? "{" : ", {";
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
    out += ", \"latencyUs\": {\"p50\": " + std::to_string(percentileUs(t.latency_us, 0.5)) +
           ", \"p99\": " + std::to_string(percentileUs(t.latency_us, 0.99)) + "}";
    if (!t.redirects.empty()) {
      // Each chain: its hops (status, location, the URL followed or why not) and final status.
      out += ", \"redirects\": [";
      for (size_t c = 0; c < t.redirects.size(); ++c) {
        const auto& chain = t.redirects[c];
        out += std::string(c == 0 ? "" : ", ") +
               "{\"requests\": " + std::to_string(chain.requests) + ", \"hops\": [";
        for (size_t h = 0; h < chain.hops.size(); ++h) {
          const auto& hop = chain.hops[h];
          out += std::string(h == 0 ? "" : ", ") + "{\"status\": " + std::to_string(hop.status) +
                 ", \"location\": ";
          appendJsonString(out, hop.location);
          if (hop.not_followed.empty()) {
            out += ", \"followed\": ";
            appendJsonString(out, hop.next_url);
          } else {
            out += ", \"notFollowed\": ";
            appendJsonString(out, hop.not_followed);
          }
          out += "}";
        }
        out += "], \"finalStatus\": " + std::to_string(chain.final_status) + "}";
      }
      out += "], \"redirectsNotFollowed\": " + std::to_string(t.redirects_not_followed);
    }
    out += "}";
  }
  out += "], \"events\": [";
  for (size_t i = 0; i < r.events.size(); ++i) {
    out += i == 0 ? "{" : ", {";
    out += "\"atMs\": " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(r.events[i].at).count()) +
           ", \"what\": ";
    appendJsonString(out, r.events[i].what);
    out += "}";
  }
  out += "], \"expectations\": [";
  for (size_t i = 0; i < r.expectations.size(); ++i) {
    const ExpectationResult& e = r.expectations[i];
    out += i == 0 ? "{" : ", {";
    out += "\"location\": ";
    appendJsonString(out, e.location.toString());
    out += ", \"what\": ";
    appendJsonString(out, e.what);
    out += ", \"passed\": " + std::string(e.passed ? "true" : "false");
    if (e.skipped) {
      out += ", \"skipped\": true";
    }
    if (e.invalid) {
      out += ", \"invalid\": true";
    }
    out += ", \"detail\": ";
    appendJsonString(out, e.detail);
    out += "}";
  }
  out += "]}\n";
  return out;
}

std::string jsonErrorReport(const RunError& error) {
  std::string out = "{\"file\": ";
  appendJsonString(out, error.file);
  out += ", \"passed\": false, \"error\": ";
  appendJsonString(out, error.message);
  out += ", \"warnings\": [";
  for (size_t i = 0; i < error.warnings.size(); ++i) {
    out += i == 0 ? "" : ", ";
    appendJsonString(out, error.warnings[i]);
  }
  out += "]}\n";
  return out;
}

namespace {

std::string xmlAttribute(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + xmlEscape(value, /*attribute=*/true) + "\"";
}

std::string junitProperty(std::string_view name, std::string_view value) {
  return "      <property" + xmlAttribute("name", name) + xmlAttribute("value", value) + "/>\n";
}

// A suite's warnings (kinds left out by --allow-unmodelled, Istio analysis), where CI systems
// show a suite's output.
void appendJunitWarnings(std::string& out, const std::vector<std::string>& warnings) {
  if (warnings.empty()) {
    return;
  }
  out += "    <system-err>";
  for (const auto& w : warnings) {
    out += xmlEscape("warning: " + w + "\n");
  }
  out += "</system-err>\n";
}

size_t failedExpectations(const RunResult& r) {
  return static_cast<size_t>(std::count_if(
      r.expectations.begin(), r.expectations.end(),
      [](const ExpectationResult& e) { return !e.passed && !e.skipped && !e.invalid; }));
}

size_t skippedExpectations(const RunResult& r) {
  return static_cast<size_t>(std::count_if(r.expectations.begin(), r.expectations.end(),
                                           [](const ExpectationResult& e) { return e.skipped; }));
}

size_t invalidExpectations(const RunResult& r) {
  return static_cast<size_t>(std::count_if(r.expectations.begin(), r.expectations.end(),
                                           [](const ExpectationResult& e) { return e.invalid; }));
}

void appendJunitSuite(std::string& out, const RunResult& r) {
  out += "  <testsuite" + xmlAttribute("name", r.name) +
         xmlAttribute("tests", std::to_string(r.expectations.size())) +
         xmlAttribute("failures", std::to_string(failedExpectations(r))) +
         xmlAttribute("errors", std::to_string(invalidExpectations(r))) +
         xmlAttribute("skipped", std::to_string(skippedExpectations(r))) + " time=\"0\">\n";
  out += "    <properties>\n";
  out += junitProperty("file", r.file);
  out += junitProperty("seed", std::to_string(r.seed));
  out += junitProperty(
      "virtualTimeMs",
      std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(r.virtual_time).count()));
  out += "    </properties>\n";
  // A test case's name is what it checks, without the line: CI systems track a test's history
  // by name, and editing the file above an expectation must not make it a new test. The same
  // check twice in one file gets " #2", " #3" in file order. The location is in the failure.
  std::map<std::string, int> seen;
  for (const auto& e : r.expectations) {
    const int n = ++seen[e.what];
    const std::string name = n == 1 ? e.what : e.what + " #" + std::to_string(n);
    out += "    <testcase" + xmlAttribute("name", name) + xmlAttribute("classname", r.name) +
           " time=\"0\"";
    if (e.passed) {
      out += "/>\n";
      continue;
    }
    if (e.skipped) {
      out += ">\n      <skipped" + xmlAttribute("message", e.detail) + "/>\n    </testcase>\n";
      continue;
    }
    const char* element = e.invalid ? "error" : "failure";
    out += ">\n      <" + std::string(element) +
           xmlAttribute("message", e.location.toString() + ": " + e.detail) +
           (e.invalid ? " type=\"InvalidExpectation\">" : " type=\"ExpectationFailed\">") +
           xmlEscape(e.location.toString() + ": " + e.what + ": " + e.detail) + "</" + element +
           ">\n    </testcase>\n";
  }
  appendJunitWarnings(out, r.warnings);
  out += "  </testsuite>\n";
}

void appendJunitSuite(std::string& out, const RunError& error) {
  out += "  <testsuite" + xmlAttribute("name", error.file) +
         " tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">\n";
  out += "    <properties>\n" + junitProperty("file", error.file) + "    </properties>\n";
  out += "    <testcase" + xmlAttribute("name", "load and run " + error.file) +
         xmlAttribute("classname", error.file) + " time=\"0\">\n";
  out += "      <error" + xmlAttribute("message", error.message) + " type=\"InvalidInput\">" +
         xmlEscape(error.message) + "</error>\n";
  out += "    </testcase>\n";
  appendJunitWarnings(out, error.warnings);
  out += "  </testsuite>\n";
}

}  // namespace

std::string junitReport(const std::vector<FileOutcome>& outcomes) {
  size_t tests = 0;
  size_t failures = 0;
  size_t errors = 0;
  for (const auto& outcome : outcomes) {
    if (const auto* r = std::get_if<RunResult>(&outcome)) {
      tests += r->expectations.size();
      failures += failedExpectations(*r);
      errors += invalidExpectations(*r);
    } else {
      ++tests;
      ++errors;
    }
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"meshsim\"" + xmlAttribute("tests", std::to_string(tests)) +
         xmlAttribute("failures", std::to_string(failures)) +
         xmlAttribute("errors", std::to_string(errors)) + " time=\"0\">\n";
  for (const auto& outcome : outcomes) {
    std::visit([&out](const auto& o) { appendJunitSuite(out, o); }, outcome);
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace meshsim::sim::scenario
