#pragma once

// File: sim/driver/scrape_clock.h
//
// Runs a mesh's virtual clock while scraping its metrics the way Prometheus would, for every
// driver of a mesh (the scenario runner, the embedding API): a scrape when the clock starts, one
// at every multiple of the interval after that while events remain (a scrape at time T sees every
// event due at or before T), and one whenever asked.
//
// Example:
//   telemetry::Tsdb tsdb;
//   driver::ScrapeClock clock(mesh, tsdb, std::chrono::seconds(15));  // scrapes at 0
//   ... start traffic ...
//   clock.runUntilIdle();  // scrapes at 15 s, 30 s, ... and once at the end

#include <optional>

#include "proxy/event/virtual_dispatcher.h"
#include "sim/telemetry/tsdb.h"

namespace meshsim::sim {
class Mesh;
}

namespace meshsim::sim::driver {

class ScrapeClock {
public:
  // Scrapes `mesh` into `tsdb` now. `interval` 0 or less: no periodic scrapes, only the first,
  // those asked for with scrapeNow() and the one at the end of runUntilIdle(). `mesh` and
  // `tsdb` must outlive the clock.
  ScrapeClock(Mesh& mesh, telemetry::Tsdb& tsdb, telemetry::VirtualTime interval);

  // Scrapes every proxy of the mesh at the current virtual time (replacing a scrape taken at the
  // same time).
  void scrapeNow();
  // Runs every event due at the next event time, after the periodic scrapes due before it.
  // Returns false, doing nothing, when no event is pending.
  bool step();
  // Runs every event due at or before `deadline` (with the scrapes due until then), then sets the
  // clock to `deadline`.
  void runUntil(proxy::MonotonicTime deadline);
  // Runs events until none is left, then scrapes once more. The clock ends at the last event,
  // never at a later scrape time.
  void runUntilIdle();

private:
  // Takes the periodic scrapes due before `t`, moving the clock to each of them.
  void scrapeBefore(proxy::MonotonicTime t);

  Mesh& mesh_;
  telemetry::Tsdb& tsdb_;
  telemetry::VirtualTime interval_;
  proxy::MonotonicTime next_scrape_{};
};

}  // namespace meshsim::sim::driver
