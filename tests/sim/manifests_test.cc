// Loading manifests fails closed: kinds that could change traffic but are not modelled are
// errors unless allowed (then a warning), an object defined twice is an error naming both
// places, and what real tools print (kubectl's List, Helm's rendered charts) loads.
#include "sim/manifests.h"

#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/mesh.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::string kRoot = MESHSIM_SOURCE_DIR;

constexpr const char* kAuthorizationPolicy = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-all
  namespace: default
spec: {}
)";

TEST(ManifestsTest, AnUnmodelledKindIsAnErrorAtItsLine) {
  Manifests m;
  EXPECT_THAT(addText(kAuthorizationPolicy, "authz.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("authz.yaml:6:7: kind: AuthorizationPolicy is not modelled yet; "
                                 "--allow-unmodelled to run without it")));
}

TEST(ManifestsTest, AllowUnmodelledLeavesTheKindOutWithAWarning) {
  Manifests m;
  m.allow_unmodelled = true;
  ASSERT_THAT(addText(kAuthorizationPolicy, "authz.yaml", 1, m), IsOk());
  EXPECT_THAT(m.warnings, ElementsAre(HasSubstr("authz.yaml:5:1: AuthorizationPolicy is not "
                                                "modelled yet; AuthorizationPolicy deny-all was "
                                                "left out (--allow-unmodelled)")));
}

TEST(ManifestsTest, EveryKindThatChangesTrafficIsRefused) {
  const std::pair<const char*, const char*> kinds[] = {
      {"security.istio.io/v1", "PeerAuthentication"},
      {"security.istio.io/v1", "RequestAuthentication"},
      {"networking.istio.io/v1alpha3", "EnvoyFilter"},
      {"networking.istio.io/v1", "WorkloadEntry"},
      {"extensions.istio.io/v1alpha1", "WasmPlugin"},
      {"telemetry.istio.io/v1", "Telemetry"},
      {"gateway.networking.k8s.io/v1", "Gateway"},
      {"gateway.networking.k8s.io/v1", "HTTPRoute"},
      {"gateway.networking.k8s.io/v1", "GRPCRoute"},
      {"gateway.networking.k8s.io/v1beta1", "ReferenceGrant"},
      {"networking.k8s.io/v1", "Ingress"},
      {"networking.k8s.io/v1", "NetworkPolicy"},
      {"apps/v1", "StatefulSet"},
      {"v1", "Endpoints"},
  };
  for (const auto& [api_version, kind] : kinds) {
    SCOPED_TRACE(kind);
    Manifests m;
    const std::string text = std::string("apiVersion: ") + api_version + "\nkind: " + kind +
                             "\nmetadata: {name: x}\nspec: {}\n";
    EXPECT_THAT(addText(text, "k.yaml", 1, m),
                StatusIs(StatusCode::InvalidArgument,
                         HasSubstr(std::string("k.yaml:2:7: kind: ") + kind +
                                   " is not modelled yet; --allow-unmodelled")));
  }
}

TEST(ManifestsTest, AnUnknownKindIsRefusedLikeAnUnmodelledOne) {
  Manifests m;
  EXPECT_THAT(addText("apiVersion: networking.istio.io/v1\nkind: VirtualServce\nmetadata: "
                      "{name: x}\n",
                      "typo.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("typo.yaml:2:7: kind: VirtualServce (networking.istio.io/v1) is "
                                 "not a kind meshsim knows, so it is not modelled; "
                                 "--allow-unmodelled to run without it")));
  EXPECT_EQ(kindTreatment("example.com", "Widget"), KindTreatment::Unknown);
}

TEST(ManifestsTest, KindsThatCannotChangeTrafficAreSkipped) {
  for (const char* kind : {"ServiceAccount", "ConfigMap", "Secret"}) {
    EXPECT_EQ(kindTreatment("", kind), KindTreatment::Skipped) << kind;
  }
  EXPECT_EQ(kindTreatment("autoscaling", "HorizontalPodAutoscaler"), KindTreatment::Skipped);
  EXPECT_EQ(kindTreatment("rbac.authorization.k8s.io", "ClusterRole"), KindTreatment::Skipped);
  EXPECT_EQ(kindTreatment("apps", "Deployment"), KindTreatment::Modelled);
  EXPECT_EQ(kindTreatment("security.istio.io", "AuthorizationPolicy"), KindTreatment::Unmodelled);
}

TEST(ManifestsTest, AModelledKindWithAnotherApiVersionIsRefused) {
  Manifests m;
  EXPECT_THAT(
      addText("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: x}\n", "d.yaml",
              1, m),
      StatusIs(StatusCode::InvalidArgument,
               HasSubstr("d.yaml:1:13: apiVersion: Deployment is modelled with apiVersion apps/v1, "
                         "got \"extensions/v1beta1\"")));
  EXPECT_THAT(addText("apiVersion: v2\nkind: Service\nmetadata: {name: x}\n", "s.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("s.yaml:1:13: apiVersion: Service is modelled with apiVersion "
                                 "v1, got \"v2\"")));
}

// A field Istio's API defines (here one newer than the parser) is "not modelled", while a
// field no Istio release has stays "unknown".
TEST(ManifestsTest, AnIstioFieldThatIsNotModelledIsNotCalledUnknown) {
  const std::string dr = R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hello}
spec:
  host: hello
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      %s: {enabled: true}
)";
  Manifests m;
  char text[512];
  std::snprintf(text, sizeof(text), dr.c_str(), "zoneAwareLbSetting");
  EXPECT_THAT(addText(text, "dr.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("dr.yaml:9:7: spec.trafficPolicy.loadBalancer.zoneAwareLbSetting: "
                                 "DestinationRule default/hello: \"zoneAwareLbSetting\" is valid "
                                 "Istio, but not modelled by this version of meshsim yet")));
  Manifests fresh;
  std::snprintf(text, sizeof(text), dr.c_str(), "zoneAwareLbSettings");
  EXPECT_THAT(
      addText(text, "dr.yaml", 1, fresh),
      StatusIs(StatusCode::InvalidArgument, HasSubstr("unknown field \"zoneAwareLbSettings\"")));
}

TEST(ManifestsTest, TheSameObjectTwiceInOneFileNamesBothPlaces) {
  Manifests m;
  const std::string text = R"(apiVersion: v1
kind: Service
metadata: {name: hello}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: hello, namespace: default}
spec: {ports: [{port: 81}]}
)";
  EXPECT_THAT(addText(text, "two.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("two.yaml:6:1: Service default/hello is defined twice: here and "
                                 "at two.yaml:1:1")));
}

TEST(ManifestsTest, TheSameObjectInTwoSourcesNamesBothPlaces) {
  Manifests m;
  ASSERT_THAT(addPath(kRoot + "/fixtures/hello", m), IsOk());
  // As a scenario's resources: block would add it again, with its own file and lines.
  const std::string vs = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: frontend-ingress
spec:
  hosts: [hello.com]
  http: [{route: [{destination: {host: hello}}]}]
)";
  EXPECT_THAT(addText(vs, "scenario.yaml", 20, m, 4),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("scenario.yaml:20:5: VirtualService default/frontend-ingress is "
                                 "defined twice: here and at " +
                                 kRoot + "/fixtures/hello/virtualservice.yaml:3:1")));
}

TEST(ManifestsTest, SameNameInAnotherKindNamespaceOrGroupIsAnotherObject) {
  Manifests m;
  const std::string text = R"(apiVersion: v1
kind: Service
metadata: {name: hello}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: hello, namespace: other}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: hello}
)";
  EXPECT_THAT(addText(text, "ok.yaml", 1, m), IsOk());
  EXPECT_THAT(m.k8s.services, SizeIs(2));
}

TEST(ManifestsTest, KubectlListFromALiveClusterLoadsAndRuns) {
  Manifests m;
  ASSERT_THAT(addPath(kRoot + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
  ASSERT_THAT(addPath(kRoot + "/fixtures/exported/kubectl-get-list.yaml", m), IsOk());
  EXPECT_THAT(m.warnings, IsEmpty());
  ASSERT_THAT(m.k8s.deployments, SizeIs(2));
  EXPECT_EQ(m.k8s.deployments[1].replicas, 2);
  ASSERT_THAT(m.istio.virtual_services, SizeIs(1));
  // Each item remembers its own line, not the List's.
  EXPECT_THAT(m.istio.virtual_services[0].meta.location.toString(),
              HasSubstr("kubectl-get-list.yaml:153:3"));
  auto mesh = Mesh::create(std::move(m));
  ASSERT_THAT(mesh, IsOk());
  EXPECT_THAT((*mesh)->world().pods(), SizeIs(3));
}

TEST(ManifestsTest, AListIsCheckedLikeSeparateDocuments) {
  Manifests m;
  const std::string text = R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: hello}
  spec: {ports: [{port: 80}]}
- apiVersion: security.istio.io/v1
  kind: PeerAuthentication
  metadata: {name: strict}
)";
  EXPECT_THAT(addText(text, "list.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("list.yaml:9:9: kind: PeerAuthentication is not modelled yet")));
  Manifests nested;
  EXPECT_THAT(addText("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List}\n",
                      "nested.yaml", 1, nested),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("nested.yaml:4:3: items[0]: a List inside a List")));
  Manifests typo;
  EXPECT_THAT(addText("apiVersion: v1\nkind: List\nitem: []\n", "typo.yaml", 1, typo),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("typo.yaml:3:1: item: unknown field \"item\"")));
}

TEST(ManifestsTest, HelmRenderedChartLoadsAndSkipsWhatCannotChangeTraffic) {
  Manifests m;
  ASSERT_THAT(addPath(kRoot + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
  ASSERT_THAT(addPath(kRoot + "/fixtures/exported/helm-template.yaml", m), IsOk());
  EXPECT_THAT(m.warnings, IsEmpty());
  ASSERT_THAT(m.k8s.services, SizeIs(2));
  EXPECT_EQ(m.k8s.services[1].ports[0].target_port_name, "http");
  auto mesh = Mesh::create(std::move(m));
  ASSERT_THAT(mesh, IsOk());
  EXPECT_THAT((*mesh)->world().pods(), SizeIs(3));
}

}  // namespace
}  // namespace meshsim::sim
