#include "sim/k8s/ingress.h"

namespace meshsim::sim::k8s {

StatusOr<Ingress> findIngress(const World& world, const std::string& gateway_service,
                              std::optional<uint16_t> port) {
  Ingress ingress;
  if (gateway_service.empty()) {
    for (const auto& svc : world.services()) {
      auto it = svc.spec.meta.labels.find("istio");
      if (svc.spec.type == "LoadBalancer" && it != svc.spec.meta.labels.end() &&
          it->second == "ingressgateway") {
        ingress.service = &svc;
        break;
      }
    }
    if (ingress.service == nullptr) {
      return failedPreconditionError(
          "no default ingress gateway: no LoadBalancer Service labelled istio=ingressgateway "
          "(scenarios and the meshsim CLI get Istio's default one unless they define a gateway "
          "of their own; name another with ingress/NAMESPACE/SERVICE)");
    }
  } else {
    const size_t slash = gateway_service.find('/');
    if (slash == std::string::npos) {
      return invalidArgumentError("gateway service \"" + gateway_service +
                                  "\" must be NAMESPACE/NAME");
    }
    ingress.service =
        world.findService(gateway_service.substr(0, slash), gateway_service.substr(slash + 1));
    if (ingress.service == nullptr) {
      return notFoundError("no Service " + gateway_service);
    }
  }
  const ServiceState& svc = *ingress.service;
  ingress.ip = svc.external_ip != 0 ? svc.external_ip : svc.cluster_ip;
  for (const auto& sp : svc.spec.ports) {
    const bool wanted = port ? sp.port == *port : sp.port == 80;
    if (wanted) {
      ingress.service_port = &sp;
      break;
    }
  }
  if (!port && ingress.service_port == nullptr && !svc.spec.ports.empty()) {
    ingress.service_port = &svc.spec.ports.front();
  }
  if (ingress.service_port != nullptr) {
    ingress.port = static_cast<uint16_t>(ingress.service_port->port);
    ingress.endpoints = world.endpoints(svc, *ingress.service_port);
  } else {
    ingress.port = port.value_or(80);
  }
  return ingress;
}

}  // namespace meshsim::sim::k8s
