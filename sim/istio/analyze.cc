#include "sim/istio/analyze.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "sim/istio/validation.h"
#include "sim/json.h"

namespace meshsim::sim::istio {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Go's %q of a plain string (the names here hold no characters Go would escape otherwise).
std::string quoted(std::string_view s) {
  return jsonString(s);
}

AnalysisMessage message(std::string code, AnalysisLevel level, std::string kind,
                        const k8s::ObjectMeta& meta, yaml::Location at, std::string text) {
  AnalysisMessage m;
  m.code = std::move(code);
  m.level = level;
  m.kind = std::move(kind);
  m.resource = meta.id();
  m.location = at.file.empty() ? meta.location : std::move(at);
  m.message = std::move(text);
  return m;
}

// Istio's host.Name.Matches: whether two host names overlap, either side possibly a wildcard
// ("*", "*.example.com").
using validation::hostsOverlap;

// --- IST0104 GatewayPortNotOnWorkload (analyzers/gateway/gateway.go) ---------------------------
// Each Gateway server's port must be a TCP port of some Service that selects the gateway's pods.
// A selector that matches no pod is IST0101, reported by the translation.
void gatewayPorts(const k8s::World& world, const Resources& istio,
                  std::vector<AnalysisMessage>& out) {
  for (const auto& gw : istio.gateways) {
    std::set<int> service_ports;
    bool any_pod = false;
    for (const auto& pod : world.pods()) {
      if (!k8s::selectorMatches(gw.selector, pod.labels)) {
        continue;
      }
      any_pod = true;
      for (const auto* svc : world.servicesOf(pod)) {
        for (const auto& p : svc->spec.ports) {
          if (p.protocol == "TCP") {
            service_ports.insert(p.port);
          }
        }
      }
    }
    if (!any_pod) {
      continue;
    }
    for (const auto& server : gw.servers) {
      if (service_ports.count(server.port.number) == 0) {
        out.push_back(message(
            "IST0104", AnalysisLevel::Warning, "Gateway", gw.meta, server.location,
            "The gateway refers to a port that is not exposed on the workload (pod selector " +
                k8s::labelsToString(gw.selector) + "; port " + std::to_string(server.port.number) +
                ")"));
      }
    }
  }
}

// --- IST0109 ConflictingMeshGatewayVirtualServiceHosts -----------------------------------------
// (analyzers/virtualservice/conflictingmeshgatewayhosts.go): VirtualServices bound to the mesh
// gateway (no gateways, or "mesh" among them) that define the same host in the same exportTo
// scope. The host is "SCOPE/FQDN", SCOPE "*" when exported everywhere.
void conflictingMeshHosts(const Resources& istio, std::vector<AnalysisMessage>& out) {
  std::map<std::string, std::vector<const VirtualService*>> by_host;
  for (const auto& vs : istio.virtual_services) {
    const bool mesh = vs.gateways.empty() || std::find(vs.gateways.begin(), vs.gateways.end(),
                                                       "mesh") != vs.gateways.end();
    if (!mesh) {
      continue;
    }
    std::set<std::string> scopes;
    if (vs.export_to.empty() ||
        std::find(vs.export_to.begin(), vs.export_to.end(), "*") != vs.export_to.end()) {
      scopes.insert("*");
    } else {
      for (const auto& e : vs.export_to) {
        scopes.insert(e == "." ? vs.meta.namespace_name : e);
      }
    }
    for (const auto& scope : scopes) {
      for (const auto& h : vs.hosts) {
        // util.ConvertHostToFQDN: short names become NAME.NAMESPACE.svc.cluster.local.
        const std::string fqdn = h.starts_with('*') || h.find('.') != std::string::npos
                                     ? h
                                     : h + "." + vs.meta.namespace_name + ".svc.cluster.local";
        by_host[scope + "/" + fqdn].push_back(&vs);
      }
    }
  }
  for (const auto& [host, list] : by_host) {
    if (list.size() < 2) {
      continue;
    }
    std::string names;
    for (const auto* vs : list) {
      names += (names.empty() ? "" : ",") + vs->meta.id();
    }
    for (const auto* vs : list) {
      out.push_back(message("IST0109", AnalysisLevel::Error, "VirtualService", vs->meta, {},
                            "The VirtualServices " + names +
                                " associated with mesh gateway define the same host " + host +
                                " which can lead to undefined behavior. This can be fixed by "
                                "merging the conflicting VirtualServices into a single resource."));
    }
  }
}

// --- IST0101, IST0110, IST0111 (analyzers/sidecar/selector.go) --------------------------------
// A Sidecar whose workloadSelector matches no pod of its namespace (IST0101), several Sidecars
// selecting one pod (IST0110), several namespace-wide Sidecars (no selector, or one without
// labels) in one namespace (IST0111). istiod then picks the oldest; the analyzer calls it
// undefined behavior.
void sidecarSelectors(const k8s::World& world, const Resources& istio,
                      std::vector<AnalysisMessage>& out) {
  // Go's %v of a sorted []string: "[a b]".
  const auto names = [](const std::vector<const Sidecar*>& list) {
    std::vector<std::string> n;
    n.reserve(list.size());
    for (const auto* sc : list) {
      n.push_back(sc->meta.name);
    }
    std::sort(n.begin(), n.end());
    std::string text = "[";
    for (const auto& name : n) {
      text += (text.size() == 1 ? "" : " ") + name;
    }
    return text + "]";
  };
  std::map<std::string, std::vector<const Sidecar*>> namespace_wide;
  std::map<std::pair<std::string, std::string>, std::vector<const Sidecar*>> by_pod;
  for (const auto& sc : istio.sidecars) {
    if (!sc.workload_selector || sc.workload_selector->empty()) {
      namespace_wide[sc.meta.namespace_name].push_back(&sc);
      continue;
    }
    bool found = false;
    for (const auto& pod : world.pods()) {
      if (pod.namespace_name == sc.meta.namespace_name &&
          k8s::selectorMatches(*sc.workload_selector, pod.labels)) {
        found = true;
        by_pod[{pod.namespace_name, pod.name}].push_back(&sc);
      }
    }
    if (!found) {
      out.push_back(referencedResourceNotFound("Sidecar", sc.meta, {}, "selector",
                                               k8s::labelsToString(*sc.workload_selector)));
    }
  }
  for (const auto& [pod, list] : by_pod) {
    if (list.size() < 2) {
      continue;
    }
    for (const auto* sc : list) {
      out.push_back(message("IST0110", AnalysisLevel::Error, "Sidecar", sc->meta, {},
                            "The Sidecars " + names(list) + " in namespace " + quoted(pod.first) +
                                " select the same workload pod " + quoted(pod.second) +
                                ", which can lead to undefined behavior."));
    }
  }
  for (const auto& [ns, list] : namespace_wide) {
    if (list.size() < 2) {
      continue;
    }
    for (const auto* sc : list) {
      out.push_back(message("IST0111", AnalysisLevel::Error, "Sidecar", sc->meta, {},
                            "The Sidecars " + names(list) + " in namespace " + quoted(ns) +
                                " have no workload selector, which can lead to undefined "
                                "behavior."));
    }
  }
}

// --- IST0118 PortNameIsNotUnderNamingConvention (analyzers/service/portname.go) ---------------
// Istio's protocol of a Service port (pkg/config/kube ConvertProtocol): UDP and SCTP by their
// protocol; else the appProtocol or the port name, up to its first '-'; ports 25, 53, 3306 and
// 27017 are TCP without one. Whether that yields a protocol Istio knows.
bool portProtocolKnown(const k8s::ServicePort& port) {
  if (port.protocol == "UDP" || port.protocol == "SCTP") {
    return true;
  }
  std::string name = port.app_protocol.empty() ? port.name : port.app_protocol;
  if (name == "kubernetes.io/h2c" || name == "kubernetes.io/ws" || name == "kubernetes.io/wss") {
    return true;
  }
  name = lower(name);
  if (name.starts_with("grpc-web")) {
    return true;
  }
  name = name.substr(0, name.find('-'));
  static const std::set<std::string> kProtocols = {"tcp",  "udp",        "grpc",  "grpc-web",
                                                   "http", "http_proxy", "http2", "https",
                                                   "tls",  "mongo",      "redis", "mysql"};
  if (kProtocols.count(name) != 0) {
    return true;
  }
  return port.port == 25 || port.port == 53 || port.port == 3306 || port.port == 27017;
}

void portNames(const k8s::World& world, std::vector<AnalysisMessage>& out) {
  static const std::set<std::string> kSystemNamespaces = {"kube-system", "kube-public",
                                                          "kube-node-lease", "local-path-storage"};
  for (const auto& svc : world.services()) {
    const auto& meta = svc.spec.meta;
    // Istio's own Services (label "istio", or release=istio) and system namespaces are skipped.
    const auto release = meta.labels.find("release");
    if (kSystemNamespaces.count(meta.namespace_name) != 0 || meta.labels.count("istio") != 0 ||
        (release != meta.labels.end() && release->second == "istio")) {
      continue;
    }
    for (const auto& port : svc.spec.ports) {
      if (portProtocolKnown(port)) {
        continue;
      }
      const std::string target = !port.target_port_name.empty()
                                     ? port.target_port_name
                                     : std::to_string(port.target_port_number.value_or(port.port));
      out.push_back(message("IST0118", AnalysisLevel::Info, "Service", meta, {},
                            "Port name " + port.name + " (port: " + std::to_string(port.port) +
                                ", targetPort: " + target +
                                ") doesn't follow the naming convention of Istio port."));
    }
  }
}

// --- IST0130 VirtualServiceUnreachableRule, IST0131 VirtualServiceIneffectiveMatch -------------
// (pkg/config/validation: analyzeUnreachableHTTPRules). Rules are "#N" (0-based) or their quoted
// name; so are matches.

std::string ruleName(const HttpRoute& route, size_t n) {
  return route.name.empty() ? "#" + std::to_string(n) : quoted(route.name);
}

std::string matchName(const HttpMatchRequest& match, size_t n) {
  return match.name.empty() ? "#" + std::to_string(n) : quoted(match.name);
}

void appendStringMatch(std::string& out, const std::optional<StringMatch>& m) {
  if (!m) {
    out += "-;";
    return;
  }
  out += std::to_string(static_cast<int>(m->kind)) + ":" + jsonString(m->value) + ";";
}

void appendStringMatches(std::string& out, std::vector<std::pair<std::string, StringMatch>> ms) {
  std::sort(ms.begin(), ms.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out += "{";
  for (const auto& [name, m] : ms) {
    out += jsonString(name) + "=";
    appendStringMatch(out, m);
  }
  out += "}";
}

// Everything of a match but its name, in a fixed order: two matches with the same key are the
// same match (istioctl compares their JSON without the name).
std::string matchKey(const HttpMatchRequest& m) {
  std::string out;
  appendStringMatch(out, m.uri);
  appendStringMatch(out, m.scheme);
  appendStringMatch(out, m.method);
  appendStringMatch(out, m.authority);
  appendStringMatches(out, m.headers);
  appendStringMatches(out, m.without_headers);
  appendStringMatches(out, m.query_params);
  out += m.ignore_uri_case ? "i;" : "-;";
  out += std::to_string(m.port) + ";" + k8s::labelsToString(m.source_labels) + ";" +
         jsonString(m.source_namespace) + ";";
  std::vector<std::string> gateways = m.gateways;
  std::sort(gateways.begin(), gateways.end());
  for (const auto& g : gateways) {
    out += jsonString(g) + ",";
  }
  return out;
}

// "exact:VALUE", "prefix:VALUE" or "" (istioctl's assignExactOrPrefix).
std::string exactOrPrefix(const std::optional<StringMatch>& m) {
  if (m && m->kind == StringMatch::Kind::Exact && !m->value.empty()) {
    return "exact:" + m->value;
  }
  if (m && m->kind == StringMatch::Kind::Prefix && !m->value.empty()) {
    return "prefix:" + m->value;
  }
  return "";
}

// A prefix match as istioctl compares them for overlap (OverlappingMatchValidationForHTTPRoute).
struct PrefixMatch {
  std::string rule;   // "#1" or "\"name\""
  std::string match;  // "#0" or "\"name\""
  std::string prefix;
  int port = 0;
  std::string method;
  std::string authority;
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> query_params;
  std::map<std::string, std::string> without_headers;
};

std::map<std::string, std::string> exactOrPrefixMap(
    const std::vector<std::pair<std::string, StringMatch>>& ms) {
  std::map<std::string, std::string> out;
  for (const auto& [name, m] : ms) {
    out[name] = exactOrPrefix(m);
  }
  return out;
}

// Whether every value of `a` starts with the value of the same key in `b` (same keys).
bool mapCovered(const std::map<std::string, std::string>& a,
                const std::map<std::string, std::string>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (const auto& [k, v] : a) {
    const auto it = b.find(k);
    if (it == b.end() || !v.starts_with(it->second)) {
      return false;
    }
  }
  return true;
}

// istioctl's coveredValidation(a, b): the earlier prefix match `a` takes every request of `b`.
bool covered(const PrefixMatch& a, const PrefixMatch& b) {
  return b.prefix.starts_with(a.prefix) && a.port == b.port && a.method.starts_with(b.method) &&
         a.authority.starts_with(b.authority) && mapCovered(a.headers, b.headers) &&
         mapCovered(a.query_params, b.query_params) &&
         mapCovered(a.without_headers, b.without_headers);
}

void unreachableRules(const Resources& istio, std::vector<AnalysisMessage>& out) {
  for (const auto& vs : istio.virtual_services) {
    const auto unreachable = [&](const HttpRoute& route, size_t n, const std::string& reason) {
      out.push_back(
          message("IST0130", AnalysisLevel::Warning, "VirtualService", vs.meta, route.location,
                  "VirtualService rule " + ruleName(route, n) + " not used (" + reason + ")."));
    };
    const auto ineffective = [&](const HttpRoute& route, const std::string& rule,
                                 const std::string& match, const std::string& dup) {
      out.push_back(message("IST0131", AnalysisLevel::Info, "VirtualService", vs.meta,
                            route.location,
                            "VirtualService rule " + rule + " match " + match +
                                " is not used (duplicate/overlapping match in rule " + dup + ")."));
    };
    std::map<std::string, size_t> seen;  // match key -> the rule that has it first
    bool catch_all_before = false;
    std::vector<std::pair<PrefixMatch, const HttpRoute*>> prefixes;
    for (size_t n = 0; n < vs.http.size(); ++n) {
      const HttpRoute& route = vs.http[n];
      if (route.match.empty()) {
        if (catch_all_before) {
          unreachable(route, n, "only the last rule can have no matches");
        }
        catch_all_before = true;
        continue;
      }
      size_t duplicates = 0;
      for (size_t m = 0; m < route.match.size(); ++m) {
        const HttpMatchRequest& match = route.match[m];
        if (catch_all_before) {
          unreachable(route, n, "route without matches defined before");
          continue;
        }
        const std::string key = matchKey(match);
        if (const auto it = seen.find(key); it != seen.end()) {
          ineffective(route, ruleName(route, n), matchName(match, m),
                      ruleName(vs.http[it->second], it->second));
          ++duplicates;
          continue;
        }
        seen.emplace(key, n);
        if (match.uri && match.uri->kind == StringMatch::Kind::Prefix &&
            !match.uri->value.empty()) {
          PrefixMatch p;
          p.rule = ruleName(route, n);
          p.match = matchName(match, m);
          p.prefix = match.uri->value;
          p.port = match.port;
          p.method = exactOrPrefix(match.method);
          if (p.method.empty()) {
            p.method = "exact:GET";  // istioctl takes a match without a method as GET
          }
          p.authority = exactOrPrefix(match.authority);
          p.headers = exactOrPrefixMap(match.headers);
          p.query_params = exactOrPrefixMap(match.query_params);
          p.without_headers = exactOrPrefixMap(match.without_headers);
          prefixes.emplace_back(std::move(p), &route);
        }
      }
      if (duplicates == route.match.size()) {
        unreachable(route, n, "all matches used by prior rules");
      }
    }
    // A prefix match covered by an earlier, shorter one (equal prefixes were compared above).
    for (size_t i = 0; i < prefixes.size(); ++i) {
      for (size_t j = i + 1; j < prefixes.size(); ++j) {
        const PrefixMatch& a = prefixes[i].first;
        const PrefixMatch& b = prefixes[j].first;
        if (a.prefix != b.prefix && covered(a, b)) {
          ineffective(*prefixes[j].second, b.rule, b.match + " of prefix " + b.prefix,
                      a.match + " of prefix " + a.prefix + " on " + a.rule);
        }
      }
    }
  }
}

// --- IST0132 VirtualServiceHostNotFoundInGateway (analyzers/virtualservice/gateways.go) --------
// Each gateway a VirtualService names (but "mesh") must serve one of its hosts: the Gateway's
// server hosts, "./h" read in the Gateway's namespace, "*/h" as h, and "ns/h" only when ns is the
// VirtualService's namespace. A Gateway that does not exist serves none (and is IST0101 too).
void hostsInGateways(const Resources& istio, std::vector<AnalysisMessage>& out) {
  for (const auto& vs : istio.virtual_services) {
    for (const auto& name : vs.gateways) {
      if (name == "mesh") {
        continue;
      }
      // resource.NewShortOrFullName: "ns/name", else the VirtualService's namespace.
      const size_t slash = name.find('/');
      const std::string full =
          slash == std::string::npos ? vs.meta.namespace_name + "/" + name : name;
      std::vector<std::string> gateway_hosts;
      for (const auto& gw : istio.gateways) {
        if (gw.meta.id() != full) {
          continue;
        }
        for (const auto& server : gw.servers) {
          for (const auto& h : server.hosts) {
            const size_t s = h.find('/');
            if (s == std::string::npos) {
              gateway_hosts.push_back(h);
              continue;
            }
            const std::string ns = h.substr(0, s);
            const std::string host = h.substr(s + 1);
            if (ns == "*" || ns == vs.meta.namespace_name ||
                (ns == "." && gw.meta.namespace_name == vs.meta.namespace_name)) {
              gateway_hosts.push_back(host);
            }
          }
        }
      }
      bool found = false;
      for (const auto& gh : gateway_hosts) {
        for (const auto& vh : vs.hosts) {
          found = found || hostsOverlap(gh, vh);
        }
      }
      if (found) {
        continue;
      }
      std::string hosts;
      for (const auto& h : vs.hosts) {
        hosts += (hosts.empty() ? "" : " ") + h;
      }
      out.push_back(message("IST0132", AnalysisLevel::Warning, "VirtualService", vs.meta, {},
                            "one or more host [" + hosts + "] defined in VirtualService " +
                                vs.meta.id() + " not found in Gateway " + full + "."));
    }
  }
}

// --- IST0145 ConflictingGateways (analyzers/gateway/conflictinggateway.go) ---------------------
// Gateways with the same selector and server port whose hosts overlap, reported on each.
void conflictingGateways(const Resources& istio, std::vector<AnalysisMessage>& out) {
  // "selector~port" -> gateway id -> the hosts of its (last) server on that port.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> by_key;
  for (const auto& gw : istio.gateways) {
    for (const auto& server : gw.servers) {
      by_key[k8s::labelsToString(gw.selector) + "~" + std::to_string(server.port.number)]
            [gw.meta.id()] = server.hosts;
    }
  }
  for (const auto& gw : istio.gateways) {
    const std::string selector = k8s::labelsToString(gw.selector);
    for (const auto& server : gw.servers) {
      std::set<std::string> conflicting;
      for (const auto& [other, other_hosts] :
           by_key[selector + "~" + std::to_string(server.port.number)]) {
        if (other == gw.meta.id()) {
          continue;
        }
        for (const auto& h : server.hosts) {
          for (const auto& oh : other_hosts) {
            if (hostsOverlap(h, oh)) {
              conflicting.insert(other);
            }
          }
        }
      }
      if (conflicting.empty()) {
        continue;
      }
      std::string names;
      for (const auto& c : conflicting) {
        names += (names.empty() ? "" : ",") + c;
      }
      std::string hosts;
      for (const auto& h : server.hosts) {
        hosts += (hosts.empty() ? "" : ",") + h;
      }
      out.push_back(message("IST0145", AnalysisLevel::Error, "Gateway", gw.meta, server.location,
                            "Conflict with gateways " + names + " (workload selector " + selector +
                                ", port " + std::to_string(server.port.number) + ", hosts " +
                                hosts + ")."));
    }
  }
}

int severity(AnalysisLevel level) {
  switch (level) {
    case AnalysisLevel::Error:
      return 0;
    case AnalysisLevel::Warning:
      return 1;
    case AnalysisLevel::Info:
      return 2;
  }
  return 3;
}

}  // namespace

const char* toString(AnalysisLevel level) {
  switch (level) {
    case AnalysisLevel::Info:
      return "Info";
    case AnalysisLevel::Warning:
      return "Warning";
    case AnalysisLevel::Error:
      return "Error";
  }
  return "Error";
}

std::optional<AnalysisLevel> parseAnalysisLevel(std::string_view text) {
  const std::string l = lower(text);
  if (l == "info") {
    return AnalysisLevel::Info;
  }
  if (l == "warning") {
    return AnalysisLevel::Warning;
  }
  if (l == "error") {
    return AnalysisLevel::Error;
  }
  return std::nullopt;
}

std::string AnalysisMessage::origin() const {
  return kind + " " + resource;
}

std::string AnalysisMessage::reference() const {
  if (location.file.empty()) {
    return "";
  }
  return location.line > 0 ? location.file + ":" + std::to_string(location.line) : location.file;
}

std::string AnalysisMessage::documentationUrl() const {
  return "https://istio.io/latest/docs/reference/config/analysis/" + lower(code) + "/";
}

std::string AnalysisMessage::toString() const {
  const std::string ref = reference();
  return std::string(istio::toString(level)) + " [" + code + "] (" + origin() +
         (ref.empty() ? "" : " " + ref) + ") " + message;
}

AnalysisMessage referencedResourceNotFound(std::string kind, const k8s::ObjectMeta& meta,
                                           yaml::Location at, std::string_view reftype,
                                           std::string_view refval) {
  return message("IST0101", AnalysisLevel::Error, std::move(kind), meta, std::move(at),
                 "Referenced " + std::string(reftype) + " not found: " + quoted(refval));
}

std::vector<AnalysisMessage> analyze(const k8s::World& world, const Resources& istio,
                                     const std::vector<AnalysisMessage>& found) {
  std::vector<AnalysisMessage> out = found;
  gatewayPorts(world, istio, out);
  conflictingMeshHosts(istio, out);
  portNames(world, out);
  unreachableRules(istio, out);
  hostsInGateways(istio, out);
  conflictingGateways(istio, out);
  sidecarSelectors(world, istio, out);
  const auto key = [](const AnalysisMessage& m) {
    return std::make_tuple(severity(m.level), m.code, m.origin(), m.location.file, m.location.line,
                           m.message);
  };
  std::sort(out.begin(), out.end(),
            [&](const AnalysisMessage& a, const AnalysisMessage& b) { return key(a) < key(b); });
  out.erase(std::unique(out.begin(), out.end(),
                        [&](const AnalysisMessage& a, const AnalysisMessage& b) {
                          return key(a) == key(b);
                        }),
            out.end());
  return out;
}

std::string analysisJson(const std::vector<AnalysisMessage>& messages) {
  if (messages.empty()) {
    return "[]\n";
  }
  std::string out = "[\n";
  for (size_t i = 0; i < messages.size(); ++i) {
    const AnalysisMessage& m = messages[i];
    out += "\t{\n\t\t\"code\": " + jsonString(m.code) +
           ",\n\t\t\"documentationUrl\": " + jsonString(m.documentationUrl()) +
           ",\n\t\t\"level\": " + jsonString(toString(m.level)) +
           ",\n\t\t\"message\": " + jsonString(m.message) +
           ",\n\t\t\"origin\": " + jsonString(m.origin());
    if (const std::string ref = m.reference(); !ref.empty()) {
      out += ",\n\t\t\"reference\": " + jsonString(ref);
    }
    out += std::string("\n\t}") + (i + 1 < messages.size() ? "," : "") + "\n";
  }
  return out + "]\n";
}

std::string analysisYaml(const std::vector<AnalysisMessage>& messages) {
  if (messages.empty()) {
    return "[]\n";
  }
  // Values as JSON strings, which YAML reads as double-quoted scalars.
  std::string out;
  for (const auto& m : messages) {
    out += "- code: " + jsonString(m.code) +
           "\n  documentationUrl: " + jsonString(m.documentationUrl()) +
           "\n  level: " + jsonString(toString(m.level)) + "\n  message: " + jsonString(m.message) +
           "\n  origin: " + jsonString(m.origin()) + "\n";
    if (const std::string ref = m.reference(); !ref.empty()) {
      out += "  reference: " + jsonString(ref) + "\n";
    }
  }
  return out;
}

}  // namespace meshsim::sim::istio
