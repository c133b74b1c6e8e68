// Bad scenario input for events, workload calls and slo expectations: every file under
// tests/scenarios/bad/ used here must be refused with its file:line:col and the field path, so
// that a user can find the mistake. Most are refused when the file is loaded; a kill of a pod
// that is gone at the event's time is only known while running, and a call to a host no
// Service answers to when the mesh is built (both still name the file, line and field).
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/testing/matchers.h"

namespace meshsim::sim::scenario {
namespace {

using ::meshsim::testing::IsOk;
using ::meshsim::testing::StatusIs;
using ::testing::HasSubstr;

std::string bad(const std::string& name) {
  return std::string(MESHSIM_SOURCE_DIR) + "/tests/scenarios/bad/" + name;
}

// Loading fails with InvalidArgument and a message containing `where` (file:line:col: path).
void expectRefusedAtLoad(const std::string& file, const std::string& where,
                         const std::string& what) {
  SCOPED_TRACE(file);
  EXPECT_THAT(loadScenario(bad(file)),
              StatusIs(StatusCode::InvalidArgument, HasSubstr(file + ":" + where)));
  EXPECT_THAT(loadScenario(bad(file)), StatusIs(StatusCode::InvalidArgument, HasSubstr(what)));
}

TEST(BadScenariosTest, Events) {
  expectRefusedAtLoad("event-unknown-kind.yaml", "15:7: spec.events[0].explode",
                      "unknown field \"explode\"");
  expectRefusedAtLoad("event-two-kinds.yaml", "16:16: spec.events[0].restart",
                      "an event does one thing; this one already has kill");
  expectRefusedAtLoad("event-missing-at.yaml", "14:7: spec.events[0]", "an event needs at:");
  expectRefusedAtLoad("event-bad-at.yaml", "14:11: spec.events[0].at",
                      "expected a duration like 250ms, 1.5s or 2m, got \"5 parsecs\"");
  expectRefusedAtLoad("event-scale-without-replicas.yaml", "15:14: spec.events[0].scale",
                      "scale needs replicas");
  expectRefusedAtLoad("event-partition-bad-pod-set.yaml", "15:47: spec.events[0].partition.to",
                      "got \"reviews\"");
  expectRefusedAtLoad("event-propagation-on-restart.yaml", "16:20: spec.events[0].propagation",
                      "does not apply to restart");
}

// The contract (SCENARIO-FORMAT.md): "Unknown fields are an error that names the field and its
// line": an event whose only key besides `at` is unknown names that key.
TEST(BadScenariosTest, UnknownEventKindNamesTheField) {
  EXPECT_THAT(loadScenario(bad("event-unknown-kind.yaml")),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("event-unknown-kind.yaml:15:7: spec.events[0].explode")));
}

TEST(BadScenariosTest, KillOfAPodThatIsGoneFailsTheRunAtTheEvent) {
  auto s = loadScenario(bad("event-kill-missing-pod.yaml"));
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(runScenario(*s),
              StatusIs(StatusCode::InvalidArgument,
                       HasSubstr("event-kill-missing-pod.yaml:16:7: spec.events[1].kill: "
                                 "no running pod default/hello-0")));
}

TEST(BadScenariosTest, Calls) {
  expectRefusedAtLoad("call-bad-url.yaml", "17:18: spec.workloads[0].behavior.calls[0].url",
                      "must start with http://");
  expectRefusedAtLoad("call-on-error-maybe.yaml",
                      "18:22: spec.workloads[0].behavior.calls[0].onError",
                      "expected an HTTP status or 'ignore', got \"maybe\"");
  expectRefusedAtLoad("call-negative-retries.yaml",
                      "18:22: spec.workloads[0].behavior.calls[0].retries", "must be in [0, 100]");
}

TEST(BadScenariosTest, CallToAnUnresolvableHostFailsWhenTheMeshIsBuilt) {
  const std::string want =
      "call-unresolvable-host.yaml:17:18: spec.workloads[0].behavior.calls[0].url: pod "
      "default/hello-0 cannot resolve host \"nowhere\"";
  auto s = loadScenario(bad("call-unresolvable-host.yaml"));
  ASSERT_THAT(s, IsOk());
  auto r = runScenario(*s);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(want));
}

TEST(BadScenariosTest, Slo) {
  expectRefusedAtLoad("slo-no-objective.yaml", "15:9: spec.expect[0].slo",
                      "an slo needs errorRate, latency or both");
  expectRefusedAtLoad("slo-with-traffic.yaml", "17:16: spec.expect[0].traffic",
                      "an slo expectation stands alone");
  expectRefusedAtLoad("slo-reporter-both.yaml", "16:19: spec.expect[0].slo.reporter",
                      "expected source or destination, got \"both\"");
}

}  // namespace
}  // namespace meshsim::sim::scenario
