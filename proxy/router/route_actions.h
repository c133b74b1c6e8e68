#pragma once

// File: proxy/router/route_actions.h
//
// What a matched route does to a request, as pure functions over messages: redirects, path and
// host rewrites, header operations, CORS. The Proxy applies them in Envoy's order; keeping them
// here makes each one testable on its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/proxy_config.h"
#include "proxy/http/message.h"

namespace meshsim::proxy::router {

// The Location of a redirect for `request` (Envoy's newUri rules): scheme, host and path
// replaced where the redirect sets them; the request's port kept unless the redirect sets one or
// the scheme changes away from the port's default (":80" for http, ":443" for https); the query
// kept unless the new path has its own.
// The request's hash under Envoy's route hash policies (HashPolicyImpl::generateHash), or none
// when no policy yields one. `downstream` and `local` are the connection's addresses (the
// source-IP policy hashes the peer's IP; a generated cookie, the two addresses). A cookie policy
// with a ttl whose cookie is absent generates one: its Set-Cookie value goes to `set_cookie`.
std::optional<uint64_t> requestHash(const std::vector<config::HashPolicy>& policies,
                                    const http::Request& request, const config::Address& downstream,
                                    const config::Address& local, std::string* set_cookie);

// The value of cookie `name` in the request's Cookie headers ("" when absent); quotes around
// it are dropped (Envoy's Utility::parseCookieValue).
std::string cookieValue(const http::Request& request, std::string_view name);

// `matched_prefix` is the route's prefix match, which a prefix_rewrite replaces.
std::string redirectLocation(const config::RedirectAction& redirect, const http::Request& request,
                             std::string_view matched_prefix = "/");

// The Location of Istio's httpsRedirect (Envoy require_tls): https://<host><path>, ":80" dropped.
std::string httpsRedirectLocation(const http::Request& request);

// Applies the route's path and host rewrites to `request`. Returns true when the path changed,
// after saving the original in x-envoy-original-path.
bool applyRewrites(const config::Route& route, http::Request& request);

// Applies removals, then sets, then adds.
void applyNonEmptyHeaderOperations(const config::HeaderOperations& ops, http::HeaderMap& headers);
// The same, for operations that are usually empty (every route and weighted cluster has them):
// an empty set costs a check here, not a call.
inline void applyHeaderOperations(const config::HeaderOperations& ops, http::HeaderMap& headers) {
  if (!ops.empty()) {
    applyNonEmptyHeaderOperations(ops, headers);
  }
}

// The request's Origin when `cors` allows it, else nothing.
std::optional<std::string> allowedOrigin(const config::CorsPolicy& cors,
                                         const http::Request& request);
// Whether `request` is a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method).
bool isCorsPreflight(const http::Request& request);
// The answer Envoy's CORS filter gives to an allowed preflight (200, no upstream request).
http::ResponsePtr corsPreflightResponse(const config::CorsPolicy& cors, const std::string& origin);
// Adds the CORS headers of an allowed actual request to its response.
void addCorsResponseHeaders(const config::CorsPolicy& cors, const std::string& origin,
                            http::Response& response);

// The path of `path_and_query` with dot segments removed (RFC 3986 section 5.2.4), as Envoy's
// normalize_path does before routing (Istio's pathNormalization BASE); slashes are not merged
// and the query is kept as it is.
std::string normalizePath(const std::string& path_and_query);

// `authority` with "-shadow" appended to its host part: "a.com:8080" -> "a.com-shadow:8080".
std::string shadowAuthority(const std::string& authority);

}  // namespace meshsim::proxy::router
