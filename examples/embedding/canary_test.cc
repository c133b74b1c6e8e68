// An embedder's test: a config generator's output, loaded into meshsim and checked end to end.
// The Deployments and Services come from manifests/hello.yaml; the Istio routing is what the
// generator renders, here a canary of hello-v2 at `canary_percent`.

#include <meshsim/mesh.h>
#include <meshsim/testing.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace {

using ::meshsim::From;
using ::meshsim::Request;
using ::meshsim::Response;
using namespace ::meshsim::testing;  // NOLINT(google-build-using-namespace): the matchers

// The pretend generator under test: a Gateway for hello.com, a VirtualService with a weighted
// canary and a redirect of /old, and the DestinationRule with the subsets.
struct HelloGenerator {
  int canary_percent = 10;

  std::string render() const {
    return R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: hello-gateway
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [hello.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: hello
spec:
  hosts: [hello.com, hello]
  gateways: [hello-gateway, mesh]
  http:
  - match:
    - uri: {prefix: /old}
    redirect: {uri: /new}
  - route:
    - destination: {host: hello, subset: v1}
      weight: )" +
           std::to_string(100 - canary_percent) +
           R"(
    - destination: {host: hello, subset: v2}
      weight: )" +
           std::to_string(canary_percent) +
           R"(
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: hello
spec:
  host: hello
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
)";
  }
};

meshsim::Mesh buildMesh(const HelloGenerator& generator) {
  // The default Istio ingress gateway is added unless the manifests bring their own.
  return meshsim::MeshBuilder()
      .addFile(std::string(MANIFESTS_DIR) + "/hello.yaml")
      .addYaml(generator.render(), "generated.yaml")
      .build()
      .value();
}

TEST(HelloGeneratorTest, CanaryGetsTenPercent) {
  meshsim::Mesh mesh = buildMesh(HelloGenerator{});
  auto results = mesh.send(Request::get("http://hello.com/"), /*count=*/1000);
  EXPECT_THAT(results, HasStatus(200));
  EXPECT_THAT(results, ServedByShare("hello-v2", 0.10, /*tolerance=*/0.03));
  EXPECT_THAT(mesh.send(Request::get("http://hello.com/old")),
              RedirectsTo("http://hello.com/new", 301));
  EXPECT_EQ(mesh.metric(R"(sum(istio_requests_total{reporter="source",response_code="200"}))"),
            1000);
}

TEST(HelloGeneratorTest, CanaryAppliesInsideTheMeshToo) {
  meshsim::Mesh mesh = buildMesh(HelloGenerator{.canary_percent = 50});
  auto results = mesh.send(Request::get("http://hello/"), 400, From::deployment("sleep"));
  EXPECT_THAT(results, ServedByShare("version=v2", 0.50, 0.08));
  EXPECT_THAT(mesh, HasMetric(R"(sum(istio_requests_total{reporter="destination"}))", 400));
}

TEST(HelloGeneratorTest, BrokenOutputIsReportedWithItsLine) {
  auto mesh = meshsim::MeshBuilder()
                  .addFile(std::string(MANIFESTS_DIR) + "/hello.yaml")
                  .addYaml(
                      "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                      "metadata: {name: x}\nspec:\n  hots: [a]\n",
                      "generated.yaml")
                  .build();
  EXPECT_THAT(mesh, FailedWith(meshsim::ErrorCode::InvalidArgument,
                               ::testing::HasSubstr("generated.yaml:5")));
}

// A fixture that swaps hello-v2's app for a C++ handler.
class FailingCanaryTest : public MeshTest {
protected:
  void SetUp() override {
    builder()
        .addFile(std::string(MANIFESTS_DIR) + "/hello.yaml")
        .addYaml(HelloGenerator{.canary_percent = 100}.render())
        .handle("hello-v2", [](const meshsim::ReceivedRequest& request) {
          return Response::make(503, "v2 is down (" + request.path + ")");
        });
  }
};

TEST_F(FailingCanaryTest, EveryRequestSeesTheCanarysFailure) {
  auto results = send(Request::get("http://hello.com/x"), 10);
  EXPECT_THAT(results, AllOf(HasStatus(503), ServedByWorkload("hello-v2"),
                             HasBody("v2 is down (/x)"), UpstreamRequest(HasHost("hello.com"))));
}

}  // namespace
