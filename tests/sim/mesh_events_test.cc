// Mesh events (kill, restart, scale, apply, delete, partition) and app calls, at the Mesh API.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/mesh.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim {
namespace {

using ::meshsim::testing::IsOk;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// The hello Deployment of fixtures/hello with `replicas` pods.
std::string helloDeployment(int replicas) {
  return R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello, namespace: default}
spec:
  replicas: )" +
         std::to_string(replicas) +
         R"(
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello, version: v1}}
    spec:
      serviceAccountName: hello
      containers: [{name: hello, ports: [{containerPort: 8080, name: http}]}]
)";
}

const std::string kTwoReplicas = helloDeployment(2);

class MeshEventsTest : public ::testing::Test {
protected:
  void build(const std::string& extra = kTwoReplicas,
             std::vector<WorkloadBehavior> workloads = {}) {
    Manifests m;
    const std::string root = MESHSIM_SOURCE_DIR;
    ASSERT_THAT(addPath(root + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
    ASSERT_THAT(addPath(root + "/fixtures/hello", m), IsOk());
    Manifests more;
    ASSERT_THAT(addText(extra, "test.yaml", 1, more), IsOk());
    for (auto& d : more.k8s.deployments) {
      for (auto& existing : m.k8s.deployments) {
        if (existing.meta.id() == d.meta.id()) {
          existing = d;
        }
      }
    }
    more.k8s.deployments.erase(
        std::remove_if(more.k8s.deployments.begin(), more.k8s.deployments.end(),
                       [&](const k8s::Deployment& d) { return d.meta.name == "hello"; }),
        more.k8s.deployments.end());
    for (auto& d : more.k8s.deployments)
      m.k8s.deployments.push_back(d);
    for (auto& s : more.k8s.services)
      m.k8s.services.push_back(s);
    for (auto& v : more.istio.virtual_services)
      m.istio.virtual_services.push_back(v);
    MeshOptions options;
    options.workloads = std::move(workloads);
    auto mesh = Mesh::create(std::move(m), std::move(options));
    ASSERT_THAT(mesh, IsOk());
    mesh_ = std::move(mesh).value();
  }

  struct Result {
    int status = -1;  // 0: no response
    std::string body;
    std::string pod;  // who answered; "" for a proxy's local reply
    proxy::MonotonicTime at{};
  };

  // Sends GET http://hello.com/ from outside now; the result fills in as the loop runs.
  std::shared_ptr<Result> send(const std::string& host = "hello.com") {
    auto req = std::make_unique<proxy::http::Request>();
    req->authority = host;
    req->path = "/";
    auto out = std::make_shared<Result>();
    mesh_->sendFromOutside(*mesh_->ingressAddress("", 80), std::move(req),
                           [this, out](proxy::http::ResponsePtr r, proxy::ResetReason) {
                             out->at = mesh_->loop().now();
                             out->status = r == nullptr ? 0 : r->status;
                             if (r != nullptr) {
                               out->body = r->body;
                               const k8s::PodState* pod = mesh_->podForOrigin(r->origin);
                               out->pod = pod == nullptr ? "" : pod->name;
                             }
                           });
    return out;
  }

  Result get(const std::string& host = "hello.com") {
    auto r = send(host);
    mesh_->loop().runUntilIdle();
    return *r;
  }

  std::set<std::string> servers(int n) {
    std::set<std::string> out;
    for (int i = 0; i < n; ++i) {
      out.insert(get().pod);
    }
    return out;
  }

  std::unique_ptr<Mesh> mesh_;
};

TEST_F(MeshEventsTest, KilledPodIsReplacedAndLeavesTheEndpointsAfterPropagation) {
  build();
  EXPECT_EQ(servers(20), (std::set<std::string>{"hello-0", "hello-1"}));
  ASSERT_THAT(mesh_->killPod("default", "hello-0", 100ms), IsOk());
  EXPECT_EQ(mesh_->world().findPod("default", "hello-0"), nullptr);
  ASSERT_NE(mesh_->world().findPod("default", "hello-2"), nullptr);
  // Within the propagation window the gateway still picks hello-0 and is refused; Istio's
  // default retry policy (connect-failure) retries on another host, so everything succeeds.
  // (runFor, not runUntilIdle: that would run the clock past the push.)
  std::vector<std::shared_ptr<Result>> during;
  for (int i = 0; i < 20; ++i) {
    during.push_back(send());
  }
  mesh_->loop().runFor(50ms);
  for (const auto& r : during) {
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->pod, "hello-1");
  }
  mesh_->loop().runFor(50ms);
  EXPECT_EQ(servers(40), (std::set<std::string>{"hello-1", "hello-2"}));
  EXPECT_EQ(mesh_->killPod("default", "hello-0", 0ms).code(), StatusCode::NotFound);
}

TEST_F(MeshEventsTest, KillResetsWhatIsInFlight) {
  WorkloadBehavior slow;
  slow.selector = {{"app", "hello"}};
  slow.behavior.latency = 50ms;
  build(kTwoReplicas, {slow});
  auto a = send();
  auto b = send();
  mesh_->loop().runFor(10ms);
  ASSERT_THAT(mesh_->killPod("default", "hello-0", 0ms, /*replace=*/false), IsOk());
  ASSERT_THAT(mesh_->killPod("default", "hello-1", 0ms, /*replace=*/false), IsOk());
  mesh_->loop().runUntilIdle();
  // Both requests were at an app when it died: the connection terminated (503 UC, not retried
  // by Istio's default retryOn), long before the app's 50 ms.
  EXPECT_EQ(a->status, 503);
  EXPECT_EQ(b->status, 503);
  EXPECT_THAT(a->body, HasSubstr("connection termination"));
  EXPECT_LT(a->at - proxy::MonotonicTime{}, 20ms);
  // No replacement: the Deployment is empty, so no healthy upstream.
  const Result r = get();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "no healthy upstream");
}

TEST_F(MeshEventsTest, RestartRefusesDuringDowntimeThenStartsTheSequenceOver) {
  WorkloadBehavior seq;
  seq.selector = {{"app", "hello"}};
  seq.behavior.sequence = {201, 202};
  build(kTwoReplicas, {seq});
  ASSERT_THAT(mesh_->scale("default", "hello", 1, 0ms), IsOk());
  mesh_->loop().runUntilIdle();
  EXPECT_EQ(get().status, 201);
  EXPECT_EQ(get().status, 202);
  ASSERT_THAT(mesh_->restartPod("default", "hello-0", 1s), IsOk());
  const Result down = get();
  EXPECT_EQ(down.status, 503);  // the sidecar cannot reach its app
  EXPECT_EQ(down.pod, "");
  mesh_->loop().runFor(1s);
  EXPECT_EQ(get().status, 201);  // fresh state
}

TEST_F(MeshEventsTest, ScaleAddsAndRemovesPods) {
  build();
  ASSERT_THAT(mesh_->scale("default", "hello", 3, 0ms), IsOk());
  mesh_->loop().runUntilIdle();
  EXPECT_EQ(servers(60), (std::set<std::string>{"hello-0", "hello-1", "hello-2"}));
  ASSERT_THAT(mesh_->scale("default", "hello", 0, 100ms), IsOk());
  // Until the push, the pods still serve.
  auto early = send();
  mesh_->loop().runFor(50ms);
  EXPECT_EQ(early->status, 200);
  mesh_->loop().runFor(50ms);
  const Result r = get();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "no healthy upstream");
  EXPECT_EQ(mesh_->proxies().size(), 1u);  // the gateway alone
  EXPECT_EQ(mesh_->scale("default", "nope", 1, 0ms).code(), StatusCode::NotFound);
}

TEST_F(MeshEventsTest, ScaleDownAndBackUpWithinThePropagationWindowKeepsThePod) {
  build();
  ASSERT_THAT(mesh_->scale("default", "hello", 1, 100ms), IsOk());
  mesh_->loop().runFor(50ms);
  ASSERT_THAT(mesh_->scale("default", "hello", 2, 100ms), IsOk());
  mesh_->loop().runFor(200ms);  // both pushes have happened
  EXPECT_NE(mesh_->app("default", "hello-1"), nullptr);
  EXPECT_EQ(servers(40), (std::set<std::string>{"hello-0", "hello-1"}));
}

TEST_F(MeshEventsTest, DeletingANamespaceDeletesWhatIsInIt) {
  build();
  ASSERT_THAT(mesh_->remove("Namespace", "", "default", 0ms), IsOk());
  mesh_->loop().runUntilIdle();
  EXPECT_EQ(mesh_->world().findPod("default", "hello-0"), nullptr);
  EXPECT_EQ(mesh_->app("default", "hello-0"), nullptr);
  // The Gateway went with it: the ingress gateway no longer listens, so nothing answers.
  EXPECT_EQ(get().status, 0);
  EXPECT_EQ(mesh_->remove("Namespace", "", "default", 0ms).code(), StatusCode::NotFound);
}

TEST_F(MeshEventsTest, ApplyAndDeleteChangeRoutingAfterPropagation) {
  build();
  Manifests vs;
  ASSERT_THAT(addText(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: frontend-ingress, namespace: default}
spec:
  hosts: [hello.com, hi.com]
  gateways: [hello-gateway]
  http:
  - directResponse: {status: 418, body: {string: teapot}}
)",
                      "apply.yaml", 1, vs),
              IsOk());
  ASSERT_THAT(mesh_->apply(vs, 100ms), IsOk());
  auto early = send("hello.com");
  mesh_->loop().runFor(50ms);
  EXPECT_EQ(early->status, 200);  // not pushed yet
  mesh_->loop().runFor(50ms);
  const Result after = get("hello.com");
  EXPECT_EQ(after.status, 418);
  EXPECT_EQ(after.body, "teapot");
  // The VirtualService names hi.com too, but the Gateway's server does not admit it.
  EXPECT_EQ(get("hi.com").status, 404);
  ASSERT_THAT(mesh_->remove("VirtualService", "default", "frontend-ingress", 0ms), IsOk());
  mesh_->loop().runUntilIdle();
  EXPECT_EQ(get("hello.com").status, 404);
  EXPECT_EQ(mesh_->remove("VirtualService", "default", "frontend-ingress", 0ms).code(),
            StatusCode::NotFound);
  EXPECT_EQ(mesh_->remove("Secret", "default", "x", 0ms).code(), StatusCode::InvalidArgument);
}

TEST_F(MeshEventsTest, PartitionBetweenGatewayAndPodsTimesOutAfterTheConnectTimeout) {
  build();
  std::vector<size_t> gateway, hello;
  for (size_t i = 0; i < mesh_->world().pods().size(); ++i) {
    (mesh_->world().pods()[i].gateway ? gateway : hello).push_back(i);
  }
  mesh_->partition(gateway, hello, /*drop=*/true);
  const auto start = mesh_->loop().now();
  const Result r = get();
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("connection failure"));
  // Each try waits out the 10 s connect timeout; Istio's default policy tries 3 times.
  EXPECT_GE(r.at - start, 30s);
  EXPECT_LT(r.at - start, 31s);
  mesh_->healAll();
  EXPECT_EQ(get().status, 200);
}

const std::string kFrontend = helloDeployment(1) + R"(---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec:
      containers: [{name: b, ports: [{containerPort: 9080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: default}
spec:
  selector: {app: backend}
  ports: [{name: http, port: 9080}]
)";

WorkloadBehavior frontendCalling(apps::Call call) {
  WorkloadBehavior w;
  w.selector = {{"app", "hello"}};
  w.behavior.body = "frontend";
  w.behavior.calls.push_back(std::move(call));
  return w;
}

WorkloadBehavior backend(apps::Behavior b) {
  WorkloadBehavior w;
  w.selector = {{"app", "backend"}};
  w.behavior = std::move(b);
  return w;
}

TEST_F(MeshEventsTest, CallsGoThroughTheCallersSidecarWithForwardedHeaders) {
  apps::Call call;
  call.url = "http://backend:9080/items";
  call.forward_headers = {"x-request-id", "end-user"};
  std::vector<std::string> seen_ids;
  build(kFrontend, {frontendCalling(call)});
  std::string backend_id, frontend_id;
  mesh_->setRequestObserver([&](const k8s::PodState& pod, const proxy::http::Request& r) {
    const std::string* id = r.headers.get("x-request-id");
    (pod.workload == "backend" ? backend_id : frontend_id) = id == nullptr ? "" : *id;
    if (pod.workload == "backend") {
      EXPECT_EQ(r.path, "/items");
      EXPECT_EQ(r.authority, "backend:9080");
    }
  });
  const Result r = get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "frontend");
  EXPECT_FALSE(frontend_id.empty());
  EXPECT_EQ(backend_id, frontend_id);
  // The hop is reported by the frontend's sidecar with the frontend as the source workload.
  bool found = false;
  for (const auto& s : mesh_->metrics()) {
    std::map<std::string, std::string> l(s.labels.begin(), s.labels.end());
    if (s.name == "istio_requests_total" && l["reporter"] == "source" &&
        l["source_workload"] == "hello" && l["destination_workload"] == "backend") {
      found = true;
      EXPECT_EQ(s.value, 1);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(MeshEventsTest, FailedCallAnswersOnErrorAfterTheAppsOwnRetries) {
  apps::Call call;
  call.url = "http://backend:9080/";
  call.retries = 2;
  call.on_error = 502;
  apps::Behavior failing;
  failing.sequence = {500, 500, 500, 200};
  build(kFrontend, {frontendCalling(call), backend(failing)});
  const Result r = get();
  EXPECT_EQ(r.status, 502);
  EXPECT_THAT(r.body, HasSubstr("call to http://backend:9080/ failed: status 500"));
  EXPECT_EQ(mesh_->app("default", "backend-0")->received(), 3u);  // 1 + 2 retries
  EXPECT_EQ(get().status, 200);                                   // the 4th try succeeds
}

TEST_F(MeshEventsTest, CallTimeoutAndIgnore) {
  apps::Call call;
  call.url = "http://backend:9080/";
  call.timeout = 100ms;
  apps::Behavior slow;
  slow.latency = 1s;
  build(kFrontend, {frontendCalling(call), backend(slow)});
  const auto start = mesh_->loop().now();
  auto r = send();
  mesh_->loop().runUntilIdle();
  EXPECT_EQ(r->status, 500);
  EXPECT_THAT(r->body, HasSubstr("timed out"));
  EXPECT_LT(r->at - start, 150ms);

  call.on_error.reset();  // ignore
  build(kFrontend, {frontendCalling(call), backend(slow)});
  const Result ignored = get();
  EXPECT_EQ(ignored.status, 200);
  EXPECT_EQ(ignored.body, "frontend");
}

TEST_F(MeshEventsTest, UnresolvableCallHostFailsTheBuild) {
  apps::Call call;
  call.url = "http://nowhere:9080/";
  call.source = "s.yaml:3:5: spec.workloads[0].behavior.calls[0].url";
  Manifests m;
  const std::string root = MESHSIM_SOURCE_DIR;
  ASSERT_THAT(addPath(root + "/fixtures/istio/ingressgateway.yaml", m), IsOk());
  ASSERT_THAT(addPath(root + "/fixtures/hello", m), IsOk());
  MeshOptions options;
  options.workloads = {frontendCalling(call)};
  auto mesh = Mesh::create(std::move(m), options);
  ASSERT_FALSE(mesh.ok());
  EXPECT_THAT(mesh.status().message(),
              HasSubstr("s.yaml:3:5: spec.workloads[0].behavior.calls[0].url: pod default/hello-0 "
                        "cannot resolve host \"nowhere\""));
}

}  // namespace
}  // namespace meshsim::sim
