#include "sim/json.h"

#include <cstdint>

#include "proxy/core/swar.h"

namespace meshsim::sim {

namespace {

// Whether some byte of the word must be escaped: a control character, '"' or '\\'.
bool needsEscape(uint64_t w) {
  return swar::hasLess(w, 0x20) || swar::hasByte(w, '"') || swar::hasByte(w, '\\');
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight bytes at a time past the ones that need nothing (most of every document).
    while (i + 8 <= s.size() && !needsEscape(swar::load8(s.data() + i))) {
      i += 8;
    }
    if (i == s.size()) {
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

}  // namespace meshsim::sim
