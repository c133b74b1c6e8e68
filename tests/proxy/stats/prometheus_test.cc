#include "proxy/stats/prometheus.h"

#include <limits>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshsim::proxy::stats {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

config::WorkloadInfoConstSharedPtr workload(const std::string& name, const std::string& ns) {
  auto w = std::make_shared<config::WorkloadInfo>();
  w->workload = name;
  w->namespace_name = ns;
  w->pod = name + "-0";
  w->app = name;
  w->canonical_service = name;
  w->canonical_revision = "latest";
  return w;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

class PrometheusTest : public ::testing::Test {
protected:
  PrometheusTest() : gateway_(workload("gw", "istio-system")), app_(workload("app", "default")) {
    RequestRecord r;
    r.peer = workload("app", "default");
    r.service = std::make_shared<config::ServiceInfo>(
        config::ServiceInfo{"app.default.svc.cluster.local", "app", "default"});
    r.response_code = 200;
    r.duration_ms = 3;
    r.request_bytes = 40;
    r.response_bytes = 300;
    gateway_.record(r);
    r.reporter = Reporter::Destination;
    r.peer = workload("gw", "istio-system");
    r.mtls = true;
    r.duration_ms = 2;
    app_.record(r);
  }

  std::vector<ScrapeTarget> targets() const {
    return {{&gateway_, {{"namespace", "istio-system"}, {"pod", "gw-0"}}},
            {&app_, {{"namespace", "default"}, {"pod", "app-0"}}}};
  }

  IstioStats gateway_;
  IstioStats app_;
};

TEST_F(PrometheusTest, FamiliesInOrderWithEveryTargetsSeries) {
  const auto families = collectIstioMetrics(targets());
  ASSERT_EQ(families.size(), 4u);
  EXPECT_EQ(families[0].name, "istio_requests_total");
  EXPECT_EQ(families[0].type, MetricType::Counter);
  EXPECT_EQ(families[0].points.size(), 2u);
  EXPECT_EQ(families[1].name, "istio_request_duration_milliseconds");
  EXPECT_EQ(families[2].name, "istio_request_bytes");
  EXPECT_EQ(families[3].name, "istio_response_bytes");
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(families[i].type, MetricType::Histogram);
    EXPECT_EQ(families[i].points.size(), 2u * (20 + 2));  // 19 bounds + Inf, sum, count
  }
}

TEST_F(PrometheusTest, OneTypeLinePerFamilyThenItsSamples) {
  const auto text = renderPrometheusText(collectIstioMetrics(targets()));
  const auto l = lines(text);
  ASSERT_EQ(l.size(), 4u + 2u + 3u * 44u);
  EXPECT_EQ(l[0], "# TYPE istio_requests_total counter");
  EXPECT_THAT(l[1], StartsWith("istio_requests_total{reporter=\"source\",source_workload=\"gw\","));
  EXPECT_THAT(l[1], HasSubstr(",connection_security_policy=\"unknown\",namespace=\"istio-system\","
                              "pod=\"gw-0\"} 1"));
  EXPECT_THAT(l[2], StartsWith("istio_requests_total{reporter=\"destination\","));
  EXPECT_EQ(l[3], "# TYPE istio_request_duration_milliseconds histogram");
  EXPECT_THAT(l[4], StartsWith("istio_request_duration_milliseconds_bucket{reporter=\"source\","));
  // Target labels come after Istio's and before le; bounds print with %.32g.
  EXPECT_THAT(l[4], HasSubstr("namespace=\"istio-system\",pod=\"gw-0\",le=\"0.5\"} 0"));
  EXPECT_THAT(l[5], HasSubstr(",le=\"1\"} 0"));
  EXPECT_THAT(l[6], HasSubstr(",le=\"5\"} 1"));
  EXPECT_THAT(l[22], HasSubstr(",le=\"3600000\"} 1"));
  EXPECT_THAT(l[23], HasSubstr(",le=\"+Inf\"} 1"));
  EXPECT_THAT(l[24], StartsWith("istio_request_duration_milliseconds_sum{reporter=\"source\","));
  EXPECT_THAT(l[24], HasSubstr("pod=\"gw-0\"} 3"));
  EXPECT_THAT(l[25], StartsWith("istio_request_duration_milliseconds_count{"));
  EXPECT_THAT(l[25], HasSubstr("pod=\"gw-0\"} 1"));
  EXPECT_THAT(l[26],
              StartsWith("istio_request_duration_milliseconds_bucket{reporter=\"destination\""));
  EXPECT_THAT(l[46], HasSubstr("pod=\"app-0\"} 2"));  // its _sum
  EXPECT_EQ(l[48], "# TYPE istio_request_bytes histogram");
  EXPECT_THAT(l[48 + 21], HasSubstr("pod=\"gw-0\"} 40"));  // _sum
  EXPECT_EQ(l[93], "# TYPE istio_response_bytes histogram");
  EXPECT_THAT(l[93 + 21], HasSubstr("pod=\"gw-0\"} 300"));
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(PrometheusTest, EmptyFamiliesAreLeftOut) {
  IstioStats idle(workload("idle", "default"));
  EXPECT_TRUE(collectIstioMetrics({{&idle, {}}}).empty());
  EXPECT_EQ(renderPrometheusText({}), "");
  const auto families = collectIstioMetrics({{&idle, {}}, {&gateway_, {}}});
  ASSERT_EQ(families.size(), 4u);
  EXPECT_EQ(families[0].points.size(), 1u);
}

TEST(PrometheusTextTest, EscapesLabelValues) {
  MetricFamily f{"m_total", MetricType::Counter, {{"m_total", {{"a", "x\"y\\z\nw"}}, 2}}, {}};
  EXPECT_EQ(renderPrometheusText({f}),
            "# TYPE m_total counter\nm_total{a=\"x\\\"y\\\\z\\nw\"} 2\n");
  MetricFamily bare{"n_total", MetricType::Counter, {{"n_total", {}, 7}}, {}};
  EXPECT_EQ(renderPrometheusText({bare}), "# TYPE n_total counter\nn_total 7\n");
}

TEST(PrometheusTextTest, WritesHelpAndGaugeTypeForOwnFamilies) {
  MetricFamily f{"open", MetricType::Gauge, {{"open", {{"pod", "a"}}, 3}}, "Open\\ed\nnow."};
  EXPECT_EQ(renderPrometheusText({f}),
            "# HELP open Open\\\\ed\\nnow.\n# TYPE open gauge\nopen{pod=\"a\"} 3\n");
  // A family without series still declares itself.
  MetricFamily none{"c_total", MetricType::Counter, {}, "Counted."};
  EXPECT_EQ(renderPrometheusText({none}), "# HELP c_total Counted.\n# TYPE c_total counter\n");
}

TEST(PrometheusTextTest, ValuesPrintLikeEnvoy) {
  EXPECT_EQ(formatPrometheusValue(0.5), "0.5");
  EXPECT_EQ(formatPrometheusValue(3600000), "3600000");
  EXPECT_EQ(formatPrometheusValue(1e15), "1000000000000000");
  EXPECT_EQ(formatPrometheusValue(0), "0");
  EXPECT_EQ(formatPrometheusValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatPrometheusValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatPrometheusValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

}  // namespace
}  // namespace meshsim::proxy::stats
