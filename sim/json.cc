#include "sim/json.h"

#include <cstdint>
#include <cstring>

#include "proxy/core/swar.h"

namespace meshsim::sim {

namespace {

// Whether some byte of the word must be escaped: a control character, '"' or '\\'.
bool needsEscape(uint64_t w) {
  // swar::hasLess(w, 0x20) || swar::hasByte(w, '"') || swar::hasByte(w, '\\'), in one test.
  const uint64_t quote = w ^ ('"' * swar::kOnes);
  const uint64_t backslash = w ^ ('\\' * swar::kOnes);
  const uint64_t any = ((w - 0x20 * swar::kOnes) & ~w) | ((quote - swar::kOnes) & ~quote) |
                       ((backslash - swar::kOnes) & ~backslash);
  return (any & swar::kHigh) != 0;
}

// The index of the first byte of `s` at or after `i` that must be escaped, or s.size().
size_t findEscape(std::string_view s, size_t i) {
  const size_t n = s.size();
  // Eight bytes at a time past the ones that need nothing (most of every document).
  while (i + 8 <= n && !needsEscape(swar::load8(s.data() + i))) {
    i += 8;
  }
  if (i + 8 > n && n >= 8 && !needsEscape(swar::load8(s.data() + n - 8))) {
    return n;  // the tail, as the last eight bytes (overlapping ones already checked)
  }
  for (; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') {
      return i;
    }
  }
  return n;
}

size_t escapedSize(unsigned char c) {
  return c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' ? 2 : 6;
}

char* writeEscaped(char* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '\\';
  switch (c) {
    case '"':
      *out++ = '"';
      break;
    case '\\':
      *out++ = '\\';
      break;
    case '\n':
      *out++ = 'n';
      break;
    case '\r':
      *out++ = 'r';
      break;
    case '\t':
      *out++ = 't';
      break;
    default:
      std::memcpy(out, "u00", 3);
      out += 3;
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 0xf];
  }
  return out;
}

}  // namespace

bool jsonNeedsEscaping(std::string_view s) {
  JsonEscapeScan scan;
  scan.add(s);
  return scan.needed();
}

size_t jsonStringSize(std::string_view s) {
  size_t n = s.size() + 2;
  for (size_t i = findEscape(s, 0); i < s.size(); i = findEscape(s, i + 1)) {
    n += escapedSize(static_cast<unsigned char>(s[i])) - 1;
  }
  return n;
}

char* writeJsonString(char* out, std::string_view s) {
  *out++ = '"';
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = findEscape(s, 0); i < s.size(); i = findEscape(s, i + 1)) {
    if (i > run) {
      std::memcpy(out, s.data() + run, i - run);
      out += i - run;
    }
    out = writeEscaped(out, static_cast<unsigned char>(s[i]));
    run = i + 1;
  }
  if (s.size() > run) {
    std::memcpy(out, s.data() + run, s.size() - run);
    out += s.size() - run;
  }
  *out++ = '"';
  return out;
}

void appendJsonString(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + jsonStringSize(s));
  writeJsonString(out.data() + at, s);
}

}  // namespace meshsim::sim
