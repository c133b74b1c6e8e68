#pragma once

// File: proxy/filters/cors_filter.h
//
// Envoy's CORS filter (envoy.filters.http.cors) with the route's CorsPolicy. On the way in it
// notes whether the request's Origin is allowed and answers preflights itself: with the CORS
// headers for an allowed origin, as a bare 200 for another one unless the policy forwards such
// preflights (unmatchedPreflights FORWARD). On the way out it adds the CORS headers of an allowed
// actual request to the response.

#include <string_view>

#include "proxy/filters/filter.h"

namespace meshsim::proxy::filters {

class CorsFilter : public HttpFilter {
public:
  // filters::HttpFilter
  std::string_view name() const override { return "envoy.filters.http.cors"; }
  FilterStatus decodeHeaders(StreamCallbacks& stream) override;
  void encodeHeaders(StreamCallbacks& stream, http::Response& response) override;
};

}  // namespace meshsim::proxy::filters
