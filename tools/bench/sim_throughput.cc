// Simulated hello.com requests per second, end to end on one core: client -> ingress gateway
// (routing, metrics) -> hello pod's sidecar (metrics) -> echo app, and back.
//
//   build/default/sim_throughput [--benchmark_filter=...]
//
// DESIGN.md's goal is 1,000,000 per second; docs/performance.md records what was measured.

#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "sim/mesh.h"

namespace {

using meshsim::sim::Manifests;
using meshsim::sim::Mesh;

std::unique_ptr<Mesh> helloMesh() {
  Manifests m;
  const std::string root = MESHSIM_SOURCE_DIR;
  if (!meshsim::sim::addPath(root + "/fixtures/istio/ingressgateway.yaml", m).ok() ||
      !meshsim::sim::addPath(root + "/fixtures/hello", m).ok()) {
    return nullptr;
  }
  auto mesh = Mesh::create(std::move(m), {});
  return mesh.ok() ? std::move(mesh).value() : nullptr;
}

// Sends `total` requests with `in_flight` outstanding at a time, as a closed-loop client.
class Client {
public:
  Client(Mesh& mesh, meshsim::proxy::config::Address to) : mesh_(mesh), to_(to) {}

  void run(int64_t total, int in_flight) {
    remaining_ = total;
    for (int i = 0; i < in_flight && remaining_ > 0; ++i) {
      sendOne();
    }
    mesh_.loop().runUntilIdle();
  }
  int64_t ok() const { return ok_; }

private:
  void sendOne() {
    --remaining_;
    auto req = std::make_unique<meshsim::proxy::http::Request>();
    req->authority = "hello.com";
    req->path = "/";
    mesh_.sendFromOutside(to_, std::move(req),
                          [this](meshsim::proxy::http::ResponsePtr r, meshsim::proxy::ResetReason) {
                            ok_ += (r != nullptr && r->status == 200) ? 1 : 0;
                            if (remaining_ > 0) {
                              sendOne();
                            }
                          });
  }

  Mesh& mesh_;
  meshsim::proxy::config::Address to_;
  int64_t remaining_ = 0;
  int64_t ok_ = 0;
};

void BM_HelloEndToEnd(benchmark::State& state) {
  auto mesh = helloMesh();
  if (mesh == nullptr) {
    state.SkipWithError("cannot build the hello mesh from fixtures/");
    return;
  }
  const auto to = mesh->ingressAddress("", 80).value();
  const int64_t batch = 10000;
  Client client(*mesh, to);
  for (auto _ : state) {
    client.run(batch, static_cast<int>(state.range(0)));
  }
  if (client.ok() != batch * static_cast<int64_t>(state.iterations())) {
    state.SkipWithError("some requests did not get 200");
  }
  state.SetItemsProcessed(batch * static_cast<int64_t>(state.iterations()));
  state.counters["requests/s"] =
      benchmark::Counter(static_cast<double>(batch) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_HelloEndToEnd)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
