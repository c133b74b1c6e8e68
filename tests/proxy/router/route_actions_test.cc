#include "proxy/router/route_actions.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "proxy/router/route_table.h"
#include "proxy/upstream/hash_lb.h"

namespace meshsim::proxy::router {
namespace {

http::Request request(const std::string& authority, const std::string& path,
                      const std::string& scheme = "http") {
  http::Request r;
  r.authority = authority;
  r.path = path;
  r.scheme = scheme;
  return r;
}

TEST(RedirectTest, ReplacesWhatTheRedirectSetsAndKeepsTheQuery) {
  config::RedirectAction r;
  r.path = "/new";
  EXPECT_EQ(redirectLocation(r, request("hello.com", "/old?x=1")), "http://hello.com/new?x=1");
  r.path = "/new?y=2";
  EXPECT_EQ(redirectLocation(r, request("hello.com", "/old?x=1")), "http://hello.com/new?y=2");
  r.path.clear();
  r.host = "other.com";
  EXPECT_EQ(redirectLocation(r, request("hello.com:8080", "/a")), "http://other.com:8080/a");
  r.host.clear();
  r.port = 9090;
  EXPECT_EQ(redirectLocation(r, request("hello.com:8080", "/a")), "http://hello.com:9090/a");
}

TEST(RedirectTest, PrefixRewriteReplacesTheMatchedPrefixKeepingTheRest) {
  config::RedirectAction r;
  r.prefix_rewrite = "/";
  EXPECT_EQ(redirectLocation(r, request("hello.com", "/foo/bar?x=1"), "/foo/"),
            "http://hello.com/bar?x=1");
  r.prefix_rewrite = "/new";
  EXPECT_EQ(redirectLocation(r, request("hello.com", "/old/page"), "/old"),
            "http://hello.com/new/page");
  // A catch-all route's prefix is "/": the value goes in front of the rest.
  EXPECT_EQ(redirectLocation(r, request("hello.com", "/x")), "http://hello.com/newx");
}

TEST(RedirectTest, SchemeChangeDropsTheOldDefaultPortOnly) {
  config::RedirectAction r;
  r.scheme = "https";
  EXPECT_EQ(redirectLocation(r, request("hello.com:80", "/")), "https://hello.com/");
  EXPECT_EQ(redirectLocation(r, request("hello.com:8080", "/")), "https://hello.com:8080/");
  EXPECT_EQ(httpsRedirectLocation(request("hello.com:80", "/p?q")), "https://hello.com/p?q");
  EXPECT_EQ(httpsRedirectLocation(request("hello.com:8080", "/")), "https://hello.com:8080/");
}

TEST(RewriteTest, PrefixRewriteReplacesTheMatchedPrefix) {
  config::Route route;
  route.match.prefix = "/foo";
  route.action.prefix_rewrite = "/";
  auto r = request("h", "/foo/bar?x=1");
  EXPECT_TRUE(applyRewrites(route, r));
  EXPECT_EQ(r.path, "//bar?x=1");  // Envoy's documented double slash
  EXPECT_EQ(*r.headers.get("x-envoy-original-path"), "/foo/bar?x=1");
  config::Route catch_all;
  catch_all.action.prefix_rewrite = "/v2";
  auto c = request("h", "/abc");
  applyRewrites(catch_all, c);
  EXPECT_EQ(c.path, "/v2abc");
}

TEST(RewriteTest, ExactMatchRewritesTheWholePathKeepingTheQuery) {
  config::Route route;
  route.match.path = "/login";
  route.action.prefix_rewrite = "/auth/login";
  auto r = request("h", "/login?next=/");
  applyRewrites(route, r);
  EXPECT_EQ(r.path, "/auth/login?next=/");
}

TEST(RewriteTest, RegexRewriteReplacesEveryMatchInThePathOnly) {
  config::RouteConfiguration rc;
  rc.name = "t";
  config::VirtualHost vh;
  vh.name = "v";
  vh.domains = {"*"};
  config::Route route;
  route.action.regex_rewrite_pattern = "/v1/([a-z]+)";
  route.action.regex_rewrite_substitution = "/v2/\\1";
  vh.routes.push_back(route);
  rc.virtual_hosts.push_back(vh);
  auto table = RouteTable::create(rc);
  ASSERT_TRUE(table.ok()) << table.status().toString();
  const config::Route& compiled = (*table)->config().virtual_hosts[0].routes[0];
  auto r = request("h", "/v1/users/v1/x?q=/v1/y");
  EXPECT_TRUE(applyRewrites(compiled, r));
  EXPECT_EQ(r.path, "/v2/users/v2/x?q=/v1/y");
}

TEST(RewriteTest, HostRewriteAndNoChange) {
  config::Route route;
  route.action.host_rewrite = "internal.svc";
  auto r = request("hello.com", "/");
  EXPECT_FALSE(applyRewrites(route, r));  // the path did not change
  EXPECT_EQ(r.authority, "internal.svc");
  EXPECT_FALSE(r.headers.has("x-envoy-original-path"));
}

TEST(HeaderOperationsTest, RemoveThenSetThenAdd) {
  http::HeaderMap h;
  h.add("x-a", "old");
  h.add("x-b", "1");
  config::HeaderOperations ops;
  ops.remove = {"x-b", "x-a"};
  ops.set = {{"x-a", "new"}};
  ops.add = {{"x-a", "more"}};
  applyHeaderOperations(ops, h);
  EXPECT_FALSE(h.has("x-b"));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(*h.get("x-a"), "new");
}

TEST(CorsTest, PreflightFromAnAllowedOrigin) {
  config::CorsPolicy cors;
  config::StringMatcher m;
  m.kind = config::StringMatcher::Kind::Exact;
  m.value = "https://app.example.com";
  cors.allow_origins.push_back(m);
  cors.allow_methods = "GET,POST";
  cors.max_age = "86400";
  cors.allow_credentials = true;
  auto r = request("api.example.com", "/");
  r.method = "OPTIONS";
  r.headers.set("origin", "https://app.example.com");
  r.headers.set("access-control-request-method", "POST");
  EXPECT_TRUE(isCorsPreflight(r));
  const auto origin = allowedOrigin(cors, r);
  ASSERT_TRUE(origin.has_value());
  auto resp = corsPreflightResponse(cors, *origin);
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(*resp->headers.get("access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(*resp->headers.get("access-control-allow-methods"), "GET,POST");
  EXPECT_EQ(*resp->headers.get("access-control-max-age"), "86400");
  EXPECT_EQ(*resp->headers.get("access-control-allow-credentials"), "true");
  r.headers.set("origin", "https://evil.example.com");
  EXPECT_FALSE(allowedOrigin(cors, r).has_value());
}

TEST(ShadowTest, SuffixGoesOnTheHostPart) {
  EXPECT_EQ(shadowAuthority("hello.com"), "hello.com-shadow");
  EXPECT_EQ(shadowAuthority("hello.com:8080"), "hello.com-shadow:8080");
}

TEST(NormalizePathTest, RemovesDotSegmentsKeepsSlashesAndQuery) {
  EXPECT_EQ(normalizePath("/a/b/../c"), "/a/c");
  EXPECT_EQ(normalizePath("/a/./b/"), "/a/b/");
  EXPECT_EQ(normalizePath("/../a"), "/a");
  EXPECT_EQ(normalizePath("/a/.."), "/");
  EXPECT_EQ(normalizePath("/a/."), "/a/");
  EXPECT_EQ(normalizePath("//a//b"), "//a//b");  // merge_slashes is off
  EXPECT_EQ(normalizePath("/admin/../users?x=/../y"), "/users?x=/../y");
  EXPECT_EQ(normalizePath("/plain?q"), "/plain?q");
  EXPECT_EQ(normalizePath("/.well-known/x"), "/.well-known/x");
}

TEST(HashPolicyTest, HeaderCookieQueryAndSourceIpAsEnvoyHashesThem) {
  using Kind = config::HashPolicy::Kind;
  http::Request r = request("hello.com", "/p?a=1&user=bob&b=2");
  r.headers.add("x-user", "alice");
  r.headers.add("cookie", "a=1; session=\"s3\"");
  const config::Address peer{config::ipv4(10, 1, 0, 9), 40000};
  const config::Address local{config::ipv4(10, 1, 0, 10), 8080};
  const auto hash = [&](config::HashPolicy p, std::string* set_cookie = nullptr) {
    return requestHash({p}, r, peer, local, set_cookie);
  };
  EXPECT_EQ(hash({Kind::Header, "x-user", {}, ""}), upstream::xxHash64("alice"));
  EXPECT_EQ(hash({Kind::Header, "x-none", {}, ""}), std::nullopt);
  EXPECT_EQ(hash({Kind::Cookie, "session", {}, ""}), upstream::xxHash64("s3"));
  EXPECT_EQ(hash({Kind::QueryParameter, "user", {}, ""}), upstream::xxHash64("bob"));
  EXPECT_EQ(hash({Kind::SourceIp, "", {}, ""}), upstream::xxHash64("10.1.0.9"));
  // A missing cookie with a ttl: generated from the connection's addresses, set on the response.
  std::string set_cookie;
  const auto generated = hash({Kind::Cookie, "sticky", std::chrono::seconds(60), "/"}, &set_cookie);
  ASSERT_TRUE(generated.has_value());
  char hex[17];
  std::snprintf(
      hex, sizeof(hex), "%016llx",
      static_cast<unsigned long long>(upstream::xxHash64("10.1.0.9:4000010.1.0.10:8080")));
  EXPECT_EQ(*generated, upstream::xxHash64(hex));
  EXPECT_EQ(set_cookie, "sticky=\"" + std::string(hex) + "\"; Max-Age=60; Path=/; HttpOnly");
  // Without a ttl, no cookie and no hash.
  EXPECT_EQ(hash({Kind::Cookie, "sticky", {}, ""}), std::nullopt);
  // Several policies: the running hash is rotated left by one, then XORed.
  const uint64_t a = upstream::xxHash64("alice");
  EXPECT_EQ(requestHash({{Kind::Header, "x-user", {}, ""}, {Kind::QueryParameter, "user", {}, ""}},
                        r, peer, local, nullptr),
            ((a << 1) | (a >> 63)) ^ upstream::xxHash64("bob"));
}

}  // namespace
}  // namespace meshsim::proxy::router
