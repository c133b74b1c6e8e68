// meshsim run and meshsim validate.

#include <fnmatch.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "sim/istio/analyze.h"
#include "sim/istio/coverage.h"
#include "sim/istio/translate.h"
#include "sim/manifests.h"
#include "sim/mesh.h"
#include "sim/scenario/report.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/target.h"
#include "tools/meshsim/commands.h"

namespace meshsim::cli {

namespace {

namespace fs = std::filesystem;
using meshsim::sim::scenario::isScenarioFile;

// Whether a file found in a folder matches one of the --exclude shell patterns (fnmatch, where
// `*` also crosses slashes: "*/known-bugs/*").
bool excluded(const std::string& path, const std::vector<std::string>& patterns) {
  for (const auto& pattern : patterns) {
    if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

// The scenario files to run, and the notes for files in folders that were left out.
struct ScenarioFiles {
  std::vector<std::string> files;
  std::vector<std::string> skipped;  // "FILE: not a scenario (kind: Deployment)"
};

// Expands folders into the YAML files below them, in name order, leaving out files that match
// an exclude pattern and files that parse but are not scenarios (with a note). A file that does
// not parse is kept, so that running it reports the error. Files named directly are kept as
// given.
ScenarioFiles expandScenarioPaths(const std::vector<std::string>& paths,
                                  const std::vector<std::string>& exclude = {}) {
  ScenarioFiles out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out.files.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(p, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto ext = it->path().extension();
      if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml") &&
          !excluded(it->path().string(), exclude)) {
        found.push_back(it->path().string());
      }
    }
    std::sort(found.begin(), found.end());
    for (auto& f : found) {
      if (auto why = sim::scenario::whyNotAScenario(f)) {
        out.skipped.push_back(f + ": not a scenario (" + *why + ")");
      } else {
        out.files.push_back(std::move(f));
      }
    }
  }
  return out;
}

enum class ProgressMode { Never, Auto, Always };

ProgressMode progressMode(const std::string& flag) {
  if (flag == "always") {
    return ProgressMode::Always;
  }
  return flag == "never" ? ProgressMode::Never : ProgressMode::Auto;
}

// The progress of `meshsim run`, on stderr (stdout carries the report). On a terminal it is one
// line, "[3/12] FILE ...", naming the first file still running, rewritten in place and cleared at
// the end; with --progress=auto only once the run has taken a second, so quick runs stay quiet.
// Elsewhere only --progress=always shows progress, as one plain line per finished file in file
// order ("[3/12] FILE PASS"), so CI logs and pipes stay clean by default. The wall clock decides
// only when to show progress, never what a report says.
class Progress {
public:
  Progress(ProgressMode mode, size_t total)
      : total_(total), start_(std::chrono::steady_clock::now()) {
    const char* term = std::getenv("TERM");
    const bool terminal =
        isatty(STDERR_FILENO) == 1 && (term == nullptr || std::string(term) != "dumb");
    in_place_ = mode != ProgressMode::Never && terminal;
    plain_ = mode == ProgressMode::Always && !terminal;
    delay_ = mode == ProgressMode::Auto ? std::chrono::seconds(1) : std::chrono::seconds(0);
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { clear(); }

  // Shows that file `index` (0-based) is the first one still running.
  void show(size_t index, const std::string& file) {
    if (!in_place_ || std::chrono::steady_clock::now() - start_ < delay_) {
      return;
    }
    std::string line = counter(index) + " " + file + " ...";
    const size_t width = terminalWidth() - 1;  // the last column would wrap on some terminals
    if (line.size() > width) {
      // Keep the counter and the end of the path, which tells files apart.
      const std::string head = counter(index) + " ...";
      const size_t room = width > head.size() + 4 ? width - head.size() - 4 : 0;
      line = head + file.substr(file.size() - std::min(room, file.size())) + " ...";
      line.resize(std::min(line.size(), width));
    }
    if (line == shown_) {
      return;
    }
    std::string text = "\r" + line;
    if (line.size() < shown_.size()) {
      text += std::string(shown_.size() - line.size(), ' ') + "\r" + line;
    }
    std::cerr << text << std::flush;
    shown_ = std::move(line);
  }

  // Records that file `index` has finished; `verdict` is PASS, FAIL or ERROR.
  void finished(size_t index, const std::string& file, const char* verdict) {
    if (plain_) {
      std::cerr << counter(index) << " " << file << " " << verdict << "\n";
    }
  }

  // Removes the in-place line, before other output on stderr and at the end.
  void clear() {
    if (shown_.empty()) {
      return;
    }
    std::cerr << "\r" << std::string(shown_.size(), ' ') << "\r" << std::flush;
    shown_.clear();
  }

private:
  std::string counter(size_t index) const {
    return "[" + std::to_string(index + 1) + "/" + std::to_string(total_) + "]";
  }

  static size_t terminalWidth() {
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 10) {
      return size.ws_col;
    }
    return 80;
  }

  const size_t total_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::duration delay_{};
  bool in_place_ = false;
  bool plain_ = false;
  std::string shown_;  // the line on the terminal now, "" when none
};

struct RunFlags {
  std::vector<std::string> paths;
  std::optional<uint64_t> seed;
  std::string output = "text";
  std::string output_file;
  unsigned jobs = 1;  // 0: one per hardware thread
  std::string progress = "auto";
  std::vector<std::string> exclude;
  bool allow_unmodelled = false;
  std::string target;  // http://HOST:PORT: send from: ingress traffic there (target.h)
  bool coverage = false;
  std::optional<double> fail_under;  // percent; implies coverage
};

// One scenario file's run, as a worker leaves it for the main thread.
struct FileRun {
  std::optional<sim::scenario::FileOutcome> outcome;  // set once the run has finished
  std::string report;                                 // text or JSON report of a result
  // With --coverage: the route coverage of the run; with --fail-under, whether it is too low.
  std::optional<sim::istio::CoverageReport> coverage;
  bool below_threshold = false;
};

// Loads and runs `file`; never throws (a worker thread must not).
FileRun runFile(const std::string& file, const RunFlags& flags) {
  FileRun run;
  try {
    sim::scenario::LoadOptions load;
    load.allow_unmodelled = flags.allow_unmodelled;
    auto scenario = sim::scenario::loadScenario(file, load);
    if (!scenario.ok()) {
      run.outcome = sim::scenario::RunError{file, std::string(scenario.status().message()), {}};
      return run;
    }
    sim::scenario::RunOptions options;
    options.seed = flags.seed;
    if (flags.coverage || flags.fail_under) {
      options.on_finished = [&run](const sim::Mesh& mesh, const sim::telemetry::Tsdb&) {
        run.coverage = mesh.coverage();
      };
    }
    auto result = flags.target.empty() ? sim::scenario::runScenario(*scenario, options)
                                       : sim::scenario::runAgainstTarget(*scenario, flags.target);
    if (!result.ok()) {
      run.outcome = sim::scenario::RunError{file, std::string(result.status().message()),
                                            sim::scenario::loadWarnings(*scenario)};
      return run;
    }
    if (flags.output == "text") {
      run.report = sim::scenario::textReport(*result);
    } else if (flags.output == "json") {
      run.report = sim::scenario::jsonReport(*result);
    }
    if (run.coverage) {
      run.below_threshold = flags.fail_under && run.coverage->percent() < *flags.fail_under;
      if (flags.output == "text") {
        run.report += "\n" + sim::istio::coverageText(*run.coverage);
        if (run.below_threshold) {
          char buf[96];
          std::snprintf(buf, sizeof(buf), "FAIL  coverage %.1f%% is below --fail-under %g%%\n",
                        run.coverage->percent(), *flags.fail_under);
          run.report += buf;
        }
      }
    }
    run.outcome = std::move(result).value();
  } catch (const std::exception& e) {
    run.outcome = sim::scenario::RunError{file, file + ": internal error: " + e.what(), {}};
  }
  return run;
}

int runCommand(const RunFlags& flags) {
  if (!flags.target.empty() && (flags.coverage || flags.fail_under)) {
    std::cerr << "error: --coverage needs the simulated mesh; it cannot be combined with "
                 "--target\n";
    return kExitInvalid;
  }
  const ScenarioFiles found = expandScenarioPaths(flags.paths, flags.exclude);
  const std::vector<std::string>& files = found.files;
  if (files.empty()) {
    std::cerr << "error: no scenario files found in the given paths\n";
    return kExitInvalid;
  }
  unsigned jobs = flags.jobs == 0 ? std::max(1U, std::thread::hardware_concurrency()) : flags.jobs;
  jobs = std::min<size_t>(jobs, files.size());

  // Workers take files in order; the main thread reports them in that order as they finish, so
  // the output does not depend on -j. Each run has its own Mesh and dispatcher: nothing is shared.
  std::vector<FileRun> runs(files.size());
  std::mutex mutex;
  std::condition_variable finished;
  size_t next = 0;  // guarded by `mutex`, like the `outcome` of every run
  // With one job the files run on this thread, one after the other. A process that never starts
  // a thread keeps libstdc++'s shared_ptr reference counts non-atomic (__libc_single_threaded),
  // and the simulated proxies count references on every hop: about 10% of a run's time. The
  // in-place progress line then changes only between files.
  const bool on_this_thread = jobs == 1;
  std::vector<std::jthread> workers;
  for (unsigned w = 0; !on_this_thread && w < jobs; ++w) {
    workers.emplace_back([&] {
      while (true) {
        size_t i = 0;
        {
          const std::lock_guard lock(mutex);
          if (next == files.size()) {
            return;
          }
          i = next++;
        }
        FileRun run = runFile(files[i], flags);
        {
          const std::lock_guard lock(mutex);
          runs[i] = std::move(run);
        }
        finished.notify_one();
      }
    });
  }

  Progress progress(progressMode(flags.progress), files.size());
  int exit_code = kExitOk;
  struct {
    size_t errors = 0;
    size_t failed_files = 0;
    size_t expectations = 0;
    size_t failed_expectations = 0;
  } summary;
  std::string out;
  bool any_report = false;
  if (flags.output == "text" && !found.skipped.empty()) {
    for (const auto& note : found.skipped) {
      out += "skipped " + note + "\n";
    }
    any_report = true;
  }
  std::vector<sim::scenario::FileOutcome> outcomes;  // for the JUnit report, which needs them all
  std::unique_lock lock(mutex);
  for (size_t done = 0; done < files.size();) {
    if (!runs[done].outcome) {
      progress.show(done, files[done]);
      if (on_this_thread) {
        lock.unlock();
        runs[done] = runFile(files[done], flags);
        lock.lock();
      } else {
        finished.wait_for(lock, std::chrono::milliseconds(100));
      }
      continue;
    }
    FileRun& run = runs[done];
    const char* verdict = "PASS";
    if (const auto* error = std::get_if<sim::scenario::RunError>(&*run.outcome)) {
      progress.clear();
      for (const auto& w : error->warnings) {
        std::cerr << "warning: " << w << "\n";
      }
      std::cerr << "error: " << error->message << "\n";
      exit_code = kExitInvalid;
      verdict = "ERROR";
      ++summary.errors;
      if (flags.output == "json") {
        run.report = sim::scenario::jsonErrorReport(*error);
      }
    } else {
      const auto& result = std::get<sim::scenario::RunResult>(*run.outcome);
      summary.expectations += result.expectations.size();
      for (const auto& e : result.expectations) {
        summary.failed_expectations += e.passed || e.skipped ? 0 : 1;
      }
      if (result.invalid()) {
        exit_code = kExitInvalid;  // an expectation that cannot observe anything
        verdict = "ERROR";
        ++summary.failed_files;
      } else if (!result.passed() || run.below_threshold) {
        exit_code = std::max(exit_code, kExitFailed);
        verdict = "FAIL";
        ++summary.failed_files;
      }
    }
    if (run.below_threshold && flags.output != "text") {
      progress.clear();
      char buf[96];
      std::snprintf(buf, sizeof(buf), ": coverage %.1f%% is below --fail-under %g%%\n",
                    run.coverage->percent(), *flags.fail_under);
      std::cerr << files[done] << buf;
    }
    if (!run.report.empty()) {
      out += (any_report && flags.output == "text" ? "\n" : "") + run.report;
      any_report = true;
    }
    progress.finished(done, files[done], verdict);
    if (flags.output == "junit") {
      outcomes.push_back(std::move(*run.outcome));
    }
    run = FileRun{};
    ++done;
  }
  lock.unlock();
  progress.clear();

  if (flags.output == "junit") {
    out = sim::scenario::junitReport(outcomes);
  }
  if (flags.output == "text" && files.size() > 1) {
    // One closing line for the whole run: what CI logs are scanned for.
    const auto plural = [](size_t n, const char* what) {
      return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
    };
    out += std::string(any_report ? "\n" : "") + (exit_code == kExitOk ? "PASS" : "FAIL") + "  " +
           plural(files.size(), "file") + ": " +
           std::to_string(files.size() - summary.errors - summary.failed_files) + " passed, " +
           std::to_string(summary.failed_files) + " failed, " + std::to_string(summary.errors) +
           " not run (invalid); " + plural(summary.expectations, "expectation") + ", " +
           std::to_string(summary.failed_expectations) + " failed\n";
  }
  if (flags.output_file.empty()) {
    std::cout << out;
  } else {
    std::ofstream f(flags.output_file, std::ios::binary);
    f << out;
    if (!f) {
      std::cerr << "error: cannot write " << flags.output_file << "\n";
      return kExitInvalid;
    }
  }
  return exit_code;
}

struct ValidateFlags {
  std::vector<std::string> paths;
  std::vector<std::string> files;  // -f, the same as paths
  std::string output = "log";
  std::string failure_threshold = "Error";
  std::string output_threshold = "Info";
  bool allow_unmodelled = false;
};

// meshsim validate: loads every path into one world (as istioctl analyze takes all its files as
// one source), builds it as a run would, and prints istioctl analyze's messages. Exit 2 when a
// path cannot be loaded or the world cannot be built, 1 when a message is at or above
// --failure-threshold, else 0.
int validateCommand(const ValidateFlags& flags) {
  std::vector<std::string> paths = flags.paths;
  paths.insert(paths.end(), flags.files.begin(), flags.files.end());
  if (paths.empty()) {
    std::cerr << "error: validate needs manifest or scenario files or folders\n";
    return kExitInvalid;
  }
  // CLI11 has checked both levels.
  const auto failure = *sim::istio::parseAnalysisLevel(flags.failure_threshold);
  const auto shown = *sim::istio::parseAnalysisLevel(flags.output_threshold);

  sim::Manifests manifests;
  manifests.allow_unmodelled = flags.allow_unmodelled;
  bool invalid = false;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      std::cerr << "error: " << path << ": no such file or folder\n";
      invalid = true;
      continue;
    }
    if (!fs::is_directory(path, ec) && isScenarioFile(path)) {
      sim::scenario::LoadOptions load;
      load.allow_unmodelled = flags.allow_unmodelled;
      auto scenario = sim::scenario::loadScenario(path, load);
      if (!scenario.ok()) {
        std::cerr << "error: " << scenario.status().message() << "\n";
        invalid = true;
        continue;
      }
      sim::applyManifests(manifests, scenario->manifests);
    } else if (auto s = sim::addPath(path, manifests); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      invalid = true;
    }
  }
  if (invalid) {
    return kExitInvalid;
  }
  if (auto added = sim::addDefaultIngressGateway(manifests); !added.ok()) {
    std::cerr << "error: " << added.status().message() << "\n";
    return kExitInvalid;
  }
  for (const auto& w : manifests.warnings) {
    std::cerr << "warning: " << w << "\n";
  }
  // What a run would build: every reference and every app call must resolve.
  auto mesh = sim::Mesh::create(std::move(manifests));
  if (!mesh.ok()) {
    std::cerr << "error: " << mesh.status().message() << "\n";
    return kExitInvalid;
  }
  const auto& world = (*mesh)->world();
  const auto all =
      sim::istio::analyze(world, (*mesh)->manifests().istio, (*mesh)->translationAnalysis());
  std::vector<sim::istio::AnalysisMessage> messages;
  bool failed = false;
  for (const auto& m : all) {
    failed = failed || m.level >= failure;
    if (m.level >= shown) {
      messages.push_back(m);
    }
  }
  if (flags.output == "json") {
    std::cout << sim::istio::analysisJson(messages);
  } else if (flags.output == "yaml") {
    std::cout << sim::istio::analysisYaml(messages);
  } else {
    for (const auto& m : messages) {
      std::cout << m.toString() << "\n";
    }
  }
  std::cout.flush();  // the messages before the summary on stderr, also when both go to one pipe
  size_t counts[3] = {0, 0, 0};
  for (const auto& m : all) {
    ++counts[static_cast<int>(m.level)];
  }
  const auto plural = [](size_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  std::cerr << (all.empty() ? "no validation issues found"
                            : "found " + plural(counts[2], "error") + ", " +
                                  plural(counts[1], "warning") + ", " + plural(counts[0], "info"))
            << " in " << plural(paths.size(), "path") << " (" << plural(world.pods().size(), "pod")
            << ", " << plural(world.services().size(), "service") << ", "
            << std::to_string((*mesh)->proxies().size()) +
                   ((*mesh)->proxies().size() == 1 ? " proxy" : " proxies")
            << ")" << (failed ? "; at or above --failure-threshold " + flags.failure_threshold : "")
            << "\n";
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

Command addRunCommand(CLI::App& app) {
  auto o = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "Run scenario files (or every scenario in a folder)");
  run->add_option("paths", o->paths, "Scenario files or folders")->required();
  run->add_option("--seed", o->seed, "Override every scenario's seed (0 to 2^64-1)")
      ->check(seedValidator());
  run->add_option("-o,--output", o->output,
                  "Report format: text (default), json (JSON Lines: one document per file, "
                  "a line each) or junit")
      ->check(CLI::IsMember({"text", "json", "junit"}));
  run->add_option("--output-file", o->output_file, "Write the report to FILE instead of stdout");
  run->add_option("-j,--jobs", o->jobs,
                  "Run N scenario files at once (default 1; 0: one per hardware thread); the "
                  "reports keep the order of the files")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--progress", o->progress,
                  "Progress on stderr: auto (default: on a terminal, once the run takes over a "
                  "second), always (plain lines when stderr is not a terminal) or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  run->add_option("--exclude", o->exclude,
                  "Leave out scenario files found in folders whose path matches this shell "
                  "pattern, e.g. '*/known-bugs/*' (repeatable)");
  run->add_flag("--allow-unmodelled", o->allow_unmodelled, kAllowUnmodelledHelp);
  run->add_option("--target", o->target,
                  "Send each scenario's from: ingress traffic to this real gateway "
                  "(http://HOST:PORT) instead of the simulated one; what cannot be judged from "
                  "outside is reported as skipped");
  run->add_flag("--coverage", o->coverage,
                "After each scenario's report, list which Gateway servers, VirtualService routes "
                "and match blocks, DestinationRule subsets and ServiceEntries its traffic used, "
                "with file:line, and the ones it did not use");
  run->add_option("--fail-under", o->fail_under,
                  "Exit 1 when a scenario's route coverage is below PCT percent (implies "
                  "--coverage)")
      ->check(CLI::Range(0.0, 100.0));
  return [run, o] { return *run ? runCommand(*o) : -1; };
}

Command addValidateCommand(CLI::App& app) {
  auto o = std::make_shared<ValidateFlags>();
  CLI::App* validate = app.add_subcommand(
      "validate",
      "Load manifests or scenarios as one world without running them and print what istioctl "
      "analyze reports (its codes, levels and wording)");
  validate->add_option("paths", o->paths, "Scenario files, manifest files or folders");
  validate->add_option("-f,--filename", o->files,
                       "Manifest or scenario files or folders, like the paths (repeatable)");
  validate
      ->add_option("-o,--output", o->output,
                   "Message format: log (default: one line each, as istioctl prints them), json "
                   "or yaml (istioctl analyze -o json|yaml)")
      ->check(CLI::IsMember({"log", "json", "yaml"}));
  const auto level = CLI::IsMember({"Info", "Warning", "Error"}, CLI::ignore_case);
  validate
      ->add_option("--failure-threshold", o->failure_threshold,
                   "The least severe level that makes the exit code 1: Info, Warning or Error "
                   "(default)")
      ->check(level);
  validate
      ->add_option("--output-threshold", o->output_threshold,
                   "The least severe level printed: Info (default), Warning or Error")
      ->check(level);
  validate->add_flag("--allow-unmodelled", o->allow_unmodelled, kAllowUnmodelledHelp);
  return [validate, o] { return *validate ? validateCommand(*o) : -1; };
}

}  // namespace meshsim::cli
