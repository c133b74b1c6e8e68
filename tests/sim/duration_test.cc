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

}  // namespace
}  // namespace meshsim::sim
