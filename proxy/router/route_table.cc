#include "proxy/router/route_table.h"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>

#include <re2/re2.h>

namespace meshsim::proxy::router {

namespace {

// Lower-cases `in` into `buf` when it fits (the common case), without allocating.
std::string_view lowerInto(std::string_view in, std::array<char, 256>& buf, std::string& heap) {
  char* out = buf.data();
  if (in.size() > buf.size()) {
    heap.resize(in.size());
    out = heap.data();
  }
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {out, in.size()};
}

// Removes a trailing ":port" (digits only). IPv6 literals in brackets keep their colons.
std::string_view stripPort(std::string_view host) {
  const size_t colon = host.rfind(':');
  if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos) {
    return host;
  }
  for (size_t i = colon + 1; i < host.size(); ++i) {
    if (host[i] < '0' || host[i] > '9') {
      return host;
    }
  }
  return host.substr(0, colon);
}

// The value of a header or pseudo-header of `request`, or nullptr.
const std::string* headerValue(const http::Request& request, const std::string& name) {
  if (!name.empty() && name[0] == ':') {
    if (name == ":method") {
      return &request.method;
    }
    if (name == ":scheme") {
      return &request.scheme;
    }
    if (name == ":authority") {
      return &request.authority;
    }
    if (name == ":path") {
      return &request.path;
    }
    return nullptr;
  }
  if (name == "host") {
    return &request.authority;
  }
  return request.headers.get(name);
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && http::equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// Finds query parameter `name` in `query` (the text after '?'); values are compared as they
// appear on the wire (not percent-decoded).
std::optional<std::string_view> queryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool routeMatches(const config::RouteMatch& match, const http::Request& request) {
  const std::string_view full = request.path;
  const size_t q = full.find('?');
  const std::string_view path = full.substr(0, q);
  if (!match.path.empty()) {
    if (match.case_sensitive ? path != match.path : !http::equalsIgnoreCase(path, match.path)) {
      return false;
    }
  } else if (match.compiled_regex != nullptr) {
    if (!re2::RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *match.compiled_regex)) {
      return false;
    }
  } else if (match.case_sensitive ? !full.starts_with(match.prefix)
                                  : !startsWithIgnoreCase(full, match.prefix)) {
    return false;
  }
  for (const auto& h : match.headers) {
    if (!headerMatches(h, request)) {
      return false;
    }
  }
  const std::string_view query = q == std::string_view::npos ? "" : full.substr(q + 1);
  for (const auto& p : match.query_parameters) {
    const auto value = queryParameter(query, p.name);
    if (!value || (p.value && !stringMatches(*p.value, *value))) {
      return false;
    }
  }
  return true;
}

Status compile(config::StringMatcher& m, const std::string& where) {
  if (m.kind != config::StringMatcher::Kind::Regex) {
    return okStatus();
  }
  auto re = std::make_shared<re2::RE2>(m.value, re2::RE2::Quiet);
  if (!re->ok()) {
    return invalidArgumentError(where + ": invalid regular expression \"" + m.value +
                                "\": " + re->error());
  }
  m.regex = std::move(re);
  return okStatus();
}

Status compileRoute(config::Route& route, const std::string& where) {
  auto& match = route.match;
  if (!match.regex.empty()) {
    auto re = std::make_shared<re2::RE2>(match.regex, re2::RE2::Quiet);
    if (!re->ok()) {
      return invalidArgumentError(where + ": invalid regular expression \"" + match.regex +
                                  "\": " + re->error());
    }
    match.compiled_regex = std::move(re);
  }
  for (auto& h : match.headers) {
    if (h.value) {
      MESHSIM_RETURN_IF_ERROR(compile(*h.value, where));
    }
  }
  for (auto& p : match.query_parameters) {
    if (p.value) {
      MESHSIM_RETURN_IF_ERROR(compile(*p.value, where));
    }
  }
  for (auto& c : route.action.clusters) {
    c.name_hash = std::hash<std::string_view>{}(c.name);
  }
  if (!route.action.regex_rewrite_pattern.empty()) {
    auto re = std::make_shared<re2::RE2>(route.action.regex_rewrite_pattern, re2::RE2::Quiet);
    if (!re->ok()) {
      return invalidArgumentError(where + ": invalid rewrite regular expression \"" +
                                  route.action.regex_rewrite_pattern + "\": " + re->error());
    }
    route.action.compiled_regex_rewrite = std::move(re);
  }
  if (route.cors) {
    for (auto& o : route.cors->allow_origins) {
      MESHSIM_RETURN_IF_ERROR(compile(o, where));
    }
  }
  return okStatus();
}

}  // namespace

bool stringMatches(const config::StringMatcher& m, std::string_view value) {
  switch (m.kind) {
    case config::StringMatcher::Kind::Exact:
      return m.ignore_case ? http::equalsIgnoreCase(value, m.value) : value == m.value;
    case config::StringMatcher::Kind::Prefix:
      return m.ignore_case ? startsWithIgnoreCase(value, m.value) : value.starts_with(m.value);
    case config::StringMatcher::Kind::Regex:
      return m.regex != nullptr &&
             re2::RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *m.regex);
  }
  return false;
}

bool headerMatches(const config::HeaderMatcher& h, const http::Request& request) {
  const std::string* v = headerValue(request, h.name);
  bool result = false;
  if (v == nullptr) {
    result = h.value && h.treat_missing_as_empty && stringMatches(*h.value, "");
  } else {
    result = !h.value || stringMatches(*h.value, *v);
  }
  return h.invert ? !result : result;
}

StatusOr<RouteTableConstSharedPtr> RouteTable::create(config::RouteConfiguration config) {
  std::shared_ptr<RouteTable> table(new RouteTable(std::move(config)));
  std::unordered_map<std::string, std::string> seen;  // domain -> vhost name
  for (auto& vhost : table->config_.virtual_hosts) {
    for (size_t i = 0; i < vhost.routes.size(); ++i) {
      MESHSIM_RETURN_IF_ERROR(
          compileRoute(vhost.routes[i], "route configuration " + table->config_.name + ": " +
                                            vhost.name + " route " + std::to_string(i)));
    }
    for (const auto& raw : vhost.domains) {
      const std::string domain = http::toLower(raw);
      if (domain.empty()) {
        return invalidArgumentError("route configuration " + table->config_.name +
                                    ": virtual host " + vhost.name + " has an empty domain");
      }
      if (auto [it, inserted] = seen.emplace(domain, vhost.name); !inserted) {
        return invalidArgumentError("route configuration " + table->config_.name + ": domain \"" +
                                    domain + "\" appears in virtual hosts " + it->second + " and " +
                                    vhost.name);
      }
      const size_t stars = std::count(domain.begin(), domain.end(), '*');
      if (domain == "*") {
        table->catch_all_ = &vhost;
      } else if (stars == 0) {
        table->exact_.emplace(domain, &vhost);
      } else if (stars == 1 && domain.front() == '*') {
        table->suffix_.push_back({domain.substr(1), &vhost});
      } else if (stars == 1 && domain.back() == '*') {
        table->prefix_.push_back({domain.substr(0, domain.size() - 1), &vhost});
      } else {
        return invalidArgumentError("route configuration " + table->config_.name + ": domain \"" +
                                    domain + "\" may have one wildcard, at its start or its end");
      }
    }
  }
  const auto longest_first = [](const Wildcard& a, const Wildcard& b) {
    return a.fixed.size() > b.fixed.size();
  };
  std::stable_sort(table->suffix_.begin(), table->suffix_.end(), longest_first);
  std::stable_sort(table->prefix_.begin(), table->prefix_.end(), longest_first);
  return RouteTableConstSharedPtr(std::move(table));
}

const config::VirtualHost* RouteTable::findVirtualHost(std::string_view authority) const {
  std::array<char, 256> buf;
  std::string heap;
  std::string_view host = lowerInto(authority, buf, heap);
  if (config_.ignore_port_in_host_matching) {
    host = stripPort(host);
  }
  // Not hashed when there is nothing to find (a sidecar's inbound table has only "*").
  if (!exact_.empty()) {
    if (auto it = exact_.find(host); it != exact_.end()) {
      return it->second;
    }
  }
  for (const auto& w : suffix_) {
    if (host.size() > w.fixed.size() && host.ends_with(w.fixed)) {
      return w.vhost;
    }
  }
  for (const auto& w : prefix_) {
    if (host.size() > w.fixed.size() && host.starts_with(w.fixed)) {
      return w.vhost;
    }
  }
  return catch_all_;
}

const config::Route* RouteTable::findRoute(const config::VirtualHost& vhost,
                                           const http::Request& request) {
  for (const auto& route : vhost.routes) {
    if (routeMatches(route.match, request)) {
      return &route;
    }
  }
  return nullptr;
}

const config::Route* RouteTable::route(const http::Request& request) const {
  const config::VirtualHost* vhost = findVirtualHost(request.authority);
  return vhost == nullptr ? nullptr : findRoute(*vhost, request);
}

}  // namespace meshsim::proxy::router
