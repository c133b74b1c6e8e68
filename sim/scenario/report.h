#pragma once

// File: sim/scenario/report.h
//
// Reports of scenario runs. The text report is for people; it is deterministic like every
// other output (no wall-clock times in it).

#include <string>

#include "sim/scenario/runner.h"

namespace meshsim::sim::scenario {

// A short readable report: per traffic stream the status codes, the serving pods and latency
// percentiles; one PASS/FAIL line per expectation with file:line; a closing verdict line.
std::string textReport(const RunResult& result);

// The whole result as JSON, fields in a fixed order: byte-identical for the same inputs and seed.
std::string jsonReport(const RunResult& result);

// JUnit XML for one or more scenario runs: one <testsuite> per scenario file, one <testcase> per
// expectation (with a <failure> saying what was expected and seen), so CI systems show it.
std::string junitReport(const std::vector<RunResult>& results);

// The latency percentile `q` (0..1) of `latencies_us`, nearest-rank; 0 when empty.
uint64_t percentileUs(std::vector<uint64_t> latencies_us, double q);

}  // namespace meshsim::sim::scenario
