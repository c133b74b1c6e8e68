#pragma once

// File: proxy/event/virtual_dispatcher.h
//
// A single-threaded discrete-event Dispatcher on virtual time. Events are ordered by
// (time, sequence): events due at the same virtual time run in the order they were scheduled
// (FIFO on ties, as in ns-3), which makes every run with the same inputs identical.
//
// Example:
//   VirtualDispatcher loop;
//   auto timer = loop.createTimer([] { ... });
//   timer->enable(std::chrono::seconds(30));
//   loop.runUntilIdle();   // returns at once in wall time; loop.now() is 30 s later
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <vector>

#include "proxy/core/ring_queue.h"
#include "proxy/event/dispatcher.h"

namespace meshsim::proxy {

class VirtualDispatcher : public Dispatcher, public TimeSource {
public:
  VirtualDispatcher() = default;
  ~VirtualDispatcher() override { clearDeferredDeletes(deferred_); }
  VirtualDispatcher(const VirtualDispatcher&) = delete;
  VirtualDispatcher& operator=(const VirtualDispatcher&) = delete;

  // proxy::TimeSource
  MonotonicTime monotonicTime() const override { return now_; }

  // proxy::Dispatcher
  TimeSource& timeSource() override { return *this; }
  TimerPtr createTimer(std::function<void()> cb) override;
  void post(UniqueFunction<void()>&& cb) override { schedule(now_, std::move(cb)); }
  void postAfter(Duration delay, UniqueFunction<void()>&& cb) override {
    schedule(now_ + delay, std::move(cb));
  }
  // Without an event of its own: the list is emptied when the event running now returns (or,
  // for what was deferred outside any event, when runUntilIdle() or runUntil() is next called).
  void deferredDelete(std::shared_ptr<void> object) override {
    deferred_.push_back(std::move(object));
  }

  // Runs events until none is left. Returns the number of events run. A timer that was
  // disabled, re-armed or destroyed never moves the clock: its pending firing is dropped, so a
  // route timeout that never fired does not stretch a run's virtual time.
  uint64_t runUntilIdle();
  // Runs every event due at or before `deadline`, then sets the clock to `deadline`.
  uint64_t runUntil(MonotonicTime deadline);
  uint64_t runFor(Duration d) { return runUntil(now_ + d); }
  // Virtual time elapsed since the epoch.
  Duration elapsed() const { return now_.time_since_epoch(); }
  size_t pendingEvents() const { return queue_.size() + ready_.size(); }
  // The time of the next event to run (now() when one is due now); nullopt when none is
  // pending. Lets a caller stop at points in between without moving the clock past the last
  // event (runUntil() always advances it to its deadline). Firings of timers that were
  // disabled, re-armed or destroyed do not count.
  std::optional<MonotonicTime> nextEventTime() const {
    if (!ready_.empty()) {
      return now_;
    }
    dropStaleTimers();
    if (!queue_.empty()) {
      return queue_.top().when;
    }
    return std::nullopt;
  }

private:
  class TimerImpl;
  // Shared by a timer and its pending firing: the firing is live while `timer` is set (the
  // timer exists) and the timer's arming generation is still the one it was scheduled with.
  struct TimerState {
    TimerImpl* timer = nullptr;
    uint64_t generation = 0;
  };
  struct Event {
    MonotonicTime when;
    uint64_t sequence;
    UniqueFunction<void()> cb;          // a posted callback; empty for a timer's firing
    std::shared_ptr<TimerState> timer;  // a timer's firing
    uint64_t generation = 0;
    bool stale() const {
      return timer && (timer->timer == nullptr || timer->generation != generation);
    }
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.when > b.when || (a.when == b.when && a.sequence > b.sequence);
    }
  };

  void schedule(MonotonicTime when, UniqueFunction<void()>&& cb);
  void scheduleTimer(MonotonicTime when, std::shared_ptr<TimerState> timer);
  // Pops stale timer firings off the head of the queue, leaving the clock where it is.
  void dropStaleTimers() const;
  bool runOne();

  MonotonicTime now_{};
  uint64_t next_sequence_ = 0;
  // Events due later than now, by (time, sequence).
  // Mutable: dropping stale timer firings changes no observable state.
  mutable std::priority_queue<Event, std::vector<Event>, Later> queue_;
  // Events due now, in scheduling order. Every queued event due now was scheduled at an
  // earlier time, so it precedes all of these; keeping them apart spares the heap the most
  // common case (post) without changing the (time, sequence) order.
  RingQueue<UniqueFunction<void()>> ready_;
  // deferredDelete()'s objects, dropped when the event that deferred them returns.
  DeferredDeletes deferred_;
};

}  // namespace meshsim::proxy
