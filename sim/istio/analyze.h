#pragma once

// File: sim/istio/analyze.h
//
// What `istioctl analyze` reports about a set of manifests, in its codes, levels and wording
// (istio/istio pkg/config/analysis/msg/messages.yaml and the analyzers under
// pkg/config/analysis/analyzers), computed over one world: every manifest given is analysed
// together, as istioctl analyses all the files it is given as one source.
//
//   IST0101 ReferencedResourceNotFound (Error)       a Gateway selector that matches no pod, a
//           VirtualService's gateway, destination host or host+subset that does not exist
//           (found while translating, see translate.h)
//   IST0104 GatewayPortNotOnWorkload (Warning)        a Gateway server port that no Service of the
//           gateway pods exposes (TCP)
//   IST0109 ConflictingMeshGatewayVirtualServiceHosts (Error)  two VirtualServices bound to the
//           mesh gateway define the same host in the same exportTo scope
//   IST0101 also: a Sidecar's workloadSelector that matches no pod of its namespace
//   IST0110 ConflictingSidecarWorkloadSelectors (Error)  two Sidecars select one pod
//   IST0111 MultipleSidecarsWithoutWorkloadSelectors (Error)  two Sidecars without selector
//           in one namespace
//   IST0118 PortNameIsNotUnderNamingConvention (Info) a Service port whose name (or appProtocol)
//           does not give Istio its protocol
//   IST0130 VirtualServiceUnreachableRule (Warning)   an HTTP rule no request can reach
//   IST0131 VirtualServiceIneffectiveMatch (Info)     a match that repeats or is covered by an
//           earlier one
//   IST0132 VirtualServiceHostNotFoundInGateway (Warning)  none of a VirtualService's hosts is
//           served by a Gateway it names
//   IST0145 ConflictingGateways (Error)               two Gateways with the same selector and
//           port claim overlapping hosts
//
//   auto messages = analyze(world, resources, translation.analysis);
//   for (const auto& m : messages) std::cout << m.toString() << "\n";
//   // Error [IST0101] (VirtualService default/x gw.yaml:12) Referenced gateway not found: "nope"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/istio/resources.h"
#include "sim/k8s/world.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::istio {

// istioctl's levels, most severe last (Info < Warning < Error).
enum class AnalysisLevel { Info, Warning, Error };

// "Info", "Warning", "Error".
const char* toString(AnalysisLevel level);
// Parses "Info", "Warning" or "Error" (any case), as --failure-threshold takes them.
std::optional<AnalysisLevel> parseAnalysisLevel(std::string_view text);

// One message of the analysis, about one resource.
struct AnalysisMessage {
  std::string code;  // "IST0101"
  AnalysisLevel level = AnalysisLevel::Error;
  std::string kind;         // of the resource: "VirtualService"
  std::string resource;     // "namespace/name"
  yaml::Location location;  // where in the manifests: the resource, or the field at fault
  std::string message;      // istioctl's text, e.g. "Referenced gateway not found: \"nope\""

  // "VirtualService default/x", istioctl's origin.
  std::string origin() const;
  // "file:line" (istioctl's reference), or "" when the location is unknown.
  std::string reference() const;
  // https://istio.io/latest/docs/reference/config/analysis/ist0101/
  std::string documentationUrl() const;
  // "Error [IST0101] (VirtualService default/x file:12) Referenced gateway not found: \"nope\"",
  // istioctl analyze's log line.
  std::string toString() const;
};

// The message IST0101 ReferencedResourceNotFound: "Referenced REFTYPE not found: "REFVAL"".
AnalysisMessage referencedResourceNotFound(std::string kind, const k8s::ObjectMeta& meta,
                                           yaml::Location at, std::string_view reftype,
                                           std::string_view refval);

// Every analyzer above over `world` (the Kubernetes objects) and `istio`, plus `found` (the
// messages the translation found, IST0101), sorted as istioctl sorts them (Error first, then by
// code, origin and text) without duplicates.
std::vector<AnalysisMessage> analyze(const k8s::World& world, const Resources& istio,
                                     const std::vector<AnalysisMessage>& found);

// istioctl analyze -o json: a JSON array of {"code", "documentationUrl", "level", "message",
// "origin", "reference"} (keys in that order, as Go writes a map), tab-indented; "[]" when empty.
std::string analysisJson(const std::vector<AnalysisMessage>& messages);
// istioctl analyze -o yaml: the same objects as a YAML sequence ("[]" when empty).
std::string analysisYaml(const std::vector<AnalysisMessage>& messages);

}  // namespace meshsim::sim::istio
