// MeshConfig from the ConfigMap istio-system/istio: what is read, what is refused, and where
// errors point.

#include "sim/istio/mesh_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::istio {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

StatusOr<Manifests> load(const std::string& text) {
  Manifests m;
  MESHSIM_RETURN_IF_ERROR(addText(text, "mesh.yaml", 1, m));
  return m;
}

TEST(MeshConfigTest, DefaultsWithoutTheConfigMap) {
  auto m = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n");
  ASSERT_THAT(m, IsOk());
  EXPECT_TRUE(m->istio.mesh_config.outbound_allow_any);
  EXPECT_TRUE(m->istio.mesh_config.meta.name.empty());
}

TEST(MeshConfigTest, ReadsOutboundTrafficPolicyFromTheMeshKey) {
  auto m = load(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  meshNetworks: 'networks: {}'
  mesh: |-
    enablePrometheusMerge: true
    outboundTrafficPolicy:
      mode: REGISTRY_ONLY
)");
  ASSERT_THAT(m, IsOk());
  EXPECT_FALSE(m->istio.mesh_config.outbound_allow_any);
  EXPECT_EQ(m->istio.mesh_config.meta.id(), "istio-system/istio");
}

// ApplyMeshConfig overrides field by field: an outboundTrafficPolicy without mode keeps the
// default; other ConfigMaps, and `istio` in another namespace, are not istiod's.
TEST(MeshConfigTest, OnlyIstiodsConfigMapAndOnlyTheFieldsSet) {
  auto m = load(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: "outboundTrafficPolicy: {}"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: default}
data:
  mesh: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-settings, namespace: istio-system}
data:
  mesh: "not: [a mesh config"
)");
  ASSERT_THAT(m, IsOk());
  EXPECT_TRUE(m->istio.mesh_config.outbound_allow_any);
}

// A field that changes traffic and is not modelled is refused at its own line in the file,
// inside the block scalar; Istio's default value of such a field is accepted.
TEST(MeshConfigTest, UnmodelledFieldsAreRefusedAtTheirLine) {
  const std::string head = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |-
    accessLogFile: /dev/stdout
)";
  EXPECT_THAT(load(head + "    localityLbSetting: {enabled: false}\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("mesh.yaml:7:24: localityLbSetting: MeshConfig: valid Istio "
                                 "MeshConfig, but not modelled")));
  EXPECT_THAT(load(head + "    connectTimeout: 1s\n"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("mesh.yaml:7:")));
  EXPECT_THAT(load(head + "    connectTimeout: 10s\n    rootNamespace: istio-system\n"), IsOk());
  EXPECT_THAT(load(head + "    outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}\n"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("not modelled")));
  EXPECT_THAT(
      load(head + "    outboundTraficPolicy: {mode: REGISTRY_ONLY}\n"),
      StatusIs(StatusCode::InvalidArgument,
               HasSubstr("mesh.yaml:7:5: outboundTraficPolicy: MeshConfig: unknown field")));
  EXPECT_THAT(load(head + "    defaultConfig:\n      gatewayTopology: {numTrustedProxies: 2}\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("mesh.yaml:8:24: defaultConfig.gatewayTopology")));
  EXPECT_THAT(load(head + "    defaultConfig:\n      holdApplicationUntilProxyStarts: true\n"),
              IsOk());
}

TEST(MeshConfigTest, SeveralNetworksAreRefused) {
  EXPECT_THAT(load(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  meshNetworks: |-
    networks:
      network1: {endpoints: [{fromRegistry: Kubernetes}], gateways: [{address: 1.1.1.1, port: 15443}]}
)"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("meshNetworks")));
  // Malformed text is named at its own line inside the block, as for `mesh`.
  EXPECT_THAT(load(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  meshNetworks: |-
    networks: {}
    gateways: [oops
)"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("mesh.yaml:7:20: malformed YAML: did not find expected ',' or ']' "
                                 "(while parsing a flow sequence at line 7, column 15)")));
}

// connectTimeout is checked as agent.ValidateMeshConfig checks it (ValidateConnectTimeout): Go's
// duration syntax, whole milliseconds, in [1ms, 1h]; an invalid one is an error at its line, a
// valid one other than the default 10s is not modelled, and the default in any spelling loads.
TEST(MeshConfigTest, ConnectTimeoutIsValidatedAsIstioDoes) {
  const std::string head = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |-
    accessLogFile: /dev/stdout
)";
  const auto invalid = [&](const std::string& value, const std::string& why) {
    SCOPED_TRACE(value);
    const auto m = load(head + "    connectTimeout: " + value + "\n");
    ASSERT_FALSE(m.ok());
    EXPECT_THAT(m.status().message(),
                HasSubstr("mesh.yaml:7:21: connectTimeout: MeshConfig: invalid connect timeout"));
    EXPECT_THAT(m.status().message(), HasSubstr(why));
    EXPECT_THAT(m.status().message(), ::testing::Not(HasSubstr("not modelled")));
  };
  invalid("0s", "duration must be at least 1ms");
  invalid("-1s", "duration must be at least 1ms");
  invalid("500us", "duration must be at least 1ms");
  invalid("1.0005s", "only durations to ms precision are supported");
  invalid("2h", "must be between 1ms and 1h");
  invalid("10", "time: missing unit in duration \"10\"");
  invalid("ten", "time: invalid duration \"ten\"");
  invalid("1d", "time: unknown unit \"d\"");
  for (const char* value : {"10s", "10000ms", "+10s", "0.1m4s"}) {
    SCOPED_TRACE(value);
    EXPECT_THAT(load(head + "    connectTimeout: " + value + "\n"), IsOk());
  }
  for (const char* value : {"1ms", "1h", "1.5s"}) {
    EXPECT_THAT(
        load(head + "    connectTimeout: " + value + "\n"),
        StatusIs(StatusCode::InvalidArgument,
                 HasSubstr("mesh.yaml:7:21: connectTimeout: MeshConfig: \"" + std::string(value) +
                           "\" (the default is \"10s\"): valid Istio "
                           "MeshConfig, but not modelled")));
  }
}

}  // namespace
}  // namespace meshsim::sim::istio
