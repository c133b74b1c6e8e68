#pragma once

// File: sim/telemetry/tsdb.h
//
// An in-memory time-series database on virtual time: what Prometheus would hold after scraping
// every proxy at a regular interval. MetricQuery reads it, so that rate() and increase() over a
// range work at any evaluation time.
//
// Semantics follow Prometheus 2.x where they matter to queries:
// - An instant selector at time T sees, per series, the latest point in [T - lookback, T]
//   (lookback 5 minutes), unless that point is a staleness marker.
// - A series present in one scrape and missing from the next gets a staleness marker at the
//   time of the next, so instant queries after that no longer see it.
// - A range selector [r] at time T sees the points in [T - r, T] (both ends included, as in
//   Prometheus 2.x).
// One addition: every Istio metric is a counter or a histogram that starts at zero, so a series
// that first appears in a later scrape also gets a 0 at the time of the scrape before it (like
// Prometheus' created-timestamp zero ingestion). Hence increase() over a range that covers the
// series' birth counts the requests that created it, exactly.
//
// Example:
//   Tsdb tsdb;
//   tsdb.scrape(VirtualTime{0}, mesh.metrics());   // and again every 15 s of virtual time
//   auto q = MetricQuery::parse("sum(rate(istio_requests_total[1m]))").value();
//   double rps = q.evaluateScalar(tsdb, std::chrono::seconds(60)).value();

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/telemetry/sample.h"

namespace meshsim::sim::telemetry {

struct TsdbOptions {
  // How far back an instant selector looks for a series' latest point (Prometheus'
  // --query.lookback-delta).
  VirtualTime lookback = std::chrono::minutes(5);
  // Store a 0 for a new series at the previous scrape's time (see the file comment).
  bool zero_fill_new_series = true;
};

class Tsdb {
public:
  struct Point {
    VirtualTime t{0};
    double value = 0;
    bool stale = false;  // a staleness marker, not a value
  };
  struct Series {
    std::string name;
    Labels labels;
    std::vector<Point> points;  // by time
  };

  explicit Tsdb(TsdbOptions options = {}) : options_(options) {}

  // Stores `samples` as one scrape taken at `at`. Scrapes must come in time order: `at` not
  // earlier than the previous scrape; a scrape at the same time as the previous one replaces
  // it. Samples with the same name and labels in one scrape are added up, as a proxy would have
  // merged them (every metric here is a counter or a histogram).
  void scrape(VirtualTime at, const std::vector<Sample>& samples);

  // Every series ever scraped, in order of first appearance. A series may have no points (it
  // only appeared in a scrape that was replaced).
  const std::vector<Series>& series() const { return series_; }
  // Indices into series() of the series named `name`; empty when there is none.
  const std::vector<size_t>& seriesNamed(const std::string& name) const;
  // The times of the scrapes, in order.
  const std::vector<VirtualTime>& scrapeTimes() const { return scrape_times_; }
  std::optional<VirtualTime> lastScrape() const;
  const TsdbOptions& options() const { return options_; }

  // The point an instant selector sees for `s` at `at`: the latest point at or before `at`
  // within the lookback; nullptr when there is none or it is a staleness marker.
  const Point* pointAt(const Series& s, VirtualTime at) const;
  // The points a range selector [range] sees for `s` at `at`: those in [at - range, at],
  // staleness markers left out.
  std::vector<Point> pointsIn(const Series& s, VirtualTime at, VirtualTime range) const;

  // The samples of the last scrape, as they were scraped (order of first appearance).
  std::vector<Sample> latest() const;

private:
  static std::string keyOf(const Sample& s);
  void dropScrape(VirtualTime at);

  TsdbOptions options_;
  std::vector<Series> series_;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_map<std::string, std::vector<size_t>> by_name_;
  std::vector<VirtualTime> scrape_times_;
  // Per series: the number of the scrape that created it and the last one it appeared in
  // (1-based; 0: none).
  std::vector<uint64_t> created_in_;
  std::vector<uint64_t> seen_in_;
  std::vector<uint64_t> seen_before_;  // seen_in_ before the last update, to undo a replaced scrape
};

}  // namespace meshsim::sim::telemetry
