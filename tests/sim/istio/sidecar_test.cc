// The Sidecar resource: which Sidecar applies to a pod, what its egress hosts import, its
// outboundTrafficPolicy, and that it keys the shared outbound configuration.

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/istio/analyze.h"
#include "sim/istio/translate.h"
#include "sim/manifests.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::istio {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// Deployments a and b (two pods each for a) in `default`, c in `other`; a Service each, port 80;
// Service b also has port 9090.
constexpr const char* kMesh = R"(
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: default}
spec:
  replicas: 2
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
spec:
  selector: {app: b}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: http-admin, port: 9090, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: c, namespace: other}
spec: {selector: {app: c}, ports: [{name: http, port: 80, targetPort: 8080}]}
)";

struct Built {
  Manifests m;
  k8s::World world;
  Translation t;

  const proxy::config::ProxyConfig& of(const std::string& pod) const {
    for (const auto& p : t.proxies) {
      if (world.pods()[p.pod].name == pod) {
        return p.config;
      }
    }
    ADD_FAILURE() << "no proxy for " << pod;
    static const proxy::config::ProxyConfig kNone;
    return kNone;
  }
  // The domains of the outbound virtual hosts of `pod` on `port` (empty: no listener there).
  std::vector<std::string> vhosts(const std::string& pod, uint16_t port) const {
    std::vector<std::string> out;
    const auto& shared = of(pod).shared;
    if (shared == nullptr) {
      return out;
    }
    for (const auto& l : shared->listeners()) {
      if (l.port != port) {
        continue;
      }
      for (const auto& vh : (*shared->routeTable(l.route_config_name))->config().virtual_hosts) {
        out.push_back(vh.name);
      }
    }
    return out;
  }
  bool hasCluster(const std::string& pod, const std::string& name) const {
    const auto& clusters = of(pod).shared->clusters();
    return clusters != nullptr && clusters->find(name) != nullptr;
  }
};

Built build(const std::string& extra, int istio_minor = 31) {
  Built b;
  EXPECT_THAT(addText(kMesh, "mesh.yaml", 1, b.m), IsOk());
  EXPECT_THAT(addText(extra, "sidecar.yaml", 1, b.m), IsOk());
  auto w = k8s::World::build(b.m.k8s);
  EXPECT_THAT(w, IsOk());
  b.world = std::move(w).value();
  TranslateOptions options;
  options.istio_minor = istio_minor;
  auto t = translate(b.world, b.m.istio, options);
  EXPECT_THAT(t, IsOk());
  b.t = std::move(t).value();
  return b;
}

constexpr const char* kOwnNamespaceOnly = R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress: [{hosts: ["./*"]}]
)";

TEST(SidecarTest, SidecarsUnderOneSidecarResourceHoldTheSamePointer) {
  const Built b = build(kOwnNamespaceOnly);
  const auto& a0 = b.of("a-0");
  ASSERT_NE(a0.shared, nullptr);
  EXPECT_EQ(a0.shared, b.of("a-1").shared);  // one scope, one object
  EXPECT_EQ(a0.shared, b.of("b-0").shared);
  EXPECT_NE(a0.shared, b.of("c-0").shared);  // no Sidecar in `other`
}

TEST(SidecarTest, EgressHostsScopeVirtualHostsAndClusters) {
  const Built b = build(kOwnNamespaceOnly);
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("a.default.svc.cluster.local:80"));
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("b.default.svc.cluster.local:80"));
  EXPECT_THAT(b.vhosts("a-0", 80), Not(Contains("c.other.svc.cluster.local:80")));
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("allow_any"));  // unknown hosts pass through
  EXPECT_TRUE(b.hasCluster("a-0", "outbound|80||b.default.svc.cluster.local"));
  EXPECT_FALSE(b.hasCluster("a-0", "outbound|80||c.other.svc.cluster.local"));
  EXPECT_TRUE(b.of("a-0").outbound_passthrough);
  // Without a Sidecar, `other` sees everything.
  EXPECT_THAT(b.vhosts("c-0", 80), Contains("a.default.svc.cluster.local:80"));
  EXPECT_TRUE(b.hasCluster("c-0", "outbound|80||a.default.svc.cluster.local"));
}

TEST(SidecarTest, RegistryOnlyAnswersUnknownHosts502AndBlackholesOtherPorts) {
  const Built b = build(R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
)");
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("block_all"));
  EXPECT_THAT(b.vhosts("a-0", 80), Not(Contains("allow_any")));
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("c.other.svc.cluster.local:80"));  // egress: */*
  EXPECT_FALSE(b.of("a-0").outbound_passthrough);
  EXPECT_TRUE(b.of("c-0").outbound_passthrough);
}

TEST(SidecarTest, SelectorBeatsNamespaceDefaultAndTheOldestWins) {
  const Built b = build(R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ns-default, namespace: default}
spec:
  egress: [{hosts: ["./*"]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: for-a, namespace: default}
spec:
  workloadSelector: {labels: {app: a}}
  egress: [{hosts: ["other/*"]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: for-a-too, namespace: default}
spec:
  workloadSelector: {labels: {app: a}}
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
)");
  // a: for-a (older than for-a-too, and a selector match beats ns-default).
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("c.other.svc.cluster.local:80"));
  EXPECT_THAT(b.vhosts("a-0", 80), Not(Contains("b.default.svc.cluster.local:80")));
  EXPECT_TRUE(b.of("a-0").outbound_passthrough);
  // b: the namespace default.
  EXPECT_THAT(b.vhosts("b-0", 80), Contains("a.default.svc.cluster.local:80"));
  EXPECT_THAT(b.vhosts("b-0", 80), Not(Contains("c.other.svc.cluster.local:80")));
  EXPECT_NE(b.of("a-0").shared, b.of("b-0").shared);
  // istioctl analyze: for-a and for-a-too select the same pods.
  const auto messages = analyze(b.world, b.m.istio, b.t.analysis);
  const auto ist0110 = std::count_if(messages.begin(), messages.end(),
                                     [](const auto& m) { return m.code == "IST0110"; });
  EXPECT_EQ(ist0110, 4);  // two Sidecars for each of the pods a-0 and a-1
  EXPECT_THAT(messages.front().message,
              HasSubstr("The Sidecars [for-a for-a-too] in namespace \"default\" select the same "
                        "workload pod"));
}

TEST(SidecarTest, RootNamespaceSidecarIsTheMeshDefaultPerNamespace) {
  const Built b = build(R"(
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress: [{hosts: ["./*", "istio-system/*"]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: mine, namespace: other}
spec:
  egress: [{hosts: ["*/*"]}]
)");
  // "." is each pod's own namespace.
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("b.default.svc.cluster.local:80"));
  EXPECT_THAT(b.vhosts("a-0", 80), Not(Contains("c.other.svc.cluster.local:80")));
  EXPECT_FALSE(b.of("a-0").outbound_passthrough);
  // `other` has its own Sidecar; it does not set outboundTrafficPolicy, so the mesh's
  // (meshConfig's ALLOW_ANY) applies, not the root Sidecar's.
  EXPECT_THAT(b.vhosts("c-0", 80), Contains("a.default.svc.cluster.local:80"));
  EXPECT_TRUE(b.of("c-0").outbound_passthrough);
}

TEST(SidecarTest, EgressListenerWithAPortServesOnlyThatPort) {
  const Built b = build(R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
  - port: {number: 9090, protocol: HTTP, name: admin}
    hosts: ["./b.default.svc.cluster.local"]
  - hosts: ["other/*"]
)");
  EXPECT_THAT(b.vhosts("a-0", 9090), Contains("b.default.svc.cluster.local:9090"));
  EXPECT_THAT(b.vhosts("a-0", 80), Contains("c.other.svc.cluster.local:80"));
  EXPECT_THAT(b.vhosts("a-0", 80), Not(Contains("b.default.svc.cluster.local:80")));
  EXPECT_TRUE(b.hasCluster("a-0", "outbound|9090||b.default.svc.cluster.local"));
  EXPECT_FALSE(b.hasCluster("a-0", "outbound|80||b.default.svc.cluster.local"));
}

TEST(SidecarTest, TildeExcludesSince131AndImportsNothingBefore) {
  constexpr const char* kExclude = R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress: [{hosts: ["*/*", "~other/c.other.svc.cluster.local"]}]
)";
  const Built now = build(kExclude, 31);
  EXPECT_THAT(now.vhosts("a-0", 80), Not(Contains("c.other.svc.cluster.local:80")));
  EXPECT_THAT(now.vhosts("a-0", 80), Contains("b.default.svc.cluster.local:80"));
  const Built before = build(kExclude, 30);
  EXPECT_THAT(before.vhosts("a-0", 80), Contains("c.other.svc.cluster.local:80"));
}

TEST(SidecarTest, VirtualServicesAreImportedByTheirNamespaceAndAddTheirDestinations) {
  const Built b = build(std::string(kOwnNamespaceOnly) + R"(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-to-c, namespace: default}
spec:
  hosts: [a]
  http:
  - route: [{destination: {host: c.other.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b-from-other, namespace: other}
spec:
  hosts: [b.default.svc.cluster.local]
  http:
  - route: [{destination: {host: c.other.svc.cluster.local}}]
    headers: {response: {set: {x-from: other}}}
)");
  const auto& table = *b.of("a-0").shared->routeTable("80");
  for (const auto& vh : table->config().virtual_hosts) {
    if (vh.name == "a.default.svc.cluster.local:80") {
      // The VirtualService in `default` is imported by "./*" and its destination's cluster too.
      EXPECT_THAT(vh.source.description, HasSubstr("a-to-c"));
    }
    if (vh.name == "b.default.svc.cluster.local:80") {
      // The one in `other` is not: "./*" imports VirtualServices of `default` only.
      EXPECT_EQ(vh.routes.at(0).name, "default");
    }
  }
  EXPECT_TRUE(b.hasCluster("a-0", "outbound|80||c.other.svc.cluster.local"));
}

TEST(SidecarTest, InvalidAndUnmodelledFieldsAreErrors) {
  const auto error = [](const std::string& spec) {
    Manifests m;
    return addText(
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\n" + spec, "s.yaml",
        1, m);
  };
  EXPECT_THAT(
      error("spec: {ingress: [{port: {number: 80, protocol: HTTP}}]}"),
      StatusIs(StatusCode::InvalidArgument,
               HasSubstr("spec.ingress: Sidecar default/s: valid Istio, but not modelled")));
  EXPECT_THAT(error("spec: {inboundConnectionPool: {tcp: {maxConnections: 1}}}"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("not modelled")));
  EXPECT_THAT(error("spec: {}"), StatusIs(StatusCode::InvalidArgument,
                                          HasSubstr("sidecar: empty configuration provided")));
  EXPECT_THAT(error("spec: {egress: [{hosts: [reviews]}]}"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("spec.egress[0].hosts: Sidecar default/s: invalid host "
                                 "\"reviews\": host must be of form namespace/dnsName")));
  EXPECT_THAT(error("spec: {egress: [{hosts: [./reviews]}]}"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("short names (non FQDN)")));
  EXPECT_THAT(error("spec: {egress: [{hosts: [./*]}, {port: {number: 80, protocol: HTTP}, "
                    "hosts: [./*]}]}"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("the egress listener with empty port should be the last")));
  EXPECT_THAT(error("spec: {outboundTrafficPolicy: {mode: ALLOW_SOME}}"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("spec.outboundTrafficPolicy.mode: Sidecar default/s: must be "
                                 "ALLOW_ANY or REGISTRY_ONLY")));
  EXPECT_THAT(error("spec: {egress: [{port: {number: 3306, protocol: MYSQL}, hosts: [./*]}]}"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("HTTP egress listeners only")));
  EXPECT_THAT(error("spec: {egress: [{hosts: [./*], captureMode: NONE}]}"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("not modelled")));
  EXPECT_THAT(error("spec: {egress: [{hosts: [No_Such/*]}]}"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("invalid namespace value \"No_Such\" in sidecar")));
}

TEST(SidecarTest, ExclusionsAreRefusedBeforeIstio131) {
  Manifests m;
  ASSERT_THAT(addText(R"(
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s}
spec:
  egress: [{hosts: ["*/*", "~other/c.other.svc.cluster.local"]}]
)",
                      "s.yaml", 1, m),
              IsOk());
  EXPECT_THAT(checkIstioVersion(m.istio, 31), IsOk());
  EXPECT_THAT(checkIstioVersion(m.istio, 30),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("s.yaml:6:20: spec.egress[0].hosts: Sidecar default/s: host "
                                 "\"~other/c.other.svc.cluster.local\": not in Istio 1.30 (added "
                                 "in 1.31")));
}

TEST(SidecarTest, TwoNamespaceDefaultsAreIst0111) {
  const Built b = build(std::string(kOwnNamespaceOnly) + R"(
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: another, namespace: default}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: nobody, namespace: default}
spec:
  workloadSelector: {labels: {app: nobody}}
  egress: [{hosts: ["./*"]}]
)");
  // The oldest namespace default applies: ALLOW_ANY.
  EXPECT_TRUE(b.of("a-0").outbound_passthrough);
  const auto messages = analyze(b.world, b.m.istio, b.t.analysis);
  std::vector<std::string> lines;
  for (const auto& m : messages) {
    lines.push_back(m.toString());
  }
  EXPECT_THAT(lines, Contains(HasSubstr(
                         "Error [IST0111] (Sidecar default/another sidecar.yaml:9) The Sidecars "
                         "[another default] in namespace \"default\" have no workload selector")));
  EXPECT_THAT(lines, Contains(HasSubstr("Error [IST0101] (Sidecar default/nobody sidecar.yaml:15) "
                                        "Referenced selector not found: \"app=nobody\"")));
}

}  // namespace
}  // namespace meshsim::sim::istio
