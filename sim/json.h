#pragma once

// File: sim/json.h
//
// Minimal JSON writing helpers: string escaping. Output order is whatever the caller writes,
// which keeps reports byte-identical across runs.

#include <cstddef>
#include <string>
#include <string_view>

namespace meshsim::sim {

// Appends `s` as a JSON string literal (with quotes) to `out`.
void appendJsonString(std::string& out, std::string_view s);
// The length of `s` as a JSON string literal, quotes included.
size_t jsonStringSize(std::string_view s);
// Whether some byte of `s` must be escaped in a JSON string literal (a control character, '"'
// or '\\'): when none does, the literal is `s` in quotes. Checks a short string with a few word
// loads and no loop, for writers that check many short strings and rarely find one.
bool jsonNeedsEscaping(std::string_view s);
// Writes `s` as a JSON string literal at `out`, which has room for jsonStringSize(s) bytes, and
// returns the end of what it wrote. For writers that size a document before filling it.
char* writeJsonString(char* out, std::string_view s);
inline std::string jsonString(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

}  // namespace meshsim::sim
