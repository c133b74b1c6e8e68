#include "proxy/stats/prometheus.h"

#include <cmath>
#include <cstdio>
#include <utility>

namespace meshsim::proxy::stats {

namespace {

Labels withTarget(Labels labels, const ScrapeTarget& target) {
  labels.insert(labels.end(), target.target_labels.begin(), target.target_labels.end());
  return labels;
}

void addHistogram(MetricFamily& family, std::vector<HistogramSample> series,
                  const ScrapeTarget& target) {
  for (auto& h : series) {
    const Labels labels = withTarget(std::move(h.labels), target);
    for (size_t b = 0; b < h.cumulative.size(); ++b) {
      Labels with_le = labels;
      with_le.emplace_back("le", b < kDurationBuckets.size()
                                     ? formatPrometheusValue(kDurationBuckets[b])
                                     : std::string("+Inf"));
      family.points.push_back(
          {family.name + "_bucket", std::move(with_le), static_cast<double>(h.cumulative[b])});
    }
    family.points.push_back({family.name + "_sum", labels, h.sum});
    family.points.push_back({family.name + "_count", labels, static_cast<double>(h.count)});
  }
}

void appendEscaped(std::string& out, const std::string& value) {
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
}

}  // namespace

std::string formatPrometheusValue(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.32g", v);
  return buf;
}

std::vector<MetricFamily> collectIstioMetrics(const std::vector<ScrapeTarget>& targets) {
  MetricFamily requests{kRequestsTotal, MetricType::Counter, {}, {}};
  MetricFamily duration{kRequestDuration, MetricType::Histogram, {}, {}};
  MetricFamily request_bytes{kRequestBytes, MetricType::Histogram, {}, {}};
  MetricFamily response_bytes{kResponseBytes, MetricType::Histogram, {}, {}};
  for (const auto& target : targets) {
    if (target.stats == nullptr) {
      continue;
    }
    for (auto& c : target.stats->requestsTotal()) {
      requests.points.push_back(
          {requests.name, withTarget(std::move(c.labels), target), static_cast<double>(c.value)});
    }
    addHistogram(duration, target.stats->requestDuration(), target);
    addHistogram(request_bytes, target.stats->requestBytes(), target);
    addHistogram(response_bytes, target.stats->responseBytes(), target);
  }
  std::vector<MetricFamily> out;
  for (auto* f : {&requests, &duration, &request_bytes, &response_bytes}) {
    if (!f->points.empty()) {
      out.push_back(std::move(*f));
    }
  }
  return out;
}

std::string renderPrometheusText(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const auto& f : families) {
    if (!f.help.empty()) {
      out += "# HELP ";
      out += f.name;
      out += ' ';
      for (const char c : f.help) {
        if (c == '\\') {
          out += "\\\\";
        } else if (c == '\n') {
          out += "\\n";
        } else {
          out += c;
        }
      }
      out += '\n';
    }
    out += "# TYPE ";
    out += f.name;
    switch (f.type) {
      case MetricType::Counter:
        out += " counter\n";
        break;
      case MetricType::Gauge:
        out += " gauge\n";
        break;
      case MetricType::Histogram:
        out += " histogram\n";
        break;
    }
    for (const auto& p : f.points) {
      out += p.name;
      if (!p.labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [k, v] : p.labels) {
          if (!first) {
            out += ',';
          }
          first = false;
          out += k;
          out += "=\"";
          appendEscaped(out, v);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      out += formatPrometheusValue(p.value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace meshsim::proxy::stats
