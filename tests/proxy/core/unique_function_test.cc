#include "proxy/core/unique_function.h"

#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace meshsim {
namespace {

TEST(UniqueFunctionTest, ATriviallyCopyableCallableSurvivesMoves) {
  int calls = 0;
  int* counter = &calls;
  const int step = 3;
  UniqueFunction<int(int)> f = [counter, step](int x) {
    ++*counter;
    return x + step;
  };
  UniqueFunction<int(int)> g = std::move(f);
  EXPECT_FALSE(f);  // NOLINT(bugprone-use-after-move): a moved-from function is empty
  UniqueFunction<int(int)> h;
  h = std::move(g);
  EXPECT_EQ(h(4), 7);
  EXPECT_EQ(calls, 1);
}

TEST(UniqueFunctionTest, ACallableWithOwnedStateIsMovedAndDestroyedOnce) {
  auto owned = std::make_shared<std::string>("kept");
  std::weak_ptr<std::string> watch = owned;
  {
    UniqueFunction<std::string()> f = [owned = std::move(owned)] { return *owned; };
    UniqueFunction<std::string()> g = std::move(f);
    UniqueFunction<std::string()> h;
    h = std::move(g);
    EXPECT_EQ(watch.use_count(), 1);  // moved, never copied
    EXPECT_EQ(h(), "kept");
    // Assigning over a function destroys what it held.
    h = [] { return std::string("other"); };
    EXPECT_TRUE(watch.expired());
    EXPECT_EQ(h(), "other");
  }
}

TEST(UniqueFunctionTest, ALargeCallableLivesOnTheHeap) {
  struct Big {
    char bytes[200] = {};
  };
  Big big;
  big.bytes[199] = 'z';
  UniqueFunction<char()> f = [big] { return big.bytes[199]; };
  UniqueFunction<char()> g = std::move(f);
  EXPECT_EQ(g(), 'z');
}

}  // namespace
}  // namespace meshsim
