#include "proxy/net/net_util.h"

#include <array>
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
  static constexpr std::array<std::string_view, 7> kHopByHop = {
      "connection", "keep-alive",        "proxy-connection", "te",
      "trailer",    "transfer-encoding", "upgrade"};
  // Most messages carry none of them: look before paying for the removals.
  for (const auto& [name, value] : headers) {
    for (std::string_view hop : kHopByHop) {
      if (name == hop) {
        for (std::string_view h : kHopByHop) {
          headers.remove(h);
        }
        return;
      }
    }
  }
}

bool isIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

}  // namespace meshsim::proxy::net
