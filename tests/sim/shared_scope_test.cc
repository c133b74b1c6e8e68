// Sidecars that see the same scope share one outbound configuration; a push swaps it, and what
// it retires is freed once nothing uses it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/istio/translate.h"
#include "sim/mesh.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim {
namespace {

using ::meshsim::testing::IsOk;

// Two Deployments in `default`, one in `other`, each with a Service.
constexpr const char* kThree = R"(
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: default}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec: {containers: [{name: a, image: a, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: default}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: b, image: b, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: c, namespace: other}
spec:
  selector: {matchLabels: {app: c}}
  template:
    metadata: {labels: {app: c}}
    spec: {containers: [{name: c, image: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {selector: {app: a}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec: {selector: {app: b}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: c, namespace: other}
spec: {selector: {app: c}, ports: [{name: http, port: 80, targetPort: 8080}]}
)";

Manifests load(const std::string& extra = "") {
  Manifests m;
  const std::string root = MESHSIM_SOURCE_DIR;
  EXPECT_THAT(addPath(root + "/fixtures/hello/namespace.yaml", m), IsOk());
  EXPECT_THAT(addText(kThree, "three.yaml", 1, m), IsOk());
  if (!extra.empty()) {
    EXPECT_THAT(addText(extra, "extra.yaml", 1, m), IsOk());
  }
  return m;
}

const proxy::config::ProxyConfig* planOf(const k8s::World& world, const istio::Translation& t,
                                         const std::string& pod) {
  for (const auto& p : t.proxies) {
    if (world.pods()[p.pod].name == pod) {
      return &p.config;
    }
  }
  return nullptr;
}

TEST(SharedScopeTest, SidecarsOfOneNamespaceShareTheirOutboundConfiguration) {
  const Manifests m = load();
  auto world = k8s::World::build(m.k8s);
  ASSERT_THAT(world, IsOk());
  auto t = istio::translate(*world, m.istio);
  ASSERT_THAT(t, IsOk());
  const auto* a = planOf(*world, *t, "a-0");
  const auto* b = planOf(*world, *t, "b-0");
  const auto* c = planOf(*world, *t, "c-0");
  ASSERT_TRUE(a != nullptr && b != nullptr && c != nullptr);
  ASSERT_NE(a->shared, nullptr);
  EXPECT_EQ(a->shared, b->shared);  // one object for the scope, not a copy each
  EXPECT_NE(a->shared, c->shared);  // another namespace sees other short names
  EXPECT_EQ(a->shared->clusters(), b->shared->clusters());
  // The own part is the inbound side only.
  for (const auto& l : a->listeners) {
    EXPECT_EQ(l.direction, proxy::config::TrafficDirection::Inbound);
  }
}

TEST(SharedScopeTest, SourceLabelsSplitTheScope) {
  const Manifests m = load(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: c-from-a, namespace: default}
spec:
  hosts: [c.other.svc.cluster.local]
  http:
  - match: [{sourceLabels: {app: a}}]
    route: [{destination: {host: c.other.svc.cluster.local}}]
    headers: {response: {set: {x-from: a}}}
  - route: [{destination: {host: c.other.svc.cluster.local}}]
)");
  auto world = k8s::World::build(m.k8s);
  ASSERT_THAT(world, IsOk());
  auto t = istio::translate(*world, m.istio);
  ASSERT_THAT(t, IsOk());
  const auto* a = planOf(*world, *t, "a-0");
  const auto* b = planOf(*world, *t, "b-0");
  ASSERT_TRUE(a != nullptr && b != nullptr);
  EXPECT_NE(a->shared, b->shared);                          // their routes differ
  EXPECT_EQ(a->shared->clusters(), b->shared->clusters());  // their clusters do not
}

TEST(SharedScopeTest, MeshProxiesHoldTheSharedObjectAndAPushFreesTheOldOne) {
  auto created = Mesh::create(load(), {});
  ASSERT_THAT(created, IsOk());
  Mesh& mesh = **created;
  const auto shared_of = [&](const std::string& pod) -> proxy::SharedConfigConstSharedPtr {
    const k8s::PodState* p = mesh.world().findPod("default", pod);
    proxy::Proxy* proxy = p == nullptr ? nullptr : mesh.proxyOf(mesh.world().indexOf(*p));
    return proxy == nullptr ? nullptr : proxy->config().shared;
  };
  const auto before = shared_of("a-0");
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(before, shared_of("b-0"));
  const k8s::PodState* pod_before = mesh.world().findPod("default", "a-0");

  Manifests more;
  ASSERT_THAT(addText(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-header, namespace: default}
spec:
  hosts: [a]
  http:
  - route: [{destination: {host: a}}]
    headers: {response: {set: {x-v: "2"}}}
)",
                      "more.yaml", 1, more),
              IsOk());
  ASSERT_THAT(mesh.apply(more, std::chrono::milliseconds(10)), IsOk());
  mesh.loop().runUntilIdle();
  const auto after = shared_of("a-0");
  ASSERT_NE(after, nullptr);
  EXPECT_NE(after, before);
  EXPECT_EQ(after, shared_of("b-0"));
  // An unchanged pod is the same object in the new world.
  EXPECT_EQ(mesh.world().findPod("default", "a-0"), pod_before);
}

TEST(SharedScopeTest, ASidecarAppliedAndDeletedWhileRunningRescopesItsNamespace) {
  auto created = Mesh::create(load(), {});
  ASSERT_THAT(created, IsOk());
  Mesh& mesh = **created;
  const auto proxy_of = [&](const std::string& ns, const std::string& pod) -> proxy::Proxy* {
    const k8s::PodState* p = mesh.world().findPod(ns, pod);
    return p == nullptr ? nullptr : mesh.proxyOf(mesh.world().indexOf(*p));
  };
  const auto before = proxy_of("default", "a-0")->config().shared;
  Manifests more;
  ASSERT_THAT(addText(R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress: [{hosts: ["./*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
)",
                      "sidecar.yaml", 1, more),
              IsOk());
  ASSERT_THAT(mesh.apply(more, std::chrono::milliseconds(10)), IsOk());
  mesh.loop().runUntilIdle();
  const proxy::Proxy* a = proxy_of("default", "a-0");
  const proxy::Proxy* b = proxy_of("default", "b-0");
  const proxy::Proxy* c = proxy_of("other", "c-0");
  ASSERT_TRUE(a != nullptr && b != nullptr && c != nullptr);
  EXPECT_NE(a->config().shared, before);
  EXPECT_EQ(a->config().shared, b->config().shared);  // one Sidecar, one object
  EXPECT_NE(a->config().shared, c->config().shared);
  EXPECT_FALSE(a->config().outbound_passthrough);
  EXPECT_TRUE(c->config().outbound_passthrough);
  EXPECT_EQ(a->config().shared->clusters()->find("outbound|80||c.other.svc.cluster.local"),
            nullptr);
  // `before` is still held here; the proxies and the translation have let it go.
  EXPECT_EQ(before.use_count(), 1);

  ASSERT_THAT(mesh.remove("Sidecar", "default", "default", std::chrono::milliseconds(10)), IsOk());
  mesh.loop().runUntilIdle();
  a = proxy_of("default", "a-0");
  EXPECT_TRUE(a->config().outbound_passthrough);
  EXPECT_NE(a->config().shared->clusters()->find("outbound|80||c.other.svc.cluster.local"),
            nullptr);
}

TEST(SharedScopeTest, RetiredSharedConfigurationIsFreedAfterThePush) {
  auto created = Mesh::create(load(), {});
  ASSERT_THAT(created, IsOk());
  Mesh& mesh = **created;
  std::weak_ptr<const proxy::SharedConfig> watch;
  {
    const k8s::PodState* p = mesh.world().findPod("default", "a-0");
    watch = mesh.proxyOf(mesh.world().indexOf(*p))->config().shared;
  }
  ASSERT_FALSE(watch.expired());
  ASSERT_THAT(mesh.remove("Service", "default", "b", std::chrono::milliseconds(10)), IsOk());
  mesh.loop().runUntilIdle();
  EXPECT_TRUE(watch.expired());  // no proxy, exchange or translation keeps it
}

}  // namespace
}  // namespace meshsim::sim
