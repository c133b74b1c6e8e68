#pragma once

// File: sim/testing/matchers.h
//
// GoogleMock matchers for meshsim's Status and StatusOr values.
//
// Example:
//   EXPECT_THAT(loadScenario(path), IsOk());
//   EXPECT_THAT(parse(bad), StatusIs(StatusCode::InvalidArgument, HasSubstr("line 3")));

#include <ostream>

#include <gmock/gmock.h>

#include "proxy/core/status.h"

namespace meshsim {

// Lets GoogleTest print a Status in failure messages.
inline void PrintTo(const Status& s, std::ostream* os) {
  *os << s.toString();
}
template <typename T>
void PrintTo(const StatusOr<T>& s, std::ostream* os) {
  *os << (s.ok() ? std::string("OK (a value)") : s.status().toString());
}

namespace testing {

inline const Status& statusOf(const Status& s) {
  return s;
}
template <typename T>
const Status& statusOf(const StatusOr<T>& s) {
  return s.status();
}

// Matches an OK Status or a StatusOr holding a value.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const Status& s = statusOf(arg);
  if (!s.ok()) {
    *result_listener << "status is " << s.toString();
  }
  return s.ok();
}

// Matches a non-OK status with `code` whose message matches `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + statusCodeName(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const Status& s = statusOf(arg);
  *result_listener << "status is " << s.toString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

}  // namespace testing
}  // namespace meshsim
