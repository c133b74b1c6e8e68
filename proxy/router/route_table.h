#pragma once

// File: proxy/router/route_table.h
//
// A compiled RouteConfiguration: virtual-host selection with Envoy's domain rules and
// first-match route evaluation. Built once per config change; lookups do not allocate.
//
// Virtual-host selection (Envoy VirtualHost.domains): the Host is lower-cased and, with
// ignore_port_in_host_matching, stripped of its port; then exact domains win, then suffix
// wildcards ("*.foo.com", longest first), then prefix wildcards ("foo.*", longest first), then
// "*". A wildcard never matches an empty remainder: "*.foo.com" does not match "foo.com" or
// ".foo.com".

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/core/status.h"
#include "proxy/http/message.h"

namespace meshsim::proxy::router {

class RouteTable {
public:
  // Compiles `config`. Fails on a domain that is empty, has a wildcard anywhere but at one
  // end, or appears in two virtual hosts, and on a regex RE2 cannot compile (Envoy rejects such
  // a route configuration).
  static StatusOr<std::shared_ptr<const RouteTable>> create(config::RouteConfiguration config);

  // Returns the virtual host for `authority` (a Host header value, possibly with a port), or
  // nullptr when none matches.
  const config::VirtualHost* findVirtualHost(std::string_view authority) const;
  // Returns the first route of `vhost` that matches `request`, or nullptr.
  static const config::Route* findRoute(const config::VirtualHost& vhost,
                                        const http::Request& request);
  // Both steps; nullptr when no virtual host or no route matches.
  const config::Route* route(const http::Request& request) const;

  const config::RouteConfiguration& config() const { return config_; }

private:
  struct Wildcard {
    std::string fixed;  // the domain without its '*'
    const config::VirtualHost* vhost;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  explicit RouteTable(config::RouteConfiguration config) : config_(std::move(config)) {}

  config::RouteConfiguration config_;
  std::unordered_map<std::string, const config::VirtualHost*, StringHash, std::equal_to<>> exact_;
  std::vector<Wildcard> suffix_;  // longest first
  std::vector<Wildcard> prefix_;  // longest first
  const config::VirtualHost* catch_all_ = nullptr;
};
using RouteTableConstSharedPtr = std::shared_ptr<const RouteTable>;

// Whether `value` satisfies `m` (a regex matcher must have been compiled by RouteTable::create).
bool stringMatches(const config::StringMatcher& m, std::string_view value);
// Whether `request` satisfies header matcher `h` (":method", ":scheme", ":authority" and "host"
// read the request's fields).
bool headerMatches(const config::HeaderMatcher& h, const http::Request& request);

}  // namespace meshsim::proxy::router
