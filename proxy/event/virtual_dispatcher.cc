#include "proxy/event/virtual_dispatcher.h"

namespace meshsim::proxy {

// A timer's pending firing is an Event that shares the timer's TimerState and remembers the
// arming generation. Disabling or re-arming bumps the generation and destroying the timer clears
// the state's pointer, so the stale event is dropped when it reaches the head of the queue,
// without moving the clock to its time.
class VirtualDispatcher::TimerImpl : public Timer {
public:
  TimerImpl(VirtualDispatcher& loop, std::function<void()> cb)
      : loop_(loop), cb_(std::move(cb)), state_(std::make_shared<TimerState>()) {
    state_->timer = this;
  }
  ~TimerImpl() override { state_->timer = nullptr; }

  // proxy::Timer
  void enable(Duration delay) override {
    ++state_->generation;
    enabled_ = true;
    loop_.scheduleTimer(loop_.now_ + delay, state_);
  }
  void disable() override {
    ++state_->generation;
    enabled_ = false;
  }
  bool enabled() const override { return enabled_; }

  void fire() {
    enabled_ = false;
    cb_();
  }

private:
  VirtualDispatcher& loop_;
  std::function<void()> cb_;
  std::shared_ptr<TimerState> state_;
  bool enabled_ = false;
};

TimerPtr VirtualDispatcher::createTimer(std::function<void()> cb) {
  return std::make_unique<TimerImpl>(*this, std::move(cb));
}

void VirtualDispatcher::schedule(MonotonicTime when, UniqueFunction<void()>&& cb) {
  if (when <= now_) {
    ready_.push(std::move(cb));
    return;
  }
  queue_.push(Event{when, next_sequence_++, std::move(cb), nullptr, 0});
}

void VirtualDispatcher::scheduleTimer(MonotonicTime when, std::shared_ptr<TimerState> timer) {
  const uint64_t generation = timer->generation;
  if (when <= now_) {
    ready_.push([timer = std::move(timer), generation] {
      if (timer->timer != nullptr && timer->generation == generation) {
        timer->timer->fire();
      }
    });
    return;
  }
  queue_.push(Event{when, next_sequence_++, {}, std::move(timer), generation});
}

void VirtualDispatcher::dropStaleTimers() const {
  while (!queue_.empty() && queue_.top().stale()) {
    queue_.pop();
  }
}

bool VirtualDispatcher::runOne() {
  dropStaleTimers();
  if (!queue_.empty() && (ready_.empty() || queue_.top().when == now_)) {
    // priority_queue::top() is const; move the callback out before popping. Safe: the element
    // is removed at once and the ordering does not look at `cb` or `timer`.
    auto& top = const_cast<Event&>(queue_.top());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    UniqueFunction<void()> cb = std::move(top.cb);
    std::shared_ptr<TimerState> timer = std::move(top.timer);
    now_ = top.when;
    queue_.pop();
    if (timer) {
      timer->timer->fire();  // live: stale firings were dropped above
    } else {
      cb();
    }
    clearDeferredDeletes(deferred_);
    return true;
  }
  if (ready_.empty()) {
    return false;
  }
  UniqueFunction<void()> cb = ready_.pop();
  cb();
  clearDeferredDeletes(deferred_);
  return true;
}

uint64_t VirtualDispatcher::runUntilIdle() {
  // What was deferred outside an event (a transport answering from a test's code) goes now, as
  // a posted task would have.
  clearDeferredDeletes(deferred_);
  uint64_t n = 0;
  while (runOne()) {
    ++n;
  }
  return n;
}

uint64_t VirtualDispatcher::runUntil(MonotonicTime deadline) {
  clearDeferredDeletes(deferred_);
  uint64_t n = 0;
  while (!ready_.empty() || (dropStaleTimers(), !queue_.empty() && queue_.top().when <= deadline)) {
    runOne();
    ++n;
  }
  if (deadline > now_) {
    now_ = deadline;
  }
  return n;
}

}  // namespace meshsim::proxy
