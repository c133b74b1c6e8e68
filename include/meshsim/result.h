#pragma once

// File: meshsim/result.h
//
// Errors as values for meshsim's embedding API. A Result<T> holds either a T or an Error: a
// code, a one-line message and every diagnostic found ("<yaml>:12:5: spec.http[0].route[0]
// .weight: must be in [0,100]"). No function of the public API throws for bad input; only
// value() of a failed Result throws (BadResultAccess), as std::optional::value() does, so a test
// that skips the check fails with the error's text instead of crashing.
//
// Example:
//   meshsim::Result<meshsim::Mesh> mesh = meshsim::Mesh::fromYaml(yaml);
//   if (!mesh.ok()) {
//     std::cerr << mesh.error() << "\n";  // INVALID_ARGUMENT: <yaml>:3:1: ...
//   }

#include <concepts>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace meshsim {

// What went wrong, with absl's meanings (whether retrying can help).
enum class ErrorCode {
  // The caller passed something wrong (bad YAML, an unknown field, a bad URL or query);
  // retrying the same input fails again.
  InvalidArgument,
  // A named thing (file, pod, Service, gateway) does not exist.
  NotFound,
  AlreadyExists,
  // The mesh is not in a state for this call (e.g. no ingress gateway to send through).
  FailedPrecondition,
  OutOfRange,
  Unimplemented,
  // A bug in meshsim.
  Internal,
  Unavailable,
};

// "INVALID_ARGUMENT", "NOT_FOUND", ...
const char* errorCodeName(ErrorCode code);

class Error {
public:
  // `diagnostics` empty: the message is the only diagnostic.
  Error(ErrorCode code, std::string message, std::vector<std::string> diagnostics = {});

  ErrorCode code() const { return code_; }
  // The first (often the only) problem, starting with "file:line:col: field.path:" when it
  // comes from a manifest.
  const std::string& message() const { return message_; }
  // Every problem found, one per entry; never empty (at least the message).
  const std::vector<std::string>& diagnostics() const { return diagnostics_; }
  // "INVALID_ARGUMENT: message", then one line per further diagnostic.
  std::string toString() const;

  friend bool operator==(const Error& a, const Error& b) = default;

private:
  ErrorCode code_;
  std::string message_;
  std::vector<std::string> diagnostics_;
};

// Writes error.toString().
std::ostream& operator<<(std::ostream& os, const Error& error);

// Thrown by Result<T>::value() (and error()) when the Result does not hold what was asked for.
class BadResultAccess : public std::logic_error {
public:
  explicit BadResultAccess(Error error);
  const Error& error() const { return error_; }

private:
  Error error_;
};

namespace internal {
// Throws BadResultAccess for `error` (out of line, so Result stays small).
[[noreturn]] void throwBadResultAccess(const Error& error);
// Throws BadResultAccess saying that error() was called on a Result holding a value.
[[noreturn]] void throwNoError();
}  // namespace internal

// Holds a T or an Error.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is not supported");

public:
  using value_type = T;  // NOLINT(readability-identifier-naming): the standard name

  // NOLINTNEXTLINE(google-explicit-constructor): a T or an Error converts, as with StatusOr.
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The value. Throws BadResultAccess (with the error's text) when the Result holds an error.
  T& value() & {
    check();
    return std::get<0>(state_);
  }
  const T& value() const& {
    check();
    return std::get<0>(state_);
  }
  // By value, so that `for (auto& x : mesh.metricSamples(q).value())` does not dangle.
  T value() && {
    check();
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` when the Result holds an error.
  template <typename U>
  T valueOr(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  // The error. Throws BadResultAccess when the Result holds a value.
  const Error& error() const {
    if (ok()) {
      internal::throwNoError();
    }
    return std::get<1>(state_);
  }

  // A Result equals a plain value when it holds a value equal to it, so that
  // EXPECT_EQ(mesh.metric("..."), 1000) reads naturally. An error equals no value.
  template <typename U>
  requires(!std::is_same_v<std::remove_cvref_t<U>, Result> &&
           !std::is_same_v<std::remove_cvref_t<U>, Error> &&
           requires(const T& t, const U& u) {
             { t == u } -> std::convertible_to<bool>;
           }) friend bool
  operator==(const Result& result, const U& other) {
    return result.ok() && static_cast<bool>(std::get<0>(result.state_) == other);
  }

private:
  void check() const {
    if (!ok()) {
      internal::throwBadResultAccess(std::get<1>(state_));
    }
  }

  std::variant<T, Error> state_;
};

// A success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
  using value_type = void;  // NOLINT(readability-identifier-naming)

  Result() = default;
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(Error error) : error_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return error_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Throws BadResultAccess when the Result holds an error.
  void value() const {
    if (!ok()) {
      internal::throwBadResultAccess(std::get<1>(error_));
    }
  }
  // Throws BadResultAccess when the Result is a success.
  const Error& error() const {
    if (ok()) {
      internal::throwNoError();
    }
    return std::get<1>(error_);
  }

private:
  std::variant<std::monostate, Error> error_;
};

// Prints the value (when it can be printed) or "error: " + the error, for test failure messages.
template <typename T>
std::ostream& operator<<(std::ostream& os, const Result<T>& result) {
  if (!result.ok()) {
    return os << "error: " << result.error();
  }
  if constexpr (std::is_void_v<T>) {
    return os << "ok";
  } else if constexpr (requires(std::ostream & o, const T& t) { o << t; }) {
    return os << *result;
  } else {
    return os << "ok (a value)";
  }
}

}  // namespace meshsim
