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

// Copies share their entries until one changes (a hop hands the next one a copy that usually
// forwards the fields untouched); a change to one copy is never seen by the other.
TEST(HeaderMapTest, CopiesShareEntriesUntilOneChanges) {
  HeaderMap original;
  original.add("x-request-id", "0123456789abcdef0123456789abcdef0123");
  original.add("x-a", "1");
  HeaderMap copy = original;
  EXPECT_EQ(copy.get("x-request-id"), original.get("x-request-id"));  // one copy of the value
  EXPECT_EQ(copy, original);

  // Setting a value it already has, or removing what is not there, changes nothing.
  copy.set("x-a", "1");
  EXPECT_EQ(copy.remove("x-absent"), 0u);
  EXPECT_EQ(copy.removeIf([](std::string_view) { return false; }), 0u);
  EXPECT_EQ(copy.get("x-a"), original.get("x-a"));

  copy.set("x-a", "2");
  EXPECT_EQ(*copy.get("x-a"), "2");
  EXPECT_EQ(*original.get("x-a"), "1");
  EXPECT_NE(copy.get("x-request-id"), original.get("x-request-id"));

  HeaderMap other = original;
  other.add("x-b", "3");
  other.setOwned("x-request-id", "new");
  EXPECT_EQ(original.size(), 2u);
  EXPECT_EQ(original.get("x-b"), nullptr);
  EXPECT_EQ(*original.get("x-request-id"), "0123456789abcdef0123456789abcdef0123");

  HeaderMap removed = original;
  EXPECT_EQ(removed.remove("x-a"), 1u);
  EXPECT_TRUE(original.has("x-a"));
  HeaderMap cleared = original;
  cleared.clear();
  EXPECT_TRUE(cleared.empty());
  EXPECT_EQ(original.size(), 2u);
  EXPECT_FALSE(cleared == original);
}

TEST(HeaderMapTest, SetKeepsTheFirstPlaceAndDropsLaterDuplicates) {
  HeaderMap h;
  h.add("x-a", "1");
  h.add("x-b", "2");
  h.add("x-a", "1");
  HeaderMap shared = h;
  shared.set("x-a", "1");  // the same value, but a duplicate to drop
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(shared.begin()->first, "x-a");
  EXPECT_EQ((shared.begin() + 1)->first, "x-b");
  EXPECT_EQ(h.size(), 3u);
  shared.setOwned("x-b", "9");
  shared.add("x-b", "10");
  shared.setOwned("x-b", "11");
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(*shared.get("x-b"), "11");
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

// A constant name (http::headers) finds and replaces what a name made from text added, and the
// other way round: both are the one interned copy.
TEST(HeaderNameTest, ReferenceKeysAreTheSameNamesAsText) {
  HeaderMap h;
  h.add("x-envoy-attempt-count", "1");
  h.add("x-custom", "a");
  h.add("x-envoy-attempt-count", "2");
  HeaderMap shared = h;
  shared.setReferenceKeyOwned(headers::kXEnvoyAttemptCount, "3");
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(shared.begin()->first, "x-envoy-attempt-count");
  EXPECT_EQ(*shared.get("x-envoy-attempt-count"), "3");
  EXPECT_EQ(h.size(), 3u);  // the copy it shared with is untouched
  shared.setReferenceKey(headers::kXForwardedProto, "https");
  shared.set("x-forwarded-proto", "http");
  ASSERT_EQ(shared.size(), 3u);
  EXPECT_EQ(*shared.get("x-forwarded-proto"), "http");
  EXPECT_EQ((shared.begin() + 2)->first.data(), headers::kXForwardedProto.data());
  // Equality by the interned copy never confuses a well-known name with another one.
  EXPECT_FALSE(HeaderName("x-envoy-attempt-count") == headers::kXForwardedProto);
  EXPECT_FALSE(HeaderName("x-my-own-rather-long-header") == headers::kXForwardedProto);
  EXPECT_TRUE(HeaderName(std::string("x-forwarded-proto")) == headers::kXForwardedProto);
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
