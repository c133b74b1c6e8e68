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

StatusOr<int64_t> parseGoDuration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto invalid = [&] { return invalidArgumentError("time: invalid duration " + quoted); };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return invalid();
  }
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (s.front() != '.' && !isDigit(s.front())) {
      return invalid();
    }
    // The whole part: an overflow is an error.
    uint64_t whole = 0;
    size_t i = 0;
    for (; i < s.size() && isDigit(s[i]); ++i) {
      if (whole > (kLimit - 1) / 10) {
        return invalid();
      }
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > kLimit) {
        return invalid();
      }
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    // The fraction: digits past what 64 bits hold are read and dropped (leadingFraction).
    uint64_t fraction = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      size_t j = 0;
      for (; j < s.size() && isDigit(s[j]); ++j) {
        if (overflow) {
          continue;
        }
        if (fraction > (kLimit - 1) / 10) {
          overflow = true;
          continue;
        }
        const uint64_t next = fraction * 10 + static_cast<uint64_t>(s[j] - '0');
        if (next > kLimit) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) {
      return invalid();
    }
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !isDigit(s[u])) {
      ++u;
    }
    if (u == 0) {
      return invalidArgumentError("time: missing unit in duration " + quoted);
    }
    const double unit_nanos = unitNanos(s.substr(0, u));
    if (unit_nanos == 0) {
      return invalidArgumentError("time: unknown unit \"" + std::string(s.substr(0, u)) +
                                  "\" in duration " + quoted);
    }
    s.remove_prefix(u);
    const auto unit = static_cast<uint64_t>(unit_nanos);
    if (whole > kLimit / unit) {
      return invalid();
    }
    whole *= unit;
    if (fraction > 0) {
      // As Go: float64 keeps fractions of hours nanosecond-accurate.
      whole += static_cast<uint64_t>(static_cast<double>(fraction) * (unit_nanos / scale));
      if (whole > kLimit) {
        return invalid();
      }
    }
    total += whole;
    if (total > kLimit) {
      return invalid();
    }
  }
  if (negative) {
    return total == kLimit ? INT64_MIN : -static_cast<int64_t>(total);
  }
  if (total > kLimit - 1) {
    return invalid();
  }
  return static_cast<int64_t>(total);
}

}  // namespace meshsim::sim
