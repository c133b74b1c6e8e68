#pragma once

// File: sim/telemetry/metric_query.h
//
// Metric samples as Prometheus would scrape them from every proxy, and a query language over
// them: the PromQL subset that expectations use. This version understands instant vector
// selectors with =, !=, =~, !~ matchers and the aggregations sum, count, min, max and avg
// (optionally `by (label, ...)`).
//
// Example:
//   auto q = MetricQuery::parse(R"(sum(istio_requests_total{reporter="source"}))");
//   double v = q->evaluateScalar(samples).value();

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/core/status.h"

namespace meshsim::sim::telemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

class MetricQuery {
public:
  // Parses `text`. Errors name the column: "column 24: expected '}' ...".
  static StatusOr<MetricQuery> parse(const std::string& text);

  // Evaluates to an instant vector.
  std::vector<Sample> evaluate(const std::vector<Sample>& samples) const;
  // Evaluates to one number: the value of the single resulting sample, 0 when the result is
  // empty (no matching series: nothing was counted). Fails when several series result.
  StatusOr<double> evaluateScalar(const std::vector<Sample>& samples) const;

  const std::string& text() const { return text_; }

  struct Node;

private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace meshsim::sim::telemetry
