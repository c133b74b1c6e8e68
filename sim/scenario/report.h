#pragma once

// File: sim/scenario/report.h
//
// Reports of scenario runs. The text report is for people; it is deterministic like every
// other output (no wall-clock times in it).

#include <string>
#include <variant>
#include <vector>

#include "sim/scenario/runner.h"

namespace meshsim::sim::scenario {

// A short readable report: per traffic stream the status codes, the serving pods and latency
// percentiles; one PASS/FAIL line per expectation with file:line; a closing verdict line.
std::string textReport(const RunResult& result);

// The whole result as one line of JSON (ending in a line break), fields in a fixed order:
// byte-identical for the same inputs and seed. `meshsim run -o json` prints one such line per
// file (JSON Lines).
std::string jsonReport(const RunResult& result);

// A scenario file that could not be loaded or run (exit code 2), and why.
struct RunError {
  std::string file;
  std::string message;
  // Warnings of what was loaded before the error (kinds left out by --allow-unmodelled).
  std::vector<std::string> warnings;
};

// The JSON Lines entry of a file that could not be loaded or run:
// {"file": "...", "passed": false, "error": "...", "warnings": [...]} and a line break.
std::string jsonErrorReport(const RunError& error);

// What became of one scenario file: its result, or the error that stopped it.
using FileOutcome = std::variant<RunResult, RunError>;

// JUnit XML in the Jenkins/Ant format (tests/scenarios/junit.xsd) for scenario files, in the order
// given: one <testsuite> per file, one <testcase> per expectation (with a <failure> saying what
// was expected and seen), so CI systems show it. A file that could not be run is a suite with one
// <testcase> holding an <error>. A suite's warnings are its <system-err>, one per line. Like
// every report it is deterministic: `time` attributes are 0
// (no wall-clock values); the suite's properties carry the file, the seed and the virtual time.
std::string junitReport(const std::vector<FileOutcome>& outcomes);

// The latency percentile `q` (0..1), nearest-rank, of the latencies counted in `latency_us`
// (microseconds -> requests); 0 when empty.
uint64_t percentileUs(const std::map<uint64_t, uint64_t>& latency_us, double q);

}  // namespace meshsim::sim::scenario
