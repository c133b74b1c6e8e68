#pragma once

// File: sim/scenario/target.h
//
// A scenario run against a real gateway (`meshsim run --target http://HOST:PORT`): the scenario's
// `from: ingress` traffic goes over real sockets to that address, with the scenario's Host,
// method, path, headers and body, instead of into the simulated mesh. What can be judged from
// outside is judged: status codes and their shares, connection errors, response headers and
// body, and, from the echo document the backends answer with (docs/scenarios.md "The echo
// document"), `servedBy` (pod, namespace, labels) and `upstream` (the request as the app saw it).
// Everything else is reported as skipped with the reason, never as passed: metric and slo
// expectations, attempts, response flags and latency (inside knowledge of the proxies, and real
// time is not the scenario's virtual time), traffic `from` a pod, and every traffic expectation of
// a scenario with events or workload behaviours (a real cluster cannot replay them).
//
// Requests are sent one after another on one keep-alive connection per stream.

#include <string>

#include "proxy/core/status.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"

namespace meshsim::sim::scenario {

// Runs `scenario` against `target` ("http://HOST:PORT", PORT default 80). Fails (exit 2) when
// `target` is not such a URL; a connection failure is a result (error: refused, timeout), not an
// error.
StatusOr<RunResult> runAgainstTarget(const Scenario& scenario, const std::string& target);

}  // namespace meshsim::sim::scenario
