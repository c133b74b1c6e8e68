#pragma once

// File: sim/istio/validation.h
//
// The value checks of istiod's validating webhook (istio/istio pkg/config/validation and
// pkg/config/validation/agent, Istio 1.24-1.30), as pure functions the resource parsers call:
// each returns an empty string when Istio accepts the value and otherwise Istio's reason. Facts
// carried over from Istio's Go source; the cases they were checked against are in
// tests/sim/istio/istio_validation_cases_test.cc.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace meshsim::sim::istio::validation {

// labels.IsDNS1123Label: [a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?, at most 63 characters. Istio
// allows upper case (Kubernetes object names do not, but subset and port names are not objects).
bool isDns1123Label(std::string_view value);

// agent.ValidateWildcardDomain: at most 255 characters; the first label "*", or a DNS-1123 label
// optionally led by "*" or "*-"; the rest DNS-1123 labels (one trailing dot allowed), the last one
// not all digits.
std::string wildcardDomainError(std::string_view domain);
// agent.ValidateFQDN: as wildcardDomainError without wildcards.
std::string fqdnError(std::string_view domain);
// An IPv4 or IPv6 address (Go's netip.ParseAddr, without zones).
bool isIpAddress(std::string_view text);

// The name of a header to match (ValidateHTTPHeaderNameOrJwtClaimRoute): RFC 7230 tchars, a
// pseudo-header (:method, :scheme, :authority, :path, :status) or a JWT claim
// (@request.auth.claims.NAME or @request.auth.claims[a][b]).
std::string matchHeaderNameError(std::string_view name);
bool isJwtClaimRoute(std::string_view name);
// Istio 1.24's header names (match headers and CORS headers): [-_A-Za-z0-9]+ only; 1.25 took
// every RFC 7230 token and the pseudo-headers.
bool isHeaderNameBefore125(std::string_view name);
// A header name of allowHeaders / exposeHeaders (ValidateCORSHTTPHeaderName): "*" or tchars.
std::string corsHeaderNameError(std::string_view name);
// ValidateHTTPHeaderValue: no control characters but TAB, and Envoy's %VARIABLE% syntax well
// formed ("%%" is an escaped "%").
std::string headerValueError(std::string_view value);
// Whether a header value that headerValueError() accepts uses an Envoy %VARIABLE%.
bool headerValueHasVariable(std::string_view value);
// The value Envoy sends for a header value without variables: "%%" becomes "%".
std::string unescapeHeaderValue(std::string_view value);

// A retryOn condition: one of Envoy's x-envoy-retry-on / x-envoy-retry-grpc-on policies, or a
// status code Go's http.StatusText knows.
bool isRetryOnPolicy(std::string_view policy);
// A gRPC status name (Istio's grpc.SupportedGRPCStatus).
bool isGrpcStatusName(std::string_view name);
// An allowMethods entry of a CorsPolicy: Go's nine method names or "*".
bool isCorsMethod(std::string_view method);

// labels.Instance.Validate: keys [prefix/]name (qualified names), values empty or qualified
// names. Empty when valid.
std::string labelsError(const std::map<std::string, std::string>& labels);

// validateGatewayNames: "namespace/name" (both DNS-1123 labels) or a bare name, which must be an
// FQDN ("mesh", "gw", "gw.ns" in the legacy form).
std::string gatewayNameError(std::string_view name);

// The dnsName part of a Sidecar egress host or a Gateway server host
// (validateSidecarOrGatewayHostnamePart): "*" or a wildcard domain with a dot (no short names),
// no partial wildcard; a Gateway's may also be an IP address.
std::string hostnamePartError(std::string_view name, bool is_gateway);
// A Gateway server host (ValidateNamespaceSlashWildcardHostname): "dnsName" or
// "namespace/dnsName", the namespace "*", "." or a DNS-1123 label.
std::string gatewayHostError(std::string_view host);

// validateExportTo: ".", "*", a DNS-1123 label (namespaces), "~" for ServiceEntries only; no
// duplicates ("." and the own namespace are the same); "*" or "~" alone.
std::string exportToError(std::string_view own_namespace, const std::vector<std::string>& export_to,
                          bool is_service_entry);

// agent.ValidateWildcardDomainForVirtualServiceBoundToGateway: the host of a VirtualService bound
// to gateways only (or an SNI host of a TLS route not bound to "mesh"). With `sni` (the
// VirtualService has a TLS match with SNI hosts) a name led by "outbound_" is an auto-generated
// SNI name of AUTO_PASSTHROUGH ("outbound_.80_._.foo.bar.svc") and passes when it has four "_"
// parts, a digit in the port part and a letter in the host part; the rest is
// wildcardDomainError().
std::string gatewayBoundDomainError(bool sni, std::string_view domain);
// host.Name.SubsetOf: `h` is `o`, or is covered by the wildcard `o` ("*.a.b" and "x.a.b" are
// subsets of "*.b"; no name is a subset of a longer wildcard; a wildcard is never a subset of a
// plain name).
bool hostSubsetOf(std::string_view h, std::string_view o);
// agent.ValidateIPSubnet: an address, or with exactly one "/" a CIDR prefix (netip.ParsePrefix:
// the length decimal without leading zeros, at most 32 or 128).
std::string ipSubnetError(std::string_view subnet);
// validateGatewayNames over a list: Istio stops at the first name without a "/" (it checks that
// name as an FQDN and returns), so names after it are not checked.
std::string gatewayNamesError(const std::vector<std::string>& names);

// Whether host names `a` and `b` overlap as Istio's host.Name.Matches sees it (either equal, or
// one is a wildcard covering the other): duplicate hosts of a VirtualService.
bool hostsOverlap(std::string_view a, std::string_view b);

}  // namespace meshsim::sim::istio::validation
