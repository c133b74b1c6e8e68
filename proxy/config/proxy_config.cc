#include "proxy/config/proxy_config.h"

namespace meshsim::proxy::config {

std::string ipToString(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

std::string toString(const Address& a) {
  return ipToString(a.ip) + ":" + std::to_string(a.port);
}

}  // namespace meshsim::proxy::config
