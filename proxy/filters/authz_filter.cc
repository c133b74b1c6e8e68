#include "proxy/filters/authz_filter.h"

namespace meshsim::proxy::filters {

FilterStatus AuthzFilter::decodeHeaders(StreamCallbacks& stream) {
  const Authorizer* authorizer = stream.context().authorizer.get();
  if (authorizer == nullptr || authorizer->allowed(stream.request(), stream.streamInfo())) {
    return FilterStatus::Continue;
  }
  stream.sendLocalReply(localResponse(403, "RBAC: access denied"), 0);
  return FilterStatus::StopIteration;
}

}  // namespace meshsim::proxy::filters
