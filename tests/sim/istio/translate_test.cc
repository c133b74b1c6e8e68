#include "sim/istio/translate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::istio {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Manifests load(const std::vector<std::string>& paths, const std::string& extra = "") {
  Manifests m;
  for (const auto& p : paths) {
    EXPECT_THAT(addPath(std::string(MESHSIM_SOURCE_DIR) + "/" + p, m), IsOk());
  }
  if (!extra.empty()) {
    EXPECT_THAT(addText(extra, "extra.yaml", 1, m), IsOk());
  }
  return m;
}

struct Built {
  k8s::World world;
  Translation t;
  const proxy::config::ProxyConfig* gateway = nullptr;
};

Built build(const Manifests& m) {
  Built b;
  auto w = k8s::World::build(m.k8s);
  EXPECT_THAT(w, IsOk());
  b.world = std::move(w).value();
  auto t = translate(b.world, m.istio);
  EXPECT_THAT(t, IsOk());
  b.t = std::move(t).value();
  for (const auto& p : b.t.proxies) {
    if (b.world.pods()[p.pod].gateway) {
      b.gateway = &p.config;
    }
  }
  return b;
}

TEST(TranslateTest, HelloGatewayListensOnTargetPortWithOneVirtualHost) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  ASSERT_NE(b.gateway, nullptr);
  ASSERT_EQ(b.gateway->listeners.size(), 1u);
  EXPECT_EQ(b.gateway->listeners[0].port, 8080);  // Service port 80 -> targetPort 8080
  ASSERT_EQ(b.gateway->route_configs.size(), 1u);
  const auto& rc = b.gateway->route_configs[0];
  EXPECT_EQ(rc.name, "http.8080");
  ASSERT_EQ(rc.virtual_hosts.size(), 1u);
  EXPECT_THAT(rc.virtual_hosts[0].domains, ElementsAre("hello.com"));
  ASSERT_EQ(rc.virtual_hosts[0].routes.size(), 1u);
  const auto& route = rc.virtual_hosts[0].routes[0];
  ASSERT_EQ(route.action.clusters.size(), 1u);
  EXPECT_EQ(route.action.clusters[0].name, "outbound|80||hello.default.svc.cluster.local");
  EXPECT_THAT(route.source.description, HasSubstr("frontend-ingress"));
  EXPECT_THAT(route.source.description, HasSubstr("virtualservice.yaml:3:1"));
  EXPECT_TRUE(b.t.warnings.empty());
}

TEST(TranslateTest, OutboundClusterHasPodEndpointsOnTargetPortWithMtls) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  const proxy::config::Cluster* hello = nullptr;
  for (const auto& c : b.gateway->clusters) {
    if (c.name == "outbound|80||hello.default.svc.cluster.local") {
      hello = &c;
    }
  }
  ASSERT_NE(hello, nullptr);
  ASSERT_EQ(hello->endpoints.size(), 1u);
  EXPECT_EQ(hello->endpoints[0].address.port, 8080);  // named targetPort "http"
  EXPECT_TRUE(hello->endpoints[0].mtls);
  EXPECT_EQ(hello->service->name, "hello");
}

TEST(TranslateTest, SidecarGetsInboundListenerToLocalApp) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}));
  const proxy::config::ProxyConfig* sidecar = nullptr;
  for (const auto& p : b.t.proxies) {
    if (b.world.pods()[p.pod].name == "hello-0") {
      sidecar = &p.config;
    }
  }
  ASSERT_NE(sidecar, nullptr);
  std::vector<const proxy::config::Listener*> inbound;
  std::vector<const proxy::config::Listener*> outbound;
  for (const auto& l : sidecar->listeners) {
    (l.direction == proxy::config::TrafficDirection::Inbound ? inbound : outbound).push_back(&l);
  }
  ASSERT_EQ(inbound.size(), 1u);
  EXPECT_EQ(inbound[0]->port, 8080);
  EXPECT_TRUE(inbound[0]->bind_to_port);
  const proxy::config::Cluster* local = nullptr;
  for (const auto& c : sidecar->clusters) {
    if (c.name == "inbound|8080||") {
      local = &c;
    }
  }
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->endpoints[0].address.ip, proxy::config::kLoopback);
  // Outbound: one capture listener per service port (80 for hello, 80/443/15021 for the
  // gateway's Service), never bound to the pod's address.
  ASSERT_FALSE(outbound.empty());
  for (const auto* l : outbound) {
    EXPECT_FALSE(l->bind_to_port);
  }
}

TEST(TranslateTest, NoBoundVirtualServiceGivesBlackholeVirtualHost) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml"}, R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
)"));
  ASSERT_NE(b.gateway, nullptr);
  const auto& rc = b.gateway->route_configs[0];
  ASSERT_EQ(rc.virtual_hosts.size(), 1u);
  EXPECT_EQ(rc.virtual_hosts[0].name, "blackhole:8080");
  EXPECT_TRUE(rc.virtual_hosts[0].routes.empty());
}

TEST(TranslateTest, HostIntersectionKeepsTheNarrowerHostAndNamespaceFilters) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello"}, R"(
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: {name: wild, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*.example.com", "other/*"]}]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.com, "*.internal"]
  gateways: [wild]
  http:
  - match: [{uri: {prefix: /v1}}]
    route: [{destination: {host: hello}}]
  - route: [{destination: {host: hello}}]
  - route: [{destination: {host: never}}]
)"));
  const auto& rc = b.gateway->route_configs[0];
  std::vector<std::string> domains;
  for (const auto& vh : rc.virtual_hosts) {
    domains.push_back(vh.domains[0]);
  }
  // *.internal intersects nothing: "other/*" admits only VirtualServices of namespace other.
  EXPECT_THAT(domains, ElementsAre("hello.com", "api.example.com"));
  const auto& api = rc.virtual_hosts[1];
  // The route after the catch-all is dropped; the short host resolves in the VS namespace and
  // its single port fills in the destination port.
  ASSERT_EQ(api.routes.size(), 2u);
  EXPECT_EQ(api.routes[0].match.prefix, "/v1");
  EXPECT_EQ(api.routes[1].action.clusters[0].name, "outbound|80||hello.default.svc.cluster.local");
}

TEST(TranslateTest, WarnsAboutMissingGatewaysAndHosts) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml"}, R"(
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: lost}
spec:
  hosts: [lost.com]
  gateways: [nope]
  http: [{route: [{destination: {host: nowhere}}]}]
)"));
  ASSERT_EQ(b.t.warnings.size(), 2u);
  EXPECT_THAT(b.t.warnings[0], HasSubstr("Referenced gateway not found: \"default/nope\""));
  EXPECT_THAT(b.t.warnings[1],
              HasSubstr("Referenced host not found: \"nowhere.default.svc.cluster.local\""));
  EXPECT_THAT(b.t.warnings[1], HasSubstr("extra.yaml:8"));
}

TEST(TranslateTest, HostHelpers) {
  EXPECT_EQ(resolveHost("hello", "default"), "hello.default.svc.cluster.local");
  EXPECT_EQ(resolveHost("hello.default", "x"), "hello.default");  // a dot: taken literally
  EXPECT_TRUE(hostCovers("*", "a.b"));
  EXPECT_TRUE(hostCovers("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(hostCovers("*.example.com", "example.com"));
  EXPECT_FALSE(hostCovers("a.example.com", "*.example.com"));
}

TEST(ResourcesTest, UnmodelledIstioFieldsAreReportedNotIgnored) {
  Manifests m;
  EXPECT_THAT(addText(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [r]
  http:
  - fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 10}}}
    route: [{destination: {host: r}}]
)",
                      "r.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("r.yaml:8:33: spec.http[0].fault.abort.grpcStatus: VirtualService "
                                 "default/r: valid Istio, but not modelled")));
}

TEST(ResourcesTest, ZeroTimeoutIsRejected) {
  Manifests m;
  EXPECT_THAT(addText(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [r]
  http:
  - timeout: 0s
    route: [{destination: {host: r}}]
)",
                      "t.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("at least 1ms")));
}

TEST(ResourcesTest, ZeroTotalWeightIsRejected) {
  Manifests m;
  EXPECT_THAT(addText(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [r]
  http:
  - route:
    - destination: {host: a}
    - destination: {host: b}
      weight: 0
)",
                      "w.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("total destination weight = 0")));
}

}  // namespace
}  // namespace meshsim::sim::istio
