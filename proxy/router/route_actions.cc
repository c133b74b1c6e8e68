#include "proxy/router/route_actions.h"

#include <cstdio>
#include <vector>

#include <re2/re2.h>

#include "proxy/router/route_table.h"
#include "proxy/upstream/hash_lb.h"

namespace meshsim::proxy::router {

namespace {

// Splits "host:port" (port digits only) into host and port ("" when absent).
std::pair<std::string, std::string> splitHostPort(const std::string& authority) {
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos || authority.find(']', colon) != std::string::npos ||
      colon + 1 == authority.size() ||
      authority.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    return {authority, ""};
  }
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

}  // namespace

std::string redirectLocation(const config::RedirectAction& redirect, const http::Request& request,
                             std::string_view matched_prefix) {
  const std::string scheme = redirect.scheme.empty() ? request.scheme : redirect.scheme;
  auto [host, port] = splitHostPort(request.authority);
  if (!redirect.host.empty()) {
    // A host given with its own port replaces both.
    auto [new_host, new_port] = splitHostPort(redirect.host);
    host = new_host;
    if (!new_port.empty()) {
      port = new_port;
    }
  }
  if (redirect.port > 0) {
    port = std::to_string(redirect.port);
  } else if (redirect.port < 0) {
    port.clear();
  } else if (scheme != request.scheme && ((request.scheme == "http" && port == "80") ||
                                          (request.scheme == "https" && port == "443"))) {
    port.clear();  // Envoy drops the old scheme's default port when the scheme changes
  }
  const size_t q = request.path.find('?');
  std::string path;
  if (redirect.prefix_rewrite) {
    path = *redirect.prefix_rewrite +
           request.path.substr(std::min(matched_prefix.size(), request.path.size()));
  } else if (redirect.path.empty()) {
    path = request.path;
  } else if (redirect.path.find('?') != std::string::npos || q == std::string::npos) {
    path = redirect.path;
  } else {
    path = redirect.path + request.path.substr(q);
  }
  return scheme + "://" + host + (port.empty() ? "" : ":" + port) + path;
}

std::string cookieValue(const http::Request& request, std::string_view name) {
  for (const auto& [header, full] : request.headers) {
    if (std::string_view(header) != "cookie") {
      continue;
    }
    std::string_view value = full;
    while (!value.empty()) {
      const size_t semi = value.find(';');
      std::string_view pair = value.substr(0, semi);
      value = semi == std::string_view::npos ? std::string_view() : value.substr(semi + 1);
      const size_t start = pair.find_first_not_of(' ');
      const size_t eq = pair.find('=');
      if (start == std::string_view::npos || eq == std::string_view::npos || eq < start) {
        continue;
      }
      if (pair.substr(start, eq - start) == name) {
        std::string_view v = pair.substr(eq + 1);
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
          v = v.substr(1, v.size() - 2);
        }
        return std::string(v);
      }
    }
  }
  return "";
}

std::optional<uint64_t> requestHash(const std::vector<config::HashPolicy>& policies,
                                    const http::Request& request, const config::Address& downstream,
                                    const config::Address& local, std::string* set_cookie) {
  std::optional<uint64_t> hash;
  for (const auto& p : policies) {
    std::optional<uint64_t> h;
    switch (p.kind) {
      case config::HashPolicy::Kind::Header:
        if (const std::string* v = request.headers.get(p.name)) {
          h = upstream::xxHash64(*v);
        }
        break;
      case config::HashPolicy::Kind::Cookie: {
        std::string v = cookieValue(request, p.name);
        if (v.empty() && p.cookie_ttl) {
          // Envoy's router addDownstreamSetCookie: the connection's two addresses, hashed.
          char hex[17];
          std::snprintf(hex, sizeof(hex), "%016llx",
                        static_cast<unsigned long long>(upstream::xxHash64(
                            config::toString(downstream) + config::toString(local))));
          v = hex;
          if (set_cookie != nullptr) {
            *set_cookie = p.name + "=\"" + v + "\"";
            if (p.cookie_ttl->count() != 0) {
              *set_cookie += "; Max-Age=" + std::to_string(p.cookie_ttl->count());
            }
            if (!p.cookie_path.empty()) {
              *set_cookie += "; Path=" + p.cookie_path;
            }
            *set_cookie += "; HttpOnly";
          }
        }
        if (!v.empty()) {
          h = upstream::xxHash64(v);
        }
        break;
      }
      case config::HashPolicy::Kind::SourceIp:
        h = upstream::xxHash64(config::ipToString(downstream.ip));
        break;
      case config::HashPolicy::Kind::QueryParameter: {
        const size_t q = request.path.find('?');
        std::string_view query = q == std::string::npos
                                     ? std::string_view()
                                     : std::string_view(request.path).substr(q + 1);
        while (!query.empty()) {
          const size_t amp = query.find('&');
          const std::string_view param = query.substr(0, amp);
          query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
          const size_t eq = param.find('=');
          if (param.substr(0, eq) == p.name) {
            h = upstream::xxHash64(eq == std::string_view::npos ? std::string_view()
                                                                : param.substr(eq + 1));
            break;
          }
        }
        break;
      }
    }
    if (h) {
      // Rotating the running value keeps duplicate policies from cancelling out.
      const uint64_t old = hash ? ((*hash << 1) | (*hash >> 63)) : 0;
      hash = old ^ *h;
    }
  }
  return hash;
}

std::string httpsRedirectLocation(const http::Request& request) {
  auto [host, port] = splitHostPort(request.authority);
  return "https://" + host + (port.empty() || port == "80" ? "" : ":" + port) + request.path;
}

bool applyRewrites(const config::Route& route, http::Request& request) {
  const config::RouteAction& action = route.action;
  if (!action.host_rewrite.empty()) {
    request.authority = action.host_rewrite;
  }
  if (!action.prefix_rewrite && action.compiled_regex_rewrite == nullptr) {
    return false;  // the path stays as it is (most routes): no copy of it
  }
  const std::string original = request.path;
  const size_t q = original.find('?');
  if (action.prefix_rewrite) {
    const auto& m = route.match;
    if (m.path.empty() && m.regex.empty()) {
      // Prefix match: replace the matched prefix (query included in what follows).
      request.path =
          *action.prefix_rewrite + original.substr(std::min(m.prefix.size(), original.size()));
    } else {
      request.path = *action.prefix_rewrite + (q == std::string::npos ? "" : original.substr(q));
    }
  } else if (action.compiled_regex_rewrite != nullptr) {
    std::string path = original.substr(0, q);
    re2::RE2::GlobalReplace(&path, *action.compiled_regex_rewrite,
                            action.regex_rewrite_substitution);
    request.path = path + (q == std::string::npos ? "" : original.substr(q));
  }
  if (request.path == original) {
    return false;
  }
  request.headers.set("x-envoy-original-path", original);
  return true;
}

void applyNonEmptyHeaderOperations(const config::HeaderOperations& ops, http::HeaderMap& headers) {
  for (const auto& name : ops.remove) {
    headers.remove(name);
  }
  for (const auto& [name, value] : ops.set) {
    headers.set(name, value);
  }
  for (const auto& [name, value] : ops.add) {
    headers.add(name, value);
  }
}

bool isCorsPreflight(const http::Request& request) {
  return request.method == "OPTIONS" && request.headers.has("origin") &&
         request.headers.has("access-control-request-method");
}

std::optional<std::string> allowedOrigin(const config::CorsPolicy& cors,
                                         const http::Request& request) {
  const std::string* origin = request.headers.get("origin");
  if (origin == nullptr) {
    return std::nullopt;
  }
  for (const auto& m : cors.allow_origins) {
    if (stringMatches(m, *origin)) {
      return *origin;
    }
  }
  return std::nullopt;
}

http::ResponsePtr corsPreflightResponse(const config::CorsPolicy& cors, const std::string& origin) {
  auto r = std::make_unique<http::Response>();
  r->status = 200;
  r->headers.set("access-control-allow-origin", origin);
  if (!cors.allow_methods.empty()) {
    r->headers.set("access-control-allow-methods", cors.allow_methods);
  }
  if (!cors.allow_headers.empty()) {
    r->headers.set("access-control-allow-headers", cors.allow_headers);
  }
  if (!cors.max_age.empty()) {
    r->headers.set("access-control-max-age", cors.max_age);
  }
  if (cors.allow_credentials.value_or(false)) {
    r->headers.set("access-control-allow-credentials", "true");
  }
  return r;
}

void addCorsResponseHeaders(const config::CorsPolicy& cors, const std::string& origin,
                            http::Response& response) {
  response.headers.set("access-control-allow-origin", origin);
  if (cors.allow_credentials.value_or(false)) {
    response.headers.set("access-control-allow-credentials", "true");
  }
  if (!cors.expose_headers.empty()) {
    response.headers.set("access-control-expose-headers", cors.expose_headers);
  }
}

std::string normalizePath(const std::string& path_and_query) {
  const size_t q = path_and_query.find('?');
  std::string_view in = std::string_view(path_and_query).substr(0, q);
  if (in.find("/.") == std::string_view::npos) {
    return path_and_query;  // nothing to remove: the common case, no copy of the segments
  }
  std::vector<std::string_view> out;
  bool trailing_slash = false;
  size_t pos = in.starts_with("/") ? 1 : 0;
  while (pos <= in.size()) {
    size_t next = in.find('/', pos);
    if (next == std::string_view::npos) {
      next = in.size();
    }
    const std::string_view seg = in.substr(pos, next - pos);
    const bool last = next == in.size();
    if (seg == ".") {
      trailing_slash = last;
    } else if (seg == "..") {
      if (!out.empty()) {
        out.pop_back();
      }
      trailing_slash = last;
    } else {
      out.push_back(seg);
      trailing_slash = false;
    }
    pos = next + 1;
  }
  std::string result;
  for (const auto& seg : out) {
    result += '/';
    result += seg;
  }
  if (trailing_slash || result.empty()) {
    result += '/';
  }
  if (q != std::string::npos) {
    result += path_and_query.substr(q);
  }
  return result;
}

std::string shadowAuthority(const std::string& authority) {
  auto [host, port] = splitHostPort(authority);
  return host + "-shadow" + (port.empty() ? "" : ":" + port);
}

}  // namespace meshsim::proxy::router
