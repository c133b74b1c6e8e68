#pragma once

// File: sim/json.h
//
// Minimal JSON writing helpers: string escaping. Output order is whatever the caller writes,
// which keeps reports byte-identical across runs.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "proxy/core/swar.h"

namespace meshsim::sim {

// Appends `s` as a JSON string literal (with quotes) to `out`.
void appendJsonString(std::string& out, std::string_view s);
// The length of `s` as a JSON string literal, quotes included.
size_t jsonStringSize(std::string_view s);
// Whether some byte of `s` must be escaped in a JSON string literal (a control character, '"'
// or '\\'): when none does, the literal is `s` in quotes. Checks a short string with a few word
// loads and no loop, for writers that check many short strings and rarely find one.
bool jsonNeedsEscaping(std::string_view s);

// The same test over many strings, answered once for all of them: a writer that sizes a document
// of many short strings (the echo app's) adds each and asks at the end. Inline, eight bytes at a
// time, with one branch per string.
class JsonEscapeScan {
public:
  // Always inlined: a call per string costs as much as the scan of a short one.
  [[gnu::always_inline]] void add(std::string_view s) {
    const char* p = s.data();
    const size_t n = s.size();
    if (n >= 8) {
      size_t i = 0;
      for (; i + 8 < n; i += 8) {
        any_ |= escapeBits(swar::load8(p + i));
      }
      any_ |= escapeBits(swar::load8(p + n - 8));  // the tail, overlapping checked bytes
    } else if (n >= 4) {
      // Two overlapping four-byte loads cover four to seven bytes.
      uint32_t head;
      uint32_t tail;
      std::memcpy(&head, p, 4);
      std::memcpy(&tail, p + n - 4, 4);
      any_ |= escapeBits(head | (uint64_t{tail} << 32));
    } else if (n != 0) {
      // One to three bytes: the first, the middle and the last cover them; the other bytes of
      // the word repeat the first.
      const auto b = [p](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
      any_ |= escapeBits((b(0) * swar::kOnes & ~uint64_t{0xffff}) | (b(n / 2) << 8) | b(n - 1));
    }
  }
  // Whether some byte of an added string must be escaped.
  bool needed() const { return (any_ & swar::kHigh) != 0; }

private:
  // The high bit of a byte is set where the byte is a control character, '"' or '\\' (and
  // perhaps in a higher byte of the same word when a lower one is; never in a word without
  // one), so OR-ing words keeps the answer for all of them exact.
  static uint64_t escapeBits(uint64_t w) {
    const uint64_t quote = w ^ ('"' * swar::kOnes);
    const uint64_t backslash = w ^ ('\\' * swar::kOnes);
    return ((w - 0x20 * swar::kOnes) & ~w) | ((quote - swar::kOnes) & ~quote) |
           ((backslash - swar::kOnes) & ~backslash);
  }
  uint64_t any_ = 0;
};
// Writes `s` as a JSON string literal at `out`, which has room for jsonStringSize(s) bytes, and
// returns the end of what it wrote. For writers that size a document before filling it.
char* writeJsonString(char* out, std::string_view s);
inline std::string jsonString(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

}  // namespace meshsim::sim
