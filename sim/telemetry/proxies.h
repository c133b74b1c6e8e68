#pragma once

// File: sim/telemetry/proxies.h
//
// What telemetry reads from a mesh: its proxies (gateways and sidecars), each with its Istio
// stats, its access log and the workload it runs in. Telemetry takes them as a plain list, never
// the mesh itself, so that it sits below sim::Mesh (tests/check_layering.sh): the mesh, the
// driver and the front ends pass `mesh.proxies()`.

#include <memory>
#include <span>

#include "proxy/proxy.h"

namespace meshsim::sim::telemetry {

// The proxies of a mesh, in the mesh's order (sim::Mesh::proxies()).
using ProxyList = std::span<const std::unique_ptr<proxy::Proxy>>;

}  // namespace meshsim::sim::telemetry
