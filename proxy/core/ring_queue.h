#pragma once

// File: proxy/core/ring_queue.h
//
// A FIFO queue on one growable ring of slots. Unlike std::deque, which allocates a block every
// few elements and frees it once they are popped, it allocates only when it grows past its
// largest size so far: a queue that fills and drains once per event allocates nothing in the
// steady state. T must be default-constructible and nothrow-movable.
//
// Example:
//   RingQueue<UniqueFunction<void()>> ready;
//   ready.push(std::move(cb));
//   while (!ready.empty()) ready.pop()();

#include <cstddef>
#include <utility>
#include <vector>

namespace meshsim {

template <typename T>
class RingQueue {
public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  void push(T&& value) {
    if (size_ == slots_.size()) {
      grow();
    }
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }

  // The oldest element, taken out. The queue must not be empty.
  T pop() {
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return value;
  }

private:
  static constexpr size_t kInitialSlots = 16;  // a power of two, as every size after it

  void grow() {
    std::vector<T> bigger(slots_.empty() ? kInitialSlots : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) {
      bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    }
    slots_.swap(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace meshsim
