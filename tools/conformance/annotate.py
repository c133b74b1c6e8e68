#!/usr/bin/env python3
"""Writes spec.conformance blocks into the scenarios of scenarios/conformance/ from the table
below (profile, support level, features). References are the features' documentation pages (from
sim/istio/features.cc) plus the sections of the behavioural reference the description cites.
Files that already have a block are left alone. Run from the repository root; review the result:
the table is a first draft that a person checks against each scenario's description."""
import os
import re
import sys

VS = "VirtualService."
M = VS + "http.match."
T = {
    # calls
    "calls/app-timeout-cancel-dc": ("mesh-http", "extended", ["Workload.calls", "Telemetry.response_flags"]),
    "calls/app-timeout": ("mesh-http", "extended", ["Workload.calls", "Telemetry.istio_requests_total"]),
    "calls/forward-headers": ("mesh-http", "core", ["Workload.calls.forwardHeaders", M + "headers", "Mesh.sidecar.outbound"]),
    "calls/mesh-vs-timeout": ("resilience", "extended", [VS + "http.timeout", "Workload.calls", "Telemetry.response_flags"]),
    "calls/no-sidecar-backend": ("mesh-http", "core", ["Mesh.sidecar.noSidecar", "Workload.calls", "Telemetry.istio_requests_total"]),
    "calls/on-error": ("mesh-http", "extended", ["Workload.calls", "Mesh.defaultRetryPolicy"]),
    "calls/retries-sequence": ("mesh-http", "extended", ["Workload.calls", "Telemetry.istio_requests_total"]),
    "calls/serviceentry-external-call": ("mesh-http", "extended", ["ServiceEntry.hosts", "ServiceEntry.endpoints", "Workload.calls"]),
    "calls/three-tier-graph": ("telemetry", "core", ["Workload.calls", "Telemetry.serviceGraph", "Telemetry.istio_requests_total"]),
    # events
    "events/apply-outlier-detection": ("resilience", "extended", ["DestinationRule.trafficPolicy.outlierDetection", "DestinationRule.trafficPolicy.loadBalancer.simple", "Mesh.config.push"]),
    "events/apply-propagation-0": ("ingress-http", "extended", ["Mesh.config.push"]),
    "events/apply-weight-shift": ("ingress-http", "core", ["Mesh.config.push", VS + "http.route.weight"]),
    "events/delete-virtualservice": ("ingress-http", "core", ["Mesh.config.push", "Telemetry.response_flags"]),
    "events/kill-no-replace-propagation-0": ("resilience", "extended", ["Mesh.endpoints.update"]),
    "events/kill-only-replica-window": ("resilience", "extended", ["Mesh.endpoints.update", "Mesh.defaultRetryPolicy", "Telemetry.response_flags"]),
    "events/kill-replica-retried": ("resilience", "core", ["Mesh.endpoints.update", "Mesh.defaultRetryPolicy"]),
    "events/partition-drop-connect-timeout": ("resilience", "extended", ["DestinationRule.trafficPolicy.connectionPool.tcp", "Mesh.defaultRetryPolicy"]),
    "events/partition-drop": ("resilience", "extended", ["Mesh.connectTimeout", "Mesh.defaultRetryPolicy", "Telemetry.slo"]),
    "events/partition-reject": ("resilience", "extended", ["Mesh.defaultRetryPolicy", "Telemetry.response_flags"]),
    "events/restart-downtime-503": ("resilience", "extended", ["Mesh.endpoints.update", "Mesh.defaultRetryPolicy"]),
    "events/restart-downtime-retried": ("resilience", "extended", [VS + "http.retries", "Mesh.endpoints.update"]),
    "events/restart-inbound-retry-flags": ("resilience", "extended", ["Mesh.sidecar.inboundRetries"]),
    "events/scale-to-zero": ("resilience", "core", ["Mesh.endpoints.update", "Telemetry.response_flags", "Telemetry.slo"]),
    "events/scale-up": ("resilience", "core", ["Mesh.endpoints.update", "DestinationRule.trafficPolicy.loadBalancer.simple"]),
    # resilience
    "resilience/circuit-breaking": ("resilience", "extended", ["DestinationRule.trafficPolicy.connectionPool.tcp", "DestinationRule.trafficPolicy.connectionPool.http"]),
    "resilience/fault-injection": ("resilience", "extended", [VS + "http.fault.delay", VS + "http.fault.abort"]),
    "resilience/outlier-detection": ("resilience", "extended", ["DestinationRule.trafficPolicy.outlierDetection", "DestinationRule.trafficPolicy.loadBalancer.simple"]),
    "resilience/timeouts-and-retries": ("resilience", "core", [VS + "http.timeout", VS + "http.retries", "Mesh.defaultRetryPolicy"]),
    # routing: DestinationRule
    "routing/dr-export-to": ("ingress-http", "extended", ["DestinationRule.exportTo", "DestinationRule.subsets"]),
    "routing/dr-lookup-namespace": ("ingress-http", "extended", ["DestinationRule.host", "DestinationRule.subsets"]),
    "routing/dr-merge": ("ingress-http", "extended", ["DestinationRule.host", "DestinationRule.subsets"]),
    "routing/dr-subset-no-pods": ("ingress-http", "core", ["DestinationRule.subsets", "Telemetry.response_flags"]),
    "routing/dr-subsets": ("ingress-http", "core", ["DestinationRule.subsets", VS + "http.route.destination"]),
    "routing/dr-undefined-subset": ("ingress-http", "core", ["DestinationRule.subsets", "Telemetry.response_flags"]),
    # routing: Gateway
    "routing/gateway-host-any": ("ingress-http", "core", ["Gateway.servers.hosts", VS + "gateways"]),
    "routing/gateway-host-dot-namespace": ("ingress-http", "extended", ["Gateway.servers.hosts.namespace"]),
    "routing/gateway-host-exact": ("ingress-http", "core", ["Gateway.servers.hosts"]),
    "routing/gateway-host-intersection": ("ingress-http", "core", ["Gateway.servers.hosts.wildcard", VS + "hosts"]),
    "routing/gateway-host-namespace-filter-wrong-namespace": ("ingress-http", "extended", ["Gateway.servers.hosts.namespace"]),
    "routing/gateway-host-namespace-filter": ("ingress-http", "extended", ["Gateway.servers.hosts.namespace"]),
    "routing/gateway-host-port-ignored": ("ingress-http", "core", ["Gateway.servers.hosts"]),
    "routing/gateway-host-star-slash-star": ("ingress-http", "extended", ["Gateway.servers.hosts.namespace"]),
    "routing/gateway-host-wildcard": ("ingress-http", "core", ["Gateway.servers.hosts.wildcard"]),
    "routing/gateway-https-redirect-location": ("ingress-http", "extended", ["Gateway.servers.tls.httpsRedirect"]),
    "routing/gateway-https-redirect": ("ingress-http", "extended", ["Gateway.servers.tls.httpsRedirect"]),
    "routing/gateway-merge-same-port": ("ingress-http", "core", ["Gateway.servers.port"]),
    "routing/gateway-multiple-ports": ("ingress-http", "core", ["Gateway.servers.port"]),
    "routing/gateway-port-translation": ("ingress-http", "core", ["Gateway.servers.port"]),
    "routing/gateway-port-without-server": ("ingress-http", "core", ["Gateway.servers.port"]),
    "routing/gateway-request-response-headers": ("ingress-http", "extended", ["Gateway.servers.port", VS + "http.route.destination"]),
    "routing/gateway-selector": ("ingress-http", "core", ["Gateway.selector"]),
    # routing: east-west
    "routing/mesh-dr-undefined-subset": ("mesh-http", "core", ["DestinationRule.subsets", "Mesh.sidecar.outbound", "Telemetry.response_flags"]),
    "routing/mesh-no-sidecar-bypasses-vs": ("mesh-http", "core", ["Mesh.sidecar.noSidecar"]),
    "routing/mesh-passthrough-requests-counted": ("mesh-http", "extended", ["Mesh.sidecar.passthrough", "Telemetry.istio_requests_total"]),
    "routing/mesh-short-name-other-namespace": ("mesh-http", "extended", ["Mesh.sidecar.outbound", "Mesh.sidecar.passthrough"]),
    "routing/mesh-sidecar-outbound": ("mesh-http", "core", ["Mesh.sidecar.outbound", "Telemetry.istio_requests_total"]),
    "routing/mesh-vs-cross-namespace": ("mesh-http", "core", [VS + "hosts", VS + "exportTo"]),
    "routing/mesh-vs-duplicate-host": ("mesh-http", "extended", [VS + "hosts", VS + "http"]),
    "routing/mesh-vs-external-host": ("mesh-http", "extended", [VS + "hosts", "Mesh.sidecar.passthrough"]),
    "routing/mesh-vs-gateway-scope": ("mesh-http", "core", [VS + "gateways"]),
    "routing/mesh-vs-match": ("mesh-http", "core", [M + "headers", M + "uri.prefix", "Mesh.sidecar.outbound"]),
    "routing/mesh-vs-weighted-split": ("mesh-http", "core", [VS + "http.route.weight", "Mesh.sidecar.outbound"]),
    "routing/serviceentry-static-unreachable": ("ingress-http", "extended", ["ServiceEntry.hosts", "ServiceEntry.endpoints", "Mesh.defaultRetryPolicy"]),
    # routing: VirtualService
    "routing/vs-catch-all-definition": ("ingress-http", "core", [VS + "http", M + "method"]),
    "routing/vs-cors-headers": ("ingress-http", "extended", [VS + "http.corsPolicy"]),
    "routing/vs-cors-preflight": ("ingress-http", "extended", [VS + "http.corsPolicy"]),
    "routing/vs-cors-unmatched-preflights-ignore": ("ingress-http", "extended", [VS + "http.corsPolicy"]),
    "routing/vs-destination-port-inference": ("ingress-http", "core", [VS + "http.route.destination"]),
    "routing/vs-direct-response-body-bytes": ("ingress-http", "extended", [VS + "http.directResponse"]),
    "routing/vs-direct-response-body": ("ingress-http", "extended", [VS + "http.directResponse", VS + "http.headers.response"]),
    "routing/vs-direct-response": ("ingress-http", "extended", [VS + "http.directResponse"]),
    "routing/vs-export-to": ("ingress-http", "core", [VS + "exportTo"]),
    "routing/vs-first-match-wins-order": ("ingress-http", "core", [VS + "http", M + "uri.prefix"]),
    "routing/vs-first-match-wins": ("ingress-http", "core", [VS + "http"]),
    "routing/vs-gateway-name-resolution": ("ingress-http", "core", [VS + "gateways"]),
    "routing/vs-headers-request": ("ingress-http", "core", [VS + "http.headers.request", VS + "http.route.headers"]),
    "routing/vs-headers-response": ("ingress-http", "extended", [VS + "http.headers.response"]),
    "routing/vs-host-short-name": ("ingress-http", "core", [VS + "hosts"]),
    "routing/vs-match-authority": ("ingress-http", "extended", [M + "authority"]),
    "routing/vs-match-gateways": ("ingress-http", "extended", [M + "gateways"]),
    "routing/vs-match-headers": ("ingress-http", "core", [M + "headers"]),
    "routing/vs-match-method": ("ingress-http", "extended", [M + "method"]),
    "routing/vs-match-or-and": ("ingress-http", "core", [VS + "http", M + "uri.prefix", M + "headers"]),
    "routing/vs-match-port": ("ingress-http", "extended", [M + "port"]),
    "routing/vs-match-query-params": ("ingress-http", "extended", [M + "queryParams"]),
    "routing/vs-match-scheme": ("ingress-http", "extended", [M + "scheme"]),
    "routing/vs-match-source-labels": ("mesh-http", "extended", [M + "sourceLabels", M + "sourceNamespace"]),
    "routing/vs-match-without-headers": ("ingress-http", "extended", [M + "withoutHeaders"]),
    "routing/vs-merge-at-gateway": ("ingress-http", "core", [VS + "http"]),
    "routing/vs-merge-export-order": ("ingress-http", "extended", [VS + "http", VS + "exportTo"]),
    "routing/vs-mirror-percentage": ("ingress-http", "extended", [VS + "http.mirrorPercentage"]),
    "routing/vs-mirror": ("ingress-http", "extended", [VS + "http.mirror"]),
    "routing/vs-redirect-location": ("ingress-http", "core", [VS + "http.redirect"]),
    "routing/vs-redirect-status": ("ingress-http", "core", [VS + "http.redirect"]),
    "routing/vs-rewrite-authority": ("ingress-http", "extended", [VS + "http.rewrite.authority"]),
    "routing/vs-rewrite-keeps-route": ("ingress-http", "extended", [VS + "http.rewrite.uri", VS + "http.rewrite.authority"]),
    "routing/vs-rewrite-uri-regex": ("ingress-http", "extended", [VS + "http.rewrite.uriRegexRewrite"]),
    "routing/vs-rewrite-uri": ("ingress-http", "extended", [VS + "http.rewrite.uri"]),
    "routing/vs-uri-exact": ("ingress-http", "core", [M + "uri.exact"]),
    "routing/vs-uri-ignore-case": ("ingress-http", "extended", [M + "ignoreUriCase"]),
    "routing/vs-uri-path-normalization": ("ingress-http", "extended", ["Mesh.pathNormalization", M + "uri.exact"]),
    "routing/vs-uri-prefix-not-segment-aware": ("ingress-http", "core", [M + "uri.prefix"]),
    "routing/vs-uri-regex": ("ingress-http", "extended", [M + "uri.regex"]),
    "routing/vs-weighted-split-1-3": ("ingress-http", "core", [VS + "http.route.weight"]),
    "routing/vs-weighted-split-90-10": ("ingress-http", "core", [VS + "http.route.weight"]),
    "routing/vs-weighted-zero-weight": ("ingress-http", "core", [VS + "http.route.weight"]),
    # telemetry
    "telemetry/app-error-503": ("telemetry", "core", ["Telemetry.istio_requests_total", "Mesh.defaultRetryPolicy"]),
    "telemetry/duration-histogram": ("telemetry", "core", ["Telemetry.istio_request_duration_milliseconds"]),
    "telemetry/no-healthy-upstream-503-uh": ("telemetry", "core", ["Telemetry.response_flags", "Telemetry.istio_requests_total"]),
    "telemetry/not-found-404-nr": ("telemetry", "core", ["Telemetry.response_flags", "Telemetry.istio_requests_total"]),
    "telemetry/reporter-labels-200": ("telemetry", "core", ["Telemetry.istio_requests_total"]),
    "telemetry/slo-error-budget": ("telemetry", "extended", ["Telemetry.slo", "Telemetry.istio_request_duration_milliseconds"]),
    "telemetry/three-services": ("telemetry", "core", ["Telemetry.serviceGraph", "Workload.calls"]),
}


def feature_docs(root):
    text = open(os.path.join(root, "sim/istio/features.cc")).read()
    consts = dict(re.findall(r'constexpr std::string_view (k\w+) =\s*"([^"]+)";', text))
    docs = {}
    for m in re.finditer(r'Feature\{"([^"]+)",(.*?)\},\n', text, re.S):
        body = m.group(2).strip()
        last = body.rsplit(",", 1)[-1].strip()
        if last in consts:
            docs[m.group(1)] = consts[last]
        else:
            strings = re.findall(r'"([^"]*)"', body.rsplit("\n", 2)[-1] if False else body)
            url = [s for s in re.findall(r'"([^"]*)"', body)]
            # the doc is the trailing string literal(s) starting with https
            joined = "".join(url)
            i = joined.find("https://")
            docs[m.group(1)] = joined[i:] if i >= 0 else ""
    return docs


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    docs = feature_docs(root)
    base = os.path.join(root, "scenarios/conformance")
    seen = set()
    for dirpath, _, files in os.walk(base):
        for f in sorted(files):
            if not f.endswith(".yaml"):
                continue
            path = os.path.join(dirpath, f)
            key = os.path.relpath(path, base)[:-5]
            text = open(path).read()
            if "\n  conformance:\n" in text:
                seen.add(key)
                continue
            if key not in T:
                print("no entry for", key)
                continue
            seen.add(key)
            profile, support, features = T[key]
            for feat in features:
                if feat not in docs:
                    sys.exit("unknown feature %s in %s" % (feat, key))
            refs = []
            for feat in features:
                if docs[feat] and docs[feat] not in refs:
                    refs.append(docs[feat])
            desc = text.split("\nspec:", 1)[0]
            # "(reference 2.5; Envoy HeaderMatcher)": the sections of the behavioural reference
            # (istio-semantics.md) and the Envoy / Istio sources the description names.
            for cited in re.findall(r"reference ([0-9][^()]*)", " ".join(desc.split())):
                refs.append("istio-semantics.md " + cited.strip().rstrip(".").strip())
            block = "  conformance:\n"
            block += "    profile: %s\n    support: %s\n" % (profile, support)
            block += "    features:\n" + "".join("      - %s\n" % x for x in features)
            block += "    references:\n" + "".join('      - "%s"\n' % r.replace('"', "'") for r in refs)
            text = text.replace("\nspec:\n", "\nspec:\n" + block, 1)
            open(path, "w").write(text)
    for key in sorted(set(T) - seen):
        print("table entry without file:", key)


if __name__ == "__main__":
    main()
