#include "sim/manifests.h"

#include <algorithm>
#include <filesystem>
#include <set>

namespace meshsim::sim {

namespace {

bool isIstioNetworking(const std::string& api_version) {
  return api_version == "networking.istio.io/v1alpha3" ||
         api_version == "networking.istio.io/v1beta1" || api_version == "networking.istio.io/v1";
}

// Kinds that exist in real manifests but do not change routing.
const std::set<std::string> kIgnoredKinds = {"ServiceAccount",
                                             "ConfigMap",
                                             "Secret",
                                             "Role",
                                             "RoleBinding",
                                             "ClusterRole",
                                             "ClusterRoleBinding",
                                             "HorizontalPodAutoscaler",
                                             "PodDisruptionBudget",
                                             "NetworkPolicy",
                                             "Ingress",
                                             "EndpointSlice",
                                             "PeerAuthentication",
                                             "Telemetry"};

Status addDocument(const yaml::Document& doc, Manifests& out) {
  const yaml::Location at = doc.locate(doc.root);
  if (!doc.root.IsMap()) {
    return yaml::errorAt(at, "",
                         "expected a Kubernetes resource (a mapping with apiVersion and kind)");
  }
  yaml::Reader top(doc, doc.root, "");
  MESHSIM_ASSIGN_OR_RETURN(std::string api_version, top.requiredString("apiVersion"));
  MESHSIM_ASSIGN_OR_RETURN(std::string kind, top.requiredString("kind"));
  if (kind == "List") {
    return top.error("kind", "kind List is not supported; write one document per resource");
  }
  if (kIgnoredKinds.count(kind) != 0) {
    return okStatus();
  }
  MESHSIM_ASSIGN_OR_RETURN(k8s::ObjectMeta meta,
                           k8s::parseMeta(doc, yaml::get(doc.root, "metadata"), kind));
  meta.location = at;  // where the resource starts, not its metadata block

  if (api_version == "v1" && kind == "Namespace") {
    meta.namespace_name.clear();
    MESHSIM_ASSIGN_OR_RETURN(auto ns, k8s::parseNamespace(doc, std::move(meta)));
    out.k8s.namespaces.push_back(std::move(ns));
  } else if (api_version == "v1" && kind == "Service") {
    MESHSIM_ASSIGN_OR_RETURN(auto s, k8s::parseService(doc, std::move(meta)));
    out.k8s.services.push_back(std::move(s));
  } else if (api_version == "v1" && kind == "Pod") {
    MESHSIM_ASSIGN_OR_RETURN(auto p, k8s::parsePod(doc, std::move(meta)));
    out.k8s.pods.push_back(std::move(p));
  } else if (api_version == "apps/v1" && kind == "Deployment") {
    MESHSIM_ASSIGN_OR_RETURN(auto d, k8s::parseDeployment(doc, std::move(meta)));
    out.k8s.deployments.push_back(std::move(d));
  } else if (isIstioNetworking(api_version) && kind == "Gateway") {
    MESHSIM_ASSIGN_OR_RETURN(auto g, istio::parseGateway(doc, std::move(meta)));
    out.istio.gateways.push_back(std::move(g));
  } else if (isIstioNetworking(api_version) && kind == "VirtualService") {
    MESHSIM_ASSIGN_OR_RETURN(auto vs, istio::parseVirtualService(doc, std::move(meta)));
    out.istio.virtual_services.push_back(std::move(vs));
  } else if (isIstioNetworking(api_version) && kind == "DestinationRule") {
    MESHSIM_ASSIGN_OR_RETURN(auto dr, istio::parseDestinationRule(doc, std::move(meta)));
    out.istio.destination_rules.push_back(std::move(dr));
  } else if (isIstioNetworking(api_version) && kind == "ServiceEntry") {
    MESHSIM_ASSIGN_OR_RETURN(auto se, istio::parseServiceEntry(doc, std::move(meta)));
    out.istio.service_entries.push_back(std::move(se));
  } else if (isIstioNetworking(api_version)) {
    return top.error("kind",
                     kind + " " + meta.id() +
                         " is valid Istio, but not modelled by this version of meshsim yet");
  } else {
    out.warnings.push_back(at.toString() + ": " + api_version + " " + kind + " " + meta.id() +
                           " is not modelled; skipped");
  }
  return okStatus();
}

}  // namespace

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

Status addPath(const std::string& path, Manifests& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
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
    for (const auto& f : files) {
      MESHSIM_RETURN_IF_ERROR(addPath(f, out));
    }
    return okStatus();
  }
  MESHSIM_ASSIGN_OR_RETURN(auto docs, yaml::parseFile(path));
  return addDocuments(docs, out);
}

Status addText(const std::string& text, const std::string& file, int first_line, Manifests& out,
               int indent) {
  MESHSIM_ASSIGN_OR_RETURN(auto docs, yaml::parseString(text, file, first_line, indent));
  return addDocuments(docs, out);
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
