#include "sim/k8s/ingress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::k8s {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

World build(const std::string& yaml, bool default_gateway = true) {
  Manifests m;
  if (default_gateway) {
    EXPECT_THAT(addPath(std::string(MESHSIM_SOURCE_DIR) + "/fixtures/istio/ingressgateway.yaml", m),
                IsOk());
  }
  EXPECT_THAT(addText(yaml, "test.yaml", 1, m), IsOk());
  auto w = World::build(m.k8s);
  EXPECT_THAT(w, IsOk());
  return std::move(w).value();
}

// A gateway of the shop's own behind a ClusterIP Service with no port 80.
constexpr const char* kShopGateway = R"(
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {istio: edge}}
  template:
    metadata: {labels: {istio: edge}}
    spec:
      containers: [{name: istio-proxy, ports: [{containerPort: 9443}]}]
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: shop}
spec:
  selector: {istio: edge}
  ports: [{name: https, port: 443, targetPort: 9443}, {name: http, port: 8000, targetPort: 9080}]
)";

TEST(FindIngressTest, TheDefaultIngressGatewayOnItsHttpPort) {
  const World world = build(kShopGateway);
  auto ingress = findIngress(world, "");
  ASSERT_THAT(ingress, IsOk());
  EXPECT_EQ(ingress->service->spec.meta.id(), "istio-system/istio-ingressgateway");
  // The LoadBalancer address, not the ClusterIP.
  EXPECT_EQ(ingress->ip, ingress->service->external_ip);
  EXPECT_NE(ingress->ip, ingress->service->cluster_ip);
  // Port 80, although the Service lists the status port first; it leads to 8080.
  EXPECT_EQ(ingress->port, 80);
  ASSERT_EQ(ingress->endpoints.size(), 1U);
  EXPECT_EQ(world.pods()[ingress->endpoints[0].pod].id(), "istio-system/istio-ingressgateway-0");
  EXPECT_EQ(ingress->endpoints[0].port, 8080);
}

TEST(FindIngressTest, APortAskedFor) {
  const World world = build(kShopGateway);
  auto https = findIngress(world, "", 443);
  ASSERT_THAT(https, IsOk());
  ASSERT_EQ(https->endpoints.size(), 1U);
  EXPECT_EQ(https->endpoints[0].port, 8443);
  // A port the Service does not have: the address, and nothing behind it.
  auto none = findIngress(world, "", 9999);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->port, 9999);
  EXPECT_EQ(none->service_port, nullptr);
  EXPECT_TRUE(none->endpoints.empty());
}

TEST(FindIngressTest, ANamedGatewayServiceWithoutPort80) {
  const World world = build(kShopGateway);
  auto ingress = findIngress(world, "shop/edge");
  ASSERT_THAT(ingress, IsOk());
  // A ClusterIP Service: its ClusterIP. No port 80: its first port.
  EXPECT_EQ(ingress->ip, ingress->service->cluster_ip);
  EXPECT_EQ(ingress->port, 443);
  ASSERT_EQ(ingress->endpoints.size(), 2U);
  EXPECT_EQ(world.pods()[ingress->endpoints[0].pod].id(), "shop/edge-0");
  EXPECT_EQ(world.pods()[ingress->endpoints[1].pod].id(), "shop/edge-1");
  EXPECT_EQ(ingress->endpoints[0].port, 9443);
}

TEST(FindIngressTest, RefusesWhatDoesNotExist) {
  EXPECT_THAT(findIngress(build(kShopGateway, /*default_gateway=*/false), ""),
              StatusIs(StatusCode::FailedPrecondition, HasSubstr("istio=ingressgateway")));
  const World world = build(kShopGateway);
  EXPECT_THAT(findIngress(world, "edge"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("NAMESPACE/NAME")));
  EXPECT_THAT(findIngress(world, "shop/nope"),
              StatusIs(StatusCode::NotFound, HasSubstr("shop/nope")));
}

}  // namespace
}  // namespace meshsim::sim::k8s
