// File: tools/fuzz/http_codec_fuzz.cc
//
// libFuzzer target for the HTTP/1.1 codec (proxy/http/codec.h). Each input is the byte stream
// of one connection, read both as requests and as responses, and checked for:
//   - no crash, hang or sanitizer report, whatever the bytes;
//   - the same messages whether the bytes arrive whole, split at a data-derived point, or (for
//     short inputs) one byte at a time;
//   - every parsed message passes validate*(), and serializing it and parsing the bytes again
//     gives the same message and the same bytes (the round trip codec.h documents);
//   - parseRequest()/parseResponse() agree with the incremental parsers.
// A broken property aborts through MESHSIM_CHECK, which libFuzzer reports as a crash.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "proxy/core/assert.h"
#include "proxy/http/codec.h"
#include "proxy/http/message.h"

namespace {

namespace http = meshsim::proxy::http;

// Inputs up to this size are also fed one byte at a time.
constexpr size_t kMaxBytewiseInput = 2048;

bool sameMessage(const http::Request& a, const http::Request& b) {
  return a.method == b.method && a.scheme == b.scheme && a.authority == b.authority &&
         a.path == b.path && a.headers == b.headers && a.body == b.body;
}

bool sameMessage(const http::Response& a, const http::Response& b) {
  return a.status == b.status && a.headers == b.headers && a.body == b.body;
}

template <typename MessagePtr>
struct Outcome {
  std::vector<MessagePtr> messages;
  bool error = false;
};

// Feeds `pieces` in order the way codec.h tells callers to (re-feeding what a completed
// message left), then closes the connection with finish().
template <typename Parser>
auto readConnection(Parser& parser, const std::vector<std::string_view>& pieces) {
  Outcome<decltype(parser.feed("").message)> out;
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      auto r = parser.feed(piece);
      if (r.status == http::ParseStatus::Error) {
        MESHSIM_CHECK(r.error.code != http::CodecError::None);
        MESHSIM_CHECK(r.error.http_status >= 400 && !r.error.message.empty());
        MESHSIM_CHECK(r.message == nullptr);
        out.error = true;
        return out;
      }
      if (r.status == http::ParseStatus::NeedMore) {
        MESHSIM_CHECK(r.consumed == piece.size());
        break;
      }
      // A message completed by new bytes ends inside them.
      MESHSIM_CHECK(r.consumed > 0 && r.consumed <= piece.size());
      MESHSIM_CHECK(r.message != nullptr);
      out.messages.push_back(std::move(r.message));
      piece.remove_prefix(r.consumed);
    }
  }
  auto r = parser.finish();
  MESHSIM_CHECK(r.consumed == 0);
  if (r.status == http::ParseStatus::Error) {
    out.error = true;
  } else if (r.status == http::ParseStatus::Complete) {
    MESHSIM_CHECK(r.message != nullptr);
    out.messages.push_back(std::move(r.message));
  }
  MESHSIM_CHECK(out.error || parser.idle());
  return out;
}

// Two readings of the same bytes agree: the same messages in the same order, except that one
// that failed may have stopped earlier (an error can show up at a different byte when the
// bytes are split differently, e.g. a bad field line versus an over-long header).
template <typename MessagePtr>
void checkAgree(const Outcome<MessagePtr>& a, const Outcome<MessagePtr>& b) {
  const size_t common = std::min(a.messages.size(), b.messages.size());
  for (size_t i = 0; i < common; ++i) {
    MESHSIM_CHECK(sameMessage(*a.messages[i], *b.messages[i]));
  }
  if (!a.error && !b.error) {
    MESHSIM_CHECK(a.messages.size() == b.messages.size());
  } else if (a.error && !b.error) {
    MESHSIM_CHECK(b.messages.size() <= a.messages.size());
  } else if (!a.error && b.error) {
    MESHSIM_CHECK(a.messages.size() <= b.messages.size());
  }
}

// Limits for parsing serialized messages again: "a:b" is written "a: b", a reason phrase may
// grow, and Host or Content-Length may be added, so the bytes can be a little larger.
http::CodecLimits roomier(const http::CodecLimits& limits) {
  http::CodecLimits out = limits;
  out.max_header_bytes = 2 * limits.max_header_bytes + 4096;
  out.max_header_count = limits.max_header_count + 2;
  return out;
}

void roundTrip(const http::Request& request, const http::CodecLimits& limits) {
  MESHSIM_CHECK(http::validateRequest(request).ok());
  const std::string bytes = http::serializeRequest(request);
  auto again = http::parseRequest(bytes, roomier(limits));
  MESHSIM_CHECK(again.ok());
  MESHSIM_CHECK(sameMessage(request, **again));
  MESHSIM_CHECK(http::serializeRequest(**again) == bytes);
}

void roundTrip(const http::Response& response, const http::CodecLimits& limits) {
  MESHSIM_CHECK(http::validateResponse(response).ok());
  const std::string bytes = http::serializeResponse(response);
  auto again = http::parseResponse(bytes, roomier(limits));
  MESHSIM_CHECK(again.ok());
  MESHSIM_CHECK(sameMessage(response, **again));
  MESHSIM_CHECK(http::serializeResponse(**again) == bytes);
}

template <typename Parser, typename ParseWhole>
void fuzzDirection(std::string_view input, size_t split, const http::CodecLimits& limits,
                   bool head_response, ParseWhole parse_whole) {
  auto make = [&] {
    Parser parser(limits);
    if constexpr (std::is_same_v<Parser, http::ResponseParser>) {
      if (head_response) {
        parser.expectHeadResponse();
      }
    }
    return parser;
  };

  Parser whole_parser = make();
  const auto whole = readConnection(whole_parser, {input});

  Parser split_parser = make();
  checkAgree(whole, readConnection(split_parser, {input.substr(0, split), input.substr(split)}));

  if (input.size() <= kMaxBytewiseInput) {
    std::vector<std::string_view> bytes;
    bytes.reserve(input.size());
    for (size_t i = 0; i < input.size(); ++i) {
      bytes.push_back(input.substr(i, 1));
    }
    Parser bytewise_parser = make();
    checkAgree(whole, readConnection(bytewise_parser, bytes));
  }

  for (const auto& message : whole.messages) {
    roundTrip(*message, limits);
  }

  // The whole-buffer function sees the same first message, and succeeds only when it is the
  // only thing in the input. (It never expects a HEAD response, so compare only without.)
  if (!head_response) {
    auto parsed = parse_whole(input, limits);
    if (parsed.ok()) {
      MESHSIM_CHECK(!whole.messages.empty());
      MESHSIM_CHECK(sameMessage(*whole.messages.front(), **parsed));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Data-derived choices: where to split, and whether to use small limits so that inputs of a
  // few hundred bytes reach the limit checks too.
  const size_t selector = size == 0 ? 0 : data[size / 2] + 31u * data[size - 1];
  const size_t split = selector % (size + 1);
  http::CodecLimits limits;
  if ((selector >> 3) & 1) {
    limits.max_header_bytes = 256;
    limits.max_header_count = 8;
    limits.max_body_bytes = 64;
  }
  const bool head_response = ((selector >> 4) & 3) == 0;

  fuzzDirection<http::RequestParser>(input, split, limits, /*head_response=*/false,
                                     [](std::string_view bytes, const http::CodecLimits& l) {
                                       return http::parseRequest(bytes, l);
                                     });
  fuzzDirection<http::ResponseParser>(input, split, limits, head_response,
                                      [](std::string_view bytes, const http::CodecLimits& l) {
                                        return http::parseResponse(bytes, l);
                                      });
  return 0;
}
