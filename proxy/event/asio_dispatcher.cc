#include "proxy/event/asio_dispatcher.h"

#include <memory>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include "proxy/event/asio_loop_clock.h"

namespace meshsim::proxy {

namespace {
using ErrorCode = boost::system::error_code;
}  // namespace

// A steady_timer plus a generation number. A completion that Asio has already queued cannot be
// cancelled, so each arming gets a new generation and a completion of an older one is ignored.
// The state is shared with the pending completion so that the completion may safely run after
// the timer is destroyed (it then does nothing).
class AsioDispatcher::TimerImpl : public Timer {
public:
  TimerImpl(boost::asio::io_context& io_context, std::function<void()> cb)
      : timer_(io_context), state_(std::make_shared<State>()) {
    state_->cb = std::move(cb);
  }
  ~TimerImpl() override {
    ++state_->generation;
    state_->enabled = false;
    try {
      timer_.cancel();
    } catch (const boost::system::system_error&) {
      // The generation bump above already keeps a late completion from running the callback.
    }
  }

  // proxy::Timer
  void enable(Duration delay) override {
    const uint64_t generation = ++state_->generation;
    state_->enabled = true;
    timer_.expires_after(delay);  // Cancels a pending wait.
    timer_.async_wait([state = state_, generation](const ErrorCode& ec) {
      if (ec || state->generation != generation) {
        return;
      }
      state->enabled = false;
      // The callback may destroy the Timer; `state` (and so the callback) lives until we return.
      state->cb();
    });
  }
  void disable() override {
    if (!state_->enabled) {
      return;
    }
    ++state_->generation;
    state_->enabled = false;
    timer_.cancel();
  }
  bool enabled() const override { return state_->enabled; }

private:
  struct State {
    std::function<void()> cb;
    uint64_t generation = 0;
    bool enabled = false;
  };

  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

MonotonicTime AsioDispatcher::monotonicTime() const {
  return MonotonicTime(std::chrono::duration_cast<Duration>(LoopClock::now().time_since_epoch()));
}

TimerPtr AsioDispatcher::createTimer(std::function<void()> cb) {
  return std::make_unique<TimerImpl>(io_context_, std::move(cb));
}

void AsioDispatcher::post(UniqueFunction<void()>&& cb) {
  boost::asio::post(io_context_, [cb = std::move(cb)]() mutable { cb(); });
}

void AsioDispatcher::postAfter(Duration delay, UniqueFunction<void()>&& cb) {
  auto timer = std::make_unique<boost::asio::steady_timer>(io_context_, delay);
  boost::asio::steady_timer& ref = *timer;
  // The completion owns the timer, so it is freed whether the completion runs or is destroyed.
  ref.async_wait([timer = std::move(timer), cb = std::move(cb)](const ErrorCode& ec) mutable {
    if (!ec) {
      cb();
    }
  });
}

}  // namespace meshsim::proxy
