// Building meshes: Mesh::fromYaml/fromFiles and every MeshBuilder method, valid and invalid.

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "canary_yaml.h"
#include "meshsim/mesh.h"
#include "meshsim/testing.h"

namespace meshsim {
namespace {

using ::meshsim::embed_test::kCanaryYaml;
using ::meshsim::testing::FailedWith;
using ::meshsim::testing::HasBody;
using ::meshsim::testing::HasStatus;
using ::meshsim::testing::ServedBy;
using ::meshsim::testing::Succeeded;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

const std::string kRoot = MESHSIM_SOURCE_DIR;

std::vector<std::string> podIds(const Mesh& mesh) {
  std::vector<std::string> out;
  for (const auto& p : mesh.pods()) {
    out.push_back(p.id());
  }
  return out;
}

TEST(MeshFromYamlTest, BuildsAndAddsTheDefaultIngressGateway) {
  Result<Mesh> mesh = Mesh::fromYaml(kCanaryYaml);
  ASSERT_THAT(mesh, Succeeded());
  EXPECT_THAT(podIds(*mesh), ElementsAre("default/hello-v1-0", "default/hello-v2-0",
                                         "default/sleep-0", "istio-system/istio-ingressgateway-0"));
  EXPECT_THAT(mesh->send(Request::get("http://hello.com/")), HasStatus(200));
  EXPECT_THAT(mesh->warnings(), IsEmpty());
}

TEST(MeshFromYamlTest, IngressGatewayCanBeLeftOut) {
  MeshOptions options;
  options.ingress_gateway = false;
  Result<Mesh> mesh = Mesh::fromYaml(kCanaryYaml, options);
  ASSERT_THAT(mesh, Succeeded());
  EXPECT_THAT(podIds(*mesh), Not(Contains("istio-system/istio-ingressgateway-0")));
  EXPECT_THAT(mesh->send(Request::get("http://hello.com/")),
              FailedWith(ErrorCode::FailedPrecondition, HasSubstr("no default ingress gateway")));
}

TEST(MeshFromYamlTest, BadYamlFailsWithFileLineAndField) {
  const Result<Mesh> mesh = Mesh::fromYaml(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: -3\n");
  EXPECT_THAT(mesh, FailedWith(ErrorCode::InvalidArgument,
                               AllOf(HasSubstr("<yaml>:"), HasSubstr("replicas"))));
  EXPECT_THAT(Mesh::fromYaml("{ not yaml: ["), FailedWith(ErrorCode::InvalidArgument));
}

TEST(MeshFromFilesTest, LoadsFilesAndFolders) {
  Result<Mesh> mesh =
      Mesh::fromFiles({kRoot + "/fixtures/istio/ingressgateway.yaml", kRoot + "/fixtures/hello"});
  ASSERT_THAT(mesh, Succeeded());
  EXPECT_THAT(podIds(*mesh), ElementsAre("istio-system/istio-ingressgateway-0", "default/hello-0"));
  EXPECT_THAT(mesh->send(Request::get("http://hello.com/")),
              AllOf(HasStatus(200), ServedBy("hello")));
}

// Fail closed: a kind meshsim does not model could change traffic, so it is refused with its
// line rather than skipped (docs/scenarios.md, "Fail closed").
TEST(MeshWarningsTest, UnknownKindsAreRefused) {
  Result<Mesh> mesh = Mesh::fromYaml(std::string(kCanaryYaml) +
                                     "---\napiVersion: example.com/v1\nkind: Widget\n"
                                     "metadata: {name: w}\n");
  EXPECT_THAT(mesh, FailedWith(ErrorCode::InvalidArgument,
                               HasSubstr("kind: Widget (example.com/v1) is not a kind meshsim "
                                         "knows, so it is not modelled")));
}

TEST(MeshFromFilesTest, MissingFileIsNotFound) {
  EXPECT_THAT(Mesh::fromFiles({kRoot + "/fixtures/nope.yaml"}),
              FailedWith(ErrorCode::NotFound, HasSubstr("nope.yaml")));
}

TEST(MeshBuilderTest, ReportsEveryProblemFound) {
  const Result<Mesh> mesh = MeshBuilder()
                                .addYaml("kind: [", "first.yaml")
                                .addFile(kRoot + "/no/such/dir")
                                .handle("app=x", Handler())
                                .build();
  ASSERT_FALSE(mesh.ok());
  EXPECT_THAT(mesh.error().message(), HasSubstr("first.yaml"));
  EXPECT_THAT(mesh.error().diagnostics(),
              ElementsAre(HasSubstr("first.yaml"), HasSubstr("no/such/dir"),
                          HasSubstr("the handler is empty")));
  EXPECT_THAT(mesh.error().toString(), HasSubstr("\n  "));
}

TEST(MeshBuilderTest, ValidationErrorsOfTheWorldAndTheTranslator) {
  // An unknown field of a VirtualService (the Istio loader), a duplicate Deployment (the world).
  EXPECT_THAT(MeshBuilder()
                  .addYaml(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [a]
  http:
  - route:
    - destination: {host: a}
    bogus: 1
)",
                           "vs.yaml")
                  .build(),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("vs.yaml:")));
  EXPECT_THAT(MeshBuilder()
                  .addDeployment({.name = "a", .labels = {{"app", "a"}}})
                  .addDeployment({.name = "a", .labels = {{"app", "a"}}})
                  .build(),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("Deployment")));
}

TEST(MeshBuilderTest, AddIngressGatewayMatchesTheFixture) {
  Result<Mesh> builtin = MeshBuilder().addIngressGateway().addIngressGateway().build();
  Result<Mesh> fixture =
      MeshBuilder().addFile(kRoot + "/fixtures/istio/ingressgateway.yaml").build();
  ASSERT_THAT(builtin, Succeeded());
  ASSERT_THAT(fixture, Succeeded());
  const auto a = builtin->pods();
  const auto b = fixture->pods();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].id(), b[0].id());
  EXPECT_EQ(a[0].labels, b[0].labels);
  EXPECT_TRUE(a[0].gateway);
  EXPECT_FALSE(a[0].sidecar);
  // The built-in one does not warn about a ServiceAccount.
  EXPECT_THAT(builtin->warnings(), IsEmpty());
}

TEST(MeshBuilderTest, TypedObjects) {
  Result<Mesh> mesh =
      MeshBuilder()
          .addNamespace({.name = "shop"})
          .addNamespace({.name = "legacy", .sidecar_injection = false})
          .addDeployment({.name = "cart",
                          .namespace_name = "shop",
                          .replicas = 2,
                          .labels = {{"app", "cart"}},
                          .ports = {9000, 9001}})
          .addService({.name = "cart",
                       .namespace_name = "shop",
                       .selector = {{"app", "cart"}},
                       .ports = {{.port = 80, .target_port = 9000}}})
          .addDeployment({.name = "old", .namespace_name = "legacy", .labels = {{"app", "old"}}})
          .addYaml(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: cart}
)")
          .build();
  ASSERT_THAT(mesh, Succeeded());
  const auto pods = mesh->pods();
  EXPECT_THAT(
      pods, Contains(AllOf(Field(&PodInfo::name, "cart-1"), Field(&PodInfo::namespace_name, "shop"),
                           Field(&PodInfo::workload, "cart"), Field(&PodInfo::sidecar, true))));
  EXPECT_THAT(pods,
              Contains(AllOf(Field(&PodInfo::name, "old-0"), Field(&PodInfo::sidecar, false))));
  auto r = mesh->send(Request::get("http://shop.example.com/"), 20);
  EXPECT_THAT(r, AllOf(HasStatus(200), ServedBy(PodSelector::workload("cart", "shop"))));
  EXPECT_GT(r->countServedBy("shop/cart-0"), 0u);
  EXPECT_GT(r->countServedBy("shop/cart-1"), 0u);
  EXPECT_EQ(r->countServedBy("shop/cart-0") + r->countServedBy("shop/cart-1"), 20u);
}

TEST(MeshBuilderTest, TypedObjectErrorsNameTheObject) {
  EXPECT_THAT(
      MeshBuilder().addDeployment({.name = "bad", .replicas = -1, .labels = {{"a", "b"}}}).build(),
      FailedWith(ErrorCode::InvalidArgument,
                 StartsWith("<Deployment default/bad>:8:13: spec.replicas: Deployment "
                            "default/bad: must be in [0, 100000]")));
  EXPECT_THAT(MeshBuilder().addService({.name = "s", .ports = {{.port = 70000}}}).build(),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("Service default/s")));
  EXPECT_THAT(MeshBuilder().addDeployment({.name = "nolabels"}).build(),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("selector")));
}

TEST(MeshBuilderTest, WorkloadsShareTheirAppsService) {
  Result<Mesh> mesh = MeshBuilder()
                          .addWorkload({.name = "hello-v1", .app = "hello"})
                          .addWorkload({.name = "hello-v2",
                                        .app = "hello",
                                        .version = "v2",
                                        .handler =
                                            [](const ReceivedRequest& r) {
                                              return Response::make(201, "v2 saw " + r.path);
                                            }})
                          .addWorkload({.name = "plain", .sidecar = false})
                          .addYaml(R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hello}
spec:
  hosts: [hello.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: hello}
)")
                          .build();
  ASSERT_THAT(mesh, Succeeded());
  const auto pods = mesh->pods();
  EXPECT_THAT(pods, Contains(AllOf(
                        Field(&PodInfo::name, "hello-v2-0"),
                        Field(&PodInfo::labels,
                              Contains(std::pair<const std::string, std::string>("version", "v2"))),
                        Field(&PodInfo::sidecar, true))));
  EXPECT_THAT(pods,
              Contains(AllOf(Field(&PodInfo::name, "plain-0"), Field(&PodInfo::sidecar, false))));
  auto r = mesh->send(Request::get("http://hello.com/x"), 200);
  ASSERT_THAT(r, Succeeded());
  EXPECT_GT(r->countServedBy("hello-v1"), 0u);
  EXPECT_GT(r->countServedBy("hello-v2"), 0u);
  EXPECT_EQ(r->countServedBy("hello-v1") + r->countServedBy("hello-v2"), 200u);
  for (const auto& response : *r) {
    if (response.served_by && response.served_by->workload == "hello-v2") {
      EXPECT_EQ(response.status, 201);
      EXPECT_EQ(response.body, "v2 saw /x");
    } else {
      EXPECT_EQ(response.status, 200);
    }
  }
}

TEST(MeshBuilderTest, HandleInstallsTheFirstMatchingHandler) {
  Result<Mesh> mesh =
      MeshBuilder()
          .addYaml(kCanaryYaml)
          .handle("version=v2",
                  [](const ReceivedRequest& r) {
                    return Response::make(200, "v2 at " + r.pod.name, {{"x-handler", "labels"}});
                  })
          .handle(PodSelector::workload("hello-v2"),
                  [](const ReceivedRequest&) { return Response::make(500); })
          .build();
  ASSERT_THAT(mesh, Succeeded());
  EXPECT_THAT(mesh->send(Request::get("http://hello.com/api")),
              AllOf(HasStatus(200), HasBody("v2 at hello-v2-0")));
  // hello-v1 keeps the echo app.
  auto echo = mesh->send(Request::get("http://hello.com/"), 20);
  ASSERT_THAT(echo, Succeeded());
  for (const auto& r : *echo) {
    if (r.served_by->workload == "hello-v1") {
      EXPECT_THAT(r.body, HasSubstr("\"pod\": \"hello-v1-0\""));
    }
  }
}

TEST(MeshBuilderTest, HandlerThatThrowsOrReturnsABadStatusGives500) {
  Result<Mesh> mesh =
      MeshBuilder()
          .addYaml(kCanaryYaml)
          .handle("hello-v2",
                  [](const ReceivedRequest&) -> Response { throw std::runtime_error("boom"); })
          .handle("hello-v1", [](const ReceivedRequest&) { return Response{}; })
          .build();
  ASSERT_THAT(mesh, Succeeded());
  EXPECT_THAT(mesh->send(Request::get("http://hello.com/api")),
              AllOf(HasStatus(500), HasBody(HasSubstr("the handler threw: boom"))));
  auto r = mesh->send(Request::get("http://hello.com/"), 20);
  ASSERT_THAT(r, Succeeded());
  EXPECT_EQ(r->countStatus(500), 20u);
  bool saw_v1 = false;
  for (const auto& response : *r) {
    if (response.served_by->workload == "hello-v1") {
      saw_v1 = true;
      EXPECT_THAT(response.body, HasSubstr("returned status 0"));
    }
  }
  EXPECT_TRUE(saw_v1);
}

TEST(MeshBuilderTest, SeedAndOptions) {
  const auto served = [](uint64_t seed) {
    Result<Mesh> mesh = MeshBuilder().addYaml(kCanaryYaml).seed(seed).build();
    auto r = mesh->send(Request::get("http://hello.com/"), 300);
    std::vector<std::string> out;
    for (const auto& response : *r) {
      out.push_back(response.served_by->name);
    }
    return out;
  };
  EXPECT_EQ(served(3), served(3));
  EXPECT_NE(served(3), served(4));

  MeshOptions options;
  options.istio_minor = 23;
  EXPECT_THAT(MeshBuilder().addYaml(kCanaryYaml).options(options).build(),
              FailedWith(ErrorCode::InvalidArgument, HasSubstr("istio_minor 23")));
  options.istio_minor = 24;
  EXPECT_THAT(MeshBuilder().addYaml(kCanaryYaml).options(options).build(), Succeeded());
}

TEST(MeshBuilderTest, BuildsAgainAndMoves) {
  MeshBuilder builder;
  builder.addYaml(kCanaryYaml);
  MeshBuilder moved = std::move(builder);
  Result<Mesh> first = moved.build();
  Result<Mesh> second = moved.build();
  ASSERT_THAT(first, Succeeded());
  ASSERT_THAT(second, Succeeded());
  EXPECT_THAT(first->send(Request::get("http://hello.com/")), HasStatus(200));
  EXPECT_THAT(second->send(Request::get("http://hello.com/")), HasStatus(200));
  MeshBuilder assigned;
  assigned = std::move(moved);
  EXPECT_THAT(assigned.build(), Succeeded());
}

TEST(MeshTest, MovesKeepTheWorld) {
  Mesh mesh = Mesh::fromYaml(kCanaryYaml).value();
  ASSERT_THAT(mesh.send(Request::get("http://hello.com/"), 3), Succeeded());
  Mesh moved = std::move(mesh);
  EXPECT_THAT(moved.receivedRequests(), SizeIs(3));
  EXPECT_THAT(moved.send(Request::get("http://hello.com/")), HasStatus(200));
  Mesh other = Mesh::fromYaml(kCanaryYaml).value();
  other = std::move(moved);
  EXPECT_THAT(other.receivedRequests(), SizeIs(4));
}

}  // namespace
}  // namespace meshsim
