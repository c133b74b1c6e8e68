#include "sim/serve/interim_prometheus.h"

#include <cmath>
#include <cstdio>
#include <utility>

namespace meshsim::sim::serve {

namespace {

std::string formatValue(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.32g", v);
  return buf;
}

proxy::stats::Labels withTarget(proxy::stats::Labels labels, const proxy::stats::Labels& target) {
  labels.insert(labels.end(), target.begin(), target.end());
  return labels;
}

}  // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void PrometheusTextWriter::family(std::string_view name, std::string_view type,
                                  std::string_view help) {
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusTextWriter::sample(std::string_view name, const proxy::stats::Labels& labels,
                                  double value) {
  out_.append(name);
  if (!labels.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) {
        out_ += ',';
      }
      first = false;
      out_.append(k).append("=\"").append(escapeLabelValue(v)).append("\"");
    }
    out_ += '}';
  }
  out_.append(" ").append(formatValue(value)).append("\n");
}

std::string interimIstioPrometheusText(const std::vector<ScrapedProxy>& proxies) {
  PrometheusTextWriter w;
  bool any_counter = false;
  for (const auto& p : proxies) {
    for (const auto& c : p.stats->requestsTotal()) {
      if (!any_counter) {
        w.family("istio_requests_total", "counter",
                 "Requests a proxy handled, by Istio's standard labels.");
        any_counter = true;
      }
      w.sample("istio_requests_total", withTarget(c.labels, p.target_labels),
               static_cast<double>(c.value));
    }
  }
  bool any_histogram = false;
  for (const auto& p : proxies) {
    for (const auto& h : p.stats->requestDuration()) {
      if (!any_histogram) {
        w.family("istio_request_duration_milliseconds", "histogram",
                 "Request durations in milliseconds, by Istio's standard labels.");
        any_histogram = true;
      }
      const proxy::stats::Labels labels = withTarget(h.labels, p.target_labels);
      for (size_t b = 0; b < h.cumulative.size(); ++b) {
        proxy::stats::Labels with_le = labels;
        with_le.emplace_back("le", b < proxy::stats::kDurationBuckets.size()
                                       ? formatValue(proxy::stats::kDurationBuckets[b])
                                       : "+Inf");
        w.sample("istio_request_duration_milliseconds_bucket", with_le,
                 static_cast<double>(h.cumulative[b]));
      }
      w.sample("istio_request_duration_milliseconds_sum", labels, h.sum);
      w.sample("istio_request_duration_milliseconds_count", labels, static_cast<double>(h.count));
    }
  }
  return w.take();
}

}  // namespace meshsim::sim::serve
