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

namespace meshsim::proxy::http {
namespace {

TEST(HeaderNameTest, WellKnownLongNamesShareOneCopyOthersAreOwned) {
  const HeaderName attempt("x-envoy-attempt-count");
  const HeaderName copy = attempt;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy, "x-envoy-attempt-count");
  // Interned: every copy (and every name made from the same text) points at one string.
  EXPECT_EQ(copy.data(), attempt.data());
  EXPECT_EQ(HeaderName(std::string("x-envoy-attempt-count")).data(), attempt.data());

  // Not well known: each HeaderName owns its text.
  const HeaderName custom("x-my-own-rather-long-header");
  const HeaderName custom_copy = custom;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(custom_copy, custom);
  EXPECT_NE(custom_copy.data(), custom.data());
  EXPECT_EQ(std::string_view(custom), "x-my-own-rather-long-header");

  // Short names are ordinary strings; comparison is by text whatever the storage.
  EXPECT_EQ(HeaderName("host"), HeaderName(std::string("host")));
  EXPECT_FALSE(HeaderName("x-envoy-attempt-count") == HeaderName("x-envoy-attempt-counts"));
  EXPECT_EQ(HeaderName("").size(), 0u);
}

TEST(HeaderNameTest, MessagesCopiedWithWellKnownNamesKeepTheirHeaders) {
  Request r;
  r.headers.add("x-forwarded-proto", "http");
  r.headers.setOwned("x-envoy-attempt-count", "1");
  r.headers.add("x-custom-header-from-app", "v");
  const Request copy = r;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.headers, r.headers);
  ASSERT_NE(copy.headers.get("x-envoy-attempt-count"), nullptr);
  EXPECT_EQ(*copy.headers.get("x-envoy-attempt-count"), "1");
  EXPECT_EQ(*copy.headers.get("x-custom-header-from-app"), "v");
}

}  // namespace
}  // namespace meshsim::proxy::http
