#pragma once

// File: sim/istio/coverage.h
//
// Route coverage, the Istio-level counterpart of Envoy's router_check_tool coverage: which Gateway
// servers, VirtualService http routes and their match blocks, DestinationRule subsets and
// ServiceEntries the traffic of a run exercised, with the file:line of each.
//
// Every such item of the manifests gets a key (CoverageRegistry). The translator sets the key on
// what it builds from the item (proxy::config VirtualHost, Route, Cluster: coverage_key), the
// proxies count requests per key (Proxy::coverageHits()), and measureCoverage() adds the counts
// of every proxy up per item. A route's hits are those of its match blocks (each match block is
// its own Envoy route); a route without match blocks is counted itself.
//
// Example:
//   CoverageRegistry registry;
//   registry.add(manifests.istio);            // before translating; again after an apply
//   ... translate with TranslateOptions{.coverage = &registry}, run traffic ...
//   CoverageReport report = measureCoverage(registry, mesh.coverageHits());

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/istio/resources.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::istio {

struct CoverageItem {
  enum class Kind { GatewayServer, HttpRoute, HttpMatch, Subset, ServiceEntry };
  Kind kind = Kind::HttpRoute;
  // "VirtualService default/frontend-ingress http[0] match[1]": what the item is, for people
  // and as its identity (unique among the items).
  std::string name;
  yaml::Location location;
  uint32_t parent = 0;  // a match block's route; 0 otherwise
};

class CoverageRegistry {
public:
  // Registers every item of `istio`, in a fixed order (Gateways, VirtualServices,
  // DestinationRules, ServiceEntries, each in manifest order). An item registered before keeps
  // its key, so keys stay valid across re-translations (scenario events).
  void add(const Resources& istio);

  // The key of an item (0 when it was never registered): what translate() sets as coverage_key.
  uint32_t server(const Gateway& gw, size_t index) const;
  uint32_t route(const VirtualService& vs, size_t index) const;
  uint32_t match(const VirtualService& vs, size_t route, size_t index) const;
  uint32_t subset(const DestinationRule& dr, size_t index) const;
  uint32_t entry(const ServiceEntry& se) const;

  // Every item; the key of items()[i] is i + 1.
  const std::vector<CoverageItem>& items() const { return items_; }

private:
  uint32_t intern(CoverageItem item);
  uint32_t find(const std::string& name) const;

  std::vector<CoverageItem> items_;
  std::unordered_map<std::string, uint32_t> keys_;
};

struct CoverageLine {
  CoverageItem item;  // a copy: the report outlives the mesh and its registry
  uint64_t hits = 0;
};

struct CoverageReport {
  std::vector<CoverageLine> lines;  // in registry order
  size_t covered = 0;               // lines with hits
  // Covered lines in percent of all lines (100 when there are none).
  double percent() const;
};

// Adds up `hits` (indexed by key, as Proxy::coverageHits(), summed over proxies) per item.
CoverageReport measureCoverage(const CoverageRegistry& registry, const std::vector<uint64_t>& hits);

// "coverage: 3 of 4 items (75.0%)" and one line per item: HIT/MISS, requests, file:line, name.
std::string coverageText(const CoverageReport& report);

}  // namespace meshsim::sim::istio
