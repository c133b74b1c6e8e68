#pragma once

// File: sim/telemetry/graph.h
//
// The service graph as Kiali derives it from Istio's metrics (a "workload" graph with service
// nodes injected):
// - Traffic comes from istio_requests_total samples reported by the client side
//   (reporter="source", source_workload known: gateways and sidecars calling out), plus samples
//   reported by a server sidecar whose client is unknown (reporter="destination",
//   source_workload="unknown": callers outside the mesh or without a sidecar). Every request is
//   thus counted once per hop.
// - Nodes: a workload node per source or destination workload (`wl_<namespace>_<workload>`), a
//   service node per destination service (`svc_<namespace>_<service>`), the node `unknown` for
//   unknown callers, and `svc_unknown_unknown` for requests that reached no service (404 NR,
//   503 NC at a gateway). Gateways named in GraphOptions are flagged; nodes without incoming
//   edges are roots.
// - Edges: caller -> service -> workload when both are known; caller -> service when no
//   workload served (503 UH); caller -> workload when the service is unknown. Each edge has its
//   request count and rate, rates per response class, the error rate (4xx, 5xx and no response,
//   as Kiali counts errors), the share per response code and flags, and the p99 latency from
//   istio_request_duration_milliseconds.
// Output is sorted (nodes by id, edges by source then target), so it is byte-identical across
// runs.
//
// Example:
//   Graph g = buildGraph(scrapeMesh(mesh.proxies()), mesh.loop().elapsed(), {});
//   std::cout << graphToDot(g);

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/telemetry/sample.h"
#include "sim/telemetry/tsdb.h"

namespace meshsim::sim::telemetry {

struct GraphOptions {
  // Workloads that are ingress gateways, as "namespace/workload" (Kiali learns this from the
  // Gateway configuration; metrics alone cannot tell).
  std::set<std::string> ingress_gateways;
  // The latency quantile of each edge.
  double latency_quantile = 0.99;
};

enum class GraphNodeType { Workload, Service, Unknown };

struct GraphNode {
  std::string id;
  GraphNodeType type = GraphNodeType::Workload;
  std::string cluster;
  std::string namespace_name;
  std::string workload;  // workload nodes
  std::string app;       // canonical service, for workload nodes
  std::string version;   // canonical revision, for workload nodes
  std::string service;   // service nodes: the short name
  bool is_ingress_gateway = false;
  bool is_root = false;  // no incoming edge
};

struct GraphEdge {
  std::string source;  // node ids
  std::string target;
  std::string protocol = "http";
  double requests = 0;  // over the window
  // Requests per second over the window; 0 when the window is empty.
  double rate = 0;
  double rate_3xx = 0;
  double rate_4xx = 0;
  double rate_5xx = 0;
  double rate_no_response = 0;  // response_code "0"
  double error_rate = 0;        // 4xx + 5xx + no response, per second
  double error_ratio = 0;       // errors / requests, 0 without requests
  // Requests per response code, then per response flags ("-" for none).
  std::map<std::string, std::map<std::string, double>> responses;
  // Requests per destination_service host.
  std::map<std::string, double> hosts;
  // The latency quantile in ms; empty without latency data.
  std::optional<double> latency_ms;
};

struct Graph {
  VirtualTime window{0};
  double latency_quantile = 0.99;
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;

  const GraphNode* node(const std::string& id) const;
  const GraphEdge* edge(const std::string& source, const std::string& target) const;
};

// The graph of the traffic in `samples`, which hold counts accumulated over `window`
// (cumulative counters since the start of a run of that length, or increases over a window):
// istio_requests_total and istio_request_duration_milliseconds_bucket; other samples are
// ignored.
Graph buildGraph(const std::vector<Sample>& samples, VirtualTime window,
                 const GraphOptions& options = {});

// The graph of the traffic in [at - window, at], from increase() over `tsdb` (Prometheus'
// extrapolation applies). Fails when `window` is shorter than 1 ms.
StatusOr<Graph> buildGraph(const Tsdb& tsdb, VirtualTime at, VirtualTime window,
                           const GraphOptions& options = {});

// Graphviz DOT: workloads as ellipses (gateways with a double border), services as boxes,
// unknown callers as diamonds; edges labelled with rate, error percentage and latency, coloured
// by Kiali's default health thresholds (red: 5xx >= 10% or 4xx >= 20%; orange: any 5xx or
// 4xx >= 10%; green otherwise).
std::string graphToDot(const Graph& graph);

// Kiali-like JSON: {"graphType": "workload", "window": seconds, "elements": {"nodes": [{"data":
// {...}}], "edges": [{"data": {..., "traffic": {"protocol", "requests", "rates": {...},
// "responses": {...}}, "responseTime": {...}}}]}}.
std::string graphToJson(const Graph& graph);

}  // namespace meshsim::sim::telemetry
