#pragma once

// File: proxy/filters/authz_filter.h
//
// The authorization slot of the filter chain: where Istio puts its RBAC filters
// (envoy.filters.http.rbac, built from AuthorizationPolicy: CUSTOM through ext_authz, then DENY,
// then ALLOW), before fault, CORS and the router. Today nothing configures policies, so the
// proxy's authorizer allows everything; the slot is the seam AuthorizationPolicy will plug into
// (Proxy::setAuthorizer sets ProxyContext::authorizer). It is asked once per request that reaches
// the chain, whatever the route, and a denial is Envoy's RBAC answer: 403 "RBAC: access denied",
// nothing forwarded.

#include <memory>
#include <string_view>

#include "proxy/filters/filter.h"

namespace meshsim::proxy::filters {

// Decides whether a request may proceed (an RBAC engine).
class Authorizer {
public:
  virtual ~Authorizer() = default;
  // `info` has the downstream connection (peer identity, mTLS) and the resolved route.
  virtual bool allowed(const http::Request& request, const StreamInfo& info) const = 0;
};
using AuthorizerConstSharedPtr = std::shared_ptr<const Authorizer>;

// The authorizer of a proxy without authorization policies.
class AllowAllAuthorizer : public Authorizer {
public:
  bool allowed(const http::Request&, const StreamInfo&) const override { return true; }
};

// Asks the proxy's authorizer (ProxyContext::authorizer) about every request.
class AuthzFilter : public HttpFilter {
public:
  // filters::HttpFilter
  std::string_view name() const override { return "envoy.filters.http.rbac"; }
  FilterStatus decodeHeaders(StreamCallbacks& stream) override;
};

}  // namespace meshsim::proxy::filters
