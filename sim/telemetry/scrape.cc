#include "sim/telemetry/scrape.h"

#include "sim/mesh.h"

namespace meshsim::sim::telemetry {

std::vector<proxy::stats::ScrapeTarget> scrapeTargets(const Mesh& mesh) {
  std::vector<proxy::stats::ScrapeTarget> targets;
  targets.reserve(mesh.proxies().size());
  for (const auto& p : mesh.proxies()) {
    const auto& workload = p->config().workload;
    proxy::stats::ScrapeTarget t;
    t.stats = &p->stats();
    if (workload != nullptr) {
      t.target_labels = {{"namespace", workload->namespace_name}, {"pod", workload->pod}};
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

std::vector<proxy::stats::MetricFamily> collectMeshMetrics(const Mesh& mesh) {
  return proxy::stats::collectIstioMetrics(scrapeTargets(mesh));
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

std::vector<Sample> scrapeMesh(const Mesh& mesh) {
  return toSamples(collectMeshMetrics(mesh));
}

}  // namespace meshsim::sim::telemetry
