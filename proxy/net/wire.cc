#include "proxy/net/wire.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string_view>

#include "proxy/core/swar.h"
#include "proxy/http/codec.h"

namespace meshsim::proxy::net {

namespace {

// Character classes, as the codec defines them (codec.cc): RFC 9110 tchar, request-target
// bytes Beast accepts, Host bytes, field-value bytes.
constexpr std::array<bool, 256> makeTable(bool (*pred)(unsigned char)) {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = pred(static_cast<unsigned char>(c));
  }
  return t;
}
constexpr bool isAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr bool contains(std::string_view set, unsigned char c) {
  return set.find(static_cast<char>(c)) != std::string_view::npos;
}
// Field names must be lower-case tokens to be written unchanged.
constexpr auto kLowerTchar = makeTable([](unsigned char c) {
  return (isAlnum(c) && !(c >= 'A' && c <= 'Z')) || contains("!#$%&'*+-.^_`|~", c);
});
constexpr auto kTchar =
    makeTable([](unsigned char c) { return isAlnum(c) || contains("!#$%&'*+-.^_`|~", c); });
constexpr auto kTarget = makeTable([](unsigned char c) { return c > 0x20 && c != 0x7f; });
constexpr auto kAuthority =
    makeTable([](unsigned char c) { return isAlnum(c) || contains("-._~%!$&'()*+,;=:[]", c); });
constexpr auto kValue =
    makeTable([](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });

bool allIn(std::string_view s, const std::array<bool, 256>& table) {
  for (const char c : s) {
    if (!table[static_cast<unsigned char>(c)]) {
      return false;
    }
  }
  return true;
}

bool isOws(char c) {
  return c == ' ' || c == '\t';
}

using swar::inRange;
using swar::kHigh;
using swar::load8;

// Whether `name` may be written as a field name unchanged: a lower-case token. Eight bytes at a
// time for the usual letters, digits and dashes; any other byte sends its word to the table.
bool isCleanName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    const uint64_t w = load8(name.data() + i);
    const bool common = (w & kHigh) == 0 && (inRange(w, 'a', 'z') | inRange(w, '0', '9') |
                                             inRange(w, '-', '-')) == kHigh;
    if (!common && !allIn(name.substr(i, 8), kLowerTchar)) {
      return false;
    }
  }
  return allIn(name.substr(i), kLowerTchar);
}

// Whether `value` may be written as a field value unchanged: no control characters but HTAB,
// no DEL, no white space at either end. Eight bytes at a time; a word that may hold a control
// byte (HTAB is one) is looked at byte by byte.
bool isCleanValue(std::string_view value) {
  if (!value.empty() && (isOws(value.front()) || isOws(value.back()))) {
    return false;
  }
  size_t i = 0;
  for (; i + 8 <= value.size(); i += 8) {
    const uint64_t w = load8(value.data() + i);
    if ((swar::hasLess(w, 0x20) || swar::hasByte(w, 0x7f)) && !allIn(value.substr(i, 8), kValue)) {
      return false;
    }
  }
  return allIn(value.substr(i), kValue);
}

// Whether a field is written by the fast writers at all (framing fields are theirs to write).
bool isWritten(std::string_view name, bool skip_host) {
  switch (name.size()) {
    case 4:
      return !(skip_host && name == "host");
    case 14:
      return name != "content-length";
    case 17:
      return name != "transfer-encoding";
    default:
      return true;
  }
}

// Appends the header map's entries as the codec does; false if one would need repair. Sizes
// them first so that the bytes go in with one resize and plain copies.
bool appendHeaders(const http::HeaderMap& headers, bool skip_host, std::string& out) {
  size_t total = 0;
  for (const auto& [name, value] : headers) {
    if (!isCleanName(name) || !isCleanValue(value)) {
      return false;
    }
    if (isWritten(name, skip_host)) {
      total += name.size() + value.size() + 4;
    }
  }
  size_t at = out.size();
  out.resize(at + total);
  char* p = out.data() + at;
  for (const auto& [name, value] : headers) {
    if (!isWritten(name, skip_host)) {
      continue;
    }
    p = std::copy(name.begin(), name.end(), p);
    *p++ = ':';
    *p++ = ' ';
    p = std::copy(value.begin(), value.end(), p);
    *p++ = '\r';
    *p++ = '\n';
  }
  return true;
}

void appendNumber(uint64_t n, std::string& out) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof(buf), n);
  out.append(buf, result.ptr);
}

bool statusForbidsBody(int status) {
  return status / 100 == 1 || status == 204 || status == 304;
}

bool writeRequestFast(const http::Request& request, std::string& out) {
  if (request.method.empty() || !allIn(request.method, kTchar) || request.path.empty() ||
      !allIn(request.path, kTarget) || !allIn(request.authority, kAuthority)) {
    return false;
  }
  out.append(request.method).append(" ").append(request.path).append(" HTTP/1.1\r\nhost: ");
  out.append(request.authority).append("\r\n");
  if (!appendHeaders(request.headers, /*skip_host=*/true, out)) {
    return false;
  }
  const std::string_view m = request.method;
  if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    out.append("content-length: ");
    appendNumber(request.body.size(), out);
    out.append("\r\n");
  }
  out.append("\r\n").append(request.body);
  return true;
}

bool writeResponseFast(const http::Response& response, std::string& out) {
  const int status = response.status;
  if (status < 100 || status > 999 || response.unread_body_bytes != 0) {
    return false;  // the general writer, which answers for these (and refuses the second)
  }
  out.append("HTTP/1.1 ");
  appendNumber(static_cast<uint64_t>(status), out);
  out.append(" ").append(http::reasonPhrase(status)).append("\r\n");
  if (!appendHeaders(response.headers, /*skip_host=*/false, out)) {
    return false;
  }
  if (!statusForbidsBody(status)) {
    out.append("content-length: ");
    appendNumber(response.body.size(), out);
    out.append("\r\n\r\n").append(response.body);
  } else {
    out.append("\r\n");
  }
  return true;
}

}  // namespace

void writeRequest(const http::Request& request, std::string& out) {
  out.clear();
  if (!writeRequestFast(request, out)) {
    out = http::serializeRequest(request);
  }
}

void writeResponse(const http::Response& response, std::string& out) {
  out.clear();
  if (!writeResponseFast(response, out)) {
    out = http::serializeResponse(response);
  }
}

}  // namespace meshsim::proxy::net
