#include "sim/k8s/world.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::k8s {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

World build(const std::string& yaml) {
  Manifests m;
  auto s = addText(yaml, "test.yaml", 1, m);
  EXPECT_THAT(s, IsOk());
  auto w = World::build(m.k8s);
  EXPECT_THAT(w, IsOk());
  return std::move(w).value();
}

constexpr const char* kTwoVersions = R"(
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web, version: v1}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      containers: [{name: web, ports: [{containerPort: 9000, name: http-web}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v2, namespace: shop}
spec:
  selector: {matchLabels: {app: web, version: v2}}
  template:
    metadata: {labels: {app: web, version: v2, sidecar.istio.io/inject: "false"}}
    spec:
      containers: [{name: web, ports: [{containerPort: 9100, name: http-web}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http-web}]
---
apiVersion: v1
kind: Service
metadata: {name: web-v1-only, namespace: shop}
spec:
  selector: {app: web, version: v1}
  ports: [{name: http, port: 8000, targetPort: 9000}]
)";

TEST(WorldTest, DeploymentsExpandIntoNumberedPodsWithTemplateLabels) {
  const World w = build(kTwoVersions);
  ASSERT_EQ(w.pods().size(), 3u);
  EXPECT_EQ(w.pods()[0].name, "web-v1-0");
  EXPECT_EQ(w.pods()[1].name, "web-v1-1");
  EXPECT_EQ(w.pods()[2].name, "web-v2-0");
  EXPECT_EQ(w.pods()[1].labels.at("version"), "v1");
  EXPECT_EQ(w.pods()[1].workload, "web-v1");
  EXPECT_NE(w.pods()[0].ip, w.pods()[1].ip);
}

TEST(WorldTest, EndpointsFollowSelectorsAndResolveNamedPortsPerPod) {
  const World w = build(kTwoVersions);
  const ServiceState* web = w.findService("shop", "web");
  ASSERT_NE(web, nullptr);
  const auto eps = w.endpoints(*web, web->spec.ports[0]);
  ASSERT_EQ(eps.size(), 3u);
  EXPECT_EQ(eps[0].port, 9000);
  EXPECT_EQ(eps[2].port, 9100);  // the same port name resolves differently on v2
  const ServiceState* v1 = w.findService("shop", "web-v1-only");
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(w.endpoints(*v1, v1->spec.ports[0]).size(), 2u);
}

TEST(WorldTest, InjectionFollowsNamespaceLabelAndPodOptOut) {
  const World w = build(kTwoVersions);
  EXPECT_TRUE(w.pods()[0].sidecar);
  EXPECT_FALSE(w.pods()[2].sidecar);  // sidecar.istio.io/inject: "false"
}

TEST(WorldTest, InjectionRules) {
  const Labels none;
  const Labels enabled{{"istio-injection", "enabled"}};
  const Labels disabled{{"istio-injection", "disabled"}};
  const Labels rev{{"istio.io/rev", "canary"}};
  const Labels pod_true{{"sidecar.istio.io/inject", "true"}};
  const Labels pod_false{{"sidecar.istio.io/inject", "false"}};
  const Labels annotation_true{{"sidecar.istio.io/inject", "true"}};
  const Labels annotation_false{{"sidecar.istio.io/inject", "false"}};
  EXPECT_TRUE(sidecarInjected(enabled, "default", none, none, false));
  EXPECT_FALSE(sidecarInjected(enabled, "default", pod_false, none, false));
  EXPECT_FALSE(sidecarInjected(enabled, "default", none, annotation_false, false));
  EXPECT_FALSE(sidecarInjected(disabled, "default", pod_true, none, false));
  EXPECT_TRUE(sidecarInjected(rev, "default", none, none, false));
  EXPECT_TRUE(sidecarInjected(none, "default", pod_true, none, false));
  // The deprecated annotation alone does not invoke the webhook.
  EXPECT_FALSE(sidecarInjected(none, "default", none, annotation_true, false));
  EXPECT_FALSE(sidecarInjected(none, "default", none, none, false));
  EXPECT_FALSE(sidecarInjected(enabled, "kube-system", none, none, false));
  EXPECT_FALSE(sidecarInjected(enabled, "default", none, none, /*host_network=*/true));
}

TEST(WorldTest, DnsSearchPath) {
  const World w = build(kTwoVersions);
  const ServiceState* web = w.findService("shop", "web");
  EXPECT_EQ(w.resolve("web", "shop"), web);
  EXPECT_EQ(w.resolve("web.shop", "default"), web);
  EXPECT_EQ(w.resolve("web.shop.svc", "default"), web);
  EXPECT_EQ(w.resolve("web.shop.svc.cluster.local", "default"), web);
  EXPECT_EQ(w.resolve("web", "default"), nullptr);  // short names are namespace-local
  EXPECT_EQ(web->fqdn, "web.shop.svc.cluster.local");
}

TEST(WorldTest, HeadlessServiceNamesResolveToPods) {
  const World w = build(std::string(kTwoVersions) + R"(
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  clusterIP: None
  selector: {app: web, version: v1}
  ports: [{name: http, port: 9000}]
)");
  const ServiceState* db = w.findService("shop", "db");
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->spec.headless);
  EXPECT_EQ(db->cluster_ip, 0u);  // no virtual IP
  const PodState* v1_0 = w.findPod("shop", "web-v1-0");
  const PodState* v1_1 = w.findPod("shop", "web-v1-1");
  // The service name answers the pods' records (the first); a ClusterIP Service its VIP.
  EXPECT_EQ(w.resolveAddress("db", "shop"), v1_0->ip);
  EXPECT_EQ(w.resolveAddress("web.shop", "default"), w.findService("shop", "web")->cluster_ip);
  // POD.SERVICE with the search path and in full.
  EXPECT_EQ(w.resolveAddress("web-v1-1.db", "shop"), v1_1->ip);
  EXPECT_EQ(w.resolveAddress("web-v1-1.db.shop", "default"), v1_1->ip);
  EXPECT_EQ(w.resolveAddress("web-v1-1.db.shop.svc.cluster.local", "default"), v1_1->ip);
  // Not a pod of that service, or a Service that is not headless: no record.
  EXPECT_EQ(w.resolveAddress("web-v2-0.db.shop.svc.cluster.local", "default"), std::nullopt);
  EXPECT_EQ(w.resolveAddress("web-v1-0.web.shop.svc.cluster.local", "default"), std::nullopt);
  EXPECT_EQ(w.resolveAddress("nothing", "shop"), std::nullopt);
}

TEST(WorldTest, ClusterIpNoneOnlyForClusterIpServices) {
  Manifests m;
  EXPECT_THAT(addText(R"(
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  clusterIP: None
  ports: [{port: 80}]
)",
                      "lb.yaml", 1, m),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("lb.yaml:7:14: spec.clusterIP: Service default/lb: may be None "
                                 "only for type ClusterIP")));
}

TEST(WorldTest, WorkloadIdentityFollowsIstioLabelRules) {
  const World w = build(kTwoVersions);
  const auto& info = *w.pods()[0].info;
  EXPECT_EQ(info.canonical_service, "web");
  EXPECT_EQ(info.canonical_revision, "v1");
  EXPECT_EQ(info.principal, "spiffe://cluster.local/ns/shop/sa/default");
}

// Loading refuses a second definition (manifests_test.cc); the World checks again for resources
// put together in code.
TEST(WorldTest, DuplicateNamesAreErrors) {
  Manifests a;
  Manifests b;
  const std::string service =
      "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n";
  ASSERT_THAT(addText(service, "a.yaml", 1, a), IsOk());
  ASSERT_THAT(addText(service, "b.yaml", 1, b), IsOk());
  a.k8s.services.push_back(b.k8s.services.front());
  EXPECT_THAT(World::build(a.k8s), StatusIs(StatusCode::InvalidArgument,
                                            HasSubstr("Service default/a is defined twice")));
}

// Found by manifests_fuzz: a namespace "defau*t" was accepted, and only the proxy configuration
// refused the Service host reviews.defau*t.svc.cluster.local, naming no file or line. Names and
// namespaces follow Kubernetes' DNS rules and are refused at their line.
TEST(WorldTest, NamesKubernetesWouldRefuseAreErrorsAtTheirLine) {
  const auto refused = [](const std::string& yaml, const std::string& what) {
    Manifests m;
    EXPECT_THAT(addText(yaml, "names.yaml", 1, m),
                StatusIs(StatusCode::InvalidArgument, HasSubstr(what)))
        << yaml;
  };
  refused("apiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\n  namespace: defau*t\n",
          "names.yaml:5:14: metadata.namespace: Service: a namespace must be a DNS label");
  refused("apiVersion: v1\nkind: Service\nmetadata: {name: 9lives}\n",
          "names.yaml:3:18: metadata.name: Service: a Service name must be a DNS label");
  refused("apiVersion: v1\nkind: Namespace\nmetadata: {name: Shop}\n",
          "metadata.name: Namespace: a Namespace name must be a DNS label");
  refused("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: hello..v1}\n",
          "metadata.name: Deployment: a name must be lowercase letters");
  refused("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: \"\"}\n",
          "metadata.name: VirtualService: a name must be lowercase letters");

  // What Kubernetes accepts still loads: dotted names, digits first (not for Services).
  Manifests m;
  EXPECT_THAT(addText(R"(
apiVersion: v1
kind: Namespace
metadata: {name: 1st-team}
---
apiVersion: v1
kind: Service
metadata: {name: hello, namespace: 1st-team}
spec: {ports: [{port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hello.example.com-v2, namespace: 1st-team}
spec: {hosts: [hello], http: [{route: [{destination: {host: hello}}]}]}
)",
                      "names.yaml", 1, m),
              IsOk());
}

}  // namespace
}  // namespace meshsim::sim::k8s
