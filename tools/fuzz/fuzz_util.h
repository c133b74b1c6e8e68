#pragma once

// File: tools/fuzz/fuzz_util.h
//
// What the fuzzers of file parsers share: reading the line back out of a "file:line:column:
// message" error, to check that a refused input is blamed on a line it has.

#include <string_view>

#include "sim/yaml/document.h"

namespace meshsim::fuzz {

// The lines of `text` as error messages count them (YAML's line breaks).
inline int countLines(std::string_view text) {
  return meshsim::sim::yaml::lineBreaks(text) + 1;
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
