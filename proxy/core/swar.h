#pragma once

// File: proxy/core/swar.h
//
// Byte tests eight bytes at a time in a 64-bit word ("SIMD within a register"), for scanners
// whose common case is a long run of ordinary bytes: the HTTP writer checking field names and
// values, the JSON writer looking for bytes to escape. Each test says whether some byte of the
// word qualifies (exactly, never a false answer); callers look at that word byte by byte only
// when it does.
//
// Example:
//   for (; i + 8 <= s.size(); i += 8) {
//     if (swar::hasByte(swar::load8(s.data() + i), '"')) { ... }
//   }

#include <cstdint>
#include <cstring>

namespace meshsim::swar {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHigh = 0x8080808080808080ULL;

inline uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Whether some byte of `w` is below `n` (n <= 128).
constexpr bool hasLess(uint64_t w, unsigned char n) {
  return ((w - n * kOnes) & ~w & kHigh) != 0;
}

// Whether some byte of `w` equals `c`.
constexpr bool hasByte(uint64_t w, unsigned char c) {
  const uint64_t x = w ^ (c * kOnes);
  return ((x - kOnes) & ~x & kHigh) != 0;
}

// For a word of bytes below 0x80: the high bit of each byte in [lo, hi], the others clear.
constexpr uint64_t inRange(uint64_t w, unsigned char lo, unsigned char hi) {
  return (w + (0x80 - lo) * kOnes) & ~(w + (0x7f - hi) * kOnes) & kHigh;
}

}  // namespace meshsim::swar
