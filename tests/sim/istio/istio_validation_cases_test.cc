// Istio's own validation cases as meshsim inputs: each row is a case of istio/istio's
// pkg/config/validation tests (validation_test.go, virtualservice_test.go, testdata/crds; Istio
// 1.30.3, present in the 1.24-1.30 range unless the row says otherwise), written as the YAML a
// user would apply, and the verdict meshsim must give:
//   - Accepted: Istio accepts it and meshsim loads it.
//   - NotModelled: Istio accepts it; meshsim refuses it as "valid Istio, but not modelled" (fail
//     closed, never silently ignored).
//   - Invalid: Istio's webhook (or its CRD schema) refuses it; meshsim refuses it too, naming the
//     file, line, field path and Istio's reason.

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/istio/resources.h"
#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

enum class Verdict { Accepted, NotModelled, Invalid };

struct Case {
  const char* source;  // "TestValidateHTTPRetry/invalid attempts"
  const char* kind;    // VirtualService, DestinationRule, ...
  std::string spec;    // the spec, YAML (flow style, one line)
  Verdict verdict;
  // Invalid: a part of the error ("spec.http[0].retries.attempts: ... attempts cannot be
  // negative"); NotModelled: the field path. Empty for Accepted.
  std::string message;
};

// A VirtualService for foo.bar with the one HTTP route `route` (YAML flow mapping).
std::string vs(const std::string& route) {
  return "{hosts: [foo.bar], http: [" + route + "]}";
}
// An HTTP route to foo.baz with more fields ("" for none).
std::string routeWith(const std::string& fields) {
  return "{route: [{destination: {host: foo.baz}}]" + (fields.empty() ? "" : ", " + fields) + "}";
}
// A VirtualService whose one route matches `match` (a YAML flow mapping).
std::string vsMatch(const std::string& match) {
  return vs(routeWith("match: [" + match + "]"));
}
// A VirtualService whose destination carries `headers` (a Headers flow mapping).
std::string vsDestHeaders(const std::string& headers) {
  return vs("{route: [{destination: {host: foo.baz}, headers: " + headers + "}]}");
}

// How meshsim words a refusal of valid Istio it does not model.
constexpr const char* kNotModelled =
    "not modelled|which meshsim does not model|meshsim models [A-Za-z ]+ only";

constexpr Verdict kOk = Verdict::Accepted;
constexpr Verdict kBad = Verdict::Invalid;
constexpr Verdict kUnmodelled = Verdict::NotModelled;

std::vector<Case> virtualServiceCases() {
  return {
      // TestValidateVirtualService
      {"TestValidateVirtualService/simple", "VirtualService", vs(routeWith("")), kOk, ""},
      {"TestValidateVirtualService/duplicate hosts", "VirtualService",
       "{hosts: ['*.foo.bar', '*.bar'], http: [" + routeWith("") + "]}", kBad,
       "spec.hosts: VirtualService default/c: duplicate hosts in virtual service: *.foo.bar & "
       "*.bar"},
      {"TestValidateVirtualService/with no destination", "VirtualService",
       "{hosts: [foo.bar], http: [{route: [{weight: 1}]}]}", kBad,
       "spec.http[0].route[0]: VirtualService default/c: destination is required"},
      {"TestValidateVirtualService/destination with out hosts", "VirtualService",
       "{hosts: [foo.bar], http: [{route: [{destination: {}}]}]}", kBad,
       "spec.http[0].route[0].destination.host"},
      {"TestValidateVirtualService/delegate with no hosts", "VirtualService",
       "{http: [" + routeWith("") + "]}", kUnmodelled, "spec.hosts"},
      {"TestValidateVirtualService/bad host", "VirtualService",
       "{hosts: [foo.ba!r], http: [" + routeWith("") + "]}", kBad,
       "spec.hosts: VirtualService default/c: domain name \"ba!r\" invalid (label \"ba!r\" "
       "invalid)"},
      {"TestValidateVirtualService/no tcp or http routing", "VirtualService", "{hosts: [foo.bar]}",
       kBad,
       "spec: VirtualService default/c: http, tcp or tls must be provided in virtual service"},
      {"TestValidateVirtualService/bad gateway", "VirtualService",
       "{hosts: [foo.bar], gateways: [b@dgateway], http: [" + routeWith("") + "]}", kBad,
       "spec.gateways: VirtualService default/c: domain name \"b@dgateway\" invalid"},
      {"TestValidateVirtualService/FQDN for gateway (a warning)", "VirtualService",
       "{hosts: [foo.bar], gateways: [gateway.example.com], http: [" + routeWith("") + "]}", kOk,
       ""},
      {"TestValidateVirtualService/namespace/name for gateway", "VirtualService",
       "{hosts: [foo.bar], gateways: [ns1/gateway], http: [" + routeWith("") + "]}", kOk, ""},
      {"TestValidateVirtualService/namespace/* for gateway", "VirtualService",
       "{hosts: [foo.bar], gateways: ['ns1/*'], http: [" + routeWith("") + "]}", kBad,
       "invalid value for gateway name: \"*\""},
      {"TestValidateVirtualService/*/name for gateway", "VirtualService",
       "{hosts: [foo.bar], gateways: ['*/gateway'], http: [" + routeWith("") + "]}", kBad,
       "invalid value for namespace: \"*\""},
      {"TestValidateVirtualService/wildcard for mesh gateway", "VirtualService",
       "{hosts: ['*'], http: [" + routeWith("") + "]}", kBad,
       "wildcard host * is not allowed for virtual services bound to the mesh gateway"},
      {"TestValidateVirtualService/wildcard for mesh gateway (mesh named too)", "VirtualService",
       "{hosts: ['*'], gateways: [gw, mesh], http: [" + routeWith("") + "]}", kBad,
       "wildcard host * is not allowed for virtual services bound to the mesh gateway"},
      {"TestValidateVirtualService/wildcard for non-mesh gateway", "VirtualService",
       "{hosts: ['*'], gateways: [somegateway], http: [" + routeWith("") + "]}", kOk, ""},
      {"TestValidateVirtualService/deprecated mirror (mirrorPercent without mirror)",
       "VirtualService", vs(routeWith("mirrorPercent: 5")), kUnmodelled,
       "spec.http[0].mirrorPercent"},
      {"TestValidateVirtualService/set authority", "VirtualService",
       vs(routeWith("headers: {request: {set: {':authority': foo}}}")), kOk, ""},
      {"TestValidateVirtualService/set authority in destination", "VirtualService",
       vsDestHeaders("{request: {set: {':authority': foo}}}"), kOk, ""},
      {"TestValidateVirtualService/set authority in rewrite and header", "VirtualService",
       vs(routeWith("headers: {request: {set: {':authority': foo}}}, rewrite: {authority: bar}")),
       kBad, "authority header cannot be set multiple times"},
      {"TestValidateVirtualService/non-method-get (a warning)", "VirtualService",
       vs(routeWith("match: [{uri: {prefix: /api/v1/product}}, {uri: {prefix: /api/v1/products},"
                    " method: {exact: GET}}]")),
       kOk, ""},
      {"TestValidateVirtualService/jwt claim route without gateway", "VirtualService",
       "{hosts: [foo.bar], gateways: [mesh], http: [" +
           routeWith("match: [{uri: {prefix: /}, headers: {'@request.auth.claims.foo': {exact: "
                     "bar}}}]") +
           "]}",
       kBad,
       "JWT claim based routing (key: @request.auth.claims.foo) is only supported for gateway"},
      {"TestValidateVirtualService/jwt claim route on a gateway", "VirtualService",
       "{hosts: [foo.bar], gateways: [ns1/gateway], http: [" +
           routeWith("match: [{headers: {'@request.auth.claims.foo': {exact: bar}}}]") + "]}",
       kUnmodelled, "spec.http[0].match"},
      {"Test_validateExportTo/duplicate . and own namespace", "VirtualService",
       "{hosts: [foo.bar], exportTo: [default, .], http: [" + routeWith("") + "]}", kBad,
       "spec.exportTo: VirtualService default/c: duplicate entries in exportTo: . and current "
       "namespace default"},
      {"Test_validateExportTo/~ is for ServiceEntries only", "VirtualService",
       "{hosts: [foo.bar], exportTo: ['~'], http: [" + routeWith("") + "]}", kBad,
       "exportTo ~ (none) is not allowed for Istio configuration objects"},
      {"Test_validateExportTo/* and others", "VirtualService",
       "{hosts: [foo.bar], exportTo: ['*', ns1], http: [" + routeWith("") + "]}", kBad,
       "cannot have both public (*) and non-public exportTo values for a resource"},
      {"Test_validateExportTo/bad namespace", "VirtualService",
       "{hosts: [foo.bar], exportTo: [ns_1], http: [" + routeWith("") + "]}", kBad,
       "only .,*, or a valid DNS 1123 label is allowed as exportTo entry"},
      {"Test_validateExportTo/., ns1", "VirtualService",
       "{hosts: [foo.bar], exportTo: [., ns1], http: [" + routeWith("") + "]}", kOk, ""},

      {"TestValidateVirtualService/allow sni based domains", "VirtualService",
       "{hosts: [outbound_.15010_._.istiod.istio-system.svc.cluster.local], gateways: "
       "[ns1/gateway], tls: [{match: [{sniHosts: "
       "[outbound_.15010_._.istiod.istio-system.svc.cluster.local]}], route: [{destination: "
       "{host: istio.istio-system.svc.cluster.local}}]}]}",
       kUnmodelled, "spec.tls"},
      {"ValidateWildcardDomainForVirtualServiceBoundToGateway/outbound_ without SNI",
       "VirtualService",
       "{hosts: [outbound_.15010_._.istiod.istio-system.svc.cluster.local], gateways: "
       "[ns1/gateway], http: [" +
           routeWith("") + "]}",
       kBad, "spec.hosts: VirtualService default/c: domain name"},
      {"ValidateWildcardDomainForVirtualServiceBoundToGateway/outbound_ port without digits",
       "VirtualService",
       "{hosts: [outbound_.http_._.foo.bar], gateways: [ns1/gateway], tls: [{match: [{sniHosts: "
       "[outbound_.http_._.foo.bar]}], route: [{destination: {host: foo.bar}}]}]}",
       kBad, "(label \"http\" invalid). should follow outbound_.<PORT>_._.<HOSTNAME> format"},
      {"TestValidateVirtualService/missing tcp route", "VirtualService",
       "{hosts: [foo.bar], tcp: [{match: [{port: 999}]}]}", kBad,
       "spec.tcp[0].route: VirtualService default/c: TCP route is required"},
      {"TestValidateVirtualService/missing tls route", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{port: 999, sniHosts: [foo.bar]}]}]}", kBad,
       "spec.tls[0].route: VirtualService default/c: TLS route is required"},
      {"TestValidateVirtualService/ip address as sni host (a warning)", "VirtualService",
       "{hosts: [foo.bar], tls: [{route: [{destination: {host: foo.baz}}], match: [{port: 999, "
       "sniHosts: [1.1.1.1]}]}]}",
       kUnmodelled, "spec.tls"},
      {"TestValidateVirtualService/invalid wildcard as sni host", "VirtualService",
       "{hosts: [foo.bar], tls: [{route: [{destination: {host: foo.baz}}], match: [{port: 999, "
       "sniHosts: [foo.*.com]}]}]}",
       kBad,
       "spec.tls[0].match[0].sniHosts: VirtualService default/c: domain name \"*.com\" invalid "
       "(label \"*\" invalid)"},
      {"validateTLSRoute/no match (CRD: match is required)", "VirtualService",
       "{hosts: [foo.bar], tls: [{route: [{destination: {host: foo.baz}}]}]}", kBad,
       "spec.tls[0].match: VirtualService default/c: TLS route must have at least one match "
       "condition"},
      {"validateTLSMatch/no SNI hosts (CRD: sniHosts is required)", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{port: 443}], route: [{destination: {host: "
       "foo.baz}}]}]}",
       kBad,
       "spec.tls[0].match[0].sniHosts: VirtualService default/c: TLS match must have at least "
       "one SNI host"},
      {"validateTLSMatch/empty SNI hosts", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{sniHosts: []}], route: [{destination: {host: "
       "foo.baz}}]}]}",
       kBad, "TLS match must have at least one SNI host"},
      {"validateSniHost/not a subset of the hosts", "VirtualService",
       "{hosts: [foo.bar, '*.baz'], tls: [{match: [{sniHosts: [other.bar]}], route: "
       "[{destination: {host: foo.baz}}]}]}",
       kBad,
       "spec.tls[0].match[0].sniHosts: VirtualService default/c: SNI host \"other.bar\" is not "
       "a compatible subset of any of the virtual service hosts: [foo.bar, *.baz]"},
      {"validateSniHost/covered by a wildcard host", "VirtualService",
       "{hosts: ['*.bar'], gateways: [ns1/gw], tls: [{match: [{sniHosts: [a.foo.bar, "
       "'*.foo.bar']}], route: [{destination: {host: foo.baz}}]}]}",
       kUnmodelled, "spec.tls"},
      {"validateSniHost/a wildcard is not a subset of a plain host", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{sniHosts: ['*.bar']}], route: [{destination: "
       "{host: foo.baz}}]}]}",
       kBad, "SNI host \"*.bar\" is not a compatible subset"},
      {"validateTLSMatch/bad destination subnet", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{sniHosts: [foo.bar], destinationSubnets: "
       "[10.0.0.0/33]}], route: [{destination: {host: foo.baz}}]}]}",
       kBad,
       "spec.tls[0].match[0].destinationSubnets: VirtualService default/c: 10.0.0.0/33 is not "
       "a valid CIDR block"},
      {"validateTLSMatch/bad port", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{sniHosts: [foo.bar], port: 70000}], route: "
       "[{destination: {host: foo.baz}}]}]}",
       kBad,
       "spec.tls[0].match[0].port: VirtualService default/c: port number 70000 must be in the "
       "range 1..65535"},
      {"validateTLSMatch/bad gateway", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{sniHosts: [foo.bar], gateways: ['*/gw']}], route: "
       "[{destination: {host: foo.baz}}]}]}",
       kBad,
       "spec.tls[0].match[0].gateways: VirtualService default/c: invalid value for "
       "namespace: \"*\""},
      {"validateTCPRoute/simple", "VirtualService",
       "{hosts: [foo.bar], tcp: [{match: [{port: 9000, destinationSubnets: [10.0.0.0/8, "
       "'2001:db8::/32', 1.2.3.4], sourceLabels: {app: a}, gateways: [mesh]}], route: "
       "[{destination: {host: foo.baz, port: {number: 9000}}, weight: 60}, {destination: "
       "{host: foo.qux}, weight: 40}]}]}",
       kUnmodelled, "spec.tcp"},
      {"validateTCPRoute/tcp and http routes", "VirtualService",
       "{hosts: [foo.bar], http: [" + routeWith("") +
           "], tcp: [{route: [{destination: {host: foo.baz}}]}]}",
       kUnmodelled, "spec.tcp"},
      {"validateTCPRoute/invalid tcp route next to http routes", "VirtualService",
       "{hosts: [foo.bar], http: [" + routeWith("") +
           "], tcp: [{route: [{destination: {host: foo.baz}, weight: -1}]}]}",
       kBad, "spec.tcp[0].route[0].weight: VirtualService default/c: weight -1 < 0"},
      {"validateTCPMatch/null match", "VirtualService",
       "{hosts: [foo.bar], tcp: [{match: [~], route: [{destination: {host: foo.baz}}]}]}", kBad,
       "spec.tcp[0].match[0]: VirtualService default/c: tcp match may not be nil"},
      {"validateTCPMatch/not an IP", "VirtualService",
       "{hosts: [foo.bar], tcp: [{match: [{destinationSubnets: [foo]}], route: [{destination: "
       "{host: foo.baz}}]}]}",
       kBad,
       "spec.tcp[0].match[0].destinationSubnets: VirtualService default/c: foo is not a "
       "valid IP"},
      {"validateTCPMatch/bad source labels", "VirtualService",
       "{hosts: [foo.bar], tcp: [{match: [{sourceLabels: {'a b': c}}], route: [{destination: "
       "{host: foo.baz}}]}]}",
       kBad, "spec.tcp[0].match[0].sourceLabels: VirtualService default/c: invalid tag key"},
      {"validateTCPMatch/unknown field", "VirtualService",
       "{hosts: [foo.bar], tcp: [{match: [{sniHosts: [foo.bar]}], route: [{destination: {host: "
       "foo.baz}}]}]}",
       kBad, "spec.tcp[0].match[0].sniHosts: VirtualService default/c: unknown field"},
      {"TestValidateRouteDestination/no destination (tcp)", "VirtualService",
       "{hosts: [foo.bar], tcp: [{route: [{weight: 1}]}]}", kBad,
       "spec.tcp[0].route[0]: VirtualService default/c: destination is required"},
      {"TestValidateRouteDestination/wildcard (tls)", "VirtualService",
       "{hosts: [foo.bar], tls: [{match: [{sniHosts: [foo.bar]}], route: [{destination: {host: "
       "'*'}}]}]}",
       kBad,
       "spec.tls[0].route[0].destination.host: VirtualService default/c: invalid destination "
       "host *"},
      {"TestValidateRouteDestination/total weight = 0 with multi RouteDestination (tcp)",
       "VirtualService",
       "{hosts: [foo.bar], tcp: [{route: [{destination: {host: foo.baz.south}, weight: 0}, "
       "{destination: {host: foo.baz.east}, weight: 0}]}]}",
       kBad, "spec.tcp[0].route: VirtualService default/c: total destination weight = 0"},
      {"validateGatewayNames/names after a bare name are not checked", "VirtualService",
       "{hosts: [foo.bar], gateways: [gw, 'ns1/*'], http: [" + routeWith("") + "]}", kOk, ""},

      // TestValidateChainingVirtualService (virtualservice_test.go): delegates
      {"TestValidateChainingVirtualService/root simple", "VirtualService",
       "{hosts: [foo.bar], gateways: [test-gateway], http: [{delegate: {name: test, namespace: "
       "test}}]}",
       kUnmodelled, "spec.http[0].delegate"},
      {"TestValidateChainingVirtualService/root applies to sidecar with delegate", "VirtualService",
       vs("{delegate: {name: test, namespace: test}}"), kUnmodelled, "spec.http[0].delegate"},
      {"TestValidateChainingVirtualService/root with delegate and destination in one route",
       "VirtualService", vs(routeWith("delegate: {name: test, namespace: test}")), kBad,
       "root HTTP route must not specify route"},
      {"TestValidateChainingVirtualService/delegate with no destination", "VirtualService",
       "{hosts: [], http: [{}]}", kBad,
       "spec.http[0]: VirtualService default/c: HTTP route, redirect or direct_response is "
       "required"},
      {"TestValidateChainingVirtualService/delegate with delegate", "VirtualService",
       "{hosts: [], http: [{delegate: {name: test, namespace: test}}]}", kBad,
       "spec.http[0].delegate: VirtualService default/c: delegate HTTP route cannot contain "
       "delegate"},
      {"TestValidateChainingVirtualService/delegate with TCP route", "VirtualService",
       "{hosts: [], tcp: [{route: [{destination: {host: foo.baz}}]}]}", kBad,
       "spec.tcp: VirtualService default/c: delegate virtual service must have no tcp route "
       "specified"},
      {"ValidateVirtualService/delegate with TLS route", "VirtualService",
       "{tls: [{match: [{sniHosts: [foo.bar]}], route: [{destination: {host: foo.baz}}]}]}", kBad,
       "spec.tls: VirtualService default/c: delegate virtual service must have no tls route "
       "specified"},
      {"TestValidateChainingVirtualService/delegate with gateway", "VirtualService",
       "{hosts: [], gateways: [test], http: [" + routeWith("") + "]}", kBad,
       "spec.gateways: VirtualService default/c: delegate virtual service must have no gateways "
       "specified"},
      {"TestValidateChainingVirtualService/delegate with sourceNamespace", "VirtualService",
       "{hosts: [], http: [" + routeWith("match: [{sourceNamespace: test}]") + "]}", kUnmodelled,
       "spec.hosts"},
      // TestValidateDelegateHTTPRoute: the routes of a delegate VirtualService
      {"TestValidateDelegateHTTPRoute/no destination", "VirtualService",
       "{http: [{route: [{weight: 1}]}]}", kBad,
       "spec.http[0].route[0]: VirtualService default/c: destination is required"},
      {"TestValidateDelegateHTTPRoute/conflicting redirect and route", "VirtualService",
       "{http: [" + routeWith("redirect: {uri: /lerp, authority: foo.biz}") + "]}", kBad,
       "only one of route, redirect and directResponse may be set"},
      {"TestValidateDelegateHTTPRoute/empty header name - request add", "VirtualService",
       "{http: [{route: [{destination: {host: foo.baz}, headers: {request: {add: {'': "
       "value}}}}]}]}",
       kBad, "header name cannot be empty"},
      {"TestValidateDelegateHTTPRoute/invalid mirror percentage", "VirtualService",
       "{http: [" + routeWith("mirror: {host: foo.baz}, mirrorPercentage: {value: 101}") + "]}",
       kBad, "spec.http[0].mirrorPercentage.value"},
      {"TestValidateDelegateHTTPRoute/simple redirect", "VirtualService",
       "{http: [{redirect: {uri: /lerp, authority: foo.biz}}]}", kUnmodelled, "spec.hosts"},
      {"ValidateVirtualService/delegate JWT claim route (mesh)", "VirtualService",
       "{http: [" + routeWith("match: [{headers: {'@request.auth.claims.foo': {exact: bar}}}]") +
           "]}",
       kBad, "is only supported for gateway"},

      // TestValidateHTTPRoute
      {"TestValidateHTTPRoute/empty", "VirtualService", vs("{name: r}"), kBad,
       "spec.http[0]: VirtualService default/c: HTTP route, redirect or direct_response is "
       "required"},
      {"TestValidateHTTPRoute/weighted", "VirtualService",
       vs("{route: [{destination: {host: foo.baz.south}, weight: 25}, {destination: {host: "
          "foo.baz.east}, weight: 75}]}"),
       kOk, ""},
      {"TestValidateHTTPRoute/total weight > 100", "VirtualService",
       vs("{route: [{destination: {host: foo.baz.south}, weight: 550}, {destination: {host: "
          "foo.baz.east}, weight: 500}]}"),
       kOk, ""},
      {"TestValidateHTTPRoute/simple redirect", "VirtualService",
       vs("{redirect: {uri: /lerp, authority: foo.biz}}"), kOk, ""},
      {"TestValidateHTTPRoute/conflicting redirect and route", "VirtualService",
       vs(routeWith("redirect: {uri: /lerp, authority: foo.biz}")), kBad,
       "only one of route, redirect and directResponse may be set"},
      {"TestValidateHTTPRoute/valid headers", "VirtualService",
       vsDestHeaders("{request: {add: {name: ''}, set: {name: ''}, remove: [name]}, response: "
                     "{add: {name: ''}, set: {name: ''}, remove: [name]}}"),
       kOk, ""},
      {"TestValidateHTTPRoute/empty header name - request add", "VirtualService",
       vsDestHeaders("{request: {add: {'': value}}}"), kBad,
       "spec.http[0].route[0].headers.request.add: VirtualService default/c: header name cannot "
       "be empty"},
      {"TestValidateHTTPRoute/empty header name - request set", "VirtualService",
       vsDestHeaders("{request: {set: {'': value}}}"), kBad, "header name cannot be empty"},
      {"TestValidateHTTPRoute/empty header name - request remove", "VirtualService",
       vsDestHeaders("{request: {remove: ['']}}"), kBad,
       "spec.http[0].route[0].headers.request.remove: VirtualService default/c: header name "
       "cannot be empty"},
      {"TestValidateHTTPRoute/empty header name - response add", "VirtualService",
       vsDestHeaders("{response: {add: {'': value}}}"), kBad, "header name cannot be empty"},
      {"TestValidateHTTPRoute/empty header name - response set", "VirtualService",
       vs(routeWith("headers: {response: {set: {'': value}}}")), kBad,
       "spec.http[0].headers.response.set: VirtualService default/c: header name cannot be empty"},
      {"TestValidateHTTPRoute/empty header name - response remove", "VirtualService",
       vsDestHeaders("{response: {remove: ['']}}"), kBad, "header name cannot be empty"},
      {"TestValidateHTTPRoute/envoy escaped % set", "VirtualService",
       vsDestHeaders("{response: {set: {i-love-istio: 100%%}}}"), kOk, ""},
      {"TestValidateHTTPRoute/envoy variable set", "VirtualService",
       vsDestHeaders("{response: {set: {name: '%HOSTNAME%'}}}"), kUnmodelled,
       "spec.http[0].route[0].headers.response.set.name"},
      {"TestValidateHTTPRoute/envoy unescaped % set", "VirtualService",
       vsDestHeaders("{response: {set: {name: abcd%oijasodifj}}}"), kBad,
       "spec.http[0].route[0].headers.response.set.name: VirtualService default/c: header value "
       "configuration: invalid header configuration. Un-terminated variable expression"},
      {"TestValidateHTTPRoute/envoy escaped % add", "VirtualService",
       vsDestHeaders("{response: {add: {i-love-istio: 100%% and more}}}"), kOk, ""},
      {"TestValidateHTTPRoute/envoy variable add", "VirtualService",
       vs(routeWith("headers: {request: {add: {name: 'hello %HOSTNAME%'}}}")), kUnmodelled,
       "spec.http[0].headers.request.add.name"},
      {"TestValidateHTTPRoute/envoy unescaped % add", "VirtualService",
       vsDestHeaders("{response: {add: {name: abcd%oijasodifj}}}"), kBad,
       "Un-terminated variable expression"},
      {"TestValidateHTTPHeaderValue/%START_TIME%%", "VirtualService",
       vsDestHeaders("{request: {set: {x: '%START_TIME%%'}}}"), kBad,
       "invalid header configuration. Un-escaped %"},
      {"TestValidateHTTPHeaderValue/control character", "VirtualService",
       vsDestHeaders("{request: {set: {x: \"a\\x01b\"}}}"), kBad, "is invalid"},
      {"TestValidateHTTPRoute/empty prefix header match", "VirtualService",
       vsMatch("{headers: {emptyprefix: {prefix: ''}}}"), kBad,
       "spec.http[0].match[0].headers.emptyprefix.prefix: VirtualService default/c: prefix "
       "string match should not be empty"},
      {"TestValidateHTTPRoute/nil match", "VirtualService", vs(routeWith("match: null")), kOk, ""},
      {"TestValidateDelegateHTTPRoute/null header match (YAML null: pruned, no condition)",
       "VirtualService", vsMatch("{headers: {header: ~, 'bad name': }, uri: {prefix: /}}"), kOk,
       ""},
      {"validateHTTPRouteMatchRequest/null exact is an empty StringMatch (presence)",
       "VirtualService", vsMatch("{headers: {header: {exact: ~}}}"), kOk, ""},
      {"validateHTTPRoute/timeout with a sign (Go's time.ParseDuration)", "VirtualService",
       vs(routeWith("timeout: '+1s'")), kOk, ""},
      {"validateHTTPRoute/timeout 1.5s", "VirtualService", vs(routeWith("timeout: 1.5s")), kOk, ""},
      {"validateHTTPRoute/timeout 1h", "VirtualService", vs(routeWith("timeout: 1h")), kOk, ""},
      {"validateHTTPRoute/timeout 1m30.5s", "VirtualService", vs(routeWith("timeout: 1m30.5s")),
       kOk, ""},
      {"validateHTTPRoute/negative timeout", "VirtualService", vs(routeWith("timeout: -1s")), kBad,
       "spec.http[0].timeout: VirtualService default/c: duration must be at least 1ms, got "
       "\"-1s\""},
      {"validateHTTPRoute/timeout of 1ns", "VirtualService", vs(routeWith("timeout: 0.000000001s")),
       kBad, "spec.http[0].timeout: VirtualService default/c: duration must be at least 1ms"},
      {"validateHTTPRoute/timeout in days", "VirtualService", vs(routeWith("timeout: 1d")), kBad,
       "spec.http[0].timeout: VirtualService default/c: invalid duration \"1d\" (time: unknown "
       "unit \"d\" in duration \"1d\")"},
      {"validateHTTPRoute/timeout without a unit", "VirtualService", vs(routeWith("timeout: 10")),
       kBad, "time: missing unit in duration \"10\""},
      {"validateHTTPRoute/timeout with spaces", "VirtualService", vs(routeWith("timeout: ' 1s'")),
       kBad, "time: invalid duration \" 1s\""},
      {"validateHTTPRetry/perTryTimeout with a sign", "VirtualService",
       vs(routeWith("retries: {attempts: 3, perTryTimeout: '+250ms'}")), kOk, ""},
      {"TestValidateHTTPRoute/invalid mirror percent", "VirtualService",
       vs(routeWith("mirror: {host: foo.baz}, mirrorPercent: 101")), kBad,
       "spec.http[0].mirrorPercent"},
      {"TestValidateHTTPRoute/invalid mirror percentage", "VirtualService",
       vs(routeWith("mirror: {host: foo.baz}, mirrorPercentage: {value: 101}")), kBad,
       "spec.http[0].mirrorPercentage.value"},
      {"TestValidateHTTPRoute/valid mirror percentage", "VirtualService",
       vs(routeWith("mirror: {host: foo.baz}, mirrorPercentage: {value: 1}")), kOk, ""},
      {"TestValidateHTTPRoute/negative mirror percentage", "VirtualService",
       vs(routeWith("mirror: {host: foo.baz}, mirrorPercentage: {value: -1}")), kBad,
       "spec.http[0].mirrorPercentage.value"},
      {"TestValidateHTTPRoute/mirrors without destination", "VirtualService",
       vs(routeWith("mirrors: [{percentage: {value: 1}}]")), kBad,
       "spec.http[0].mirrors[0]: VirtualService default/c: destination is required for mirrors"},
      {"TestValidateHTTPRoute/mirrors invalid mirror percentage", "VirtualService",
       vs(routeWith("mirrors: [{destination: {host: foo.baz}}, {destination: {host: foo.baz}, "
                    "percentage: {value: 101}}]")),
       kBad, "spec.http[0].mirrors[1].percentage.value"},
      {"TestValidateHTTPRoute/mirrors valid mirror percentage", "VirtualService",
       vs(routeWith("mirrors: [{destination: {host: foo.baz}, percentage: {value: 1}}, "
                    "{destination: {host: foo.baz}, percentage: {value: 50}}]")),
       kOk, ""},
      {"TestValidateHTTPRoute/conflicting mirror and mirrors", "VirtualService",
       vs(routeWith("mirror: {host: foo.baz}, mirrors: [{destination: {host: foo.bar}}]")), kBad,
       "only one of mirror and mirrors may be set"},
      {"validateHTTPRoute/mirror destination host", "VirtualService",
       vs(routeWith("mirror: {host: '*'}")), kBad,
       "spec.http[0].mirror.host: VirtualService default/c: invalid destination host *"},
      {"validateHTTPRoute/timeout ms precision", "VirtualService",
       vs(routeWith("timeout: 1.0005s")), kBad,
       "spec.http[0].timeout: VirtualService default/c: only durations to ms precision are "
       "supported"},

      // TestValidateRouteDestination (the checks HTTP routes share)
      {"TestValidateRouteDestination/wildcard dash", "VirtualService",
       vs("{route: [{destination: {host: '*-foo.baz'}}]}"), kOk, ""},
      {"TestValidateRouteDestination/wildcard prefix", "VirtualService",
       vs("{route: [{destination: {host: '*foo.baz'}}]}"), kOk, ""},
      {"TestValidateRouteDestination/wildcard", "VirtualService",
       vs("{route: [{destination: {host: '*'}}]}"), kBad,
       "spec.http[0].route[0].destination.host: VirtualService default/c: invalid destination "
       "host *"},
      {"TestValidateRouteDestination/bad wildcard", "VirtualService",
       vs("{route: [{destination: {host: 'foo.*'}}]}"), kBad,
       "domain name \"*\" invalid (label \"*\" invalid)"},
      {"TestValidateRouteDestination/bad fqdn", "VirtualService",
       vs("{route: [{destination: {host: default/baz}}]}"), kBad,
       "domain name \"default/baz\" invalid (label \"default/baz\" invalid)"},
      {"TestValidateRouteDestination/weight < 0", "VirtualService",
       vs("{route: [{destination: {host: foo.baz.south}, weight: 5}, {destination: {host: "
          "foo.baz.east}, weight: -1}]}"),
       kBad, "spec.http[0].route[1].weight"},
      {"TestValidateRouteDestination/total weight = 100", "VirtualService",
       vs("{route: [{destination: {host: foo.baz.south}, weight: 100}, {destination: {host: "
          "foo.baz.east}, weight: 0}]}"),
       kOk, ""},
      {"TestValidateRouteDestination/weight = 0", "VirtualService",
       vs("{route: [{destination: {host: foo.baz.south}, weight: 0}]}"), kOk, ""},
      {"TestValidateRouteDestination/total weight = 0 with multi RouteDestination",
       "VirtualService",
       vs("{route: [{destination: {host: foo.baz.south}, weight: 0}, {destination: {host: "
          "foo.baz.east}, weight: 0}]}"),
       kBad, "total destination weight = 0"},

      // TestValidateDestination
      {"TestValidateDestination/full", "VirtualService",
       vs("{route: [{destination: {host: foo.bar, subset: shiny, port: {number: 5000}}}]}"), kOk,
       ""},
      {"TestValidateDestination/unnumbered-selector", "VirtualService",
       vs("{route: [{destination: {host: foo.bar, subset: shiny, port: {}}}]}"), kBad,
       "spec.http[0].route[0].destination.port.number"},
      {"validateSubsetName/upper case is a DNS-1123 label to Istio", "VirtualService",
       vs("{route: [{destination: {host: foo.bar, subset: V1}}]}"), kOk, ""},
      {"validateSubsetName/invalid", "VirtualService",
       vs("{route: [{destination: {host: foo.bar, subset: v1.0}}]}"), kBad,
       "spec.http[0].route[0].destination.subset: VirtualService default/c: subset name is "
       "invalid: v1.0"},

      // TestValidateRootHTTPRoute (virtualservice_test.go), the independent-route cases
      {"TestValidateRootHTTPRoute/simple", "VirtualService",
       vs("{delegate: {name: test, namespace: test}}"), kUnmodelled, "spec.http[0].delegate"},
      {"TestValidateRootHTTPRoute/route and delegate conflict", "VirtualService",
       vs(routeWith("delegate: {name: test, namespace: test}")), kBad,
       "spec.http[0].route: VirtualService default/c: root HTTP route must not specify route"},
      {"TestValidateRootHTTPRoute/redirect and delegate conflict", "VirtualService",
       vs("{redirect: {uri: /lerp, authority: foo.biz}, delegate: {name: test, namespace: "
          "test}}"),
       kBad,
       "spec.http[0].redirect: VirtualService default/c: root HTTP route must not specify "
       "redirect"},
      {"TestValidateRootHTTPRoute/empty prefix header match (delegate)", "VirtualService",
       vs("{delegate: {name: test, namespace: test}, match: [{headers: {header: {prefix: "
          "''}}}]}"),
       kBad, "spec.http[0].match[0].headers.header.prefix"},
      {"TestValidateRootHTTPRoute/regex uri match (delegate)", "VirtualService",
       vs("{delegate: {name: test, namespace: test}, match: [{uri: {regex: test}}]}"), kUnmodelled,
       "spec.http[0].delegate"},
      {"validateHTTPRouteConflict/a root route checks only route and redirect", "VirtualService",
       vs("{name: r, delegate: {name: test}, directResponse: {status: 200}, fault: {abort: "
          "{httpStatus: 500}}}"),
       kUnmodelled, "spec.http[0].delegate"},
      {"TestValidateRootHTTPRoute/prefix header match", "VirtualService",
       vsMatch("{headers: {header: {prefix: test}}}"), kOk, ""},
      {"TestValidateRootHTTPRoute/exact header match", "VirtualService",
       vsMatch("{headers: {header: {exact: test}}}"), kOk, ""},
      {"TestValidateRootHTTPRoute/regex header match", "VirtualService",
       vsMatch("{headers: {header: {regex: test}}}"), kOk, ""},
      {"TestValidateRootHTTPRoute/exact without headers match", "VirtualService",
       vsMatch("{withoutHeaders: {header: {exact: test}}}"), kOk, ""},
      {"TestValidateRootHTTPRoute/regex without headers match ?", "VirtualService",
       vsMatch("{withoutHeaders: {header: {regex: '?'}}}"), kBad,
       "spec.http[0].match[0].withoutHeaders.header.regex"},
      {"TestValidateRootHTTPRoute/regex without headers match *", "VirtualService",
       vsMatch("{withoutHeaders: {header: {regex: '*'}}}"), kOk, ""},
      {"TestValidateRootHTTPRoute/regex uri match", "VirtualService",
       vsMatch("{uri: {regex: test}}"), kOk, ""},
      {"TestValidateRootHTTPRoute/exact queryParams match", "VirtualService",
       vsMatch("{queryParams: {q: {exact: test}}}"), kOk, ""},
      {"TestValidateRootHTTPRoute/empty regex match in method", "VirtualService",
       vsMatch("{method: {regex: ''}}"), kBad, "spec.http[0].match[0].method.regex"},
      {"TestValidateRootHTTPRoute/empty regex match in query", "VirtualService",
       vsMatch("{queryParams: {q: {regex: ''}}}"), kBad,
       "spec.http[0].match[0].queryParams.q.regex"},
      {"TestValidateRootHTTPRoute/empty regex match in scheme", "VirtualService",
       vsMatch("{scheme: {regex: ''}}"), kBad, "spec.http[0].match[0].scheme.regex"},
      {"TestValidateRootHTTPRoute/empty prefix match in scheme", "VirtualService",
       vsMatch("{scheme: {prefix: ''}}"), kBad, "spec.http[0].match[0].scheme.prefix"},

      // TestValidateHTTPRetry
      {"TestValidateHTTPRetry/valid", "VirtualService",
       vs(routeWith("retries: {attempts: 10, perTryTimeout: 2s, retryOn: '5xx,gateway-error'}")),
       kOk, ""},
      {"TestValidateHTTPRetry/disable retries", "VirtualService",
       vs(routeWith("retries: {attempts: 0}")), kOk, ""},
      {"TestValidateHTTPRetry/invalid, retry policy configured but attempts set to zero",
       "VirtualService",
       vs(routeWith("retries: {attempts: 0, perTryTimeout: 2s, retryOn: '5xx,gateway-error'}")),
       kBad,
       "spec.http[0].retries.attempts: VirtualService default/c: http retry policy configured "
       "when attempts are set to 0 (disabled)"},
      {"TestValidateHTTPRetry/valid http status retryOn", "VirtualService",
       vs(routeWith("retries: {attempts: 10, perTryTimeout: 2s, retryOn: '503,connect-failure'}")),
       kOk, ""},
      {"TestValidateHTTPRetry/invalid attempts", "VirtualService",
       vs(routeWith("retries: {attempts: -1, perTryTimeout: 2s}")), kBad,
       "spec.http[0].retries.attempts: VirtualService default/c: attempts cannot be negative"},
      {"TestValidateHTTPRetry/invalid timeout", "VirtualService",
       vs(routeWith("retries: {attempts: 10, perTryTimeout: 2.000000001s}")), kBad,
       "spec.http[0].retries.perTryTimeout: VirtualService default/c: only durations to ms "
       "precision are supported"},
      {"TestValidateHTTPRetry/timeout too small", "VirtualService",
       vs(routeWith("retries: {attempts: 10, perTryTimeout: 999ns}")), kBad,
       "spec.http[0].retries.perTryTimeout: VirtualService default/c: duration must be at least "
       "1ms"},
      {"TestValidateHTTPRetry/invalid backoff (1.26+)", "VirtualService",
       vs(routeWith("retries: {attempts: 10, backoff: 999ns}")), kBad,
       "spec.http[0].retries.backoff"},
      {"TestValidateHTTPRetry/invalid policy retryOn", "VirtualService",
       vs(routeWith("retries: {attempts: 10, perTryTimeout: 2s, retryOn: '5xx,invalid policy'}")),
       kBad,
       "spec.http[0].retries.retryOn: VirtualService default/c: \"invalid policy\" is not a valid "
       "retryOn policy"},
      {"TestValidateHTTPRetry/invalid http status retryOn", "VirtualService",
       vs(routeWith("retries: {attempts: 10, perTryTimeout: 2s, retryOn: '600,connect-failure'}")),
       kBad, "\"600\" is not a valid retryOn policy"},
      {"TestValidateHTTPRetry/invalid, retryRemoteLocalities configured but attempts set to zero",
       "VirtualService", vs(routeWith("retries: {attempts: 0, retryRemoteLocalities: false}")),
       kBad, "http retry policy configured when attempts are set to 0 (disabled)"},

      // TestValidateHTTPRewrite, TestValidateUriRegexRewrite
      {"TestValidateHTTPRewrite/uri and authority", "VirtualService",
       vs(routeWith("rewrite: {uri: /path/to/resource, authority: foobar.org}")), kOk, ""},
      {"TestValidateHTTPRewrite/uri", "VirtualService",
       vs(routeWith("rewrite: {uri: /path/to/resource}")), kOk, ""},
      {"TestValidateHTTPRewrite/authority", "VirtualService",
       vs(routeWith("rewrite: {authority: foobar.org}")), kOk, ""},
      {"TestValidateHTTPRewrite/uriRegexRewrite", "VirtualService",
       vs(routeWith(
           R"(rewrite: {uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$', rewrite: '\2/instance/\1'}})")),
       kOk, ""},
      {"TestValidateHTTPRewrite/uriRegexRewrite and authority", "VirtualService",
       vs(routeWith(
           R"(rewrite: {authority: foobar.org, uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$', rewrite: '\2/instance/\1'}})")),
       kOk, ""},
      {"TestValidateHTTPRewrite/uriRegexRewrite and uri", "VirtualService",
       vs(routeWith(
           R"(rewrite: {uri: /path/to/resource, uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$', rewrite: '\2/instance/\1'}})")),
       kBad,
       "spec.http[0].rewrite: VirtualService default/c: rewrite may only contain one of URI or "
       "UriRegexRewrite"},
      {"TestValidateHTTPRewrite/no uri, uriRegexRewrite, or authority", "VirtualService",
       vs(routeWith("rewrite: {}")), kBad,
       "spec.http[0].rewrite: VirtualService default/c: rewrite must specify at least one of "
       "URI, UriRegexRewrite, or authority"},
      {"TestValidateUriRegexRewrite/uriRegexRewrite missing match", "VirtualService",
       vs(routeWith(R"(rewrite: {uriRegexRewrite: {rewrite: '\2/instance/\1'}})")), kBad,
       "spec.http[0].rewrite.uriRegexRewrite: VirtualService default/c: UriRegexRewrite requires "
       "both Rewrite and Match fields to be specified"},
      {"TestValidateUriRegexRewrite/uriRegexRewrite missing rewrite", "VirtualService",
       vs(routeWith("rewrite: {uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$'}}")), kBad,
       "UriRegexRewrite requires both Rewrite and Match fields to be specified"},
      {"TestValidateUriRegexRewrite/uriRegexRewrite invalid regex patterns", "VirtualService",
       vs(routeWith("rewrite: {uriRegexRewrite: {match: '[', rewrite: '['}}")), kBad,
       "spec.http[0].rewrite.uriRegexRewrite.match"},

      // TestValidateHTTPRedirect
      {"TestValidateHTTPRedirect/empty uri and authority", "VirtualService",
       vs("{redirect: {uri: '', authority: ''}}"), kBad,
       "spec.http[0].redirect: VirtualService default/c: redirect must specify URI, authority, "
       "scheme, or port"},
      {"TestValidateHTTPRedirect/too small redirect code", "VirtualService",
       vs("{redirect: {uri: t, redirectCode: 299}}"), kBad,
       "spec.http[0].redirect.redirectCode: VirtualService default/c: 299 is not a valid redirect "
       "code, must be 3xx"},
      {"TestValidateHTTPRedirect/too large redirect code", "VirtualService",
       vs("{redirect: {uri: t, redirectCode: 400}}"), kBad,
       "400 is not a valid redirect code, must be 3xx"},
      {"TestValidateHTTPRedirect/empty authority", "VirtualService", vs("{redirect: {uri: t}}"),
       kOk, ""},
      {"TestValidateHTTPRedirect/empty uri", "VirtualService", vs("{redirect: {authority: t}}"),
       kOk, ""},
      {"TestValidateHTTPRedirect/empty redirect code", "VirtualService",
       vs("{redirect: {uri: t, authority: t, redirectCode: 0}}"), kOk, ""},
      {"TestValidateHTTPRedirect/normal redirect", "VirtualService",
       vs("{redirect: {uri: t, authority: t, redirectCode: 308}}"), kOk, ""},
      {"validateHTTPRedirect/port only", "VirtualService", vs("{redirect: {port: 8080}}"), kOk, ""},

      // TestValidateHTTPDirectResponse, TestValidateHTTPStatus
      {"TestValidateHTTPDirectResponse/status 200", "VirtualService",
       vs("{directResponse: {status: 200}}"), kOk, ""},
      {"TestValidateHTTPDirectResponse/status 100", "VirtualService",
       vs("{directResponse: {status: 199}}"), kBad,
       "spec.http[0].directResponse.status: VirtualService default/c: HTTP status 199 is not in "
       "range 200-599"},
      {"TestValidateHTTPDirectResponse/status 600", "VirtualService",
       vs("{directResponse: {status: 601}}"), kBad, "HTTP status 601 is not in range 200-599"},
      {"TestValidateHTTPDirectResponse/with string body", "VirtualService",
       vs("{directResponse: {status: 200, body: {string: hello}}}"), kOk, ""},
      {"TestValidateHTTPDirectResponse/with bytes body", "VirtualService",
       vs("{directResponse: {status: 200, body: {bytes: aGVsbG8=}}}"), kOk, ""},
      {"TestValidateHTTPDirectResponse/with string body over 100kb (a warning)", "VirtualService",
       vs("{directResponse: {status: 200, body: {string: " + std::string(size_t{101} * 1024, 'a') +
          "}}}"),
       kOk, ""},
      {"TestValidateHTTPDirectResponse/with string body over 1mb", "VirtualService",
       vs("{directResponse: {status: 200, body: {string: " +
          std::string(size_t{2} * 1024 * 1024, 'a') + "}}}"),
       kBad, "spec.http[0].directResponse.body"},

      // TestValidateCORSPolicy
      {"TestValidateCORSPolicy/valid", "VirtualService",
       vs(routeWith("corsPolicy: {allowMethods: [GET, POST], allowHeaders: [header1, header2], "
                    "exposeHeaders: [header3], maxAge: 2s}")),
       kOk, ""},
      {"TestValidateCORSPolicy/bad method", "VirtualService",
       vs(routeWith("corsPolicy: {allowMethods: [GET, PUTT], maxAge: 2s}")), kBad,
       "spec.http[0].corsPolicy.allowMethods: VirtualService default/c: \"PUTT\" is not a "
       "supported HTTP method"},
      {"TestValidateCORSPolicy/bad header", "VirtualService",
       vs(routeWith("corsPolicy: {allowMethods: [GET], exposeHeaders: ['']}")), kBad,
       "spec.http[0].corsPolicy.exposeHeaders: VirtualService default/c: header name cannot be "
       "empty"},
      {"TestValidateCORSPolicy/bad max age", "VirtualService",
       vs(routeWith("corsPolicy: {maxAge: 2.000000042s}")), kBad, "spec.http[0].corsPolicy.maxAge"},
      {"validateCORSPolicy/max age in whole seconds only", "VirtualService",
       vs(routeWith("corsPolicy: {maxAge: 1500ms}")), kBad,
       "max_age duration is accurate only to seconds precision"},
      {"TestValidateCORSPolicy/empty matchType AllowOrigins", "VirtualService",
       vs(routeWith("corsPolicy: {allowOrigins: [{exact: ''}]}")), kBad,
       "spec.http[0].corsPolicy.allowOrigins[0].exact: VirtualService default/c: '' is not a "
       "valid match type for CORS allow origins"},
      {"TestValidateCORSPolicy/empty regex AllowOrigins", "VirtualService",
       vs(routeWith("corsPolicy: {allowOrigins: [{regex: ''}]}")), kBad,
       "'' is not a valid match type for CORS allow origins"},
      {"TestValidateCORSPolicy/non empty matchType AllowOrigins", "VirtualService",
       vs(routeWith("corsPolicy: {allowOrigins: [{exact: exact}, {prefix: prefix}, {regex: "
                    "regex}], allowMethods: [GET, POST]}")),
       kOk, ""},
      {"ValidateCORSHTTPHeaderName/*", "VirtualService",
       vs(routeWith("corsPolicy: {allowHeaders: ['*']}")), kOk, ""},

      // TestValidateHTTPFaultInjectionAbort / Delay
      {"TestValidateHTTPFaultInjectionAbort/valid", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: 20}, httpStatus: 200}}")), kOk, ""},
      {"TestValidateHTTPFaultInjectionAbort/valid default", "VirtualService",
       vs(routeWith("fault: {abort: {httpStatus: 200}}")), kOk, ""},
      {"TestValidateHTTPFaultInjectionAbort/invalid http status", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: 20}, httpStatus: 9000}}")), kBad,
       "spec.http[0].fault.abort.httpStatus: VirtualService default/c: HTTP status 9000 is not "
       "in range 200-599"},
      {"TestValidateHTTPFaultInjectionAbort/invalid low http status", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: 20}, httpStatus: 100}}")), kBad,
       "HTTP status 100 is not in range 200-599"},
      {"TestValidateHTTPFaultInjectionAbort/valid percentage", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: 0.001}, httpStatus: 200}}")), kOk, ""},
      {"TestValidateHTTPFaultInjectionAbort/invalid fractional percent", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: -10.0}, httpStatus: 200}}")), kBad,
       "spec.http[0].fault.abort.percentage.value"},
      {"validatePercentage/between 0 and 0.0001", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: 0.00001}, httpStatus: 200}}")), kBad,
       "is neither 0.0, nor in range [0.0001, 100.0]"},
      {"TestValidateHTTPFaultInjectionAbort/grpc: valid", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: 20}, grpcStatus: DEADLINE_EXCEEDED}}")),
       kUnmodelled, "spec.http[0].fault.abort.grpcStatus"},
      {"TestValidateHTTPFaultInjectionAbort/grpc: invalid status", "VirtualService",
       vs(routeWith("fault: {abort: {percentage: {value: 20}, grpcStatus: BAD_STATUS}}")), kBad,
       "spec.http[0].fault.abort.grpcStatus: VirtualService default/c: gRPC status \"BAD_STATUS\" "
       "is not supported"},
      {"validateHTTPFaultInjectionAbort/http2Error is not supported", "VirtualService",
       vs(routeWith("fault: {abort: {http2Error: REFUSED_STREAM}}")), kBad,
       "HTTP/2 abort fault injection not supported yet"},
      {"validateHTTPFaultInjectionAbort/no error type (a warning; istiod drops the abort)",
       "VirtualService", vs(routeWith("fault: {abort: {percentage: {value: 20}}}")), kOk, ""},
      {"validateHTTPFaultInjection/neither abort nor delay", "VirtualService",
       vs(routeWith("fault: {}")), kBad, "HTTP fault injection must have an abort and/or a delay"},
      {"TestValidateHTTPFaultInjectionDelay/valid fixed", "VirtualService",
       vs(routeWith("fault: {delay: {percentage: {value: 20}, fixedDelay: 3s}}")), kOk, ""},
      {"TestValidateHTTPFaultInjectionDelay/valid default", "VirtualService",
       vs(routeWith("fault: {delay: {fixedDelay: 3s}}")), kOk, ""},
      {"TestValidateHTTPFaultInjectionDelay/invalid percent", "VirtualService",
       vs(routeWith("fault: {delay: {percentage: {value: 101}, fixedDelay: 3s}}")), kBad,
       "spec.http[0].fault.delay.percentage.value"},
      {"TestValidateHTTPFaultInjectionDelay/invalid delay", "VirtualService",
       vs(routeWith("fault: {delay: {percentage: {value: 20}, fixedDelay: 3.000000042s}}")), kBad,
       "spec.http[0].fault.delay.fixedDelay: VirtualService default/c: only durations to ms "
       "precision are supported"},
      {"TestValidateHTTPFaultInjectionDelay/valid fractional percentage", "VirtualService",
       vs(routeWith("fault: {delay: {percentage: {value: 0.001}, fixedDelay: 3s}}")), kOk, ""},
      {"TestValidateHTTPFaultInjectionDelay/invalid fractional percentage", "VirtualService",
       vs(routeWith("fault: {delay: {percentage: {value: -10.0}, fixedDelay: 3s}}")), kBad,
       "spec.http[0].fault.delay.percentage.value"},
      {"validateHTTPFaultInjectionDelay/exponentialDelay", "VirtualService",
       vs(routeWith("fault: {delay: {exponentialDelay: 1s}}")), kBad,
       "exponentialDelay not supported yet"},
      {"validateHTTPFaultInjectionDelay/no delay type (istiod drops the delay)", "VirtualService",
       vs(routeWith("fault: {delay: {percentage: {value: 20}}}")), kOk, ""},

      // TestValidateHTTPHeaderName (match header names), validateHTTPRouteMatchRequest
      {"TestValidateHTTPHeaderName/header1", "VirtualService",
       vsMatch("{headers: {header1: {exact: a}}}"), kOk, ""},
      {"TestValidateHTTPHeaderName/X-Requested-With", "VirtualService",
       vsMatch("{headers: {X-Requested-With: {exact: a}}}"), kOk, ""},
      {"TestValidateHTTPHeaderName/:authority", "VirtualService",
       vsMatch("{headers: {':authority': {exact: a}}}"), kOk, ""},
      {"TestValidateHTTPHeaderName/funky!$#_", "VirtualService",
       vsMatch("{headers: {'funky!$#_': {exact: a}}}"), kOk, ""},
      {"TestValidateHTTPHeaderName/::", "VirtualService", vsMatch("{headers: {'::': {exact: a}}}"),
       kBad,
       "spec.http[0].match[0].headers.::: VirtualService default/c: header name :: is not a valid "
       "header name"},
      {"TestValidateHTTPHeaderName/illegal\"char", "VirtualService",
       vsMatch("{withoutHeaders: {'illegal\"char': {exact: a}}}"), kBad,
       "header name illegal\"char is not a valid header name"},
      {"TestValidateHTTPHeaderName/empty", "VirtualService", vsMatch("{headers: {'': {exact: a}}}"),
       kBad, "header name cannot be empty"},
      {"validateHTTPRouteMatchRequest/headers regex * is not RE2", "VirtualService",
       vsMatch("{headers: {x: {regex: '*'}}}"), kBad, "spec.http[0].match[0].headers.x.regex"},
      {"validateHTTPRouteMatchRequest/withoutHeaders regex * is presence", "VirtualService",
       vsMatch("{withoutHeaders: {x: {regex: '*'}}}"), kOk, ""},
      {"validateHTTPRouteMatchRequest/empty regex", "VirtualService", vsMatch("{uri: {regex: ''}}"),
       kBad,
       "spec.http[0].match[0].uri.regex: VirtualService default/c: regex string match should not "
       "be empty"},
      {"validateHTTPRouteMatchRequest/uri allows an empty prefix", "VirtualService",
       vsMatch("{uri: {prefix: ''}}"), kOk, ""},
      {"validateHTTPRouteMatchRequest/method may not be an empty prefix", "VirtualService",
       vsMatch("{method: {prefix: ''}}"), kBad, "spec.http[0].match[0].method.prefix"},
      {"validateHTTPRouteMatchRequest/uri without a match type (prefix / in translation)",
       "VirtualService", vsMatch("{uri: {}}"), kOk, ""},
      {"validateHTTPRouteMatchRequest/method without a match type (a present match)",
       "VirtualService", vsMatch("{method: {}}"), kOk, ""},
      {"validateHTTPRouteMatchRequest/an empty exact method is valid", "VirtualService",
       vsMatch("{method: {exact: ''}}"), kOk, ""},
      {"validateHTTPRouteMatchRequest/queryParams empty prefix", "VirtualService",
       vsMatch("{queryParams: {q: {prefix: ''}}}"), kBad,
       "spec.http[0].match[0].queryParams.q.prefix"},
      {"validateHTTPRouteMatchRequest/sourceNamespace", "VirtualService",
       vsMatch("{sourceNamespace: foo.bar}"), kBad,
       "spec.http[0].match[0].sourceNamespace: VirtualService default/c: sourceNamespace match "
       "foo.bar is invalid"},
      {"validateHTTPRouteMatchRequest/sourceLabels value", "VirtualService",
       vsMatch("{sourceLabels: {app: 'not valid'}}"), kBad,
       "spec.http[0].match[0].sourceLabels: VirtualService default/c: invalid tag value: \"not "
       "valid\""},
      {"validateHTTPRouteMatchRequest/gateways", "VirtualService", vsMatch("{gateways: ['ns1/*']}"),
       kBad, "spec.http[0].match[0].gateways"},
  };
}

// A DestinationRule for reviews with `traffic_policy` (a flow mapping) at the top level.
std::string drPolicy(const std::string& traffic_policy) {
  return "{host: reviews, trafficPolicy: " + traffic_policy + "}";
}
const std::string kSubsets =
    "subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]";

std::vector<Case> destinationRuleCases() {
  return {
      // TestValidateDestinationRule
      {"TestValidateDestinationRule/simple destination rule", "DestinationRule",
       "{host: reviews, " + kSubsets + "}", kOk, ""},
      {"TestValidateDestinationRule/simple destination rule with empty selector labels",
       "DestinationRule", "{host: reviews, workloadSelector: {}, " + kSubsets + "}", kUnmodelled,
       "spec.workloadSelector"},
      {"TestValidateDestinationRule/missing destination name", "DestinationRule",
       "{host: '', " + kSubsets + "}", kBad, "spec.host"},
      {"TestValidateDestinationRule/missing subset name", "DestinationRule",
       "{host: reviews, subsets: [{name: '', labels: {version: v1}}]}", kBad,
       "spec.subsets[0].name"},
      {"TestValidateDestinationRule/duplicate subset names", "DestinationRule",
       "{host: reviews, subsets: [{name: foo, labels: {version: v1}}, {name: foo, labels: "
       "{version: v2}}]}",
       kBad, "spec.subsets[1].name: DestinationRule default/c: duplicate subset names: foo"},
      {"TestValidateDestinationRule/valid traffic policy, top level", "DestinationRule",
       "{host: reviews, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, connectionPool: "
       "{tcp: {maxConnections: 7}}, outlierDetection: {minHealthPercent: 20}}, " +
           kSubsets + "}",
       kOk, ""},
      {"TestValidateDestinationRule/invalid traffic policy, top level", "DestinationRule",
       "{host: reviews, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, connectionPool: {}, "
       "outlierDetection: {minHealthPercent: 20}}}",
       kBad,
       "spec.trafficPolicy.connectionPool: DestinationRule default/c: connection pool must have "
       "at least one field"},
      {"TestValidateDestinationRule/invalid traffic policy, subset level", "DestinationRule",
       "{host: reviews, subsets: [{name: v1, labels: {version: v1}, trafficPolicy: "
       "{connectionPool: {}}}]}",
       kBad, "spec.subsets[0].trafficPolicy.connectionPool"},
      {"validateSubsetName/upper case is a DNS-1123 label to Istio", "DestinationRule",
       "{host: reviews, subsets: [{name: V1, labels: {version: v1}}]}", kOk, ""},
      {"validateSubset/labels", "DestinationRule",
       "{host: reviews, subsets: [{name: v1, labels: {version: 'v 1'}}]}", kBad,
       "spec.subsets[0].labels: DestinationRule default/c: invalid tag value: \"v 1\""},
      {"ValidateDestinationRule/host", "DestinationRule", "{host: 'foo.*'}", kBad,
       "spec.host: DestinationRule default/c: domain name \"*\" invalid"},
      {"ValidateDestinationRule/wildcard host", "DestinationRule",
       "{host: '*.foo.com', trafficPolicy: {loadBalancer: {simple: RANDOM}}}", kOk, ""},
      {"Test_validateExportTo/DestinationRule ~", "DestinationRule",
       "{host: reviews, exportTo: ['~']}", kBad,
       "spec.exportTo: DestinationRule default/c: exportTo ~ (none) is not allowed"},

      // TestValidateTrafficPolicy
      {"TestValidateTrafficPolicy/invalid traffic policy, nil entries", "DestinationRule",
       drPolicy("{}"), kBad,
       "spec.trafficPolicy: DestinationRule default/c: traffic policy must have at least one "
       "field"},
      {"TestValidateTrafficPolicy/invalid traffic policy, missing port in port level settings",
       "DestinationRule", drPolicy("{portLevelSettings: [{loadBalancer: {simple: ROUND_ROBIN}}]}"),
       kBad,
       "spec.trafficPolicy.portLevelSettings[0]: DestinationRule default/c: portTrafficPolicy "
       "must have valid port"},
      {"TestValidateTrafficPolicy/port level settings (valid)", "DestinationRule",
       drPolicy("{portLevelSettings: [{port: {number: 80}, loadBalancer: {simple: RANDOM}}]}"), kOk,
       ""},
      {"TestValidateTrafficPolicy/invalid traffic policy, bad max connection duration",
       "DestinationRule",
       drPolicy("{loadBalancer: {simple: ROUND_ROBIN}, connectionPool: {tcp: "
                "{maxConnectionDuration: 500ns}}}"),
       kBad,
       "spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration: DestinationRule default/c: "
       "duration must be at least 1ms"},
      {"TestValidateTrafficPolicy/invalid traffic policy, panic threshold too low",
       "DestinationRule", drPolicy("{outlierDetection: {minHealthPercent: -1}}"), kBad,
       "spec.trafficPolicy.outlierDetection.minHealthPercent"},
      {"TestValidateTrafficPolicy/invalid traffic policy, both upgrade and use client protocol set",
       "DestinationRule",
       drPolicy("{connectionPool: {http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}}"),
       kBad,
       "spec.trafficPolicy.connectionPool.http.useClientProtocol: DestinationRule default/c: use "
       "client protocol must not be true when H2UpgradePolicy is UPGRADE"},
      {"validateTrafficPolicy/tunnel and proxyProtocol", "DestinationRule",
       drPolicy("{tunnel: {targetHost: foo.com, targetPort: 80}, proxyProtocol: {version: V1}}"),
       kBad, "tunnel and proxyProtocol must not be set together"},

      // TestValidateConnectionPool
      {"TestValidateConnectionPool/valid connection pool, tcp and http", "DestinationRule",
       drPolicy("{connectionPool: {tcp: {maxConnections: 7, connectTimeout: 2s}, http: "
                "{http1MaxPendingRequests: 2, http2MaxRequests: 11, maxRequestsPerConnection: 5, "
                "maxRetries: 4, idleTimeout: 30s, maxConcurrentStreams: 5}}}"),
       kUnmodelled, "spec.trafficPolicy.connectionPool.http.maxConcurrentStreams"},
      {"TestValidateConnectionPool/valid connection pool, tcp only", "DestinationRule",
       drPolicy("{connectionPool: {tcp: {maxConnections: 7, connectTimeout: 2s}}}"), kOk, ""},
      {"TestValidateConnectionPool/valid connection pool, http only (without "
       "maxConcurrentStreams)",
       "DestinationRule",
       drPolicy("{connectionPool: {http: {http1MaxPendingRequests: 2, http2MaxRequests: 11, "
                "maxRequestsPerConnection: 5, maxRetries: 4, idleTimeout: 30s}}}"),
       kOk, ""},
      {"TestValidateConnectionPool/invalid connection pool, bad max connections", "DestinationRule",
       drPolicy("{connectionPool: {tcp: {maxConnections: -1}}}"), kBad,
       "spec.trafficPolicy.connectionPool.tcp.maxConnections"},
      {"TestValidateConnectionPool/invalid connection pool, bad connect timeout", "DestinationRule",
       drPolicy("{connectionPool: {tcp: {connectTimeout: 2.000000005s}}}"), kBad,
       "spec.trafficPolicy.connectionPool.tcp.connectTimeout: DestinationRule default/c: only "
       "durations to ms precision are supported"},
      {"TestValidateConnectionPool/invalid connection pool, bad max pending requests",
       "DestinationRule", drPolicy("{connectionPool: {http: {http1MaxPendingRequests: -1}}}"), kBad,
       "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests"},
      {"TestValidateConnectionPool/invalid connection pool, bad max requests", "DestinationRule",
       drPolicy("{connectionPool: {http: {http2MaxRequests: -1}}}"), kBad,
       "spec.trafficPolicy.connectionPool.http.http2MaxRequests"},
      {"TestValidateConnectionPool/invalid connection pool, bad max requests per connection",
       "DestinationRule", drPolicy("{connectionPool: {http: {maxRequestsPerConnection: -1}}}"),
       kBad, "spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection"},
      {"TestValidateConnectionPool/invalid connection pool, bad max retries", "DestinationRule",
       drPolicy("{connectionPool: {http: {maxRetries: -1}}}"), kBad,
       "spec.trafficPolicy.connectionPool.http.maxRetries"},
      {"TestValidateConnectionPool/invalid connection pool, bad idle timeout", "DestinationRule",
       drPolicy("{connectionPool: {http: {idleTimeout: 30.000000005s}}}"), kBad,
       "spec.trafficPolicy.connectionPool.http.idleTimeout"},
      {"TestValidateConnectionPool/valid connection pool, tcp timeout disabled", "DestinationRule",
       drPolicy("{connectionPool: {tcp: {idleTimeout: 0s}}}"), kOk, ""},
      {"TestValidateConnectionPool/invalid connection pool, bad max concurrent streams",
       "DestinationRule", drPolicy("{connectionPool: {http: {maxConcurrentStreams: -1}}}"), kBad,
       "spec.trafficPolicy.connectionPool.http.maxConcurrentStreams: DestinationRule default/c: "
       "must be a non-negative"},
      {"validateConnectionPool/tcpKeepalive time", "DestinationRule",
       drPolicy("{connectionPool: {tcp: {tcpKeepalive: {time: 0.5ms}}}}"), kBad,
       "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time"},

      // TestValidateLoadBalancer
      {"TestValidateLoadBalancer/valid load balancer with simple load balancing", "DestinationRule",
       drPolicy("{loadBalancer: {simple: ROUND_ROBIN}}"), kOk, ""},
      {"TestValidateLoadBalancer/valid load balancer with consistentHash load balancing",
       "DestinationRule",
       drPolicy("{loadBalancer: {consistentHash: {minimumRingSize: 1024, httpCookie: {name: "
                "test, ttl: 1h}}}}"),
       kOk, ""},
      {"TestValidateLoadBalancer/invalid load balancer with consistentHash load balancing, "
       "missing name",
       "DestinationRule",
       drPolicy("{loadBalancer: {consistentHash: {minimumRingSize: 1024, httpCookie: {ttl: "
                "1h}}}}"),
       kBad, "name required for HttpCookie"},
      {"TestValidateLoadBalancer/invalid load balancer with consistentHash load balancing, maglev "
       "not prime",
       "DestinationRule", drPolicy("{loadBalancer: {consistentHash: {maglev: {tableSize: 1000}}}}"),
       kBad, "tableSize must be a prime number for maglev"},
      {"TestValidateLoadBalancer/valid load balancer with consistentHash load balancing and "
       "unique cookie attributes",
       "DestinationRule",
       drPolicy("{loadBalancer: {consistentHash: {httpCookie: {name: test, attributes: [{name: "
                "HttpOnly, value: 'true'}, {name: SameSite, value: Strict}]}}}}"),
       kUnmodelled, "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes"},
      {"TestValidateLoadBalancer/invalid load balancer with consistentHash load balancing and "
       "duplicate cookie attribute names",
       "DestinationRule",
       drPolicy("{loadBalancer: {consistentHash: {httpCookie: {name: test, attributes: [{name: "
                "HttpOnly, value: 'true'}, {name: HttpOnly, value: 'false'}]}}}}"),
       kBad, "duplicate cookie attribute name: HttpOnly"},
      {"TestValidateLoadBalancer/invalid load balancer with consistentHash load balancing and "
       "empty cookie attribute name",
       "DestinationRule",
       drPolicy("{loadBalancer: {consistentHash: {httpCookie: {name: test, attributes: [{value: "
                "x}]}}}}"),
       kBad, "cookie attribute name cannot be empty"},
      {"testdata/crds/destinationrule-valid.yaml (warmup)", "DestinationRule",
       drPolicy("{loadBalancer: {warmup: {duration: 300s, minimumPercent: 5.0, aggression: "
                "5.0}}}"),
       kUnmodelled, "spec.trafficPolicy.loadBalancer.warmup"},
      {"testdata/crds/destinationrule-invalid.yaml (warmup minimumPercent 150)", "DestinationRule",
       drPolicy("{loadBalancer: {warmup: {duration: 300s, minimumPercent: 150.0}}}"), kBad,
       "spec.trafficPolicy.loadBalancer.warmup.minimumPercent"},
      {"testdata/crds/destinationrule-invalid.yaml (warmup without duration)", "DestinationRule",
       drPolicy("{loadBalancer: {warmup: {minimumPercent: 5.0}}}"), kBad,
       "spec.trafficPolicy.loadBalancer.warmup: DestinationRule default/c: duration is required"},
      {"testdata/crds/destinationrule-invalid.yaml (warmup aggression -0.1)", "DestinationRule",
       drPolicy("{loadBalancer: {warmup: {duration: 300s, aggression: -0.1}}}"), kBad,
       "spec.trafficPolicy.loadBalancer.warmup.aggression"},

      // TestValidateOutlierDetection
      {"TestValidateOutlierDetection/valid outlier detection", "DestinationRule",
       drPolicy("{outlierDetection: {interval: 2s, baseEjectionTime: 2s, maxEjectionPercent: "
                "50}}"),
       kOk, ""},
      {"TestValidateOutlierDetection/invalid outlier detection, bad interval", "DestinationRule",
       drPolicy("{outlierDetection: {interval: 2.000000005s}}"), kBad,
       "spec.trafficPolicy.outlierDetection.interval"},
      {"TestValidateOutlierDetection/invalid outlier detection, bad base ejection time",
       "DestinationRule", drPolicy("{outlierDetection: {baseEjectionTime: 2.000000005s}}"), kBad,
       "spec.trafficPolicy.outlierDetection.baseEjectionTime"},
      {"TestValidateOutlierDetection/invalid outlier detection, bad max ejection percent",
       "DestinationRule", drPolicy("{outlierDetection: {maxEjectionPercent: 105}}"), kBad,
       "spec.trafficPolicy.outlierDetection.maxEjectionPercent"},
      {"TestValidateOutlierDetection/invalid outlier detection, panic threshold too high",
       "DestinationRule", drPolicy("{outlierDetection: {minHealthPercent: 101}}"), kBad,
       "spec.trafficPolicy.outlierDetection.minHealthPercent"},
      {"TestValidateOutlierDetection/deprecated outlier detection, ConsecutiveErrors (a warning)",
       "DestinationRule", drPolicy("{outlierDetection: {consecutiveErrors: 101}}"), kOk, ""},
      {"TestValidateOutlierDetection/consecutive local origin errors is set but split local "
       "origin errors is not set",
       "DestinationRule", drPolicy("{outlierDetection: {consecutiveLocalOriginFailures: 10}}"),
       kBad,
       "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures: DestinationRule "
       "default/c: outlier detection consecutive local origin failures is specified, but split "
       "external local origin errors is set to false"},
      {"validateOutlierDetection/split local origin errors", "DestinationRule",
       drPolicy("{outlierDetection: {splitExternalLocalOriginErrors: true, "
                "consecutiveLocalOriginFailures: 10}}"),
       kUnmodelled, "spec.trafficPolicy.outlierDetection.splitExternalLocalOriginErrors"},
  };
}

// A ServiceEntry for google.com: two HTTP ports, with `more` fields.
std::string se(const std::string& more) {
  return "{hosts: [google.com], ports: [{number: 80, protocol: http, name: http-valid1}, "
         "{number: 8080, protocol: http, name: http-valid2}], " +
         more + "}";
}

std::vector<Case> serviceEntryCases() {
  return {
      // TestValidateServiceEntries
      {"TestValidateServiceEntries/discovery type DNS", "ServiceEntry",
       "{hosts: ['*.google.com'], ports: [{number: 80, protocol: http, name: http-valid1}], "
       "endpoints: [{address: lon.google.com, ports: {http-valid1: 8080}}], resolution: DNS}",
       kUnmodelled, "spec.endpoints[0].address"},
      {"TestValidateServiceEntries/empty hosts", "ServiceEntry",
       "{ports: [{number: 80, protocol: http, name: http-valid1}], resolution: STATIC, endpoints: "
       "[{address: 1.1.1.1}]}",
       kBad, "service entry must have at least one host"},
      {"TestValidateServiceEntries/bad hosts", "ServiceEntry",
       "{hosts: ['-'], ports: [{number: 80, protocol: http, name: http-valid1}], resolution: "
       "STATIC, endpoints: [{address: 1.1.1.1}]}",
       kBad, "spec.hosts: ServiceEntry default/c: domain name \"-\" invalid (label \"-\" invalid)"},
      {"TestValidateServiceEntries/full wildcard host", "ServiceEntry",
       "{hosts: [foo.com, '*'], ports: [{number: 80, protocol: http, name: http-valid1}], "
       "resolution: STATIC, endpoints: [{address: 1.1.1.1}]}",
       kBad, "spec.hosts: ServiceEntry default/c: invalid host *"},
      {"TestValidateServiceEntries/short name host (STATIC)", "ServiceEntry",
       "{hosts: [foo, bar.com], ports: [{number: 80, protocol: http, name: http-valid1}], "
       "resolution: STATIC, endpoints: [{address: 1.1.1.1}]}",
       kOk, ""},
      {"ValidateWildcardDomain/an IP address is not a ServiceEntry host", "ServiceEntry",
       "{hosts: [1.2.3.4], ports: [{number: 80, protocol: http, name: http}], resolution: "
       "STATIC, endpoints: [{address: 1.1.1.1}]}",
       kBad, "top level domain \"4\" cannot be all-numeric"},
      {"TestValidateServiceEntries/undefined endpoint port", "ServiceEntry",
       se("endpoints: [{address: 1.1.1.1, ports: {http-valid1: 8080}}, {address: 2.2.2.2, "
          "ports: {http-dne: 9080}}], resolution: STATIC"),
       kBad,
       "spec.endpoints[1].ports.http-dne: ServiceEntry default/c: endpoint port 9080 is not "
       "defined by the service entry"},
      {"TestValidateServiceEntries/discovery type DNS, non-FQDN endpoint", "ServiceEntry",
       se("endpoints: [{address: '*.lon.google.com', ports: {http-valid1: 8080}}], resolution: "
          "DNS"),
       kBad,
       "spec.endpoints[0].address: ServiceEntry default/c: endpoint address \"*.lon.google.com\" "
       "is not a valid FQDN or an IP address"},
      {"TestValidateServiceEntries/discovery type DNS, non-FQDN host", "ServiceEntry",
       "{hosts: ['*.google.com'], ports: [{number: 80, protocol: http, name: http-valid1}], "
       "resolution: DNS}",
       kBad,
       "spec.hosts: ServiceEntry default/c: hosts must be FQDN or contain only prefix "
       "wildcards if no endpoints are provided for resolution mode DNS"},
      {"TestValidateServiceEntries/discovery type DNS, no endpoints", "ServiceEntry",
       se("resolution: DNS"), kUnmodelled, "spec.resolution"},
      {"TestValidateServiceEntries/discovery type none", "ServiceEntry", se("resolution: NONE"),
       kUnmodelled, "spec.resolution"},
      {"TestValidateServiceEntries/discovery type none, endpoints provided", "ServiceEntry",
       se("endpoints: [{address: 1.1.1.1}], resolution: NONE"), kBad,
       "no endpoints should be provided for resolution type NONE"},
      {"TestValidateServiceEntries/discovery type static, cidr addresses with endpoints",
       "ServiceEntry",
       se("addresses: [172.1.2.16/16], endpoints: [{address: 1.1.1.1, ports: {http-valid1: "
          "8080}}, {address: 2.2.2.2, ports: {http-valid2: 9080}}], resolution: STATIC"),
       kOk, ""},
      {"TestValidateServiceEntries/discovery type static", "ServiceEntry",
       se("addresses: [172.1.2.16], endpoints: [{address: 1.1.1.1, ports: {http-valid1: 8080}}, "
          "{address: 2.2.2.2, ports: {http-valid2: 9080}}], resolution: STATIC"),
       kOk, ""},
      {"TestValidateServiceEntries/discovery type static, FQDN in endpoints", "ServiceEntry",
       se("endpoints: [{address: google.com}], resolution: STATIC"), kBad,
       "spec.endpoints[0].address: ServiceEntry default/c: \"google.com\" is not an IP address"},
      {"TestValidateServiceEntries/discovery type static, missing endpoints", "ServiceEntry",
       se("resolution: STATIC"), kOk, ""},
      {"TestValidateServiceEntries/discovery type none, conflicting port names", "ServiceEntry",
       "{hosts: [google.com], ports: [{number: 80, protocol: http, name: http-valid1}, {number: "
       "8080, protocol: http, name: http-valid1}], resolution: STATIC}",
       kBad, "service entry port name \"http-valid1\" already defined"},
      {"TestValidateServiceEntries/discovery type none, conflicting port numbers", "ServiceEntry",
       "{hosts: [google.com], ports: [{number: 80, protocol: http, name: http-valid1}, {number: "
       "80, protocol: http, name: http-valid2}], resolution: STATIC}",
       kBad, "service entry port 80 already defined"},
      {"TestValidateServiceEntries/unix socket", "ServiceEntry",
       "{hosts: [uds.cluster.local], ports: [{number: 6553, protocol: grpc, name: grpc-service1}], "
       "endpoints: [{address: 'unix:///path/to/socket'}], resolution: STATIC}",
       kUnmodelled, "spec.endpoints[0].address"},
      {"TestValidateServiceEntries/empty protocol", "ServiceEntry",
       "{hosts: [google.com], addresses: [172.1.2.16/16], ports: [{number: 80, name: "
       "http-valid1}], "
       "endpoints: [{address: 1.1.1.1}], resolution: STATIC}",
       kOk, ""},
      {"TestValidateServiceEntries/selector", "ServiceEntry",
       se("workloadSelector: {labels: {app: wle}}, resolution: STATIC"), kUnmodelled,
       "spec.workloadSelector"},
      {"TestValidateServiceEntries/invalid target port", "ServiceEntry",
       "{hosts: [google.com], ports: [{number: 80, protocol: http, name: http-valid1, targetPort: "
       "65536}], resolution: STATIC}",
       kBad, "spec.ports[0].targetPort"},
      {"TestValidateServiceEntries/invalid endpoint port", "ServiceEntry",
       "{hosts: [google.com], ports: [{number: 80, protocol: http, name: http-valid1}], "
       "endpoints: [{address: 1.1.1.1, ports: {http-valid1: 65536}}], resolution: STATIC}",
       kBad, "spec.endpoints[0].ports.http-valid1"},
      {"TestValidateServiceEntries/dns round robin with more than one endpoint", "ServiceEntry",
       se("endpoints: [{address: 1.1.1.1}, {address: 2.2.2.2}], resolution: DNS_ROUND_ROBIN"), kBad,
       "spec.endpoints: ServiceEntry default/c: there must only be 0 or 1 endpoint for "
       "resolution mode DNS_ROUND_ROBIN"},
      {"TestValidateServiceEntries/partial wildcard hosts (a warning)", "ServiceEntry",
       "{hosts: ['*.nytimes.com', '*washingtonpost.com'], ports: [{number: 80, protocol: http, "
       "name: http}], resolution: STATIC, endpoints: [{address: 1.1.1.1}]}",
       kUnmodelled, "spec.hosts"},
      {"ValidatePortName/upper case", "ServiceEntry",
       "{hosts: [google.com], ports: [{number: 80, protocol: HTTP, name: Henry}], resolution: "
       "STATIC, endpoints: [{address: 1.1.1.1}]}",
       kOk, ""},
      {"ValidateProtocol/kafka", "ServiceEntry",
       "{hosts: [google.com], ports: [{number: 80, protocol: kafka, name: k}], resolution: "
       "STATIC}",
       kBad, "spec.ports[0].protocol: ServiceEntry default/c: unsupported protocol: kafka"},
      {"validateWorkloadEntry/labels", "ServiceEntry",
       se("endpoints: [{address: 1.1.1.1, labels: {'a b': c}}], resolution: STATIC"), kBad,
       "spec.endpoints[0].labels: ServiceEntry default/c: invalid tag key: \"a b\""},
      {"testdata/crds/serviceentry-invalid.yaml (bad-cidr-resolution)", "ServiceEntry",
       "{hosts: [example.com], addresses: [1.2.3.4/16], resolution: DNS, ports: [{number: 80, "
       "name: http}], endpoints: [{address: 1.1.1.1}]}",
       kBad, "CIDR addresses are allowed only for NONE/STATIC resolution types"},
      {"testdata/crds/serviceentry-valid.yaml (empty-selector: no ports)", "ServiceEntry",
       "{hosts: [example.com], resolution: STATIC}", kUnmodelled, "spec.ports"},
      {"Test_validateExportTo/ServiceEntry ~", "ServiceEntry",
       se("exportTo: ['~'], resolution: STATIC"), kOk, ""},
      {"Test_validateExportTo/ServiceEntry ~ and others", "ServiceEntry",
       se("exportTo: ['~', ns1], resolution: STATIC"), kBad,
       "cannot export service entry to no one (~) and someone"},
  };
}

// A Gateway with the one server `server` (a flow mapping).
std::string gw(const std::string& server) {
  return "{servers: [" + server + "]}";
}
const std::string kHttp7 = "port: {number: 7, name: http, protocol: http}";

std::vector<Case> gatewayCases() {
  return {
      // TestValidateGateway
      {"TestValidateGateway/happy domain", "Gateway",
       gw("{hosts: [foo.bar.com], port: {name: name1, number: 7, protocol: http}}"), kOk, ""},
      {"TestValidateGateway/invalid namespace value", "Gateway",
       gw("{hosts: ['~/foo.bar.com'], port: {name: name1, number: 7, protocol: http}}"), kBad,
       "spec.servers[0].hosts: Gateway default/c: invalid host \"~/foo.bar.com\": invalid "
       "namespace value \"~\" in gateway"},
      {"TestValidateGateway/invalid port", "Gateway",
       gw("{hosts: [foo.bar.com], port: {name: name1, number: 66000, protocol: http}}"), kBad,
       "spec.servers[0].port.number"},
      {"TestValidateGateway/duplicate port names", "Gateway",
       "{servers: [{hosts: [foo.bar.com], port: {name: foo, number: 80, protocol: http}}, {hosts: "
       "[scooby.doo.com], port: {name: foo, number: 8080, protocol: http}}]}",
       kBad, "port names in servers must be unique: duplicate name foo"},
      {"TestValidateGateway/invalid domain", "Gateway",
       gw("{hosts: [foo.*.bar.com], port: {name: n, number: 7, protocol: http}}"), kBad,
       "spec.servers[0].hosts: Gateway default/c: invalid host \"foo.*.bar.com\": domain name "
       "\"*.bar.com\" invalid"},
      {"TestValidateGateway/valid httpsRedirect", "Gateway",
       gw("{hosts: [bar.com], port: {name: http, number: 80, protocol: http}, tls: "
          "{httpsRedirect: true}}"),
       kOk, ""},
      {"TestValidateGateway/invalid https httpsRedirect (a warning)", "Gateway",
       gw("{hosts: [bar.com], port: {name: https, number: 80, protocol: https}, tls: "
          "{httpsRedirect: true}}"),
       kUnmodelled, "spec.servers[0].port.protocol"},
      {"TestValidateGateway/invalid partial wildcard", "Gateway",
       gw("{hosts: ['*bar.com'], port: {name: tls, number: 443, protocol: tls}, tls: {mode: "
          "ISTIO_MUTUAL}}"),
       kBad, "invalid host \"*bar.com\": partial wildcard \"*bar.com\" not allowed"},
      {"ValidateGateway/name", "Gateway", gw("{hosts: ['*'], " + kHttp7 + "}"), kOk, ""},
      {"ValidateGateway/no servers", "Gateway", "{servers: []}", kBad, "spec.servers"},

      // TestValidateServer
      {"TestValidateServer/happy", "Gateway", gw("{hosts: [foo.bar.com], " + kHttp7 + "}"), kOk,
       ""},
      {"TestValidateServer/happy ip", "Gateway", gw("{hosts: [1.1.1.1], " + kHttp7 + "}"), kOk, ""},
      {"TestValidateServer/happy ns/name", "Gateway",
       gw("{hosts: [ns1/foo.bar.com], " + kHttp7 + "}"), kOk, ""},
      {"TestValidateServer/happy */name", "Gateway",
       gw("{hosts: ['*/foo.bar.com'], " + kHttp7 + "}"), kOk, ""},
      {"TestValidateServer/happy ./name", "Gateway", gw("{hosts: [./foo.bar.com], " + kHttp7 + "}"),
       kOk, ""},
      {"TestValidateServer/invalid domain ns/name format", "Gateway",
       gw("{hosts: [ns1/foo.*.bar.com], " + kHttp7 + "}"), kBad,
       "invalid host \"ns1/foo.*.bar.com\""},
      {"TestValidateServer/invalid short name host", "Gateway",
       gw("{hosts: [foo], " + kHttp7 + "}"), kBad,
       "invalid host \"foo\": short names (non FQDN) are not allowed"},
      {"TestValidateServer/empty hosts", "Gateway", gw("{hosts: [], " + kHttp7 + "}"), kBad,
       "spec.servers[0].hosts: Gateway default/c: server config must contain at least one host"},
      {"TestValidateServer/invalid tls options", "Gateway",
       gw("{hosts: [foo.bar.com], port: {number: 1, name: http, protocol: http}, tls: {mode: "
          "SIMPLE}}"),
       kBad,
       "spec.servers[0].tls: Gateway default/c: server cannot have TLS settings for plain text "
       "HTTP ports"},
      {"TestValidateServer/no tls on HTTPS (modelled as refused)", "Gateway",
       gw("{hosts: [foo.bar.com], port: {number: 10000, name: https, protocol: https}}"),
       kUnmodelled, "spec.servers[0].port.protocol"},
      {"TestValidateServer/bind ip", "Gateway",
       gw("{hosts: [foo.bar.com], " + kHttp7 + ", bind: 127.0.0.1}"), kUnmodelled,
       "spec.servers[0].bind"},

      // TestValidateServerPort
      {"TestValidateServerPort/invalid protocol", "Gateway",
       gw("{hosts: [foo.bar.com], port: {number: 1, name: Henry, protocol: kafka}}"), kBad,
       "spec.servers[0].port.protocol: Gateway default/c: invalid protocol \"kafka\""},
      {"TestValidateServerPort/happy (upper-case name)", "Gateway",
       gw("{hosts: [foo.bar.com], port: {number: 1, name: Henry, protocol: http}}"), kOk, ""},
      {"TestValidateServerPort/invalid number", "Gateway",
       gw("{hosts: [foo.bar.com], port: {number: 1073741824, name: http, protocol: http}}"), kBad,
       "spec.servers[0].port.number"},
      {"TestValidateServerPort/empty name", "Gateway",
       gw("{hosts: [foo.bar.com], port: {number: 1, protocol: http}}"), kBad,
       "spec.servers[0].port.name"},
      {"validateServerPort/targetPort", "Gateway",
       gw("{hosts: [foo.bar.com], port: {number: 1, name: http, protocol: http, targetPort: "
          "8080}}"),
       kBad, "targetPort has no impact on Gateways"},
  };
}

// A Sidecar with the one egress listener `listener` (a flow mapping).
std::string egress(const std::string& listener) {
  return "{egress: [" + listener + "]}";
}

std::vector<Case> sidecarCases() {
  return {
      // TestValidateSidecar
      {"TestValidateSidecar/empty ingress and egress", "Sidecar", "{}", kBad,
       "sidecar: empty configuration provided"},
      {"TestValidateSidecar/default", "Sidecar", egress("{hosts: ['*/*']}"), kOk, ""},
      {"TestValidateSidecar/workload selector without labels (a warning)", "Sidecar",
       "{workloadSelector: {}, egress: [{hosts: ['*/*']}]}", kOk, ""},
      {"TestValidateSidecar/import local namespace with wildcard", "Sidecar",
       egress("{hosts: ['./*']}"), kOk, ""},
      {"TestValidateSidecar/import local namespace with fqdn", "Sidecar",
       egress("{hosts: [./foo.com]}"), kOk, ""},
      {"TestValidateSidecar/import nothing", "Sidecar", egress("{hosts: ['~/*']}"), kOk, ""},
      {"TestValidateSidecar/bad egress host 1", "Sidecar", egress("{hosts: ['*']}"), kBad,
       "invalid host \"*\": host must be of form namespace/dnsName"},
      {"TestValidateSidecar/bad egress host 2", "Sidecar", egress("{hosts: [/]}"), kBad,
       "spec.egress[0].hosts"},
      {"TestValidateSidecar/empty egress host", "Sidecar", egress("{hosts: []}"), kBad,
       "sidecar: egress listener must contain at least one host"},
      {"TestValidateSidecar/multiple wildcard egress", "Sidecar",
       "{egress: [{hosts: ['*/foo.com']}, {hosts: [ns1/bar.com]}]}", kBad,
       "the egress listener with empty port should be the last listener in the list"},
      {"TestValidateSidecar/wildcard egress not in end", "Sidecar",
       "{egress: [{hosts: ['*/foo.com']}, {port: {protocol: http, number: 8080, name: h8080}, "
       "hosts: [ns1/bar.com]}]}",
       kBad, "the egress listener with empty port should be the last listener in the list"},
      {"TestValidateSidecar/invalid Port", "Sidecar",
       egress("{port: {protocol: http1, number: 1000000, name: ''}, hosts: [ns1/bar.com]}"), kBad,
       "spec.egress[0].port.number"},
      {"TestValidateSidecar/Port without name", "Sidecar",
       egress("{port: {protocol: http, number: 8080}, hosts: [ns1/bar.com]}"), kOk, ""},
      {"TestValidateSidecar/UDS bind in outbound", "Sidecar",
       egress("{port: {protocol: http, number: 0, name: uds}, hosts: [ns1/bar.com], bind: "
              "'unix:///@foo/bar/com'}"),
       kUnmodelled, "spec.egress[0].bind"},
      {"TestValidateSidecar/duplicate ports", "Sidecar",
       "{egress: [{port: {protocol: http, number: 90, name: foo}, hosts: [ns1/bar.com]}, {port: "
       "{protocol: tcp, number: 90, name: tcp}, hosts: [ns2/bar.com]}]}",
       kBad, "sidecar: ports on IP bound listeners must be unique"},
      {"TestValidateSidecar/ingress without default endpoint", "Sidecar",
       "{ingress: [{port: {protocol: http, number: 90, name: foo}}], egress: [{hosts: ['*/*']}]}",
       kUnmodelled, "spec.ingress"},
      {"TestValidateSidecar/just outbound traffic policy", "Sidecar",
       "{outboundTrafficPolicy: {mode: ALLOW_ANY}}", kOk, ""},
      {"TestValidateSidecar/empty protocol (egress)", "Sidecar",
       egress("{port: {number: 90, name: foo}, hosts: ['*/*']}"), kOk, ""},
      {"TestValidateSidecar/sidecar egress proxy with RESGISTRY_ONLY(default)", "Sidecar",
       "{egress: [{hosts: ['*/*']}], outboundTrafficPolicy: {egressProxy: {host: foo.bar, "
       "subset: shiny, port: {number: 5000}}}}",
       kBad,
       "spec.outboundTrafficPolicy.egressProxy: Sidecar default/c: sidecar: egress_proxy must be "
       "set only with ALLOW_ANY outbound_traffic_policy mode"},
      {"TestValidateSidecar/sidecar egress proxy with ALLOW_ANY", "Sidecar",
       "{egress: [{hosts: ['*/*']}], outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: "
       "{host: foo.bar, subset: shiny, port: {number: 5000}}}}",
       kUnmodelled, "spec.outboundTrafficPolicy.egressProxy"},
      {"TestValidateSidecar/sidecar egress only one wildcarded (a warning)", "Sidecar",
       egress("{hosts: ['*/*', test/a.com]}"), kOk, ""},
      {"TestValidateSidecar/sidecar egress wildcarded ns", "Sidecar",
       egress("{hosts: ['*/b.com', test/a.com]}"), kOk, ""},
      {"TestValidateSidecar/invalid partial wildcard", "Sidecar",
       egress("{hosts: ['test/*a.com']}"), kBad,
       "invalid host \"test/*a.com\": partial wildcard \"*a.com\" not allowed"},
      {"validateSidecarOrGatewayHostnamePart/bad label", "Sidecar",
       egress("{hosts: ['test/a_b.com']}"), kBad,
       "invalid host \"test/a_b.com\": domain name \"a_b.com\" invalid (label \"a_b\" invalid)"},
      {"validateSidecarEgressPortBindAndCaptureMode/port name", "Sidecar",
       egress("{port: {number: 90, protocol: http, name: 'a b'}, hosts: ['*/*']}"), kBad,
       "spec.egress[0].port.name: Sidecar default/c: invalid port name: a b"},
      {"ValidateAlphaWorkloadSelector/wildcard", "Sidecar",
       "{workloadSelector: {labels: {app: '*'}}, egress: [{hosts: ['*/*']}]}", kBad,
       "wildcard is not supported in selector: \"app=*\""},
  };
}

// Loads the case's resource and checks meshsim's verdict. One test per kind (not one per case)
// keeps ctest's list, and the default run, short; a failure names the case.
void check(const Case& c) {
  SCOPED_TRACE(c.source);
  Manifests m;
  const std::string yaml = "apiVersion: networking.istio.io/v1\nkind: " + std::string(c.kind) +
                           "\nmetadata: {name: c, namespace: default}\nspec: " + c.spec + "\n";
  const Status status = addText(yaml, "c.yaml", 1, m);
  const std::string& message = status.message();
  switch (c.verdict) {
    case Verdict::Accepted:
      EXPECT_TRUE(status.ok()) << message;
      break;
    case Verdict::NotModelled:
      ASSERT_FALSE(status.ok());
      EXPECT_THAT(message, ContainsRegex(kNotModelled));
      EXPECT_THAT(message, HasSubstr("c.yaml:4:"));
      EXPECT_THAT(message, HasSubstr(c.message));
      break;
    case Verdict::Invalid:
      ASSERT_FALSE(status.ok());
      EXPECT_THAT(message, HasSubstr("c.yaml:4:"));
      EXPECT_THAT(message, HasSubstr(c.message));
      EXPECT_THAT(message, Not(ContainsRegex(kNotModelled)));
      break;
  }
}

void checkAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    check(c);
  }
}

TEST(IstioValidationCasesTest, VirtualService) {
  checkAll(virtualServiceCases());
}

TEST(IstioValidationCasesTest, DestinationRule) {
  checkAll(destinationRuleCases());
}

TEST(IstioValidationCasesTest, ServiceEntry) {
  checkAll(serviceEntryCases());
}

TEST(IstioValidationCasesTest, Gateway) {
  checkAll(gatewayCases());
}

TEST(IstioValidationCasesTest, Sidecar) {
  checkAll(sidecarCases());
}

// Istio accepts the deprecated consecutiveErrors with a warning and istiod does not translate it
// (applyOutlierDetection reads consecutive5xxErrors and consecutiveGatewayErrors only): Envoy's
// default of 5 consecutive 5xx applies, not the number written.
TEST(IstioValidationCasesTest, ConsecutiveErrorsIsNotTranslated) {
  Manifests m;
  ASSERT_THAT(addText("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: "
                      "{name: c}\nspec: {host: reviews, trafficPolicy: {outlierDetection: "
                      "{consecutiveErrors: 1}}}\n",
                      "c.yaml", 1, m),
              ::meshsim::testing::IsOk());
  const auto& od = m.istio.destination_rules.at(0).traffic_policy->outlier_detection;
  ASSERT_TRUE(od.has_value());
  EXPECT_FALSE(od->consecutive_5xx_errors.has_value());
}

// A YAML-null header match value (`foo: ~`) is pruned by the Kubernetes API server before Istio
// sees it: the match has no condition on that header. A null match type (`{exact: ~}`) leaves an
// empty StringMatch, which istiod translates to a presence match.
TEST(IstioValidationCasesTest, NullHeaderMatchValues) {
  Manifests m;
  ASSERT_THAT(addText("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: "
                      "{name: c}\nspec: {hosts: [a.b], http: [{match: [{headers: {x-gone: ~, "
                      "x-present: {exact: ~}}, withoutHeaders: {x-also-gone: }, queryParams: {q: "
                      "~}}], route: [{destination: {host: a.b}}]}]}\n",
                      "c.yaml", 1, m),
              ::meshsim::testing::IsOk());
  const auto& match = m.istio.virtual_services.at(0).http.at(0).match.at(0);
  ASSERT_EQ(match.headers.size(), 1u);
  EXPECT_EQ(match.headers[0].first, "x-present");
  EXPECT_EQ(match.headers[0].second.kind, istio::StringMatch::Kind::Present);
  EXPECT_TRUE(match.without_headers.empty());
  EXPECT_TRUE(match.query_params.empty());
}

// "%%" in a header value is Envoy's escaped "%": the header carries one.
TEST(IstioValidationCasesTest, EscapedPercentInAHeaderValueIsOnePercent) {
  Manifests m;
  ASSERT_THAT(addText("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: "
                      "{name: c}\nspec: {hosts: [a.b], http: [{route: [{destination: {host: "
                      "a.b}}], headers: {response: {set: {x: 100%%}}}}]}\n",
                      "c.yaml", 1, m),
              ::meshsim::testing::IsOk());
  const auto& set = m.istio.virtual_services.at(0).http.at(0).headers.response.set;
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0].second, "100%");
}

// Istio 1.24 took header names of [-_A-Za-z0-9] only (validHeaderRegex), in matches and in CORS
// headers; 1.25 takes RFC 7230 tokens and pseudo-headers. CORS allowMethods "*" came in 1.26.
// checkIstioVersion refuses them for the older releases.
TEST(IstioValidationCasesTest, HeaderNamesAndCorsWildcardFollowTheRelease) {
  Manifests m;
  ASSERT_THAT(addText("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: "
                      "{name: c}\nspec: {hosts: [a.b], http: [{match: [{headers: {x-ok_1: {}}}], "
                      "route: [{destination: {host: a.b}}]}]}\n",
                      "ok.yaml", 1, m),
              ::meshsim::testing::IsOk());
  EXPECT_THAT(istio::checkIstioVersion(m.istio, 24), ::meshsim::testing::IsOk());

  const auto refusedBefore = [](const std::string& route, int minor, const std::string& what) {
    Manifests one;
    ASSERT_THAT(addText("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: "
                        "{name: c}\nspec: {hosts: [a.b], http: [" +
                            route + "]}\n",
                        "c.yaml", 1, one),
                ::meshsim::testing::IsOk());
    EXPECT_THAT(istio::checkIstioVersion(one.istio, minor), ::meshsim::testing::IsOk());
    const Status older = istio::checkIstioVersion(one.istio, minor - 1);
    EXPECT_THAT(older.message(), HasSubstr(what + ": not in Istio 1." + std::to_string(minor - 1) +
                                           " (added in 1." + std::to_string(minor)));
  };
  refusedBefore(
      "{match: [{headers: {'funky!$#_': {exact: a}}}], route: [{destination: {host: "
      "a.b}}]}",
      25,
      "spec.http[0].match[0].headers.funky!$#_: VirtualService default/c: header "
      "name \"funky!$#_\"");
  refusedBefore(
      "{match: [{withoutHeaders: {':authority': {exact: a}}}], route: [{destination: "
      "{host: a.b}}]}",
      25, "header name \":authority\"");
  refusedBefore("{route: [{destination: {host: a.b}}], corsPolicy: {allowHeaders: [x.y]}}", 25,
                "spec.http[0].corsPolicy.allowHeaders: VirtualService default/c: header name "
                "\"x.y\"");
  refusedBefore("{route: [{destination: {host: a.b}}], corsPolicy: {allowMethods: [GET, '*']}}", 26,
                "spec.http[0].corsPolicy.allowMethods: VirtualService default/c: allowMethods "
                "\"*\"");
}

// A TCP idleTimeout of 0s (disabled) passes Istio's webhook since 1.26; 1.24 and 1.25 required
// at least 1 ms.
TEST(IstioValidationCasesTest, TcpIdleTimeoutZeroSince126) {
  Manifests m;
  ASSERT_THAT(addText("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: "
                      "{name: c}\nspec: {host: a.b, trafficPolicy: {connectionPool: {tcp: "
                      "{idleTimeout: 0s}}}}\n",
                      "c.yaml", 1, m),
              ::meshsim::testing::IsOk());
  EXPECT_THAT(istio::checkIstioVersion(m.istio, 26), ::meshsim::testing::IsOk());
  EXPECT_THAT(istio::checkIstioVersion(m.istio, 25).message(),
              HasSubstr("c.yaml:4:"
                        "71: spec.trafficPolicy.connectionPool.tcp.idleTimeout: DestinationRule "
                        "default/c: idleTimeout \"0s\": not in Istio 1.25 (added in 1.26"));
}

}  // namespace
}  // namespace meshsim::sim
