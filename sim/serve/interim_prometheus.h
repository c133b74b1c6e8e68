#pragma once

// File: sim/serve/interim_prometheus.h
//
// INTERIM: the Prometheus text of `meshsim serve`'s admin page, rendered here until the
// exposition in proxy/stats/prometheus.h is settled; swap interimIstioPrometheusText() for
// stats::renderPrometheusText(stats::collectIstioMetrics(targets)) then. Only
// istio_requests_total and istio_request_duration_milliseconds are written.
//
// The format is the text exposition format 0.0.4: "# HELP" and "# TYPE" per family, then its
// samples; histogram bucket bounds printed with "%.32g" (0.5, 1, 3600000), label values escaped.
//
// Example:
//   std::string text = interimIstioPrometheusText({{&proxy->stats(), {{"pod", "hello-0"}}}});

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/stats/istio_stats.h"

namespace meshsim::sim::serve {

// One proxy as a scrape job sees it: its stats (not owned) and the labels the job adds to each
// of its series (namespace and pod, as Prometheus' kubernetes-pods job does).
struct ScrapedProxy {
  const proxy::stats::IstioStats* stats = nullptr;
  proxy::stats::Labels target_labels;
};

// istio_requests_total and istio_request_duration_milliseconds of `proxies`, in that order,
// each series with the proxy's target labels after Istio's. Families without series are left
// out. Ends with a newline unless empty.
std::string interimIstioPrometheusText(const std::vector<ScrapedProxy>& proxies);

// Writes further families (meshsim's own connection counters) in the same format.
class PrometheusTextWriter {
public:
  // Starts a family: its "# HELP" and "# TYPE" lines. `type` is "counter" or "gauge".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const proxy::stats::Labels& labels, double value);
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

// Escapes a label value: backslash, double quote and newline (the format's three escapes).
std::string escapeLabelValue(std::string_view value);

}  // namespace meshsim::sim::serve
