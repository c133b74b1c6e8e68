#include "proxy/router/route_table.h"

#include <functional>
#include <string_view>

#include <gtest/gtest.h>

namespace meshsim::proxy::router {
namespace {

config::VirtualHost vhost(std::string name, std::vector<std::string> domains) {
  config::VirtualHost v;
  v.name = std::move(name);
  v.domains = std::move(domains);
  config::Route r;
  r.name = v.name;
  r.action.clusters.push_back({v.name, 100, {}, {}, {}});
  v.routes.push_back(r);
  return v;
}

std::shared_ptr<const RouteTable> table(std::vector<config::VirtualHost> vhosts,
                                        bool ignore_port = true) {
  config::RouteConfiguration rc;
  rc.name = "http.8080";
  rc.virtual_hosts = std::move(vhosts);
  rc.ignore_port_in_host_matching = ignore_port;
  auto t = RouteTable::create(std::move(rc));
  EXPECT_TRUE(t.ok()) << t.status().toString();
  return *t;
}

std::string vhostFor(const RouteTable& t, const std::string& host) {
  const auto* v = t.findVirtualHost(host);
  return v == nullptr ? "<none>" : v->name;
}

TEST(RouteTableTest, CompilingARouteHashesItsClusterNames) {
  const auto t = table({vhost("hello", {"hello.com"})});
  const config::WeightedCluster& c = t->config().virtual_hosts[0].routes[0].action.clusters[0];
  EXPECT_EQ(c.name_hash, std::hash<std::string_view>{}("hello"));
}

TEST(RouteTableTest, EnvoyDomainPrecedence) {
  const auto t = table({vhost("catchall", {"*"}), vhost("prefix", {"hello.*"}),
                        vhost("short-suffix", {"*.com"}), vhost("long-suffix", {"*.hello.com"}),
                        vhost("exact", {"hello.com"})});
  EXPECT_EQ(vhostFor(*t, "hello.com"), "exact");
  EXPECT_EQ(vhostFor(*t, "api.hello.com"), "long-suffix");  // longest suffix first
  EXPECT_EQ(vhostFor(*t, "a.b.hello.com"), "long-suffix");
  EXPECT_EQ(vhostFor(*t, "other.com"), "short-suffix");
  EXPECT_EQ(vhostFor(*t, "hello.org"), "prefix");  // suffix before prefix wildcards
  EXPECT_EQ(vhostFor(*t, "example.org"), "catchall");
}

TEST(RouteTableTest, WildcardNeverMatchesEmpty) {
  const auto t = table({vhost("suffix", {"*.foo.com"})});
  EXPECT_EQ(vhostFor(*t, "a.foo.com"), "suffix");
  EXPECT_EQ(vhostFor(*t, "foo.com"), "<none>");
  EXPECT_EQ(vhostFor(*t, ".foo.com"), "<none>");
}

TEST(RouteTableTest, HostIsCaseInsensitiveAndPortIgnored) {
  const auto t = table({vhost("hello", {"hello.com"})});
  EXPECT_EQ(vhostFor(*t, "HELLO.com"), "hello");
  EXPECT_EQ(vhostFor(*t, "hello.com:8080"), "hello");
  const auto strict = table({vhost("hello", {"hello.com"})}, /*ignore_port=*/false);
  EXPECT_EQ(vhostFor(*strict, "hello.com:8080"), "<none>");
}

TEST(RouteTableTest, RejectsDuplicateAndMalformedDomains) {
  config::RouteConfiguration rc;
  rc.name = "dup";
  rc.virtual_hosts = {vhost("a", {"x.com"}), vhost("b", {"X.com"})};
  EXPECT_FALSE(RouteTable::create(rc).ok());
  rc.virtual_hosts = {vhost("a", {"a.*.com"})};
  EXPECT_FALSE(RouteTable::create(rc).ok());
  rc.virtual_hosts = {vhost("a", {""})};
  EXPECT_FALSE(RouteTable::create(rc).ok());
}

TEST(RouteTableTest, FirstMatchingRouteWinsPrefixAndExactPath) {
  config::VirtualHost v;
  v.name = "v";
  v.domains = {"*"};
  config::Route exact;
  exact.name = "exact";
  exact.match.path = "/login";
  config::Route api;
  api.name = "api";
  api.match.prefix = "/api";
  config::Route all;
  all.name = "all";
  v.routes = {exact, api, all};
  const auto t = table({v});
  const auto name = [&](const std::string& path) {
    http::Request r;
    r.authority = "x";
    r.path = path;
    const auto* route = t->route(r);
    return route == nullptr ? "<none>" : route->name;
  };
  EXPECT_EQ(name("/login"), "exact");
  EXPECT_EQ(name("/login?next=/"), "exact");  // exact ignores the query
  EXPECT_EQ(name("/login/"), "all");
  EXPECT_EQ(name("/apiv2"), "api");  // prefix is not segment-aware
  EXPECT_EQ(name("/"), "all");
}

}  // namespace
}  // namespace meshsim::proxy::router
