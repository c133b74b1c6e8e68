#include "proxy/event/virtual_dispatcher.h"

namespace meshsim::proxy {

// A timer's pending firing is an Event that remembers the arming generation. Disabling or re-arming
// bumps the generation, so the stale event is skipped when it comes up; destroying the timer
// marks it dead through the shared `alive` flag the events check first.
class VirtualDispatcher::TimerImpl : public Timer {
public:
  TimerImpl(VirtualDispatcher& loop, std::function<void()> cb)
      : loop_(loop), cb_(std::move(cb)), alive_(std::make_shared<bool>(true)) {}
  ~TimerImpl() override { *alive_ = false; }

  // proxy::Timer
  void enable(Duration delay) override {
    ++generation_;
    enabled_ = true;
    std::weak_ptr<bool> alive = alive_;
    const uint64_t generation = generation_;
    loop_.schedule(loop_.now_ + delay, [this, alive, generation] {
      if (alive.expired() || generation != generation_ || !enabled_) {
        return;
      }
      enabled_ = false;
      cb_();
    });
  }
  void disable() override {
    ++generation_;
    enabled_ = false;
  }
  bool enabled() const override { return enabled_; }

private:
  VirtualDispatcher& loop_;
  std::function<void()> cb_;
  std::shared_ptr<bool> alive_;
  uint64_t generation_ = 0;
  bool enabled_ = false;
};

TimerPtr VirtualDispatcher::createTimer(std::function<void()> cb) {
  return std::make_unique<TimerImpl>(*this, std::move(cb));
}

void VirtualDispatcher::schedule(MonotonicTime when, UniqueFunction<void()> cb) {
  if (when <= now_) {
    ready_.push(std::move(cb));
    return;
  }
  queue_.push(Event{when, next_sequence_++, std::move(cb)});
}

bool VirtualDispatcher::runOne() {
  if (!queue_.empty() && (ready_.empty() || queue_.top().when == now_)) {
    // priority_queue::top() is const; move the callback out before popping. Safe: the element
    // is removed at once and the ordering does not look at `cb`.
    auto& top = const_cast<Event&>(queue_.top());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    UniqueFunction<void()> cb = std::move(top.cb);
    now_ = top.when;
    queue_.pop();
    cb();
    return true;
  }
  if (ready_.empty()) {
    return false;
  }
  UniqueFunction<void()> cb = ready_.pop();
  cb();
  return true;
}

uint64_t VirtualDispatcher::runUntilIdle() {
  uint64_t n = 0;
  while (runOne()) {
    ++n;
  }
  return n;
}

uint64_t VirtualDispatcher::runUntil(MonotonicTime deadline) {
  uint64_t n = 0;
  while (!ready_.empty() || (!queue_.empty() && queue_.top().when <= deadline)) {
    runOne();
    ++n;
  }
  if (deadline > now_) {
    now_ = deadline;
  }
  return n;
}

}  // namespace meshsim::proxy
