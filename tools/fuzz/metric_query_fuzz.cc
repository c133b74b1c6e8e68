// File: tools/fuzz/metric_query_fuzz.cc
//
// libFuzzer target for the PromQL-subset query language (sim/telemetry/metric_query.h). Each
// input is one query text, checked for:
//   - no crash, hang, uncaught exception or sanitizer report, whatever the bytes;
//   - a refused query gets InvalidArgument naming a column inside the text (or just past it),
//     and a leading space moves that column by one and changes nothing else;
//   - a query that parses evaluates, at time 0 on an empty Tsdb and at 60 s on a small one
//     with counters and a histogram, to a result or an error with a message; a scalar query
//     yields exactly one sample; evaluateScalar() agrees with evaluate(); and the overloads
//     over a sample list agree with a Tsdb holding that one scrape.
// A broken property aborts through MESHSIM_CHECK, which libFuzzer reports as a crash.

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/assert.h"
#include "sim/telemetry/metric_query.h"
#include "sim/telemetry/tsdb.h"

namespace {

namespace telemetry = meshsim::sim::telemetry;
using telemetry::Sample;
using telemetry::VirtualTime;

// Queries are one line in a scenario; longer inputs only make each execution slower.
constexpr size_t kMaxInput = 4096;

// The column of "metric query: column N: ...", or 0.
size_t columnOf(const std::string& message) {
  constexpr std::string_view kPrefix = "metric query: column ";
  if (!message.starts_with(kPrefix)) {
    return 0;
  }
  return std::strtoul(message.c_str() + kPrefix.size(), nullptr, 10);
}

bool sameValue(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

bool sameSamples(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].labels != b[i].labels ||
        !sameValue(a[i].value, b[i].value)) {
      return false;
    }
  }
  return true;
}

// A minute of Istio-like metrics, scraped every 15 s: two counters that grow (one resets), and
// a histogram, so that rate(), increase() and histogram_quantile() see real points.
const telemetry::Tsdb& smallTsdb() {
  static const telemetry::Tsdb* tsdb = [] {
    auto* db = new telemetry::Tsdb();
    for (int i = 0; i <= 4; ++i) {
      const double n = 10.0 * i;
      std::vector<Sample> scrape = {
          {"istio_requests_total", {{"reporter", "source"}, {"response_code", "200"}}, 9 * n},
          {"istio_requests_total", {{"reporter", "source"}, {"response_code", "503"}}, n},
          {"c_total", {{"pod", "a"}}, i == 3 ? 1.0 : n},
      };
      double cumulative = 0;
      for (const char* le : {"1", "10", "100", "+Inf"}) {
        cumulative += n;
        scrape.push_back({"d_bucket", {{"le", le}}, cumulative});
      }
      db->scrape(std::chrono::seconds(15 * i), scrape);
    }
    return db;
  }();
  return *tsdb;
}

void checkEvaluation(const telemetry::MetricQuery& q, const telemetry::Tsdb& tsdb, VirtualTime at) {
  auto vector = q.evaluate(tsdb, at);
  auto scalar = q.evaluateScalar(tsdb, at);
  if (!vector.ok()) {
    MESHSIM_CHECK(vector.status().code() == meshsim::StatusCode::InvalidArgument);
    MESHSIM_CHECK(!vector.status().message().empty());
    MESHSIM_CHECK(!scalar.ok());
    return;
  }
  if (q.returnsScalar()) {
    MESHSIM_CHECK(vector->size() == 1);
  }
  if (vector->empty()) {
    MESHSIM_CHECK(scalar.ok() && *scalar == 0);
  } else if (vector->size() == 1) {
    MESHSIM_CHECK(scalar.ok() && sameValue(*scalar, vector->front().value));
  } else {
    MESHSIM_CHECK(!scalar.ok() && !scalar.status().message().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) {
    return 0;
  }
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto q = telemetry::MetricQuery::parse(text);
  auto spaced = telemetry::MetricQuery::parse(" " + text);
  MESHSIM_CHECK(q.ok() == spaced.ok());
  if (!q.ok()) {
    MESHSIM_CHECK(q.status().code() == meshsim::StatusCode::InvalidArgument);
    const size_t column = columnOf(q.status().message());
    MESHSIM_CHECK(column >= 1 && column <= text.size() + 1);
    MESHSIM_CHECK(columnOf(spaced.status().message()) == column + 1);
    return 0;
  }
  MESHSIM_CHECK(q->text() == text);
  MESHSIM_CHECK(q->returnsScalar() == spaced->returnsScalar());

  const telemetry::Tsdb empty;
  checkEvaluation(*q, empty, VirtualTime{0});
  checkEvaluation(*q, smallTsdb(), std::chrono::seconds(60));

  // The sample-list overloads are a Tsdb with that one scrape at time 0.
  auto at_zero = q->evaluate(empty, VirtualTime{0});
  const std::vector<Sample> listed = q->evaluate(std::vector<Sample>{});
  MESHSIM_CHECK(sameSamples(listed, at_zero.ok() ? *at_zero : std::vector<Sample>{}));
  auto scalar = q->evaluateScalar(std::vector<Sample>{});
  auto scalar_tsdb = q->evaluateScalar(empty, VirtualTime{0});
  MESHSIM_CHECK(scalar.ok() == scalar_tsdb.ok());
  MESHSIM_CHECK(!scalar.ok() || sameValue(*scalar, *scalar_tsdb));
  return 0;
}
