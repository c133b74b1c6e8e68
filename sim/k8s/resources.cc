#include "sim/k8s/resources.h"

#include <algorithm>
#include <string_view>

namespace meshsim::sim::k8s {

namespace {

std::string contextOf(const std::string& kind, const ObjectMeta& meta) {
  return kind + " " + meta.id();
}

// Reads spec.containers[*].ports of a pod spec; other pod fields (images, resources, probes)
// do not affect routing and are accepted as they are.
StatusOr<PodSpec> parsePodSpec(const yaml::Document& doc, const YAML::Node& node,
                               const std::string& path, const std::string& context) {
  PodSpec spec;
  yaml::Reader r(doc, node, path, context);
  MESHSIM_RETURN_IF_ERROR(r.expectMap(/*optional=*/true));
  MESHSIM_ASSIGN_OR_RETURN(spec.service_account,
                           r.string("serviceAccountName", spec.service_account));
  MESHSIM_ASSIGN_OR_RETURN(spec.host_network, r.boolean("hostNetwork"));
  YAML::Node containers = r.child("containers");
  if (containers.IsDefined() && !containers.IsNull()) {
    if (!containers.IsSequence()) {
      return r.error("containers", "expected a list");
    }
    for (size_t i = 0; i < containers.size(); ++i) {
      yaml::Reader c(doc, containers[i], r.pathOf("containers", i), context);
      MESHSIM_RETURN_IF_ERROR(c.expectMap());
      YAML::Node ports = c.child("ports");
      if (ports.IsDefined() && !ports.IsNull()) {
        if (!ports.IsSequence()) {
          return c.error("ports", "expected a list");
        }
        for (size_t j = 0; j < ports.size(); ++j) {
          yaml::Reader p(doc, ports[j], c.pathOf("ports", j), context);
          MESHSIM_RETURN_IF_ERROR(p.expectMap());
          ContainerPort cp;
          MESHSIM_ASSIGN_OR_RETURN(cp.name, p.string("name"));
          MESHSIM_ASSIGN_OR_RETURN(int64_t port, p.integer("containerPort", -1));
          if (port < 1 || port > 65535) {
            return p.error("containerPort", "must be a port number in [1, 65535]");
          }
          cp.port = static_cast<int>(port);
          spec.ports.push_back(cp);
        }
      }
    }
  }
  return spec;
}

// One DNS label as Kubernetes checks names: lowercase letters, digits and '-', starting and
// ending with a letter or digit (a DNS-1035 label also starts with a letter).
bool isDnsLabel(std::string_view s, bool letter_first) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) {
    return false;
  }
  if (letter_first && !(s.front() >= 'a' && s.front() <= 'z')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

// Kubernetes' rule for most object names (DNS-1123 subdomain): DNS labels joined by '.', at
// most 253 characters.
bool isDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) {
    return false;
  }
  while (true) {
    const size_t dot = s.find('.');
    if (!isDnsLabel(s.substr(0, dot), /*letter_first=*/false)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    s.remove_prefix(dot + 1);
  }
}

}  // namespace

bool selectorMatches(const Labels& selector, const Labels& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) {
      return false;
    }
  }
  return true;
}

std::string labelsToString(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) {
      out += ',';
    }
    out += k + "=" + v;
  }
  return out;
}

StatusOr<ObjectMeta> parseMeta(const yaml::Document& doc, const YAML::Node& node,
                               const std::string& kind) {
  ObjectMeta meta;
  meta.location = doc.locate(node);
  yaml::Reader r(doc, node, "metadata", kind);
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(meta.name, r.requiredString("name"));
  MESHSIM_ASSIGN_OR_RETURN(meta.namespace_name, r.string("namespace", "default"));
  // The API server refuses names Kubernetes cannot put into DNS. Checking here keeps a name
  // like "defau*t" from reaching Service host names and proxy configuration, where it would be
  // refused without the manifest's file and line.
  if (kind == "Namespace" || kind == "Service") {
    if (!isDnsLabel(meta.name, /*letter_first=*/kind == "Service")) {
      return r.error("name", "a " + kind +
                                 " name must be a DNS label: at most 63 lowercase "
                                 "letters, digits and '-', starting " +
                                 (kind == "Service" ? "with a letter" : "with a letter or digit") +
                                 " and ending with a letter or digit; got \"" + meta.name + "\"");
    }
  } else if (!isDnsSubdomain(meta.name)) {
    return r.error("name",
                   "a name must be lowercase letters, digits, '-' and '.', each part between "
                   "dots starting and ending with a letter or digit (a DNS subdomain); got \"" +
                       meta.name + "\"");
  }
  if (kind != "Namespace" && !isDnsLabel(meta.namespace_name, /*letter_first=*/false)) {
    return r.error("namespace",
                   "a namespace must be a DNS label: at most 63 lowercase letters, digits and "
                   "'-', starting and ending with a letter or digit; got \"" +
                       meta.namespace_name + "\"");
  }
  MESHSIM_ASSIGN_OR_RETURN(meta.labels, r.stringMap("labels"));
  MESHSIM_ASSIGN_OR_RETURN(meta.annotations, r.stringMap("annotations"));
  r.ignoreAll();  // uid, resourceVersion, creationTimestamp, ... do not affect the simulation
  return meta;
}

StatusOr<Namespace> parseNamespace(const yaml::Document&, ObjectMeta meta) {
  return Namespace{std::move(meta)};
}

StatusOr<Deployment> parseDeployment(const yaml::Document& doc, ObjectMeta meta) {
  Deployment d;
  d.meta = std::move(meta);
  const std::string context = contextOf("Deployment", d.meta);
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(int64_t replicas, spec.integer("replicas", 1));
  if (replicas < 0 || replicas > 100000) {
    return spec.error("replicas", "must be in [0, 100000]");
  }
  d.replicas = static_cast<int>(replicas);
  yaml::Reader selector(doc, spec.child("selector"), "spec.selector", context);
  MESHSIM_RETURN_IF_ERROR(selector.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(d.selector, selector.stringMap("matchLabels"));
  yaml::Reader tmpl(doc, spec.child("template"), "spec.template", context);
  MESHSIM_RETURN_IF_ERROR(tmpl.expectMap());
  yaml::Reader tmeta(doc, tmpl.child("metadata"), "spec.template.metadata", context);
  MESHSIM_ASSIGN_OR_RETURN(d.template_labels, tmeta.stringMap("labels"));
  MESHSIM_ASSIGN_OR_RETURN(d.template_annotations, tmeta.stringMap("annotations"));
  MESHSIM_ASSIGN_OR_RETURN(d.pod,
                           parsePodSpec(doc, tmpl.child("spec"), "spec.template.spec", context));
  if (d.selector.empty()) {
    return selector.error("matchLabels", "a Deployment needs a non-empty selector");
  }
  if (!selectorMatches(d.selector, d.template_labels)) {
    return selector.error("matchLabels",
                          "selector does not match template labels (Kubernetes rejects this)");
  }
  return d;
}

StatusOr<Pod> parsePod(const yaml::Document& doc, ObjectMeta meta) {
  Pod p;
  p.meta = std::move(meta);
  MESHSIM_ASSIGN_OR_RETURN(
      p.spec, parsePodSpec(doc, yaml::get(doc.root, "spec"), "spec", contextOf("Pod", p.meta)));
  return p;
}

StatusOr<Service> parseService(const yaml::Document& doc, ObjectMeta meta) {
  Service s;
  s.meta = std::move(meta);
  const std::string context = contextOf("Service", s.meta);
  yaml::Reader spec(doc, yaml::get(doc.root, "spec"), "spec", context);
  MESHSIM_RETURN_IF_ERROR(spec.expectMap());
  MESHSIM_ASSIGN_OR_RETURN(s.type, spec.string("type", "ClusterIP"));
  if (s.type != "ClusterIP" && s.type != "NodePort" && s.type != "LoadBalancer" &&
      s.type != "ExternalName") {
    return spec.error("type", "must be ClusterIP, NodePort, LoadBalancer or ExternalName");
  }
  MESHSIM_ASSIGN_OR_RETURN(s.selector, spec.stringMap("selector"));
  // Any other clusterIP is the API server's choice, and the simulator allocates its own.
  MESHSIM_ASSIGN_OR_RETURN(const std::string cluster_ip, spec.string("clusterIP"));
  s.headless = cluster_ip == "None";
  if (s.headless && s.type != "ClusterIP") {
    return spec.error("clusterIP", "may be None only for type ClusterIP");
  }
  YAML::Node ports = spec.child("ports");
  if (ports.IsDefined() && !ports.IsNull() && !ports.IsSequence()) {
    return spec.error("ports", "expected a list");
  }
  for (size_t i = 0; ports.IsSequence() && i < ports.size(); ++i) {
    yaml::Reader p(doc, ports[i], spec.pathOf("ports", i), context);
    MESHSIM_RETURN_IF_ERROR(p.expectMap());
    ServicePort sp;
    MESHSIM_ASSIGN_OR_RETURN(sp.name, p.string("name"));
    MESHSIM_ASSIGN_OR_RETURN(int64_t port, p.integer("port", -1));
    if (port < 1 || port > 65535) {
      return p.error("port", "must be a port number in [1, 65535]");
    }
    sp.port = static_cast<int>(port);
    MESHSIM_ASSIGN_OR_RETURN(sp.protocol, p.string("protocol", "TCP"));
    MESHSIM_ASSIGN_OR_RETURN(sp.app_protocol, p.string("appProtocol"));
    YAML::Node target = p.child("targetPort");
    if (target.IsDefined() && !target.IsNull()) {
      if (!target.IsScalar()) {
        return p.error("targetPort", "expected a port number or a port name");
      }
      const std::string& t = target.Scalar();
      if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) {
        const long n = std::stol(t.substr(0, 6));
        if (n < 1 || n > 65535) {
          return p.error("targetPort", "must be a port number in [1, 65535]");
        }
        sp.target_port_number = static_cast<int>(n);
      } else {
        sp.target_port_name = t;
      }
    }
    p.ignore({"nodePort"});
    MESHSIM_RETURN_IF_ERROR(p.finish());
    s.ports.push_back(sp);
  }
  spec.ignore({"clusterIPs", "externalTrafficPolicy", "sessionAffinity", "internalTrafficPolicy",
               "ipFamilies", "ipFamilyPolicy", "loadBalancerIP", "externalName",
               "publishNotReadyAddresses"});
  return s;
}

}  // namespace meshsim::sim::k8s
