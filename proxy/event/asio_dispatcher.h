#pragma once

// File: proxy/event/asio_dispatcher.h
//
// The real-time Dispatcher: Boost.Asio's io_context and steady_timer behind the seams of
// dispatcher.h, for real-network mode (`meshsim serve`). The proxy core runs on it unchanged.
//
// Threading: the dispatcher does not run the io_context; whoever owns it calls run() on one
// thread, and every callback (posted work, timers) runs on that thread. Methods other than
// post() must be called on that thread too.
//
// Example:
//   boost::asio::io_context io(1);
//   AsioDispatcher dispatcher(io);
//   dispatcher.post([] { ... });   // runs inside io.run(), never inside post()
//   io.run();

#include <boost/asio/io_context.hpp>

#include "proxy/event/dispatcher.h"

namespace meshsim::proxy {

class AsioDispatcher : public Dispatcher, public TimeSource {
public:
  // `io_context` must outlive the dispatcher and every timer it creates.
  explicit AsioDispatcher(boost::asio::io_context& io_context) : io_context_(io_context) {}
  AsioDispatcher(const AsioDispatcher&) = delete;
  AsioDispatcher& operator=(const AsioDispatcher&) = delete;

  // proxy::TimeSource. Reads std::chrono::steady_clock, once per event (asio_loop_clock.h).
  MonotonicTime monotonicTime() const override;

  // proxy::Dispatcher
  TimeSource& timeSource() override { return *this; }
  // The timer's callback runs on the io_context thread; a firing already due when the timer is
  // disabled, re-armed or destroyed is dropped, never run late.
  TimerPtr createTimer(std::function<void()> cb) override;
  // Queues `cb` on the io_context (asio::post); never runs it inline. Safe to call from any
  // thread, e.g. to hand work to the io_context thread.
  void post(UniqueFunction<void()>&& cb) override;
  // Runs `cb` once `delay` has passed. If the io_context is destroyed first, `cb` is destroyed
  // without running.
  void postAfter(Duration delay, UniqueFunction<void()>&& cb) override;

  boost::asio::io_context& ioContext() { return io_context_; }

private:
  class TimerImpl;

  boost::asio::io_context& io_context_;
};

}  // namespace meshsim::proxy
