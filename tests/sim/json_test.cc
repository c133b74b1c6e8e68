#include "sim/json.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace meshsim::sim {
namespace {

TEST(JsonTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(jsonString("plain"), "\"plain\"");
  EXPECT_EQ(jsonString(""), "\"\"");
  EXPECT_EQ(jsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(jsonString("line\nnext\ttab\r"), "\"line\\nnext\\ttab\\r\"");
  EXPECT_EQ(jsonString(std::string("\x01z\x1f", 3)), "\"\\u0001z\\u001f\"");
  EXPECT_EQ(jsonString("\xc3\xa9"), "\"\xc3\xa9\"");  // UTF-8 passes through
}

// One byte at a time, as the writer did before it skipped eight at a time.
std::string referenceJsonString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

TEST(JsonTest, EmptyAndPlainStringsNeedNoEscaping) {
  EXPECT_FALSE(jsonNeedsEscaping(""));
  EXPECT_FALSE(jsonNeedsEscaping("x-request-id"));
  EXPECT_TRUE(jsonNeedsEscaping("\""));
}

TEST(JsonTest, OneScanOfManyStringsAnswersForAllOfThem) {
  // Bytes next to the ones escaped (space, '!', '#', '[', ']', DEL, UTF-8) must never add up to
  // an escape across strings or words; any string that needs one must make the answer yes.
  const std::vector<std::string> strings = {"",
                                            " ",
                                            "!#",
                                            "[]",
                                            "\x7f\x80\xff",
                                            "x-request-id",
                                            "0123456789abcdef0123",
                                            "a\"",
                                            "\\",
                                            "tab\there",
                                            std::string(1, '\0'),
                                            "\x1f long enough to span words",
                                            "ok"};
  for (const auto& a : strings) {
    for (const auto& b : strings) {
      for (const auto& c : strings) {
        JsonEscapeScan scan;
        scan.add(a);
        scan.add(b);
        scan.add(c);
        ASSERT_EQ(scan.needed(),
                  jsonNeedsEscaping(a) || jsonNeedsEscaping(b) || jsonNeedsEscaping(c))
            << "[" << a << "] [" << b << "] [" << c << "]";
      }
    }
  }
  EXPECT_TRUE(jsonNeedsEscaping("a\""));
  EXPECT_FALSE(jsonNeedsEscaping("[]"));
}

TEST(JsonTest, EveryByteAtEveryPositionOfEveryLengthIsWrittenAsByteByByte) {
  // The writer skips words of eight bytes that need no escape; a byte to escape must be found
  // wherever it sits in a word and whatever the string's length modulo eight.
  // Fillers: ASCII, a UTF-8 lead byte and DEL (neither is escaped; both sit next to the
  // control characters' range in the word arithmetic).
  for (const char filler : {'a', '\xc3', '\x7f'}) {
    for (size_t length = 1; length <= 24; ++length) {
      for (size_t at = 0; at < length; ++at) {
        for (int byte = 0; byte < 256; ++byte) {
          std::string s(length, filler);
          s[at] = static_cast<char>(byte);
          ASSERT_EQ(jsonStringSize(s), referenceJsonString(s).size()) << "length " << length;
          ASSERT_EQ(jsonNeedsEscaping(s), referenceJsonString(s).size() != s.size() + 2)
              << "filler " << int(static_cast<unsigned char>(filler)) << ", length " << length
              << ", byte " << byte << " at " << at;
          ASSERT_EQ(jsonString(s), referenceJsonString(s))
              << "filler " << int(static_cast<unsigned char>(filler)) << ", length " << length
              << ", byte " << byte << " at " << at;
        }
      }
    }
  }
}

}  // namespace
}  // namespace meshsim::sim
