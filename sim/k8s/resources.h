#pragma once

// File: sim/k8s/resources.h
//
// The Kubernetes resources the simulator models, as typed values parsed from manifests:
// Namespace, Deployment, Pod and Service. Each remembers where it was written.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy/core/status.h"
#include "sim/yaml/document.h"

namespace meshsim::sim::k8s {

using Labels = std::map<std::string, std::string>;

struct ObjectMeta {
  std::string name;
  std::string namespace_name = "default";
  Labels labels;
  Labels annotations;
  yaml::Location location;
  // "default/hello"
  std::string id() const { return namespace_name + "/" + name; }
};

// Whether `labels` contains every key/value of `selector` (an empty selector selects all).
bool selectorMatches(const Labels& selector, const Labels& labels);
// "app=hello,version=v1"
std::string labelsToString(const Labels& labels);

struct ContainerPort {
  std::string name;
  int port = 0;
};

struct PodSpec {
  std::string service_account = "default";
  std::vector<ContainerPort> ports;  // of all containers
  bool host_network = false;
};

struct Namespace {
  ObjectMeta meta;
};

struct Deployment {
  ObjectMeta meta;
  int replicas = 1;
  Labels selector;  // spec.selector.matchLabels
  Labels template_labels;
  Labels template_annotations;
  PodSpec pod;
};

struct Pod {
  ObjectMeta meta;
  PodSpec spec;
};

struct ServicePort {
  std::string name;
  int port = 0;
  // Either a number or the name of a container port; defaults to `port`.
  std::optional<int> target_port_number;
  std::string target_port_name;
  std::string protocol = "TCP";
  std::string app_protocol;
};

struct Service {
  ObjectMeta meta;
  std::string type = "ClusterIP";
  // clusterIP: None. No virtual IP: its name resolves to the pods' addresses, and each selected
  // pod to POD.SERVICE.NAMESPACE.svc.cluster.local.
  bool headless = false;
  Labels selector;
  std::vector<ServicePort> ports;
};

struct Resources {
  std::vector<Namespace> namespaces;
  std::vector<Deployment> deployments;
  std::vector<Pod> pods;
  std::vector<Service> services;
};

// Parses the metadata block of any resource. `context` names the resource in errors.
StatusOr<ObjectMeta> parseMeta(const yaml::Document& doc, const YAML::Node& node,
                               const std::string& kind);

// Parse one resource of the kind in `doc`. The document's `metadata` is parsed into `meta`.
StatusOr<Namespace> parseNamespace(const yaml::Document& doc, ObjectMeta meta);
StatusOr<Deployment> parseDeployment(const yaml::Document& doc, ObjectMeta meta);
StatusOr<Pod> parsePod(const yaml::Document& doc, ObjectMeta meta);
StatusOr<Service> parseService(const yaml::Document& doc, ObjectMeta meta);

}  // namespace meshsim::sim::k8s
