// Route coverage: registry keys, the translator setting them, the proxies counting them.
#include "sim/istio/coverage.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/mesh.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::istio {
namespace {

using ::meshsim::testing::IsOk;

std::string source(const std::string& rel) {
  return std::string(MESHSIM_SOURCE_DIR) + "/" + rel;
}

VirtualService twoRoutes(const std::string& name) {
  VirtualService vs;
  vs.meta.name = name;
  vs.http.resize(2);
  vs.http[0].match.resize(2);
  return vs;
}

TEST(CoverageRegistryTest, KeysAreStableAcrossAdds) {
  Resources a;
  a.virtual_services.push_back(twoRoutes("one"));
  CoverageRegistry registry;
  registry.add(a);
  ASSERT_EQ(registry.items().size(), 4u);  // http[0], its two match blocks, http[1]
  const uint32_t match1 = registry.match(a.virtual_services[0], 0, 1);
  EXPECT_EQ(registry.items()[match1 - 1].name, "VirtualService default/one http[0] match[1]");
  EXPECT_EQ(registry.items()[match1 - 1].parent, registry.route(a.virtual_services[0], 0));

  Resources b = a;
  b.virtual_services.insert(b.virtual_services.begin(), twoRoutes("zero"));
  registry.add(b);
  EXPECT_EQ(registry.items().size(), 8u);
  EXPECT_EQ(registry.match(b.virtual_services[1], 0, 1), match1);  // "one" kept its keys
  EXPECT_EQ(registry.route(b.virtual_services[0], 5), 0u);         // no such route
}

TEST(CoverageRegistryTest, MatchBlocksAddUpToTheirRoute) {
  Resources r;
  r.virtual_services.push_back(twoRoutes("one"));
  CoverageRegistry registry;
  registry.add(r);
  std::vector<uint64_t> hits(6, 0);
  hits[registry.match(r.virtual_services[0], 0, 0)] = 3;
  hits[registry.match(r.virtual_services[0], 0, 1)] = 4;
  const CoverageReport report = measureCoverage(registry, hits);
  ASSERT_EQ(report.lines.size(), 4u);
  EXPECT_EQ(report.lines[0].hits, 7u);  // http[0]
  EXPECT_EQ(report.lines[1].hits, 3u);
  EXPECT_EQ(report.lines[2].hits, 4u);
  EXPECT_EQ(report.lines[3].hits, 0u);  // http[1]
  EXPECT_EQ(report.covered, 3u);
  EXPECT_DOUBLE_EQ(report.percent(), 75.0);
  EXPECT_THAT(coverageText(report),
              ::testing::HasSubstr("coverage: 3 of 4 items exercised (75.0%)"));
}

// End to end: the proxies count what the translator keyed.
TEST(MeshCoverageTest, HelloScenarioCoversItsGatewayServerAndRoute) {
  auto scenario = scenario::loadScenario(source("scenarios/hello.yaml"));
  ASSERT_THAT(scenario, IsOk());
  CoverageReport report;
  scenario::RunOptions options;
  options.on_finished = [&report](const Mesh& mesh, const telemetry::Tsdb&) {
    report = mesh.coverage();
  };
  ASSERT_THAT(scenario::runScenario(*scenario, options), IsOk());
  ASSERT_EQ(report.lines.size(), 2u);
  EXPECT_EQ(report.lines[0].item.name,
            "Gateway default/hello-gateway servers[0] (port 80, hosts hello.com)");
  EXPECT_EQ(report.lines[0].hits, 100u);
  EXPECT_EQ(report.lines[1].item.name, "VirtualService default/frontend-ingress http[0]");
  EXPECT_EQ(report.lines[1].item.location.line, 13);
  EXPECT_EQ(report.lines[1].hits, 100u);
}

}  // namespace
}  // namespace meshsim::sim::istio
