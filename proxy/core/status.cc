#include "proxy/core/status.h"

namespace meshsim {

const char* statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::Ok:
      return "OK";
    case StatusCode::InvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::NotFound:
      return "NOT_FOUND";
    case StatusCode::AlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::FailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::OutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::Unimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::Internal:
      return "INTERNAL";
    case StatusCode::Unavailable:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

std::string Status::toString() const {
  if (ok()) {
    return "OK";
  }
  return std::string(statusCodeName(code_)) + ": " + message_;
}

}  // namespace meshsim
