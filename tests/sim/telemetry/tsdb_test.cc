#include "sim/telemetry/tsdb.h"

#include <gtest/gtest.h>

namespace meshsim::sim::telemetry {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Sample counter(const std::string& pod, double v) {
  return Sample{"requests_total", {{"pod", pod}}, v};
}

TEST(TsdbTest, InstantLookupTakesTheLatestPointWithinTheLookback) {
  Tsdb tsdb;
  tsdb.scrape(seconds(0), {counter("a", 1)});
  tsdb.scrape(seconds(15), {counter("a", 4)});
  ASSERT_EQ(tsdb.series().size(), 1u);
  const auto& s = tsdb.series()[0];
  EXPECT_EQ(tsdb.pointAt(s, seconds(0))->value, 1);
  EXPECT_EQ(tsdb.pointAt(s, seconds(14))->value, 1);
  EXPECT_EQ(tsdb.pointAt(s, seconds(15))->value, 4);
  EXPECT_EQ(tsdb.pointAt(s, seconds(15) + minutes(5))->value, 4);  // lookback is inclusive
  EXPECT_EQ(tsdb.pointAt(s, seconds(16) + minutes(5)), nullptr);
  EXPECT_EQ(tsdb.pointAt(s, seconds(-1)), nullptr);
}

TEST(TsdbTest, NewSeriesStartFromZeroAtThePreviousScrape) {
  Tsdb tsdb;
  tsdb.scrape(seconds(0), {});
  tsdb.scrape(seconds(15), {counter("a", 10)});
  const auto& s = tsdb.series()[0];
  ASSERT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.points[0].t, seconds(0));
  EXPECT_EQ(s.points[0].value, 0);
  EXPECT_EQ(s.points[1].value, 10);

  Tsdb plain(TsdbOptions{.lookback = minutes(5), .zero_fill_new_series = false});
  plain.scrape(seconds(0), {});
  plain.scrape(seconds(15), {counter("a", 10)});
  EXPECT_EQ(plain.series()[0].points.size(), 1u);
}

TEST(TsdbTest, ASeriesMissingFromAScrapeGoesStale) {
  Tsdb tsdb;
  tsdb.scrape(seconds(0), {counter("a", 1), counter("b", 1)});
  tsdb.scrape(seconds(15), {counter("b", 2)});
  const auto& a = tsdb.series()[0];
  EXPECT_EQ(tsdb.pointAt(a, seconds(10))->value, 1);
  EXPECT_EQ(tsdb.pointAt(a, seconds(15)), nullptr);                  // stale from 15 s on
  EXPECT_EQ(tsdb.pointsIn(a, seconds(20), seconds(30)).size(), 1u);  // markers are not points
  // It comes back without a zero: the counter went on.
  tsdb.scrape(seconds(30), {counter("a", 3), counter("b", 3)});
  EXPECT_EQ(tsdb.pointAt(a, seconds(30))->value, 3);
  EXPECT_EQ(tsdb.latest().size(), 2u);
}

TEST(TsdbTest, RangesIncludeBothEnds) {
  Tsdb tsdb;
  for (int i = 0; i <= 4; ++i) {
    tsdb.scrape(seconds(15 * i), {counter("a", i)});
  }
  const auto& s = tsdb.series()[0];
  const auto points = tsdb.pointsIn(s, seconds(60), minutes(1));
  ASSERT_EQ(points.size(), 5u);
  EXPECT_EQ(points.front().t, seconds(0));
  EXPECT_EQ(points.back().t, seconds(60));
  EXPECT_EQ(tsdb.pointsIn(s, seconds(59), seconds(30)).size(), 2u);  // 30 s and 45 s
}

TEST(TsdbTest, AScrapeAtTheSameTimeReplacesThePrevious) {
  Tsdb tsdb;
  tsdb.scrape(seconds(0), {counter("a", 1)});
  tsdb.scrape(seconds(15), {counter("a", 2), counter("b", 5)});
  tsdb.scrape(seconds(15), {counter("a", 3)});
  EXPECT_EQ(tsdb.scrapeTimes().size(), 2u);
  const auto& a = tsdb.series()[0];
  ASSERT_EQ(a.points.size(), 2u);
  EXPECT_EQ(a.points[1].value, 3);
  const auto& b = tsdb.series()[1];
  EXPECT_TRUE(b.points.empty());  // it only existed in the replaced scrape
  ASSERT_EQ(tsdb.latest().size(), 1u);
  EXPECT_EQ(tsdb.latest()[0].value, 3);
  // Replacing the very first scrape (a run that took no virtual time).
  Tsdb once;
  once.scrape(seconds(0), {});
  once.scrape(seconds(0), {counter("a", 7)});
  EXPECT_EQ(once.scrapeTimes().size(), 1u);
  EXPECT_EQ(once.latest()[0].value, 7);
}

TEST(TsdbTest, TheSameSeriesTwiceInOneScrapeIsAddedUp) {
  Tsdb tsdb;
  tsdb.scrape(seconds(0), {counter("a", 1), counter("a", 2)});
  ASSERT_EQ(tsdb.series().size(), 1u);
  EXPECT_EQ(tsdb.latest()[0].value, 3);
}

TEST(TsdbTest, SeriesAreFoundByName) {
  Tsdb tsdb;
  tsdb.scrape(seconds(0), {counter("a", 1), Sample{"other", {}, 2}, counter("b", 1)});
  EXPECT_EQ(tsdb.seriesNamed("requests_total"), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(tsdb.seriesNamed("other"), (std::vector<size_t>{1}));
  EXPECT_TRUE(tsdb.seriesNamed("nope").empty());
  EXPECT_EQ(tsdb.lastScrape(), seconds(0));
}

}  // namespace
}  // namespace meshsim::sim::telemetry
