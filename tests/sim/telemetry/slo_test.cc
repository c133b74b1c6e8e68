#include "sim/telemetry/slo.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::telemetry {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Sample requests(const std::string& reporter, const std::string& code, double n) {
  return Sample{"istio_requests_total",
                {{"reporter", reporter},
                 {"destination_service", "hello.default.svc.cluster.local"},
                 {"destination_service_name", "hello"},
                 {"response_code", code}},
                n};
}

Sample bucket(const std::string& le, double n) {
  return Sample{"istio_request_duration_milliseconds_bucket",
                {{"reporter", "source"},
                 {"destination_service", "hello.default.svc.cluster.local"},
                 {"destination_service_name", "hello"},
                 {"response_code", "200"},
                 {"le", le}},
                n};
}

// 0 s: nothing; 60 s: 100 requests (2 errors); 120 s: 300 requests (22 errors).
Tsdb history() {
  Tsdb tsdb;
  tsdb.scrape(std::chrono::seconds(0), {});
  tsdb.scrape(std::chrono::seconds(60),
              {requests("source", "200", 98), requests("source", "503", 2),
               requests("destination", "200", 98), bucket("5", 90), bucket("10", 100),
               bucket("+Inf", 100)});
  tsdb.scrape(std::chrono::seconds(120),
              {requests("source", "200", 278), requests("source", "503", 22),
               requests("destination", "200", 278), bucket("5", 190), bucket("10", 290),
               bucket("+Inf", 300)});
  return tsdb;
}

TEST(SloTest, WholeRun) {
  SloSpec spec;
  spec.service = "hello.default.svc.cluster.local";
  spec.quantiles = {0.5, 0.99};
  auto m = measureSlo(spec, history(), std::chrono::seconds(120));
  ASSERT_THAT(m, IsOk());
  EXPECT_DOUBLE_EQ(m->requests, 300);
  EXPECT_DOUBLE_EQ(m->errors, 22);
  EXPECT_DOUBLE_EQ(m->error_rate, 22.0 / 300);
  ASSERT_EQ(m->latency_ms.size(), 2u);
  EXPECT_DOUBLE_EQ(m->latency_ms[0].first, 0.5);
  EXPECT_DOUBLE_EQ(m->latency_ms[0].second, 5 * 150.0 / 190);  // rank 150 of 190 in (0, 5]
  EXPECT_DOUBLE_EQ(m->latency_ms[1].second, 10);  // rank 297 in +Inf: the highest bound
}

TEST(SloTest, Window) {
  SloSpec spec;
  spec.service = "hello";  // the short name works too
  spec.quantiles = {0.5};
  spec.window = std::chrono::minutes(1);
  auto m = measureSlo(spec, history(), std::chrono::seconds(120));
  ASSERT_THAT(m, IsOk());
  EXPECT_DOUBLE_EQ(m->requests, 200);
  EXPECT_DOUBLE_EQ(m->errors, 20);
  EXPECT_DOUBLE_EQ(m->error_rate, 0.1);
  EXPECT_DOUBLE_EQ(m->latency_ms[0].second, 5 + 5 * (100.0 - 100) / 100);  // rank 100 of 200
}

TEST(SloTest, DestinationViewAndNoTraffic) {
  SloSpec spec;
  spec.service = "hello";
  spec.reporter = "destination";
  auto m = measureSlo(spec, history(), std::chrono::seconds(120));
  ASSERT_THAT(m, IsOk());
  EXPECT_DOUBLE_EQ(m->requests, 278);
  EXPECT_DOUBLE_EQ(m->errors, 0);
  spec.service = "nobody";
  spec.quantiles = {0.99};
  m = measureSlo(spec, history(), std::chrono::seconds(120));
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->requests, 0);
  EXPECT_TRUE(std::isnan(m->error_rate));
  EXPECT_TRUE(std::isnan(m->latency_ms[0].second));
}

TEST(SloTest, TheQueriesArePlainPromQL) {
  SloSpec spec;
  spec.service = "hello.default.svc.cluster.local";
  spec.quantiles = {0.99};
  spec.window = std::chrono::seconds(30);
  auto q = sloQueries(spec);
  ASSERT_THAT(q, IsOk());
  EXPECT_THAT(
      *q,
      ElementsAre(
          R"(sum(increase(istio_requests_total{reporter="source",destination_service="hello.default.svc.cluster.local"}[30000ms])))",
          R"(sum(increase(istio_requests_total{reporter="source",destination_service="hello.default.svc.cluster.local",response_code=~"5..|0"}[30000ms])))",
          R"(histogram_quantile(0.99, sum by (le) (increase(istio_request_duration_milliseconds_bucket{reporter="source",destination_service="hello.default.svc.cluster.local"}[30000ms]))))"));
}

TEST(SloTest, BadSpecs) {
  const Tsdb tsdb = history();
  SloSpec spec;
  EXPECT_THAT(measureSlo(spec, tsdb, {}),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("service")));
  spec.service = "hello";
  spec.error_codes = "(";
  EXPECT_THAT(measureSlo(spec, tsdb, {}),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("not a valid regular expression")));
  spec.error_codes = "5..";
  spec.quantiles = {1.5};
  EXPECT_THAT(measureSlo(spec, tsdb, {}),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("quantile must be in [0, 1]")));
  spec.quantiles = {};
  spec.window = std::chrono::microseconds(10);
  EXPECT_THAT(measureSlo(spec, tsdb, {}),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("at least 1ms")));
  spec.window.reset();
  spec.reporter = "waypoint";
  EXPECT_THAT(measureSlo(spec, tsdb, {}),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("source or destination")));
}

TEST(SloTest, ThreeServiceScenario) {
  auto scenario = scenario::loadScenario(std::string(MESHSIM_SOURCE_DIR) +
                                         "/scenarios/conformance/telemetry/three-services.yaml");
  ASSERT_THAT(scenario, IsOk());
  std::vector<SloMeasurement> measured;
  scenario::RunOptions options;
  options.on_finished = [&](const Mesh&, const Tsdb& tsdb) {
    for (const char* service : {"productpage", "ratings.default.svc.cluster.local"}) {
      SloSpec spec;
      spec.service = service;
      spec.quantiles = {0.99};
      auto m = measureSlo(spec, tsdb, *tsdb.lastScrape());
      ASSERT_THAT(m, IsOk());
      measured.push_back(*m);
    }
  };
  ASSERT_THAT(scenario::runScenario(*scenario, options), IsOk());
  ASSERT_EQ(measured.size(), 2u);
  EXPECT_DOUBLE_EQ(measured[0].requests, 100);
  EXPECT_DOUBLE_EQ(measured[0].error_rate, 0);
  EXPECT_FALSE(std::isnan(measured[0].latency_ms[0].second));
  EXPECT_DOUBLE_EQ(measured[1].requests, 20);
  EXPECT_DOUBLE_EQ(measured[1].error_rate, 1);
}

}  // namespace
}  // namespace meshsim::sim::telemetry
