#pragma once

// File: sim/k8s/ingress.h
//
// Gateway discovery, in one place: which Service an outside client's traffic enters the mesh
// by, at which address, and which gateway pods and ports that leads to. The scenario runner and
// the embedding API (`from: ingress`, through Mesh::ingressAddress), `meshsim explain` (the first
// hop) and `meshsim serve` (the listener behind --port) all ask findIngress().
//
// Example:
//   auto ingress = findIngress(world, "", 80);   // the default ingress gateway, port 80
//   // ingress->ip: 192.0.2.10; ingress->endpoints.front(): {gateway pod index, 8080}

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/k8s/world.h"

namespace meshsim::sim::k8s {

struct Ingress {
  const ServiceState* service = nullptr;
  // The address outside clients connect to: the Service's LoadBalancer address, else its
  // ClusterIP, and the port asked for.
  uint32_t ip = 0;
  uint16_t port = 0;
  // The Service's port of that number; null when it has none (a connection there is refused).
  const ServicePort* service_port = nullptr;
  // Where kube-proxy sends such a connection: the ready gateway pods behind the port and their
  // target ports, in pod order (the first is what `meshsim explain` shows). Empty when none.
  std::vector<EndpointAddress> endpoints;
};

// `gateway_service`: "" for the default ingress gateway, the first LoadBalancer Service labelled
// istio=ingressgateway (Istio's istio-ingressgateway), else "namespace/name" of any Service.
// `port`: the Service port clients connect to; nullopt for its HTTP port (80 when it has one,
// else its first). FailedPrecondition when there is no default ingress gateway, InvalidArgument
// for a name without a namespace, NotFound for a Service that does not exist.
StatusOr<Ingress> findIngress(const World& world, const std::string& gateway_service,
                              std::optional<uint16_t> port = std::nullopt);

}  // namespace meshsim::sim::k8s
