#pragma once

// File: sim/istio/mesh_config.h
//
// Istio's mesh-wide configuration (MeshConfig, istio.io/api mesh/v1alpha1/config.proto), as
// istiod reads it: the `mesh` key of the ConfigMap `istio` in the istiod namespace
// (istio-system), YAML whose fields override the defaults (pkg/config/mesh ApplyMeshConfig).
// Fails closed: a field that would change traffic in a way meshsim does not model is refused
// with its file, line and path unless it holds Istio's default; fields that cannot change the
// simulated traffic (access-log format, tracing providers, certificates, ...) are accepted.
//
// Example:
//   apiVersion: v1
//   kind: ConfigMap
//   metadata: {name: istio, namespace: istio-system}
//   data:
//     mesh: |-
//       outboundTrafficPolicy:
//         mode: REGISTRY_ONLY

#include <string>
#include <string_view>

#include "proxy/core/status.h"
#include "sim/k8s/resources.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::istio {

struct MeshConfig {
  k8s::ObjectMeta meta;  // of the ConfigMap; empty when the defaults apply
  // outboundTrafficPolicy.mode: ALLOW_ANY (Istio's default) or REGISTRY_ONLY. A Sidecar's own
  // outboundTrafficPolicy overrides it for its workloads.
  bool outbound_allow_any = true;
};

// Whether a ConfigMap is the one istiod reads its MeshConfig from.
bool isMeshConfigMap(std::string_view namespace_name, std::string_view name);

// Parses the ConfigMap document `doc` (its root is the ConfigMap). The `mesh` text is located in
// the file as a block scalar is (`mesh: |`), so errors name the line of the field.
StatusOr<MeshConfig> parseMeshConfigMap(const yaml::Document& doc, k8s::ObjectMeta meta);

}  // namespace meshsim::sim::istio
