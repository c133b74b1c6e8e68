#include "sim/telemetry/metric_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/testing/matchers.h"

namespace meshsim::sim::telemetry {
namespace {

using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<Sample> samples() {
  return {
      {"istio_requests_total",
       {{"reporter", "source"}, {"response_code", "200"}, {"pod", "a"}},
       90},
      {"istio_requests_total",
       {{"reporter", "source"}, {"response_code", "503"}, {"pod", "a"}},
       10},
      {"istio_requests_total",
       {{"reporter", "destination"}, {"response_code", "200"}, {"pod", "b"}},
       90},
      {"other_metric", {{"reporter", "source"}}, 7},
  };
}

double eval(const std::string& q) {
  auto query = MetricQuery::parse(q);
  EXPECT_TRUE(query.ok()) << query.status().toString();
  auto v = query->evaluateScalar(samples());
  EXPECT_TRUE(v.ok()) << v.status().toString();
  return v.ok() ? *v : -1;
}

TEST(MetricQueryTest, SumWithMatchers) {
  EXPECT_EQ(eval("sum(istio_requests_total)"), 190);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{reporter="source"}))"), 100);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{reporter="source",response_code!="200"}))"), 10);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{response_code=~"5.."}))"), 10);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{response_code!~"5.*"}))"), 180);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{reporter='source',}))"), 100);
  EXPECT_EQ(eval(R"(other_metric)"), 7);
}

TEST(MetricQueryTest, RegexIsAnchored) {
  EXPECT_EQ(eval(R"(sum(istio_requests_total{response_code=~"5"}))"), 0);
}

TEST(MetricQueryTest, OtherAggregations) {
  EXPECT_EQ(eval("count(istio_requests_total)"), 3);
  EXPECT_EQ(eval("max(istio_requests_total)"), 90);
  EXPECT_EQ(eval("min(istio_requests_total)"), 10);
  EXPECT_NEAR(eval("avg(istio_requests_total)"), 190.0 / 3, 1e-9);
}

TEST(MetricQueryTest, SumByGroups) {
  auto q = MetricQuery::parse("sum by (reporter) (istio_requests_total)");
  ASSERT_TRUE(q.ok()) << q.status().toString();
  const auto out = q->evaluate(samples());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels[0].second, "destination");
  EXPECT_EQ(out[0].value, 90);
  EXPECT_EQ(out[1].value, 100);
  auto trailing = MetricQuery::parse("sum(istio_requests_total) by (pod)");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->evaluate(samples()).size(), 2u);
}

TEST(MetricQueryTest, NothingMatchingIsZeroSeveralSeriesIsAnError) {
  EXPECT_EQ(eval(R"(sum(istio_requests_total{reporter="waypoint"}))"), 0);
  auto q = MetricQuery::parse("istio_requests_total");
  ASSERT_TRUE(q.ok());
  EXPECT_THAT(q->evaluateScalar(samples()),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("returns 3 series")));
}

TEST(MetricQueryTest, ErrorsPointAtTheColumn) {
  EXPECT_THAT(MetricQuery::parse(R"(sum(istio_requests_total{reporter="source"))"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("column 43: expected ',' or '}'")));
  EXPECT_THAT(
      MetricQuery::parse(R"(m{a=="x"})"),
      StatusIs(StatusCode::InvalidArgument, HasSubstr("column 5: expected a quoted string")));
  EXPECT_THAT(MetricQuery::parse(R"(m{a=~"("})"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("invalid regular expression")));
  EXPECT_THAT(MetricQuery::parse(R"(m{a="x)"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("unterminated string")));
  EXPECT_THAT(MetricQuery::parse(""), StatusIs(StatusCode::InvalidArgument, HasSubstr("column 1")));
}

}  // namespace
}  // namespace meshsim::sim::telemetry
