#include "proxy/net/wire.h"

#include <array>
#include <charconv>
#include <string_view>

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

// Appends the header map's entries as the codec does; false if one would need repair.
bool appendHeaders(const http::HeaderMap& headers, bool skip_host, std::string& out) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !allIn(name, kLowerTchar) || !allIn(value, kValue) ||
        (!value.empty() && (isOws(value.front()) || isOws(value.back())))) {
      return false;
    }
    if (name == "content-length" || name == "transfer-encoding" || (skip_host && name == "host")) {
      continue;
    }
    out.append(name).append(": ").append(value).append("\r\n");
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
  if (status < 100 || status > 999) {
    return false;
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
