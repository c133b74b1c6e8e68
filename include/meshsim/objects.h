#pragma once

// File: meshsim/objects.h
//
// Typed Kubernetes objects for building a mesh from C++ instead of YAML: Namespace, Deployment
// and Service with the fields that matter to routing, and Workload, the usual trio of a
// Deployment, the Service in front of it and (optionally) a custom C++ app. They go through the
// same validation as YAML; errors name the object ("Deployment default/hello: ...").
//
// Example:
//   meshsim::MeshBuilder()
//       .addWorkload({.name = "hello-v1", .app = "hello", .version = "v1"})
//       .addWorkload({.name = "hello-v2", .app = "hello", .version = "v2",
//                     .handler = [](const meshsim::ReceivedRequest&) {
//                       return meshsim::Response::make(200, "v2");
//                     }});

#include <string>
#include <vector>

#include "meshsim/http.h"

namespace meshsim {

struct Namespace {
  std::string name{};
  // Labels the namespace istio-injection=enabled, so its pods get sidecars.
  bool sidecar_injection = true;
  Labels labels{};
};

struct Deployment {
  std::string name{};
  std::string namespace_name = "default";
  int replicas = 1;
  // The pod template's labels, and the Deployment's selector.
  Labels labels{};
  Labels annotations{};  // the pod template's
  // Container ports (named "http" for the first, "port-N" for the others).
  std::vector<int> ports = {8080};
  std::string service_account = "default";
};

struct ServicePort {
  int port = 80;
  // 0: the same as `port`.
  int target_port = 0;
  std::string name = "http";
};

struct Service {
  std::string name{};
  std::string namespace_name = "default";
  // "ClusterIP" or "LoadBalancer" (which gets an external address, like an ingress gateway's).
  std::string type = "ClusterIP";
  Labels selector{};
  std::vector<ServicePort> ports = {ServicePort{}};
  Labels labels{};
};

// A Deployment `name` whose pods are labelled app=`app` and version=`version` (plus `labels`),
// listening on `target_port`, behind the Service `app` on `port`. Workloads sharing an app (the
// versions of a canary) share that Service: the first one creates it.
struct Workload {
  std::string name{};
  std::string namespace_name = "default";
  // The app label and the Service's name; empty: `name`.
  std::string app{};
  std::string version = "v1";
  int replicas = 1;
  int port = 80;
  int target_port = 8080;
  Labels labels{};
  // Whether the pods get a sidecar, whatever the namespace says (the sidecar.istio.io/inject
  // label).
  bool sidecar = true;
  // The app: empty for the echo app (200 and a JSON description of the pod and the request).
  Handler handler{};
};

}  // namespace meshsim
