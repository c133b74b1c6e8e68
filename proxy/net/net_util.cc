#include "proxy/net/net_util.h"

#include <string_view>

namespace meshsim::proxy::net {

Endpoint toEndpoint(const config::Address& address) {
  return Endpoint(boost::asio::ip::address_v4(address.ip), address.port);
}

config::Address toAddress(const Endpoint& endpoint) {
  const auto ip = endpoint.address();
  return config::Address{ip.is_v4() ? ip.to_v4().to_uint() : 0, endpoint.port()};
}

void removeHopByHopHeaders(http::HeaderMap& headers) {
  headers.removeIf([](std::string_view name) {
    switch (name.size()) {
      case 2:
        return name == "te";
      case 7:
        return name == "trailer" || name == "upgrade";
      case 10:
        return name == "connection" || name == "keep-alive";
      case 16:
        return name == "proxy-connection";
      case 17:
        return name == "transfer-encoding";
      default:
        return false;
    }
  });
}

bool isIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

}  // namespace meshsim::proxy::net
