#include "sim/telemetry/metric_query.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/testing/matchers.h"

namespace meshsim::sim::telemetry {
namespace {

using ::meshsim::testing::IsOk;
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

// --- The rest of the subset: arithmetic, comparisons, vector matching, functions, ranges. ---

std::vector<Sample> evalVector(const std::string& q, const std::vector<Sample>& in = samples()) {
  auto query = MetricQuery::parse(q);
  EXPECT_TRUE(query.ok()) << query.status().toString();
  return query.ok() ? query->evaluate(in) : std::vector<Sample>{};
}

std::string labelOf(const Sample& s, const std::string& name) {
  for (const auto& [k, v] : s.labels) {
    if (k == name) {
      return v;
    }
  }
  return "";
}

TEST(MetricQueryTest, ScalarArithmeticAndPrecedence) {
  EXPECT_EQ(eval("1 + 2 * 3"), 7);
  EXPECT_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval("2 ^ 3 ^ 2"), 512);  // right-associative
  EXPECT_EQ(eval("-2 ^ 2"), -4);      // ^ binds tighter than unary minus
  EXPECT_EQ(eval("10 / 4 - 1"), 1.5);
  EXPECT_EQ(eval("7 % 4"), 3);
  EXPECT_EQ(eval("1e3 + .5"), 1000.5);
  EXPECT_EQ(eval("3 > bool 2"), 1);
  EXPECT_EQ(eval("3 < bool 2"), 0);
  EXPECT_TRUE(std::isinf(eval("Inf")));
  EXPECT_TRUE(MetricQuery::parse("1 + 1")->returnsScalar());
  EXPECT_FALSE(MetricQuery::parse("sum(m)")->returnsScalar());
}

TEST(MetricQueryTest, ErrorRatioBetweenAggregations) {
  EXPECT_DOUBLE_EQ(eval(R"(sum(istio_requests_total{reporter="source",response_code=~"5.."}) / )"
                        R"(sum(istio_requests_total{reporter="source"}))"),
                   0.1);
  EXPECT_DOUBLE_EQ(eval(R"(100 * sum(istio_requests_total{response_code="503"}) / )"
                        R"(sum(istio_requests_total))"),
                   1000.0 / 190);
}

TEST(MetricQueryTest, VectorScalarOperationsKeepLabelsAndDropTheName) {
  const auto out = evalVector(R"(istio_requests_total{reporter="source"} * 2)");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "");
  EXPECT_EQ(out[0].value, 180);
  EXPECT_EQ(labelOf(out[0], "response_code"), "200");
  // A comparison filters and keeps the name and the vector's value, on either side.
  const auto kept = evalVector("istio_requests_total > 50");
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].name, "istio_requests_total");
  EXPECT_EQ(kept[0].value, 90);
  const auto swapped = evalVector("50 < istio_requests_total");
  ASSERT_EQ(swapped.size(), 2u);
  EXPECT_EQ(swapped[0].value, 90);
  const auto flags = evalVector("istio_requests_total > bool 50");
  ASSERT_EQ(flags.size(), 3u);
  EXPECT_EQ(flags[1].value, 0);
  EXPECT_EQ(flags[1].name, "");
  const auto neg = evalVector(R"(-istio_requests_total{response_code="503"})");
  ASSERT_EQ(neg.size(), 1u);
  EXPECT_EQ(neg[0].value, -10);
}

TEST(MetricQueryTest, VectorMatchingOnIdenticalLabelSets) {
  // Per reporter: errors / all.
  const auto out = evalVector(R"(sum by (reporter) (istio_requests_total{response_code="503"}) / )"
                              R"(sum by (reporter) (istio_requests_total))");
  ASSERT_EQ(out.size(), 1u);  // no 503 from the destination: no match, no result
  EXPECT_EQ(labelOf(out[0], "reporter"), "source");
  EXPECT_DOUBLE_EQ(out[0].value, 0.1);
  // on (...) and ignoring (...).
  const auto on = evalVector(R"(istio_requests_total{response_code="503"} / on (pod) )"
                             R"(istio_requests_total{response_code="200",reporter="source"})");
  ASSERT_EQ(on.size(), 1u);
  EXPECT_EQ(on[0].labels, (Labels{{"pod", "a"}}));
  EXPECT_NEAR(on[0].value, 10.0 / 90, 1e-12);
  const auto ignoring =
      evalVector(R"(istio_requests_total{response_code="503"} - ignoring (response_code) )"
                 R"(istio_requests_total{response_code="200",reporter="source"})");
  ASSERT_EQ(ignoring.size(), 1u);
  EXPECT_EQ(ignoring[0].value, -80);
  EXPECT_EQ(labelOf(ignoring[0], "response_code"), "");
  EXPECT_EQ(labelOf(ignoring[0], "pod"), "a");
}

TEST(MetricQueryTest, ManyToManyMatchingIsAnEvaluationError) {
  auto q = MetricQuery::parse("istio_requests_total / on (reporter) istio_requests_total");
  ASSERT_TRUE(q.ok());
  Tsdb tsdb;
  tsdb.scrape(VirtualTime{0}, samples());
  EXPECT_THAT(q->evaluate(tsdb, VirtualTime{0}),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("column 22: several series on the right-hand side")));
  EXPECT_TRUE(q->evaluate(samples()).empty());
}

TEST(MetricQueryTest, SetOperators) {
  EXPECT_EQ(evalVector(R"(istio_requests_total and istio_requests_total{pod="a"})").size(), 2u);
  EXPECT_EQ(evalVector(R"(istio_requests_total unless istio_requests_total{pod="a"})").size(), 1u);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{reporter="waypoint"}) or vector(0))"), 0);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{reporter="source"}) or vector(0))"), 100);
  EXPECT_EQ(evalVector(R"(other_metric or on (reporter) istio_requests_total)").size(), 2u);
}

TEST(MetricQueryTest, WithoutAndNameMatchers) {
  const auto out = evalVector("sum without (pod, response_code) (istio_requests_total)");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels, (Labels{{"reporter", "destination"}}));
  EXPECT_EQ(eval(R"(sum({__name__="istio_requests_total"}))"), 190);
  EXPECT_EQ(eval(R"(count({__name__=~".*_metric"}))"), 1);
}

TEST(MetricQueryTest, StringEscapesAndRawStrings) {
  EXPECT_EQ(eval(R"(sum(istio_requests_total{response_code=~"\\d{3}",pod=~`\w`}))"), 190);
  EXPECT_EQ(eval(R"(sum(istio_requests_total{response_code=~`5\d\d`}))"), 10);
}

TEST(MetricQueryTest, SmallFunctions) {
  EXPECT_EQ(eval("scalar(sum(istio_requests_total)) * 2"), 380);
  EXPECT_TRUE(std::isnan(eval("scalar(istio_requests_total)")));
  EXPECT_EQ(eval("sum(clamp_max(istio_requests_total, 50))"), 110);
  EXPECT_EQ(eval("sum(clamp_min(istio_requests_total, 50))"), 230);
  EXPECT_EQ(eval("sum(abs(-istio_requests_total))"), 190);
  EXPECT_EQ(eval("time()"), 0);
}

std::vector<Sample> histogram(double le05, double le1, double le5, double inf,
                              const std::string& pod = "a") {
  const auto bucket = [&](const char* le, double v) {
    return Sample{"d_bucket", {{"pod", pod}, {"le", le}}, v};
  };
  return {bucket("0.5", le05), bucket("1", le1), bucket("5", le5), bucket("+Inf", inf)};
}

TEST(MetricQueryTest, HistogramQuantileInterpolatesLikePrometheus) {
  const auto h = histogram(10, 50, 90, 100);
  auto q = [&](const std::string& text) {
    auto parsed = MetricQuery::parse(text);
    EXPECT_TRUE(parsed.ok()) << parsed.status().toString();
    return *parsed->evaluateScalar(h);
  };
  EXPECT_DOUBLE_EQ(q("histogram_quantile(0.5, d_bucket)"), 1.0);
  EXPECT_DOUBLE_EQ(q("histogram_quantile(0.05, d_bucket)"), 0.25);  // lowest bucket from 0
  EXPECT_DOUBLE_EQ(q("histogram_quantile(0.7, d_bucket)"), 3.0);
  EXPECT_DOUBLE_EQ(q("histogram_quantile(0.95, d_bucket)"), 5.0);  // in +Inf: highest bound
  EXPECT_TRUE(std::isinf(q("histogram_quantile(2, d_bucket)")));
  EXPECT_EQ(q("histogram_quantile(-1, d_bucket)"), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*MetricQuery::parse("histogram_quantile(0.5, d_bucket)")
                              ->evaluateScalar(histogram(0, 0, 0, 0))));
  // One result per label set without le.
  auto both = histogram(10, 50, 90, 100, "a");
  for (const auto& s : histogram(100, 100, 100, 100, "b")) {
    both.push_back(s);
  }
  const auto out = evalVector("histogram_quantile(0.5, d_bucket)", both);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels, (Labels{{"pod", "a"}}));
  EXPECT_DOUBLE_EQ(out[1].value, 0.25);
  EXPECT_DOUBLE_EQ(
      *MetricQuery::parse("histogram_quantile(0.5, sum by (le) (d_bucket))")->evaluateScalar(both),
      0.5 * 100 / 110);
}

// Counters scraped every 15 s: 0, 15, 30, ... with `per_scrape` more requests each time.
Tsdb linearCounter(double per_scrape, int scrapes) {
  Tsdb tsdb;
  tsdb.scrape(std::chrono::seconds(0), {});
  for (int i = 1; i <= scrapes; ++i) {
    tsdb.scrape(std::chrono::seconds(15 * i), {Sample{"c_total", {{"pod", "a"}}, per_scrape * i}});
  }
  return tsdb;
}

double evalAt(const std::string& text, const Tsdb& tsdb, VirtualTime at) {
  auto q = MetricQuery::parse(text);
  EXPECT_TRUE(q.ok()) << q.status().toString();
  auto v = q->evaluateScalar(tsdb, at);
  EXPECT_TRUE(v.ok()) << v.status().toString();
  return v.ok() ? *v : -1;
}

TEST(MetricQueryTest, RateAndIncreaseOverTheScrapes) {
  const Tsdb tsdb = linearCounter(30, 8);  // 2 requests per second for 2 minutes
  using std::chrono::seconds;
  EXPECT_DOUBLE_EQ(evalAt("sum(rate(c_total[1m]))", tsdb, seconds(120)), 2.0);
  EXPECT_DOUBLE_EQ(evalAt("sum(increase(c_total[1m]))", tsdb, seconds(120)), 120.0);
  EXPECT_DOUBLE_EQ(evalAt("sum(increase(c_total[2m]))", tsdb, seconds(120)), 240.0);
  // From the birth of the series: the zero at the first scrape counts.
  EXPECT_DOUBLE_EQ(evalAt("sum(increase(c_total[30s]))", tsdb, seconds(30)), 60.0);
  // Between scrapes: extrapolated to the range's ends, as Prometheus does.
  EXPECT_DOUBLE_EQ(evalAt("sum(increase(c_total[1m]))", tsdb, seconds(100)), 120.0);
  // offset moves the window back.
  EXPECT_DOUBLE_EQ(evalAt("sum(increase(c_total[30s] offset 1m))", tsdb, seconds(120)), 60.0);
  EXPECT_DOUBLE_EQ(evalAt("sum(c_total offset 30s)", tsdb, seconds(120)), 180.0);
  // Instant selectors at a time see the counter then.
  EXPECT_DOUBLE_EQ(evalAt("sum(c_total)", tsdb, seconds(50)), 90.0);
  // A single point is not enough for a rate.
  EXPECT_DOUBLE_EQ(evalAt("sum(rate(c_total[10s]))", tsdb, seconds(120)), 0.0);
}

TEST(MetricQueryTest, CounterResetsAreHandled) {
  Tsdb tsdb;
  using std::chrono::seconds;
  const double values[] = {0, 10, 20, 5, 15};  // the proxy restarted before the 4th scrape
  for (int i = 0; i < 5; ++i) {
    tsdb.scrape(seconds(15 * i), {Sample{"c_total", {}, values[i]}});
  }
  EXPECT_DOUBLE_EQ(evalAt("increase(c_total[1m])", tsdb, seconds(60)), 35.0);
}

TEST(MetricQueryTest, HistogramQuantileOfRates) {
  Tsdb tsdb;
  using std::chrono::seconds;
  tsdb.scrape(seconds(0), histogram(0, 0, 0, 0));
  tsdb.scrape(seconds(60), histogram(10, 50, 90, 100));
  EXPECT_DOUBLE_EQ(
      evalAt("histogram_quantile(0.5, sum by (le) (rate(d_bucket[1m])))", tsdb, seconds(60)), 1.0);
}

// Found by metric_query_fuzz: "[2000006y]" overflowed the nanosecond count (undefined
// behaviour). Durations are refused above 100 years, which keeps the evaluation time minus an
// offset and a range inside int64.
TEST(MetricQueryTest, DurationsAboveAHundredYearsAreRefused) {
  EXPECT_THAT(MetricQuery::parse("sum(increase(c_total[2000006y]))"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("column 22: duration is too large (at most 100y)")));
  EXPECT_THAT(MetricQuery::parse("sum(increase(c_total[60y60y]))"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("column 22: duration is too large")));
  EXPECT_THAT(MetricQuery::parse("c_total offset 100y1ms"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("column 16: duration is too large")));
  auto widest =
      MetricQuery::parse("sum(increase(c_total[100y] offset -100y)) + sum(c_total offset 100y)");
  ASSERT_THAT(widest, IsOk());
  Tsdb tsdb;
  tsdb.scrape(VirtualTime{0}, {Sample{"c_total", {}, 1}});
  EXPECT_THAT(widest->evaluate(tsdb, std::chrono::seconds(60)), IsOk());
}

// Found by metric_query_fuzz: "min((((((...": the recursive parser overflowed the stack. Queries
// nest at most 256 levels, counting parentheses, unary signs and operator chains alike (a long
// chain of + is as deep a tree to evaluate as nested parentheses).
TEST(MetricQueryTest, DeepNestingIsRefusedNotAStackOverflow) {
  const auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      out += s;
    }
    return out;
  };
  const auto too_deep = HasSubstr("the query nests too deeply (more than 256 levels)");
  EXPECT_THAT(MetricQuery::parse("min(" + repeat("(", 5000) + "m" + repeat(")", 5001)),
              StatusIs(StatusCode::InvalidArgument, too_deep));
  EXPECT_THAT(MetricQuery::parse(repeat("-", 5000) + "1"),
              StatusIs(StatusCode::InvalidArgument, too_deep));
  EXPECT_THAT(MetricQuery::parse("1" + repeat(" + 1", 5000)),
              StatusIs(StatusCode::InvalidArgument, too_deep));
  EXPECT_THAT(MetricQuery::parse(repeat("abs(", 300) + "m" + repeat(")", 300)),
              StatusIs(StatusCode::InvalidArgument, too_deep));

  auto deep = MetricQuery::parse(repeat("(", 200) + "1" + repeat(" + 1", 50) + repeat(")", 200));
  ASSERT_THAT(deep, IsOk());
  EXPECT_THAT(deep->evaluateScalar(std::vector<Sample>{}), IsOk());
  EXPECT_EQ(*deep->evaluateScalar(std::vector<Sample>{}), 51);
}

TEST(MetricQueryTest, MoreErrorsPointAtTheColumn) {
  const auto fails = [](const std::string& q, const std::string& message) {
    EXPECT_THAT(MetricQuery::parse(q), StatusIs(StatusCode::InvalidArgument, HasSubstr(message)))
        << q;
  };
  fails("rate(m)",
        "column 6: rate() needs a range vector as argument 1, got an instant vector; "
        "add a range such as [5m]");
  fails("sum(m[5m])", "column 5: sum() needs an instant vector, got a range vector");
  fails("m[5m]", "column 1: the query yields a range vector");
  fails("m[5x]", "column 4: expected a duration unit");
  fails("m[]", "column 3: expected a duration such as 5m or 30s");
  fails("m[0s]", "column 3: duration must be greater than 0");
  fails("sum(m)[5m]", "column 7: a range [..] applies only to a metric selector");
  fails("(m)[5m]", "column 4: a range [..] applies only to a metric selector");
  fails("1 > 2", "column 3: comparisons between scalars must use the bool modifier");
  fails("m and 1", "column 3: set operator \"and\" needs instant vectors on both sides");
  fails("m + on (a) 1", "on (...) and ignoring (...) need vectors on both sides");
  fails("m / on (a) group_left n", "group_left and group_right are not supported");
  fails("foo(m)", "column 1: unknown function \"foo\"");
  fails("histogram_quantile(m, n)", "column 20: histogram_quantile() needs a scalar as argument 1");
  fails("histogram_quantile(0.5)", "column 1: histogram_quantile() takes 2 arguments, got 1");
  fails("sum by (a) without (b) (m)", "only one of by (...) and without (...)");
  fails("sum m", "column 5: expected '(' after sum");
  fails("m +", "column 4: expected a metric name, a number");
  fails("1 2", "column 3: unexpected '2' after the expression");
  fails("5m", "column 2: unexpected 'm' after a number");
  fails("{}", "column 1: a selector without a metric name needs a matcher");
  fails("(1 + 2", "column 7: expected ')'");
  fails("rate(m[5m]", "column 11: expected ',' or ')'");
  fails("\"x\"", "a string is not allowed here");
  fails(R"(m{a=~"\+Inf"})", "column 7: unknown escape sequence \\+ in a string");
  fails(R"(m{a="x})", "column 5: unterminated string");
  // The message shows the query and a caret under the column.
  EXPECT_THAT(MetricQuery::parse("sum(rate(m))"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("column 10: rate() needs a range vector as argument 1, got an "
                                 "instant vector; add a range such as [5m]\n  sum(rate(m))\n"
                                 "           ^")));
}

}  // namespace
}  // namespace meshsim::sim::telemetry
