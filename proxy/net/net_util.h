#pragma once

// File: proxy/net/net_util.h
//
// Small pieces shared by the HTTP server and the upstream connection pool: address conversions
// between the proxy's config::Address and Asio endpoints, the hop-by-hop header rule, and the
// single-threaded reference count that keeps a connection alive while Asio operations or
// callbacks still point at it.

#include <cstdint>
#include <utility>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/config/proxy_config.h"
#include "proxy/http/message.h"

namespace meshsim::proxy::net {

using Endpoint = boost::asio::ip::tcp::endpoint;

// The IPv4 endpoint of `address`.
Endpoint toEndpoint(const config::Address& address);
// The address of an IPv4 endpoint; 0.0.0.0:port for anything else.
config::Address toAddress(const Endpoint& endpoint);

// Removes the hop-by-hop fields a proxy must not forward (RFC 9110 section 7.6.1): Connection,
// Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and Upgrade. Each connection
// decides its own persistence; the codec has already turned them into ParseResult::keep_alive.
void removeHopByHopHeaders(http::HeaderMap& headers);

// Whether a request may be sent again after the connection it went out on failed before any
// response byte arrived (RFC 9110 section 9.2.2: idempotent methods).
bool isIdempotent(std::string_view method);

// A counted reference to a connection object of proxy/net. The objects are used from the
// io_context thread only, so the count is a plain integer; the object deletes itself when the
// count reaches zero. `T` provides addRef() and release().
template <typename T>
class Ref {
public:
  explicit Ref(T* object) : object_(object) { object_->addRef(); }
  Ref(Ref&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  Ref& operator=(Ref&& other) noexcept {
    if (this != &other) {
      reset();
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() { reset(); }

  T* operator->() const { return object_; }
  T& operator*() const { return *object_; }

private:
  void reset() {
    if (object_ != nullptr) {
      std::exchange(object_, nullptr)->release();
    }
  }

  T* object_;
};

}  // namespace meshsim::proxy::net
