// File: tools/fuzz/manifests_fuzz.cc
//
// libFuzzer target for the Kubernetes/Istio manifest reader (sim/manifests.h) and the mesh it
// builds (sim/mesh.h: Kubernetes world, Istio translation, proxy configuration). Each input is
// one multi-document YAML file, checked for:
//   - no crash, hang or sanitizer report, whatever the bytes;
//   - a refused file gets InvalidArgument whose message starts with the file name and, when it
//     names a line, a line of the input (the project's rule: bad input is an error naming the
//     file, line and field, and yaml-cpp's exceptions never escape the readers as Internal);
//   - the same text embedded in another file (a scenario's `resources: |` block) is read the
//     same way, with its locations shifted by the block's line and indentation;
//   - manifests that load either build a mesh or are refused with an error that names the file.
// A broken property aborts through MESHSIM_CHECK, which libFuzzer reports as a crash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/core/assert.h"
#include "sim/manifests.h"
#include "sim/mesh.h"
#include "tools/fuzz/fuzz_util.h"

namespace {

namespace sim = meshsim::sim;

// Larger inputs add nothing a small one cannot reach and slow every execution down.
constexpr size_t kMaxInput = 8 * 1024;
// Building a mesh starts a proxy per pod; a Deployment may ask for 100000 replicas, which is
// valid but would make one execution take seconds.
constexpr int kMaxPods = 64;

constexpr std::string_view kFile = "fuzz.yaml";

using meshsim::fuzz::countLines;

int lineOf(std::string_view message) {
  return meshsim::fuzz::lineOf(message, kFile);
}

// A refused input names the file and, when it names a line, one in [first_line, last_line].
void checkError(const meshsim::Status& status, int first_line, int last_line) {
  MESHSIM_CHECK(status.code() == meshsim::StatusCode::InvalidArgument);
  MESHSIM_CHECK(std::string_view(status.message()).starts_with(kFile));
  const int line = lineOf(status.message());
  MESHSIM_CHECK(line == 0 || (line >= first_line && line <= last_line));
}

int podCount(const sim::Manifests& m) {
  int pods = static_cast<int>(m.k8s.pods.size());
  for (const auto& d : m.k8s.deployments) {
    pods += d.replicas;
  }
  return pods;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) {
    return 0;
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  const int lines = countLines(text);

  sim::Manifests manifests;
  const meshsim::Status status = sim::addText(text, std::string(kFile), 1, manifests);
  if (!status.ok()) {
    checkError(status, 1, lines);
  }

  // The same text as a block scalar starting on line 11, indented by 4: same outcome, same
  // resources, every location moved by 10 lines.
  constexpr int kShift = 10;
  sim::Manifests embedded;
  const meshsim::Status embedded_status =
      sim::addText(text, std::string(kFile), 1 + kShift, embedded, /*indent=*/4);
  MESHSIM_CHECK(status.ok() == embedded_status.ok());
  if (!embedded_status.ok()) {
    checkError(embedded_status, 1 + kShift, lines + kShift);
    MESHSIM_CHECK(lineOf(embedded_status.message()) ==
                  (lineOf(status.message()) == 0 ? 0 : lineOf(status.message()) + kShift));
    return 0;
  }
  MESHSIM_CHECK(embedded.warnings.size() == manifests.warnings.size());
  MESHSIM_CHECK(podCount(embedded) == podCount(manifests));

  if (podCount(manifests) > kMaxPods) {
    return 0;
  }
  auto mesh = sim::Mesh::create(std::move(manifests), {});
  if (!mesh.ok()) {
    MESHSIM_CHECK(mesh.status().code() != meshsim::StatusCode::Internal);
    MESHSIM_CHECK(mesh.status().message().find(kFile) != std::string::npos);
  }
  return 0;
}
