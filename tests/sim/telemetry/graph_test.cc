#include "sim/telemetry/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::telemetry {
namespace {

using ::meshsim::testing::IsOk;
using ::testing::HasSubstr;

// The labels of one istio_requests_total series, from the names that matter to the graph.
struct Hop {
  std::string reporter = "source";
  std::string source_ns = "istio-system";
  std::string source = "istio-ingressgateway";
  std::string service = "frontend";  // "unknown" for none
  std::string workload = "frontend-v1";
  std::string code = "200";
  std::string flags = "-";
};

Labels labelsOf(const Hop& h) {
  const bool svc = h.service != "unknown";
  return {{"reporter", h.reporter},
          {"source_workload", h.source},
          {"source_canonical_service", h.source == "unknown" ? "unknown" : h.source},
          {"source_canonical_revision", h.source == "unknown" ? "unknown" : "latest"},
          {"source_workload_namespace", h.source == "unknown" ? "unknown" : h.source_ns},
          {"source_cluster", h.source == "unknown" ? "unknown" : "Kubernetes"},
          {"destination_workload", h.workload},
          {"destination_workload_namespace", h.workload == "unknown" ? "unknown" : "shop"},
          {"destination_service", svc ? h.service + ".shop.svc.cluster.local" : "unknown"},
          {"destination_canonical_service", h.workload == "unknown" ? "unknown" : h.service},
          {"destination_canonical_revision", h.workload == "unknown" ? "unknown" : "v1"},
          {"destination_service_name", h.service},
          {"destination_service_namespace", svc ? "shop" : "unknown"},
          {"destination_cluster", "Kubernetes"},
          {"request_protocol", "http"},
          {"response_code", h.code},
          {"response_flags", h.flags},
          {"namespace", h.source_ns},
          {"pod", h.source + "-0"}};
}

// `n` requests of `hop`, all taking `ms` milliseconds.
void add(std::vector<Sample>& out, const Hop& hop, double n, double ms) {
  const Labels labels = labelsOf(hop);
  out.push_back(Sample{"istio_requests_total", labels, n});
  for (const char* le : {"1", "5", "10", "50", "+Inf"}) {
    Labels with_le = labels;
    with_le.emplace_back("le", le);
    const double bound = std::string(le) == "+Inf" ? 1e300 : std::stod(le);
    out.push_back(
        Sample{"istio_request_duration_milliseconds_bucket", with_le, ms <= bound ? n : 0});
  }
}

std::vector<Sample> shop() {
  std::vector<Sample> s;
  add(s, {}, 100, 8);  // gateway -> frontend, 200
  add(s,
      {.source_ns = "shop",
       .source = "frontend-v1",
       .service = "reviews",
       .workload = "reviews-v1"},
      45, 3);
  add(s,
      {.source_ns = "shop",
       .source = "frontend-v1",
       .service = "reviews",
       .workload = "reviews-v1",
       .code = "503"},
      5, 3);
  add(s,
      {.source_ns = "shop",
       .source = "reviews-v1",
       .service = "ratings",
       .workload = "ratings-v1",
       .code = "404"},
      20, 1);
  // The server sidecars' own samples of the same hops: never counted twice.
  add(s,
      {.reporter = "destination",
       .source_ns = "shop",
       .source = "frontend-v1",
       .service = "reviews",
       .workload = "reviews-v1"},
      45, 2);
  // A caller outside the mesh, seen only by the server sidecar.
  add(s,
      {.reporter = "destination",
       .source = "unknown",
       .service = "ratings",
       .workload = "ratings-v1"},
      10, 1);
  // Failures at the gateway: no route (no service), no healthy upstream (no workload).
  add(s, {.service = "unknown", .workload = "unknown", .code = "404", .flags = "NR"}, 4, 0);
  add(s, {.service = "cart", .workload = "unknown", .code = "503", .flags = "UH"}, 6, 0);
  return s;
}

GraphOptions gatewayOptions() {
  GraphOptions o;
  o.ingress_gateways = {"istio-system/istio-ingressgateway"};
  return o;
}

TEST(GraphTest, NodesForWorkloadsServicesAndUnknowns) {
  const Graph g = buildGraph(shop(), std::chrono::seconds(10), gatewayOptions());
  std::vector<std::string> ids;
  for (const auto& n : g.nodes) {
    ids.push_back(n.id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "svc_shop_cart", "svc_shop_frontend", "svc_shop_ratings", "svc_shop_reviews",
                     "svc_unknown_unknown", "unknown", "wl_istio-system_istio-ingressgateway",
                     "wl_shop_frontend-v1", "wl_shop_ratings-v1", "wl_shop_reviews-v1"}));
  const GraphNode* gw = g.node("wl_istio-system_istio-ingressgateway");
  ASSERT_NE(gw, nullptr);
  EXPECT_TRUE(gw->is_ingress_gateway);
  EXPECT_TRUE(gw->is_root);
  EXPECT_EQ(gw->type, GraphNodeType::Workload);
  EXPECT_EQ(gw->app, "istio-ingressgateway");
  EXPECT_TRUE(g.node("unknown")->is_root);
  EXPECT_EQ(g.node("unknown")->type, GraphNodeType::Unknown);
  EXPECT_FALSE(g.node("wl_shop_frontend-v1")->is_root);
  EXPECT_EQ(g.node("svc_shop_reviews")->type, GraphNodeType::Service);
  EXPECT_EQ(g.node("svc_shop_reviews")->service, "reviews");
  EXPECT_EQ(g.node("wl_shop_reviews-v1")->version, "v1");
}

TEST(GraphTest, EdgesCarryRatesErrorsAndLatency) {
  const Graph g = buildGraph(shop(), std::chrono::seconds(10), gatewayOptions());
  std::vector<std::pair<std::string, std::string>> edges;
  for (const auto& e : g.edges) {
    edges.emplace_back(e.source, e.target);
  }
  EXPECT_EQ(edges, (std::vector<std::pair<std::string, std::string>>{
                       {"svc_shop_frontend", "wl_shop_frontend-v1"},
                       {"svc_shop_ratings", "wl_shop_ratings-v1"},
                       {"svc_shop_reviews", "wl_shop_reviews-v1"},
                       {"unknown", "svc_shop_ratings"},
                       {"wl_istio-system_istio-ingressgateway", "svc_shop_cart"},
                       {"wl_istio-system_istio-ingressgateway", "svc_shop_frontend"},
                       {"wl_istio-system_istio-ingressgateway", "svc_unknown_unknown"},
                       {"wl_shop_frontend-v1", "svc_shop_reviews"},
                       {"wl_shop_reviews-v1", "svc_shop_ratings"},
                   }));
  const GraphEdge* front = g.edge("wl_istio-system_istio-ingressgateway", "svc_shop_frontend");
  EXPECT_DOUBLE_EQ(front->requests, 100);
  EXPECT_DOUBLE_EQ(front->rate, 10);
  EXPECT_DOUBLE_EQ(front->error_rate, 0);
  // p99 of 100 requests in (5, 10]: 5 + 5 * 0.99.
  EXPECT_DOUBLE_EQ(*front->latency_ms, 9.95);

  const GraphEdge* reviews = g.edge("wl_shop_frontend-v1", "svc_shop_reviews");
  EXPECT_DOUBLE_EQ(reviews->requests, 50);  // source-reported only
  EXPECT_DOUBLE_EQ(reviews->rate, 5);
  EXPECT_DOUBLE_EQ(reviews->rate_5xx, 0.5);
  EXPECT_DOUBLE_EQ(reviews->error_rate, 0.5);
  EXPECT_DOUBLE_EQ(reviews->error_ratio, 0.1);
  EXPECT_DOUBLE_EQ(reviews->responses.at("503").at("-"), 5);
  EXPECT_DOUBLE_EQ(reviews->hosts.at("reviews.shop.svc.cluster.local"), 50);
  // The same traffic continues from the service to its workload.
  EXPECT_DOUBLE_EQ(g.edge("svc_shop_reviews", "wl_shop_reviews-v1")->requests, 50);

  const GraphEdge* ratings = g.edge("wl_shop_reviews-v1", "svc_shop_ratings");
  EXPECT_DOUBLE_EQ(ratings->rate_4xx, 2);
  EXPECT_DOUBLE_EQ(ratings->error_ratio, 1);  // 4xx counts as an error, as in Kiali
  EXPECT_DOUBLE_EQ(g.edge("svc_shop_ratings", "wl_shop_ratings-v1")->requests, 30);
  EXPECT_DOUBLE_EQ(g.edge("unknown", "svc_shop_ratings")->requests, 10);

  // No workload behind the service (503 UH): the edge ends at the service.
  const GraphEdge* cart = g.edge("wl_istio-system_istio-ingressgateway", "svc_shop_cart");
  EXPECT_DOUBLE_EQ(cart->rate_5xx, 0.6);
  EXPECT_DOUBLE_EQ(cart->responses.at("503").at("UH"), 6);
  EXPECT_EQ(g.node("svc_shop_cart")->is_root, false);
  const GraphEdge* nr = g.edge("wl_istio-system_istio-ingressgateway", "svc_unknown_unknown");
  EXPECT_DOUBLE_EQ(nr->responses.at("404").at("NR"), 4);
}

TEST(GraphTest, ZeroWindowKeepsCountsWithoutRates) {
  const Graph g = buildGraph(shop(), VirtualTime{0}, gatewayOptions());
  const GraphEdge* front = g.edge("wl_istio-system_istio-ingressgateway", "svc_shop_frontend");
  EXPECT_DOUBLE_EQ(front->requests, 100);
  EXPECT_DOUBLE_EQ(front->rate, 0);
}

TEST(GraphTest, WindowedGraphFromTheTsdb) {
  Tsdb tsdb;
  tsdb.scrape(std::chrono::seconds(0), {});
  std::vector<Sample> half = shop();
  for (auto& s : half) {
    s.value /= 2;
  }
  tsdb.scrape(std::chrono::seconds(15), half);
  tsdb.scrape(std::chrono::seconds(30), shop());
  auto g = buildGraph(tsdb, std::chrono::seconds(30), std::chrono::seconds(15), gatewayOptions());
  ASSERT_THAT(g, IsOk());
  const GraphEdge* front = g->edge("wl_istio-system_istio-ingressgateway", "svc_shop_frontend");
  ASSERT_NE(front, nullptr);
  EXPECT_DOUBLE_EQ(front->requests, 50);
  EXPECT_DOUBLE_EQ(front->rate, 50.0 / 15);
  EXPECT_FALSE(buildGraph(tsdb, std::chrono::seconds(30), VirtualTime{10}).ok());
}

TEST(GraphTest, JsonAndDotAreStable) {
  const Graph g = buildGraph(shop(), std::chrono::seconds(10), gatewayOptions());
  const std::string json = graphToJson(g);
  EXPECT_EQ(json, graphToJson(buildGraph(shop(), std::chrono::seconds(10), gatewayOptions())));
  EXPECT_THAT(json, HasSubstr("\"graphType\": \"workload\",\n  \"window\": 10,\n"));
  EXPECT_THAT(json,
              HasSubstr("{\"data\": {\"id\": \"wl_istio-system_istio-ingressgateway\", "
                        "\"nodeType\": \"workload\", \"cluster\": \"Kubernetes\", \"namespace\": "
                        "\"istio-system\", \"workload\": \"istio-ingressgateway\", \"app\": "
                        "\"istio-ingressgateway\", \"version\": \"latest\", \"isRoot\": true, "
                        "\"isIngressGateway\": true}}"));
  EXPECT_THAT(json,
              HasSubstr("{\"data\": {\"id\": \"wl_shop_frontend-v1->svc_shop_reviews\", "
                        "\"source\": \"wl_shop_frontend-v1\", \"target\": "
                        "\"svc_shop_reviews\",\n        \"traffic\": {\"protocol\": \"http\", "
                        "\"requests\": 50,\n          \"rates\": {\"http\": 5, \"http3xx\": 0, "
                        "\"http4xx\": 0, \"http5xx\": 0.5, \"httpNoResponse\": 0, "
                        "\"httpErr\": 0.5, \"httpPercentErr\": 10},\n          "
                        "\"responses\": {\"200\": {\"flags\": {\"-\": 90}}, \"503\": "
                        "{\"flags\": {\"-\": 10}}},\n          \"hosts\": "
                        "{\"reviews.shop.svc.cluster.local\": 100}},\n        "
                        "\"responseTime\": {\"p99\": 4.96}}}"));
  const std::string dot = graphToDot(g);
  EXPECT_THAT(dot, HasSubstr("digraph mesh {\n"));
  EXPECT_THAT(dot, HasSubstr("\"wl_shop_frontend-v1\" -> \"svc_shop_reviews\" [label=\"5.00 "
                             "rps\\n10.0% err\\np99 4.96 ms\", color=\"#cc0000\""));
  EXPECT_THAT(dot, HasSubstr("\"svc_unknown_unknown\" [label=\"unknown (service)\""));
  EXPECT_THAT(dot, HasSubstr("peripheries=2"));
}

TEST(GraphTest, EmptyGraph) {
  const Graph g = buildGraph({}, std::chrono::seconds(1));
  EXPECT_TRUE(g.nodes.empty());
  EXPECT_EQ(graphToJson(g),
            "{\n  \"graphType\": \"workload\",\n  \"window\": 1,\n  \"elements\": {\n    "
            "\"nodes\": [],\n    \"edges\": []\n  }\n}\n");
}

// The conformance scenario: gateway -> productpage -> reviews -> ratings, run for real.
TEST(GraphTest, ThreeServiceScenario) {
  auto scenario = scenario::loadScenario(std::string(MESHSIM_SOURCE_DIR) +
                                         "/scenarios/conformance/telemetry/three-services.yaml");
  ASSERT_THAT(scenario, IsOk());
  std::optional<Graph> graph;
  scenario::RunOptions options;
  options.on_finished = [&](const Mesh&, const Tsdb& tsdb) {
    graph = buildGraph(tsdb.latest(), *tsdb.lastScrape(), gatewayOptions());
  };
  auto result = scenario::runScenario(*scenario, options);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->passed());
  ASSERT_TRUE(graph.has_value());
  const double secs = std::chrono::duration<double>(graph->window).count();
  EXPECT_GT(secs, 9.8);  // the slowest stream: 100 requests at 10/s
  EXPECT_LT(secs, 10.0);
  struct Want {
    const char* source;
    const char* target;
    double requests;
    double error_ratio;
  };
  const Want want[] = {
      {"svc_default_productpage", "wl_default_productpage-v1", 100, 0},
      {"svc_default_ratings", "wl_default_ratings-v1", 20, 1},
      {"svc_default_reviews", "wl_default_reviews-v1", 50, 0},
      {"wl_default_productpage-v1", "svc_default_reviews", 50, 0},
      {"wl_default_reviews-v1", "svc_default_ratings", 20, 1},
      {"wl_istio-system_istio-ingressgateway", "svc_default_productpage", 100, 0},
      {"wl_istio-system_istio-ingressgateway", "svc_unknown_unknown", 10, 1},
  };
  ASSERT_EQ(graph->edges.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    const GraphEdge& e = graph->edges[i];
    EXPECT_EQ(e.source, want[i].source);
    EXPECT_EQ(e.target, want[i].target);
    EXPECT_DOUBLE_EQ(e.requests, want[i].requests) << e.source << " -> " << e.target;
    EXPECT_DOUBLE_EQ(e.rate, want[i].requests / secs) << e.source << " -> " << e.target;
    EXPECT_DOUBLE_EQ(e.error_ratio, want[i].error_ratio) << e.source << " -> " << e.target;
  }
  EXPECT_TRUE(graph->node("wl_istio-system_istio-ingressgateway")->is_ingress_gateway);
  const std::string json = graphToJson(*graph);
  EXPECT_THAT(json, HasSubstr("\"source\": \"wl_default_reviews-v1\", \"target\": "
                              "\"svc_default_ratings\",\n        \"traffic\": {\"protocol\": "
                              "\"http\", \"requests\": 20,"));
  EXPECT_THAT(json, HasSubstr("\"responses\": {\"503\": {\"flags\": {\"-\": 100}}}"));
  EXPECT_THAT(json, HasSubstr("\"responses\": {\"404\": {\"flags\": {\"NR\": 100}}}"));
}

}  // namespace
}  // namespace meshsim::sim::telemetry
