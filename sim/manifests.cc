#include "sim/manifests.h"

#include <algorithm>
#include <filesystem>
#include <iterator>

namespace meshsim::sim {

namespace {

struct KindRef {
  std::string_view group;  // "" for the core group (apiVersion v1)
  std::string_view kind;
};

// Kinds that can change where traffic goes or whether it is allowed, and that meshsim does not
// model yet. Loading one is an error ("not modelled yet; --allow-unmodelled to run without it"):
// running as if it were absent would pass or fail scenarios a cluster would not. When a kind
// becomes modelled, its line leaves this table and addObject() parses it.
constexpr KindRef kUnmodelledKinds[] = {
    {"networking.istio.io", "EnvoyFilter"},
    {"networking.istio.io", "WorkloadEntry"},
    {"networking.istio.io", "WorkloadGroup"},
    {"networking.istio.io", "ProxyConfig"},
    {"security.istio.io", "PeerAuthentication"},
    {"security.istio.io", "AuthorizationPolicy"},
    {"security.istio.io", "RequestAuthentication"},
    {"telemetry.istio.io", "Telemetry"},  // changes the metrics scenarios assert on
    {"extensions.istio.io", "WasmPlugin"},
    {"gateway.networking.k8s.io", "GatewayClass"},
    {"gateway.networking.k8s.io", "Gateway"},
    {"gateway.networking.k8s.io", "HTTPRoute"},
    {"gateway.networking.k8s.io", "GRPCRoute"},
    {"gateway.networking.k8s.io", "TCPRoute"},
    {"gateway.networking.k8s.io", "TLSRoute"},
    {"gateway.networking.k8s.io", "UDPRoute"},
    {"gateway.networking.k8s.io", "ReferenceGrant"},
    {"gateway.networking.k8s.io", "BackendTLSPolicy"},
    {"networking.k8s.io", "Ingress"},
    {"networking.k8s.io", "NetworkPolicy"},
    {"", "Endpoints"},  // endpoints of a Service without a selector
    {"discovery.k8s.io", "EndpointSlice"},
    {"", "ReplicationController"},
    {"apps", "ReplicaSet"},  // pods that Services select
    {"apps", "StatefulSet"},
    {"apps", "DaemonSet"},
    {"batch", "Job"},
    {"batch", "CronJob"},
};

// Kinds found in real manifests (Helm charts, `kubectl get -o yaml`) that cannot change where
// traffic goes or whether it is allowed: skipped. docs/scenarios.md lists them.
constexpr KindRef kSkippedKinds[] = {
    {"", "ServiceAccount"},
    {"", "ConfigMap"},
    {"", "Secret"},
    {"", "PersistentVolumeClaim"},
    {"", "PersistentVolume"},
    {"", "LimitRange"},
    {"", "ResourceQuota"},
    {"", "Event"},
    {"rbac.authorization.k8s.io", "Role"},
    {"rbac.authorization.k8s.io", "RoleBinding"},
    {"rbac.authorization.k8s.io", "ClusterRole"},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
    {"autoscaling", "HorizontalPodAutoscaler"},
    {"policy", "PodDisruptionBudget"},
    {"apiextensions.k8s.io", "CustomResourceDefinition"},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
    {"scheduling.k8s.io", "PriorityClass"},
    {"storage.k8s.io", "StorageClass"},
    {"networking.k8s.io", "IngressClass"},
    {"coordination.k8s.io", "Lease"},
    {"monitoring.coreos.com", "ServiceMonitor"},
    {"monitoring.coreos.com", "PodMonitor"},
    {"monitoring.coreos.com", "PrometheusRule"},
};

// The kinds addObject() turns into resources, with the API versions it accepts for them.
struct ModelledKind {
  std::string_view kind;
  std::vector<std::string_view> api_versions;
};
const std::vector<std::string_view> kIstioNetworking = {
    "networking.istio.io/v1alpha3", "networking.istio.io/v1beta1", "networking.istio.io/v1"};
const ModelledKind kModelledKinds[] = {
    {"Namespace", {"v1"}},
    {"Service", {"v1"}},
    {"Pod", {"v1"}},
    {"Deployment", {"apps/v1"}},
    {"Gateway", kIstioNetworking},
    {"VirtualService", kIstioNetworking},
    {"DestinationRule", kIstioNetworking},
    {"ServiceEntry", kIstioNetworking},
    {"Sidecar", kIstioNetworking},
};

const ModelledKind* modelledKind(std::string_view group, std::string_view kind) {
  for (const auto& m : kModelledKinds) {
    if (m.kind == kind && apiGroup(m.api_versions.front()) == group) {
      return &m;
    }
  }
  return nullptr;
}

bool listed(const auto& table, std::string_view group, std::string_view kind) {
  return std::any_of(std::begin(table), std::end(table),
                     [&](const KindRef& k) { return k.group == group && k.kind == kind; });
}

Status apiVersionError(const yaml::Reader& top, const ModelledKind& modelled,
                       const std::string& api_version) {
  std::string versions;
  for (const auto v : modelled.api_versions) {
    versions += (versions.empty() ? "" : ", ") + std::string(v);
  }
  return top.error("apiVersion", std::string(modelled.kind) + " is modelled with apiVersion " +
                                     versions + ", got \"" + api_version + "\"");
}

// Refuses a second definition of the same object (kind, namespace, name), naming both places;
// kubectl apply would keep only the last one.
Status recordDefinition(const std::string& group, const std::string& kind, const YAML::Node& object,
                        const yaml::Document& doc, Manifests& out) {
  const YAML::Node meta = yaml::get(object, "metadata");
  const YAML::Node name = yaml::get(meta, "name");
  if (!name.IsScalar()) {
    return okStatus();  // parseMeta() names the problem
  }
  const YAML::Node ns = yaml::get(meta, "namespace");
  const std::string namespace_name =
      kind == "Namespace" ? "" : (ns.IsScalar() && !ns.Scalar().empty() ? ns.Scalar() : "default");
  const std::string key = group + "/" + kind + " " + namespace_name + "/" + name.Scalar();
  const yaml::Location at = doc.locate(object);
  const auto [first, inserted] = out.defined.emplace(key, at);
  if (!inserted) {
    return yaml::errorAt(at, "",
                         kind + " " + (namespace_name.empty() ? "" : namespace_name + "/") +
                             name.Scalar() + " is defined twice: here and at " +
                             first->second.toString());
  }
  return okStatus();
}

// Adds one object (a document, or an item of a List).
Status addObject(const yaml::Document& doc, const YAML::Node& object, Manifests& out) {
  const yaml::Location at = doc.locate(object);
  if (!object.IsMap()) {
    return yaml::errorAt(at, "",
                         "expected a Kubernetes resource (a mapping with apiVersion and kind)");
  }
  yaml::Reader top(doc, object, "");
  MESHSIM_ASSIGN_OR_RETURN(std::string api_version, top.requiredString("apiVersion"));
  MESHSIM_ASSIGN_OR_RETURN(std::string kind, top.requiredString("kind"));
  const std::string group(apiGroup(api_version));
  MESHSIM_RETURN_IF_ERROR(recordDefinition(group, kind, object, doc, out));
  if (group.empty() && kind == "ConfigMap" && api_version == "v1") {
    // The one ConfigMap that changes traffic: istiod's MeshConfig.
    const YAML::Node metadata = yaml::get(object, "metadata");
    const YAML::Node name = yaml::get(metadata, "name");
    const YAML::Node ns = yaml::get(metadata, "namespace");
    if (name.IsScalar() && ns.IsScalar() && istio::isMeshConfigMap(ns.Scalar(), name.Scalar())) {
      yaml::Document item = doc;
      item.root = object;
      MESHSIM_ASSIGN_OR_RETURN(k8s::ObjectMeta meta, k8s::parseMeta(item, metadata, kind));
      meta.location = at;
      MESHSIM_ASSIGN_OR_RETURN(out.istio.mesh_config,
                               istio::parseMeshConfigMap(item, std::move(meta)));
      return okStatus();
    }
    // A revision's MeshConfig (istio-REVISION, read by that revision's istiod): meshsim models
    // one control plane, so its settings would be silently lost.
    const YAML::Node mesh = yaml::get(yaml::get(object, "data"), "mesh");
    if (name.IsScalar() && ns.IsScalar() && ns.Scalar() == "istio-system" &&
        name.Scalar().starts_with("istio-") && mesh.IsDefined()) {
      const std::string what = "ConfigMap istio-system/" + name.Scalar() +
                               " is the MeshConfig of an Istio revision; meshsim models one "
                               "control plane, which reads istio-system/istio";
      if (!out.allow_unmodelled) {
        return top.error("kind", what + "; --allow-unmodelled to run without it");
      }
      out.warnings.push_back(at.toString() + ": " + what +
                             "; left out (--allow-unmodelled): traffic runs as if it were absent");
      return okStatus();
    }
  }
  switch (kindTreatment(group, kind)) {
    case KindTreatment::Skipped:
      return okStatus();
    case KindTreatment::Unknown:
      for (const auto& m : kModelledKinds) {
        if (m.kind == kind) {  // a modelled kind in another group, e.g. extensions/v1beta1
          return apiVersionError(top, m, api_version);
        }
      }
      [[fallthrough]];
    case KindTreatment::Unmodelled: {
      const bool known = kindTreatment(group, kind) == KindTreatment::Unmodelled;
      const std::string what = known ? kind + " is not modelled yet"
                                     : kind + " (" + api_version +
                                           ") is not a kind meshsim knows, so it is not modelled";
      if (!out.allow_unmodelled) {
        return top.error("kind", what + "; --allow-unmodelled to run without it");
      }
      const YAML::Node name = yaml::get(yaml::get(object, "metadata"), "name");
      out.warnings.push_back(
          at.toString() + ": " + what + "; " + kind +
          (name.IsScalar() ? " " + name.Scalar() : std::string()) +
          " was left out (--allow-unmodelled): traffic runs as if it were absent");
      return okStatus();
    }
    case KindTreatment::Modelled:
      break;
  }
  const ModelledKind& modelled = *modelledKind(group, kind);
  if (std::find(modelled.api_versions.begin(), modelled.api_versions.end(), api_version) ==
      modelled.api_versions.end()) {
    return apiVersionError(top, modelled, api_version);
  }
  yaml::Document item = doc;  // the parsers read the resource from a document's root
  item.root = object;
  MESHSIM_ASSIGN_OR_RETURN(k8s::ObjectMeta meta,
                           k8s::parseMeta(item, yaml::get(object, "metadata"), kind));
  meta.location = at;  // where the resource starts, not its metadata block

  if (kind == "Namespace") {
    meta.namespace_name.clear();
    MESHSIM_ASSIGN_OR_RETURN(auto ns, k8s::parseNamespace(item, std::move(meta)));
    out.k8s.namespaces.push_back(std::move(ns));
  } else if (kind == "Service") {
    MESHSIM_ASSIGN_OR_RETURN(auto s, k8s::parseService(item, std::move(meta)));
    out.k8s.services.push_back(std::move(s));
  } else if (kind == "Pod") {
    MESHSIM_ASSIGN_OR_RETURN(auto p, k8s::parsePod(item, std::move(meta)));
    out.k8s.pods.push_back(std::move(p));
  } else if (kind == "Deployment") {
    MESHSIM_ASSIGN_OR_RETURN(auto d, k8s::parseDeployment(item, std::move(meta)));
    out.k8s.deployments.push_back(std::move(d));
  } else if (kind == "Gateway") {
    MESHSIM_ASSIGN_OR_RETURN(auto g, istio::parseGateway(item, std::move(meta)));
    out.istio.gateways.push_back(std::move(g));
  } else if (kind == "VirtualService") {
    MESHSIM_ASSIGN_OR_RETURN(auto vs, istio::parseVirtualService(item, std::move(meta)));
    out.istio.virtual_services.push_back(std::move(vs));
  } else if (kind == "DestinationRule") {
    MESHSIM_ASSIGN_OR_RETURN(auto dr, istio::parseDestinationRule(item, std::move(meta)));
    out.istio.destination_rules.push_back(std::move(dr));
  } else if (kind == "ServiceEntry") {
    MESHSIM_ASSIGN_OR_RETURN(auto se, istio::parseServiceEntry(item, std::move(meta)));
    out.istio.service_entries.push_back(std::move(se));
  } else if (kind == "Sidecar") {
    MESHSIM_ASSIGN_OR_RETURN(auto sc, istio::parseSidecar(item, std::move(meta)));
    out.istio.sidecars.push_back(std::move(sc));
  }
  return okStatus();
}

// Adds one document: an object, or a List of them (what `kubectl get ... -o yaml` prints for
// several objects: apiVersion v1, kind List, the objects under `items`).
Status addDocument(const yaml::Document& doc, Manifests& out) {
  const YAML::Node kind = yaml::get(doc.root, "kind");
  if (!kind.IsScalar() || kind.Scalar() != "List") {
    return addObject(doc, doc.root, out);
  }
  yaml::Reader top(doc, doc.root, "");
  MESHSIM_ASSIGN_OR_RETURN(std::string api_version, top.requiredString("apiVersion"));
  if (api_version != "v1") {
    return top.error("apiVersion", "a List has apiVersion v1, got \"" + api_version + "\"");
  }
  top.child("kind");
  top.ignore({"metadata"});  // resourceVersion, selfLink, continue: nothing to model
  const YAML::Node items = top.child("items");
  if (items.IsDefined() && !items.IsNull() && !items.IsSequence()) {
    return top.error("items", "expected a list of resources");
  }
  MESHSIM_RETURN_IF_ERROR(top.finish());
  for (size_t i = 0; items.IsSequence() && i < items.size(); ++i) {
    const YAML::Node item = items[i];
    const YAML::Node item_kind = yaml::get(item, "kind");
    if (item_kind.IsScalar() && item_kind.Scalar() == "List") {
      return yaml::errorAt(doc.locate(item), top.pathOf("items", i), "a List inside a List");
    }
    MESHSIM_RETURN_IF_ERROR(addObject(doc, item, out));
  }
  return okStatus();
}

}  // namespace

std::string_view apiGroup(std::string_view api_version) {
  const size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

KindTreatment kindTreatment(std::string_view group, std::string_view kind) {
  if (modelledKind(group, kind) != nullptr) {
    return KindTreatment::Modelled;
  }
  if (listed(kUnmodelledKinds, group, kind)) {
    return KindTreatment::Unmodelled;
  }
  return listed(kSkippedKinds, group, kind) ? KindTreatment::Skipped : KindTreatment::Unknown;
}

Status addDocuments(const std::vector<yaml::Document>& docs, Manifests& out) {
  for (const auto& doc : docs) {
    // The readers never let yaml-cpp throw; this is the boundary that guarantees it.
    try {
      MESHSIM_RETURN_IF_ERROR(addDocument(doc, out));
    } catch (const YAML::Exception& e) {
      return internalError(doc.file + ": unexpected YAML error: " + e.what());
    }
  }
  return okStatus();
}

StatusOr<std::vector<std::string>> manifestFiles(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return std::vector<std::string>{path};
  }
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto ext = it->path().extension();
    if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(it->path().string());
    }
  }
  if (ec) {
    return notFoundError(path + ": cannot list folder: " + ec.message());
  }
  std::sort(files.begin(), files.end());
  return files;
}

Status addPath(const std::string& path, Manifests& out) {
  MESHSIM_ASSIGN_OR_RETURN(auto files, manifestFiles(path));
  for (const auto& f : files) {
    MESHSIM_ASSIGN_OR_RETURN(std::string text, yaml::readFile(f));
    MESHSIM_RETURN_IF_ERROR(addText(text, f, 1, out));
  }
  return okStatus();
}

Status addText(const std::string& text, const std::string& file, int first_line, Manifests& out,
               int indent) {
  // One document at a time: a mesh's manifests can be megabytes of YAML, and yaml-cpp's nodes
  // take many times the text's size.
  return yaml::forEachDocument(
      text, file, [&](const yaml::Document& doc) { return addDocuments({doc}, out); }, first_line,
      indent);
}

namespace {

// Replaces the resource with the same namespace and name, or adds it.
template <typename T>
void upsert(std::vector<T>& list, const T& item) {
  for (auto& existing : list) {
    if (existing.meta.name == item.meta.name &&
        existing.meta.namespace_name == item.meta.namespace_name) {
      existing = item;
      return;
    }
  }
  list.push_back(item);
}

template <typename T>
void upsertAll(std::vector<T>& into, const std::vector<T>& from) {
  for (const auto& r : from) {
    upsert(into, r);
  }
}

}  // namespace

void applyManifests(Manifests& into, const Manifests& more) {
  upsertAll(into.k8s.namespaces, more.k8s.namespaces);
  upsertAll(into.k8s.deployments, more.k8s.deployments);
  upsertAll(into.k8s.pods, more.k8s.pods);
  upsertAll(into.k8s.services, more.k8s.services);
  upsertAll(into.istio.gateways, more.istio.gateways);
  upsertAll(into.istio.virtual_services, more.istio.virtual_services);
  upsertAll(into.istio.destination_rules, more.istio.destination_rules);
  upsertAll(into.istio.service_entries, more.istio.service_entries);
  upsertAll(into.istio.sidecars, more.istio.sidecars);
  if (!more.istio.mesh_config.meta.name.empty()) {
    into.istio.mesh_config = more.istio.mesh_config;
  }
  into.warnings.insert(into.warnings.end(), more.warnings.begin(), more.warnings.end());
}

const char* const kDefaultIngressGatewayFile = "<meshsim default ingress gateway>";

const char* const kDefaultIngressGatewayYaml = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels:
    app: istio-ingressgateway
    istio: ingressgateway
spec:
  replicas: 1
  selector:
    matchLabels:
      app: istio-ingressgateway
      istio: ingressgateway
  template:
    metadata:
      labels:
        app: istio-ingressgateway
        istio: ingressgateway
        service.istio.io/canonical-name: istio-ingressgateway
        service.istio.io/canonical-revision: latest
        sidecar.istio.io/inject: "false"
        istio.io/rev: default
        app.kubernetes.io/name: istio-ingressgateway
    spec:
      serviceAccountName: istio-ingressgateway-service-account
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2:1.30.0
        ports:
        - containerPort: 15021
          name: status-port
        - containerPort: 8080
          name: http2
        - containerPort: 8443
          name: https
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels:
    app: istio-ingressgateway
    istio: ingressgateway
spec:
  type: LoadBalancer
  selector:
    app: istio-ingressgateway
    istio: ingressgateway
  ports:
  - name: status-port
    port: 15021
    targetPort: 15021
  - name: http2
    port: 80
    targetPort: 8080
  - name: https
    port: 443
    targetPort: 8443
)";

bool hasIngressGateway(const Manifests& m) {
  for (const auto& svc : m.k8s.services) {
    auto it = svc.meta.labels.find("istio");
    if ((it != svc.meta.labels.end() && it->second == "ingressgateway") ||
        svc.meta.id() == "istio-system/istio-ingressgateway") {
      return true;
    }
  }
  for (const auto& d : m.k8s.deployments) {
    if (d.meta.id() == "istio-system/istio-ingressgateway") {
      return true;
    }
  }
  return false;
}

StatusOr<bool> addDefaultIngressGateway(Manifests& m) {
  if (hasIngressGateway(m)) {
    return false;
  }
  MESHSIM_RETURN_IF_ERROR(addText(kDefaultIngressGatewayYaml, kDefaultIngressGatewayFile, 1, m));
  return true;
}

}  // namespace meshsim::sim
