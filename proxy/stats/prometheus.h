#pragma once

// File: proxy/stats/prometheus.h
//
// Istio's standard metrics of a set of proxies in the Prometheus text exposition format (0.0.4),
// as Envoy's /stats/prometheus writes them: one "# TYPE" line per family (no "# HELP"; Envoy
// writes none for Istio's metrics), then the samples; a histogram series is its
// `_bucket{...,le="0.5"}` ... `le="+Inf"` lines, then `_sum` and `_count`. Bucket bounds and
// values are printed with "%.32g" (so 0.5, 1, 3600000: never an exponent).
//
// Several proxies in one exposition: each series carries its proxy's target labels after
// Istio's labels (and before `le`). The simulator uses the labels Prometheus' kubernetes-pods
// scrape job adds, namespace="<pod namespace>" and pod="<pod name>", which keeps every series
// unique and matches what PromQL over a real Istio installation sees.
//
// Example:
//   std::vector<ScrapeTarget> targets = {{&gateway.stats(), {{"namespace", "istio-system"},
//                                                            {"pod", "istio-ingressgateway-0"}}}};
//   std::cout << renderPrometheusText(collectIstioMetrics(targets));

#include <string>
#include <vector>

#include "proxy/stats/istio_stats.h"

namespace meshsim::proxy::stats {

// One proxy's metrics as a scrape job sees them: the stats and the labels the job attaches to
// every series it scrapes from this target.
struct ScrapeTarget {
  const IstioStats* stats = nullptr;  // not owned; must outlive the call it is passed to
  Labels target_labels;
};

enum class MetricType { Counter, Gauge, Histogram };

// One exposition line: `name{labels} value`. For histograms `name` has the _bucket, _sum or
// _count suffix and bucket lines end with the `le` label.
struct MetricPoint {
  std::string name;
  Labels labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;  // without suffixes: istio_request_duration_milliseconds
  MetricType type = MetricType::Counter;
  std::vector<MetricPoint> points;  // in exposition order
  // Written as a "# HELP" line before "# TYPE" when not empty. Istio's families have none, as
  // Envoy writes none for them; a process's own families (meshsim serve's socket counters) do.
  std::string help;
};

// The names of the families, in the order collectIstioMetrics() returns them.
inline constexpr const char* kRequestsTotal = "istio_requests_total";
inline constexpr const char* kRequestDuration = "istio_request_duration_milliseconds";
inline constexpr const char* kRequestBytes = "istio_request_bytes";
inline constexpr const char* kResponseBytes = "istio_response_bytes";

// Istio's HTTP metric families of `targets`: istio_requests_total,
// istio_request_duration_milliseconds, istio_request_bytes, istio_response_bytes, in that order.
// Within a family: targets in the given order, each target's series in first-recorded order
// (deterministic for a deterministic run). Families without any series are left out, as Envoy
// creates Istio's metrics on first use.
std::vector<MetricFamily> collectIstioMetrics(const std::vector<ScrapeTarget>& targets);

// The Prometheus text format of `families`, each with its "# HELP" line (when it has help text)
// and its "# TYPE" line; ends with a newline unless empty. Label values are escaped (\\, \",
// \n) and help text is escaped (\\, \n) as the format requires. A family without points is
// still written (its HELP and TYPE lines), as for a counter that has no series yet.
std::string renderPrometheusText(const std::vector<MetricFamily>& families);

// "%.32g" of `v`; "+Inf", "-Inf" and "NaN" as Prometheus spells them.
std::string formatPrometheusValue(double v);

}  // namespace meshsim::proxy::stats
