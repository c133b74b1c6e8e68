#include "sim/k8s/world.h"

#include <algorithm>
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

bool samePorts(const std::vector<ContainerPort>& a, const std::vector<ContainerPort>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const ContainerPort& x, const ContainerPort& y) {
                      return x.name == y.name && x.port == y.port;
                    });
}

// Whether a pod of the next world is the pod of the previous one, unchanged.
bool samePod(const PodState& a, const PodState& b) {
  return a.name == b.name && a.namespace_name == b.namespace_name && a.labels == b.labels &&
         a.annotations == b.annotations && a.spec.service_account == b.spec.service_account &&
         a.spec.host_network == b.spec.host_network && samePorts(a.spec.ports, b.spec.ports) &&
         a.workload == b.workload && a.ip == b.ip && a.sidecar == b.sidecar &&
         a.gateway == b.gateway && a.ready == b.ready && a.location.file == b.location.file &&
         a.location.line == b.location.line && a.location.column == b.location.column;
}

Status duplicate(const std::string& kind, const ObjectMeta& meta, const ObjectMeta& first) {
  return invalidArgumentError(meta.location.toString() + ": " + kind + " " + meta.id() +
                              " is defined twice (first at " + first.location.toString() + ")");
}

}  // namespace

bool isGatewayPod(const Labels& labels, const Labels& annotations) {
  if (findLabel(labels, "istio") != nullptr) {
    return true;  // istio=ingressgateway / egressgateway / a custom gateway name
  }
  const std::string* tmpl = findLabel(annotations, "inject.istio.io/templates");
  return tmpl != nullptr && *tmpl == "gateway";
}

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
    if (before != nullptr && samePod(pod, *before)) {
      // Unchanged: the same object, so what holds it from the previous world stays current.
      w.pods_.pods_.push_back(previous->pods_.shared(previous->indexOf(*before)));
      return okStatus();
    }
    pod.info = workloadInfo(pod);
    w.pods_.pods_.push_back(std::make_shared<const PodState>(std::move(pod)));
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
  w.index();
  return w;
}

void World::index() {
  pod_by_id_.clear();
  pod_index_.clear();
  service_by_id_.clear();
  service_by_host_.clear();
  pod_by_id_.reserve(pods_.size());
  pod_index_.reserve(pods_.size());
  // Pods by namespace and label: a selector's first label narrows the candidates.
  std::unordered_map<std::string, std::vector<size_t>> by_label;
  const auto labelKey = [](const std::string& ns, const std::string& k, const std::string& v) {
    std::string key;
    key.reserve(ns.size() + k.size() + v.size() + 2);
    key.append(ns).push_back('\0');
    key.append(k).push_back('\0');
    key.append(v);
    return key;
  };
  for (size_t i = 0; i < pods_.size(); ++i) {
    const PodState& p = pods_[i];
    pod_by_id_.emplace(p.id(), i);
    pod_index_.emplace(&p, i);
    for (const auto& [k, v] : p.labels) {
      by_label[labelKey(p.namespace_name, k, v)].push_back(i);
    }
  }
  selected_.assign(services_.size(), {});
  selecting_.assign(pods_.size(), {});
  for (size_t s = 0; s < services_.size(); ++s) {
    const ServiceState& svc = services_[s];
    service_by_id_.emplace(svc.spec.meta.id(), s);
    service_by_host_.emplace(svc.fqdn, s);
    const Labels& selector = svc.spec.selector;
    if (selector.empty()) {
      continue;  // a Service without selector has manually written endpoints only
    }
    const auto& [k, v] = *selector.begin();
    auto it = by_label.find(labelKey(svc.spec.meta.namespace_name, k, v));
    if (it == by_label.end()) {
      continue;
    }
    for (size_t i : it->second) {
      if (selectorMatches(selector, pods_[i].labels)) {
        selected_[s].push_back(i);
        selecting_[i].push_back(s);
      }
    }
  }
}

const ServiceState* World::findService(std::string_view namespace_name,
                                       std::string_view name) const {
  std::string id;
  id.reserve(namespace_name.size() + name.size() + 1);
  id.append(namespace_name).append("/").append(name);
  auto it = service_by_id_.find(id);
  return it == service_by_id_.end() ? nullptr : &services_[it->second];
}

const ServiceState* World::findServiceByHost(std::string_view fqdn) const {
  auto it = service_by_host_.find(std::string(fqdn));
  return it == service_by_host_.end() ? nullptr : &services_[it->second];
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
  if (&service < services_.data() || &service >= services_.data() + services_.size()) {
    return out;  // not a Service of this world
  }
  for (size_t i : selected_[static_cast<size_t>(&service - services_.data())]) {
    if (pods_[i].ready) {
      out.push_back(i);
    }
  }
  return out;
}

const PodState* World::findPod(std::string_view namespace_name, std::string_view name) const {
  std::string id;
  id.reserve(namespace_name.size() + name.size() + 1);
  id.append(namespace_name).append("/").append(name);
  auto it = pod_by_id_.find(id);
  return it == pod_by_id_.end() ? nullptr : &pods_[it->second];
}

size_t World::indexOf(const PodState& pod) const {
  auto it = pod_index_.find(&pod);
  return it == pod_index_.end() ? npos : it->second;
}

std::vector<EndpointAddress> World::endpoints(const ServiceState& service,
                                              const ServicePort& port) const {
  std::vector<EndpointAddress> out;
  if (service.spec.selector.empty()) {
    return out;  // a Service without selector has manually written endpoints only
  }
  if (&service < services_.data() || &service >= services_.data() + services_.size()) {
    return out;  // not a Service of this world
  }
  for (size_t i : selected_[static_cast<size_t>(&service - services_.data())]) {
    const PodState& pod = pods_[i];
    if (!pod.ready) {
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
  const size_t i = indexOf(pod);
  if (i == npos) {
    return out;  // not a pod of this world
  }
  for (size_t s : selecting_[i]) {
    out.push_back(&services_[s]);
  }
  return out;
}

}  // namespace meshsim::sim::k8s
