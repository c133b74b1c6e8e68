#include "proxy/router/route_table.h"

#include <algorithm>
#include <array>

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

bool routeMatches(const config::RouteMatch& match, const http::Request& request) {
  const std::string_view path = request.path;
  if (!match.path.empty()) {
    return path.substr(0, path.find('?')) == match.path;
  }
  return path.starts_with(match.prefix);
}

}  // namespace

StatusOr<RouteTableConstSharedPtr> RouteTable::create(config::RouteConfiguration config) {
  std::shared_ptr<RouteTable> table(new RouteTable(std::move(config)));
  std::unordered_map<std::string, std::string> seen;  // domain -> vhost name
  for (const auto& vhost : table->config_.virtual_hosts) {
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
  if (auto it = exact_.find(host); it != exact_.end()) {
    return it->second;
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
