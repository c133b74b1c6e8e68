#include "sim/istio/mesh_config.h"

#include <set>
#include <utility>
#include <vector>

#include "sim/duration.h"

namespace meshsim::sim::istio {

namespace {

// MeshConfig fields that cannot change the simulated HTTP traffic: the proxies' own ports,
// access-log and tracing settings, telemetry and authorization providers (their users,
// Telemetry and AuthorizationPolicy, are refused as unmodelled kinds), certificates and trust
// domains (mTLS is modelled as on between sidecars), Kubernetes Ingress (not modelled), stats
// names and DNS refresh of Envoy's own clusters.
const std::set<std::string_view> kNoEffect = {
    "proxyListenPort",
    "proxyInboundListenPort",
    "proxyHttpPort",
    "protocolDetectionTimeout",
    "tcpKeepalive",
    "ingressClass",
    "ingressService",
    "ingressControllerMode",
    "ingressSelector",
    "enableTracing",
    "accessLogFile",
    "accessLogFormat",
    "accessLogEncoding",
    "enableEnvoyAccessLogService",
    "disableEnvoyListenerLog",
    "configSources",
    "trustDomain",
    "trustDomainAliases",
    "caCertificates",
    "dnsRefreshRate",
    "inboundClusterStatName",
    "outboundClusterStatName",
    "certificates",
    "serviceSettings",
    "enablePrometheusMerge",
    "verifyCertificateAtClient",
    "ca",
    "extensionProviders",
    "defaultProviders",
    "meshMTLS",
    "tlsDefaults",
};

// Fields that change traffic in ways meshsim does not model (locality, retries by default,
// inbound capture to localhost, which namespaces istiod watches, ...).
const std::set<std::string_view> kUnmodelled = {
    "inboundTrafficPolicy",   "localityLbSetting",   "discoverySelectors",
    "defaultHttpRetryPolicy", "serviceScopeConfigs", "defaultTrafficPolicy",
};

// ProxyConfig (defaultConfig) fields that change what the simulated proxies do.
const std::set<std::string_view> kProxyConfigUnmodelled = {
    "gatewayTopology",   // trusted proxies and XFCC at gateways
    "proxyHeaders",      // server, x-request-id, attempt-count headers
    "interceptionMode",  // TPROXY keeps the source address
    "runtimeValues",     // Envoy runtime flags
    "meshId",            // metric labels
};

Status notModelled(yaml::Reader& r, std::string_view key, std::string_view what) {
  return r.error(key,
                 std::string(what) +
                     "valid Istio MeshConfig, but not modelled by this version of meshsim yet");
}

// A scalar field meshsim models only at Istio's default value.
Status defaultOnly(yaml::Reader& r, std::string_view key, std::string_view default_value) {
  if (!r.has(key)) {
    return okStatus();
  }
  MESHSIM_ASSIGN_OR_RETURN(std::string value, r.string(key));
  if (value == default_value) {
    return okStatus();
  }
  return notModelled(r, key,
                     "\"" + value + "\" (the default is \"" + std::string(default_value) + "\"): ");
}

// A list of namespaces (default*ExportTo) meshsim models only as Istio's default ["*"].
Status defaultExportTo(yaml::Reader& r, std::string_view key) {
  if (!r.has(key)) {
    return okStatus();
  }
  MESHSIM_ASSIGN_OR_RETURN(std::vector<std::string> list, r.stringList(key));
  if (list.empty() || list == std::vector<std::string>{"*"}) {
    return okStatus();
  }
  return notModelled(r, key, "anything but [\"*\"] (the default) is ");
}

// connectTimeout as agent.ValidateMeshConfig checks it (ValidateConnectTimeout): a duration in
// Go's syntax (how istiod's jsonpb reads a google.protobuf.Duration), whole milliseconds, at
// least 1ms and at most 1h. A valid value other than Istio's default, 10s, is not modelled.
Status checkConnectTimeout(yaml::Reader& r) {
  if (!r.has("connectTimeout")) {
    return okStatus();
  }
  MESHSIM_ASSIGN_OR_RETURN(std::string text, r.string("connectTimeout"));
  const auto nanos = parseGoDuration(text);
  const std::string invalid = "invalid connect timeout \"" + text + "\": ";
  if (!nanos.ok()) {
    return r.error("connectTimeout", invalid + std::string(nanos.status().message()) +
                                         " (Istio reads durations as Go's time.ParseDuration, "
                                         "e.g. 250ms, 1.5s, 1m30s)");
  }
  constexpr int64_t kMs = 1000000;
  if (*nanos < kMs) {
    return r.error("connectTimeout", invalid + "duration must be at least 1ms");
  }
  if (*nanos % kMs != 0) {
    return r.error("connectTimeout", invalid + "only durations to ms precision are supported");
  }
  if (*nanos > int64_t{3600} * 1000 * kMs) {
    return r.error("connectTimeout", invalid + "must be between 1ms and 1h");
  }
  if (*nanos != int64_t{10} * 1000 * kMs) {
    return notModelled(r, "connectTimeout", "\"" + text + "\" (the default is \"10s\"): ");
  }
  return okStatus();
}

Status parseProxyConfig(yaml::Reader& pc) {
  MESHSIM_RETURN_IF_ERROR(pc.expectMap(true));
  for (const auto key : kProxyConfigUnmodelled) {
    if (pc.has(key)) {
      return notModelled(pc, key, "");
    }
  }
  // The rest is the proxy's bootstrap (discovery address, drain and termination times,
  // concurrency, tracing, stats tags, environment): none of it changes how a simulated proxy
  // routes a request.
  pc.ignoreAll();
  return okStatus();
}

StatusOr<MeshConfig> parseMesh(const yaml::Document& doc, MeshConfig mc, std::string path) {
  yaml::Reader r(doc, doc.root, std::move(path), "MeshConfig");
  if (doc.root.IsNull()) {
    return mc;
  }
  MESHSIM_RETURN_IF_ERROR(r.expectMap());
  for (const auto key : kUnmodelled) {
    if (r.has(key)) {
      return notModelled(r, key, "");
    }
  }
  MESHSIM_RETURN_IF_ERROR(checkConnectTimeout(r));
  MESHSIM_RETURN_IF_ERROR(defaultOnly(r, "rootNamespace", "istio-system"));
  MESHSIM_RETURN_IF_ERROR(defaultOnly(r, "h2UpgradePolicy", "DO_NOT_UPGRADE"));
  if (r.has("enableAutoMtls")) {
    MESHSIM_ASSIGN_OR_RETURN(bool auto_mtls, r.boolean("enableAutoMtls", true));
    if (!auto_mtls) {
      return notModelled(r, "enableAutoMtls", "false (the default is true): ");
    }
  }
  for (const auto key : {"defaultServiceExportTo", "defaultVirtualServiceExportTo",
                         "defaultDestinationRuleExportTo"}) {
    MESHSIM_RETURN_IF_ERROR(defaultExportTo(r, key));
  }
  if (r.has("pathNormalization")) {
    yaml::Reader pn(doc, r.child("pathNormalization"), r.pathOf("pathNormalization"), "MeshConfig");
    MESHSIM_RETURN_IF_ERROR(pn.expectMap(true));
    MESHSIM_ASSIGN_OR_RETURN(std::string n, pn.string("normalization", "DEFAULT"));
    if (n != "DEFAULT" && n != "BASE") {
      return notModelled(pn, "normalization",
                         "\"" + n + "\" (meshsim normalises paths as BASE, the default): ");
    }
    MESHSIM_RETURN_IF_ERROR(pn.finish());
  }
  if (r.has("outboundTrafficPolicy")) {
    yaml::Reader otp(doc, r.child("outboundTrafficPolicy"), r.pathOf("outboundTrafficPolicy"),
                     "MeshConfig");
    MESHSIM_RETURN_IF_ERROR(otp.expectMap(true));
    // Fields override the defaults one by one (ApplyMeshConfig merges): without `mode` the
    // default ALLOW_ANY stays.
    if (otp.has("mode")) {
      MESHSIM_ASSIGN_OR_RETURN(std::string mode, otp.string("mode"));
      if (mode == "REGISTRY_ONLY") {
        mc.outbound_allow_any = false;
      } else if (mode == "ALLOW_ANY") {
        mc.outbound_allow_any = true;
      } else if (mode == "ALLOW_ANY_DYNAMIC_DNS") {
        return notModelled(otp, "mode", "ALLOW_ANY_DYNAMIC_DNS is ");
      } else {
        return otp.error("mode", "must be ALLOW_ANY or REGISTRY_ONLY, got \"" + mode + "\"");
      }
    }
    MESHSIM_RETURN_IF_ERROR(otp.finish());
  }
  if (r.has("defaultConfig")) {
    yaml::Reader pc(doc, r.child("defaultConfig"), r.pathOf("defaultConfig"), "MeshConfig");
    MESHSIM_RETURN_IF_ERROR(parseProxyConfig(pc));
  }
  r.ignore({"connectTimeout", "rootNamespace", "h2UpgradePolicy", "enableAutoMtls",
            "defaultServiceExportTo", "defaultVirtualServiceExportTo",
            "defaultDestinationRuleExportTo"});
  for (const auto key : kNoEffect) {
    r.ignore({key});
  }
  if (Status s = r.finish(); !s.ok()) {
    return Status(s.code(), s.message() +
                                " (not a MeshConfig field meshsim knows: a typo, or a field it "
                                "does not model)");
  }
  return mc;
}

// The 1-based column of `key` in the mapping `map`, 0 when unknown.
int keyColumn(const yaml::Document& doc, const YAML::Node& map, std::string_view key) {
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) {
      return doc.locate(kv.first).column;
    }
  }
  return 0;
}

// Parses the YAML text under `key` of the ConfigMap's `data` where it sits in the file (a block
// scalar, `key: |`, starts on the next line), so that errors name the field's own line.
StatusOr<std::vector<yaml::Document>> parseEmbedded(const yaml::Document& doc,
                                                    const YAML::Node& data, std::string_view key) {
  const YAML::Node node = yaml::get(data, key);
  const yaml::Location at = doc.locate(node);
  if (!node.IsScalar()) {
    return yaml::errorAt(at, "data." + std::string(key),
                         "expected YAML text (" + std::string(key) + ": |)");
  }
  const std::string& text = node.Scalar();
  int first_line = at.line;
  int indent = at.column > 0 ? at.column - 1 : 0;
  if (text.find('\n') != std::string::npos) {
    first_line = at.line + 1;
    if (auto file_text = yaml::readFile(doc.file); file_text.ok()) {
      indent = yaml::blockIndent(*file_text, first_line);
    } else {
      // Text without its file (the embedding API): the usual two columns past the key.
      indent = keyColumn(doc, data, key) + 1;  // column c is indent c - 1
    }
  }
  return yaml::parseString(text, doc.file, first_line, indent);
}

}  // namespace

bool isMeshConfigMap(std::string_view namespace_name, std::string_view name) {
  return namespace_name == "istio-system" && name == "istio";
}

StatusOr<MeshConfig> parseMeshConfigMap(const yaml::Document& doc, k8s::ObjectMeta meta) {
  MeshConfig mc;
  mc.meta = std::move(meta);
  yaml::Reader top(doc, doc.root, "");
  top.ignore({"apiVersion", "kind", "metadata", "binaryData", "immutable"});
  const YAML::Node data = top.child("data");
  MESHSIM_RETURN_IF_ERROR(top.finish());
  if (!data.IsDefined() || data.IsNull()) {
    return mc;
  }
  yaml::Reader d(doc, data, "data", "ConfigMap istio-system/istio");
  MESHSIM_RETURN_IF_ERROR(d.expectMap());
  if (d.has("meshNetworks")) {
    // Several networks (east-west gateways between clusters) are not modelled; an empty
    // `networks` is the single-network default.
    d.child("meshNetworks");
    MESHSIM_ASSIGN_OR_RETURN(auto docs, parseEmbedded(doc, data, "meshNetworks"));
    for (const auto& n : docs) {
      const YAML::Node networks = yaml::get(n.root, "networks");
      if (networks.IsDefined() && networks.size() > 0) {
        return notModelled(d, "meshNetworks", "several networks: ");
      }
    }
  }
  if (!d.has("mesh")) {
    d.ignoreAll();  // other keys are not istiod's
    return mc;
  }
  if (!d.child("mesh").IsScalar()) {
    return d.error("mesh", "expected the MeshConfig as YAML text (mesh: |)");
  }
  MESHSIM_ASSIGN_OR_RETURN(auto docs, parseEmbedded(doc, data, "mesh"));
  if (docs.size() > 1) {
    return d.error("mesh", "expected one YAML document, got " + std::to_string(docs.size()));
  }
  d.ignoreAll();
  if (docs.empty()) {
    return mc;
  }
  return parseMesh(docs.front(), std::move(mc), "");
}

}  // namespace meshsim::sim::istio
