#pragma once

// File: sim/json.h
//
// Minimal JSON writing helpers: string escaping. Output order is whatever the caller writes,
// which keeps reports byte-identical across runs.

#include <string>
#include <string_view>

namespace meshsim::sim {

// Appends `s` as a JSON string literal (with quotes) to `out`.
void appendJsonString(std::string& out, std::string_view s);
inline std::string jsonString(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

}  // namespace meshsim::sim
