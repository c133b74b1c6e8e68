#include "proxy/event/virtual_dispatcher.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace meshsim::proxy {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(VirtualDispatcherTest, TimersFireInTimeOrderAndAdvanceVirtualTime) {
  VirtualDispatcher loop;
  std::vector<std::string> order;
  auto late =
      loop.createTimer([&] { order.push_back("30s@" + std::to_string(loop.elapsed().count())); });
  auto early = loop.createTimer([&] { order.push_back("1s"); });
  late->enable(seconds(30));
  early->enable(seconds(1));
  EXPECT_EQ(loop.runUntilIdle(), 2u);
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], "1s");
  EXPECT_EQ(order[1], "30s@30000000000");
  EXPECT_EQ(loop.elapsed(), seconds(30));
}

TEST(VirtualDispatcherTest, SameTimeEventsRunInSchedulingOrder) {
  VirtualDispatcher loop;
  std::string trace;
  loop.postAfter(milliseconds(5), [&] { trace += "a"; });
  loop.postAfter(milliseconds(5), [&] {
    trace += "b";
    loop.post([&] { trace += "d"; });  // now: after everything already due now
  });
  loop.postAfter(milliseconds(5), [&] { trace += "c"; });
  loop.post([&] { trace += "0"; });
  loop.runUntilIdle();
  EXPECT_EQ(trace, "0abcd");
}

TEST(VirtualDispatcherTest, PostIsNeverInline) {
  VirtualDispatcher loop;
  bool ran = false;
  loop.post([&] { ran = true; });
  EXPECT_FALSE(ran);
  loop.runUntilIdle();
  EXPECT_TRUE(ran);
}

TEST(VirtualDispatcherTest, DisabledOrDestroyedTimersDoNotFire) {
  VirtualDispatcher loop;
  int fired = 0;
  auto a = loop.createTimer([&] { ++fired; });
  auto b = loop.createTimer([&] { ++fired; });
  a->enable(seconds(1));
  b->enable(seconds(1));
  a->disable();
  EXPECT_FALSE(a->enabled());
  b.reset();
  loop.runUntilIdle();
  EXPECT_EQ(fired, 0);
}

// A timeout that was cancelled (or re-armed, or whose timer is gone) leaves the clock where the
// last real event left it: 100 instant requests with a 10 s timeout do not take 10 s.
TEST(VirtualDispatcherTest, CancelledTimersDoNotMoveTheClock) {
  VirtualDispatcher loop;
  int fired = 0;
  auto disabled = loop.createTimer([&] { ++fired; });
  auto rearmed = loop.createTimer([&] { ++fired; });
  auto destroyed = loop.createTimer([&] { ++fired; });
  disabled->enable(std::chrono::seconds(10));
  rearmed->enable(std::chrono::seconds(20));
  destroyed->enable(std::chrono::seconds(30));
  loop.postAfter(std::chrono::milliseconds(5), [&] {
    disabled->disable();
    rearmed->enable(std::chrono::milliseconds(1));
    destroyed.reset();
  });
  EXPECT_EQ(loop.nextEventTime(), loop.now() + std::chrono::milliseconds(5));
  loop.runUntilIdle();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(loop.elapsed(), std::chrono::milliseconds(6));
  EXPECT_EQ(loop.nextEventTime(), std::nullopt);
  // Zero-delay timers go through the ready queue and are cancelled the same way.
  auto immediate = loop.createTimer([&] { ++fired; });
  immediate->enable(std::chrono::milliseconds(0));
  immediate->disable();
  loop.runUntilIdle();
  EXPECT_EQ(fired, 1);
}

TEST(VirtualDispatcherTest, ReEnablingMovesTheDeadline) {
  VirtualDispatcher loop;
  std::vector<int64_t> fired_at;
  TimerPtr t = loop.createTimer([&] { fired_at.push_back(loop.elapsed().count()); });
  t->enable(seconds(1));
  loop.postAfter(milliseconds(500), [&] { t->enable(seconds(2)); });
  loop.runUntilIdle();
  ASSERT_EQ(fired_at.size(), 1u);
  EXPECT_EQ(fired_at[0], std::chrono::nanoseconds(milliseconds(2500)).count());
}

TEST(VirtualDispatcherTest, RunUntilStopsAtTheDeadline) {
  VirtualDispatcher loop;
  int fired = 0;
  loop.postAfter(seconds(1), [&] { ++fired; });
  loop.postAfter(seconds(3), [&] { ++fired; });
  loop.runFor(seconds(2));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(loop.elapsed(), seconds(2));
  EXPECT_EQ(loop.pendingEvents(), 1u);
  loop.runUntilIdle();
  EXPECT_EQ(fired, 2);
}

// Logs its name when destroyed, and defers `next` (if any) from its destructor.
struct Deferred {
  Deferred(std::string name, std::vector<std::string>& log, VirtualDispatcher* loop = nullptr,
           std::shared_ptr<Deferred> next = nullptr)
      : name(std::move(name)), log(log), loop(loop), next(std::move(next)) {}
  ~Deferred() {
    log.push_back(name);
    if (next != nullptr) {
      loop->deferredDelete(std::move(next));
    }
  }
  std::string name;
  std::vector<std::string>& log;
  VirtualDispatcher* loop;
  std::shared_ptr<Deferred> next;
};

TEST(VirtualDispatcherTest, DeferredDeletesGoWhenTheEventReturnsInOrder) {
  VirtualDispatcher loop;
  std::vector<std::string> log;
  loop.post([&] {
    loop.deferredDelete(std::make_shared<Deferred>("a", log));
    // b's destructor defers c: c goes in the same pass, after b.
    loop.deferredDelete(
        std::make_shared<Deferred>("b", log, &loop, std::make_shared<Deferred>("c", log)));
    log.push_back("event 1 returns");
  });
  loop.post([&] { log.push_back("event 2"); });
  // No event of its own: two events run, not three.
  EXPECT_EQ(loop.runUntilIdle(), 2u);
  EXPECT_EQ(log, (std::vector<std::string>{"event 1 returns", "a", "b", "c", "event 2"}));
}

TEST(VirtualDispatcherTest, DeferredDeletesAreKeptAliveByOtherOwners) {
  VirtualDispatcher loop;
  std::vector<std::string> log;
  auto kept = std::make_shared<Deferred>("kept", log);
  loop.post([&] { loop.deferredDelete(kept); });
  loop.runUntilIdle();
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(kept.use_count(), 1);
}

TEST(VirtualDispatcherTest, DeferredDeletesOutsideAnEventGoWhenTheLoopNextRuns) {
  VirtualDispatcher loop;
  std::vector<std::string> log;
  loop.deferredDelete(std::make_shared<Deferred>("outside", log));
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(loop.runUntilIdle(), 0u);  // nothing to run, but the list is emptied
  EXPECT_EQ(log, (std::vector<std::string>{"outside"}));
  loop.deferredDelete(std::make_shared<Deferred>("before runFor", log));
  loop.runFor(std::chrono::seconds(1));
  EXPECT_EQ(log.back(), "before runFor");
}

TEST(VirtualDispatcherTest, DeferredDeletesOutsideAnEventGoWithTheDispatcher) {
  std::vector<std::string> log;
  {
    VirtualDispatcher loop;
    loop.deferredDelete(std::make_shared<Deferred>("x", log));
    EXPECT_TRUE(log.empty());
  }
  EXPECT_EQ(log, (std::vector<std::string>{"x"}));
}

}  // namespace
}  // namespace meshsim::proxy
