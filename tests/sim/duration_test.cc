// One duration syntax for scenarios, manifests and the CLI (sim/duration.h).

#include "sim/duration.h"

#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshsim::sim {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

TEST(DurationTest, EveryUnitFromNanosecondsToHours) {
  EXPECT_EQ(*parseDuration("7ns"), nanoseconds(7));
  EXPECT_EQ(*parseDuration("100us"), microseconds(100));
  EXPECT_EQ(*parseDuration("100\xC2\xB5s"), microseconds(100));
  EXPECT_EQ(*parseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*parseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(*parseDuration("30m"), minutes(30));
  EXPECT_EQ(*parseDuration("1h"), hours(1));
  EXPECT_EQ(*parseDuration(".5s"), milliseconds(500));
}

TEST(DurationTest, SequencesAddUpAsInGoAndPromQL) {
  EXPECT_EQ(*parseDuration("1h30m"), minutes(90));
  EXPECT_EQ(*parseDuration("1m30.5s"), milliseconds(90500));
  EXPECT_EQ(*parseDuration(" 2s "), seconds(2));
  EXPECT_EQ(*parseDuration("0"), nanoseconds(0));
  EXPECT_EQ(*parseDuration("0s"), nanoseconds(0));
}

TEST(DurationTest, RefusesWhatIsNotADuration) {
  for (const char* bad :
       {"", "s", "5", "5 parsecs", "-1s", "1d", "1.5.5s", "1hh", "ms", "1s2", "1 s", "+1s", "."}) {
    EXPECT_FALSE(parseDuration(bad).ok()) << bad;
  }
  EXPECT_THAT(parseDuration("5 parsecs").status().message(),
              HasSubstr("expected a duration like 250ms, 1.5s or 2m, got \"5 parsecs\""));
  EXPECT_THAT(parseDuration("9999999h").status().message(), HasSubstr("is too long"));
}

// Istio's duration fields take exactly Go's time.ParseDuration (sim/duration.h): a sign, no
// spaces, integer nanoseconds, Go's own error texts.
TEST(DurationTest, GoDurationIsTimeParseDuration) {
  EXPECT_EQ(*parseGoDuration("+1s"), 1000000000);
  EXPECT_EQ(*parseGoDuration("-1.5s"), -1500000000);
  EXPECT_EQ(*parseGoDuration("-0"), 0);
  EXPECT_EQ(*parseGoDuration("1h30m"), int64_t{5400} * 1000000000);
  EXPECT_EQ(*parseGoDuration("0.000000001s"), 1);
  EXPECT_EQ(*parseGoDuration("1.0005s"), 1000500000);
  EXPECT_EQ(*parseGoDuration("5.s"), 5000000000);
  EXPECT_EQ(*parseGoDuration(".5ms"), 500000);
  EXPECT_EQ(*parseGoDuration("1.00000000000000000000000001s"), 1000000000);  // dropped digits
  EXPECT_EQ(*parseGoDuration("9223372036854775807ns"), INT64_MAX);
  EXPECT_EQ(*parseGoDuration("-9223372036854775808ns"), INT64_MIN);
  for (const char* bad : {"", "+", "s", " 1s", "1s ", "1 s", ".s", "1d", "10", "1.5.5s",
                          "9223372036854775808ns", "2562048h", "99999999999999999999s"}) {
    EXPECT_FALSE(parseGoDuration(bad).ok()) << bad;
  }
  EXPECT_THAT(parseGoDuration("10").status().message(),
              HasSubstr("time: missing unit in duration \"10\""));
  EXPECT_THAT(parseGoDuration("1d").status().message(),
              HasSubstr("time: unknown unit \"d\" in duration \"1d\""));
  EXPECT_THAT(parseGoDuration("ten").status().message(),
              HasSubstr("time: invalid duration \"ten\""));
}

}  // namespace
}  // namespace meshsim::sim
