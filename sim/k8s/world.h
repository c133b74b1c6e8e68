#pragma once

// File: sim/k8s/world.h
//
// The Kubernetes side of the virtual world, built from resources the way a cluster would:
// Deployments expanded into Pods (NAME-0 .. NAME-N-1, template labels), pod and Service IPs,
// Endpoints from selectors (named target ports resolved per pod), cluster DNS and sidecar
// injection (the webhook's rules, see the reference section 7.3).
//
// Addresses: pods get 10.1.0.10 and up in creation order, Services 10.96.0.10 and up,
// LoadBalancer Services an external address 192.0.2.10 and up (TEST-NET-1).

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/iterator/indirect_iterator.hpp>

#include "proxy/config/proxy_config.h"
#include "proxy/core/status.h"
#include "sim/k8s/resources.h"

namespace meshsim::sim::k8s {

struct PodState {
  std::string name;
  std::string namespace_name;
  Labels labels;
  Labels annotations;
  PodSpec spec;
  // The owning Deployment's name, or the pod's own name for a bare Pod.
  std::string workload;
  uint32_t ip = 0;
  bool sidecar = false;  // an istio-proxy was injected
  bool gateway = false;  // the pod is an Istio gateway proxy (label "istio", e.g. ingressgateway)
  bool ready = true;
  yaml::Location location;
  proxy::config::WorkloadInfoConstSharedPtr info;

  std::string id() const { return namespace_name + "/" + name; }
};

using PodStateConstSharedPtr = std::shared_ptr<const PodState>;

// The pods of a world, in creation order, indexed like a vector. A pod that is the same in the
// next world (after an event that did not touch it) is the same object there, so a PodState
// stays valid as long as any world or holder of its shared pointer keeps it.
class PodList {
public:
  using const_iterator =
      boost::indirect_iterator<std::vector<PodStateConstSharedPtr>::const_iterator>;
  const PodState& operator[](size_t i) const { return *pods_[i]; }
  const PodState& at(size_t i) const { return *pods_.at(i); }
  const PodState& front() const { return *pods_.front(); }
  const PodState& back() const { return *pods_.back(); }
  size_t size() const { return pods_.size(); }
  bool empty() const { return pods_.empty(); }
  const_iterator begin() const { return const_iterator(pods_.begin()); }
  const_iterator end() const { return const_iterator(pods_.end()); }
  const PodStateConstSharedPtr& shared(size_t i) const { return pods_[i]; }

private:
  friend class World;
  std::vector<PodStateConstSharedPtr> pods_;
};

struct EndpointAddress {
  size_t pod;  // index into World::pods()
  uint16_t port;
};

struct ServiceState {
  Service spec;
  std::string fqdn;         // hello.default.svc.cluster.local
  uint32_t cluster_ip = 0;  // 0 for a headless Service

  uint32_t external_ip = 0;  // LoadBalancer only
  proxy::config::ServiceInfoConstSharedPtr info;
};

struct BuildOptions {
  // The world this one follows (after an apply, delete or scale): pods and Services that exist
  // in both keep their addresses, new ones get addresses never used before.
  const class World* previous = nullptr;
  // Pods that were killed ("namespace/name"): never recreated. A Deployment skips their names and
  // keeps counting, so it still has `replicas` pods.
  std::set<std::string> removed_pods;
};

class World {
public:
  // Builds the world. Fails on duplicate names and impossible references.
  static StatusOr<World> build(const Resources& resources, const BuildOptions& options = {});

  const PodList& pods() const { return pods_; }
  const std::vector<ServiceState>& services() const { return services_; }
  const Resources& resources() const { return resources_; }

  const ServiceState* findService(std::string_view namespace_name, std::string_view name) const;
  // Finds a service by its FQDN ("hello.default.svc.cluster.local").
  const ServiceState* findServiceByHost(std::string_view fqdn) const;
  // Resolves a DNS name as a pod in `from_namespace` would (search path
  // "<ns>.svc.cluster.local svc.cluster.local cluster.local"): "hello", "hello.default",
  // "hello.default.svc", the FQDN. Returns nullptr when no Service has that name.
  const ServiceState* resolve(std::string_view name, std::string_view from_namespace) const;
  // The address a DNS lookup from `from_namespace` answers, with the same search path: a
  // Service's ClusterIP; for a headless Service the first ready pod it selects (its A records,
  // in pod order), and for POD.SERVICE[.NAMESPACE[.svc[.cluster.local]]] that pod when the
  // headless Service selects it and it is ready (the records a StatefulSet's pods get).
  std::optional<uint32_t> resolveAddress(std::string_view name,
                                         std::string_view from_namespace) const;
  const PodState* findPod(std::string_view namespace_name, std::string_view name) const;
  // The index of `pod` in pods(), or npos when it is not a pod of this world.
  static constexpr size_t npos = static_cast<size_t>(-1);
  size_t indexOf(const PodState& pod) const;

  // Ready endpoints of `port` of `service`: pods in the service's namespace whose labels contain
  // the selector, with the target port resolved for each pod.
  std::vector<EndpointAddress> endpoints(const ServiceState& service,
                                         const ServicePort& port) const;
  // Ready pods the service selects (indexes into pods()), in pod order.
  std::vector<size_t> selectedPods(const ServiceState& service) const;
  // Services in the pod's namespace that select it, in definition order.
  std::vector<const ServiceState*> servicesOf(const PodState& pod) const;

private:
  // Fills the look-up tables below (names, hosts, selections): no call scans every pod or
  // every Service.
  void index();

  Resources resources_;
  PodList pods_;
  std::vector<ServiceState> services_;
  std::unordered_map<std::string, size_t> pod_by_id_;        // "ns/name" -> index
  std::unordered_map<const PodState*, size_t> pod_index_;    // object -> index
  std::unordered_map<std::string, size_t> service_by_id_;    // "ns/name" -> index
  std::unordered_map<std::string, size_t> service_by_host_;  // FQDN -> index
  std::vector<std::vector<size_t>> selected_;   // per Service: the pods its selector picks
  std::vector<std::vector<size_t>> selecting_;  // per pod: the Services selecting it
  // The next free address of each kind, carried from world to world.
  uint32_t next_pod_ip_ = 0;
  uint32_t next_service_ip_ = 0;
  uint32_t next_external_ip_ = 0;
};

// Whether a pod with these labels and annotations runs an Istio gateway rather than an app: it
// has an `istio` label (istio=ingressgateway, a custom gateway's name) or Istio's gateway
// injection template (inject.istio.io/templates: gateway).
bool isGatewayPod(const Labels& labels, const Labels& annotations);

// Whether the injection webhook would add a sidecar to a pod with these labels and annotations
// in a namespace with `namespace_labels`.
bool sidecarInjected(const Labels& namespace_labels, std::string_view namespace_name,
                     const Labels& pod_labels, const Labels& pod_annotations, bool host_network);

// Builds the workload identity Istio derives for a pod (canonical service/revision, principal).
proxy::config::WorkloadInfoConstSharedPtr workloadInfo(const PodState& pod);

inline constexpr std::string_view kClusterDomain = "cluster.local";

}  // namespace meshsim::sim::k8s
