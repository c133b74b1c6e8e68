#pragma once

// File: proxy/net/wire.h
//
// The bytes proxy/net writes, made without per-message allocations: the same bytes as
// http::serializeRequest()/serializeResponse(), appended to a buffer the connection reuses.
// Messages that the codec would have to repair (upper-case or non-token field names, control
// characters or surrounding spaces in values, bytes to percent-encode in the request line or
// Host) go through the codec's serializer instead, so the output is always exactly the codec's.
//
// Example:
//   writeResponse(*response, out_);  // out_ keeps its capacity from one response to the next
//   socket.write_some(boost::asio::buffer(out_));

#include <string>

#include "proxy/http/message.h"

namespace meshsim::proxy::net {

// Replaces the contents of `out` with http::serializeRequest(request).
void writeRequest(const http::Request& request, std::string& out);
// Replaces the contents of `out` with http::serializeResponse(response).
void writeResponse(const http::Response& response, std::string& out);

}  // namespace meshsim::proxy::net
