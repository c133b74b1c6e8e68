#include "meshsim/result.h"

#include <memory>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ErrorTest, NamesEveryCode) {
  EXPECT_STREQ(errorCodeName(ErrorCode::InvalidArgument), "INVALID_ARGUMENT");
  EXPECT_STREQ(errorCodeName(ErrorCode::NotFound), "NOT_FOUND");
  EXPECT_STREQ(errorCodeName(ErrorCode::AlreadyExists), "ALREADY_EXISTS");
  EXPECT_STREQ(errorCodeName(ErrorCode::FailedPrecondition), "FAILED_PRECONDITION");
  EXPECT_STREQ(errorCodeName(ErrorCode::OutOfRange), "OUT_OF_RANGE");
  EXPECT_STREQ(errorCodeName(ErrorCode::Unimplemented), "UNIMPLEMENTED");
  EXPECT_STREQ(errorCodeName(ErrorCode::Internal), "INTERNAL");
  EXPECT_STREQ(errorCodeName(ErrorCode::Unavailable), "UNAVAILABLE");
}

TEST(ErrorTest, MessageIsTheOnlyDiagnosticByDefault) {
  const Error e(ErrorCode::NotFound, "no Service default/x");
  EXPECT_EQ(e.code(), ErrorCode::NotFound);
  EXPECT_EQ(e.message(), "no Service default/x");
  EXPECT_THAT(e.diagnostics(), ElementsAre("no Service default/x"));
  EXPECT_EQ(e.toString(), "NOT_FOUND: no Service default/x");
}

TEST(ErrorTest, ToStringListsFurtherDiagnostics) {
  const Error e(ErrorCode::InvalidArgument, "a.yaml:1:1: first",
                {"a.yaml:1:1: first", "b: second"});
  EXPECT_EQ(e.toString(), "INVALID_ARGUMENT: a.yaml:1:1: first\n  b: second");
  std::ostringstream os;
  os << e;
  EXPECT_EQ(os.str(), e.toString());
  EXPECT_EQ(e, Error(ErrorCode::InvalidArgument, "a.yaml:1:1: first",
                     {"a.yaml:1:1: first", "b: second"}));
  EXPECT_FALSE(e == Error(ErrorCode::Internal, "a.yaml:1:1: first"));
}

TEST(ResultTest, HoldsAValue) {
  Result<int> r = 42;
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(r.valueOr(7), 42);
  EXPECT_THROW(r.error(), BadResultAccess);
}

TEST(ResultTest, HoldsAnError) {
  Result<std::string> r = Error(ErrorCode::NotFound, "gone");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(r.valueOr("fallback"), "fallback");
}

TEST(ResultTest, ValueOfAnErrorThrowsWithTheErrorsText) {
  const Result<int> r = Error(ErrorCode::InvalidArgument, "<yaml>:3:1: bad");
  try {
    (void)r.value();
    FAIL() << "value() did not throw";
  } catch (const BadResultAccess& e) {
    EXPECT_THAT(e.what(), HasSubstr("INVALID_ARGUMENT: <yaml>:3:1: bad"));
    EXPECT_EQ(e.error().message(), "<yaml>:3:1: bad");
  }
}

TEST(ResultTest, MovesMoveOnlyValuesOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
  Result<std::string> s = std::string("abc");
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(std::string(*std::move(s)), "abc");
}

TEST(ResultTest, ComparesWithPlainValues) {
  const Result<double> v = 1000.0;
  EXPECT_EQ(v, 1000);
  EXPECT_TRUE(v == 1000.0);
  EXPECT_TRUE(1000 == v);
  EXPECT_FALSE(v == 999);
  const Result<double> failed = Error(ErrorCode::InvalidArgument, "bad query");
  EXPECT_FALSE(failed == 0);
}

TEST(ResultTest, PrintsTheValueOrTheError) {
  std::ostringstream os;
  os << Result<int>(3) << " | " << Result<int>(Error(ErrorCode::NotFound, "x")) << " | "
     << Result<void>() << " | " << Result<void>(Error(ErrorCode::Internal, "y"));
  EXPECT_EQ(os.str(), "3 | error: NOT_FOUND: x | ok | error: INTERNAL: y");
  EXPECT_EQ(::testing::PrintToString(Result<int>(3)), "3");
}

TEST(ResultVoidTest, SucceedsOrFails) {
  const Result<void> ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_NO_THROW(ok.value());
  EXPECT_THROW(ok.error(), BadResultAccess);
  const Result<void> failed = Error(ErrorCode::FailedPrecondition, "no gateway");
  EXPECT_FALSE(failed.ok());
  EXPECT_FALSE(static_cast<bool>(failed));
  EXPECT_EQ(failed.error().message(), "no gateway");
  EXPECT_THROW(failed.value(), BadResultAccess);
}

}  // namespace
}  // namespace meshsim
