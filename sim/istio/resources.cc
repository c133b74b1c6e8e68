#include "sim/istio/resources.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <tuple>

#include <re2/re2.h>

#include "proxy/http/message.h"
#include "proxy/upstream/hash_lb.h"
#include "sim/duration.h"
#include "sim/istio/validation.h"

namespace meshsim::sim::istio {

namespace {

// Fields Istio defines that the simulator does not model yet: an honest error beats routing
// that silently differs from a cluster's.
Status rejectUnmodelled(yaml::Reader& r, std::initializer_list<std::string_view> fields) {
  for (auto f : fields) {
    if (r.has(f)) {
      return r.error(f, "valid Istio, but not modelled by this version of meshsim yet");
    }
  }
  return okStatus();
}

// The fields of Istio's API messages (JSON names), from istio/api's
// networking/v1alpha3/{virtual_service,destination_rule,gateway,service_entry,workload_entry}
// .proto as of Istio 1.30. A field listed here that a parser does not read is refused as valid
// Istio but not modelled, never as an unknown field.
const std::set<std::string_view>& istioFields(std::string_view message) {
  static const std::map<std::string_view, std::set<std::string_view>> kFields = {
      {"ClientTLSSettings",
       {"mode", "clientCertificate", "privateKey", "caCertificates", "credentialName",
        "subjectAltNames", "sni", "insecureSkipVerify", "caCrl"}},
      {"ConnectionPoolSettings", {"tcp", "http"}},
      {"ConnectionPoolSettings.HTTPSettings",
       {"http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries",
        "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams",
        "http2KeepAlive"}},
      {"ConnectionPoolSettings.TCPSettings",
       {"maxConnections", "connectTimeout", "tcpKeepalive", "maxConnectionDuration",
        "idleTimeout"}},
      {"CorsPolicy",
       {"allowOrigin", "allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge",
        "allowCredentials", "unmatchedPreflights"}},
      {"Delegate", {"name", "namespace"}},
      {"Destination", {"host", "subset", "port"}},
      {"DestinationRule", {"host", "trafficPolicy", "subsets", "exportTo", "workloadSelector"}},
      {"Gateway", {"servers", "selector"}},
      {"HTTPBody", {"string", "bytes"}},
      {"HTTPDirectResponse", {"status", "body"}},
      {"HTTPFaultInjection", {"delay", "abort"}},
      {"HTTPFaultInjection.Abort", {"httpStatus", "grpcStatus", "http2Error", "percentage"}},
      {"HTTPFaultInjection.Delay", {"percent", "fixedDelay", "exponentialDelay", "percentage"}},
      {"HTTPMatchRequest",
       {"name", "uri", "scheme", "method", "authority", "headers", "port", "sourceLabels",
        "gateways", "queryParams", "ignoreUriCase", "withoutHeaders", "sourceNamespace",
        "statPrefix"}},
      {"HTTPMirrorPolicy", {"destination", "percentage"}},
      {"HTTPRedirect",
       {"uri", "authority", "port", "derivePort", "scheme", "redirectCode", "prefixRewrite"}},
      {"HTTPRetry",
       {"attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts",
        "backoff"}},
      {"HTTPRewrite", {"uri", "authority", "uriRegexRewrite"}},
      {"HTTPRoute",
       {"name", "match", "route", "redirect", "directResponse", "delegate", "rewrite", "timeout",
        "retries", "fault", "mirror", "mirrors", "mirrorPercent", "mirrorPercentage", "corsPolicy",
        "headers"}},
      {"HTTPRouteDestination", {"destination", "weight", "headers"}},
      {"Headers", {"request", "response"}},
      {"Headers.HeaderOperations", {"set", "add", "remove"}},
      {"LoadBalancerSettings",
       {"simple", "consistentHash", "localityLbSetting", "zoneAwareLbSetting", "warmupDurationSecs",
        "warmup"}},
      {"OutlierDetection",
       {"consecutiveErrors", "splitExternalLocalOriginErrors", "consecutiveLocalOriginFailures",
        "consecutiveGatewayErrors", "consecutive5xxErrors", "interval", "baseEjectionTime",
        "maxEjectionPercent", "minHealthPercent", "outlierDetectionHttpErrorCodes"}},
      {"L4MatchAttributes",
       {"destinationSubnets", "port", "sourceSubnet", "sourceLabels", "gateways",
        "sourceNamespace"}},
      {"Percent", {"value"}},
      {"Port", {"number", "protocol", "name", "targetPort"}},
      {"PortSelector", {"number"}},
      {"RegexRewrite", {"match", "rewrite"}},
      {"RouteDestination", {"destination", "weight"}},
      {"Server", {"port", "bind", "hosts", "tls", "defaultEndpoint", "name"}},
      {"ServerTLSSettings",
       {"httpsRedirect", "mode", "serverCertificate", "privateKey", "caCertificates", "caCrl",
        "credentialName", "credentialNames", "caCertCredentialName", "tlsCertificates",
        "subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash", "minProtocolVersion",
        "maxProtocolVersion", "cipherSuites", "insecureSkipVerify"}},
      {"ServiceEntry",
       {"hosts", "addresses", "ports", "location", "resolution", "endpoints", "workloadSelector",
        "exportTo", "subjectAltNames"}},
      {"ServicePort", {"number", "protocol", "name", "targetPort"}},
      {"StringMatch", {"exact", "prefix", "regex"}},
      {"Subset", {"name", "labels", "trafficPolicy"}},
      {"TCPRoute", {"match", "route"}},
      {"TLSMatchAttributes",
       {"sniHosts", "destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace"}},
      {"TLSRoute", {"match", "route"}},
      {"TrafficPolicy",
       {"loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings", "tunnel",
        "proxyProtocol", "retryBudget"}},
      {"TrafficPolicy.PortTrafficPolicy",
       {"port", "loadBalancer", "connectionPool", "outlierDetection", "tls"}},
      {"VirtualService", {"hosts", "gateways", "http", "tls", "tcp", "exportTo"}},
      {"WorkloadEntry",
       {"address", "ports", "labels", "network", "locality", "weight", "serviceAccount"}},
  };
  return kFields.at(message);
}

// Finishes the reader of one Istio API `message` (see istioFields()).
Status finishIstio(const yaml::Reader& r, std::string_view message) {
  return r.finish(istioFields(message), "Istio");
}

// Remembers that `key`, present in `r`, exists only since Istio 1.`since_minor`.
void noteSince(const yaml::Reader& r, std::string_view key, int since_minor,
               std::vector<VersionedField>& out) {
  if (r.has(key)) {
    out.push_back({r.location(key), r.pathOf(key), r.context(), since_minor});
  }
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Istio's duration syntax: Go's time.ParseDuration ("1.5s", "500ms", "1m30s", "+1s"), which is
// how istiod's legacy jsonpb unmarshal reads a google.protobuf.Duration (and the CRD's CEL
// duration() rules agree). Returns signed nanoseconds, or an error naming the field.
StatusOr<int64_t> istioDuration(yaml::Reader& r, std::string_view key, const std::string& text) {
  auto parsed = parseGoDuration(text);
  if (!parsed.ok()) {
    return r.error(key, "invalid duration \"" + text + "\" (" + parsed.status().message() +
                            "): Istio reads durations as Go's time.ParseDuration, e.g. 250ms, "
                            "1.5s, 1m30s");
  }
  return *parsed;
}

// A duration field in milliseconds; `min_ms` > 0 rejects shorter ones (Istio: >= 1 ms).
StatusOr<double> durationField(yaml::Reader& r, std::string_view key, double def, double min_ms) {
  if (!r.has(key)) {
    r.child(key);
    return def;
  }
  MESHSIM_ASSIGN_OR_RETURN(std::string text, r.string(key));
  MESHSIM_ASSIGN_OR_RETURN(int64_t nanos, istioDuration(r, key, text));
  const double ms = static_cast<double>(nanos) / 1e6;
  if (min_ms > 0 && ms < min_ms) {  // agent.ValidateDuration; CEL: duration(self) >= 1ms
    return r.error(key, "duration must be at least 1ms, got \"" + text + "\"");
  }
  if (nanos < 0) {
    return r.error(key, "duration must not be negative, got \"" + text + "\"");
  }
  // Istio's agent.ValidateDuration: whole milliseconds only.
  if (min_ms > 0 && nanos % 1000000 != 0) {
    return r.error(key, "only durations to ms precision are supported, got \"" + text + "\"");
  }
  // The virtual clock counts nanoseconds in 64 bits: about 292 years. Longer durations would
  // overflow it; nothing real waits that long.
  constexpr double kMaxMs = 1e12;  // about 31 years
  if (ms > kMaxMs) {
    return r.error(key, "duration \"" + text + "\" is longer than meshsim models (about 31 years)");
  }
  return ms;
}

StatusOr<uint32_t> positiveField(yaml::Reader& r, std::string_view key) {
  MESHSIM_ASSIGN_OR_RETURN(int64_t v, r.integer(key, 0));
  if (v < 0 || v > 0xffffffffLL) {
    return r.error(key, "must be a non-negative 32-bit integer");
  }
  return static_cast<uint32_t>(v);
}

// Standard base64 (with padding, as protobuf bytes fields are written in YAML/JSON).
std::optional<std::string> decodeBase64(const std::string& in) {
  std::string compact;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ') {
      compact += c;
    }
  }
  if (compact.size() % 4 != 0) {
    return std::nullopt;
  }
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    if (c == '+')
      return 62;
    if (c == '/')
      return 63;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < compact.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = compact[i + k];
      if (c == '=' && i + 4 == compact.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = value(c)) < 0) {
        return std::nullopt;
      }
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>(n >> 16);
    if (pad < 2)
      out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(n & 0xff);
  }
  return out;
}

Status checkRegex(yaml::Reader& r, std::string_view key, const std::string& pattern) {
  if (pattern.size() > 1024) {
    return r.error(key, "regex is longer than 1024 characters");
  }
  re2::RE2 re(pattern, re2::RE2::Quiet);
  if (!re.ok()) {
    return r.error(key, "\"" + pattern + "\" is not a valid RE2 regex (" + re.error() +
                            "); Istio's webhook refuses it");
  }
  return okStatus();
}

// Where a StringMatch is used, for Istio's validateStringMatch rules.
struct StringMatchRules {
  bool allow_present = false;       // an empty match ({}) means "present" (headers, queryParams)
  bool allow_empty_prefix = false;  // uri: Envoy's path prefix may be empty
  bool star_is_present = false;     // withoutHeaders: regex "*" is a presence match, not RE2
  bool require_value = false;       // allowOrigins: an empty exact, prefix or regex is an error
};

// Parses an Istio StringMatch. A regex must be non-empty RE2 (validateStringMatchRegexp), and a
// prefix non-empty unless `rules.allow_empty_prefix` (validateStringMatch).
StatusOr<StringMatch> parseStringMatch(const yaml::Document& doc, const YAML::Node& node,
                                       const std::string& path, const std::string& context,
                                       StringMatchRules rules) {
  yaml::Reader r(doc, node, path, context);
  if (node.IsNull() && rules.allow_present) {
    return StringMatch{};
  }
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  StringMatch m;
  int kinds = 0;
  for (const auto& [key, kind] : {std::pair{"exact", StringMatch::Kind::Exact},
                                  std::pair{"prefix", StringMatch::Kind::Prefix},
                                  std::pair{"regex", StringMatch::Kind::Regex}}) {
    if (r.has(key)) {
      m.kind = kind;
      MESHSIM_ASSIGN_OR_RETURN(m.value, r.string(key));
      ++kinds;
      if (rules.require_value && m.value.empty()) {
        return r.error(key, "'' is not a valid match type for CORS allow origins");
      }
      if (kind == StringMatch::Kind::Prefix && m.value.empty() && !rules.allow_empty_prefix) {
        return r.error(key, "prefix string match should not be empty");
      }
      if (kind == StringMatch::Kind::Regex) {
        if (m.value == "*" && rules.star_is_present) {
          m.kind = StringMatch::Kind::Present;  // Istio treats regex "*" as presence here
        } else if (m.value.empty()) {
          return r.error(key, "regex string match should not be empty");
        } else {
          MESHSIM_RETURN_IF_ERROR(checkRegex(r, key, m.value));
        }
      }
    } else {
      r.child(key);
    }
  }
  if (kinds > 1) {
    return r.errorHere("only one of exact, prefix or regex may be set");
  }
  if (kinds == 0 && !rules.allow_present) {
    return r.errorHere(rules.require_value ? "'' is not a valid match type for CORS allow origins"
                                           : "one of exact, prefix or regex must be set");
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(r, "StringMatch"));
  return m;
}

StatusOr<std::vector<std::pair<std::string, StringMatch>>> parseMatchMap(
    const yaml::Document& doc, yaml::Reader& parent, std::string_view key,
    const std::string& context, StringMatchRules rules, bool header_names,
    std::vector<VersionedField>& versioned) {
  std::vector<std::pair<std::string, StringMatch>> out;
  YAML::Node n = parent.child(key);
  if (!n.IsDefined() || n.IsNull()) {
    return out;
  }
  if (!n.IsMap()) {
    return parent.error(key, "expected a mapping of names to string matches");
  }
  yaml::Reader names(doc, n, parent.pathOf(key), parent.context());
  for (const auto& kv : n) {
    const std::string name = kv.first.Scalar();
    if (kv.second.IsNull()) {
      // `foo: ~` or `foo:` (YAML null). The Kubernetes API server prunes a null map value
      // before the webhook or istiod sees it (PruneNonNullableNullsWithoutDefaults): there is no
      // condition on `foo`. (`foo: {}` is a presence match.)
      continue;
    }
    if (header_names) {
      if (const std::string why = validation::matchHeaderNameError(name); !why.empty()) {
        return names.error(name, why);
      }
      if (!validation::isJwtClaimRoute(name) && !validation::isHeaderNameBefore125(name)) {
        versioned.push_back({names.location(name), names.pathOf(name),
                             context + ": header name \"" + name + "\"", 25});
      }
    }
    MESHSIM_ASSIGN_OR_RETURN(
        auto m, parseStringMatch(doc, kv.second, parent.pathOf(key) + "." + name, context, rules));
    out.emplace_back(proxy::http::toLower(name), std::move(m));
  }
  return out;
}

bool isAuthorityHeader(const std::string& lower_name) {
  return lower_name == ":authority" || lower_name == "host";
}

// Istio's validation of header operation names (pkg/config/validation): a request `set`/`add`
// may name `:authority` or `Host` (an authority rewrite); every other pseudo-header, and `Host`
// in a request `remove` or any response operation, is rejected.
StatusOr<HeaderOps> parseHeaderOps(const yaml::Document& doc, const YAML::Node& node,
                                   const std::string& path, const std::string& context,
                                   bool request) {
  HeaderOps ops;
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap(/*optional=*/true));
  MESHSIM_ASSIGN_OR_RETURN(auto set, r.stringMap("set"));
  MESHSIM_ASSIGN_OR_RETURN(auto add, r.stringMap("add"));
  MESHSIM_ASSIGN_OR_RETURN(ops.remove, r.stringList("remove"));
  for (auto& name : ops.remove) {
    if (name.empty()) {
      return r.error("remove", "header name cannot be empty");
    }
    name = proxy::http::toLower(name);
    if (name == "host") {
      return r.error("remove", "invalid header \"" + name + "\": cannot set Host header");
    }
    if (!name.empty() && name[0] == ':') {
      return r.error("remove", "pseudo-headers cannot be removed: \"" + name + "\"");
    }
  }
  const auto take = [&](const std::map<std::string, std::string>& in, std::string_view key,
                        std::vector<std::pair<std::string, std::string>>& out,
                        std::string& authority) -> Status {
    yaml::Reader values(doc, r.child(key), r.pathOf(key), context);
    for (const auto& [k, raw] : in) {
      std::string name = proxy::http::toLower(k);
      if (name.empty()) {
        return r.error(key, "header name cannot be empty");
      }
      // ValidateHTTPHeaderValue; a valid %VARIABLE% is Envoy's header formatter, which is not
      // modelled (the value would be sent literally), and "%%" is an escaped "%".
      if (const std::string why = validation::headerValueError(raw); !why.empty()) {
        return values.error(k, why);
      }
      if (validation::headerValueHasVariable(raw)) {
        return values.error(k, "header value \"" + raw +
                                   "\" uses an Envoy %VARIABLE%: valid Istio, but not modelled "
                                   "by this version of meshsim yet");
      }
      const std::string v = validation::unescapeHeaderValue(raw);
      if (request && isAuthorityHeader(name)) {
        if (!authority.empty()) {
          return r.error(key, "authority header cannot be set multiple times: have \"" + authority +
                                  "\", attempting to set \"" + v + "\"");
        }
        authority = v;
        continue;
      }
      if (name == "host") {
        return r.error(key, "invalid header \"" + k + "\": cannot set Host header");
      }
      if (!name.empty() && name[0] == ':') {
        return r.error(key, "pseudo-headers cannot be set: \"" + name + "\"" +
                                (request ? " (only :authority, an authority rewrite)" : ""));
      }
      out.emplace_back(std::move(name), v);
    }
    return okStatus();
  };
  std::string set_authority;
  std::string add_authority;
  MESHSIM_RETURN_IF_ERROR(take(set, "set", ops.set, set_authority));
  MESHSIM_RETURN_IF_ERROR(take(add, "add", ops.add, add_authority));
  ops.authority = set_authority.empty() ? add_authority : set_authority;
  ops.authority_in_set_and_add = !set_authority.empty() && !add_authority.empty();
  MESHSIM_RETURN_IF_ERROR(finishIstio(r, "Headers.HeaderOperations"));
  return ops;
}

StatusOr<Headers> parseHeaders(const yaml::Document& doc, const YAML::Node& node,
                               const std::string& path, const std::string& context) {
  Headers h;
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap(/*optional=*/true));
  MESHSIM_ASSIGN_OR_RETURN(h.request,
                           parseHeaderOps(doc, r.child("request"), r.pathOf("request"), context,
                                          /*request=*/true));
  MESHSIM_ASSIGN_OR_RETURN(h.response,
                           parseHeaderOps(doc, r.child("response"), r.pathOf("response"), context,
                                          /*request=*/false));
  MESHSIM_RETURN_IF_ERROR(finishIstio(r, "Headers"));
  return h;
}

StatusOr<Destination> parseDestination(const yaml::Document& doc, const YAML::Node& node,
                                       const std::string& path, const std::string& context) {
  Destination d;
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(d.host, r.requiredString("host"));
  // validateDestination: a host that may start with a wildcard label, never "*" alone.
  if (d.host == "*") {
    return r.error("host", "invalid destination host *");
  }
  if (const std::string why = validation::wildcardDomainError(d.host); !why.empty()) {
    return r.error("host", why);
  }
  MESHSIM_ASSIGN_OR_RETURN(d.subset, r.string("subset"));
  if (!d.subset.empty() && !validation::isDns1123Label(d.subset)) {
    return r.error("subset", "subset name is invalid: " + d.subset);
  }
  if (r.has("port")) {
    yaml::Reader port(doc, r.child("port"), r.pathOf("port"), context);
    MESHSIM_RETURN_IF_ERROR(port.expectMap());
    MESHSIM_ASSIGN_OR_RETURN(int64_t n, port.integer("number", -1));
    if (n < 1 || n > 65535) {
      return port.error("number", "must be a port number in [1, 65535]");
    }
    d.port = static_cast<int>(n);
    MESHSIM_RETURN_IF_ERROR(finishIstio(port, "PortSelector"));
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(r, "Destination"));
  return d;
}

// A Percent. `fault`: Istio's validatePercentage also refuses values in (0, 0.0001).
StatusOr<double> parsePercentage(yaml::Reader& r, std::string_view key, bool fault = false) {
  yaml::Reader p(r.document(), r.child(key), r.pathOf(key), r.context());
  MESHSIM_RETURN_IF_ERROR(p.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(std::string text, p.string("value", "0"));
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v) || v < 0 || v > 100) {
    return p.error("value", "a percentage must be a number in [0, 100], got \"" + text + "\"");
  }
  if (fault && v > 0 && v < 0.0001) {
    return p.error("value", "percentage " + text + " is neither 0.0, nor in range [0.0001, 100.0]");
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(p, "Percent"));
  return v;
}

StatusOr<HttpMatchRequest> parseMatch(const yaml::Document& doc, const YAML::Node& node,
                                      const std::string& path, const std::string& context,
                                      std::vector<VersionedField>& versioned) {
  yaml::Reader m(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(m.expectMap());
  MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(m, {"statPrefix"}));
  HttpMatchRequest mr;
  mr.location = m.location();
  MESHSIM_ASSIGN_OR_RETURN(mr.name, m.string("name"));
  for (const auto& [key, field] :
       {std::pair{"uri", &mr.uri}, std::pair{"scheme", &mr.scheme}, std::pair{"method", &mr.method},
        std::pair{"authority", &mr.authority}}) {
    if (m.has(key)) {
      // Envoy's path prefix may be empty; the header matchers of scheme, method and authority
      // may not. A match without a type ({}) is Istio's catch-all: the path prefix "/", a
      // present match on the pseudo-header (route.go translateRouteMatch, translateHeaderMatch).
      StringMatchRules rules;
      rules.allow_empty_prefix = std::string_view(key) == "uri";
      rules.allow_present = true;
      MESHSIM_ASSIGN_OR_RETURN(*field,
                               parseStringMatch(doc, m.child(key), m.pathOf(key), context, rules));
    } else {
      m.child(key);
    }
  }
  StringMatchRules headers;
  headers.allow_present = true;
  MESHSIM_ASSIGN_OR_RETURN(mr.headers, parseMatchMap(doc, m, "headers", context, headers,
                                                     /*header_names=*/true, versioned));
  StringMatchRules without = headers;
  without.star_is_present = true;
  MESHSIM_ASSIGN_OR_RETURN(
      mr.without_headers,
      parseMatchMap(doc, m, "withoutHeaders", context, without, /*header_names=*/true, versioned));
  MESHSIM_ASSIGN_OR_RETURN(mr.query_params, parseMatchMap(doc, m, "queryParams", context, headers,
                                                          /*header_names=*/false, versioned));
  MESHSIM_ASSIGN_OR_RETURN(mr.ignore_uri_case, m.boolean("ignoreUriCase"));
  MESHSIM_ASSIGN_OR_RETURN(int64_t port, m.integer("port", 0));
  if (port < 0 || port > 65535) {
    return m.error("port", "must be a port number in [1, 65535]");
  }
  mr.port = static_cast<int>(port);
  MESHSIM_ASSIGN_OR_RETURN(mr.source_labels, m.stringMap("sourceLabels"));
  if (const std::string why = validation::labelsError(mr.source_labels); !why.empty()) {
    return m.error("sourceLabels", why);
  }
  MESHSIM_ASSIGN_OR_RETURN(mr.source_namespace, m.string("sourceNamespace"));
  if (!mr.source_namespace.empty() && !validation::isDns1123Label(mr.source_namespace)) {
    return m.error("sourceNamespace",
                   "sourceNamespace match " + mr.source_namespace + " is invalid");
  }
  MESHSIM_ASSIGN_OR_RETURN(mr.gateways, m.stringList("gateways"));
  if (const std::string why = validation::gatewayNamesError(mr.gateways); !why.empty()) {
    return m.error("gateways", why);
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(m, "HTTPMatchRequest"));
  return mr;
}

StatusOr<CorsPolicy> parseCors(const yaml::Document& doc, yaml::Reader& h,
                               const std::string& context, std::vector<VersionedField>& versioned) {
  yaml::Reader c(doc, h.child("corsPolicy"), h.pathOf("corsPolicy"), context);
  MESHSIM_RETURN_IF_ERROR(c.expectMap());
  CorsPolicy cors;
  YAML::Node origins = c.child("allowOrigins");
  if (origins.IsDefined() && !origins.IsNull()) {
    if (!origins.IsSequence()) {
      return c.error("allowOrigins", "expected a list of string matches");
    }
    for (size_t i = 0; i < origins.size(); ++i) {
      StringMatchRules rules;
      rules.require_value = true;
      MESHSIM_ASSIGN_OR_RETURN(
          auto m, parseStringMatch(doc, origins[i], c.pathOf("allowOrigins", i), context, rules));
      cors.allow_origins.push_back(std::move(m));
    }
  }
  MESHSIM_ASSIGN_OR_RETURN(auto legacy, c.stringList("allowOrigin"));
  for (auto& o : legacy) {
    cors.allow_origins.push_back(StringMatch{StringMatch::Kind::Exact, o});
  }
  MESHSIM_ASSIGN_OR_RETURN(cors.allow_methods, c.stringList("allowMethods"));
  for (const auto& method : cors.allow_methods) {
    if (!validation::isCorsMethod(method)) {
      return c.error("allowMethods", "\"" + method + "\" is not a supported HTTP method");
    }
    if (method == "*") {  // allowed since Istio 1.26
      versioned.push_back({c.location("allowMethods"), c.pathOf("allowMethods"),
                           context + ": allowMethods \"*\"", 26});
    }
  }
  MESHSIM_ASSIGN_OR_RETURN(cors.allow_headers, c.stringList("allowHeaders"));
  MESHSIM_ASSIGN_OR_RETURN(cors.expose_headers, c.stringList("exposeHeaders"));
  for (const auto& [key, names] :
       {std::pair{"allowHeaders", &cors.allow_headers}, {"exposeHeaders", &cors.expose_headers}}) {
    for (const auto& name : *names) {
      if (const std::string why = validation::corsHeaderNameError(name); !why.empty()) {
        return c.error(key, why);
      }
      if (name != "*" && !validation::isHeaderNameBefore125(name)) {
        versioned.push_back(
            {c.location(key), c.pathOf(key), context + ": header name \"" + name + "\"", 25});
      }
    }
  }
  if (c.has("maxAge")) {
    MESHSIM_ASSIGN_OR_RETURN(std::string age, c.string("maxAge"));
    MESHSIM_ASSIGN_OR_RETURN(double ms, durationField(c, "maxAge", 0, 1));
    if (std::fmod(ms, 1000) != 0) {
      return c.error("maxAge",
                     "max_age duration is accurate only to seconds precision, got \"" + age + "\"");
    }
    cors.max_age = std::to_string(static_cast<int64_t>(ms / 1000));
  }
  if (c.has("allowCredentials")) {
    MESHSIM_ASSIGN_OR_RETURN(bool creds, c.boolean("allowCredentials"));
    cors.allow_credentials = creds;
  }
  MESHSIM_ASSIGN_OR_RETURN(std::string unmatched, c.string("unmatchedPreflights", "FORWARD"));
  if (unmatched != "FORWARD" && unmatched != "IGNORE" && unmatched != "UNSPECIFIED") {
    return c.error("unmatchedPreflights", "must be FORWARD or IGNORE");
  }
  cors.forward_unmatched_preflights = unmatched != "IGNORE";
  MESHSIM_RETURN_IF_ERROR(finishIstio(c, "CorsPolicy"));
  return cors;
}

// An HTTP route of a VirtualService; `in_delegate`: of a delegate VirtualService (no hosts).
// `is_root` is set when the route hands over to a delegate (`delegate`), which Istio checks as a
// root route (validateHTTPRouteConflict) and meshsim then refuses as not modelled.
StatusOr<HttpRoute> parseHttpRoute(const yaml::Document& doc, const YAML::Node& node,
                                   const std::string& path, const std::string& context,
                                   bool in_delegate, bool& is_root) {
  yaml::Reader h(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(h.expectMap());
  is_root = h.has("delegate");
  if (is_root) {
    if (in_delegate) {
      return h.error("delegate", "delegate HTTP route cannot contain delegate");
    }
    yaml::Reader dg(doc, h.child("delegate"), h.pathOf("delegate"), context);
    MESHSIM_RETURN_IF_ERROR(dg.expectMap());
    MESHSIM_RETURN_IF_ERROR(dg.string("name").status());
    MESHSIM_RETURN_IF_ERROR(dg.string("namespace").status());
    MESHSIM_RETURN_IF_ERROR(finishIstio(dg, "Delegate"));
    MESHSIM_ASSIGN_OR_RETURN(std::string name, h.string("name"));
    const std::string root = "root HTTP route " + (name.empty() ? "" : name + " ");
    // Only the delegate may say where requests go (an empty list is no route).
    if (const YAML::Node r = yaml::get(node, "route"); r.IsSequence() && r.size() > 0) {
      return h.error("route", root + "must not specify route");
    }
    if (h.has("redirect")) {
      return h.error("redirect", root + "must not specify redirect");
    }
  }
  HttpRoute route;
  route.location = h.location();
  route.path = h.path();
  MESHSIM_ASSIGN_OR_RETURN(route.name, h.string("name"));
  // Durations must be >= 1 ms: "timeout: 0s" is rejected, to disable a timeout omit it.
  MESHSIM_ASSIGN_OR_RETURN(route.timeout_ms, durationField(h, "timeout", 0, 1));
  if (h.has("retries")) {
    yaml::Reader rt(doc, h.child("retries"), h.pathOf("retries"), context);
    MESHSIM_RETURN_IF_ERROR(rt.expectMap(/*optional=*/true));
    HttpRetry retry;
    MESHSIM_ASSIGN_OR_RETURN(int64_t attempts, rt.integer("attempts", 0));
    if (attempts < 0) {
      return rt.error("attempts", "attempts cannot be negative");
    }
    retry.attempts = static_cast<int>(std::min<int64_t>(attempts, 1000));
    MESHSIM_ASSIGN_OR_RETURN(retry.per_try_timeout_ms, durationField(rt, "perTryTimeout", 0, 1));
    MESHSIM_ASSIGN_OR_RETURN(retry.retry_on, rt.string("retryOn"));
    // Both added to Istio's HTTPRetry in 1.26 (istio/api #3432, #3461).
    noteSince(rt, "retryIgnorePreviousHosts", 26, route.versioned);
    noteSince(rt, "backoff", 26, route.versioned);
    if (rt.has("retryIgnorePreviousHosts")) {
      MESHSIM_ASSIGN_OR_RETURN(retry.ignore_previous_hosts, rt.boolean("retryIgnorePreviousHosts"));
    }
    MESHSIM_ASSIGN_OR_RETURN(retry.backoff_ms, durationField(rt, "backoff", 0, 1));
    rt.ignore({"retryRemoteLocalities"});
    if (attempts == 0 &&
        (rt.has("perTryTimeout") || !retry.retry_on.empty() || rt.has("retryRemoteLocalities"))) {
      return rt.error("attempts",
                      "http retry policy configured when attempts are set to 0 (disabled)");
    }
    size_t start = 0;
    while (!retry.retry_on.empty() && start <= retry.retry_on.size()) {
      size_t end = retry.retry_on.find(',', start);
      if (end == std::string::npos) {
        end = retry.retry_on.size();
      }
      const std::string c = retry.retry_on.substr(start, end - start);
      if (!validation::isRetryOnPolicy(c)) {
        return rt.error("retryOn", "\"" + c + "\" is not a valid retryOn policy");
      }
      start = end + 1;
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(rt, "HTTPRetry"));
    route.retries = retry;
  }
  if (h.has("fault")) {
    yaml::Reader f(doc, h.child("fault"), h.pathOf("fault"), context);
    MESHSIM_RETURN_IF_ERROR(f.expectMap());
    HttpFault fault;
    if (f.has("delay")) {
      yaml::Reader d(doc, f.child("delay"), f.pathOf("delay"), context);
      MESHSIM_RETURN_IF_ERROR(d.expectMap());
      if (d.has("exponentialDelay")) {
        return d.error("exponentialDelay", "exponentialDelay not supported yet");
      }
      // Without fixedDelay Istio accepts the delay and drops it (route.TranslateFault).
      MESHSIM_ASSIGN_OR_RETURN(fault.delay_ms, durationField(d, "fixedDelay", 0, 1));
      if (d.has("percentage")) {
        MESHSIM_ASSIGN_OR_RETURN(fault.delay_percent, parsePercentage(d, "percentage", true));
      } else if (d.has("percent")) {
        MESHSIM_ASSIGN_OR_RETURN(int64_t pct, d.integer("percent"));
        fault.delay_percent = static_cast<double>(std::clamp<int64_t>(pct, 0, 100));
      }
      MESHSIM_RETURN_IF_ERROR(finishIstio(d, "HTTPFaultInjection.Delay"));
    }
    if (f.has("abort")) {
      yaml::Reader a(doc, f.child("abort"), f.pathOf("abort"), context);
      MESHSIM_RETURN_IF_ERROR(a.expectMap());
      if (a.has("http2Error")) {
        return a.error("http2Error", "HTTP/2 abort fault injection not supported yet");
      }
      if (a.has("grpcStatus")) {
        MESHSIM_ASSIGN_OR_RETURN(std::string grpc, a.string("grpcStatus"));
        if (!validation::isGrpcStatusName(grpc)) {
          return a.error("grpcStatus", "gRPC status \"" + grpc + "\" is not supported");
        }
        MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(a, {"grpcStatus"}));
      }
      // Without an error type Istio accepts the abort with a warning and drops it
      // (route.TranslateFault): abort_status stays 0, no abort.
      if (a.has("httpStatus")) {
        MESHSIM_ASSIGN_OR_RETURN(int64_t status, a.integer("httpStatus", 0));
        if (status < 200 || status > 600) {
          return a.error("httpStatus",
                         "HTTP status " + std::to_string(status) + " is not in range 200-599");
        }
        fault.abort_status = static_cast<int>(status);
      }
      if (a.has("percentage")) {
        MESHSIM_ASSIGN_OR_RETURN(fault.abort_percent, parsePercentage(a, "percentage", true));
      }
      MESHSIM_RETURN_IF_ERROR(finishIstio(a, "HTTPFaultInjection.Abort"));
    }
    if (!f.has("delay") && !f.has("abort")) {
      return f.errorHere("HTTP fault injection must have an abort and/or a delay");
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(f, "HTTPFaultInjection"));
    route.fault = fault;
  }
  YAML::Node match = h.child("match");
  if (match.IsDefined() && !match.IsNull() && !match.IsSequence()) {
    return h.error("match", "expected a list of match conditions");
  }
  for (size_t j = 0; match.IsSequence() && j < match.size(); ++j) {
    MESHSIM_ASSIGN_OR_RETURN(
        auto mr, parseMatch(doc, match[j], h.pathOf("match", j), context, route.versioned));
    route.match.push_back(std::move(mr));
  }

  YAML::Node dests = h.child("route");
  if (dests.IsDefined() && !dests.IsNull() && (!dests.IsSequence() || dests.size() == 0)) {
    return h.error("route", "expected a list of destinations");
  }
  for (size_t j = 0; dests.IsSequence() && j < dests.size(); ++j) {
    yaml::Reader d(doc, dests[j], h.pathOf("route", j), context);
    MESHSIM_RETURN_IF_ERROR(d.expectMap());
    HttpRouteDestination rd;
    rd.location = d.location();
    if (d.has("weight")) {
      MESHSIM_ASSIGN_OR_RETURN(int64_t w, d.integer("weight"));
      if (w < 0) {
        return d.error("weight", "weight must not be negative");
      }
      if (w > INT32_MAX) {  // an int32 in Istio's API
        return d.error("weight", "weight must be at most 2147483647");
      }
      rd.weight = static_cast<int>(w);
    }
    if (!d.has("destination")) {
      return d.errorHere("destination is required");
    }
    MESHSIM_ASSIGN_OR_RETURN(rd.destination, parseDestination(doc, d.child("destination"),
                                                              d.pathOf("destination"), context));
    MESHSIM_ASSIGN_OR_RETURN(rd.headers,
                             parseHeaders(doc, d.child("headers"), d.pathOf("headers"), context));
    MESHSIM_RETURN_IF_ERROR(finishIstio(d, "HTTPRouteDestination"));
    route.route.push_back(std::move(rd));
  }
  if (route.route.size() > 1) {
    // Weights are relative (Istio 1.15+); an omitted weight is 0. A single destination ignores
    // its weight.
    int64_t total = 0;
    for (const auto& rd : route.route) {
      total += rd.weight.value_or(0);
    }
    if (total == 0) {
      return h.error("route", "total destination weight = 0");
    }
    if (total > UINT32_MAX) {  // Envoy's weighted clusters add up weights in 32 bits
      return h.error("route", "total destination weight " + std::to_string(total) +
                                  " is more than 4294967295");
    }
  }

  if (h.has("redirect")) {
    yaml::Reader r(doc, h.child("redirect"), h.pathOf("redirect"), context);
    MESHSIM_RETURN_IF_ERROR(r.expectMap());
    HttpRedirect redirect;
    MESHSIM_ASSIGN_OR_RETURN(redirect.uri, r.string("uri"));
    // Added to Istio's HTTPRedirect in 1.31 (istio/api #3708).
    noteSince(r, "prefixRewrite", 31, route.versioned);
    MESHSIM_ASSIGN_OR_RETURN(redirect.prefix_rewrite, r.string("prefixRewrite"));
    if (!redirect.uri.empty() && !redirect.prefix_rewrite.empty()) {
      return r.errorHere("redirect may only specify one of uri or prefixRewrite");
    }
    if (!redirect.prefix_rewrite.empty()) {
      for (const auto& m : route.match) {
        if (m.uri && m.uri->kind != StringMatch::Kind::Prefix) {
          return r.error(
              "prefixRewrite",
              "redirect prefixRewrite requires all URI matches to use prefix match type");
        }
      }
    }
    MESHSIM_ASSIGN_OR_RETURN(redirect.authority, r.string("authority"));
    MESHSIM_ASSIGN_OR_RETURN(redirect.scheme, r.string("scheme"));
    if (!redirect.scheme.empty() && redirect.scheme != "http" && redirect.scheme != "https") {
      return r.error("scheme", "must be http or https");
    }
    MESHSIM_ASSIGN_OR_RETURN(int64_t port, r.integer("port", 0));
    if (port < 0 || port > 65535) {
      return r.error("port", "must be a port number in [1, 65535]");
    }
    redirect.port = static_cast<int>(port);
    MESHSIM_ASSIGN_OR_RETURN(redirect.derive_port, r.string("derivePort"));
    if (!redirect.derive_port.empty() && redirect.derive_port != "FROM_PROTOCOL_DEFAULT" &&
        redirect.derive_port != "FROM_REQUEST_PORT") {
      return r.error("derivePort", "must be FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT");
    }
    if (redirect.port != 0 && !redirect.derive_port.empty()) {
      return r.errorHere("only one of port and derivePort may be set");
    }
    if (redirect.uri.empty() && redirect.prefix_rewrite.empty() && redirect.authority.empty() &&
        !r.has("port") && !r.has("derivePort") && redirect.scheme.empty()) {
      return r.errorHere("redirect must specify URI, authority, scheme, or port");
    }
    MESHSIM_ASSIGN_OR_RETURN(int64_t code, r.integer("redirectCode", 0));
    if (code != 0 && (code < 300 || code > 399)) {
      return r.error("redirectCode",
                     std::to_string(code) + " is not a valid redirect code, must be 3xx");
    }
    code = code == 0 ? 301 : code;  // Istio's default
    // istiod translates other 3xx codes to a route without an action (route.go), which Envoy
    // rejects: the webhook accepts them, the proxies never get the route.
    if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
      return r.error("redirectCode",
                     "redirect code " + std::to_string(code) +
                         " cannot be translated: Envoy supports 301, 302, 303, 307 and 308, and "
                         "would reject this route configuration");
    }
    redirect.redirect_code = static_cast<int>(code);
    MESHSIM_RETURN_IF_ERROR(finishIstio(r, "HTTPRedirect"));
    route.redirect = redirect;
  }
  if (h.has("directResponse")) {
    yaml::Reader r(doc, h.child("directResponse"), h.pathOf("directResponse"), context);
    MESHSIM_RETURN_IF_ERROR(r.expectMap());
    DirectResponse dr;
    MESHSIM_ASSIGN_OR_RETURN(int64_t status, r.integer("status", 0));
    if (status < 200 || status > 600) {
      return r.error("status",
                     "HTTP status " + std::to_string(status) + " is not in range 200-599");
    }
    if (status == 600) {  // Istio's webhook accepts 600; Envoy's DirectResponseAction does not
      return r.error("status",
                     "status 600 passes Istio's validation, but Envoy requires a status in "
                     "[200, 600) and would reject this route configuration");
    }
    dr.status = static_cast<int>(status);
    if (r.has("body")) {
      yaml::Reader b(doc, r.child("body"), r.pathOf("body"), context);
      MESHSIM_RETURN_IF_ERROR(b.expectMap());
      if (b.has("string") == b.has("bytes")) {
        return b.errorHere("exactly one of string and bytes must be set");
      }
      MESHSIM_ASSIGN_OR_RETURN(dr.body, b.string("string"));
      if (b.has("bytes")) {
        MESHSIM_ASSIGN_OR_RETURN(std::string encoded, b.string("bytes"));
        auto decoded = decodeBase64(encoded);
        if (!decoded) {
          return b.error("bytes", "not valid base64");
        }
        dr.body = std::move(*decoded);
      }
      MESHSIM_RETURN_IF_ERROR(finishIstio(b, "HTTPBody"));
      if (dr.body.size() > 1024 * 1024) {
        return r.error("body", "a direct response body may be at most 1 MiB");
      }
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(r, "HTTPDirectResponse"));
    route.direct_response = dr;
  }
  if (h.has("rewrite")) {
    yaml::Reader r(doc, h.child("rewrite"), h.pathOf("rewrite"), context);
    MESHSIM_RETURN_IF_ERROR(r.expectMap());
    HttpRewrite rw;
    MESHSIM_ASSIGN_OR_RETURN(std::string uri, r.string("uri"));
    if (!uri.empty()) {  // Istio: an empty uri is no uri rewrite
      rw.uri = uri;
    }
    MESHSIM_ASSIGN_OR_RETURN(rw.authority, r.string("authority"));
    if (r.has("uriRegexRewrite")) {
      if (rw.uri) {
        return r.errorHere("rewrite may only contain one of URI or UriRegexRewrite");
      }
      yaml::Reader x(doc, r.child("uriRegexRewrite"), r.pathOf("uriRegexRewrite"), context);
      MESHSIM_RETURN_IF_ERROR(x.expectMap());
      MESHSIM_ASSIGN_OR_RETURN(rw.regex_match, x.string("match"));
      MESHSIM_ASSIGN_OR_RETURN(rw.regex_rewrite, x.string("rewrite"));
      if (rw.regex_match.empty() || rw.regex_rewrite.empty()) {
        return x.errorHere(
            "UriRegexRewrite requires both Rewrite and Match fields to be specified");
      }
      MESHSIM_RETURN_IF_ERROR(checkRegex(x, "match", rw.regex_match));
      MESHSIM_RETURN_IF_ERROR(finishIstio(x, "RegexRewrite"));
    } else if (!rw.uri && rw.authority.empty()) {
      return r.errorHere(
          "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of "
          "URI or UriRegexRewrite may be specified");
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(r, "HTTPRewrite"));
    route.rewrite = rw;
  }
  MESHSIM_ASSIGN_OR_RETURN(route.headers,
                           parseHeaders(doc, h.child("headers"), h.pathOf("headers"), context));
  // Istio's validateAuthorityRewrite: a route rewrites its authority in one place only.
  if (const HeaderOps& req = route.headers.request;
      !req.authority.empty() &&
      (req.authority_in_set_and_add || (route.rewrite && !route.rewrite->authority.empty()))) {
    return h.error("headers",
                   "authority header cannot be set multiple times (rewrite.authority and a request "
                   "set or add of :authority or Host name it more than once)");
  }
  if (h.has("corsPolicy")) {
    MESHSIM_ASSIGN_OR_RETURN(route.cors, parseCors(doc, h, context, route.versioned));
  }
  if (h.has("mirror")) {
    if (h.has("mirrors")) {
      return h.error("mirrors", "only one of mirror and mirrors may be set");
    }
    Mirror m;
    MESHSIM_ASSIGN_OR_RETURN(m.destination,
                             parseDestination(doc, h.child("mirror"), h.pathOf("mirror"), context));
    if (h.has("mirrorPercentage")) {
      MESHSIM_ASSIGN_OR_RETURN(m.percentage, parsePercentage(h, "mirrorPercentage"));
    } else if (h.has("mirrorPercent")) {
      MESHSIM_ASSIGN_OR_RETURN(int64_t p, h.integer("mirrorPercent"));
      if (p < 0 || p > 100) {
        return h.error("mirrorPercent", "must be in [0, 100]");
      }
      m.percentage = static_cast<double>(p);
    }
    route.mirrors.push_back(std::move(m));
  }
  YAML::Node mirrors = h.child("mirrors");
  for (size_t j = 0; mirrors.IsSequence() && j < mirrors.size(); ++j) {
    yaml::Reader mr(doc, mirrors[j], h.pathOf("mirrors", j), context);
    MESHSIM_RETURN_IF_ERROR(mr.expectMap());
    Mirror m;
    if (!mr.has("destination")) {
      return mr.errorHere("destination is required for mirrors");
    }
    MESHSIM_ASSIGN_OR_RETURN(m.destination, parseDestination(doc, mr.child("destination"),
                                                             mr.pathOf("destination"), context));
    if (mr.has("percentage")) {
      MESHSIM_ASSIGN_OR_RETURN(m.percentage, parsePercentage(mr, "percentage"));
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(mr, "HTTPMirrorPolicy"));
    route.mirrors.push_back(std::move(m));
  }

  MESHSIM_RETURN_IF_ERROR(finishIstio(h, "HTTPRoute"));
  if (is_root) {  // Istio checks a root route's route and redirect only (above)
    return route;
  }
  // Only one of route, redirect, directResponse (reference section 2.6).
  const int actions =
      (route.route.empty() ? 0 : 1) + (route.redirect ? 1 : 0) + (route.direct_response ? 1 : 0);
  if (actions == 0) {
    return h.errorHere("HTTP route, redirect or direct_response is required");
  }
  if (actions > 1) {
    return h.errorHere("only one of route, redirect and directResponse may be set");
  }
  if ((route.redirect || route.direct_response) && route.fault) {
    return h.error("fault", "fault cannot be combined with redirect or directResponse");
  }
  if (route.redirect && route.rewrite) {
    return h.error("rewrite", "rewrite cannot be combined with redirect");
  }
  if (route.direct_response && route.rewrite) {
    return h.error("rewrite", "rewrite cannot be combined with directResponse");
  }
  return route;
}

// LoadBalancerSettings.consistentHash, with Istio's validation (validateLoadBalancer).
StatusOr<ConsistentHash> parseConsistentHash(const yaml::Document& doc, const YAML::Node& node,
                                             const std::string& path, const std::string& context) {
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  ConsistentHash ch;
  int keys = 0;
  if (r.has("httpHeaderName")) {
    ++keys;
    ch.key = ConsistentHash::Key::Header;
    MESHSIM_ASSIGN_OR_RETURN(ch.name, r.requiredString("httpHeaderName"));
    ch.name = proxy::http::toLower(ch.name);
  }
  if (r.has("httpCookie")) {
    ++keys;
    ch.key = ConsistentHash::Key::Cookie;
    yaml::Reader c(doc, r.child("httpCookie"), r.pathOf("httpCookie"), context);
    MESHSIM_RETURN_IF_ERROR(c.expectMap());
    if (c.has("attributes")) {  // validateLoadBalancer, before refusing them as not modelled
      YAML::Node attributes = c.child("attributes");
      std::set<std::string> names;
      for (size_t i = 0; attributes.IsSequence() && i < attributes.size(); ++i) {
        yaml::Reader a(doc, attributes[i], c.pathOf("attributes", i), context);
        MESHSIM_RETURN_IF_ERROR(a.expectMap());
        MESHSIM_ASSIGN_OR_RETURN(std::string name, a.string("name"));
        if (name.empty()) {
          return a.error("name", "cookie attribute name cannot be empty");
        }
        if (!names.insert(name).second) {
          return a.error("name", "duplicate cookie attribute name: " + name);
        }
      }
    }
    MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(c, {"attributes"}));
    MESHSIM_ASSIGN_OR_RETURN(ch.name, c.string("name"));
    if (ch.name.empty()) {
      return c.error("name", "name required for HttpCookie");
    }
    MESHSIM_ASSIGN_OR_RETURN(ch.cookie_path, c.string("path"));
    if (c.has("ttl")) {
      MESHSIM_ASSIGN_OR_RETURN(double ttl_ms, durationField(c, "ttl", 0, 0));
      ch.cookie_ttl_s = static_cast<int64_t>(ttl_ms / 1000);  // Envoy keeps whole seconds
    }
    MESHSIM_RETURN_IF_ERROR(c.finish());
  }
  if (r.has("useSourceIp")) {
    ++keys;
    MESHSIM_ASSIGN_OR_RETURN(bool on, r.boolean("useSourceIp"));
    ch.key = on ? ConsistentHash::Key::SourceIp : ConsistentHash::Key::None;
  }
  if (r.has("httpQueryParameterName")) {
    ++keys;
    ch.key = ConsistentHash::Key::QueryParameter;
    MESHSIM_ASSIGN_OR_RETURN(ch.name, r.requiredString("httpQueryParameterName"));
  }
  if (keys > 1) {
    return r.errorHere(
        "only one of httpHeaderName, httpCookie, useSourceIp and httpQueryParameterName may be "
        "set");
  }
  const int algorithms =
      (r.has("ringHash") ? 1 : 0) + (r.has("maglev") ? 1 : 0) + (r.has("minimumRingSize") ? 1 : 0);
  if (algorithms > 1) {
    return r.errorHere("only one of minimumRingSize, ringHash and maglev may be set");
  }
  const auto size = [&](yaml::Reader& x, std::string_view key) -> StatusOr<uint64_t> {
    MESHSIM_ASSIGN_OR_RETURN(int64_t v, x.integer(key, 0));
    if (v < 0) {
      return x.error(key, "must not be negative");
    }
    return static_cast<uint64_t>(v);
  };
  if (r.has("minimumRingSize")) {  // deprecated spelling of ringHash.minimumRingSize
    MESHSIM_ASSIGN_OR_RETURN(uint64_t v, size(r, "minimumRingSize"));
    ch.minimum_ring_size = v != 0 ? v : ch.minimum_ring_size;
  }
  if (r.has("ringHash")) {
    yaml::Reader x(doc, r.child("ringHash"), r.pathOf("ringHash"), context);
    MESHSIM_RETURN_IF_ERROR(x.expectMap(/*optional=*/true));
    MESHSIM_ASSIGN_OR_RETURN(uint64_t v, size(x, "minimumRingSize"));
    ch.minimum_ring_size = v != 0 ? v : ch.minimum_ring_size;
    if (ch.minimum_ring_size > 8388608) {
      return x.error("minimumRingSize",
                     "must be at most 8388608 (Envoy's maximum_ring_size, which Istio leaves at "
                     "its default)");
    }
    MESHSIM_RETURN_IF_ERROR(x.finish());
  }
  if (r.has("maglev")) {
    ch.maglev = true;
    yaml::Reader x(doc, r.child("maglev"), r.pathOf("maglev"), context);
    MESHSIM_RETURN_IF_ERROR(x.expectMap(/*optional=*/true));
    MESHSIM_ASSIGN_OR_RETURN(ch.maglev_table_size, size(x, "tableSize"));
    if (ch.maglev_table_size == 0) {
      return x.error("tableSize", "tableSize must be set for maglev");
    }
    if (ch.maglev_table_size >= 5000011) {
      return x.error("tableSize", "tableSize must be less than 5000011 for maglev");
    }
    if (!proxy::upstream::isPrime(ch.maglev_table_size)) {
      return x.error("tableSize", "tableSize must be a prime number for maglev");
    }
    MESHSIM_RETURN_IF_ERROR(x.finish());
  }
  MESHSIM_RETURN_IF_ERROR(r.finish());
  return ch;
}

// ClientTLSSettings: the mode decides, as in Istio's cluster builder; with DISABLE the other
// fields do nothing, with ISTIO_MUTUAL Istio's own certificates are used and only `sni` and
// `subjectAltNames` still count. The proto's zero value, and so the mode of `tls: {}`, is
// DISABLE.
StatusOr<std::string> parseTlsMode(const yaml::Document& doc, const YAML::Node& node,
                                   const std::string& path, const std::string& context) {
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap(/*optional=*/true));
  MESHSIM_ASSIGN_OR_RETURN(std::string mode, r.string("mode", "DISABLE"));
  if (mode != "DISABLE" && mode != "SIMPLE" && mode != "MUTUAL" && mode != "ISTIO_MUTUAL") {
    return r.error("mode",
                   "must be one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL, got \"" + mode + "\"");
  }
  if (mode == "SIMPLE" || mode == "MUTUAL") {
    // TLS origination: the upstream would have to speak TLS itself.
    return r.error("mode",
                   mode + " is valid Istio, but not modelled by this version of meshsim yet");
  }
  if (mode == "ISTIO_MUTUAL") {
    // Names the destination's certificate must carry: a handshake that can fail.
    MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(r, {"subjectAltNames"}));
  }
  r.ignore({"clientCertificate", "privateKey", "caCertificates", "credentialName",
            "subjectAltNames", "sni", "insecureSkipVerify", "caCrl"});
  MESHSIM_RETURN_IF_ERROR(finishIstio(r, "ClientTLSSettings"));
  return mode;
}

StatusOr<TrafficPolicy> parseTrafficPolicy(const yaml::Document& doc, const YAML::Node& node,
                                           const std::string& path, const std::string& context,
                                           std::vector<VersionedField>& versioned,
                                           bool port_level = false);

// TrafficPolicy.portLevelSettings: each needs a port number and at least one component, and a
// port may appear once (Istio uses the first; meshsim refuses the second as the mistake it is).
StatusOr<std::vector<PortTrafficPolicy>> parsePortLevelSettings(
    yaml::Reader& r, const std::string& context, std::vector<VersionedField>& versioned) {
  std::vector<PortTrafficPolicy> out;
  YAML::Node list = r.child("portLevelSettings");
  if (list.IsNull()) {
    return out;
  }
  if (!list.IsSequence()) {
    return r.error("portLevelSettings", "expected a list");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = r.pathOf("portLevelSettings", i);
    PortTrafficPolicy p;
    MESHSIM_ASSIGN_OR_RETURN(
        p.policy, parseTrafficPolicy(r.document(), list[i], path, context, versioned, true));
    yaml::Reader item(r.document(), list[i], path, context);
    yaml::Reader port(r.document(), item.child("port"), item.pathOf("port"), context);
    if (!item.has("port")) {
      return item.errorHere("portTrafficPolicy must have valid port");
    }
    MESHSIM_RETURN_IF_ERROR(port.expectMap());
    MESHSIM_ASSIGN_OR_RETURN(int64_t number, port.integer("number"));
    if (number < 1 || number > 65535) {
      return port.error("number",
                        "port number " + std::to_string(number) + " must be in the range 1..65535");
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(port, "PortSelector"));
    p.port = static_cast<int>(number);
    for (const auto& earlier : out) {
      if (earlier.port == p.port) {
        return port.error("number", "port " + std::to_string(p.port) +
                                        " has port level settings twice (Istio would use only "
                                        "the first)");
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

// A TrafficPolicy, or with `port_level` one of its portLevelSettings (the same components, a
// `port`, and no settings of its own).
StatusOr<TrafficPolicy> parseTrafficPolicy(const yaml::Document& doc, const YAML::Node& node,
                                           const std::string& path, const std::string& context,
                                           std::vector<VersionedField>& versioned,
                                           bool port_level) {
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  if (r.has("tunnel") && r.has("proxyProtocol")) {
    return r.errorHere("tunnel and proxyProtocol must not be set together");
  }
  if (YAML::Node levels = port_level ? YAML::Node() : r.child("portLevelSettings");
      levels.IsSequence()) {
    for (size_t i = 0; i < levels.size(); ++i) {  // validatePortTrafficPolicies
      yaml::Reader l(doc, levels[i], r.pathOf("portLevelSettings", i), context);
      MESHSIM_RETURN_IF_ERROR(l.expectMap());
      if (!l.has("port")) {
        return l.errorHere("portTrafficPolicy must have valid port");
      }
    }
  }
  MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(r, {"tunnel", "proxyProtocol", "retryBudget"}));
  TrafficPolicy p;
  if (port_level) {
    r.ignore({"port"});  // read by parsePortLevelSettings
    if (!r.has("loadBalancer") && !r.has("connectionPool") && !r.has("outlierDetection") &&
        !r.has("tls")) {
      return r.errorHere("port traffic policy must have at least one field");
    }
  } else if (r.has("portLevelSettings")) {
    MESHSIM_ASSIGN_OR_RETURN(p.port_level_settings, parsePortLevelSettings(r, context, versioned));
  }
  if (r.has("tls")) {
    MESHSIM_ASSIGN_OR_RETURN(p.tls_mode,
                             parseTlsMode(doc, r.child("tls"), r.pathOf("tls"), context));
  }
  if (r.has("connectionPool")) {
    yaml::Reader cp(doc, r.child("connectionPool"), r.pathOf("connectionPool"), context);
    MESHSIM_RETURN_IF_ERROR(cp.expectMap());
    ConnectionPool pool;
    if (!cp.has("tcp") && !cp.has("http")) {
      return cp.errorHere("connection pool must have at least one field (tcp or http)");
    }
    if (cp.has("tcp")) {
      yaml::Reader tcp(doc, cp.child("tcp"), cp.pathOf("tcp"), context);
      MESHSIM_RETURN_IF_ERROR(tcp.expectMap());
      MESHSIM_ASSIGN_OR_RETURN(pool.max_connections, positiveField(tcp, "maxConnections"));
      MESHSIM_ASSIGN_OR_RETURN(pool.connect_timeout_ms, durationField(tcp, "connectTimeout", 0, 1));
      // Keepalive and connection lifetimes do not change what requests see: checked as Istio
      // does (validateConnectionPool), then ignored.
      MESHSIM_RETURN_IF_ERROR(durationField(tcp, "maxConnectionDuration", 0, 1).status());
      if (tcp.has("idleTimeout")) {
        MESHSIM_ASSIGN_OR_RETURN(std::string idle, tcp.string("idleTimeout"));
        // Istio skips the check when Duration.Milliseconds() (truncated) is 0.
        const auto nanos = parseGoDuration(idle);
        if (!nanos.ok() || *nanos / 1000000 != 0) {
          MESHSIM_RETURN_IF_ERROR(durationField(tcp, "idleTimeout", 0, 1).status());
        } else {  // "0s" disables it, since Istio 1.26 (before, the webhook refused it)
          versioned.push_back({tcp.location("idleTimeout"), tcp.pathOf("idleTimeout"),
                               context + ": idleTimeout \"" + idle + "\"", 26});
        }
      }
      if (tcp.has("tcpKeepalive")) {
        yaml::Reader ka(doc, tcp.child("tcpKeepalive"), tcp.pathOf("tcpKeepalive"), context);
        MESHSIM_RETURN_IF_ERROR(ka.expectMap(/*optional=*/true));
        MESHSIM_RETURN_IF_ERROR(positiveField(ka, "probes").status());
        MESHSIM_RETURN_IF_ERROR(durationField(ka, "time", 0, 1).status());
        MESHSIM_RETURN_IF_ERROR(durationField(ka, "interval", 0, 1).status());
        MESHSIM_RETURN_IF_ERROR(ka.finish());
      }
      MESHSIM_RETURN_IF_ERROR(finishIstio(tcp, "ConnectionPoolSettings.TCPSettings"));
    }
    if (cp.has("http")) {
      yaml::Reader http(doc, cp.child("http"), cp.pathOf("http"), context);
      MESHSIM_RETURN_IF_ERROR(http.expectMap());
      MESHSIM_ASSIGN_OR_RETURN(pool.http1_max_pending_requests,
                               positiveField(http, "http1MaxPendingRequests"));
      MESHSIM_ASSIGN_OR_RETURN(pool.http2_max_requests, positiveField(http, "http2MaxRequests"));
      MESHSIM_ASSIGN_OR_RETURN(pool.max_retries, positiveField(http, "maxRetries"));
      if (http.has("h2UpgradePolicy")) {
        MESHSIM_ASSIGN_OR_RETURN(pool.h2_upgrade_policy, http.string("h2UpgradePolicy"));
        if (pool.h2_upgrade_policy != "DEFAULT" && pool.h2_upgrade_policy != "DO_NOT_UPGRADE" &&
            pool.h2_upgrade_policy != "UPGRADE") {
          return http.error("h2UpgradePolicy",
                            "expected DEFAULT, DO_NOT_UPGRADE or UPGRADE, got \"" +
                                pool.h2_upgrade_policy + "\"");
        }
      }
      MESHSIM_ASSIGN_OR_RETURN(pool.use_client_protocol, http.boolean("useClientProtocol", false));
      if (pool.h2_upgrade_policy == "UPGRADE" && pool.use_client_protocol) {
        return http.error("useClientProtocol",
                          "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
      }
      // HTTP/2 requests are modelled as sharing one connection without a stream limit, so a
      // stream limit would change what they see: refused until it is modelled.
      MESHSIM_RETURN_IF_ERROR(positiveField(http, "maxConcurrentStreams").status());
      MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(http, {"maxConcurrentStreams"}));
      // Connection reuse does not change what requests see: checked as Istio does, then ignored.
      MESHSIM_RETURN_IF_ERROR(positiveField(http, "maxRequestsPerConnection").status());
      MESHSIM_RETURN_IF_ERROR(durationField(http, "idleTimeout", 0, 1).status());
      MESHSIM_RETURN_IF_ERROR(finishIstio(http, "ConnectionPoolSettings.HTTPSettings"));
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(cp, "ConnectionPoolSettings"));
    p.connection_pool = pool;
  }
  if (r.has("outlierDetection")) {
    yaml::Reader od(doc, r.child("outlierDetection"), r.pathOf("outlierDetection"), context);
    MESHSIM_RETURN_IF_ERROR(od.expectMap(/*optional=*/true));
    MESHSIM_ASSIGN_OR_RETURN(bool split, od.boolean("splitExternalLocalOriginErrors"));
    MESHSIM_ASSIGN_OR_RETURN(uint32_t local_failures,
                             positiveField(od, "consecutiveLocalOriginFailures"));
    if (!split && local_failures > 0) {
      return od.error("consecutiveLocalOriginFailures",
                      "outlier detection consecutive local origin failures is specified, but split "
                      "external local origin errors is set to false");
    }
    // Splitting local-origin errors is not modelled; `false` (the default) changes nothing.
    if (split) {
      MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(od, {"splitExternalLocalOriginErrors"}));
    }
    OutlierDetection o;
    if (od.has("consecutive5xxErrors")) {
      MESHSIM_ASSIGN_OR_RETURN(o.consecutive_5xx_errors, positiveField(od, "consecutive5xxErrors"));
    } else {
      od.child("consecutive5xxErrors");
    }
    // Deprecated: Istio warns, and istiod (applyOutlierDetection) does not translate it, so Envoy's
    // default of 5 consecutive 5xx applies.
    MESHSIM_RETURN_IF_ERROR(od.integer("consecutiveErrors").status());
    MESHSIM_ASSIGN_OR_RETURN(o.consecutive_gateway_errors,
                             positiveField(od, "consecutiveGatewayErrors"));
    MESHSIM_ASSIGN_OR_RETURN(o.interval_ms, durationField(od, "interval", 10000, 1));
    MESHSIM_ASSIGN_OR_RETURN(o.base_ejection_time_ms,
                             durationField(od, "baseEjectionTime", 30000, 1));
    MESHSIM_ASSIGN_OR_RETURN(int64_t max_pct, od.integer("maxEjectionPercent", 10));
    MESHSIM_ASSIGN_OR_RETURN(int64_t min_health, od.integer("minHealthPercent", 0));
    if (max_pct < 0 || max_pct > 100) {
      return od.error("maxEjectionPercent", "must be in [0, 100]");
    }
    if (min_health < 0 || min_health > 100) {
      return od.error("minHealthPercent", "must be in [0, 100]");
    }
    o.max_ejection_percent = static_cast<uint32_t>(max_pct);
    o.min_health_percent = static_cast<uint32_t>(min_health);
    MESHSIM_RETURN_IF_ERROR(finishIstio(od, "OutlierDetection"));
    p.outlier_detection = o;
  }
  if (r.has("loadBalancer")) {
    yaml::Reader lb(doc, r.child("loadBalancer"), r.pathOf("loadBalancer"), context);
    MESHSIM_RETURN_IF_ERROR(lb.expectMap());
    if (lb.has("warmup")) {  // validateLoadBalancer, before refusing it as not modelled
      yaml::Reader w(doc, lb.child("warmup"), lb.pathOf("warmup"), context);
      MESHSIM_RETURN_IF_ERROR(w.expectMap(/*optional=*/true));
      if (!w.has("duration")) {
        return w.errorHere("duration is required");
      }
      MESHSIM_RETURN_IF_ERROR(durationField(w, "duration", 0, 1).status());
      for (const auto& [key, low, high, why] :
           {std::tuple{"minimumPercent", 0.0, 100.0,
                       "minimumPercent value should be less than or equal to 100"},
            std::tuple{"aggression", 1.0, 1e300,
                       "aggression should be greater than or equal to 1"}}) {
        if (w.has(key)) {
          MESHSIM_ASSIGN_OR_RETURN(std::string text, w.string(key));
          char* end = nullptr;
          const double v = std::strtod(text.c_str(), &end);
          if (end != text.c_str() + text.size() || !(v >= low && v <= high)) {
            return w.error(key, why);
          }
        }
      }
    }
    MESHSIM_RETURN_IF_ERROR(
        rejectUnmodelled(lb, {"localityLbSetting", "warmupDurationSecs", "warmup"}));
    if (lb.has("consistentHash")) {
      if (lb.has("simple")) {
        return lb.errorHere("only one of simple and consistentHash may be set");
      }
      MESHSIM_ASSIGN_OR_RETURN(p.consistent_hash,
                               parseConsistentHash(doc, lb.child("consistentHash"),
                                                   lb.pathOf("consistentHash"), context));
    }
    MESHSIM_ASSIGN_OR_RETURN(p.load_balancer, lb.string("simple"));
    static const std::set<std::string> kSimple = {"UNSPECIFIED", "ROUND_ROBIN", "LEAST_REQUEST",
                                                  "LEAST_CONN",  "RANDOM",      "PASSTHROUGH"};
    if (lb.has("simple") && kSimple.count(p.load_balancer) == 0) {
      return lb.error("simple",
                      "must be one of UNSPECIFIED, ROUND_ROBIN, LEAST_REQUEST, RANDOM, "
                      "PASSTHROUGH");
    }
    if (p.load_balancer == "PASSTHROUGH") {
      return lb.error("simple", "PASSTHROUGH is valid Istio, but not modelled yet");
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(lb, "LoadBalancerSettings"));
  } else if (r.node().size() == 0) {
    return r.errorHere("traffic policy must have at least one field");
  } else {
    r.child("loadBalancer");
  }
  MESHSIM_RETURN_IF_ERROR(
      finishIstio(r, port_level ? "TrafficPolicy.PortTrafficPolicy" : "TrafficPolicy"));
  return p;
}

// An IPv4 address in dotted form, in host byte order.
std::optional<uint32_t> parseIpv4(const std::string& text) {
  in_addr addr{};
  if (::inet_pton(AF_INET, text.c_str(), &addr) != 1) {
    return std::nullopt;
  }
  return ntohl(addr.s_addr);
}

bool isIpv6(const std::string& text) {
  in6_addr addr{};
  return ::inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

// validateExportTo, naming the exportTo field.
Status checkExportTo(yaml::Reader& spec, const k8s::ObjectMeta& meta,
                     const std::vector<std::string>& export_to, bool service_entry) {
  if (const std::string why =
          validation::exportToError(meta.namespace_name, export_to, service_entry);
      !why.empty()) {
    return spec.error("exportTo", why);
  }
  return okStatus();
}

}  // namespace

StatusOr<Gateway> parseGateway(const yaml::Document& doc, k8s::ObjectMeta meta) {
  Gateway g;
  g.meta = std::move(meta);
  const std::string context = "Gateway " + g.meta.id();
  if (g.meta.name.find('.') != std::string::npos) {
    return yaml::errorAt(g.meta.location, "metadata.name",
                         context + ": a Gateway name must be a DNS-1123 label (no dots)");
  }
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(g.selector, spec.stringMap("selector"));
  YAML::Node servers = spec.child("servers");
  if (!servers.IsSequence() || servers.size() == 0) {
    return spec.error("servers", "at least one server is required");
  }
  std::set<std::string> port_names;
  for (size_t i = 0; i < servers.size(); ++i) {
    yaml::Reader s(doc, servers[i], spec.pathOf("servers", i), context);
    MESHSIM_RETURN_IF_ERROR(s.expectMap());
    Server server;
    server.location = s.location();
    MESHSIM_ASSIGN_OR_RETURN(server.name, s.string("name"));
    MESHSIM_ASSIGN_OR_RETURN(server.hosts, s.stringList("hosts"));
    if (server.hosts.empty()) {
      return s.error("hosts", "server config must contain at least one host");
    }
    for (const auto& h : server.hosts) {
      if (const std::string why = validation::gatewayHostError(h); !why.empty()) {
        std::string message = "invalid host \"" + h + "\": ";
        message += why;
        return s.error("hosts", message);
      }
    }
    MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(s, {"bind", "defaultEndpoint"}));
    yaml::Reader p(doc, s.child("port"), s.pathOf("port"), context);
    MESHSIM_RETURN_IF_ERROR(p.expectMap());
    MESHSIM_ASSIGN_OR_RETURN(int64_t number, p.integer("number", -1));
    if (number < 1 || number > 65535) {
      return p.error("number", "must be a port number in [1, 65535]");
    }
    server.port.number = static_cast<int>(number);
    MESHSIM_ASSIGN_OR_RETURN(server.port.name, p.requiredString("name"));
    if (!port_names.insert(server.port.name).second) {
      return p.error("name",
                     "port names in servers must be unique: duplicate name " + server.port.name);
    }
    MESHSIM_ASSIGN_OR_RETURN(std::string protocol, p.requiredString("protocol"));
    server.port.protocol = upper(protocol);
    MESHSIM_ASSIGN_OR_RETURN(int64_t target_port, p.integer("targetPort", 0));
    if (target_port > 0) {
      return p.error("targetPort", "targetPort has no impact on Gateways");
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(p, "Port"));
    // protocol.Parse: the protocols Istio knows, any case.
    static const std::set<std::string> kProtocols = {"HTTP",     "HTTPS", "HTTP2", "GRPC",
                                                     "GRPC-WEB", "TCP",   "TLS",   "MONGO",
                                                     "REDIS",    "MYSQL", "UDP",   "HTTP_PROXY"};
    if (kProtocols.count(server.port.protocol) == 0) {
      return p.error("protocol", "invalid protocol \"" + protocol +
                                     "\", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, "
                                     "MONGO, REDIS, MYSQL, TCP");
    }
    if (server.port.protocol != "HTTP" && server.port.protocol != "HTTP2" &&
        server.port.protocol != "GRPC" && server.port.protocol != "GRPC-WEB") {
      return p.error("protocol", "protocol " + server.port.protocol +
                                     " is valid Istio, but meshsim models HTTP servers only yet");
    }
    if (s.has("tls")) {
      yaml::Reader tls(doc, s.child("tls"), s.pathOf("tls"), context);
      MESHSIM_RETURN_IF_ERROR(tls.expectMap());
      MESHSIM_ASSIGN_OR_RETURN(server.https_redirect, tls.boolean("httpsRedirect"));
      // validateServer: a plain-text HTTP server's TLS settings may only be passthrough ones
      // (mode PASSTHROUGH, the default, or AUTO_PASSTHROUGH) without certificates.
      MESHSIM_ASSIGN_OR_RETURN(std::string mode, tls.string("mode", "PASSTHROUGH"));
      if ((mode != "PASSTHROUGH" && mode != "AUTO_PASSTHROUGH") || tls.has("caCertificates") ||
          tls.has("privateKey") || tls.has("serverCertificate")) {
        return tls.errorHere("server cannot have TLS settings for plain text HTTP ports");
      }
      for (const auto& k : tls.node()) {
        if (k.first.Scalar() != "httpsRedirect") {
          return tls.error(k.first.Scalar(),
                           "an HTTP server's tls block may only set httpsRedirect");
        }
      }
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(s, "Server"));
    g.servers.push_back(std::move(server));
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(spec, "Gateway"));
  return g;
}

// The destinations of a TCP or TLS route (validateRouteDestinations).
Status checkRouteDestinations(const yaml::Document& doc, yaml::Reader& r,
                              const std::string& context) {
  const YAML::Node dests = r.child("route");
  if (dests.IsDefined() && !dests.IsNull() && !dests.IsSequence()) {
    return r.error("route", "expected a list of destinations");
  }
  int64_t total = 0;
  for (size_t j = 0; dests.IsSequence() && j < dests.size(); ++j) {
    yaml::Reader d(doc, dests[j], r.pathOf("route", j), context);
    MESHSIM_RETURN_IF_ERROR(d.expectMap());
    if (!d.has("destination")) {
      return d.errorHere("destination is required");
    }
    MESHSIM_RETURN_IF_ERROR(
        parseDestination(doc, d.child("destination"), d.pathOf("destination"), context).status());
    MESHSIM_ASSIGN_OR_RETURN(int64_t w, d.integer("weight"));
    if (w < 0) {
      return d.error("weight", "weight " + std::to_string(w) + " < 0");
    }
    if (w > INT32_MAX) {  // an int32 in Istio's API
      return d.error("weight", "weight must be at most 2147483647");
    }
    total += w;
    MESHSIM_RETURN_IF_ERROR(finishIstio(d, "RouteDestination"));
  }
  if (dests.IsSequence() && dests.size() > 1 && total == 0) {
    return r.error("route", "total destination weight = 0");
  }
  return okStatus();
}

// The fields TCP and TLS matches share (validateTCPMatch, validateTLSMatch).
Status checkL4MatchFields(yaml::Reader& m) {
  MESHSIM_ASSIGN_OR_RETURN(auto subnets, m.stringList("destinationSubnets"));
  for (const auto& subnet : subnets) {
    if (const std::string why = validation::ipSubnetError(subnet); !why.empty()) {
      return m.error("destinationSubnets", why);
    }
  }
  MESHSIM_ASSIGN_OR_RETURN(int64_t port, m.integer("port", 0));
  if (port != 0 && (port < 1 || port > 65535)) {
    return m.error("port",
                   "port number " + std::to_string(port) + " must be in the range 1..65535");
  }
  MESHSIM_ASSIGN_OR_RETURN(auto labels, m.stringMap("sourceLabels"));
  if (const std::string why = validation::labelsError(labels); !why.empty()) {
    return m.error("sourceLabels", why);
  }
  MESHSIM_ASSIGN_OR_RETURN(auto gateways, m.stringList("gateways"));
  if (const std::string why = validation::gatewayNamesError(gateways); !why.empty()) {
    return m.error("gateways", why);
  }
  return m.string("sourceNamespace").status();  // not validated by Istio
}

// Istio's checks of a VirtualService's `tls` and `tcp` routes (validateTLSRoute,
// validateTCPRoute), which meshsim does not model: it reports Istio's errors, then refuses the
// valid ones as not modelled.
Status checkTlsAndTcpRoutes(const yaml::Document& doc, yaml::Reader& spec, const VirtualService& vs,
                            const std::string& context) {
  const YAML::Node tls = spec.child("tls");
  if (tls.IsDefined() && !tls.IsNull() && !tls.IsSequence()) {
    return spec.error("tls", "expected a list of TLS routes");
  }
  // validateSniHost: Istio's isGateway() is true unless "mesh" is named (also with no gateways).
  const bool sni_is_gateway =
      std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") == vs.gateways.end();
  for (size_t i = 0; tls.IsSequence() && i < tls.size(); ++i) {
    yaml::Reader t(doc, tls[i], spec.pathOf("tls", i), context);
    MESHSIM_RETURN_IF_ERROR(t.expectMap());
    const YAML::Node match = t.child("match");
    if (match.IsDefined() && !match.IsNull() && !match.IsSequence()) {
      return t.error("match", "expected a list of TLS match conditions");
    }
    if (!match.IsSequence() || match.size() == 0) {
      return t.error("match", "TLS route must have at least one match condition");
    }
    for (size_t j = 0; j < match.size(); ++j) {
      yaml::Reader m(doc, match[j], t.pathOf("match", j), context);
      if (match[j].IsNull()) {
        return m.errorHere("TLS match may not be null");
      }
      MESHSIM_RETURN_IF_ERROR(m.expectMap());
      MESHSIM_ASSIGN_OR_RETURN(auto sni_hosts, m.stringList("sniHosts"));
      if (sni_hosts.empty()) {
        return m.error("sniHosts", "TLS match must have at least one SNI host");
      }
      for (const auto& sni : sni_hosts) {
        const std::string why = sni_is_gateway ? validation::gatewayBoundDomainError(true, sni)
                                               : validation::wildcardDomainError(sni);
        if (!why.empty()) {
          if (validation::isIpAddress(sni)) {
            continue;  // Istio only warns: an IP address goes against the SNI spec
          }
          return m.error("sniHosts", why);
        }
        if (std::none_of(vs.hosts.begin(), vs.hosts.end(), [&](const std::string& host) {
              return validation::hostSubsetOf(sni, host);
            })) {
          std::string why_not = "SNI host \"" + sni +
                                "\" is not a compatible subset of any of the virtual service "
                                "hosts: [";
          for (size_t k = 0; k < vs.hosts.size(); ++k) {
            why_not.append(k == 0 ? "" : ", ").append(vs.hosts[k]);
          }
          return m.error("sniHosts", why_not + "]");
        }
      }
      MESHSIM_RETURN_IF_ERROR(checkL4MatchFields(m));
      MESHSIM_RETURN_IF_ERROR(finishIstio(m, "TLSMatchAttributes"));
    }
    const YAML::Node route = t.child("route");
    if (!route.IsSequence() || route.size() == 0) {
      if (route.IsDefined() && !route.IsNull() && !route.IsSequence()) {
        return t.error("route", "expected a list of destinations");
      }
      return t.error("route", "TLS route is required");
    }
    MESHSIM_RETURN_IF_ERROR(checkRouteDestinations(doc, t, context));
    MESHSIM_RETURN_IF_ERROR(finishIstio(t, "TLSRoute"));
  }
  const YAML::Node tcp = spec.child("tcp");
  if (tcp.IsDefined() && !tcp.IsNull() && !tcp.IsSequence()) {
    return spec.error("tcp", "expected a list of TCP routes");
  }
  for (size_t i = 0; tcp.IsSequence() && i < tcp.size(); ++i) {
    yaml::Reader t(doc, tcp[i], spec.pathOf("tcp", i), context);
    MESHSIM_RETURN_IF_ERROR(t.expectMap());
    const YAML::Node match = t.child("match");
    if (match.IsDefined() && !match.IsNull() && !match.IsSequence()) {
      return t.error("match", "expected a list of TCP match conditions");
    }
    for (size_t j = 0; match.IsSequence() && j < match.size(); ++j) {
      yaml::Reader m(doc, match[j], t.pathOf("match", j), context);
      if (match[j].IsNull()) {
        return m.errorHere("tcp match may not be nil");
      }
      MESHSIM_RETURN_IF_ERROR(m.expectMap());
      MESHSIM_RETURN_IF_ERROR(checkL4MatchFields(m));
      MESHSIM_RETURN_IF_ERROR(m.string("sourceSubnet").status());  // not validated by Istio
      MESHSIM_RETURN_IF_ERROR(finishIstio(m, "L4MatchAttributes"));
    }
    const YAML::Node route = t.child("route");
    if (!route.IsSequence() || route.size() == 0) {
      if (route.IsDefined() && !route.IsNull() && !route.IsSequence()) {
        return t.error("route", "expected a list of destinations");
      }
      return t.error("route", "TCP route is required");
    }
    MESHSIM_RETURN_IF_ERROR(checkRouteDestinations(doc, t, context));
    MESHSIM_RETURN_IF_ERROR(finishIstio(t, "TCPRoute"));
  }
  return okStatus();
}

// Whether a VirtualService has a TLS match with SNI hosts (Istio's isSniHost).
bool hasSniHosts(const YAML::Node& tls) {
  for (size_t i = 0; tls.IsSequence() && i < tls.size(); ++i) {
    const YAML::Node match = yaml::get(tls[i], "match");
    for (size_t j = 0; match.IsSequence() && j < match.size(); ++j) {
      const YAML::Node sni = yaml::get(match[j], "sniHosts");
      if (sni.IsSequence() && sni.size() > 0) {
        return true;
      }
    }
  }
  return false;
}

StatusOr<VirtualService> parseVirtualService(const yaml::Document& doc, k8s::ObjectMeta meta) {
  VirtualService vs;
  vs.meta = std::move(meta);
  const std::string context = "VirtualService " + vs.meta.id();
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(vs.hosts, spec.stringList("hosts"));
  MESHSIM_ASSIGN_OR_RETURN(vs.gateways, spec.stringList("gateways"));
  MESHSIM_ASSIGN_OR_RETURN(vs.export_to, spec.stringList("exportTo"));
  const YAML::Node tls = yaml::get(spec.node(), "tls");
  const YAML::Node tcp = yaml::get(spec.node(), "tcp");
  const bool has_tls = tls.IsSequence() && tls.size() > 0;
  const bool has_tcp = tcp.IsSequence() && tcp.size() > 0;
  // No hosts: a delegate VirtualService, which holds HTTP routes for a root's `delegate`.
  const bool is_delegate = vs.hosts.empty();
  if (is_delegate) {
    if (!vs.gateways.empty()) {
      return spec.error("gateways", "delegate virtual service must have no gateways specified");
    }
    if (has_tls) {
      return spec.error("tls", "delegate virtual service must have no tls route specified");
    }
    if (has_tcp) {
      return spec.error("tcp", "delegate virtual service must have no tcp route specified");
    }
  }
  if (const std::string why = validation::gatewayNamesError(vs.gateways); !why.empty()) {
    return spec.error("gateways", why);
  }
  // Istio's isGateway(): a VirtualService naming gateways but not "mesh" applies to gateways
  // only.
  const bool gateway_only =
      !vs.gateways.empty() &&
      std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") == vs.gateways.end();
  const bool bound_to_mesh = !gateway_only;
  const bool sni = hasSniHosts(tls);
  for (size_t i = 0; i < vs.hosts.size(); ++i) {
    const std::string& host = vs.hosts[i];
    const std::string why = gateway_only ? validation::gatewayBoundDomainError(sni, host)
                                         : validation::wildcardDomainError(host);
    if (!why.empty() && !validation::isIpAddress(host)) {
      return spec.error("hosts", why);
    }
    if (host == "*" && bound_to_mesh) {
      return spec.error("hosts",
                        "wildcard host * is not allowed for virtual services bound to the mesh "
                        "gateway");
    }
    for (size_t j = 0; j < i; ++j) {
      if (validation::hostsOverlap(vs.hosts[j], host)) {
        return spec.error("hosts",
                          "duplicate hosts in virtual service: " + vs.hosts[j] + " & " + host);
      }
    }
  }
  MESHSIM_RETURN_IF_ERROR(checkExportTo(spec, vs.meta, vs.export_to, /*service_entry=*/false));
  YAML::Node http = spec.child("http");
  if (http.IsDefined() && !http.IsNull() && !http.IsSequence()) {
    return spec.error("http", "expected a list of routes");
  }
  if ((!http.IsSequence() || http.size() == 0) && !has_tls && !has_tcp) {
    return spec.errorHere("http, tcp or tls must be provided in virtual service");
  }
  MESHSIM_RETURN_IF_ERROR(checkTlsAndTcpRoutes(doc, spec, vs, context));
  std::optional<size_t> root_route;  // the first route with a `delegate`
  for (size_t i = 0; http.IsSequence() && i < http.size(); ++i) {
    bool is_root = false;
    MESHSIM_ASSIGN_OR_RETURN(auto route, parseHttpRoute(doc, http[i], spec.pathOf("http", i),
                                                        context, is_delegate, is_root));
    if (is_root && !root_route) {
      root_route = i;
    }
    // Routing on JWT claims (@request.auth.claims.*): gateways only, and it needs a
    // RequestAuthentication, which is not modelled.
    for (const auto& m : route.match) {
      for (const auto* headers : {&m.headers, &m.without_headers}) {
        for (const auto& [name, match] : *headers) {
          if (!validation::isJwtClaimRoute(name)) {
            continue;
          }
          return yaml::errorAt(
              m.location, route.path + ".match",
              context + ": " +
                  (gateway_only ? "JWT claim based routing (key: " + name +
                                      ") is valid Istio, but not modelled by this version of "
                                      "meshsim yet"
                                : "JWT claim based routing (key: " + name +
                                      ") is only supported for gateway"));
        }
      }
    }
    vs.http.push_back(std::move(route));
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(spec, "VirtualService"));
  // Istio's checks passed: what meshsim does not model is refused now, never before an error
  // Istio would report.
  if (is_delegate) {
    return spec.error("hosts",
                      "a delegate VirtualService (no hosts) is valid Istio, but not modelled by "
                      "this version of meshsim yet");
  }
  if (root_route) {
    yaml::Reader h(doc, http[*root_route], spec.pathOf("http", *root_route), context);
    return rejectUnmodelled(h, {"delegate"});
  }
  if (has_tls || has_tcp) {
    return spec.error(has_tls ? "tls" : "tcp",
                      "valid Istio, but not modelled by this version of meshsim yet");
  }
  return vs;
}

StatusOr<DestinationRule> parseDestinationRule(const yaml::Document& doc, k8s::ObjectMeta meta) {
  DestinationRule dr;
  dr.meta = std::move(meta);
  const std::string context = "DestinationRule " + dr.meta.id();
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(spec, {"workloadSelector"}));
  MESHSIM_ASSIGN_OR_RETURN(dr.host, spec.requiredString("host"));
  if (const std::string why = validation::wildcardDomainError(dr.host); !why.empty()) {
    return spec.error("host", why);
  }
  MESHSIM_ASSIGN_OR_RETURN(dr.export_to, spec.stringList("exportTo"));
  MESHSIM_RETURN_IF_ERROR(checkExportTo(spec, dr.meta, dr.export_to, /*service_entry=*/false));
  if (spec.has("trafficPolicy")) {
    MESHSIM_ASSIGN_OR_RETURN(
        dr.traffic_policy, parseTrafficPolicy(doc, spec.child("trafficPolicy"),
                                              spec.pathOf("trafficPolicy"), context, dr.versioned));
  }
  YAML::Node subsets = spec.child("subsets");
  if (subsets.IsDefined() && !subsets.IsNull() && !subsets.IsSequence()) {
    return spec.error("subsets", "expected a list");
  }
  std::set<std::string> names;
  for (size_t i = 0; subsets.IsSequence() && i < subsets.size(); ++i) {
    yaml::Reader s(doc, subsets[i], spec.pathOf("subsets", i), context);
    MESHSIM_RETURN_IF_ERROR(s.expectMap());
    Subset subset;
    subset.location = s.location();
    MESHSIM_ASSIGN_OR_RETURN(subset.name, s.requiredString("name"));
    // validateSubsetName: Istio's DNS-1123 label, which allows upper case.
    if (!validation::isDns1123Label(subset.name)) {
      return s.error("name", "subset name is invalid: " + subset.name);
    }
    if (!names.insert(subset.name).second) {
      return s.error("name", "duplicate subset names: " + subset.name);
    }
    MESHSIM_ASSIGN_OR_RETURN(subset.labels, s.stringMap("labels"));
    if (const std::string why = validation::labelsError(subset.labels); !why.empty()) {
      return s.error("labels", why);
    }
    if (s.has("trafficPolicy")) {
      MESHSIM_ASSIGN_OR_RETURN(
          subset.traffic_policy,
          parseTrafficPolicy(doc, s.child("trafficPolicy"), s.pathOf("trafficPolicy"), context,
                             dr.versioned));
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(s, "Subset"));
    dr.subsets.push_back(std::move(subset));
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(spec, "DestinationRule"));
  return dr;
}

StatusOr<ServiceEntry> parseServiceEntry(const yaml::Document& doc, k8s::ObjectMeta meta) {
  ServiceEntry se;
  se.meta = std::move(meta);
  const std::string context = "ServiceEntry " + se.meta.id();
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(spec, {"workloadSelector", "subjectAltNames"}));

  MESHSIM_ASSIGN_OR_RETURN(se.hosts, spec.stringList("hosts"));
  if (se.hosts.empty()) {
    return spec.error("hosts", "service entry must have at least one host");
  }
  for (const auto& h : se.hosts) {
    if (h == "*") {
      return spec.error("hosts", "invalid host *: a ServiceEntry cannot claim every host");
    }
    // ValidateWildcardDomain: an IP address is not a host name (its last label is numeric).
    if (const std::string why = validation::wildcardDomainError(h); !why.empty()) {
      if (!validation::isIpAddress(h)) {
        return spec.error("hosts", why);
      }
      std::string message = "\"" + h + "\" is an IP address, not a host name (";
      message += why;
      message += "); IPs go in addresses";
      return spec.error("hosts", message);
    }
    // Istio only warns about a partial wildcard ("*x.com"); what it matches is not modelled.
    if (h.find('*') != std::string::npos && !h.starts_with("*.")) {
      return spec.error("hosts", "partial wildcard host \"" + h +
                                     "\" is valid Istio, but not modelled by this version of "
                                     "meshsim yet");
    }
  }

  MESHSIM_ASSIGN_OR_RETURN(se.addresses, spec.stringList("addresses"));
  for (const auto& a : se.addresses) {
    const size_t slash = a.find('/');
    const std::string ip = a.substr(0, slash);
    if (isIpv6(ip)) {
      return spec.error("addresses",
                        "IPv6 address \"" + a + "\" is valid Istio, but meshsim models IPv4 only");
    }
    bool ok = parseIpv4(ip).has_value();
    if (ok && slash != std::string::npos) {
      const std::string bits = a.substr(slash + 1);
      ok = !bits.empty() && bits.size() <= 2 &&
           bits.find_first_not_of("0123456789") == std::string::npos && std::stoi(bits) <= 32;
    }
    if (!ok) {
      return spec.error("addresses", "\"" + a + "\" is not an IP address or CIDR range");
    }
  }
  {
    MESHSIM_ASSIGN_OR_RETURN(std::string resolution, spec.string("resolution", "NONE"));
    const bool cidr = std::any_of(se.addresses.begin(), se.addresses.end(),
                                  [](const auto& a) { return a.find('/') != std::string::npos; });
    if (cidr && resolution != "NONE" && resolution != "STATIC") {
      return spec.error("addresses",
                        "CIDR addresses are allowed only for NONE/STATIC resolution types");
    }
  }

  YAML::Node ports = spec.child("ports");
  if (ports.IsDefined() && !ports.IsNull() && !ports.IsSequence()) {
    return spec.error("ports", "expected a list of ports");
  }
  std::set<std::string> port_names;
  std::set<int> port_numbers;
  for (size_t i = 0; ports.IsSequence() && i < ports.size(); ++i) {
    yaml::Reader p(doc, ports[i], spec.pathOf("ports", i), context);
    MESHSIM_RETURN_IF_ERROR(p.expectMap());
    ServiceEntryPort port;
    MESHSIM_ASSIGN_OR_RETURN(int64_t number, p.integer("number", -1));
    if (number < 1 || number > 65535) {
      return p.error("number", "must be a port number in [1, 65535]");
    }
    port.number = static_cast<int>(number);
    MESHSIM_ASSIGN_OR_RETURN(port.name, p.requiredString("name"));
    if (!validation::isDns1123Label(port.name)) {  // ValidatePortName
      return p.error("name", "invalid port name: " + port.name);
    }
    if (!port_names.insert(port.name).second) {
      return p.error("name", "service entry port name \"" + port.name + "\" already defined");
    }
    if (!port_numbers.insert(port.number).second) {
      return p.error("number",
                     "service entry port " + std::to_string(port.number) + " already defined");
    }
    MESHSIM_ASSIGN_OR_RETURN(std::string protocol, p.string("protocol"));
    port.protocol = upper(protocol);
    static const std::set<std::string> kHttp = {"", "HTTP", "HTTP2", "GRPC", "GRPC-WEB"};
    static const std::set<std::string> kOther = {"HTTPS", "TCP",   "TLS", "MONGO",
                                                 "REDIS", "MYSQL", "UDP", "HTTP_PROXY"};
    if (kHttp.count(port.protocol) == 0) {
      if (kOther.count(port.protocol) == 0) {
        return p.error("protocol", "unsupported protocol: " + protocol);
      }
      return p.error("protocol", "protocol " + port.protocol +
                                     " is valid Istio, but meshsim models HTTP ports only yet");
    }
    MESHSIM_ASSIGN_OR_RETURN(int64_t target, p.integer("targetPort", 0));
    if (target < 0 || target > 65535) {
      return p.error("targetPort", "must be a port number in [1, 65535]");
    }
    port.target_port = static_cast<int>(target);
    MESHSIM_RETURN_IF_ERROR(finishIstio(p, "ServicePort"));
    se.ports.push_back(std::move(port));
  }
  if (se.ports.empty()) {
    return spec.error("ports",
                      "a ServiceEntry without ports is valid Istio, but not modelled by this "
                      "version of meshsim yet");
  }

  MESHSIM_ASSIGN_OR_RETURN(std::string location, spec.string("location", "MESH_EXTERNAL"));
  if (location == "MESH_EXTERNAL") {
    se.location = ServiceEntry::Location::MeshExternal;
  } else if (location == "MESH_INTERNAL") {
    se.location = ServiceEntry::Location::MeshInternal;
  } else {
    return spec.error("location",
                      "must be MESH_EXTERNAL or MESH_INTERNAL, got \"" + location + "\"");
  }

  MESHSIM_ASSIGN_OR_RETURN(std::string resolution, spec.string("resolution", "NONE"));
  if (resolution == "NONE") {
    se.resolution = ServiceEntry::Resolution::None;
  } else if (resolution == "STATIC") {
    se.resolution = ServiceEntry::Resolution::Static;
  } else if (resolution == "DNS") {
    se.resolution = ServiceEntry::Resolution::Dns;
  } else if (resolution == "DNS_ROUND_ROBIN") {
    se.resolution = ServiceEntry::Resolution::DnsRoundRobin;
  } else if (resolution == "DYNAMIC_DNS") {
    return spec.error(
        "resolution",
        "DYNAMIC_DNS is valid Istio, but not modelled by this version of meshsim yet");
  } else {
    return spec.error("resolution", "must be one of NONE, STATIC, DNS, DNS_ROUND_ROBIN, got \"" +
                                        resolution + "\"");
  }

  MESHSIM_ASSIGN_OR_RETURN(se.export_to, spec.stringList("exportTo"));
  MESHSIM_RETURN_IF_ERROR(checkExportTo(spec, se.meta, se.export_to, /*service_entry=*/true));

  YAML::Node endpoints = spec.child("endpoints");
  if (endpoints.IsDefined() && !endpoints.IsNull() && !endpoints.IsSequence()) {
    return spec.error("endpoints", "expected a list of endpoints");
  }
  const bool dns = se.resolution == ServiceEntry::Resolution::Dns ||
                   se.resolution == ServiceEntry::Resolution::DnsRoundRobin;
  if (se.resolution == ServiceEntry::Resolution::DnsRoundRobin && endpoints.IsSequence() &&
      endpoints.size() > 1) {
    return spec.error("endpoints",
                      "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN");
  }
  for (size_t i = 0; endpoints.IsSequence() && i < endpoints.size(); ++i) {
    yaml::Reader e(doc, endpoints[i], spec.pathOf("endpoints", i), context);
    MESHSIM_RETURN_IF_ERROR(e.expectMap());
    MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(e, {"network", "locality", "serviceAccount"}));
    ServiceEntryEndpoint ep;
    ep.location = e.location();
    MESHSIM_ASSIGN_OR_RETURN(ep.address, e.requiredString("address"));
    if (ep.address.starts_with("unix://")) {
      return e.error("address",
                     "unix domain socket endpoints are valid Istio, but not modelled by meshsim");
    }
    if (const auto ip = parseIpv4(ep.address)) {
      ep.ip = *ip;
    } else if (isIpv6(ep.address)) {
      return e.error("address", "IPv6 endpoint \"" + ep.address +
                                    "\" is valid Istio, but meshsim models IPv4 only");
    } else if (dns && validation::fqdnError(ep.address).empty()) {
      return e.error("address",
                     "endpoint host name \"" + ep.address +
                         "\" needs a DNS lookup outside the cluster, which meshsim does not model; "
                         "give the endpoint's IP address (resolution STATIC)");
    } else {
      return e.error(
          "address",
          dns ? "endpoint address \"" + ep.address + "\" is not a valid FQDN or an IP address"
              : "\"" + ep.address + "\" is not an IP address (resolution STATIC needs one)");
    }
    YAML::Node ep_ports = e.child("ports");
    if (ep_ports.IsDefined() && !ep_ports.IsNull()) {
      if (!ep_ports.IsMap()) {
        return e.error("ports", "expected a mapping of service port names to port numbers");
      }
      yaml::Reader pr(doc, ep_ports, e.pathOf("ports"), context);
      for (const auto& kv : ep_ports) {
        const std::string name = kv.first.Scalar();
        MESHSIM_ASSIGN_OR_RETURN(int64_t number, pr.integer(name, -1));
        if (port_names.count(name) == 0) {
          return pr.error(name, "endpoint port " + std::to_string(number) +
                                    " is not defined by the service entry (no port named \"" +
                                    name + "\")");
        }
        if (number < 1 || number > 65535) {
          return pr.error(name, "must be a port number in [1, 65535]");
        }
        ep.ports[name] = static_cast<int>(number);
      }
    }
    MESHSIM_ASSIGN_OR_RETURN(ep.labels, e.stringMap("labels"));
    if (const std::string why = validation::labelsError(ep.labels); !why.empty()) {
      return e.error("labels", why);
    }
    MESHSIM_ASSIGN_OR_RETURN(ep.weight, positiveField(e, "weight"));
    // Equal weights balance like none at all; different ones need weighted load balancing.
    if (!se.endpoints.empty() && ep.weight != se.endpoints.front().weight) {
      return e.error("weight",
                     "endpoints with different weights are valid Istio, but weighted endpoints "
                     "are not modelled by this version of meshsim yet");
    }
    MESHSIM_RETURN_IF_ERROR(finishIstio(e, "WorkloadEntry"));
    se.endpoints.push_back(std::move(ep));
  }

  switch (se.resolution) {
    case ServiceEntry::Resolution::None:
      if (!se.endpoints.empty()) {
        return spec.error("endpoints", "no endpoints should be provided for resolution type NONE");
      }
      return spec.error("resolution",
                        "resolution NONE (forward to the address the client connected to) is "
                        "valid Istio, but not modelled by this version of meshsim yet; give "
                        "endpoints with resolution STATIC");
    case ServiceEntry::Resolution::Static:
      break;
    case ServiceEntry::Resolution::Dns:
    case ServiceEntry::Resolution::DnsRoundRobin:
      if (se.endpoints.empty()) {
        for (const auto& h : se.hosts) {
          if (const std::string why = validation::fqdnError(h); !why.empty()) {
            std::string message =
                "hosts must be FQDN or contain only prefix wildcards if no endpoints are provided "
                "for resolution mode ";
            message += resolution;
            message += ", ";
            message += why;
            return spec.error("hosts", message);
          }
        }
        return spec.error("resolution",
                          resolution +
                              " without endpoints resolves the hosts through DNS outside the "
                              "cluster, which meshsim does not model; list the endpoints' IP "
                              "addresses");
      }
      break;
  }
  MESHSIM_RETURN_IF_ERROR(finishIstio(spec, "ServiceEntry"));
  return se;
}

StatusOr<Sidecar> parseSidecar(const yaml::Document& doc, k8s::ObjectMeta meta) {
  Sidecar sc;
  sc.meta = std::move(meta);
  const std::string context = "Sidecar " + sc.meta.id();
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  // The inbound side (ingress listeners, their connection pools) is not modelled: the inbound
  // listeners stay those istiod derives from the Services.
  MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(spec, {"ingress", "inboundConnectionPool"}));
  if (spec.has("workloadSelector")) {
    yaml::Reader ws(doc, spec.child("workloadSelector"), spec.pathOf("workloadSelector"), context);
    MESHSIM_RETURN_IF_ERROR(ws.expectMap(/*optional=*/true));
    MESHSIM_ASSIGN_OR_RETURN(sc.workload_selector, ws.stringMap("labels"));
    for (const auto& [k, v] : *sc.workload_selector) {  // ValidateAlphaWorkloadSelector
      if (k.empty()) {
        return ws.error("labels", "empty key is not supported in selector: \"=" + v + "\"");
      }
      if (k.find('*') != std::string::npos || v.find('*') != std::string::npos) {
        std::string message = "wildcard is not supported in selector: \"";
        message += k;
        message += "=";
        message += v;
        message += "\"";
        return ws.error("labels", message);
      }
    }
    MESHSIM_RETURN_IF_ERROR(ws.finish());
  }
  YAML::Node egress = spec.child("egress");
  if (egress.IsDefined() && !egress.IsNull() && !egress.IsSequence()) {
    return spec.error("egress", "expected a list of egress listeners");
  }
  std::set<int> ports;
  for (size_t i = 0; egress.IsSequence() && i < egress.size(); ++i) {
    yaml::Reader e(doc, egress[i], spec.pathOf("egress", i), context);
    MESHSIM_RETURN_IF_ERROR(e.expectMap());
    MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(e, {"bind", "captureMode"}));
    SidecarEgress listener;
    listener.location = e.location();
    if (e.has("port")) {
      yaml::Reader p(doc, e.child("port"), e.pathOf("port"), context);
      MESHSIM_RETURN_IF_ERROR(p.expectMap());
      MESHSIM_ASSIGN_OR_RETURN(int64_t number, p.integer("number", -1));
      if (number == 0) {
        return p.error("number",
                       "valid Istio (a unix domain socket listener with bind), but "
                       "not modelled by this version of meshsim yet");
      }
      if (number < 1 || number > 65535) {
        return p.error("number", "must be a port number in [1, 65535]");
      }
      listener.port = static_cast<int>(number);
      if (p.has("targetPort")) {
        return p.error("targetPort", "targetPort has no impact on Sidecars");
      }
      MESHSIM_ASSIGN_OR_RETURN(std::string name, p.string("name"));
      if (!name.empty() && !validation::isDns1123Label(name)) {
        return p.error("name", "invalid port name: " + name);
      }
      // The protocol may be left out (Istio sniffs it); meshsim's egress listeners carry HTTP.
      MESHSIM_ASSIGN_OR_RETURN(std::string protocol, p.string("protocol", "HTTP"));
      listener.protocol = upper(protocol);
      MESHSIM_RETURN_IF_ERROR(p.finish());
      static const std::set<std::string> kHttp = {"HTTP", "HTTP2", "GRPC", "GRPC-WEB"};
      static const std::set<std::string> kOther = {"HTTPS", "TCP",   "TLS",        "MONGO",
                                                   "REDIS", "MYSQL", "HTTP_PROXY", "UDP"};
      if (kHttp.count(listener.protocol) == 0 && kOther.count(listener.protocol) == 0) {
        return p.error("protocol", "unsupported protocol: " + protocol);
      }
      if (!ports.insert(listener.port).second) {
        return e.error("port", "sidecar: ports on IP bound listeners must be unique");
      }
      if (kHttp.count(listener.protocol) == 0) {
        return p.error("protocol", "protocol " + listener.protocol +
                                       " is valid Istio, but meshsim models HTTP egress "
                                       "listeners only yet");
      }
    } else if (i + 1 != egress.size()) {
      return e.errorHere(
          "sidecar: the egress listener with empty port should be the last listener in the list");
    }
    MESHSIM_ASSIGN_OR_RETURN(listener.hosts, e.stringList("hosts"));
    if (listener.hosts.empty()) {
      return e.error("hosts", "sidecar: egress listener must contain at least one host");
    }
    for (const auto& h : listener.hosts) {
      const size_t slash = h.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == h.size() ||
          h.find('/', slash + 1) != std::string::npos) {
        return e.error("hosts",
                       "invalid host \"" + h + "\": host must be of form namespace/dnsName");
      }
      if (const std::string why = validation::hostnamePartError(h.substr(slash + 1), false);
          !why.empty()) {
        std::string message = "invalid host \"" + h + "\": ";
        message += why;
        return e.error("hosts", message);
      }
      // The namespace: "*", ".", "~", or a DNS label; since Istio 1.31 also "~" + one of these
      // (an exclusion).
      const std::string ns = h.substr(0, slash);
      const std::string bare = ns.starts_with('~') ? ns.substr(1) : ns;
      if (!bare.empty() && bare != "*" && bare != "." && !validation::isDns1123Label(bare)) {
        return e.error("hosts", "invalid namespace value \"" + ns + "\" in sidecar");
      }
      if (ns.size() > 1 && ns.starts_with('~')) {
        sc.versioned.push_back(
            {e.location("hosts"), e.pathOf("hosts"), context + ": host \"" + h + "\"", 31});
      }
    }
    MESHSIM_RETURN_IF_ERROR(e.finish());
    sc.egress.push_back(std::move(listener));
  }
  if (spec.has("outboundTrafficPolicy")) {
    yaml::Reader otp(doc, spec.child("outboundTrafficPolicy"), spec.pathOf("outboundTrafficPolicy"),
                     context);
    MESHSIM_RETURN_IF_ERROR(otp.expectMap());
    MESHSIM_ASSIGN_OR_RETURN(std::string mode, otp.string("mode", "REGISTRY_ONLY"));
    if (otp.has("egressProxy") && mode != "ALLOW_ANY") {
      return otp.error("egressProxy",
                       "sidecar: egress_proxy must be set only with ALLOW_ANY "
                       "outbound_traffic_policy mode");
    }
    MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(otp, {"egressProxy"}));
    if (mode == "ALLOW_ANY") {
      sc.outbound_mode = Sidecar::OutboundMode::AllowAny;
    } else if (mode == "REGISTRY_ONLY") {
      sc.outbound_mode = Sidecar::OutboundMode::RegistryOnly;
    } else if (mode == "ALLOW_ANY_DYNAMIC_DNS") {
      return otp.error("mode",
                       "sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not "
                       "in Sidecar resource");
    } else {
      return otp.error("mode", "must be ALLOW_ANY or REGISTRY_ONLY, got \"" + mode + "\"");
    }
    MESHSIM_RETURN_IF_ERROR(otp.finish());
  }
  MESHSIM_RETURN_IF_ERROR(spec.finish());
  if (sc.egress.empty() && sc.outbound_mode == Sidecar::OutboundMode::Unset) {
    return spec.errorHere("sidecar: empty configuration provided");
  }
  return sc;
}

Status checkIstioVersion(const Resources& resources, int minor) {
  const auto check = [minor](const std::vector<VersionedField>& fields) {
    for (const auto& f : fields) {
      if (f.since_minor > minor) {
        return yaml::errorAt(f.location, f.path,
                             f.context + ": not in Istio 1." + std::to_string(minor) +
                                 " (added in 1." + std::to_string(f.since_minor) +
                                 "; spec.istioVersion selects the release)");
      }
    }
    return okStatus();
  };
  for (const auto& vs : resources.virtual_services) {
    for (const auto& http : vs.http) {
      MESHSIM_RETURN_IF_ERROR(check(http.versioned));
    }
  }
  for (const auto& sc : resources.sidecars) {
    MESHSIM_RETURN_IF_ERROR(check(sc.versioned));
  }
  for (const auto& dr : resources.destination_rules) {
    MESHSIM_RETURN_IF_ERROR(check(dr.versioned));
  }
  return okStatus();
}

}  // namespace meshsim::sim::istio
