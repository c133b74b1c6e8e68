#pragma once

// File: proxy/event/dispatcher.h
//
// The time and scheduling seams of the proxy core. Everything in proxy/ and sim/ reads time
// from a TimeSource and schedules work on a Dispatcher; nothing calls the wall clock or sleeps.
// Two implementations exist: VirtualDispatcher (discrete events on virtual time, for
// simulation) and, for real-network mode, one on a Boost.Asio io_context.
//
// Contract shared by every implementation: callbacks are never invoked inline from the call
// that schedules them, so re-entrancy is identical on both backends.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "proxy/core/unique_function.h"

namespace meshsim::proxy {

// The clock of a Dispatcher's TimeSource, as a type: it has no now() on purpose. Time is read
// only through TimeSource::monotonicTime(): virtual time in the simulator, the real monotonic
// clock in the Asio implementation (which converts at the seam).
struct MonotonicClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<MonotonicClock>;
  static constexpr bool is_steady = true;
};

// A point on the dispatcher's monotonic clock. In simulation this is the virtual-time epoch
// (zero) plus the virtual offset.
using MonotonicTime = MonotonicClock::time_point;
using Duration = std::chrono::nanoseconds;

class TimeSource {
public:
  virtual ~TimeSource() = default;
  // Returns the current time of this source. Never decreases.
  virtual MonotonicTime monotonicTime() const = 0;
};

// A one-shot timer owned by its creator. Destroying a Timer cancels it.
class Timer {
public:
  virtual ~Timer() = default;
  // Arms the timer to fire `delay` from now on its dispatcher. Re-arms if already enabled.
  // The callback runs on the dispatcher, never inline.
  virtual void enable(Duration delay) = 0;
  // Cancels a pending firing; a no-op when not enabled.
  virtual void disable() = 0;
  virtual bool enabled() const = 0;
};
using TimerPtr = std::unique_ptr<Timer>;

class Dispatcher {
public:
  virtual ~Dispatcher() = default;
  virtual TimeSource& timeSource() = 0;
  MonotonicTime now() { return timeSource().monotonicTime(); }
  // Creates a disabled timer that runs `cb` when it fires. The dispatcher must outlive it.
  virtual TimerPtr createTimer(std::function<void()> cb) = 0;
  // Runs `cb` later on this dispatcher, after the work already posted for the current time;
  // never inline.
  virtual void post(UniqueFunction<void()>&& cb) = 0;
  // Runs `cb` once `delay` has passed. Equivalent to a timer that cannot be cancelled,
  // without the allocation of one.
  virtual void postAfter(Duration delay, UniqueFunction<void()>&& cb) = 0;
  // Drops `object` (this reference to it) once the callback running now has returned, never
  // inside it (Envoy's deferredDelete): for an object whose own code may still be on the stack,
  // such as a stream answered from one of its timers. Objects go in the order they came. This
  // default posts one task per batch, which holds the batch (it may outlive the dispatcher);
  // VirtualDispatcher empties its list after every event instead. On the loop's thread only
  // (unlike post()).
  virtual void deferredDelete(std::shared_ptr<void> object) {
    if (posted_deletes_->empty()) {
      post([list = posted_deletes_] { clearDeferredDeletes(*list); });
    }
    posted_deletes_->push_back(std::move(object));
  }

protected:
  using DeferredDeletes = std::vector<std::shared_ptr<void>>;
  // Drops everything in `list` in order, including what their destructors defer meanwhile (they
  // are appended, and dropped in the same pass). Keeps the list's room: no allocation per event.
  static void clearDeferredDeletes(DeferredDeletes& list) {
    if (list.empty()) {
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      std::shared_ptr<void> object = std::move(list[i]);  // dropped here; may append to list
    }
    list.clear();
  }

private:
  std::shared_ptr<DeferredDeletes> posted_deletes_ = std::make_shared<DeferredDeletes>();
};

}  // namespace meshsim::proxy
