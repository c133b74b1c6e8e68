#include "sim/istio/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include <re2/re2.h>

namespace meshsim::sim::istio::validation {

namespace {

constexpr std::string_view kJwtClaim = "@request.auth.claims";

// RFC 7230 tchar: "!#$%&'*+-.^_`|~", digits and letters.
bool isTchar(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (unsigned char c : s) {
    if (!isTchar(c)) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// ValidateDNS1123Labels: the labels of `domain` (one trailing empty label allowed), the last not
// all digits.
std::string dns1123LabelsError(std::string_view domain) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    parts.push_back(domain.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  const std::string_view top = parts.back();
  if (!top.empty() && top.find_first_not_of("0123456789") == std::string_view::npos) {
    return "domain name \"" + std::string(domain) + "\" invalid (top level domain \"" +
           std::string(top) + "\" cannot be all-numeric)";
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i + 1 == parts.size() && parts[i].empty()) {
      return "";
    }
    if (!isDns1123Label(parts[i])) {
      return "domain name \"" + std::string(domain) + "\" invalid (label \"" +
             std::string(parts[i]) + "\" invalid)";
    }
  }
  return "";
}

std::string preconditionsError(std::string_view name) {
  if (name.size() > 255) {
    return "domain name \"" + std::string(name) + "\" too long (max 255)";
  }
  if (name.empty()) {
    return "empty domain name not allowed";
  }
  return "";
}

bool isQualifiedName(std::string_view s) {
  static const re2::RE2 kName("(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  return re2::RE2::FullMatch(s, kName);
}

}  // namespace

bool isDns1123Label(std::string_view value) {
  static const re2::RE2 kLabel("[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?");
  return value.size() <= 63 && re2::RE2::FullMatch(value, kLabel);
}

std::string wildcardDomainError(std::string_view domain) {
  if (std::string why = preconditionsError(domain); !why.empty()) {
    return why;
  }
  static const re2::RE2 kWildcardLabel("\\*|(?:\\*|\\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?");
  const size_t dot = domain.find('.');
  const std::string_view first = domain.substr(0, dot);
  if (first.size() > 63 || !re2::RE2::FullMatch(first, kWildcardLabel)) {
    return "domain name \"" + std::string(domain) + "\" invalid (label \"" + std::string(first) +
           "\" invalid)";
  }
  return dot == std::string_view::npos ? "" : dns1123LabelsError(domain.substr(dot + 1));
}

std::string fqdnError(std::string_view domain) {
  if (std::string why = preconditionsError(domain); !why.empty()) {
    return why;
  }
  return dns1123LabelsError(domain);
}

bool isIpAddress(std::string_view text) {
  const std::string s(text);
  in_addr v4{};
  in6_addr v6{};
  return ::inet_pton(AF_INET, s.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, s.c_str(), &v6) == 1;
}

bool isJwtClaimRoute(std::string_view name) {
  if (!lower(name).starts_with(kJwtClaim)) {
    return false;
  }
  const std::string_view rest = name.substr(kJwtClaim.size());
  return (rest.starts_with('.') && rest.size() > 1) ||
         (rest.starts_with('[') && rest.ends_with(']') && rest.size() > 2);
}

std::string matchHeaderNameError(std::string_view name) {
  if (name.empty()) {
    return "header name cannot be empty";
  }
  static const std::set<std::string_view> kPseudo = {":method", ":scheme", ":authority", ":path",
                                                     ":status"};
  if (isJwtClaimRoute(name) || kPseudo.count(name) != 0 || isToken(name)) {
    return "";
  }
  return "header name " + std::string(name) + " is not a valid header name";
}

bool isHeaderNameBefore125(std::string_view name) {
  static const re2::RE2 kStrict("[-_A-Za-z0-9]+");
  return re2::RE2::FullMatch(name, kStrict);
}

std::string corsHeaderNameError(std::string_view name) {
  if (name.empty()) {
    return "header name cannot be empty";
  }
  if (name == "*" || isToken(name)) {
    return "";
  }
  return "header name " + std::string(name) + " is not a valid header name";
}

std::string headerValueError(std::string_view value) {
  for (unsigned char c : value) {
    if ((c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f) {
      return "header value configuration " + std::string(value) + " is invalid";
    }
  }
  // Envoy's header_parser.cc state machine, as Istio ports it (header_value_validator.go).
  enum class State {
    Literal,
    VariableName,
    ExpectArray,
    ExpectString,
    String,
    ExpectArrayDelimiterOrEnd,
    ExpectArgsEnd,
    ExpectVariableEnd
  };
  State state = State::Literal;
  for (size_t pos = 0; pos < value.size(); ++pos) {
    const char ch = value[pos];
    const bool has_next = pos + 1 < value.size();
    switch (state) {
      case State::Literal:
        if (ch != '%') {
          break;
        }
        if (!has_next) {
          return "header value configuration: invalid header configuration. Un-escaped %";
        }
        if (value[pos + 1] == '%') {
          ++pos;
          break;
        }
        state = State::VariableName;
        break;
      case State::VariableName:
        if (ch == '%') {
          state = State::Literal;
        } else if (ch == '(') {
          state = State::ExpectArray;
        }
        break;
      case State::ExpectArray:
        if (ch == '[') {
          state = State::ExpectString;
        } else if (ch != ' ') {
          state = State::String;
        }
        break;
      case State::ExpectArrayDelimiterOrEnd:
        if (ch == ',') {
          state = State::ExpectString;
        } else if (ch == ']') {
          state = State::ExpectArgsEnd;
        } else if (ch != ' ') {
          return "header value configuration: invalid header configuration. Expecting ',', ']', "
                 "or whitespace";
        }
        break;
      case State::ExpectString:
        if (ch == '"') {
          state = State::String;
        } else if (ch != ' ') {
          return "header value configuration: invalid header configuration. Expecting '\"'";
        }
        break;
      case State::String:
        if (ch == '\\') {
          if (!has_next) {
            return "header value configuration: invalid header configuration. Un-terminated "
                   "backslash in JSON string";
          }
          ++pos;
        } else if (ch == ')') {
          state = State::ExpectVariableEnd;
        } else if (ch == '"') {
          state = State::ExpectArrayDelimiterOrEnd;
        }
        break;
      case State::ExpectArgsEnd:
        if (ch == ')') {
          state = State::ExpectVariableEnd;
        } else if (ch != ' ') {
          return "header value configuration: invalid header configuration. Expecting ')' or "
                 "whitespace";
        }
        break;
      case State::ExpectVariableEnd:
        if (ch == '%') {
          state = State::Literal;
        } else if (ch != ' ') {
          return "header value configuration: invalid header configuration. Expecting '%' or "
                 "whitespace after";
        }
        break;
    }
  }
  if (state != State::Literal) {
    return "header value configuration: invalid header configuration. Un-terminated variable "
           "expression '" +
           std::string(value) + "'";
  }
  return "";
}

bool headerValueHasVariable(std::string_view value) {
  for (size_t pos = 0; pos < value.size(); ++pos) {
    if (value[pos] == '%') {
      if (pos + 1 < value.size() && value[pos + 1] == '%') {
        ++pos;
        continue;
      }
      return true;
    }
  }
  return false;
}

std::string unescapeHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t pos = 0; pos < value.size(); ++pos) {
    out += value[pos];
    if (value[pos] == '%' && pos + 1 < value.size() && value[pos + 1] == '%') {
      ++pos;
    }
  }
  return out;
}

bool isRetryOnPolicy(std::string_view policy) {
  static const std::set<std::string_view> kPolicies = {"5xx",
                                                       "gateway-error",
                                                       "reset",
                                                       "reset-before-request",
                                                       "connect-failure",
                                                       "retriable-4xx",
                                                       "refused-stream",
                                                       "retriable-status-codes",
                                                       "retriable-headers",
                                                       "envoy-ratelimited",
                                                       "http3-post-connect-failure",
                                                       "cancelled",
                                                       "deadline-exceeded",
                                                       "internal",
                                                       "resource-exhausted",
                                                       "unavailable"};
  if (kPolicies.count(policy) != 0) {
    return true;
  }
  // Go's http.StatusText: the codes net/http names.
  static const std::set<std::string_view> kStatusCodes = {
      "100", "101", "102", "103", "200", "201", "202", "203", "204", "205", "206", "207", "208",
      "226", "300", "301", "302", "303", "304", "305", "307", "308", "400", "401", "402", "403",
      "404", "405", "406", "407", "408", "409", "410", "411", "412", "413", "414", "415", "416",
      "417", "418", "421", "422", "423", "424", "425", "426", "428", "429", "431", "451", "500",
      "501", "502", "503", "504", "505", "506", "507", "508", "510", "511"};
  // strconv.Atoi also takes a sign and leading zeros ("+503", "0503").
  std::string_view digits = policy;
  if (digits.starts_with('+') || digits.starts_with('-')) {
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  while (digits.size() > 1 && digits.front() == '0') {
    digits.remove_prefix(1);
  }
  return !policy.starts_with('-') && kStatusCodes.count(digits) != 0;
}

bool isGrpcStatusName(std::string_view name) {
  static const std::set<std::string_view> kNames = {"OK",
                                                    "CANCELLED",
                                                    "UNKNOWN",
                                                    "INVALID_ARGUMENT",
                                                    "DEADLINE_EXCEEDED",
                                                    "NOT_FOUND",
                                                    "ALREADY_EXISTS",
                                                    "PERMISSION_DENIED",
                                                    "RESOURCE_EXHAUSTED",
                                                    "FAILED_PRECONDITION",
                                                    "ABORTED",
                                                    "OUT_OF_RANGE",
                                                    "UNIMPLEMENTED",
                                                    "INTERNAL",
                                                    "UNAVAILABLE",
                                                    "DATA_LOSS",
                                                    "UNAUTHENTICATED"};
  return kNames.count(name) != 0;
}

bool isCorsMethod(std::string_view method) {
  static const std::set<std::string_view> kMethods = {
      "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"};
  return kMethods.count(method) != 0;
}

std::string labelsError(const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : labels) {
    const std::string_view whole = key;
    const size_t slash = whole.find('/');
    bool ok = false;
    if (slash == std::string_view::npos) {
      ok = isQualifiedName(whole) && whole.size() <= 63;
    } else {
      const std::string_view prefix = whole.substr(0, slash);
      const std::string_view name = whole.substr(slash + 1);
      static const re2::RE2 kPrefix(
          "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)"
          "*");
      ok = re2::RE2::FullMatch(prefix, kPrefix) && prefix.size() <= 253 && isQualifiedName(name) &&
           name.size() <= 63;
    }
    if (!ok) {
      return "invalid tag key: \"" + key + "\"";
    }
    if (!value.empty() && !isQualifiedName(value)) {
      return "invalid tag value: \"" + value + "\"";
    }
  }
  return "";
}

std::string gatewayNameError(std::string_view name) {
  const size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    return fqdnError(name);
  }
  const std::string_view ns = name.substr(0, slash);
  const std::string_view gw = name.substr(slash + 1);
  if (ns.empty() || gw.empty()) {
    return "config namespace and gateway name cannot be empty";
  }
  if (!isDns1123Label(ns)) {
    return "invalid value for namespace: \"" + std::string(ns) + "\"";
  }
  if (!isDns1123Label(gw)) {
    return "invalid value for gateway name: \"" + std::string(gw) + "\"";
  }
  return "";
}

std::string hostnamePartError(std::string_view name, bool is_gateway) {
  if (name != "*" && name.find('.') == std::string_view::npos) {
    return "short names (non FQDN) are not allowed";
  }
  if (std::string why = wildcardDomainError(name);
      !why.empty() && !(is_gateway && isIpAddress(name))) {
    return why;
  }
  if (name.find('*') != std::string_view::npos && name.size() != 1 && !name.starts_with("*.")) {
    return "partial wildcard \"" + std::string(name) + "\" not allowed";
  }
  return "";
}

std::string gatewayHostError(std::string_view host) {
  const size_t slash = host.find('/');
  if (slash == std::string_view::npos) {
    return hostnamePartError(host, /*is_gateway=*/true);
  }
  const std::string_view ns = host.substr(0, slash);
  const std::string_view name = host.substr(slash + 1);
  if (ns.empty() || name.empty()) {
    return "config namespace and dnsName in host entry cannot be empty";
  }
  if (ns != "*" && ns != "." && !isDns1123Label(ns)) {
    return "invalid namespace value \"" + std::string(ns) + "\" in gateway";
  }
  return hostnamePartError(name, /*is_gateway=*/true);
}

std::string exportToError(std::string_view own_namespace, const std::vector<std::string>& export_to,
                          bool is_service_entry) {
  std::set<std::string> seen;
  for (const auto& e : export_to) {
    const std::string key = e == "." ? std::string(own_namespace) : e;
    if (seen.count(key) != 0) {
      return key != e ? "duplicate entries in exportTo: . and current namespace " + key
                      : "duplicate entries in exportTo for entry " + e;
    }
    if (e == "~" && !is_service_entry) {
      return "exportTo ~ (none) is not allowed for Istio configuration objects";
    }
    if (key != "*" && key != "~" && !isDns1123Label(key)) {
      return "only .,*, or a valid DNS 1123 label is allowed as exportTo entry";
    }
    seen.insert(key);
  }
  if (seen.count("*") != 0 && export_to.size() > 1) {
    return "cannot have both public (*) and non-public exportTo values for a resource";
  }
  if (seen.count("~") != 0 && export_to.size() > 1) {
    return "cannot export service entry to no one (~) and someone";
  }
  return "";
}

bool hostsOverlap(std::string_view a, std::string_view b) {
  const bool aw = a.starts_with('*');
  const bool bw = b.starts_with('*');
  if (aw && bw) {
    return a.size() < b.size() ? b.substr(1).ends_with(a.substr(1))
                               : a.substr(1).ends_with(b.substr(1));
  }
  if (aw) {
    return b.ends_with(a.substr(1));
  }
  if (bw) {
    return a.ends_with(b.substr(1));
  }
  return a == b;
}

std::string gatewayBoundDomainError(bool sni, std::string_view domain) {
  if (std::string why = preconditionsError(domain); !why.empty()) {
    return why;
  }
  if (!sni || !domain.starts_with("outbound_")) {
    return wildcardDomainError(domain);
  }
  // parseAutoGeneratedSNIDomain: the parts between "_"; the first is "outbound" here.
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t bar = domain.find('_', start);
    parts.push_back(domain.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) {
      break;
    }
    start = bar + 1;
  }
  const std::string format = "outbound_.<PORT>_._.<HOSTNAME>";
  if (parts.size() < 4) {
    return "domain name " + std::string(domain) + " invalid, should follow '" + format + "' format";
  }
  const auto trim_dots = [](std::string_view s) {
    while (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == '.') {
      s.remove_suffix(1);
    }
    return s;
  };
  const std::string_view port = trim_dots(parts[1]);
  const std::string_view hostname = trim_dots(parts[3]);
  // regexp.MatchString("([0-9].*)") and ("([a-zA-Z].*)") are unanchored: one digit, one letter.
  if (port.find_first_of("0123456789") == std::string_view::npos) {
    return "domain name \"" + std::string(domain) + "\" invalid (label \"" + std::string(port) +
           "\" invalid). should follow " + format + " format";
  }
  const bool letter = std::any_of(hostname.begin(), hostname.end(), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0;
  });
  if (!letter) {
    return "domain name \"" + std::string(domain) + "\" invalid (label \"" + std::string(hostname) +
           "\" invalid). should follow " + format + " format";
  }
  return "";
}

bool hostSubsetOf(std::string_view h, std::string_view o) {
  const bool hw = h.starts_with('*');
  const bool ow = o.starts_with('*');
  if (hw) {
    return ow && h.size() >= o.size() && h.substr(1).ends_with(o.substr(1));
  }
  if (ow) {
    return h.ends_with(o.substr(1));
  }
  return h == o;
}

std::string ipSubnetError(std::string_view subnet) {
  if (std::count(subnet.begin(), subnet.end(), '/') == 1) {
    const size_t slash = subnet.find('/');
    const std::string addr(subnet.substr(0, slash));
    const std::string_view bits = subnet.substr(slash + 1);
    in_addr v4{};
    in6_addr v6{};
    const bool is_v4 = ::inet_pton(AF_INET, addr.c_str(), &v4) == 1;
    const bool is_v6 = !is_v4 && ::inet_pton(AF_INET6, addr.c_str(), &v6) == 1;
    const bool digits = !bits.empty() && bits.size() <= 3 &&
                        bits.find_first_not_of("0123456789") == std::string_view::npos &&
                        (bits.size() == 1 || bits.front() != '0');
    if ((is_v4 || is_v6) && digits && std::stoi(std::string(bits)) <= (is_v4 ? 32 : 128)) {
      return "";
    }
    return std::string(subnet) + " is not a valid CIDR block";
  }
  return isIpAddress(subnet) ? "" : std::string(subnet) + " is not a valid IP";
}

std::string gatewayNamesError(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (std::string why = gatewayNameError(name); !why.empty()) {
      return why;
    }
    if (name.find('/') == std::string::npos) {
      return "";  // validateGatewayNames returns after a name without a namespace
    }
  }
  return "";
}

}  // namespace meshsim::sim::istio::validation
