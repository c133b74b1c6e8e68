// The Prometheus exposition of the hello scenario, compared byte for byte with
// tests/golden/hello.prom. After an intended change, regenerate it with
//   MESHSIM_UPDATE_GOLDEN=1 build/default/tests/sim_tests --gtest_filter='ExpositionGolden*'
// (or `meshsim metrics scenarios/hello.yaml --output-file tests/golden/hello.prom`) and review the
// diff.

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/stats/prometheus.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/telemetry/scrape.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::telemetry {
namespace {

using ::meshsim::testing::IsOk;

std::string source(const std::string& rel) {
  return std::string(MESHSIM_SOURCE_DIR) + "/" + rel;
}

std::string exposition(const std::string& scenario_file) {
  auto scenario = scenario::loadScenario(source(scenario_file));
  EXPECT_THAT(scenario, IsOk());
  if (!scenario.ok()) {
    return "";
  }
  std::string text;
  scenario::RunOptions options;
  options.on_finished = [&](const Mesh& mesh, const Tsdb&) {
    text = proxy::stats::renderPrometheusText(collectMeshMetrics(mesh.proxies()));
  };
  EXPECT_THAT(scenario::runScenario(*scenario, options), IsOk());
  return text;
}

TEST(ExpositionGoldenTest, HelloScenario) {
  const std::string text = exposition("scenarios/hello.yaml");
  const std::string golden = source("tests/golden/hello.prom");
  if (const char* update = std::getenv("MESHSIM_UPDATE_GOLDEN"); update != nullptr && *update) {
    std::ofstream(golden, std::ios::binary) << text;
  }
  std::ifstream in(golden, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << golden;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(text, want.str()) << "the exposition of scenarios/hello.yaml changed; see the comment "
                                 "at the top of this file";
}

TEST(ExpositionGoldenTest, SameSeedSameBytes) {
  EXPECT_EQ(exposition("scenarios/conformance/telemetry/three-services.yaml"),
            exposition("scenarios/conformance/telemetry/three-services.yaml"));
}

}  // namespace
}  // namespace meshsim::sim::telemetry
