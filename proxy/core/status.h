#pragma once

// File: proxy/core/status.h
//
// A small Status / StatusOr<T> pair with absl's names and a subset of its codes. Library code
// reports recoverable errors (bad config, bad input) as values; exceptions never cross the
// public API.
//
// Example:
//   StatusOr<Route> parseRoute(const Node& n) {
//     if (!n.valid()) return invalidArgumentError("route: missing");
//     ...
//   }

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace meshsim {

enum class StatusCode {
  Ok = 0,
  // The caller passed something wrong; retrying the same input will fail again.
  InvalidArgument = 3,
  // A named thing (file, resource, traffic stream) does not exist.
  NotFound = 5,
  AlreadyExists = 6,
  // The system is not in a state for this call; fix the state, then retry.
  FailedPrecondition = 9,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  // Transient; the same call may succeed later.
  Unavailable = 14,
};

const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::Ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message", or "OK".
  std::string toString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

private:
  StatusCode code_ = StatusCode::Ok;
  std::string message_;
};

inline Status okStatus() { return {}; }
inline Status invalidArgumentError(std::string m) {
  return {StatusCode::InvalidArgument, std::move(m)};
}
inline Status notFoundError(std::string m) { return {StatusCode::NotFound, std::move(m)}; }
inline Status failedPreconditionError(std::string m) {
  return {StatusCode::FailedPrecondition, std::move(m)};
}
inline Status unimplementedError(std::string m) {
  return {StatusCode::Unimplemented, std::move(m)};
}
inline Status internalError(std::string m) { return {StatusCode::Internal, std::move(m)}; }
inline Status unavailableError(std::string m) { return {StatusCode::Unavailable, std::move(m)}; }

// Holds either a T or a non-OK Status. value() on an error is a programming error.
template <typename T>
class [[nodiscard]] StatusOr {
public:
  // NOLINTNEXTLINE(google-explicit-constructor): implicit like absl::StatusOr.
  StatusOr(Status status) : status_(std::move(status)) { assert(!status_.ok()); }
  // NOLINTNEXTLINE(google-explicit-constructor)
  StatusOr(T value) : value_(std::move(value)) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace meshsim

#define MESHSIM_STATUS_CONCAT_INNER(a, b) a##b
#define MESHSIM_STATUS_CONCAT(a, b) MESHSIM_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define MESHSIM_RETURN_IF_ERROR(expr)     \
  do {                                    \
    ::meshsim::Status status_ = (expr);   \
    if (!status_.ok()) return status_;    \
  } while (false)

// `lhs = value of expr` (a StatusOr), or returns its error from the enclosing function.
#define MESHSIM_ASSIGN_OR_RETURN(lhs, expr) \
  MESHSIM_ASSIGN_OR_RETURN_IMPL(MESHSIM_STATUS_CONCAT(statusor_, __LINE__), lhs, expr)
#define MESHSIM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
