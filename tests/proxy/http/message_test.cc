#include "proxy/http/message.h"

#include <gtest/gtest.h>

namespace meshsim::proxy::http {
namespace {

TEST(HeaderMapTest, SetReplacesAllValuesAddKeepsThem) {
  HeaderMap h;
  h.add("x-a", "1");
  h.add("x-a", "2");
  h.add("x-b", "3");
  EXPECT_EQ(*h.get("x-a"), "1");
  h.set("x-a", "9");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(*h.get("x-a"), "9");
  EXPECT_EQ(h.remove("x-b"), 1u);
  EXPECT_EQ(h.get("x-b"), nullptr);
  EXPECT_FALSE(h.has("x-b"));
}

TEST(HeaderMapTest, CaseHelpers) {
  EXPECT_EQ(toLower("Hello.COM"), "hello.com");
  EXPECT_TRUE(equalsIgnoreCase("Content-Length", "content-length"));
  EXPECT_FALSE(equalsIgnoreCase("a", "ab"));
  EXPECT_EQ(reasonPhrase(404), "Not Found");
  EXPECT_EQ(reasonPhrase(799), "Unknown");
}

}  // namespace
}  // namespace meshsim::proxy::http
