// The reports of a run, built from hand-made results: how latencies, counts and requests without
// a response read, the JSON Lines shape, and JUnit test names.

#include "sim/scenario/report.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshsim::sim::scenario {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RunResult oneStream(std::vector<uint64_t> latencies_us) {
  RunResult r;
  r.file = "x.yaml";
  r.name = "x";
  TrafficResult t;
  t.name = "t";
  t.from = "ingress";
  t.url = "http://a/";
  t.sent = latencies_us.size();
  t.status_counts[200] = latencies_us.size();
  for (const uint64_t us : latencies_us) {
    ++t.latency_us[us];
  }
  r.traffic.push_back(t);
  return r;
}

TEST(ReportTest, LatencyReadsAsMillisecondsOrSeconds) {
  EXPECT_THAT(textReport(oneStream({850'000})), HasSubstr("latency p50 850ms  p99 850ms"));
  EXPECT_THAT(textReport(oneStream({1'200'000})), HasSubstr("latency p50 1.2s  p99 1.2s"));
  EXPECT_THAT(textReport(oneStream({1'000'000})), HasSubstr("latency p50 1s "));
  EXPECT_THAT(textReport(oneStream({12'500})), HasSubstr("latency p50 12.5ms "));
  EXPECT_THAT(textReport(oneStream({250})), HasSubstr("latency p50 0.25ms "));
  EXPECT_THAT(textReport(oneStream({999'600})), HasSubstr("latency p50 1s "));
  EXPECT_THAT(textReport(oneStream({95'000'000})), HasSubstr("latency p50 95s "));
  EXPECT_THAT(textReport(oneStream({1'000'000, 1'500'000})), Not(HasSubstr("e+")));
}

TEST(ReportTest, OneRequestIsSingular) {
  EXPECT_THAT(textReport(oneStream({1000})), HasSubstr("traffic t: 1 request from ingress"));
  EXPECT_THAT(textReport(oneStream({1000, 1000})), HasSubstr("traffic t: 2 requests from ingress"));
}

TEST(ReportTest, ARequestWithoutAResponseSaysWhy) {
  RunResult r = oneStream({1000, 1000, 1000});
  r.traffic[0].status_counts = {{0, 3}};
  r.traffic[0].errors = {{"timeout", 3}};
  EXPECT_THAT(textReport(r), HasSubstr("status  ---  100.0%  (3)  no response: timeout\n"));
  r.traffic[0].errors = {{"refused", 1}, {"reset", 2}};
  EXPECT_THAT(textReport(r), HasSubstr("no response: refused 1, reset 2\n"));
}

TEST(ReportTest, JsonIsOneLinePerFile) {
  RunResult r = oneStream({1000, 2000});
  r.events.push_back({std::chrono::seconds(1), "kill pod a"});
  ExpectationResult e;
  e.location = {"x.yaml", 3, 5};
  e.what = "traffic t: status 200";
  e.passed = true;
  r.expectations = {e, e};
  const std::string json = jsonReport(r);
  EXPECT_EQ(json.find('\n'), json.size() - 1) << json;
  const std::string error =
      jsonErrorReport({"bad.yaml", "bad.yaml:1:1: malformed \"YAML\"", {"a.yaml:2:1: left out"}});
  EXPECT_EQ(error,
            "{\"file\": \"bad.yaml\", \"passed\": false, \"error\": \"bad.yaml:1:1: malformed "
            "\\\"YAML\\\"\", \"warnings\": [\"a.yaml:2:1: left out\"]}\n");
}

TEST(ReportTest, JunitNamesCarryNoLineAndTheFailureDoes) {
  RunResult r = oneStream({1000});
  ExpectationResult e;
  e.location = {"x.yaml", 30, 7};
  e.what = "traffic t: status 200";
  e.passed = false;
  e.detail = "saw 503 x 1";
  r.expectations = {e, e};
  const std::string xml = junitReport({r});
  EXPECT_THAT(xml, HasSubstr("<testcase name=\"traffic t: status 200\" classname=\"x\""));
  EXPECT_THAT(xml, HasSubstr("<testcase name=\"traffic t: status 200 #2\" classname=\"x\""));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"x.yaml:30:7: saw 503 x 1\""));
  EXPECT_THAT(xml, Not(HasSubstr("name=\"x.yaml:30")));
}

}  // namespace
}  // namespace meshsim::sim::scenario
