#include "proxy/config/proxy_config.h"

namespace meshsim::proxy::config {

std::string ipToString(uint32_t ip) {
  char buf[16];
  char* p = buf;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const uint32_t octet = (ip >> shift) & 0xff;
    if (octet >= 100) {
      *p++ = static_cast<char>('0' + octet / 100);
    }
    if (octet >= 10) {
      *p++ = static_cast<char>('0' + (octet / 10) % 10);
    }
    *p++ = static_cast<char>('0' + octet % 10);
    if (shift > 0) {
      *p++ = '.';
    }
  }
  return std::string(buf, p);
}

std::string toString(const Address& a) {
  return ipToString(a.ip) + ":" + std::to_string(a.port);
}

}  // namespace meshsim::proxy::config
