#pragma once

// File: sim/istio/resources.h
//
// Istio networking resources as typed values: Gateway and VirtualService
// (networking.istio.io v1alpha3, v1beta1 and v1 share one schema). Fields that Istio defines
// but the simulator does not model yet are rejected with a message that says so, rather than
// silently ignored.

#include <optional>
#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/k8s/resources.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::istio {

struct Port {
  int number = 0;
  std::string name;
  std::string protocol;  // upper-cased
};

struct Server {
  Port port;
  std::vector<std::string> hosts;
  std::string name;
  yaml::Location location;
};

struct Gateway {
  k8s::ObjectMeta meta;
  k8s::Labels selector;
  std::vector<Server> servers;
};

struct StringMatch {
  enum class Kind { Exact, Prefix };
  Kind kind = Kind::Prefix;
  std::string value;
};

struct HttpMatchRequest {
  std::string name;
  std::optional<StringMatch> uri;
};

struct Destination {
  std::string host;
  std::string subset;
  int port = 0;  // 0: not given
};

struct HttpRouteDestination {
  Destination destination;
  std::optional<int> weight;
  yaml::Location location;
};

struct HttpRoute {
  std::string name;
  std::vector<HttpMatchRequest> match;
  std::vector<HttpRouteDestination> route;
  yaml::Location location;
  std::string path;  // "spec.http[0]"
};

struct VirtualService {
  k8s::ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;  // as written; empty means ["mesh"]
  std::vector<std::string> export_to;
  std::vector<HttpRoute> http;
};

StatusOr<Gateway> parseGateway(const yaml::Document& doc, k8s::ObjectMeta meta);
StatusOr<VirtualService> parseVirtualService(const yaml::Document& doc, k8s::ObjectMeta meta);

struct Resources {
  std::vector<Gateway> gateways;
  std::vector<VirtualService> virtual_services;
};

}  // namespace meshsim::sim::istio
