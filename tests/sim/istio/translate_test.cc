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
  for (auto& p : b.t.proxies) {
    // The tests below read each proxy's whole configuration, its shared part included.
    p.config = proxy::SharedConfig::flatten(p.config);
  }
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
  // istioctl's words: the names as the VirtualService writes them, the origin with file:line.
  EXPECT_THAT(b.t.warnings[0], HasSubstr("Error [IST0101] (VirtualService default/lost "));
  EXPECT_THAT(b.t.warnings[0], HasSubstr(") Referenced gateway not found: \"nope\""));
  EXPECT_THAT(b.t.warnings[1], HasSubstr("Referenced host not found: \"nowhere\""));
  EXPECT_THAT(b.t.warnings[1], HasSubstr("extra.yaml:8)"));
  ASSERT_EQ(b.t.analysis.size(), 2u);
  EXPECT_EQ(b.t.analysis[0].code, "IST0101");
  EXPECT_EQ(b.t.analysis[0].level, AnalysisLevel::Error);
}

TEST(TranslateTest, HeadlessServiceGetsPerPodDomainsAndOriginalDestinationOnSidecars) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello/namespace.yaml",
                              "fixtures/conformance/clients/sleep.yaml"},
                             R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: http, port: 8080}]
)"));
  const proxy::config::ProxyConfig* sleep = nullptr;
  for (const auto& p : b.t.proxies) {
    if (b.world.pods()[p.pod].name == "sleep-0") {
      sleep = &p.config;
    }
  }
  ASSERT_NE(sleep, nullptr);
  const proxy::config::VirtualHost* db = nullptr;
  for (const auto& rc : sleep->route_configs) {
    for (const auto& vh : rc.virtual_hosts) {
      if (vh.name == "db.default.svc.cluster.local:8080") {
        db = &vh;
      }
    }
  }
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->domains, ElementsAre("db.default.svc.cluster.local", "db.default.svc",
                                       "db.default", "db", "*.db.default.svc.cluster.local",
                                       "*.db.default.svc", "*.db.default", "*.db"));
  const auto cluster = [](const proxy::config::ProxyConfig& c) {
    for (const auto& cl : c.clusters) {
      if (cl.name == "outbound|8080||db.default.svc.cluster.local") {
        return &cl;
      }
    }
    return static_cast<const proxy::config::Cluster*>(nullptr);
  };
  ASSERT_NE(cluster(*sleep), nullptr);
  EXPECT_TRUE(cluster(*sleep)->original_destination);
  EXPECT_EQ(cluster(*sleep)->endpoints.size(), 2u);  // the pods' identities
  ASSERT_NE(cluster(*b.gateway), nullptr);
  EXPECT_FALSE(cluster(*b.gateway)->original_destination);  // gateways keep EDS
}

TEST(TranslateTest, HostHelpers) {
  EXPECT_EQ(resolveHost("hello", "default"), "hello.default.svc.cluster.local");
  EXPECT_EQ(resolveHost("hello.default", "x"), "hello.default");  // a dot: taken literally
  EXPECT_TRUE(hostCovers("*", "a.b"));
  EXPECT_TRUE(hostCovers("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(hostCovers("*.example.com", "example.com"));
  EXPECT_FALSE(hostCovers("a.example.com", "*.example.com"));
}

// A ServiceEntry document with `spec_body` (indented two spaces) as its spec; line 5 of the text
// is the spec's first line.
std::string serviceEntry(const std::string& spec_body) {
  return "apiVersion: networking.istio.io/v1beta1\nkind: ServiceEntry\nmetadata: {name: ext, "
         "namespace: default}\nspec:\n" +
         spec_body;
}

TEST(ServiceEntryTest, ParsesEveryModelledField) {
  Manifests m;
  ASSERT_THAT(addText(serviceEntry(R"(  hosts: [api.example.com, "*.api.example.org"]
  addresses: [240.0.0.1, 240.0.1.0/24]
  location: MESH_INTERNAL
  resolution: STATIC
  exportTo: [".", other]
  ports:
  - {number: 80, name: http, protocol: http}
  - {number: 8080, name: http-alt, targetPort: 9090}
  endpoints:
  - address: 10.9.0.1
    ports: {http: 8000}
    labels: {version: v1}
    weight: 3
  - address: 10.9.0.2
    weight: 3
)"),
                      "se.yaml", 1, m),
              IsOk());
  ASSERT_EQ(m.istio.service_entries.size(), 1u);
  const ServiceEntry& se = m.istio.service_entries[0];
  EXPECT_THAT(se.hosts, ElementsAre("api.example.com", "*.api.example.org"));
  EXPECT_THAT(se.addresses, ElementsAre("240.0.0.1", "240.0.1.0/24"));
  EXPECT_EQ(se.location, ServiceEntry::Location::MeshInternal);
  EXPECT_EQ(se.resolution, ServiceEntry::Resolution::Static);
  EXPECT_THAT(se.export_to, ElementsAre(".", "other"));
  ASSERT_EQ(se.ports.size(), 2u);
  EXPECT_EQ(se.ports[0].protocol, "HTTP");
  EXPECT_EQ(se.ports[1].target_port, 9090);
  EXPECT_EQ(se.ports[1].protocol, "");  // sniffed
  ASSERT_EQ(se.endpoints.size(), 2u);
  EXPECT_EQ(se.endpoints[0].ip, proxy::config::ipv4(10, 9, 0, 1));
  EXPECT_EQ(se.endpoints[0].ports.at("http"), 8000);
  EXPECT_EQ(se.endpoints[0].labels.at("version"), "v1");
  EXPECT_EQ(se.endpoints[0].weight, 3u);
  EXPECT_EQ(se.endpoints[1].location.line, 18);
}

TEST(ServiceEntryTest, DefaultsAreMeshExternalAndDnsWithIpEndpointsIsAccepted) {
  Manifests m;
  ASSERT_THAT(addText(serviceEntry(R"(  hosts: [db.example.com]
  resolution: DNS
  ports: [{number: 80, name: http}]
  endpoints: [{address: 192.0.2.7}]
)"),
                      "se.yaml", 1, m),
              IsOk());
  EXPECT_EQ(m.istio.service_entries[0].location, ServiceEntry::Location::MeshExternal);
  EXPECT_EQ(m.istio.service_entries[0].resolution, ServiceEntry::Resolution::Dns);
}

struct BadServiceEntry {
  const char* spec;
  const char* where;  // "se.yaml:LINE:COL: field path"
  const char* message;
};

class ServiceEntryRejectsTest : public ::testing::TestWithParam<BadServiceEntry> {};

TEST_P(ServiceEntryRejectsTest, NamesFileLineAndField) {
  Manifests m;
  const Status s = addText(serviceEntry(GetParam().spec), "se.yaml", 1, m);
  EXPECT_THAT(s, StatusIs(StatusCode::InvalidArgument, HasSubstr(GetParam().where)));
  EXPECT_THAT(s, StatusIs(StatusCode::InvalidArgument, HasSubstr(GetParam().message)));
  EXPECT_THAT(s, StatusIs(StatusCode::InvalidArgument, HasSubstr("ServiceEntry default/ext")));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ServiceEntryRejectsTest,
    ::testing::Values(
        BadServiceEntry{"  hosts: []\n  resolution: STATIC\n", "se.yaml:5:10: spec.hosts",
                        "at least one host"},
        BadServiceEntry{"  hosts: [\"*\"]\n  resolution: STATIC\n", "se.yaml:5:10: spec.hosts",
                        "invalid host *"},
        BadServiceEntry{"  hosts: [bad_host!]\n  resolution: STATIC\n", "se.yaml:5:10: spec.hosts",
                        "domain name \"bad_host!\" invalid"},
        BadServiceEntry{"  hosts: [a.com]\n  addresses: [300.1.1.1]\n  resolution: STATIC\n",
                        "se.yaml:6:14: spec.addresses", "not an IP address or CIDR"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{name: http}]\n",
                        "se.yaml:7:11: spec.ports[0]", "port number in [1, 65535]"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80}]\n",
                        "se.yaml:7:11: spec.ports[0].name", "required"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports:\n  - {number: 80, name: "
                        "http}\n  - {number: 81, name: http}\n",
                        "se.yaml:9:24: spec.ports[1].name", "already defined"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 443, name: "
                        "https, protocol: TLS}]\n",
                        "se.yaml:7:48: spec.ports[0].protocol", "models HTTP ports only"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http, protocol: FTP}]\n",
                        "se.yaml:7:46: spec.ports[0].protocol", "unsupported protocol"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http, targetPort: 70000}]\n",
                        "se.yaml:7:48: spec.ports[0].targetPort", "port number"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  location: MESH_OTHER\n  ports: "
                        "[{number: 80, name: http}]\n",
                        "se.yaml:7:13: spec.location", "MESH_EXTERNAL or MESH_INTERNAL"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: SOMETIMES\n  ports: [{number: 80, name: "
                        "http}]\n",
                        "se.yaml:6:15: spec.resolution", "must be one of NONE"},
        BadServiceEntry{"  hosts: [a.com]\n  ports: [{number: 80, name: http}]\n",
                        "spec.resolution", "resolution NONE"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: NONE\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints: [{address: 1.2.3.4}]\n",
                        "se.yaml:8:14: spec.endpoints", "no endpoints should be provided"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: DNS\n  ports: [{number: 80, name: "
                        "http}]\n",
                        "se.yaml:6:15: spec.resolution", "DNS outside the cluster"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: DNS\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints: [{address: db.example.com}]\n",
                        "se.yaml:8:25: spec.endpoints[0].address", "needs a DNS lookup"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints: [{address: db.example.com}]\n",
                        "se.yaml:8:25: spec.endpoints[0].address", "not an IP address"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints: [{address: 1.2.3.4, ports: {grpc: 90}}]\n",
                        "se.yaml:8:48: spec.endpoints[0].ports.grpc", "not defined by the service"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints: [{address: 1.2.3.4, ports: {http: 0}}]\n",
                        "se.yaml:8:48: spec.endpoints[0].ports.http", "port number"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints:\n  - {address: 1.2.3.4, weight: 1}\n  - {address: "
                        "1.2.3.5, weight: 2}\n",
                        "se.yaml:10:32: spec.endpoints[1].weight", "weighted endpoints"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints: [{address: 1.2.3.4, locality: us/east}]\n",
                        "se.yaml:8:44: spec.endpoints[0].locality", "not modelled"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  endpoints: [{address: 1.2.3.4, colour: red}]\n",
                        "spec.endpoints[0].colour", "unknown field"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  workloadSelector: {labels: {app: vm}}\n",
                        "se.yaml:8:21: spec.workloadSelector", "not modelled"},
        BadServiceEntry{"  hosts: [a.com]\n  resolution: STATIC\n  ports: [{number: 80, name: "
                        "http}]\n  sni: a.com\n",
                        "spec.sni", "unknown field"}));

// The hello world (gateway, hello Service and pod) plus `extra` manifests.
// The hello world without its VirtualService: a test's own frontend-ingress takes its place
// (defining it twice is an error).
Manifests seWorld(const std::string& extra) {
  return load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello/namespace.yaml",
               "fixtures/hello/gateway.yaml", "fixtures/hello/hello.yaml"},
              extra);
}

const proxy::config::Cluster* findCluster(const proxy::config::ProxyConfig& config,
                                          const std::string& name) {
  for (const auto& c : config.clusters) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

constexpr const char* kExternal = R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [api.example.com]
  addresses: [240.0.0.9]
  resolution: STATIC
  ports:
  - {number: 80, name: http, protocol: HTTP, targetPort: 8081}
  - {number: 8443, name: http-alt}
  endpoints:
  - {address: 192.0.2.1, ports: {http: 9000}, labels: {version: v1}}
  - {address: 192.0.2.2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ext, namespace: default}
spec:
  host: api.example.com
  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: frontend-ingress}
spec:
  hosts: [hello.com]
  gateways: [hello-gateway]
  http:
  - route: [{destination: {host: api.example.com, subset: v2, port: {number: 80}}}]
)";

TEST(ServiceEntryTranslateTest, EachHostPortIsAClusterOfTheEntrysEndpoints) {
  const Built b = build(seWorld(kExternal));
  ASSERT_NE(b.gateway, nullptr);
  const auto* c80 = findCluster(*b.gateway, "outbound|80||api.example.com");
  ASSERT_NE(c80, nullptr);
  ASSERT_EQ(c80->endpoints.size(), 2u);
  // The endpoint's ports map wins, then the port's targetPort.
  EXPECT_EQ(proxy::config::toString(c80->endpoints[0].address), "192.0.2.1:9000");
  EXPECT_EQ(proxy::config::toString(c80->endpoints[1].address), "192.0.2.2:8081");
  EXPECT_FALSE(c80->endpoints[0].mtls);  // MESH_EXTERNAL: no auto mTLS
  EXPECT_EQ(c80->endpoints[0].workload, nullptr);
  ASSERT_NE(c80->service, nullptr);
  EXPECT_EQ(c80->service->host, "api.example.com");
  EXPECT_EQ(c80->service->name, "api.example.com");
  EXPECT_EQ(c80->service->namespace_name, "default");
  // Without targetPort or a ports entry: the port number.
  const auto* c8443 = findCluster(*b.gateway, "outbound|8443||api.example.com");
  ASSERT_NE(c8443, nullptr);
  EXPECT_EQ(proxy::config::toString(c8443->endpoints[1].address), "192.0.2.2:8443");
  // The DestinationRule's subset selects endpoints by the entry's endpoint labels.
  const auto* v2 = findCluster(*b.gateway, "outbound|80|v2|api.example.com");
  ASSERT_NE(v2, nullptr);
  ASSERT_EQ(v2->endpoints.size(), 1u);
  EXPECT_EQ(proxy::config::toString(v2->endpoints[0].address), "192.0.2.2:8081");

  // The gateway routes hello.com to the subset cluster; no "host not found" warning.
  const auto& vh = b.gateway->route_configs[0].virtual_hosts[0];
  EXPECT_THAT(vh.domains, ElementsAre("hello.com"));
  ASSERT_EQ(vh.routes.size(), 1u);
  EXPECT_EQ(vh.routes[0].action.clusters[0].name, "outbound|80|v2|api.example.com");
  EXPECT_TRUE(b.t.warnings.empty()) << b.t.warnings[0];
}

TEST(ServiceEntryTranslateTest, SidecarsGetAVirtualHostPerPortLikeAService) {
  const Built b = build(seWorld(kExternal));
  const proxy::config::ProxyConfig* sidecar = nullptr;
  for (const auto& p : b.t.proxies) {
    if (b.world.pods()[p.pod].name == "hello-0") {
      sidecar = &p.config;
    }
  }
  ASSERT_NE(sidecar, nullptr);
  const proxy::config::VirtualHost* found = nullptr;
  for (const auto& rc : sidecar->route_configs) {
    for (const auto& vh : rc.virtual_hosts) {
      if (rc.name == "8443" && vh.name == "api.example.com:8443") {
        found = &vh;
      }
    }
  }
  ASSERT_NE(found, nullptr);
  EXPECT_THAT(found->domains, ElementsAre("api.example.com", "240.0.0.9"));
  ASSERT_EQ(found->routes.size(), 1u);
  EXPECT_EQ(found->routes[0].action.clusters[0].name, "outbound|8443||api.example.com");
  EXPECT_NE(findCluster(*sidecar, "outbound|80||api.example.com"), nullptr);
}

TEST(ServiceEntryTranslateTest, ExportToHidesTheHostFromOtherNamespaces) {
  const Built b = build(seWorld(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: private, namespace: team}
spec:
  hosts: [private.example.com]
  exportTo: ["."]
  resolution: STATIC
  ports: [{number: 80, name: http}]
  endpoints: [{address: 192.0.2.1}]
)"));
  // The gateway (istio-system) and the hello sidecar (default) see no cluster for it.
  for (const auto& p : b.t.proxies) {
    EXPECT_EQ(findCluster(p.config, "outbound|80||private.example.com"), nullptr);
  }
}

TEST(ServiceEntryTranslateTest, InternalEndpointsLabelledForIstioGetMtlsAndDuplicatesWarn) {
  const Built b = build(seWorld(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vm, namespace: default}
spec:
  hosts: [vm.example.com, hello.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http}]
  endpoints:
  - {address: 10.200.0.1, labels: {security.istio.io/tlsMode: istio}}
  - {address: 10.200.0.2}
)"));
  const auto* c = findCluster(*b.gateway, "outbound|80||vm.example.com");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->endpoints.size(), 2u);
  EXPECT_TRUE(c->endpoints[0].mtls);
  EXPECT_FALSE(c->endpoints[1].mtls);
  // The Kubernetes Service keeps its host.
  const auto* hello = findCluster(*b.gateway, "outbound|80||hello.default.svc.cluster.local");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->service->name, "hello");
  ASSERT_EQ(b.t.warnings.size(), 1u);
  EXPECT_THAT(b.t.warnings[0], HasSubstr("extra.yaml:2:1"));
  EXPECT_THAT(b.t.warnings[0], HasSubstr("host \"hello.default.svc.cluster.local\" ignored"));
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

// Finds the first route of the gateway's first route configuration whose prefix is `prefix`.
const proxy::config::Route* gatewayRoute(const Built& b, const std::string& prefix) {
  for (const auto& rc : b.gateway->route_configs) {
    for (const auto& vh : rc.virtual_hosts) {
      for (const auto& r : vh.routes) {
        if (r.match.prefix == prefix) {
          return &r;
        }
      }
    }
  }
  return nullptr;
}

TEST(TranslateTest, AuthorityHeaderOperationsBecomeHostRewrites) {
  const Built b =
      build(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello/namespace.yaml",
                  "fixtures/hello/hello.yaml", "fixtures/conformance/gateway/any-host.yaml"},
                 R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: h, namespace: default}
spec:
  hosts: [h.example.com]
  gateways: [any-host]
  http:
  - match: [{uri: {prefix: /route}}]
    headers: {request: {add: {":authority": route.internal}, set: {x-a: "1"}}}
    route:
    - destination: {host: hello}
      headers: {request: {set: {Host: dest.internal}}}
  - match: [{uri: {prefix: /dest}}]
    route:
    - destination: {host: hello}
      headers: {request: {set: {Host: set.internal}, add: {host: add.internal}}}
  - match: [{uri: {prefix: /weighted}}]
    headers: {request: {set: {host: route.internal}}}
    route:
    - destination: {host: hello}
      weight: 1
      headers: {request: {set: {":authority": one.internal, x-d: one}}}
    - destination: {host: hello.default.svc.cluster.local}
      weight: 1
)"));
  const auto* route = gatewayRoute(b, "/route");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->action.host_rewrite, "route.internal");  // the route's wins
  ASSERT_EQ(route->request_headers.set.size(), 1u);         // no host or :authority header
  EXPECT_EQ(route->request_headers.set[0].first, "x-a");
  EXPECT_TRUE(route->request_headers.add.empty());
  const auto* dest = gatewayRoute(b, "/dest");
  ASSERT_NE(dest, nullptr);
  EXPECT_EQ(dest->action.host_rewrite, "set.internal");  // set wins over add
  EXPECT_TRUE(dest->request_headers.empty());
  const auto* weighted = gatewayRoute(b, "/weighted");
  ASSERT_NE(weighted, nullptr);
  EXPECT_EQ(weighted->action.host_rewrite, "route.internal");
  ASSERT_EQ(weighted->action.clusters.size(), 2u);
  EXPECT_EQ(weighted->action.clusters[0].host_rewrite, "one.internal");
  ASSERT_EQ(weighted->action.clusters[0].request_headers.set.size(), 1u);
  EXPECT_EQ(weighted->action.clusters[0].request_headers.set[0].first, "x-d");
  EXPECT_EQ(weighted->action.clusters[1].host_rewrite, "");
}

TEST(ResourcesTest, HeaderOperationNamesAreValidatedAsIstioDoes) {
  const auto parse = [](const std::string& http) {
    Manifests m;
    return addText(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: r}
spec:
  hosts: [r]
  http:
)" + http,
                   "h.yaml", 1, m);
  };
  EXPECT_THAT(parse("  - headers: {request: {set: {\":path\": /x}}}\n    route: [{destination: "
                    "{host: r}}]\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("spec.http[0].headers.request.set: VirtualService default/r: "
                                 "pseudo-headers cannot be set: \":path\"")));
  EXPECT_THAT(parse("  - headers: {request: {remove: [Host]}}\n    route: [{destination: "
                    "{host: r}}]\n"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("cannot set Host header")));
  EXPECT_THAT(parse("  - headers: {response: {set: {host: x}}}\n    route: [{destination: "
                    "{host: r}}]\n"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("cannot set Host header")));
  EXPECT_THAT(parse("  - headers: {request: {set: {host: a, \":authority\": b}}}\n    route: "
                    "[{destination: {host: r}}]\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("authority header cannot be set multiple times")));
  EXPECT_THAT(parse("  - headers: {request: {set: {host: a}}}\n    rewrite: {authority: b}\n"
                    "    route: [{destination: {host: r}}]\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("h.yaml:8:14: spec.http[0].headers: VirtualService default/r: "
                                 "authority header cannot be set multiple times")));
  EXPECT_THAT(parse("  - headers: {request: {set: {host: a}, add: {\":authority\": b}}}\n"
                    "    route: [{destination: {host: r}}]\n"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("authority header cannot be set multiple times")));
  // A destination may name it in set and add; the set wins (no validation across them).
  EXPECT_THAT(parse("  - route: [{destination: {host: r}, headers: {request: {set: {host: a}, "
                    "add: {host: b}}}}]\n"),
              IsOk());
}

TEST(TranslateTest, ConsistentHashBecomesRingOrMaglevClustersAndRouteHashPolicies) {
  const Built b = build(load(
      {"fixtures/istio/ingressgateway.yaml", "fixtures/hello/namespace.yaml",
       "fixtures/conformance/reviews/reviews.yaml", "fixtures/conformance/gateway/any-host.yaml"},
      R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: sticky, path: /, ttl: 60s}
        ringHash: {minimumRingSize: 4096}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpHeaderName: X-User, maglev: {tableSize: 251}}
  - name: v2
    labels: {version: v2}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.example.com]
  gateways: [any-host]
  http:
  - match: [{uri: {prefix: /single}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}
)"));
  const auto cluster = [&](const std::string& name) -> const proxy::config::Cluster* {
    for (const auto& c : b.gateway->clusters) {
      if (c.name == name) {
        return &c;
      }
    }
    return nullptr;
  };
  const auto* top = cluster("outbound|9080||reviews.default.svc.cluster.local");
  const auto* v1 = cluster("outbound|9080|v1|reviews.default.svc.cluster.local");
  const auto* v2 = cluster("outbound|9080|v2|reviews.default.svc.cluster.local");
  ASSERT_TRUE(top != nullptr && v1 != nullptr && v2 != nullptr);
  EXPECT_EQ(top->lb_policy, proxy::config::LbPolicy::RingHash);
  EXPECT_EQ(top->minimum_ring_size, 4096u);
  EXPECT_EQ(v1->lb_policy, proxy::config::LbPolicy::Maglev);  // the subset's replaces it
  EXPECT_EQ(v1->maglev_table_size, 251u);
  EXPECT_EQ(v2->lb_policy, proxy::config::LbPolicy::RingHash);  // inherited
  const auto* single = gatewayRoute(b, "/single");
  ASSERT_NE(single, nullptr);
  ASSERT_EQ(single->action.hash_policies.size(), 1u);
  EXPECT_EQ(single->action.hash_policies[0].kind, proxy::config::HashPolicy::Kind::Cookie);
  EXPECT_EQ(single->action.hash_policies[0].cookie_ttl, std::chrono::seconds(60));
  ASSERT_TRUE(single->action.retry_policy.has_value());
  EXPECT_FALSE(single->action.retry_policy->avoid_previous_hosts);  // stays on the hashed host
  const auto* weighted = gatewayRoute(b, "/");
  ASSERT_NE(weighted, nullptr);
  ASSERT_EQ(weighted->action.hash_policies.size(), 2u);  // one per destination, in order
  EXPECT_EQ(weighted->action.hash_policies[0].kind, proxy::config::HashPolicy::Kind::Header);
  EXPECT_EQ(weighted->action.hash_policies[0].name, "x-user");
  EXPECT_TRUE(weighted->action.retry_policy->avoid_previous_hosts);  // only single destinations
}

TEST(ResourcesTest, ConsistentHashIsValidatedAsIstioDoes) {
  const auto parse = [](const std::string& lb) {
    Manifests m;
    return addText(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\n"
        "spec:\n  host: r\n  trafficPolicy:\n    loadBalancer: " +
            lb + "\n",
        "d.yaml", 1, m);
  };
  EXPECT_THAT(parse("{consistentHash: {maglev: {tableSize: 65536}}}"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("tableSize must be a prime number for maglev")));
  EXPECT_THAT(parse("{consistentHash: {httpCookie: {ttl: 10s}}}"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("name required for HttpCookie")));
  EXPECT_THAT(
      parse("{simple: RANDOM, consistentHash: {useSourceIp: true}}"),
      StatusIs(StatusCode::InvalidArgument, HasSubstr("only one of simple and consistentHash")));
  EXPECT_THAT(parse("{consistentHash: {httpHeaderName: a, useSourceIp: true}}"),
              StatusIs(StatusCode::InvalidArgument, HasSubstr("only one of httpHeaderName")));
  EXPECT_THAT(parse("{consistentHash: {minimumRingSize: 10, maglev: {tableSize: 7}}}"),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("only one of minimumRingSize, ringHash and maglev")));
  EXPECT_THAT(parse("{consistentHash: {httpQueryParameterName: u, ringHash: {}}}"), IsOk());
}

TEST(TranslateTest, PortProtocolAsIstioConvertsIt) {
  const auto proto = [](std::string name, std::string app_protocol = "", int port = 8080,
                        std::string l4 = "TCP") {
    k8s::ServicePort p;
    p.name = std::move(name);
    p.app_protocol = std::move(app_protocol);
    p.port = port;
    p.protocol = std::move(l4);
    return portProtocol(p);
  };
  EXPECT_EQ(proto("http"), "HTTP");
  EXPECT_EQ(proto("HTTP-web"), "HTTP");
  EXPECT_EQ(proto("http2-x"), "HTTP2");
  EXPECT_EQ(proto("grpc"), "GRPC");
  EXPECT_EQ(proto("grpc-web-x"), "GRPC-WEB");
  EXPECT_EQ(proto("tcp-db"), "TCP");
  EXPECT_EQ(proto("web"), "");  // not a protocol: sniffed
  EXPECT_EQ(proto(""), "");
  EXPECT_EQ(proto("", "", 3306), "TCP");  // well-known port
  EXPECT_EQ(proto("http", "", 8080, "UDP"), "UDP");
  EXPECT_EQ(proto("tcp", "http2"), "HTTP2");  // appProtocol wins over the name
  EXPECT_EQ(proto("web", "kubernetes.io/h2c"), "HTTP2");
  EXPECT_EQ(proto("web", "kubernetes.io/ws"), "HTTP");
}

TEST(TranslateTest, UpstreamProtocolFollowsPortsAndConnectionPool) {
  const Built b = build(load({"fixtures/istio/ingressgateway.yaml", "fixtures/hello/namespace.yaml",
                              "fixtures/conformance/clients/sleep.yaml"},
                             R"(
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec:
  selector: {app: a}
  ports: [{name: http, port: 80}, {name: grpc, port: 81}, {name: web, port: 82}]
---
apiVersion: v1
kind: Service
metadata: {name: up, namespace: default}
spec:
  selector: {app: up}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: follow, namespace: default}
spec:
  selector: {app: follow}
  ports: [{name: grpc, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: up, namespace: default}
spec:
  host: up
  trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: follow, namespace: default}
spec:
  host: follow
  trafficPolicy: {connectionPool: {http: {useClientProtocol: true}}}
)"));
  using P = proxy::config::Cluster::Protocol;
  const proxy::config::ProxyConfig* sleep = nullptr;
  for (const auto& p : b.t.proxies) {
    if (b.world.pods()[p.pod].name == "sleep-0") {
      sleep = &p.config;
    }
  }
  ASSERT_NE(sleep, nullptr);
  ASSERT_NE(b.gateway, nullptr);
  const auto protocol = [](const proxy::config::ProxyConfig& c, const std::string& name) {
    const proxy::config::Cluster* cl = findCluster(c, name);
    EXPECT_NE(cl, nullptr) << name;
    return cl == nullptr ? P::Http11 : cl->upstream_protocol;
  };
  EXPECT_EQ(protocol(*b.gateway, "outbound|80||a.default.svc.cluster.local"), P::Http11);
  EXPECT_EQ(protocol(*b.gateway, "outbound|81||a.default.svc.cluster.local"), P::Http2);
  // A sniffed port: only sidecars use the downstream's version.
  EXPECT_EQ(protocol(*b.gateway, "outbound|82||a.default.svc.cluster.local"), P::Http11);
  EXPECT_EQ(protocol(*sleep, "outbound|82||a.default.svc.cluster.local"), P::Downstream);
  EXPECT_EQ(protocol(*sleep, "outbound|80||up.default.svc.cluster.local"), P::Http2);
  // useClientProtocol wins over the port's HTTP/2 (with h2UpgradePolicy UPGRADE it is refused,
  // as Istio's webhook refuses it).
  EXPECT_EQ(protocol(*sleep, "outbound|80||follow.default.svc.cluster.local"), P::Downstream);
}

}  // namespace
}  // namespace meshsim::sim::istio
