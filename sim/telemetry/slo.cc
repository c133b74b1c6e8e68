#include "sim/telemetry/slo.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include <re2/re2.h>

#include "sim/telemetry/metric_query.h"

namespace meshsim::sim::telemetry {

namespace {

// `value` as a PromQL string literal.
std::string literal(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

StatusOr<std::vector<std::string>> sloQueries(const SloSpec& spec) {
  if (spec.service.empty()) {
    return invalidArgumentError("slo: service must not be empty");
  }
  if (spec.reporter != "source" && spec.reporter != "destination") {
    return invalidArgumentError("slo " + spec.service + ": reporter must be source or destination");
  }
  if (!re2::RE2(spec.error_codes, re2::RE2::Quiet).ok()) {
    return invalidArgumentError("slo " + spec.service + ": errorCodes " +
                                literal(spec.error_codes) + " is not a valid regular expression");
  }
  std::string range;
  if (spec.window) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*spec.window).count();
    if (ms < 1) {
      return invalidArgumentError("slo " + spec.service + ": window must be at least 1ms");
    }
    range = "[" + std::to_string(ms) + "ms]";
  }
  const bool fqdn = spec.service.find('.') != std::string::npos;
  const std::string selector = "reporter=" + literal(spec.reporter) + "," +
                               (fqdn ? "destination_service=" : "destination_service_name=") +
                               literal(spec.service);
  const auto counted = [&](const std::string& metric, const std::string& matchers) {
    const std::string sel = metric + "{" + matchers + "}";
    return spec.window ? "increase(" + sel + range + ")" : sel;
  };
  std::vector<std::string> out;
  out.push_back("sum(" + counted("istio_requests_total", selector) + ")");
  out.push_back(
      "sum(" +
      counted("istio_requests_total", selector + ",response_code=~" + literal(spec.error_codes)) +
      ")");
  for (double q : spec.quantiles) {
    if (!(q >= 0 && q <= 1)) {
      return invalidArgumentError("slo " + spec.service + ": quantile must be in [0, 1]");
    }
    char qs[32];
    std::snprintf(qs, sizeof(qs), "%.10g", q);
    out.push_back(std::string("histogram_quantile(") + qs + ", sum by (le) (" +
                  counted("istio_request_duration_milliseconds_bucket", selector) + "))");
  }
  return out;
}

StatusOr<SloMeasurement> measureSlo(const SloSpec& spec, const Tsdb& tsdb, VirtualTime at) {
  MESHSIM_ASSIGN_OR_RETURN(std::vector<std::string> queries, sloQueries(spec));
  std::vector<double> values;
  for (const auto& text : queries) {
    MESHSIM_ASSIGN_OR_RETURN(MetricQuery q, MetricQuery::parse(text));
    MESHSIM_ASSIGN_OR_RETURN(std::vector<Sample> result, q.evaluate(tsdb, at));
    values.push_back(result.empty() ? std::numeric_limits<double>::quiet_NaN()
                                    : result.front().value);
  }
  SloMeasurement m;
  m.requests = std::isnan(values[0]) ? 0 : values[0];
  m.errors = std::isnan(values[1]) ? 0 : values[1];
  m.error_rate = m.requests > 0 ? m.errors / m.requests : std::numeric_limits<double>::quiet_NaN();
  for (size_t i = 0; i < spec.quantiles.size(); ++i) {
    m.latency_ms.emplace_back(spec.quantiles[i], values[2 + i]);
  }
  return m;
}

}  // namespace meshsim::sim::telemetry
