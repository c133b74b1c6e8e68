#include "sim/k8s/world.h"

#include <map>
#include <set>

namespace meshsim::sim::k8s {

namespace {

const std::string* findLabel(const Labels& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? nullptr : &it->second;
}

std::string firstLabel(const Labels& labels, std::initializer_list<std::string_view> keys,
                       const std::string& fallback) {
  for (auto k : keys) {
    if (const std::string* v = findLabel(labels, k); v != nullptr && !v->empty()) {
      return *v;
    }
  }
  return fallback;
}

bool isGatewayPod(const Labels& labels, const Labels& annotations) {
  if (findLabel(labels, "istio") != nullptr) {
    return true;  // istio=ingressgateway / egressgateway / a custom gateway name
  }
  const std::string* tmpl = findLabel(annotations, "inject.istio.io/templates");
  return tmpl != nullptr && *tmpl == "gateway";
}

Status duplicate(const std::string& kind, const ObjectMeta& meta, const ObjectMeta& first) {
  return invalidArgumentError(meta.location.toString() + ": " + kind + " " + meta.id() +
                              " is defined twice (first at " + first.location.toString() + ")");
}

}  // namespace

bool sidecarInjected(const Labels& namespace_labels, std::string_view namespace_name,
                     const Labels& pod_labels, const Labels& pod_annotations, bool host_network) {
  if (host_network || namespace_name == "kube-system" || namespace_name == "kube-public" ||
      namespace_name == "kube-node-lease" || namespace_name == "local-path-storage") {
    return false;
  }
  const std::string* ns_injection = findLabel(namespace_labels, "istio-injection");
  const std::string* ns_rev = findLabel(namespace_labels, "istio.io/rev");
  const std::string* pod_label = findLabel(pod_labels, "sidecar.istio.io/inject");
  const std::string* pod_rev = findLabel(pod_labels, "istio.io/rev");
  const std::string* pod_annotation = findLabel(pod_annotations, "sidecar.istio.io/inject");

  if (ns_injection != nullptr && *ns_injection == "disabled") {
    return false;
  }
  if ((ns_injection != nullptr && *ns_injection == "enabled") || ns_rev != nullptr) {
    // The webhook runs; the pod can opt out by label, or by the deprecated annotation when it
    // has no label.
    if (pod_label != nullptr) {
      return *pod_label != "false";
    }
    return pod_annotation == nullptr || *pod_annotation != "false";
  }
  // Namespace not enabled: only the pod label (or a revision label) invokes the webhook.
  if (pod_label != nullptr && *pod_label == "true") {
    return true;
  }
  return pod_rev != nullptr && (pod_label == nullptr || *pod_label != "false");
}

proxy::config::WorkloadInfoConstSharedPtr workloadInfo(const PodState& pod) {
  auto info = std::make_shared<proxy::config::WorkloadInfo>();
  info->workload = pod.workload;
  info->namespace_name = pod.namespace_name;
  info->pod = pod.name;
  info->app = firstLabel(pod.labels, {"app"}, "");
  info->version = firstLabel(pod.labels, {"version"}, "");
  info->canonical_service =
      firstLabel(pod.labels, {"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"},
                 pod.workload);
  info->canonical_revision = firstLabel(
      pod.labels, {"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"},
      "latest");
  info->service_account = pod.spec.service_account;
  info->principal = "spiffe://" + std::string(kClusterDomain) + "/ns/" + pod.namespace_name +
                    "/sa/" + pod.spec.service_account;
  return info;
}

StatusOr<World> World::build(const Resources& resources, const BuildOptions& options) {
  World w;
  w.resources_ = resources;
  const World* previous = options.previous;
  w.next_pod_ip_ = previous != nullptr ? previous->next_pod_ip_ : proxy::config::ipv4(10, 1, 0, 10);
  w.next_service_ip_ =
      previous != nullptr ? previous->next_service_ip_ : proxy::config::ipv4(10, 96, 0, 10);
  w.next_external_ip_ =
      previous != nullptr ? previous->next_external_ip_ : proxy::config::ipv4(192, 0, 2, 10);

  std::map<std::string, const Namespace*> namespaces;
  for (const auto& ns : resources.namespaces) {
    auto [it, inserted] = namespaces.emplace(ns.meta.name, &ns);
    if (!inserted) {
      return duplicate("Namespace", ns.meta, it->second->meta);
    }
  }
  const auto namespace_labels = [&](const std::string& name) -> Labels {
    auto it = namespaces.find(name);
    return it == namespaces.end() ? Labels{} : it->second->meta.labels;
  };

  std::map<std::string, const ObjectMeta*> pod_names;
  const auto add_pod = [&](PodState pod, const ObjectMeta& meta) -> Status {
    auto [it, inserted] = pod_names.emplace(pod.id(), &meta);
    if (!inserted) {
      return invalidArgumentError(meta.location.toString() + ": pod " + pod.id() +
                                  " would exist twice (also from " +
                                  it->second->location.toString() + ")");
    }
    const PodState* before =
        previous != nullptr ? previous->findPod(pod.namespace_name, pod.name) : nullptr;
    pod.ip = before != nullptr ? before->ip : w.next_pod_ip_++;
    pod.gateway = isGatewayPod(pod.labels, pod.annotations);
    pod.sidecar =
        !pod.gateway && sidecarInjected(namespace_labels(pod.namespace_name), pod.namespace_name,
                                        pod.labels, pod.annotations, pod.spec.host_network);
    pod.info = workloadInfo(pod);
    w.pods_.push_back(std::move(pod));
    return okStatus();
  };

  std::map<std::string, const ObjectMeta*> deployments;
  for (const auto& d : resources.deployments) {
    auto [it, inserted] = deployments.emplace(d.meta.id(), &d.meta);
    if (!inserted) {
      return duplicate("Deployment", d.meta, *it->second);
    }
    for (int i = 0, live = 0; live < d.replicas; ++i) {
      PodState pod;
      pod.name = d.meta.name + "-" + std::to_string(i);
      if (options.removed_pods.count(d.meta.namespace_name + "/" + pod.name) != 0) {
        continue;
      }
      ++live;
      pod.namespace_name = d.meta.namespace_name;
      pod.labels = d.template_labels;
      pod.annotations = d.template_annotations;
      pod.spec = d.pod;
      pod.workload = d.meta.name;
      pod.location = d.meta.location;
      MESHSIM_RETURN_IF_ERROR(add_pod(std::move(pod), d.meta));
    }
  }
  for (const auto& p : resources.pods) {
    if (options.removed_pods.count(p.meta.id()) != 0) {
      continue;
    }
    PodState pod;
    pod.name = p.meta.name;
    pod.namespace_name = p.meta.namespace_name;
    pod.labels = p.meta.labels;
    pod.annotations = p.meta.annotations;
    pod.spec = p.spec;
    pod.workload = p.meta.name;
    pod.location = p.meta.location;
    MESHSIM_RETURN_IF_ERROR(add_pod(std::move(pod), p.meta));
  }

  std::map<std::string, const ObjectMeta*> service_names;
  for (const auto& s : resources.services) {
    auto [it, inserted] = service_names.emplace(s.meta.id(), &s.meta);
    if (!inserted) {
      return duplicate("Service", s.meta, *it->second);
    }
    ServiceState st;
    st.spec = s;
    st.fqdn = s.meta.name + "." + s.meta.namespace_name + ".svc." + std::string(kClusterDomain);
    const ServiceState* before =
        previous != nullptr ? previous->findService(s.meta.namespace_name, s.meta.name) : nullptr;
    if (!s.headless) {
      st.cluster_ip =
          before != nullptr && before->cluster_ip != 0 ? before->cluster_ip : w.next_service_ip_++;
    }
    if (s.type == "LoadBalancer") {
      st.external_ip = before != nullptr && before->external_ip != 0 ? before->external_ip
                                                                     : w.next_external_ip_++;
    }
    st.info = std::make_shared<proxy::config::ServiceInfo>(
        proxy::config::ServiceInfo{st.fqdn, s.meta.name, s.meta.namespace_name});
    w.services_.push_back(std::move(st));
  }
  return w;
}

const ServiceState* World::findService(std::string_view namespace_name,
                                       std::string_view name) const {
  for (const auto& s : services_) {
    if (s.spec.meta.name == name && s.spec.meta.namespace_name == namespace_name) {
      return &s;
    }
  }
  return nullptr;
}

const ServiceState* World::findServiceByHost(std::string_view fqdn) const {
  for (const auto& s : services_) {
    if (s.fqdn == fqdn) {
      return &s;
    }
  }
  return nullptr;
}

const ServiceState* World::resolve(std::string_view name, std::string_view from_namespace) const {
  std::string n(name);
  if (!n.empty() && n.back() == '.') {
    n.pop_back();  // absolute name
    return findServiceByHost(n);
  }
  // The search path, in order, then the name as given.
  const std::string suffix = "svc." + std::string(kClusterDomain);
  for (const std::string& candidate :
       {n + "." + std::string(from_namespace) + "." + suffix, n + "." + suffix,
        n + "." + std::string(kClusterDomain), n}) {
    if (const ServiceState* s = findServiceByHost(candidate)) {
      return s;
    }
  }
  return nullptr;
}

std::optional<uint32_t> World::resolveAddress(std::string_view name,
                                              std::string_view from_namespace) const {
  if (const ServiceState* s = resolve(name, from_namespace)) {
    if (!s->spec.headless) {
      return s->cluster_ip;
    }
    const auto pods = selectedPods(*s);
    if (pods.empty()) {
      return std::nullopt;  // no A records
    }
    return pods_[pods.front()].ip;
  }
  // POD.SERVICE...: the first label names a pod of the headless Service the rest resolves to.
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0) {
    return std::nullopt;
  }
  const ServiceState* s = resolve(name.substr(dot + 1), from_namespace);
  if (s == nullptr || !s->spec.headless) {
    return std::nullopt;
  }
  const std::string_view pod_name = name.substr(0, dot);
  for (size_t i : selectedPods(*s)) {
    if (pods_[i].name == pod_name) {
      return pods_[i].ip;
    }
  }
  return std::nullopt;
}

std::vector<size_t> World::selectedPods(const ServiceState& service) const {
  std::vector<size_t> out;
  if (service.spec.selector.empty()) {
    return out;
  }
  for (size_t i = 0; i < pods_.size(); ++i) {
    const PodState& pod = pods_[i];
    if (pod.ready && pod.namespace_name == service.spec.meta.namespace_name &&
        selectorMatches(service.spec.selector, pod.labels)) {
      out.push_back(i);
    }
  }
  return out;
}

const PodState* World::findPod(std::string_view namespace_name, std::string_view name) const {
  for (const auto& p : pods_) {
    if (p.name == name && p.namespace_name == namespace_name) {
      return &p;
    }
  }
  return nullptr;
}

std::vector<EndpointAddress> World::endpoints(const ServiceState& service,
                                              const ServicePort& port) const {
  std::vector<EndpointAddress> out;
  if (service.spec.selector.empty()) {
    return out;  // a Service without selector has manually written endpoints only
  }
  for (size_t i = 0; i < pods_.size(); ++i) {
    const PodState& pod = pods_[i];
    if (!pod.ready || pod.namespace_name != service.spec.meta.namespace_name ||
        !selectorMatches(service.spec.selector, pod.labels)) {
      continue;
    }
    int target = port.target_port_number.value_or(port.port);
    if (!port.target_port_name.empty()) {
      target = 0;
      for (const auto& cp : pod.spec.ports) {
        if (cp.name == port.target_port_name) {
          target = cp.port;
          break;
        }
      }
      if (target == 0) {
        continue;  // this pod has no container port of that name
      }
    }
    out.push_back({i, static_cast<uint16_t>(target)});
  }
  return out;
}

std::vector<const ServiceState*> World::servicesOf(const PodState& pod) const {
  std::vector<const ServiceState*> out;
  for (const auto& s : services_) {
    if (!s.spec.selector.empty() && s.spec.meta.namespace_name == pod.namespace_name &&
        selectorMatches(s.spec.selector, pod.labels)) {
      out.push_back(&s);
    }
  }
  return out;
}

}  // namespace meshsim::sim::k8s
