#include "proxy/http/header_name.h"

#include <array>
#include <string>
#include <vector>

namespace meshsim::proxy::http {

namespace {

// Names that proxies add to requests and responses, or that browsers and clients commonly send,
// and that do not fit std::string's inline buffer (15 characters with libstdc++).
constexpr std::array kWellKnown = {
    // Envoy and Istio
    "x-forwarded-proto",
    "x-envoy-attempt-count",
    "x-envoy-external-address",
    "x-envoy-upstream-service-time",
    "x-envoy-decorator-operation",
    "x-envoy-expected-rq-timeout-ms",
    "x-envoy-upstream-rq-timeout-ms",
    "x-envoy-upstream-rq-per-try-timeout-ms",
    "x-envoy-original-path",
    "x-envoy-original-dst-host",
    "x-envoy-overloaded",
    "x-envoy-ratelimited",
    "x-envoy-internal",
    "x-envoy-retry-on",
    "x-envoy-retry-grpc-on",
    "x-envoy-max-retries",
    "x-envoy-peer-metadata",
    "x-envoy-peer-metadata-id",
    "x-envoy-immediate-health-check-fail",
    "x-forwarded-client-cert",
    "x-b3-parentspanid",
    // HTTP
    "transfer-encoding",
    "proxy-connection",
    "proxy-authorization",
    "if-modified-since",
    "if-unmodified-since",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-location",
    "www-authenticate",
    "strict-transport-security",
    "upgrade-insecure-requests",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-request-method",
    "access-control-request-headers",
};

// The well-known names grouped by length: a lookup compares the few names of its length, with
// no hashing (it runs for every long name a proxy adds to a message).
class Table {
public:
  Table() {
    names_.reserve(kWellKnown.size());
    for (const char* name : kWellKnown) {
      names_.emplace_back(name);
    }
    for (const std::string& name : names_) {
      if (name.size() >= by_length_.size()) {
        by_length_.resize(name.size() + 1);
      }
      by_length_[name.size()].push_back(&name);
    }
  }
  const std::string* find(std::string_view name) const {
    if (name.size() >= by_length_.size()) {
      return nullptr;
    }
    for (const std::string* candidate : by_length_[name.size()]) {
      if (*candidate == name) {
        return candidate;
      }
    }
    return nullptr;
  }

private:
  std::vector<std::string> names_;  // filled once, never resized afterwards
  std::vector<std::vector<const std::string*>> by_length_;
};

}  // namespace

const std::string* HeaderName::intern(std::string_view name) {
  if (name.size() < 16) {
    return nullptr;  // stored inline by std::string anyway
  }
  static const Table table;
  return table.find(name);
}

}  // namespace meshsim::proxy::http
