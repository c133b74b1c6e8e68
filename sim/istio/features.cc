#include "sim/istio/features.h"

#include <algorithm>
#include <array>

namespace meshsim::sim::istio {

namespace {

constexpr std::string_view kVs =
    "https://istio.io/latest/docs/reference/config/networking/virtual-service/";
constexpr std::string_view kMatch =
    "https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest";
constexpr std::string_view kRoute =
    "https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute";
constexpr std::string_view kGw =
    "https://istio.io/latest/docs/reference/config/networking/gateway/#Server";
constexpr std::string_view kDr =
    "https://istio.io/latest/docs/reference/config/networking/destination-rule/";
constexpr std::string_view kSe =
    "https://istio.io/latest/docs/reference/config/networking/service-entry/";
constexpr std::string_view kMetrics = "https://istio.io/latest/docs/reference/config/metrics/";
constexpr std::string_view kMesh =
    "https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/";
constexpr std::string_view kSidecar = "https://istio.io/latest/docs/ops/deployment/architecture/";
constexpr std::string_view kSidecarResource =
    "https://istio.io/latest/docs/reference/config/networking/sidecar/";
constexpr std::string_view kMeshConfig =
    "https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/";
constexpr std::string_view kFormat = "docs/scenarios.md";

// Sorted by name (checked by a test); one line per field or behaviour.
constexpr std::array kFeatures = {
    Feature{"Client.followRedirects",
            "a client following redirects as curl -L does (traffic followRedirects): methods, "
            "relative Locations, other hosts through the gateway again",
            kFormat},
    Feature{"DestinationRule.exportTo", "visibility of the rule's subsets and policies", kDr},
    Feature{"DestinationRule.host",
            "lookup path (client namespace, service namespace, root namespace) and merging of "
            "several rules for one host",
            kDr},
    Feature{"DestinationRule.subsets", "subset clusters selecting endpoints by pod labels", kDr},
    Feature{"DestinationRule.trafficPolicy.connectionPool.http",
            "http1MaxPendingRequests, http2MaxRequests, maxRetries (Envoy circuit breakers)", kDr},
    Feature{"DestinationRule.trafficPolicy.connectionPool.http.h2UpgradePolicy",
            "UPGRADE makes a cluster speak HTTP/2 upstream (not to the app: inbound keeps the "
            "port's protocol)",
            kDr},
    Feature{"DestinationRule.trafficPolicy.connectionPool.http.useClientProtocol",
            "the cluster speaks whatever version the downstream request used", kDr},
    Feature{"DestinationRule.trafficPolicy.connectionPool.tcp", "maxConnections and connectTimeout",
            kDr},
    Feature{"DestinationRule.trafficPolicy.loadBalancer.consistentHash",
            "ring hash and Maglev tables keyed by a header, cookie, source IP or query parameter",
            kDr},
    Feature{"DestinationRule.trafficPolicy.loadBalancer.simple",
            "ROUND_ROBIN, LEAST_REQUEST (default), RANDOM", kDr},
    Feature{"DestinationRule.trafficPolicy.outlierDetection",
            "consecutive 5xx / gateway errors eject an endpoint for baseEjectionTime", kDr},
    Feature{"DestinationRule.trafficPolicy.portLevelSettings",
            "per-port load balancer, connection pool, outlier detection and TLS, replacing the "
            "top-level ones as a whole",
            kDr},
    Feature{"DestinationRule.trafficPolicy.tls",
            "mode DISABLE and ISTIO_MUTUAL (a handshake with an app without a sidecar fails); "
            "unset: auto mTLS",
            kDr},
    Feature{"Gateway.selector", "the gateway pods a Gateway configures", kGw},
    Feature{"Gateway.servers.hosts", "exact hosts and \"*\", case-insensitive", kGw},
    Feature{"Gateway.servers.hosts.namespace", "\"ns/host\", \"./host\" and \"*/*\" filters", kGw},
    Feature{"Gateway.servers.hosts.wildcard", "\"*.example.com\" hosts", kGw},
    Feature{"Gateway.servers.port",
            "listeners per server port (translated to the Service's targetPort), merged servers",
            kGw},
    Feature{"Gateway.servers.tls.httpsRedirect", "301 to https before routing", kGw},
    Feature{"Mesh.config.push",
            "configuration applied or deleted while traffic flows, seen after the push", kFormat},
    Feature{"Mesh.connectTimeout", "meshConfig connectTimeout (default 10 s)", kMesh},
    Feature{"Mesh.defaultRetryPolicy",
            "the retry policy Istio sets on routes without retries (1.24+: connect-failure, "
            "refused-stream, unavailable, cancelled, retriable-status-codes none; 2 retries)",
            kMesh},
    Feature{"Mesh.endpoints.update",
            "pods killed, restarted or scaled: endpoint updates after the push", kFormat},
    Feature{"Mesh.headlessService",
            "clusterIP None: pod DNS names, per-pod wildcard vhost domains, ORIGINAL_DST clusters "
            "on sidecars",
            kSidecar},
    Feature{"Mesh.http2",
            "HTTP/2 (h2c) clients; the upstream version follows the port's protocol (http2, grpc, "
            "appProtocol kubernetes.io/h2c), not the client's; sniffed ports on sidecars keep the "
            "downstream's; HTTP/2 requests share a connection (maxConnections does not queue them)",
            kMesh},
    Feature{"Mesh.pathFragment",
            "a #fragment never reaches routing: clients drop it, Istio's proxies strip it", kMesh},
    Feature{"Mesh.pathNormalization", "meshConfig pathNormalization BASE before route matching",
            kMesh},
    Feature{"Mesh.sidecar.inboundRetries",
            "the server sidecar's reset-before-request retries to its app (1.24+)", kSidecar},
    Feature{"Mesh.sidecar.noSidecar",
            "clients and backends without a sidecar (kube-proxy balancing, plaintext)", kSidecar},
    Feature{"Mesh.sidecar.outbound",
            "a sidecar routes its app's calls by Host, mutual TLS to the server sidecar", kSidecar},
    Feature{"Mesh.sidecar.passthrough", "PassthroughCluster for hosts no route names", kSidecar},
    Feature{"MeshConfig.outboundTrafficPolicy",
            "the mesh-wide default for unknown hosts (ConfigMap istio-system/istio); a "
            "Sidecar's own policy overrides it",
            kMeshConfig},
    Feature{"ServiceEntry.endpoints", "STATIC entries: hosts reached at their endpoints", kSe},
    Feature{"ServiceEntry.hosts", "entry hosts as routing destinations and DNS names", kSe},
    Feature{"Sidecar.default",
            "a Sidecar without workloadSelector is its namespace's default; one in istio-system "
            "the mesh's default",
            kSidecarResource},
    Feature{"Sidecar.egress.hosts",
            "\"namespace/dnsName\" imports (\"./*\", \"*/*\", \"ns/host\", \"~/*\"): the "
            "services, ServiceEntry hosts and VirtualServices a sidecar routes",
            kSidecarResource},
    Feature{"Sidecar.egress.port",
            "an egress listener for one port; the catch-all listener serves the other ports",
            kSidecarResource},
    Feature{"Sidecar.outboundTrafficPolicy",
            "unknown hosts: ALLOW_ANY to PassthroughCluster, REGISTRY_ONLY answered 502 "
            "(BlackHoleCluster)",
            kSidecarResource},
    Feature{"Sidecar.workloadSelector",
            "the pods a Sidecar applies to; a selector match beats the namespace default, the "
            "oldest wins",
            kSidecarResource},
    Feature{"Telemetry.istio_request_duration_milliseconds",
            "the request duration histogram with Envoy's default buckets", kMetrics},
    Feature{"Telemetry.istio_requests_total",
            "request counts with Istio's standard labels from both reporters", kMetrics},
    Feature{"Telemetry.response_flags", "Envoy response flags in the response_flags label",
            kMetrics},
    Feature{"Telemetry.serviceGraph", "the service graph derived from the metrics", kFormat},
    Feature{"Telemetry.slo", "error rate and latency objectives judged from the metrics", kFormat},
    Feature{"VirtualService.exportTo", "visibility and merge order of VirtualServices", kVs},
    Feature{"VirtualService.gateways", "binding to gateways and to the mesh (sidecars)", kVs},
    Feature{"VirtualService.hosts", "hosts, short names resolved in the VirtualService namespace",
            kVs},
    Feature{"VirtualService.http",
            "ordered routes, first match wins, routes merged per host at a gateway", kRoute},
    Feature{"VirtualService.http.corsPolicy", "CORS preflights and response headers",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/#CorsPolicy"},
    Feature{"VirtualService.http.directResponse", "a fixed status and body from the proxy",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPDirectResponse"},
    Feature{"VirtualService.http.fault.abort", "aborts with a status, flag FI",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPFaultInjection-Abort"},
    Feature{"VirtualService.http.fault.delay", "fixed delays, flag DI",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPFaultInjection-Delay"},
    Feature{"VirtualService.http.headers.request", "request header set, add and remove",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/#Headers"},
    Feature{"VirtualService.http.headers.response", "response header set, add and remove",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/#Headers"},
    Feature{"VirtualService.http.match.authority", "match on :authority, port included", kMatch},
    Feature{"VirtualService.http.match.gateways", "match blocks limited to some gateways", kMatch},
    Feature{"VirtualService.http.match.headers", "exact, prefix, regex and presence", kMatch},
    Feature{"VirtualService.http.match.ignoreUriCase", "case-insensitive exact and prefix", kMatch},
    Feature{"VirtualService.http.match.method", "match on :method", kMatch},
    Feature{"VirtualService.http.match.port", "the Gateway server port or sidecar port", kMatch},
    Feature{"VirtualService.http.match.queryParams", "exact, prefix, regex and presence", kMatch},
    Feature{"VirtualService.http.match.scheme", "match on :scheme of the real connection", kMatch},
    Feature{"VirtualService.http.match.sourceLabels", "routes kept for matching client proxies",
            kMatch},
    Feature{"VirtualService.http.match.sourceNamespace", "routes kept for a client namespace",
            kMatch},
    Feature{"VirtualService.http.match.uri.exact", "the path without the query", kMatch},
    Feature{"VirtualService.http.match.uri.prefix", "a raw string prefix of path and query",
            kMatch},
    Feature{"VirtualService.http.match.uri.regex", "a full RE2 match of the path", kMatch},
    Feature{"VirtualService.http.match.withoutHeaders", "inverted header matches", kMatch},
    Feature{"VirtualService.http.mirror", "mirror and mirrors: fire-and-forget copies", kRoute},
    Feature{
        "VirtualService.http.mirrorPercentage",
        "the share of requests mirrored (mirrorPercentage, mirrorPercent, mirrors[].percentage)",
        kRoute},
    Feature{"VirtualService.http.redirect", "redirect status and location",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPRedirect"},
    Feature{"VirtualService.http.redirect.prefixRewrite",
            "the matched prefix replaced in the location (Istio 1.31+)",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPRedirect"},
    Feature{"VirtualService.http.retries", "attempts, retryOn, perTryTimeout",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRetry"},
    Feature{"VirtualService.http.rewrite.authority", "Host rewritten before forwarding",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPRewrite"},
    Feature{"VirtualService.http.rewrite.uri", "the matched prefix or path rewritten",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPRewrite"},
    Feature{"VirtualService.http.rewrite.uriRegexRewrite", "RE2 substitutions in the path",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#RegexRewrite"},
    Feature{"VirtualService.http.route.destination",
            "destination host, subset and port (port inference)",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#Destination"},
    Feature{"VirtualService.http.route.headers", "header operations of one weighted destination",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPRouteDestination"},
    Feature{"VirtualService.http.route.weight", "weighted splits between destinations",
            "https://istio.io/latest/docs/reference/config/networking/virtual-service/"
            "#HTTPRouteDestination"},
    Feature{"VirtualService.http.timeout", "the route timeout, 504 UT", kRoute},
    Feature{"Workload.calls",
            "apps calling other services through their own sidecar (timeouts, retries, onError)",
            kFormat},
    Feature{"Workload.calls.forwardHeaders", "headers an app copies to its calls", kFormat},
};

}  // namespace

std::span<const Feature> features() {
  return kFeatures;
}

const Feature* findFeature(std::string_view name) {
  const auto it = std::lower_bound(kFeatures.begin(), kFeatures.end(), name,
                                   [](const Feature& f, std::string_view n) { return f.name < n; });
  return it != kFeatures.end() && it->name == name ? &*it : nullptr;
}

}  // namespace meshsim::sim::istio
