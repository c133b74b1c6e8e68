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

#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim {
namespace {

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
       vs("{directResponse: {status: 200, body: {string: " + std::string(101 * 1024, 'a') + "}}}"),
       kOk, ""},
      {"TestValidateHTTPDirectResponse/with string body over 1mb", "VirtualService",
       vs("{directResponse: {status: 200, body: {string: " + std::string(2 * 1024 * 1024, 'a') +
          "}}}"),
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

// Loads the case's resource and checks meshsim's verdict. One test per kind (not one per case)
// keeps ctest's list, and the default run, short; a failure names the case.
void check(const Case& c) {
  SCOPED_TRACE(c.source);
  Manifests m;
  const std::string yaml = "apiVersion: networking.istio.io/v1\nkind: " + std::string(c.kind) +
                           "\nmetadata: {name: c, namespace: default}\nspec: " + c.spec + "\n";
  const Status status = addText(yaml, "c.yaml", 1, m);
  const std::string message(status.message());
  switch (c.verdict) {
    case Verdict::Accepted:
      EXPECT_TRUE(status.ok()) << message;
      break;
    case Verdict::NotModelled:
      ASSERT_FALSE(status.ok());
      EXPECT_THAT(message, HasSubstr("not modelled"));
      EXPECT_THAT(message, HasSubstr("c.yaml:4:"));
      EXPECT_THAT(message, HasSubstr(c.message));
      break;
    case Verdict::Invalid:
      ASSERT_FALSE(status.ok());
      EXPECT_THAT(message, HasSubstr("c.yaml:4:"));
      EXPECT_THAT(message, HasSubstr(c.message));
      EXPECT_THAT(message, Not(HasSubstr("not modelled")));
      break;
  }
}

TEST(IstioValidationCasesTest, VirtualService) {
  for (const Case& c : virtualServiceCases()) {
    check(c);
  }
}

}  // namespace
}  // namespace meshsim::sim
