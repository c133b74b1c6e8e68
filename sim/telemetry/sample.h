#pragma once

// File: sim/telemetry/sample.h
//
// A metric sample as Prometheus scrapes it: a metric name, labels and a value. Labels keep the
// order they were emitted in (Istio's order, then the scrape labels); queries compare label sets
// regardless of order.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace meshsim::sim::telemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// A point on the simulation's virtual clock: the time since the run started.
using VirtualTime = std::chrono::nanoseconds;

}  // namespace meshsim::sim::telemetry
