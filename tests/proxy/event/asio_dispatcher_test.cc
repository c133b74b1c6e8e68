#include "proxy/event/asio_dispatcher.h"

#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace meshsim::proxy {
namespace {

using std::chrono::milliseconds;

// Runs the loop until `done` or a generous deadline, so a missing event fails instead of hangs.
void runUntil(boost::asio::io_context& io, const bool& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(milliseconds(100));
  }
}

class AsioDispatcherTest : public ::testing::Test {
protected:
  boost::asio::io_context io_;
  AsioDispatcher dispatcher_{io_};
};

TEST_F(AsioDispatcherTest, PostNeverRunsInline) {
  bool ran = false;
  dispatcher_.post([&] { ran = true; });
  EXPECT_FALSE(ran);
  io_.poll();
  EXPECT_TRUE(ran);
}

TEST_F(AsioDispatcherTest, PostRunsInOrder) {
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) {
    dispatcher_.post([&order, i] { order.push_back(i); });
  }
  io_.poll();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(AsioDispatcherTest, PostTakesMoveOnlyCallbacks) {
  auto value = std::make_unique<int>(7);
  int seen = 0;
  dispatcher_.post([v = std::move(value), &seen] { seen = *v; });
  io_.poll();
  EXPECT_EQ(seen, 7);
}

TEST_F(AsioDispatcherTest, DeferredDeletesGoInOneLaterTaskInOrder) {
  std::vector<int> dropped;
  struct Tracked {
    Tracked(int id, std::vector<int>* log) : id(id), log(log) {}
    Tracked(const Tracked&) = delete;
    Tracked& operator=(const Tracked&) = delete;
    ~Tracked() { log->push_back(id); }
    int id;
    std::vector<int>* log;
  };
  dispatcher_.post([&] {
    dispatcher_.deferredDelete(std::make_shared<Tracked>(1, &dropped));
    dispatcher_.deferredDelete(std::make_shared<Tracked>(2, &dropped));
    EXPECT_TRUE(dropped.empty());  // not inside the callback that deferred them
  });
  EXPECT_EQ(io_.poll(), 2u);  // the callback, then the one task that drops both
  EXPECT_EQ(dropped, (std::vector<int>{1, 2}));
}

TEST_F(AsioDispatcherTest, MonotonicTimeDoesNotDecrease) {
  const MonotonicTime a = dispatcher_.now();
  const MonotonicTime b = dispatcher_.now();
  EXPECT_LE(a, b);
}

TEST_F(AsioDispatcherTest, TimerFiresAfterItsDelay) {
  bool fired = false;
  auto timer = dispatcher_.createTimer([&] { fired = true; });
  const MonotonicTime start = dispatcher_.now();
  timer->enable(milliseconds(20));
  EXPECT_TRUE(timer->enabled());
  io_.poll();
  EXPECT_FALSE(fired);  // Never inline, never early.
  runUntil(io_, fired);
  EXPECT_TRUE(fired);
  EXPECT_FALSE(timer->enabled());
  EXPECT_GE(dispatcher_.now() - start, milliseconds(20));
}

TEST_F(AsioDispatcherTest, DisabledTimerDoesNotFire) {
  int fired = 0;
  auto timer = dispatcher_.createTimer([&] { ++fired; });
  timer->enable(milliseconds(1));
  timer->disable();
  EXPECT_FALSE(timer->enabled());
  bool later = false;
  dispatcher_.postAfter(milliseconds(30), [&] { later = true; });
  runUntil(io_, later);
  EXPECT_EQ(fired, 0);
}

TEST_F(AsioDispatcherTest, ReEnablingMovesTheDeadline) {
  int fired = 0;
  bool done = false;
  auto timer = dispatcher_.createTimer([&] {
    ++fired;
    done = true;
  });
  timer->enable(milliseconds(1));
  timer->enable(milliseconds(40));
  bool early = false;
  dispatcher_.postAfter(milliseconds(15), [&] { early = true; });
  runUntil(io_, early);
  EXPECT_EQ(fired, 0);
  runUntil(io_, done);
  EXPECT_EQ(fired, 1);
}

TEST_F(AsioDispatcherTest, DestroyingATimerCancelsIt) {
  int fired = 0;
  auto timer = dispatcher_.createTimer([&] { ++fired; });
  timer->enable(milliseconds(1));
  timer.reset();
  bool later = false;
  dispatcher_.postAfter(milliseconds(20), [&] { later = true; });
  runUntil(io_, later);
  EXPECT_EQ(fired, 0);
}

TEST_F(AsioDispatcherTest, TimerCallbackMayDestroyItsTimer) {
  TimerPtr timer;
  bool fired = false;
  timer = dispatcher_.createTimer([&] {
    timer.reset();
    fired = true;
  });
  timer->enable(milliseconds(1));
  runUntil(io_, fired);
  EXPECT_TRUE(fired);
  EXPECT_EQ(timer, nullptr);
}

TEST_F(AsioDispatcherTest, PostAfterRunsOnceAfterTheDelay) {
  int runs = 0;
  bool done = false;
  const MonotonicTime start = dispatcher_.now();
  dispatcher_.postAfter(milliseconds(10), [&] {
    ++runs;
    done = true;
  });
  io_.poll();
  EXPECT_EQ(runs, 0);
  runUntil(io_, done);
  EXPECT_EQ(runs, 1);
  EXPECT_GE(dispatcher_.now() - start, milliseconds(10));
}

}  // namespace
}  // namespace meshsim::proxy
