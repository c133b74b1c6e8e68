#include "sim/istio/resources.h"

#include <algorithm>

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

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

StatusOr<StringMatch> parseStringMatch(const yaml::Document& doc, const YAML::Node& node,
                                       const std::string& path, const std::string& context) {
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(r, {"regex"}));
  StringMatch m;
  int kinds = 0;
  if (r.has("exact")) {
    m.kind = StringMatch::Kind::Exact;
    MESHSIM_ASSIGN_OR_RETURN(m.value, r.string("exact"));
    ++kinds;
  }
  if (r.has("prefix")) {
    m.kind = StringMatch::Kind::Prefix;
    MESHSIM_ASSIGN_OR_RETURN(m.value, r.string("prefix"));
    ++kinds;
  }
  if (kinds != 1) {
    return r.errorHere("exactly one of exact, prefix or regex must be set");
  }
  MESHSIM_RETURN_IF_ERROR(r.finish());
  return m;
}

}  // namespace

StatusOr<Gateway> parseGateway(const yaml::Document& doc, k8s::ObjectMeta meta) {
  Gateway g;
  g.meta = std::move(meta);
  const std::string context = "Gateway " + g.meta.id();
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(g.selector, spec.stringMap("selector"));
  YAML::Node servers = spec.child("servers");
  if (!servers.IsSequence() || servers.size() == 0) {
    return spec.error("servers", "at least one server is required");
  }
  for (size_t i = 0; i < servers.size(); ++i) {
    yaml::Reader s(doc, servers[i], spec.pathOf("servers", i), context);
    MESHSIM_RETURN_IF_ERROR(s.expectMap());
    MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(s, {"tls", "bind", "defaultEndpoint"}));
    Server server;
    server.location = s.location();
    MESHSIM_ASSIGN_OR_RETURN(server.name, s.string("name"));
    yaml::Reader p(doc, s.child("port"), s.pathOf("port"), context);
    MESHSIM_RETURN_IF_ERROR(p.expectMap());
    MESHSIM_ASSIGN_OR_RETURN(int64_t number, p.integer("number", -1));
    if (number < 1 || number > 65535) {
      return p.error("number", "must be a port number in [1, 65535]");
    }
    server.port.number = static_cast<int>(number);
    MESHSIM_ASSIGN_OR_RETURN(server.port.name, p.requiredString("name"));
    MESHSIM_ASSIGN_OR_RETURN(std::string protocol, p.requiredString("protocol"));
    server.port.protocol = upper(protocol);
    if (p.has("targetPort")) {
      return p.error("targetPort", "targetPort is not allowed in a Gateway server port");
    }
    MESHSIM_RETURN_IF_ERROR(p.finish());
    if (server.port.protocol != "HTTP" && server.port.protocol != "HTTP2" &&
        server.port.protocol != "GRPC") {
      return p.error("protocol", "protocol " + server.port.protocol +
                                     " is valid Istio, but meshsim models HTTP servers only yet");
    }
    MESHSIM_ASSIGN_OR_RETURN(server.hosts, s.stringList("hosts"));
    if (server.hosts.empty()) {
      return s.error("hosts", "at least one host is required");
    }
    MESHSIM_RETURN_IF_ERROR(s.finish());
    g.servers.push_back(std::move(server));
  }
  MESHSIM_RETURN_IF_ERROR(spec.finish());
  return g;
}

StatusOr<VirtualService> parseVirtualService(const yaml::Document& doc, k8s::ObjectMeta meta) {
  VirtualService vs;
  vs.meta = std::move(meta);
  const std::string context = "VirtualService " + vs.meta.id();
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(spec, {"tcp", "tls"}));
  MESHSIM_ASSIGN_OR_RETURN(vs.hosts, spec.stringList("hosts"));
  MESHSIM_ASSIGN_OR_RETURN(vs.gateways, spec.stringList("gateways"));
  MESHSIM_ASSIGN_OR_RETURN(vs.export_to, spec.stringList("exportTo"));
  if (vs.hosts.empty()) {
    return spec.error("hosts", "delegate VirtualServices (no hosts) are not modelled yet");
  }
  YAML::Node http = spec.child("http");
  if (http.IsDefined() && !http.IsNull() && !http.IsSequence()) {
    return spec.error("http", "expected a list of routes");
  }
  for (size_t i = 0; http.IsSequence() && i < http.size(); ++i) {
    yaml::Reader h(doc, http[i], spec.pathOf("http", i), context);
    MESHSIM_RETURN_IF_ERROR(h.expectMap());
    MESHSIM_RETURN_IF_ERROR(
        rejectUnmodelled(h, {"redirect", "directResponse", "delegate", "rewrite", "timeout",
                             "retries", "fault", "mirror", "mirrors", "mirrorPercentage",
                             "mirror_percent", "mirrorPercent", "corsPolicy", "headers"}));
    HttpRoute route;
    route.location = h.location();
    route.path = h.path();
    MESHSIM_ASSIGN_OR_RETURN(route.name, h.string("name"));
    YAML::Node match = h.child("match");
    if (match.IsDefined() && !match.IsNull() && !match.IsSequence()) {
      return h.error("match", "expected a list of match conditions");
    }
    for (size_t j = 0; match.IsSequence() && j < match.size(); ++j) {
      yaml::Reader m(doc, match[j], h.pathOf("match", j), context);
      MESHSIM_RETURN_IF_ERROR(m.expectMap());
      MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(
          m, {"scheme", "method", "authority", "headers", "port", "sourceLabels", "gateways",
              "queryParams", "ignoreUriCase", "withoutHeaders", "sourceNamespace", "statPrefix"}));
      HttpMatchRequest mr;
      MESHSIM_ASSIGN_OR_RETURN(mr.name, m.string("name"));
      if (m.has("uri")) {
        MESHSIM_ASSIGN_OR_RETURN(mr.uri,
                                 parseStringMatch(doc, m.child("uri"), m.pathOf("uri"), context));
      }
      MESHSIM_RETURN_IF_ERROR(m.finish());
      route.match.push_back(std::move(mr));
    }
    YAML::Node dests = h.child("route");
    if (!dests.IsSequence() || dests.size() == 0) {
      return h.error("route", "a route needs at least one destination");
    }
    for (size_t j = 0; j < dests.size(); ++j) {
      yaml::Reader d(doc, dests[j], h.pathOf("route", j), context);
      MESHSIM_RETURN_IF_ERROR(d.expectMap());
      MESHSIM_RETURN_IF_ERROR(rejectUnmodelled(d, {"headers"}));
      HttpRouteDestination rd;
      rd.location = d.location();
      if (d.has("weight")) {
        MESHSIM_ASSIGN_OR_RETURN(int64_t w, d.integer("weight"));
        if (w < 0) {
          return d.error("weight", "weight must not be negative");
        }
        rd.weight = static_cast<int>(w);
      }
      yaml::Reader dest(doc, d.child("destination"), d.pathOf("destination"), context);
      MESHSIM_RETURN_IF_ERROR(dest.expectMap());
      MESHSIM_ASSIGN_OR_RETURN(rd.destination.host, dest.requiredString("host"));
      MESHSIM_ASSIGN_OR_RETURN(rd.destination.subset, dest.string("subset"));
      if (dest.has("port")) {
        yaml::Reader port(doc, dest.child("port"), dest.pathOf("port"), context);
        MESHSIM_RETURN_IF_ERROR(port.expectMap());
        MESHSIM_ASSIGN_OR_RETURN(int64_t n, port.integer("number", -1));
        if (n < 1 || n > 65535) {
          return port.error("number", "must be a port number in [1, 65535]");
        }
        rd.destination.port = static_cast<int>(n);
        MESHSIM_RETURN_IF_ERROR(port.finish());
      }
      MESHSIM_RETURN_IF_ERROR(dest.finish());
      MESHSIM_RETURN_IF_ERROR(d.finish());
      route.route.push_back(std::move(rd));
    }
    if (!route.route.empty()) {
      // Weights are relative (Istio 1.15+); an omitted weight is 0, and a single destination
      // ignores its weight.
      bool any_positive = route.route.size() == 1;
      for (const auto& rd : route.route) {
        any_positive = any_positive || rd.weight.value_or(0) > 0;
      }
      if (!any_positive) {
        return h.error("route", "total destination weight = 0");
      }
    }
    MESHSIM_RETURN_IF_ERROR(h.finish());
    vs.http.push_back(std::move(route));
  }
  MESHSIM_RETURN_IF_ERROR(spec.finish());
  return vs;
}

}  // namespace meshsim::sim::istio
