#include "proxy/filters/filter_chain.h"

#include <utility>

#include "proxy/filters/cors_filter.h"
#include "proxy/filters/fault_filter.h"
#include "proxy/router/router_filter.h"

namespace meshsim::proxy::filters {

http::ResponsePtr localResponse(int status, std::string_view body) {
  auto r = std::make_unique<http::Response>();
  r->status = status;
  r->body.assign(body);
  if (!body.empty()) {
    r->headers.set("content-type", "text/plain");
  }
  return r;
}

FilterChain::FilterChain(std::vector<HttpFilterSharedPtr> filters) : filters_(std::move(filters)) {}

FilterChain FilterChain::istioChain() {
  // Istio: metadata exchange, ext_authz (CUSTOM), authn, RBAC (DENY, ALLOW), ..., fault, cors,
  // istio.stats, router. Authentication and metadata exchange have no filter here (a hop's peer
  // identity arrives with the connection); istio.stats records when the stream ends, which the
  // connection manager does for every request (see StatsRecorder).
  return FilterChain({std::make_shared<AuthzFilter>(), std::make_shared<FaultFilter>(),
                      std::make_shared<CorsFilter>(), std::make_shared<router::RouterFilter>()});
}

size_t FilterChain::decode(StreamCallbacks& stream, size_t from) const {
  for (size_t i = from; i < filters_.size(); ++i) {
    if (filters_[i]->decodeHeaders(stream) == FilterStatus::StopIteration) {
      return i;
    }
  }
  return filters_.size();
}

void FilterChain::encode(StreamCallbacks& stream, http::Response& response) const {
  for (size_t i = filters_.size(); i > 0; --i) {
    filters_[i - 1]->encodeHeaders(stream, response);
  }
}

void FilterChain::onStreamReset(StreamCallbacks& stream) const {
  for (const auto& f : filters_) {
    f->onStreamReset(stream);
  }
}

std::vector<std::string_view> FilterChain::names() const {
  std::vector<std::string_view> out;
  out.reserve(filters_.size());
  for (const auto& f : filters_) {
    out.push_back(f->name());
  }
  return out;
}

}  // namespace meshsim::proxy::filters
