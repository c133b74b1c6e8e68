#pragma once

// File: tools/fuzz/fuzz_util.h
//
// What the fuzzers of file parsers share: reading the line back out of a "file:line:column:
// message" error, to check that a refused input is blamed on a line it has.

#include <string_view>

namespace meshsim::fuzz {

inline int countLines(std::string_view text) {
  int lines = 1;
  for (char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  return lines;
}

// The line of a "`file`:line:column: ..." message, or 0 when the message names no line.
inline int lineOf(std::string_view message, std::string_view file) {
  if (message.substr(0, file.size()) != file) {
    return 0;
  }
  message.remove_prefix(file.size());
  if (message.empty() || message.front() != ':') {
    return 0;
  }
  message.remove_prefix(1);
  int line = 0;
  size_t digits = 0;
  while (digits < message.size() && message[digits] >= '0' && message[digits] <= '9' &&
         line < 1000000) {
    line = line * 10 + (message[digits] - '0');
    ++digits;
  }
  return digits > 0 && digits < message.size() && message[digits] == ':' ? line : 0;
}

}  // namespace meshsim::fuzz
