#pragma once

// File: proxy/filters/filter_chain.h
//
// An ordered list of HTTP filters and the rules of iterating over it (Envoy's FilterManager):
// decodeHeaders() runs filter by filter until one returns StopIteration; the stream resumes it
// at the next filter with continueDecoding(); encodeHeaders() runs over every filter in reverse
// order. The last filter is the terminal one (the router) and always stops.
//
// istioChain() builds the order Istio configures on sidecar and gateway HTTP connection managers
// (pilot/pkg/networking/core/listener_builder.go, buildHTTPConnectionManager): authentication and
// authorization first, then fault, CORS, the stats filter and the router last. See
// docs/architecture.md, "The HTTP filter chain".
//
// Example:
//   auto chain = FilterChain::istioChain();
//   size_t stopped_at = chain.decode(stream, 0);

#include <memory>
#include <string_view>
#include <vector>

#include "proxy/filters/authz_filter.h"
#include "proxy/filters/filter.h"

namespace meshsim::proxy::filters {

class FilterChain {
public:
  // `filters` in decode order; the last one must be terminal (always stop iteration).
  explicit FilterChain(std::vector<HttpFilterSharedPtr> filters);

  // Istio's chain: the authorization slot, fault, CORS, router.
  static FilterChain istioChain();

  // Runs decodeHeaders() from filter `from` on. Returns the index of the filter that stopped,
  // or size() when every filter continued (a chain without a terminal filter: a bug).
  size_t decode(StreamCallbacks& stream, size_t from) const;
  // Runs encodeHeaders() over every filter, last to first.
  void encode(StreamCallbacks& stream, http::Response& response) const;
  // Tells every filter that the client went away.
  void onStreamReset(StreamCallbacks& stream) const;

  size_t size() const { return filters_.size(); }
  const HttpFilter& at(size_t i) const { return *filters_[i]; }
  // The filters' names, in order.
  std::vector<std::string_view> names() const;

private:
  std::vector<HttpFilterSharedPtr> filters_;
};

}  // namespace meshsim::proxy::filters
