#include "proxy/filters/cors_filter.h"

#include "proxy/router/route_actions.h"

namespace meshsim::proxy::filters {

FilterStatus CorsFilter::decodeHeaders(StreamCallbacks& stream) {
  StreamInfo& info = stream.streamInfo();
  if (info.route == nullptr || !info.route->cors) {
    return FilterStatus::Continue;
  }
  const config::CorsPolicy& cors = *info.route->cors;
  const http::Request& request = stream.request();
  info.cors_origin = router::allowedOrigin(cors, request);
  if (router::isCorsPreflight(request) &&
      (info.cors_origin || !cors.forward_not_matching_preflights)) {
    auto r = info.cors_origin ? router::corsPreflightResponse(cors, *info.cors_origin)
                              : std::make_unique<http::Response>();
    info.cors_origin.reset();  // the preflight answer has its own headers
    stream.sendLocalReply(std::move(r), 0);
    return FilterStatus::StopIteration;
  }
  return FilterStatus::Continue;
}

void CorsFilter::encodeHeaders(StreamCallbacks& stream, http::Response& response) {
  const StreamInfo& info = stream.streamInfo();
  if (info.cors_origin && info.route != nullptr && info.route->cors) {
    router::addCorsResponseHeaders(*info.route->cors, *info.cors_origin, response);
  }
}

}  // namespace meshsim::proxy::filters
