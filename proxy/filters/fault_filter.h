#pragma once

// File: proxy/filters/fault_filter.h
//
// Envoy's fault filter (envoy.filters.http.fault) with the route's FaultPolicy (Istio puts a
// VirtualService's fault in the route's per-filter config). Delay and abort are rolled
// independently, delay first; a delayed request stops the chain for the delay (DI) and is then
// aborted or passed on; an abort is a local reply "fault filter abort" with the configured
// status (FI), never retried since no upstream request was made.

#include <string_view>

#include "proxy/filters/filter.h"

namespace meshsim::proxy::filters {

class FaultFilter : public HttpFilter {
public:
  // filters::HttpFilter
  std::string_view name() const override { return "envoy.filters.http.fault"; }
  FilterStatus decodeHeaders(StreamCallbacks& stream) override;
};

}  // namespace meshsim::proxy::filters
