#include "sim/duration.h"

#include <cmath>
#include <cstdint>
#include <string>

namespace meshsim::sim {

namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Nanoseconds per unit, or 0 for an unknown unit.
double unitNanos(std::string_view unit) {
  if (unit == "ns") {
    return 1;
  }
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {  // us, µs (micro, mu)
    return 1e3;
  }
  if (unit == "ms") {
    return 1e6;
  }
  if (unit == "s") {
    return 1e9;
  }
  if (unit == "m") {
    return 60e9;
  }
  if (unit == "h") {
    return 3600e9;
  }
  return 0;
}

}  // namespace

StatusOr<std::chrono::nanoseconds> parseDuration(std::string_view text) {
  const auto invalid = [&] {
    return invalidArgumentError("expected a duration like 250ms, 1.5s or 2m, got \"" +
                                std::string(text) + "\"");
  };
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) {
    t.remove_prefix(1);
  }
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) {
    t.remove_suffix(1);
  }
  if (t == "0") {
    return std::chrono::nanoseconds(0);
  }
  if (t.empty()) {
    return invalid();
  }
  double total = 0;
  while (!t.empty()) {
    // A number: digits, optionally a point and more digits (".5" and "5." as Go allows).
    size_t i = 0;
    while (i < t.size() && isDigit(t[i])) {
      ++i;
    }
    size_t digits = i;
    if (i < t.size() && t[i] == '.') {
      ++i;
      while (i < t.size() && isDigit(t[i])) {
        ++i;
        ++digits;
      }
    }
    if (digits == 0) {
      return invalid();
    }
    const double number = std::stod(std::string(t.substr(0, i)));
    t.remove_prefix(i);
    size_t u = 0;
    while (u < t.size() && !isDigit(t[u]) && t[u] != '.') {
      ++u;
    }
    const double scale = unitNanos(t.substr(0, u));
    if (scale == 0) {
      return invalid();
    }
    t.remove_prefix(u);
    total += number * scale;
  }
  if (!std::isfinite(total) || total > 9.2e18) {
    return invalidArgumentError("duration \"" + std::string(text) + "\" is too long");
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

}  // namespace meshsim::sim
