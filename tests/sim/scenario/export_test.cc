#include "sim/scenario/export.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshsim::sim::scenario {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string source(const std::string& rel) {
  return std::string(MESHSIM_SOURCE_DIR) + "/" + rel;
}

const ExportFile* find(const Export& e, const std::string& path) {
  for (const auto& f : e.files) {
    if (f.path == path) {
      return &f;
    }
  }
  return nullptr;
}

TEST(ExportTest, HelloBecomesAnEchoDeploymentWithItsPortsAndAccount) {
  auto e = exportScenario(source("scenarios/hello.yaml"), {});
  ASSERT_TRUE(e.ok()) << e.status().message();
  const ExportFile* deployment = find(e.value(), "manifests/005-deployment-default-hello.yaml");
  ASSERT_NE(deployment, nullptr);
  EXPECT_THAT(deployment->text, HasSubstr("image: \"docker.io/library/python:3.12-alpine\""));
  EXPECT_THAT(deployment->text, HasSubstr("value: \"8080\""));  // ECHO_PORTS, a string
  EXPECT_THAT(deployment->text, HasSubstr("serviceAccountName: hello"));
  EXPECT_THAT(deployment->text, HasSubstr("containerPort: 8080"));
  EXPECT_THAT(deployment->text, Not(HasSubstr("hello:1.0")));  // the original image is gone
  const ExportFile* ns = find(e.value(), "manifests/001-namespace-cluster-default.yaml");
  ASSERT_NE(ns, nullptr);
  EXPECT_THAT(ns->text, HasSubstr("istio-injection: enabled"));
  // The account the pod names exists in the cluster; the echo script is in a ConfigMap.
  EXPECT_NE(find(e.value(), "manifests/002-serviceaccount-default-hello.yaml"), nullptr);
  const ExportFile* cm = find(e.value(), "manifests/003-configmap-default-meshsim-echo.yaml");
  ASSERT_NE(cm, nullptr);
  EXPECT_THAT(cm->text, HasSubstr("  echo.py: |\n    # meshsim's echo app"));
  // Istio's namespace and default gateway are the installation's own: not applied (nor
  // deleted with the manifests), but kept for meshsim in meshsim-only/.
  for (const auto& f : e.value().files) {
    if (f.path.rfind("manifests/", 0) == 0) {
      EXPECT_THAT(f.path, Not(HasSubstr("istio-system")));
    }
  }
  EXPECT_NE(find(e.value(), "meshsim-only/003-deployment-istio-system-istio-ingressgateway.yaml"),
            nullptr);
  EXPECT_TRUE(e.value().notes.empty());
}

TEST(ExportTest, QuotedStringsStayStrings) {
  // The fixture's gateway labels "false" and the ingress gateway's ports; a scenario that
  // includes the fixture keeps the gateway in meshsim-only/ with its quoted label quoted.
  auto e = exportScenario(source("scenarios/conformance/routing/vs-headers-request.yaml"), {});
  ASSERT_TRUE(e.ok()) << e.status().message();
  bool found = false;
  for (const auto& f : e.value().files) {
    if (f.path.rfind("meshsim-only/", 0) == 0 && f.path.find("deployment") != std::string::npos) {
      found = true;
      EXPECT_THAT(f.text, HasSubstr("sidecar.istio.io/inject: \"false\""));
    }
    if (f.path.find("virtualservice-default-reviews") != std::string::npos) {
      EXPECT_THAT(f.text, HasSubstr("x-added: \"1\""));
    }
  }
  EXPECT_TRUE(found);
  const ExportFile* scenario = find(e.value(), "scenario.yaml");
  ASSERT_NE(scenario, nullptr);
  EXPECT_THAT(scenario->text, HasSubstr("  include:  # written by meshsim export"));
  EXPECT_THAT(scenario->text, HasSubstr("    - meshsim-only/003-deployment-istio-system-"
                                        "istio-ingressgateway.yaml\n"));
  EXPECT_THAT(scenario->text, Not(HasSubstr("resources: |")));
  EXPECT_THAT(scenario->text, HasSubstr("  conformance:\n    profile: ingress-http"));
}

TEST(ExportTest, ABadScenarioFailsWithItsLocation) {
  auto e = exportScenario(source("tests/scenarios/bad/unknown-field.yaml"), {});
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()),
              HasSubstr("unknown-field.yaml:13:7: spec.traffic[0].cuont: unknown field"));
}

TEST(ExportTest, WorkloadsAndEventsAreNoted) {
  auto e = exportScenario(source("scenarios/events-tour.yaml"), {});
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_FALSE(e.value().notes.empty());
  EXPECT_THAT(e.value().notes.back(), HasSubstr("spec.events"));
  EXPECT_THAT(find(e.value(), "README.md")->text, HasSubstr("spec.events"));
}

TEST(ExportTest, WriteRefusesAFolderThatIsNotEmpty) {
  const auto dir = std::filesystem::temp_directory_path() / "meshsim-export-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "other.txt") << "x";
  Export e;
  e.files.push_back({"a/b.txt", "b", false});
  EXPECT_THAT(std::string(writeExport(e, dir.string()).message()),
              HasSubstr("exists and is not empty"));
  std::filesystem::remove(dir / "other.txt");
  EXPECT_TRUE(writeExport(e, dir.string()).ok());
  std::ifstream in(dir / "a/b.txt");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "b");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace meshsim::sim::scenario
