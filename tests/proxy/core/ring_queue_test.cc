#include "proxy/core/ring_queue.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace meshsim {
namespace {

TEST(RingQueueTest, PopsInPushOrderAcrossWrapAroundAndGrowth) {
  RingQueue<int> q;
  EXPECT_TRUE(q.empty());
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and pops so that the head moves around the ring before it grows, then
  // grow while the live elements straddle the end of the slots.
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 3 + round % 7; ++i) {
      q.push(next_in++);
    }
    for (int i = 0; i < 2 + round % 5 && !q.empty(); ++i) {
      EXPECT_EQ(q.pop(), next_out++);
    }
    EXPECT_EQ(q.size(), static_cast<size_t>(next_in - next_out));
  }
  while (!q.empty()) {
    EXPECT_EQ(q.pop(), next_out++);
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_GT(next_in, 100);  // the ring grew past its initial 16 slots
}

TEST(RingQueueTest, HoldsMoveOnlyValuesAndReleasesThemWhenPopped) {
  RingQueue<std::unique_ptr<std::string>> q;
  for (int i = 0; i < 20; ++i) {
    q.push(std::make_unique<std::string>(std::to_string(i)));
  }
  std::vector<std::string> out;
  while (!q.empty()) {
    out.push_back(*q.pop());
  }
  ASSERT_EQ(out.size(), 20u);
  EXPECT_EQ(out.front(), "0");
  EXPECT_EQ(out.back(), "19");
}

}  // namespace
}  // namespace meshsim
