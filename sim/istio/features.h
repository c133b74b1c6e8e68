#pragma once

// File: sim/istio/features.h
//
// The Istio features meshsim implements, in one place: each is an Istio field (or a behaviour of
// the proxies Istio configures) that sim/istio/resources.cc reads and translate.cc turns into
// proxy configuration, or a part of the mesh the simulator models (telemetry, endpoint changes,
// workload calls). Conformance scenarios name the features they check (spec.conformance.features)
// and `meshsim conformance --list-features` lists which scenarios cover each; a test fails when a
// feature listed here has no scenario, so a field added to the translator needs a line here and
// a scenario.
//
// Example:
//   if (const istio::Feature* f = istio::findFeature("VirtualService.http.match.uri.prefix")) ...

#include <span>
#include <string_view>

namespace meshsim::sim::istio {

struct Feature {
  // Dotted like the Istio API: "VirtualService.http.match.uri.prefix".
  std::string_view name;
  // What meshsim does with it, in one line.
  std::string_view summary;
  // The Istio (or Envoy) documentation page that defines it.
  std::string_view doc;
};

// Every feature, sorted by name.
std::span<const Feature> features();

// The feature called `name`, or nullptr.
const Feature* findFeature(std::string_view name);

}  // namespace meshsim::sim::istio
