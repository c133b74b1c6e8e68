#include "sim/telemetry/graph.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "sim/json.h"
#include "sim/telemetry/histogram.h"
#include "sim/telemetry/metric_query.h"

namespace meshsim::sim::telemetry {

namespace {

constexpr const char* kUnknown = "unknown";
constexpr const char* kRequests = "istio_requests_total";
constexpr const char* kDurationBucket = "istio_request_duration_milliseconds_bucket";

const std::string& label(const Labels& labels, const char* name) {
  static const std::string kEmpty;
  for (const auto& [k, v] : labels) {
    if (k == name) {
      return v;
    }
  }
  return kEmpty;
}

bool known(const std::string& v) {
  return !v.empty() && v != kUnknown;
}

// The labels of `labels` other than `le`, as a key.
std::string seriesKey(const std::string& metric_family, const Labels& labels) {
  std::string key = metric_family;
  for (const auto& [k, v] : labels) {
    if (k == "le") {
      continue;
    }
    key += '\0';
    key += k;
    key += '\0';
    key += v;
  }
  return key;
}

double seconds(VirtualTime t) {
  return std::chrono::duration<double>(t).count();
}

// Numbers for people: "1234", "12.3", "1.23".
std::string human(double v) {
  char buf[32];
  if (std::fabs(v) >= 100) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else if (std::fabs(v) >= 10) {
    std::snprintf(buf, sizeof(buf), "%.1f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f", v);
  }
  return buf;
}

// Numbers for JSON: shortest round-trip-stable form of up to 10 significant digits.
std::string jsonNumber(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

// A DOT quoted string; a newline in `s` becomes a line break of the label ("\n").
std::string dotId(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

struct EdgeAccumulator {
  GraphEdge edge;
  std::map<double, double> buckets;  // upper bound -> count, merged over series
};

}  // namespace

const GraphNode* Graph::node(const std::string& id) const {
  for (const auto& n : nodes) {
    if (n.id == id) {
      return &n;
    }
  }
  return nullptr;
}

const GraphEdge* Graph::edge(const std::string& source, const std::string& target) const {
  for (const auto& e : edges) {
    if (e.source == source && e.target == target) {
      return &e;
    }
  }
  return nullptr;
}

Graph buildGraph(const std::vector<Sample>& samples, VirtualTime window,
                 const GraphOptions& options) {
  std::map<std::string, GraphNode> nodes;
  std::map<std::pair<std::string, std::string>, EdgeAccumulator> edges;
  // Which edges each requests series feeds, so its duration buckets go to the same edges.
  std::unordered_map<std::string, std::vector<EdgeAccumulator*>> series_edges;

  const auto workload_node = [&](const std::string& ns, const std::string& workload,
                                 const std::string& app, const std::string& version,
                                 const std::string& cluster) -> std::string {
    std::string id = "wl_" + ns + "_" + workload;
    auto [it, inserted] = nodes.try_emplace(id);
    if (inserted) {
      GraphNode& n = it->second;
      n.id = id;
      n.type = GraphNodeType::Workload;
      n.namespace_name = ns;
      n.workload = workload;
      n.app = app;
      n.version = version;
      n.cluster = cluster;
      n.is_ingress_gateway = options.ingress_gateways.count(ns + "/" + workload) != 0;
    }
    return id;
  };
  const auto service_node = [&](const std::string& ns, const std::string& service,
                                const std::string& cluster) -> std::string {
    std::string id = "svc_" + ns + "_" + service;
    auto [it, inserted] = nodes.try_emplace(id);
    if (inserted) {
      GraphNode& n = it->second;
      n.id = id;
      n.type = GraphNodeType::Service;
      n.namespace_name = ns;
      n.service = service;
      n.cluster = cluster;
    }
    return id;
  };

  for (const auto& s : samples) {
    if (s.name != kRequests || s.value == 0) {
      continue;
    }
    const Labels& l = s.labels;
    const std::string& reporter = label(l, "reporter");
    const std::string& source_workload = label(l, "source_workload");
    const bool from_source = reporter == "source" && known(source_workload);
    const bool unknown_caller = reporter == "destination" && !known(source_workload);
    if (!from_source && !unknown_caller) {
      continue;  // the other side of a hop already counted, or bad telemetry
    }
    std::string source;
    if (from_source) {
      source = workload_node(label(l, "source_workload_namespace"), source_workload,
                             label(l, "source_canonical_service"),
                             label(l, "source_canonical_revision"), label(l, "source_cluster"));
    } else {
      source = kUnknown;
      auto [it, inserted] = nodes.try_emplace(source);
      if (inserted) {
        it->second.id = source;
        it->second.type = GraphNodeType::Unknown;
        it->second.namespace_name = kUnknown;
      }
    }
    const std::string& service_name = label(l, "destination_service_name");
    const std::string& workload = label(l, "destination_workload");
    const std::string& cluster = label(l, "destination_cluster");
    std::vector<std::pair<std::string, std::string>> hops;
    std::string workload_id;
    if (known(workload)) {
      workload_id = workload_node(label(l, "destination_workload_namespace"), workload,
                                  label(l, "destination_canonical_service"),
                                  label(l, "destination_canonical_revision"), cluster);
    }
    if (known(service_name)) {
      const std::string svc =
          service_node(label(l, "destination_service_namespace"), service_name, cluster);
      hops.emplace_back(source, svc);
      if (!workload_id.empty()) {
        hops.emplace_back(svc, workload_id);
      }
    } else if (!workload_id.empty()) {
      hops.emplace_back(source, workload_id);
    } else {
      hops.emplace_back(source, service_node(kUnknown, kUnknown, kUnknown));
    }

    const std::string& code = label(l, "response_code");
    const std::string& flags = label(l, "response_flags");
    const std::string& host = label(l, "destination_service");
    auto& fed = series_edges[seriesKey(kRequests, l)];
    for (const auto& hop : hops) {
      EdgeAccumulator& acc = edges[hop];
      GraphEdge& e = acc.edge;
      e.source = hop.first;
      e.target = hop.second;
      const std::string& protocol = label(l, "request_protocol");
      if (!protocol.empty()) {
        e.protocol = protocol;
      }
      e.requests += s.value;
      const char klass = code.size() == 3 ? code[0] : '0';
      if (klass == '3') {
        e.rate_3xx += s.value;
      } else if (klass == '4') {
        e.rate_4xx += s.value;
      } else if (klass == '5') {
        e.rate_5xx += s.value;
      } else if (code == "0") {
        e.rate_no_response += s.value;
      }
      e.responses[code.empty() ? "-" : code][flags.empty() ? "-" : flags] += s.value;
      e.hosts[host.empty() ? kUnknown : host] += s.value;
      fed.push_back(&acc);
    }
  }

  for (const auto& s : samples) {
    if (s.name != kDurationBucket) {
      continue;
    }
    auto it = series_edges.find(seriesKey(kRequests, s.labels));
    if (it == series_edges.end()) {
      continue;
    }
    const std::string& le = label(s.labels, "le");
    char* end = nullptr;
    const double upper = std::strtod(le.c_str(), &end);
    if (le.empty() || *end != '\0') {
      continue;
    }
    for (EdgeAccumulator* acc : it->second) {
      acc->buckets[upper] += s.value;
    }
  }

  Graph g;
  g.window = window;
  g.latency_quantile = options.latency_quantile;
  const double secs = seconds(window);
  std::set<std::string> has_incoming;
  for (auto& [key, acc] : edges) {
    GraphEdge& e = acc.edge;
    const double errors = e.rate_4xx + e.rate_5xx + e.rate_no_response;
    e.error_ratio = e.requests > 0 ? errors / e.requests : 0;
    const auto per_second = [&](double n) { return secs > 0 ? n / secs : 0; };
    e.rate = per_second(e.requests);
    e.rate_3xx = per_second(e.rate_3xx);
    e.rate_4xx = per_second(e.rate_4xx);
    e.rate_5xx = per_second(e.rate_5xx);
    e.rate_no_response = per_second(e.rate_no_response);
    e.error_rate = per_second(errors);
    std::vector<Bucket> buckets;
    for (const auto& [upper, count] : acc.buckets) {
      buckets.push_back(Bucket{upper, count});
    }
    const double q = bucketQuantile(options.latency_quantile, std::move(buckets));
    if (std::isfinite(q)) {
      e.latency_ms = q;
    }
    has_incoming.insert(e.target);
    g.edges.push_back(std::move(e));
  }
  for (auto& [id, n] : nodes) {
    n.is_root = has_incoming.count(id) == 0;
    g.nodes.push_back(std::move(n));
  }
  return g;
}

StatusOr<Graph> buildGraph(const Tsdb& tsdb, VirtualTime at, VirtualTime window,
                           const GraphOptions& options) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
  if (ms < 1) {
    return invalidArgumentError("graph window must be at least 1ms");
  }
  std::vector<Sample> increases;
  for (const char* metric : {kRequests, kDurationBucket}) {
    MESHSIM_ASSIGN_OR_RETURN(MetricQuery q, MetricQuery::parse("increase(" + std::string(metric) +
                                                               "[" + std::to_string(ms) + "ms])"));
    MESHSIM_ASSIGN_OR_RETURN(std::vector<Sample> result, q.evaluate(tsdb, at));
    for (auto& s : result) {
      s.name = metric;
      increases.push_back(std::move(s));
    }
  }
  return buildGraph(increases, std::chrono::milliseconds(ms), options);
}

std::string graphToDot(const Graph& graph) {
  std::string out = "digraph mesh {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, label=" +
         dotId("requests over " + human(seconds(graph.window)) + " s of virtual time") + "];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (const auto& n : graph.nodes) {
    std::string label;
    std::string attrs;
    switch (n.type) {
      case GraphNodeType::Workload:
        label = n.workload + "\n" + n.namespace_name;
        if (!n.version.empty() && n.version != "latest") {
          label += "\n" + n.version;
        }
        attrs = "shape=ellipse";
        if (n.is_ingress_gateway) {
          attrs += ", peripheries=2, style=filled, fillcolor=\"#e7f1fa\"";
        }
        break;
      case GraphNodeType::Service:
        label = n.service == kUnknown ? std::string("unknown (service)")
                                      : n.service + "\n" + n.namespace_name + " (service)";
        attrs = "shape=box, style=rounded";
        break;
      case GraphNodeType::Unknown:
        label = "unknown";
        attrs = "shape=diamond";
        break;
    }
    out += "  " + dotId(n.id) + " [label=" + dotId(label) + ", " + attrs + "];\n";
  }
  for (const auto& e : graph.edges) {
    double n_4xx = 0;
    double n_5xx = 0;
    for (const auto& [code, flags] : e.responses) {
      for (const auto& [f, n] : flags) {
        if (code.size() == 3 && code[0] == '5') {
          n_5xx += n;
        } else if (code.size() == 3 && code[0] == '4') {
          n_4xx += n;
        }
      }
    }
    const double share_5xx = e.requests > 0 ? n_5xx / e.requests : 0;
    const double share_4xx = e.requests > 0 ? n_4xx / e.requests : 0;
    const char* color = "#3f9c35";  // healthy
    if (share_5xx >= 0.10 || share_4xx >= 0.20) {
      color = "#cc0000";  // failure
    } else if (share_5xx > 0 || share_4xx >= 0.10) {
      color = "#ec7a08";  // degraded
    }
    std::string label = human(e.rate) + " rps";
    label += "\n" + human(e.error_ratio * 100) + "% err";
    if (e.latency_ms) {
      char q[16];
      std::snprintf(q, sizeof(q), "p%g", graph.latency_quantile * 100);
      label += std::string("\n") + q + " " + human(*e.latency_ms) + " ms";
    }
    out += "  " + dotId(e.source) + " -> " + dotId(e.target) + " [label=" + dotId(label) +
           ", color=\"" + color + "\", fontcolor=\"" + color + "\"];\n";
  }
  out += "}\n";
  return out;
}

std::string graphToJson(const Graph& graph) {
  std::string out = "{\n  \"graphType\": \"workload\",\n";
  out += "  \"window\": " + jsonNumber(seconds(graph.window)) + ",\n";
  out += "  \"elements\": {\n    \"nodes\": [";
  bool first = true;
  for (const auto& n : graph.nodes) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "      {\"data\": {\"id\": " + jsonString(n.id) + ", \"nodeType\": ";
    switch (n.type) {
      case GraphNodeType::Workload:
        out += "\"workload\", \"cluster\": " + jsonString(n.cluster) +
               ", \"namespace\": " + jsonString(n.namespace_name) +
               ", \"workload\": " + jsonString(n.workload) + ", \"app\": " + jsonString(n.app) +
               ", \"version\": " + jsonString(n.version);
        break;
      case GraphNodeType::Service:
        out += "\"service\", \"cluster\": " + jsonString(n.cluster) +
               ", \"namespace\": " + jsonString(n.namespace_name) +
               ", \"service\": " + jsonString(n.service);
        break;
      case GraphNodeType::Unknown:
        out += "\"unknown\", \"namespace\": \"unknown\"";
        break;
    }
    if (n.is_root) {
      out += ", \"isRoot\": true";
    }
    if (n.is_ingress_gateway) {
      out += ", \"isIngressGateway\": true";
    }
    out += "}}";
  }
  out += graph.nodes.empty() ? "],\n" : "\n    ],\n";
  out += "    \"edges\": [";
  first = true;
  for (const auto& e : graph.edges) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "      {\"data\": {\"id\": " + jsonString(e.source + "->" + e.target) +
           ", \"source\": " + jsonString(e.source) + ", \"target\": " + jsonString(e.target) +
           ",\n        \"traffic\": {\"protocol\": " + jsonString(e.protocol) +
           ", \"requests\": " + jsonNumber(e.requests) +
           ",\n          \"rates\": {\"http\": " + jsonNumber(e.rate) +
           ", \"http3xx\": " + jsonNumber(e.rate_3xx) + ", \"http4xx\": " + jsonNumber(e.rate_4xx) +
           ", \"http5xx\": " + jsonNumber(e.rate_5xx) +
           ", \"httpNoResponse\": " + jsonNumber(e.rate_no_response) +
           ", \"httpErr\": " + jsonNumber(e.error_rate) +
           ", \"httpPercentErr\": " + jsonNumber(e.error_ratio * 100) + "},\n";
    out += "          \"responses\": {";
    bool first_code = true;
    for (const auto& [code, flags] : e.responses) {
      out += first_code ? "" : ", ";
      first_code = false;
      out += jsonString(code) + ": {\"flags\": {";
      bool first_flag = true;
      for (const auto& [f, n] : flags) {
        out += first_flag ? "" : ", ";
        first_flag = false;
        out += jsonString(f) + ": " + jsonNumber(e.requests > 0 ? 100 * n / e.requests : 0);
      }
      out += "}}";
    }
    out += "},\n          \"hosts\": {";
    bool first_host = true;
    for (const auto& [host, n] : e.hosts) {
      out += first_host ? "" : ", ";
      first_host = false;
      out += jsonString(host) + ": " + jsonNumber(e.requests > 0 ? 100 * n / e.requests : 0);
    }
    char q[16];
    std::snprintf(q, sizeof(q), "p%g", graph.latency_quantile * 100);
    out += "}},\n        \"responseTime\": {" + jsonString(q) + ": " +
           (e.latency_ms ? jsonNumber(*e.latency_ms) : std::string("null")) + "}}}";
  }
  out += graph.edges.empty() ? "]\n" : "\n    ]\n";
  out += "  }\n}\n";
  return out;
}

}  // namespace meshsim::sim::telemetry
