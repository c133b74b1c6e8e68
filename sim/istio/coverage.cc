#include "sim/istio/coverage.h"

#include <cstdio>

namespace meshsim::sim::istio {

namespace {

std::string indexed(const std::string& kind_and_id, const char* field, size_t i) {
  return kind_and_id + " " + field + "[" + std::to_string(i) + "]";
}

std::string serverName(const Gateway& gw, size_t i) {
  return indexed("Gateway " + gw.meta.id(), "servers", i);
}
std::string routeName(const VirtualService& vs, size_t i) {
  return indexed("VirtualService " + vs.meta.id(), "http", i);
}
std::string matchName(const VirtualService& vs, size_t route, size_t i) {
  return indexed(routeName(vs, route), "match", i);
}
std::string subsetName(const DestinationRule& dr, size_t i) {
  return indexed("DestinationRule " + dr.meta.id(), "subsets", i);
}
std::string entryName(const ServiceEntry& se) {
  return "ServiceEntry " + se.meta.id();
}

}  // namespace

uint32_t CoverageRegistry::intern(CoverageItem item) {
  const auto [it, inserted] = keys_.emplace(item.name, static_cast<uint32_t>(items_.size() + 1));
  if (inserted) {
    items_.push_back(std::move(item));
  }
  return it->second;
}

uint32_t CoverageRegistry::find(const std::string& name) const {
  const auto it = keys_.find(name);
  return it == keys_.end() ? 0 : it->second;
}

void CoverageRegistry::add(const Resources& istio) {
  using Kind = CoverageItem::Kind;
  for (const auto& gw : istio.gateways) {
    for (size_t i = 0; i < gw.servers.size(); ++i) {
      std::string hosts;
      for (const auto& h : gw.servers[i].hosts) {
        hosts += (hosts.empty() ? "" : ",") + h;
      }
      CoverageItem item{Kind::GatewayServer, serverName(gw, i), gw.servers[i].location, 0};
      item.name += " (port " + std::to_string(gw.servers[i].port.number) + ", hosts " + hosts + ")";
      // The identity is the plain name; the port and hosts only describe it.
      const uint32_t key = find(serverName(gw, i));
      if (key == 0) {
        keys_.emplace(serverName(gw, i), static_cast<uint32_t>(items_.size() + 1));
        items_.push_back(std::move(item));
      }
    }
  }
  for (const auto& vs : istio.virtual_services) {
    for (size_t i = 0; i < vs.http.size(); ++i) {
      const HttpRoute& http = vs.http[i];
      const uint32_t route = intern({Kind::HttpRoute, routeName(vs, i), http.location, 0});
      for (size_t j = 0; j < http.match.size(); ++j) {
        intern({Kind::HttpMatch, matchName(vs, i, j), http.match[j].location, route});
      }
    }
  }
  for (const auto& dr : istio.destination_rules) {
    for (size_t i = 0; i < dr.subsets.size(); ++i) {
      intern({Kind::Subset, subsetName(dr, i), dr.subsets[i].location, 0});
    }
  }
  for (const auto& se : istio.service_entries) {
    intern({Kind::ServiceEntry, entryName(se), se.meta.location, 0});
  }
}

uint32_t CoverageRegistry::server(const Gateway& gw, size_t index) const {
  return find(serverName(gw, index));
}
uint32_t CoverageRegistry::route(const VirtualService& vs, size_t index) const {
  return find(routeName(vs, index));
}
uint32_t CoverageRegistry::match(const VirtualService& vs, size_t route, size_t index) const {
  return find(matchName(vs, route, index));
}
uint32_t CoverageRegistry::subset(const DestinationRule& dr, size_t index) const {
  return find(subsetName(dr, index));
}
uint32_t CoverageRegistry::entry(const ServiceEntry& se) const {
  return find(entryName(se));
}

double CoverageReport::percent() const {
  return lines.empty() ? 100.0
                       : 100.0 * static_cast<double>(covered) / static_cast<double>(lines.size());
}

CoverageReport measureCoverage(const CoverageRegistry& registry,
                               const std::vector<uint64_t>& hits) {
  CoverageReport report;
  const auto& items = registry.items();
  report.lines.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    report.lines[i].item = items[i];
    report.lines[i].hits += i + 1 < hits.size() ? hits[i + 1] : 0;
    if (items[i].parent != 0) {
      // A match block's requests are its route's too.
      report.lines[items[i].parent - 1].hits += report.lines[i].hits;
    }
  }
  for (const auto& line : report.lines) {
    report.covered += line.hits > 0 ? 1 : 0;
  }
  return report;
}

std::string coverageText(const CoverageReport& report) {
  char percent[32];
  std::snprintf(percent, sizeof(percent), "%.1f%%", report.percent());
  std::string out = "coverage: " + std::to_string(report.covered) + " of " +
                    std::to_string(report.lines.size()) + " items exercised (" + percent + ")\n";
  for (const auto& line : report.lines) {
    out += std::string(line.hits > 0 ? "  HIT   " : "  MISS  ") + line.item.location.toString() +
           "  " + line.item.name + "  " + std::to_string(line.hits) +
           (line.hits == 1 ? " request" : " requests") + "\n";
  }
  return out;
}

}  // namespace meshsim::sim::istio
