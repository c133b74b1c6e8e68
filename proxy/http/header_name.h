#pragma once

// File: proxy/http/header_name.h
//
// A header field name, lower-case. The names proxies add to every request and response
// (x-forwarded-proto, x-envoy-attempt-count, x-envoy-upstream-service-time, ...) are longer than
// std::string's inline buffer, so each copy of a message would allocate them again; a HeaderName
// that is one of those refers to a single shared copy instead (interned, as Envoy's
// LowerCaseString constants are), and any other name is stored as a std::string. It reads as a
// std::string_view.
//
// Example:
//   HeaderName n("x-envoy-attempt-count");  // interned: copies of `n` do not allocate
//   std::string_view v = n;                 // "x-envoy-attempt-count"
//   n == "x-envoy-attempt-count";           // true

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace meshsim::proxy::http {

class HeaderName {
public:
  HeaderName() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): a name is written as a string everywhere.
  HeaderName(std::string_view name)
      : interned_(intern(name)), owned_(interned_ != nullptr ? std::string_view() : name) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  HeaderName(std::string name)
      : interned_(intern(name)), owned_(interned_ != nullptr ? std::string() : std::move(name)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  HeaderName(const char* name) : HeaderName(std::string_view(name)) {}

  std::string_view view() const { return interned_ != nullptr ? *interned_ : owned_; }
  // NOLINTNEXTLINE(google-explicit-constructor)
  operator std::string_view() const { return view(); }
  std::string str() const { return std::string(view()); }
  // Whether this is one of the well-known names, kept as one shared copy: a constant of the
  // proxy's, a lower-case token.
  bool interned() const { return interned_ != nullptr; }

  size_t size() const { return view().size(); }
  bool empty() const { return view().empty(); }
  const char* data() const { return view().data(); }
  auto begin() const { return view().begin(); }
  auto end() const { return view().end(); }

  // A well-known name is always interned (every constructor looks it up), so two names are equal
  // exactly when they share the interned copy or, neither interned, their text is equal.
  friend bool operator==(const HeaderName& a, const HeaderName& b) {
    if (a.interned_ != nullptr || b.interned_ != nullptr) {
      return a.interned_ == b.interned_;
    }
    return a.owned_ == b.owned_;
  }
  friend bool operator==(const HeaderName& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const HeaderName& a, const char* b) { return a.view() == b; }
  friend bool operator<(const HeaderName& a, const HeaderName& b) { return a.view() < b.view(); }
  friend std::ostream& operator<<(std::ostream& os, const HeaderName& n) { return os << n.view(); }

private:
  // The shared copy of a well-known name longer than std::string's inline buffer, or nullptr.
  static const std::string* intern(std::string_view name);

  const std::string* interned_ = nullptr;
  std::string owned_;
};

// Names the proxy core adds to every request or response, made once (Envoy's Http::Headers):
// HeaderMap::setReferenceKey() compares and copies them without looking them up.
namespace headers {
inline const HeaderName kXForwardedProto{"x-forwarded-proto"};
inline const HeaderName kXEnvoyExternalAddress{"x-envoy-external-address"};
inline const HeaderName kXEnvoyAttemptCount{"x-envoy-attempt-count"};
inline const HeaderName kXEnvoyUpstreamServiceTime{"x-envoy-upstream-service-time"};
}  // namespace headers

}  // namespace meshsim::proxy::http
