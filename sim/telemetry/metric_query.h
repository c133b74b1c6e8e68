#pragma once

// File: sim/telemetry/metric_query.h
//
// A query language over the metrics every proxy records: the PromQL subset that SLO dashboards
// and scenario expectations use, with Prometheus' semantics.
//
// - Selectors: `name`, `name{label="v", label!="v", label=~"re", label!~"re"}`,
// `{__name__=~"..."}`;
//   regexes are RE2, fully anchored. A missing label equals "". Range selectors `name{...}[5m]`
//   (units ms, s, m, h, d, w, y; combined as 1m30s; at most 100y), `offset 5m` after a
//   selector.
// - Aggregations sum, count, avg, min, max, with `by (...)` or `without (...)` before or after
//   the argument.
// - Functions: rate, increase (Prometheus' extrapolation, counter resets handled),
//   histogram_quantile, vector, scalar, time, abs, clamp_min, clamp_max.
// - Binary operators, loosest first: or; and, unless; == != < <= > >= (with `bool`: 0 or 1);
//   + -; * / %; ^ (right-associative). Vector-vector operators match series with identical
//   label sets, or as `on (...)` / `ignoring (...)` say (one-to-one only: group_left and
//   group_right are not supported). Number literals (1, 0.5, 1e3, Inf, NaN), unary minus,
//   parentheses.
//
// Evaluation is at a virtual time over a Tsdb (see tsdb.h for the lookback and staleness rules),
// or over a single set of samples taken "now" (where range functions see one point per series
// and so return nothing). Parse errors name the column and show it:
//   metric query: column 43: expected ',' or '}'
//     sum(istio_requests_total{reporter="source")
//                                               ^
//
// Example:
//   auto q = MetricQuery::parse(R"(sum(istio_requests_total{reporter="source"}))");
//   double v = q->evaluateScalar(samples).value();
//   auto p99 = MetricQuery::parse(
//       "histogram_quantile(0.99, sum by (le)
//       (rate(istio_request_duration_milliseconds_bucket[1m])))");
//   double ms = p99->evaluateScalar(tsdb, std::chrono::seconds(60)).value();

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/telemetry/sample.h"
#include "sim/telemetry/tsdb.h"

namespace meshsim::sim::telemetry {

class MetricQuery {
public:
  // Parses and type-checks `text`. Errors are InvalidArgument and name the column (1-based)
  // of the offending character, followed by the query and a caret under it.
  static StatusOr<MetricQuery> parse(const std::string& text);

  // Evaluates at virtual time `at` over `tsdb` to an instant vector; a scalar result is one
  // sample without name or labels. Samples of aggregations are ordered by their labels, other
  // results keep the order of their input. Fails (InvalidArgument, naming the column) on
  // errors only evaluation finds, such as several series matching one in a binary operation.
  StatusOr<std::vector<Sample>> evaluate(const Tsdb& tsdb, VirtualTime at) const;
  // As evaluate(), as one number: the scalar, or the value of the single resulting sample, or 0
  // when the result is empty (no matching series: nothing was counted). Fails when several
  // series result.
  StatusOr<double> evaluateScalar(const Tsdb& tsdb, VirtualTime at) const;

  // Evaluates over `samples` as the only scrape, taken at time 0. Returns an empty vector when
  // evaluation fails.
  std::vector<Sample> evaluate(const std::vector<Sample>& samples) const;
  // As evaluateScalar(tsdb, at), over `samples` as the only scrape.
  StatusOr<double> evaluateScalar(const std::vector<Sample>& samples) const;

  // Checks the metric and label names the query mentions against `known` (series name -> its
  // label names; see knownSeries()): a metric name no series has, or a label name the selected
  // series (for by/without/on/ignoring: any series) never carry, is an InvalidArgument naming
  // its column. Such a query could only ever select nothing, so a comparison with 0 would pass
  // whatever happened. `__name__` and `le` are always known.
  Status checkNames(const std::map<std::string, std::set<std::string>>& known) const;

  // Whether the query yields a scalar (e.g. `1 + 2`, `scalar(...)`) rather than a vector.
  bool returnsScalar() const;
  const std::string& text() const { return text_; }

  struct Node;

private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace meshsim::sim::telemetry
