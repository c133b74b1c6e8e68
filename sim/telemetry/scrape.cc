#include "sim/telemetry/scrape.h"

namespace meshsim::sim::telemetry {

proxy::stats::Labels targetLabels(const proxy::config::WorkloadInfo& workload) {
  return {{"namespace", workload.namespace_name}, {"pod", workload.pod}};
}

const std::map<std::string, std::set<std::string>>& knownSeries() {
  // What one recorded request exports: every family, every series name and every label.
  static const auto* const kKnown = [] {
    auto local = std::make_shared<const proxy::config::WorkloadInfo>();
    proxy::stats::IstioStats stats(local);
    stats.record(proxy::stats::RequestRecord{});
    const std::vector<proxy::stats::ScrapeTarget> targets = {{&stats, targetLabels(*local)}};
    auto* known = new std::map<std::string, std::set<std::string>>();
    for (const auto& family : proxy::stats::collectIstioMetrics(targets)) {
      for (const auto& point : family.points) {
        for (const auto& label : point.labels) {
          (*known)[point.name].insert(label.first);
        }
      }
    }
    return known;
  }();
  return *kKnown;
}

std::vector<proxy::stats::ScrapeTarget> scrapeTargets(ProxyList proxies) {
  std::vector<proxy::stats::ScrapeTarget> targets;
  targets.reserve(proxies.size());
  for (const auto& p : proxies) {
    const auto& workload = p->config().workload;
    proxy::stats::ScrapeTarget t;
    t.stats = &p->stats();
    if (workload != nullptr) {
      t.target_labels = targetLabels(*workload);
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

std::vector<proxy::stats::MetricFamily> collectMeshMetrics(ProxyList proxies) {
  return proxy::stats::collectIstioMetrics(scrapeTargets(proxies));
}

std::vector<Sample> toSamples(const std::vector<proxy::stats::MetricFamily>& families) {
  size_t n = 0;
  for (const auto& f : families) {
    n += f.points.size();
  }
  std::vector<Sample> out;
  out.reserve(n);
  for (const auto& f : families) {
    for (const auto& p : f.points) {
      out.push_back(Sample{p.name, p.labels, p.value});
    }
  }
  return out;
}

std::vector<Sample> scrapeMesh(ProxyList proxies) {
  return toSamples(collectMeshMetrics(proxies));
}

}  // namespace meshsim::sim::telemetry
