#include "sim/driver/scrape_clock.h"

#include "sim/mesh.h"
#include "sim/telemetry/scrape.h"

namespace meshsim::sim::driver {

ScrapeClock::ScrapeClock(Mesh& mesh, telemetry::Tsdb& tsdb, telemetry::VirtualTime interval)
    : mesh_(mesh), tsdb_(tsdb), interval_(interval) {
  scrapeNow();
  next_scrape_ = mesh_.loop().now() + interval_;
}

void ScrapeClock::scrapeNow() {
  tsdb_.scrape(mesh_.loop().elapsed(), telemetry::scrapeMesh(mesh_.proxies()));
}

void ScrapeClock::scrapeBefore(proxy::MonotonicTime t) {
  if (interval_.count() <= 0) {
    return;
  }
  // Nothing runs between the last event and `t`, so each scrape sees what had happened by then.
  while (next_scrape_ < t) {
    mesh_.loop().runUntil(next_scrape_);
    scrapeNow();
    next_scrape_ += interval_;
  }
}

bool ScrapeClock::step() {
  const std::optional<proxy::MonotonicTime> next = mesh_.loop().nextEventTime();
  if (!next) {
    return false;
  }
  scrapeBefore(*next);
  mesh_.loop().runUntil(*next);
  return true;
}

void ScrapeClock::runUntil(proxy::MonotonicTime deadline) {
  for (auto next = mesh_.loop().nextEventTime(); next && *next <= deadline;
       next = mesh_.loop().nextEventTime()) {
    step();
  }
  scrapeBefore(deadline + std::chrono::nanoseconds(1));
  mesh_.loop().runUntil(deadline);
}

void ScrapeClock::runUntilIdle() {
  while (step()) {
  }
  scrapeNow();
}

}  // namespace meshsim::sim::driver
