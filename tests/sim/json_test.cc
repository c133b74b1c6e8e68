#include "sim/json.h"

#include <gtest/gtest.h>

namespace meshsim::sim {
namespace {

TEST(JsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(jsonString("plain"), "\"plain\"");
  EXPECT_EQ(jsonString(""), "\"\"");
  EXPECT_EQ(jsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(jsonString("line\nnext\ttab\r"), "\"line\\nnext\\ttab\\r\"");
  EXPECT_EQ(jsonString(std::string("\x01z\x1f", 3)), "\"\\u0001z\\u001f\"");
  EXPECT_EQ(jsonString("\xc3\xa9"), "\"\xc3\xa9\"");  // UTF-8 passes through
}

}  // namespace
}  // namespace meshsim::sim
