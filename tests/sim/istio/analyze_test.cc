// istioctl analyze's analyzers (sim/istio/analyze.h), each on a bad manifest from
// tests/data/analyze/ together with fixtures/hello/ and the default ingress gateway, and on the
// clean fixtures (no message).

#include "sim/istio/analyze.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/istio/translate.h"
#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::istio {
namespace {

using ::meshsim::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The messages of fixtures/hello/, the default ingress gateway and `extra` (a file under
// tests/data/analyze/ or inline YAML), as "Level [CODE] (origin) message" without the location.
std::vector<std::string> analyzeWith(const std::string& extra_file, const std::string& text = "") {
  Manifests m;
  EXPECT_THAT(addPath(std::string(MESHSIM_SOURCE_DIR) + "/fixtures/hello", m), IsOk());
  if (!extra_file.empty()) {
    EXPECT_THAT(addPath(std::string(MESHSIM_SOURCE_DIR) + "/tests/data/analyze/" + extra_file, m),
                IsOk());
  }
  if (!text.empty()) {
    EXPECT_THAT(addText(text, "extra.yaml", 1, m), IsOk());
  }
  EXPECT_THAT(addDefaultIngressGateway(m), IsOk());
  auto world = k8s::World::build(m.k8s);
  EXPECT_THAT(world, IsOk());
  auto t = translate(*world, m.istio);
  EXPECT_THAT(t, IsOk());
  std::vector<std::string> out;
  for (const auto& msg : analyze(*world, m.istio, t->analysis)) {
    out.push_back(std::string(toString(msg.level)) + " [" + msg.code + "] (" + msg.origin() + ") " +
                  msg.message);
  }
  return out;
}

TEST(AnalyzeTest, TheHelloFixturesAreClean) {
  EXPECT_THAT(analyzeWith(""), IsEmpty());
}

TEST(AnalyzeTest, Ist0101ReferencedGatewayNotFound) {
  EXPECT_THAT(analyzeWith("ist0101-gateway-not-found.yaml"),
              ElementsAre("Error [IST0101] (VirtualService default/lost) Referenced gateway not "
                          "found: \"nope\"",
                          // istioctl also finds none of the hosts in the missing gateway.
                          "Warning [IST0132] (VirtualService default/lost) one or more host "
                          "[hello.com] defined in VirtualService default/lost not found in Gateway "
                          "default/nope."));
}

TEST(AnalyzeTest, Ist0104GatewayPortNotOnWorkload) {
  EXPECT_THAT(analyzeWith("ist0104-gateway-port.yaml"),
              ElementsAre("Warning [IST0104] (Gateway default/odd-port) The gateway refers to a "
                          "port that is not exposed on the workload (pod selector "
                          "istio=ingressgateway; port 8081)"));
}

TEST(AnalyzeTest, Ist0109ConflictingMeshGatewayHosts) {
  const std::string text =
      "The VirtualServices default/hello-a,default/hello-b associated with mesh gateway define "
      "the same host */hello.default.svc.cluster.local which can lead to undefined behavior. This "
      "can be fixed by merging the conflicting VirtualServices into a single resource.";
  EXPECT_THAT(analyzeWith("ist0109-mesh-hosts.yaml"),
              ElementsAre("Error [IST0109] (VirtualService default/hello-a) " + text,
                          "Error [IST0109] (VirtualService default/hello-b) " + text));
}

TEST(AnalyzeTest, Ist0109NotAcrossExportScopesOrGateways) {
  // One exported only to its own namespace, the other bound to a gateway: no conflict.
  EXPECT_THAT(analyzeWith("", R"(
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [hello]
  exportTo: ["."]
  http: [{route: [{destination: {host: hello}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: b}
spec:
  hosts: [hello]
  http: [{route: [{destination: {host: hello}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: c}
spec:
  hosts: [hello.com]
  gateways: [hello-gateway]
  http: [{route: [{destination: {host: hello}}]}]
)"),
              IsEmpty());
}

TEST(AnalyzeTest, Ist0118PortNameIsNotUnderNamingConvention) {
  EXPECT_THAT(analyzeWith("ist0118-port-name.yaml"),
              ElementsAre("Info [IST0118] (Service default/legacy) Port name web (port: 8000, "
                          "targetPort: 9000) doesn't follow the naming convention of Istio port."));
  // Prefixes, appProtocol, UDP and the well-known ports give a protocol; Istio's own Services
  // (label istio) are not checked.
  EXPECT_THAT(analyzeWith("", R"(
apiVersion: v1
kind: Service
metadata: {name: fine}
spec:
  selector: {app: fine}
  ports:
  - {name: http-web, port: 1}
  - {name: grpc-web-x, port: 2}
  - {name: x, port: 3, appProtocol: HTTP}
  - {name: dns, port: 4, protocol: UDP}
  - {name: db, port: 3306}
  - {name: TCP, port: 5}
---
apiVersion: v1
kind: Service
metadata: {name: istiod, labels: {istio: pilot}}
spec:
  selector: {app: istiod}
  ports:
  - {name: xds, port: 15010}
)"),
              IsEmpty());
}

TEST(AnalyzeTest, Ist0130UnreachableRulesAndIst0131IneffectiveMatches) {
  EXPECT_THAT(
      analyzeWith("ist0130-ist0131-rules.yaml"),
      ElementsAre("Warning [IST0130] (VirtualService default/shadowed) VirtualService rule #1 not "
                  "used (all matches used by prior rules).",
                  "Warning [IST0130] (VirtualService default/shadowed) VirtualService rule "
                  "\"rest\" not used (route without matches defined before).",
                  "Info [IST0131] (VirtualService default/shadowed) VirtualService rule #1 match "
                  "#0 is not used (duplicate/overlapping match in rule #0).",
                  "Info [IST0131] (VirtualService default/shadowed) VirtualService rule #2 match "
                  "#0 of prefix /api/v2 is not used (duplicate/overlapping match in rule #0 of "
                  "prefix /api on #0)."));
}

TEST(AnalyzeTest, Ist0130TwoCatchAllsAndNamedMatches) {
  // Header order does not matter; a match's name does not either; a second rule without
  // matches is unreachable.
  EXPECT_THAT(analyzeWith("", R"(
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [hello]
  http:
  - match: [{name: first, headers: {a: {exact: "1"}, b: {exact: "2"}}}]
    route: [{destination: {host: hello}}]
  - name: again
    match: [{name: second, headers: {b: {exact: "2"}, a: {exact: "1"}}}, {uri: {exact: /x}}]
    route: [{destination: {host: hello}}]
  - route: [{destination: {host: hello}}]
  - route: [{destination: {host: hello}}]
)"),
              ElementsAre("Warning [IST0130] (VirtualService default/v) VirtualService rule #3 "
                          "not used (only the last rule can have no matches).",
                          "Info [IST0131] (VirtualService default/v) VirtualService rule "
                          "\"again\" match \"second\" is not used (duplicate/overlapping match in "
                          "rule #0)."));
}

TEST(AnalyzeTest, Ist0132VirtualServiceHostNotFoundInGateway) {
  EXPECT_THAT(analyzeWith("ist0132-host-not-in-gateway.yaml"),
              ElementsAre("Warning [IST0132] (VirtualService default/elsewhere) one or more host "
                          "[other.com] defined in VirtualService default/elsewhere not found in "
                          "Gateway default/hello-gateway."));
}

TEST(AnalyzeTest, Ist0145ConflictingGateways) {
  EXPECT_THAT(analyzeWith("ist0145-conflicting-gateways.yaml"),
              ElementsAre("Error [IST0145] (Gateway default/everything) Conflict with gateways "
                          "default/hello-gateway (workload selector istio=ingressgateway, port 80, "
                          "hosts *.com).",
                          "Error [IST0145] (Gateway default/hello-gateway) Conflict with gateways "
                          "default/everything (workload selector istio=ingressgateway, port 80, "
                          "hosts hello.com)."));
}

TEST(AnalyzeTest, MessagesReadAsIstioctlPrintsThem) {
  AnalysisMessage m;
  m.code = "IST0101";
  m.level = AnalysisLevel::Error;
  m.kind = "VirtualService";
  m.resource = "default/x";
  m.location = {"vs.yaml", 12, 3};
  m.message = "Referenced gateway not found: \"y\"";
  EXPECT_EQ(m.toString(),
            "Error [IST0101] (VirtualService default/x vs.yaml:12) Referenced gateway not found: "
            "\"y\"");
  EXPECT_EQ(
      analysisJson({m}),
      "[\n\t{\n\t\t\"code\": \"IST0101\",\n\t\t\"documentationUrl\": "
      "\"https://istio.io/latest/docs/reference/config/analysis/ist0101/\",\n\t\t\"level\": "
      "\"Error\",\n\t\t\"message\": \"Referenced gateway not found: \\\"y\\\"\",\n\t\t"
      "\"origin\": \"VirtualService default/x\",\n\t\t\"reference\": \"vs.yaml:12\"\n\t}\n]\n");
  EXPECT_THAT(analysisYaml({m}), HasSubstr("- code: \"IST0101\"\n  documentationUrl: "));
  EXPECT_EQ(analysisJson({}), "[]\n");
  EXPECT_EQ(parseAnalysisLevel("warning"), AnalysisLevel::Warning);
  EXPECT_FALSE(parseAnalysisLevel("fatal").has_value());
}

}  // namespace
}  // namespace meshsim::sim::istio
