#pragma once

// File: proxy/event/asio_loop_clock.h
//
// The real-time loop's clock, read once per event. A proxy handling one readiness event (a
// request arriving, a response coming back) asks for the time several times: when the request
// started, when its attempt went out, when the connection was last active. Those reads may all
// be the same instant, as nginx's cached time is: while a LoopClock::Event is open on a thread,
// now() returns the time it was opened; outside one it reads the clock. Durations that Istio
// reports are whole milliseconds, far coarser than one event. Real-network code only (the
// simulation's clock is virtual).
//
// Example:
//   {
//     LoopClock::Event event;      // reads the clock
//     handleReadiness();           // every LoopClock::now() inside sees that instant
//   }

#include <chrono>

namespace meshsim::proxy {

class LoopClock {
public:
  using Clock = std::chrono::steady_clock;

  static Clock::time_point now() { return open_ ? event_time_ : Clock::now(); }

  // Fixes now() to the current time until destroyed; nested events read the clock again and
  // restore the outer time when they end.
  class Event {
  public:
    Event() : outer_open_(open_), outer_time_(event_time_) {
      event_time_ = Clock::now();
      open_ = true;
    }
    ~Event() {
      open_ = outer_open_;
      event_time_ = outer_time_;
    }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

  private:
    bool outer_open_;
    Clock::time_point outer_time_;
  };

private:
  static inline thread_local bool open_ = false;
  static inline thread_local Clock::time_point event_time_{};
};

}  // namespace meshsim::proxy
