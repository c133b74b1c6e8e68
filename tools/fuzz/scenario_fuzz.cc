// File: tools/fuzz/scenario_fuzz.cc
//
// libFuzzer target for the scenario reader (sim/scenario/scenario.h: parseScenario(), which
// loadScenario() runs on a file's text). Only parsing and validation: the scenario is never
// run. Each input is one scenario file, checked for:
//   - no crash, hang or sanitizer report, whatever the bytes;
//   - a refused file gets InvalidArgument whose message starts with the file name and, when it
//     names a line, a line of the input (the project's rule: bad input is an error naming the
//     file, line and field; yaml-cpp's exceptions never escape as Internal);
//   - a scenario that loads keeps the promises scenario.h makes: traffic names are unique,
//     expectations name existing traffic, events are in time order, locations are in the file.
// Includes never touch the disk (a path from the input could name /dev/zero or /): they resolve
// to no manifests, or to NotFound for a file name starting with "missing", which must come
// back as an error naming the include entry.
// A broken property aborts through MESHSIM_CHECK, which libFuzzer reports as a crash.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "proxy/core/assert.h"
#include "sim/scenario/scenario.h"
#include "tools/fuzz/fuzz_util.h"

namespace {

namespace scenario = meshsim::sim::scenario;

// Larger inputs add nothing a small one cannot reach and slow every execution down.
constexpr size_t kMaxInput = 8 * 1024;

// In a folder that does not exist, so that nothing relative to it can be read by accident.
constexpr std::string_view kFile = "/nonexistent-meshsim-fuzz/scenario.yaml";

using meshsim::fuzz::countLines;

int lineOf(std::string_view message) {
  return meshsim::fuzz::lineOf(message, kFile);
}

// The path of the include readInclude() last refused, for the check that the error names it.
std::string refused_include;

meshsim::Status readInclude(const std::string& path, meshsim::sim::Manifests&) {
  MESHSIM_CHECK(!path.empty());
  if (std::filesystem::path(path).filename().string().starts_with("missing")) {
    refused_include = path;
    return meshsim::notFoundError("no such file or folder: " + path);
  }
  return meshsim::okStatus();
}

bool inFile(const meshsim::sim::yaml::Location& at, int lines) {
  return at.file == kFile && at.line >= 1 && at.line <= lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) {
    return 0;
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  const int lines = countLines(text);

  refused_include.clear();
  auto s = scenario::parseScenario(text, std::string(kFile), readInclude);
  if (!s.ok()) {
    MESHSIM_CHECK(s.status().code() == meshsim::StatusCode::InvalidArgument);
    const std::string& message = s.status().message();
    MESHSIM_CHECK(std::string_view(message).starts_with(kFile));
    const int line = lineOf(message);
    MESHSIM_CHECK(line == 0 || line <= lines);
    if (!refused_include.empty()) {
      // The first error ends parsing, so it is the refused include's, naming the entry.
      MESHSIM_CHECK(message.find(": spec.include[") != std::string::npos);
      MESHSIM_CHECK(message.ends_with("no such file or folder: " + refused_include));
    }
    return 0;
  }

  MESHSIM_CHECK(s->file == kFile);
  MESHSIM_CHECK(!s->name.empty());
  std::set<std::string> names;
  for (const auto& t : s->traffic) {
    MESHSIM_CHECK(names.insert(t.name).second);
    MESHSIM_CHECK(inFile(t.location, lines));
    MESHSIM_CHECK(t.count >= 1 && t.concurrency >= 1 && t.rate >= 0);
  }
  for (size_t i = 0; i < s->events.size(); ++i) {
    MESHSIM_CHECK(inFile(s->events[i].location, lines));
    MESHSIM_CHECK(i == 0 || s->events[i - 1].at <= s->events[i].at);
    MESHSIM_CHECK(!s->events[i].describe().empty());
  }
  for (const auto& e : s->expect) {
    MESHSIM_CHECK(inFile(e.location, lines));
    MESHSIM_CHECK(e.traffic.empty() || names.count(e.traffic) == 1);
    MESHSIM_CHECK(e.metric.empty() || e.value.has_value());
  }
  return 0;
}
