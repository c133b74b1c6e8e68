#pragma once

// File: sim/telemetry/scrape.h
//
// Scraping the mesh as Prometheus' kubernetes-pods job would: every gateway and sidecar is a
// target, and each of its series gets the target labels namespace and pod (in that order, after
// Istio's labels), the same labels Mesh::metrics() attaches.
//
// Example:
//   std::cout << proxy::stats::renderPrometheusText(collectMeshMetrics(mesh.proxies()));
//   tsdb.scrape(at, scrapeMesh(mesh.proxies()));

#include <map>
#include <set>
#include <string>
#include <vector>

#include "proxy/stats/prometheus.h"
#include "sim/telemetry/proxies.h"
#include "sim/telemetry/sample.h"
#include "sim/telemetry/tsdb.h"

namespace meshsim::sim::telemetry {

// The labels the scrape job attaches to every series of a proxy: namespace and pod.
proxy::stats::Labels targetLabels(const proxy::config::WorkloadInfo& workload);

// Every series name meshsim's proxies can export (istio_requests_total,
// istio_request_duration_milliseconds_bucket, ...), each with every label name its series carry
// (Istio's standard labels, the target labels, `le` for buckets). Expectations are checked
// against it, so that a misspelt name is an error rather than a query that matches nothing.
const std::map<std::string, std::set<std::string>>& knownSeries();

// One target per proxy, in the given order, labelled namespace and pod. The targets point into
// the proxies, which must outlive them.
std::vector<proxy::stats::ScrapeTarget> scrapeTargets(ProxyList proxies);

// Istio's standard metric families of every proxy of a mesh (see collectIstioMetrics()).
std::vector<proxy::stats::MetricFamily> collectMeshMetrics(ProxyList proxies);

// `families` as samples, one per exposition line, in exposition order.
std::vector<Sample> toSamples(const std::vector<proxy::stats::MetricFamily>& families);

// Every series of every proxy of a mesh as samples: collectMeshMetrics() flattened.
std::vector<Sample> scrapeMesh(ProxyList proxies);

}  // namespace meshsim::sim::telemetry
