#include "proxy/core/status.h"

#include <gtest/gtest.h>

namespace meshsim {
namespace {

StatusOr<int> half(int x) {
  if (x % 2 != 0) {
    return invalidArgumentError("odd: " + std::to_string(x));
  }
  return x / 2;
}

StatusOr<int> quarter(int x) {
  MESHSIM_ASSIGN_OR_RETURN(int h, half(x));
  MESHSIM_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

Status checkEven(int x) {
  MESHSIM_RETURN_IF_ERROR(half(x).status());
  return okStatus();
}

TEST(StatusTest, OkAndError) {
  EXPECT_TRUE(okStatus().ok());
  EXPECT_EQ(okStatus().toString(), "OK");
  const Status s = notFoundError("no such file");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::NotFound);
  EXPECT_EQ(s.toString(), "NOT_FOUND: no such file");
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(quarter(8).value(), 2);
  const auto r = quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(checkEven(4).ok());
  EXPECT_EQ(checkEven(5).code(), StatusCode::InvalidArgument);
}

}  // namespace
}  // namespace meshsim
