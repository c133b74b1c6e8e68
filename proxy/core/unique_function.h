#pragma once

// File: proxy/core/unique_function.h
//
// A move-only std::function: holds callables that capture move-only state (a RequestPtr, a
// ResponseCallback), which std::function cannot. Callables up to kInlineSize bytes are stored
// inline without allocating; larger ones go to the heap.
//
// Example:
//   UniqueFunction<void()> f = [req = std::move(request)] { ... };
//   f();

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace meshsim {

template <typename Signature>
class UniqueFunction;

template <typename R, typename... Args>
class UniqueFunction<R(Args...)> {
public:
  static constexpr size_t kInlineSize = 64;

  UniqueFunction() = default;
  UniqueFunction(std::nullptr_t) {}  // NOLINT(google-explicit-constructor)

  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction> &&
                                        std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  UniqueFunction(
      F&& f) {  // NOLINT(google-explicit-constructor,bugprone-forwarding-reference-overload)
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= kInlineSize && alignof(Fn) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Fn>) {
      ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
      ops_ = &inlineOps<Fn>;
    } else {
      heap_ = new Fn(std::forward<F>(f));
      ops_ = &heapOps<Fn>;
    }
  }

  UniqueFunction(UniqueFunction&& other) noexcept { moveFrom(other); }
  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      reset();
      moveFrom(other);
    }
    return *this;
  }
  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;
  ~UniqueFunction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  R operator()(Args... args) { return ops_->call(target(), std::forward<Args>(args)...); }

private:
  struct Ops {
    R (*call)(void*, Args&&...);
    // Moves the callable from `from` storage into `to` storage (inline ops only).
    void (*move)(void* from, void* to);
    void (*destroy)(void*);
    bool inline_storage;
    // An inline callable that is trivially copyable (it captures only pointers and numbers, as
    // most posted events do): moved by copying the storage, destroyed by forgetting it.
    bool trivial;
  };

  template <typename Fn>
  static constexpr Ops inlineOps = {
      [](void* p, Args&&... a) -> R { return (*static_cast<Fn*>(p))(std::forward<Args>(a)...); },
      [](void* from, void* to) {
        ::new (to) Fn(std::move(*static_cast<Fn*>(from)));
        static_cast<Fn*>(from)->~Fn();
      },
      [](void* p) { static_cast<Fn*>(p)->~Fn(); }, true,
      std::is_trivially_copyable_v<Fn>&& std::is_trivially_destructible_v<Fn>};

  template <typename Fn>
  static constexpr Ops heapOps = {
      [](void* p, Args&&... a) -> R { return (*static_cast<Fn*>(p))(std::forward<Args>(a)...); },
      nullptr, [](void* p) { delete static_cast<Fn*>(p); }, false, false};

  void* target() { return ops_->inline_storage ? static_cast<void*>(storage_) : heap_; }

  void moveFrom(UniqueFunction& other) {
    ops_ = other.ops_;
    if (ops_ == nullptr) {
      return;
    }
    if (ops_->trivial) {
      std::memcpy(storage_, other.storage_, kInlineSize);
    } else if (ops_->inline_storage) {
      ops_->move(other.storage_, storage_);
    } else {
      heap_ = other.heap_;
      other.heap_ = nullptr;
    }
    other.ops_ = nullptr;
  }

  void reset() {
    if (ops_ != nullptr) {
      if (!ops_->trivial) {
        ops_->destroy(target());
      }
      ops_ = nullptr;
    }
  }

  const Ops* ops_ = nullptr;
  union {
    alignas(std::max_align_t) unsigned char storage_[kInlineSize];
    void* heap_;
  };
};

}  // namespace meshsim
