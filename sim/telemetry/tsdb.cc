#include "sim/telemetry/tsdb.h"

#include <algorithm>

#include "proxy/core/assert.h"

namespace meshsim::sim::telemetry {

std::string Tsdb::keyOf(const Sample& s) {
  std::string key = s.name;
  for (const auto& [k, v] : s.labels) {
    key += '\0';
    key += k;
    key += '\0';
    key += v;
  }
  return key;
}

const std::vector<size_t>& Tsdb::seriesNamed(const std::string& name) const {
  static const std::vector<size_t> kNone;
  auto it = by_name_.find(name);
  return it == by_name_.end() ? kNone : it->second;
}

std::optional<VirtualTime> Tsdb::lastScrape() const {
  if (scrape_times_.empty()) {
    return std::nullopt;
  }
  return scrape_times_.back();
}

void Tsdb::dropScrape(VirtualTime at) {
  const uint64_t k = scrape_times_.size();
  for (size_t i = 0; i < series_.size(); ++i) {
    auto& points = series_[i].points;
    while (!points.empty() && points.back().t == at) {
      points.pop_back();
    }
    if (created_in_[i] == k) {
      points.clear();  // also its zero at the previous scrape
      created_in_[i] = 0;
    }
    if (seen_in_[i] == k) {
      seen_in_[i] = seen_before_[i];
    }
  }
}

void Tsdb::scrape(VirtualTime at, const std::vector<Sample>& samples) {
  MESHSIM_CHECK(scrape_times_.empty() || at >= scrape_times_.back());
  if (!scrape_times_.empty() && at == scrape_times_.back()) {
    dropScrape(at);
  } else {
    scrape_times_.push_back(at);
  }
  const uint64_t k = scrape_times_.size();
  const std::optional<VirtualTime> previous =
      k >= 2 ? std::optional<VirtualTime>(scrape_times_[k - 2]) : std::nullopt;

  for (const Sample& sample : samples) {
    auto [it, inserted] = index_.try_emplace(keyOf(sample), series_.size());
    const size_t i = it->second;
    if (inserted) {
      series_.push_back(Series{sample.name, sample.labels, {}});
      by_name_[sample.name].push_back(i);
      created_in_.push_back(0);
      seen_in_.push_back(0);
      seen_before_.push_back(0);
    }
    Series& s = series_[i];
    if (s.points.empty()) {
      created_in_[i] = k;
      if (options_.zero_fill_new_series && previous) {
        s.points.push_back(Point{*previous, 0, false});
      }
    }
    if (seen_in_[i] == k) {
      s.points.back().value += sample.value;  // the same series twice in one scrape
      continue;
    }
    s.points.push_back(Point{at, sample.value, false});
    seen_before_[i] = seen_in_[i];
    seen_in_[i] = k;
  }

  // Prometheus staleness: a series of the previous scrape that this one lacks ends here.
  if (k >= 2) {
    for (size_t i = 0; i < series_.size(); ++i) {
      if (seen_in_[i] == k - 1) {
        series_[i].points.push_back(Point{at, 0, true});
      }
    }
  }
}

const Tsdb::Point* Tsdb::pointAt(const Series& s, VirtualTime at) const {
  auto it = std::upper_bound(s.points.begin(), s.points.end(), at,
                             [](VirtualTime t, const Point& p) { return t < p.t; });
  if (it == s.points.begin()) {
    return nullptr;
  }
  const Point& p = *std::prev(it);
  if (p.stale || p.t < at - options_.lookback) {
    return nullptr;
  }
  return &p;
}

std::vector<Tsdb::Point> Tsdb::pointsIn(const Series& s, VirtualTime at, VirtualTime range) const {
  std::vector<Point> out;
  auto it = std::lower_bound(s.points.begin(), s.points.end(), at - range,
                             [](const Point& p, VirtualTime t) { return p.t < t; });
  for (; it != s.points.end() && it->t <= at; ++it) {
    if (!it->stale) {
      out.push_back(*it);
    }
  }
  return out;
}

std::vector<Sample> Tsdb::latest() const {
  std::vector<Sample> out;
  const uint64_t k = scrape_times_.size();
  if (k == 0) {
    return out;
  }
  for (size_t i = 0; i < series_.size(); ++i) {
    if (seen_in_[i] == k) {
      out.push_back(Sample{series_[i].name, series_[i].labels, series_[i].points.back().value});
    }
  }
  return out;
}

}  // namespace meshsim::sim::telemetry
