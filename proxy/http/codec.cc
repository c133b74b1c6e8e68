#include "proxy/http/codec.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>

#include "proxy/core/assert.h"

namespace meshsim::proxy::http {
namespace {

namespace beast_http = boost::beast::http;
using ErrorCode = boost::system::error_code;
using BeastStringView = boost::beast::string_view;

// RFC 9110 section 5.6.2: tchar.
bool isTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// What Beast's parser accepts in a request-target: visible ASCII and obs-text.
bool isTargetByte(unsigned char c) {
  return c > 0x20 && c != 0x7f;
}

// RFC 3986 authority without userinfo: reg-name / IP-literal characters and ':' for the port.
bool isAuthorityByte(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("-._~%!$&'()*+,;=:[]").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

// RFC 9110 section 5.5: field values hold no control characters except HTAB.
bool isValueByte(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

bool isOws(char c) {
  return c == ' ' || c == '\t';
}

bool allOf(std::string_view s, bool (*pred)(unsigned char)) {
  return std::all_of(s.begin(), s.end(),
                     [pred](char c) { return pred(static_cast<unsigned char>(c)); });
}

// Percent-encodes every byte of `s` that `allowed` rejects; '%' and hex digits are tchars,
// target and authority bytes, so the result passes `allowed` in every use here.
std::string percentEncodeInvalid(std::string_view s, bool (*allowed)(unsigned char)) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (allowed(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && isOws(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// Framing fields the codec owns; Host is the request's `authority`.
bool isFramingField(std::string_view lower_name) {
  return lower_name == "content-length" || lower_name == "transfer-encoding";
}

std::string quoted(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  out.append(s.substr(0, kMaxShown));
  if (s.size() > kMaxShown) {
    out.append("...");
  }
  out.push_back('"');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing.

int statusFor(CodecError code) {
  switch (code) {
    case CodecError::None:
      return 0;
    case CodecError::HeaderTooLarge:
    case CodecError::TooManyHeaders:
      return 431;
    case CodecError::BodyTooLarge:
      return 413;
    case CodecError::UnsupportedTransferEncoding:
      return 501;
    case CodecError::Internal:
      return 500;
    case CodecError::ConflictingFraming:
    case CodecError::BadContentLength:
    case CodecError::BadTransferEncoding:
    case CodecError::BadHost:
    case CodecError::Malformed:
    case CodecError::Truncated:
      return 400;
  }
  return 400;
}

std::string_view toStd(BeastStringView s) {
  return {s.data(), s.size()};
}

// Beast's parser for one message, building our Request/Response directly: fields are kept in
// arrival order (Beast's own fields container would move a repeated name up to its first
// occurrence), Host goes to `authority`, framing fields are noted but not stored, and chunked
// trailers are dropped.
template <bool IsRequest>
class MessageParser final : public beast_http::basic_parser<IsRequest> {
public:
  using Message = std::conditional_t<IsRequest, Request, Response>;

  explicit MessageParser(size_t max_header_count)
      : max_header_count_(max_header_count), message_(std::make_unique<Message>()) {}

  std::unique_ptr<Message> takeMessage() { return std::move(message_); }
  Message& message() { return *message_; }
  const Message& message() const { return *message_; }
  int version() const { return version_; }
  size_t hostCount() const { return host_count_; }
  bool sawContentLength() const { return saw_content_length_; }
  bool sawTransferEncoding() const { return saw_transfer_encoding_; }
  // The Transfer-Encoding list elements, in order, across all its field lines.
  const std::vector<std::string>& codings() const { return codings_; }
  // Whether the parse stopped because a field line was over max_header_count.
  bool tooManyFields() const { return too_many_fields_; }
  // Bytes of the current chunk's data not received yet (0 between chunks).
  std::uint64_t chunkRemaining() const { return chunk_remaining_; }

private:
  // beast::http::basic_parser
  void on_request_impl(beast_http::verb /*method*/, BeastStringView method_str,
                       BeastStringView target, int version, ErrorCode& /*ec*/) override {
    if constexpr (IsRequest) {
      message_->method.assign(method_str.data(), method_str.size());
      message_->path.assign(target.data(), target.size());
    }
    version_ = version;
  }

  void on_response_impl(int code, BeastStringView /*reason*/, int version,
                        ErrorCode& /*ec*/) override {
    if constexpr (!IsRequest) {
      message_->status = code;
    }
    version_ = version;
  }

  void on_field_impl(beast_http::field name, BeastStringView name_string, BeastStringView value,
                     ErrorCode& ec) override {
    if (this->is_header_done()) {
      return;  // A chunked trailer field.
    }
    if (++field_count_ > max_header_count_) {
      too_many_fields_ = true;
      ec = beast_http::error::bad_field;  // Stops Beast; mapped to TooManyHeaders.
      return;
    }
    if (name == beast_http::field::content_length) {
      saw_content_length_ = true;
      return;
    }
    if (name == beast_http::field::transfer_encoding) {
      saw_transfer_encoding_ = true;
      std::string_view list = toStd(value);
      while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view element = trimOws(list.substr(0, comma));
        if (!element.empty()) {
          codings_.emplace_back(element);
        }
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
      return;
    }
    if constexpr (IsRequest) {
      if (name == beast_http::field::host) {
        ++host_count_;
        message_->authority.assign(value.data(), value.size());
        return;
      }
    }
    const std::string_view name_view = toStd(name_string);
    if (name_view.size() <= kLowerOnStack) {
      // Lower-cased on the stack: a well-known long name then costs no allocation at all.
      char lower[kLowerOnStack];
      std::transform(name_view.begin(), name_view.end(), lower, toLowerAscii);
      message_->headers.add(std::string_view(lower, name_view.size()), toStd(value));
    } else {
      message_->headers.addOwned(toLower(name_view), std::string(toStd(value)));
    }
  }

  static constexpr size_t kLowerOnStack = 64;

  void on_header_impl(ErrorCode& /*ec*/) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         ErrorCode& /*ec*/) override {
    // Beast has already checked the length against body_limit.
    if (content_length) {
      message_->body.reserve(static_cast<size_t>(*content_length));
    }
  }

  size_t on_body_impl(BeastStringView body, ErrorCode& /*ec*/) override {
    message_->body.append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t size, BeastStringView /*extensions*/,
                            ErrorCode& /*ec*/) override {
    chunk_remaining_ = size;
  }

  size_t on_chunk_body_impl(std::uint64_t remain, BeastStringView body,
                            ErrorCode& /*ec*/) override {
    message_->body.append(body.data(), body.size());
    chunk_remaining_ = remain - body.size();
    return body.size();
  }

  void on_finish_impl(ErrorCode& /*ec*/) override {}

  const size_t max_header_count_;
  std::unique_ptr<Message> message_;
  int version_ = 11;
  size_t field_count_ = 0;
  size_t host_count_ = 0;
  bool saw_content_length_ = false;
  bool saw_transfer_encoding_ = false;
  bool too_many_fields_ = false;
  std::uint64_t chunk_remaining_ = 0;
  std::vector<std::string> codings_;
};

// Whether `framing` (chunk-size lines, the CRLF after chunk data, the last chunk and trailer
// section) has a line feed without its carriage return. Beast only ends those lines at CRLF
// and would wait for one that never comes.
bool hasBareLineFeed(std::string_view framing) {
  for (size_t i = framing.find('\n'); i != std::string_view::npos; i = framing.find('\n', i + 1)) {
    if (i == 0 || framing[i - 1] != '\r') {
      return true;
    }
  }
  return false;
}

// The state and logic shared by RequestParser and ResponseParser. A MessageParser is made per
// message (Beast parsers are single-use). The header is parsed with eager(false), so put()
// stops at its end and the header can be measured and checked before any body byte is taken;
// the body with eager(true), so one put() takes all it can.
template <bool IsRequest>
class ParserCore {
public:
  using MessagePtr = std::conditional_t<IsRequest, RequestPtr, ResponsePtr>;
  using Result = ParseResult<MessagePtr>;

  explicit ParserCore(const CodecLimits& limits) : limits_(limits) {}

  Result feed(std::string_view data) {
    if (failed_) {
      return errorResult();
    }
    // Parse straight from `data` when nothing is buffered (the common case: no copy);
    // otherwise append to the buffered bytes, since Beast needs a header contiguous.
    const bool buffered = !buffer_.empty();
    size_t prior = 0;
    std::string_view input = data;
    if (buffered) {
      prior = buffer_.size();
      buffer_.append(data);
      input = buffer_;
    }
    size_t used = 0;
    const ParseStatus status = guardedRun(input, used);
    if (status == ParseStatus::NeedMore) {
      if (buffered) {
        buffer_.erase(0, used);
      } else {
        buffer_.assign(input.substr(used));
      }
      Result result;
      result.consumed = data.size();
      return result;
    }
    buffer_.clear();
    if (status == ParseStatus::Error) {
      return errorResult();
    }
    // Beast never looks past the end of a message, so a message still incomplete before this
    // call ends inside this call's `data`.
    if (used < prior) {
      fail(CodecError::Internal, "message ended inside bytes fed earlier");
      return errorResult();
    }
    Result result = completeResult();
    result.consumed = used - prior;
    return result;
  }

  Result finish() {
    if (failed_) {
      return errorResult();
    }
    if (!parser_) {
      // Nothing but skipped empty lines (or half of one) arrived: a clean close.
      buffer_.clear();
      header_bytes_ = 0;
      return Result{};
    }
    try {
      ErrorCode ec;
      parser_->put_eof(ec);
      if (ec || !parser_->is_done()) {
        fail(CodecError::Truncated, "connection closed in the middle of a message");
        return errorResult();
      }
      buffer_.clear();
      return completeResult();
    } catch (const std::exception& e) {
      fail(CodecError::Internal, std::string("parser failed: ") + e.what());
      return errorResult();
    }
  }

  bool idle() const { return !failed_ && !parser_ && buffer_.empty() && header_bytes_ == 0; }

  // Requests only: see RequestParser::expectsContinue().
  bool expectsContinue() const {
    if (failed_ || !parser_ || !parser_->is_header_done() || parser_->is_done() ||
        parser_->version() < 11) {
      return false;
    }
    const std::string* expect = parser_->message().headers.get("expect");
    return expect != nullptr && equalsIgnoreCase(*expect, "100-continue");
  }

  void expectHeadResponse() { skip_next_body_ = true; }

private:
  // Runs run() and turns anything thrown (std::bad_alloc) into an error result.
  ParseStatus guardedRun(std::string_view input, size_t& used) {
    try {
      return run(input, used);
    } catch (const std::exception& e) {
      return fail(CodecError::Internal, std::string("parser failed: ") + e.what());
    }
  }

  // Parses as much of `input` as it can; `used` receives the bytes consumed.
  ParseStatus run(std::string_view input, size_t& used) {
    used = 0;
    if (!parser_) {
      // RFC 9112 section 2.2: skip empty lines before the start line. They count toward the
      // header limit so that a stream of them cannot go on forever.
      while (input.size() - used >= 2 && input[used] == '\r' && input[used + 1] == '\n') {
        used += 2;
        header_bytes_ += 2;
      }
      const size_t rest = input.size() - used;
      if (rest == 0 || (rest == 1 && input[used] == '\r')) {
        if (header_bytes_ + rest > limits_.max_header_bytes) {
          return fail(CodecError::HeaderTooLarge, headerTooLargeMessage());
        }
        return ParseStatus::NeedMore;
      }
      startMessage();
    }

    if (!parser_->is_header_done()) {
      ErrorCode ec;
      const size_t n = put(input.substr(used), ec);
      used += n;
      header_bytes_ += n;
      if (ec == beast_http::error::need_more) {
        // Everything left over is part of the unfinished header.
        if (header_bytes_ + (input.size() - used) > limits_.max_header_bytes) {
          return fail(CodecError::HeaderTooLarge, headerTooLargeMessage());
        }
        return ParseStatus::NeedMore;
      }
      if (ec) {
        return failFromBeast(ec);
      }
      if (header_bytes_ > limits_.max_header_bytes) {
        return fail(CodecError::HeaderTooLarge, headerTooLargeMessage());
      }
      if (!checkHeader()) {
        return ParseStatus::Error;
      }
      parser_->eager(true);
    }

    while (!parser_->is_done() && used < input.size()) {
      // Beast 1.74 asserts (in debug builds) when it resumes a last chunk with fewer than 5
      // bytes, e.g. "0\r\n" then "\r" (fixed upstream in boostorg/beast#2861). No chunked body
      // can end within fewer than 5 bytes ("0\r\n\r\n"), so waiting for more loses nothing.
      if (parser_->chunked() && input.size() - used < 5) {
        break;
      }
      ErrorCode ec;
      const size_t n = put(input.substr(used), ec);
      used += n;
      if (ec == beast_http::error::need_more) {
        break;
      }
      if (ec) {
        return failFromBeast(ec);
      }
      if (n == 0) {
        break;
      }
    }
    if (parser_->is_done()) {
      return ParseStatus::Complete;
    }
    if (parser_->chunked()) {
      // What is left after the current chunk's data is framing. A bare LF there can never end
      // the message (e.g. a last chunk "0\n\r\n" or "0\r\n\n"): refuse it at once, as a bare LF
      // in the header section is, rather than wait for bytes that will not come.
      const std::string_view rest = input.substr(used);
      const auto data =
          static_cast<size_t>(std::min<std::uint64_t>(parser_->chunkRemaining(), rest.size()));
      if (hasBareLineFeed(rest.substr(data))) {
        return fail(CodecError::Malformed, "line feed without carriage return in chunked framing");
      }
    }
    // Beast takes body bytes as they come; only a partial chunk-size line or trailer section
    // can be left over, and it must not grow without bound.
    if (input.size() - used > limits_.max_header_bytes) {
      return fail(CodecError::Malformed, "chunk-size line or trailer section is longer than " +
                                             std::to_string(limits_.max_header_bytes) + " bytes");
    }
    return ParseStatus::NeedMore;
  }

  size_t put(std::string_view bytes, ErrorCode& ec) {
    return parser_->put(boost::asio::const_buffer(bytes.data(), bytes.size()), ec);
  }

  void startMessage() {
    parser_.emplace(limits_.max_header_count);
    constexpr size_t kMaxBeastHeaderLimit = std::numeric_limits<std::uint32_t>::max();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min(limits_.max_header_bytes, kMaxBeastHeaderLimit)));
    parser_->body_limit(static_cast<std::uint64_t>(limits_.max_body_bytes));
    parser_->eager(false);
    if constexpr (!IsRequest) {
      if (skip_next_body_) {
        parser_->skip(true);
        skip_next_body_ = false;
      }
    }
  }

  std::string headerTooLargeMessage() const {
    return "header section is larger than " + std::to_string(limits_.max_header_bytes) + " bytes";
  }

  // Maps a Beast error. Beast rejects some framing conflicts itself while reading the fields;
  // the fields read before the offending one tell which conflict it was.
  ParseStatus failFromBeast(const ErrorCode& ec) {
    if (parser_->tooManyFields()) {
      return fail(CodecError::TooManyHeaders,
                  "more than " + std::to_string(limits_.max_header_count) + " header fields");
    }
    if (ec == beast_http::error::header_limit) {
      return fail(CodecError::HeaderTooLarge, headerTooLargeMessage());
    }
    if (ec == beast_http::error::body_limit) {
      return fail(CodecError::BodyTooLarge,
                  "body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
    }
    if (ec == beast_http::error::bad_content_length) {
      if (parser_->sawTransferEncoding()) {
        return fail(CodecError::ConflictingFraming,
                    "both Transfer-Encoding and Content-Length are present");
      }
      return fail(CodecError::BadContentLength,
                  "Content-Length is not a number or differs from an earlier one");
    }
    if (ec == beast_http::error::bad_transfer_encoding) {
      if (parser_->sawContentLength()) {
        return fail(CodecError::ConflictingFraming,
                    "both Content-Length and Transfer-Encoding are present");
      }
      return fail(CodecError::BadTransferEncoding, "chunked is applied more than once");
    }
    return fail(CodecError::Malformed, "malformed message: " + ec.message());
  }

  // Checks what Beast accepts but RFC 9112 does not; returns false after fail().
  bool checkHeader() {
    const MessageParser<IsRequest>& p = *parser_;
    // Transfer-Encoding (RFC 9112 sections 6.1 and 6.3).
    if (p.sawTransferEncoding()) {
      const auto& codings = p.codings();
      if (p.sawContentLength()) {
        return failed(CodecError::ConflictingFraming,
                      "both Content-Length and Transfer-Encoding are present");
      }
      if (p.version() < 11) {
        return failed(CodecError::BadTransferEncoding, "Transfer-Encoding in an HTTP/1.0 message");
      }
      if (codings.empty() || !equalsIgnoreCase(codings.back(), "chunked")) {
        return failed(CodecError::BadTransferEncoding,
                      "Transfer-Encoding does not end with chunked");
      }
      const auto chunked = std::count_if(codings.begin(), codings.end(), [](const std::string& c) {
        return equalsIgnoreCase(c, "chunked");
      });
      if (chunked > 1) {
        return failed(CodecError::BadTransferEncoding, "chunked is applied more than once");
      }
      if (codings.size() > 1) {
        return failed(CodecError::UnsupportedTransferEncoding,
                      "unsupported transfer coding " + quoted(codings.front()));
      }
    }

    if constexpr (IsRequest) {
      // RFC 9112 section 3.2.
      if (p.hostCount() > 1) {
        return failed(CodecError::BadHost, "more than one Host field");
      }
      if (p.hostCount() == 0 && p.version() >= 11) {
        return failed(CodecError::BadHost, "HTTP/1.1 request without Host");
      }
      const std::string& host = parser_->message().authority;
      if (!allOf(host, isAuthorityByte)) {
        return failed(CodecError::BadHost, "invalid Host " + quoted(host));
      }
    } else {
      // Beast reads any three digits.
      if (parser_->message().status < 100) {
        return failed(CodecError::Malformed,
                      "status code " + std::to_string(parser_->message().status) + " is below 100");
      }
    }
    return true;
  }

  Result completeResult() {
    Result result;
    result.status = ParseStatus::Complete;
    result.http10 = parser_->version() == 10;
    result.keep_alive = parser_->keep_alive();
    result.message = parser_->takeMessage();
    parser_.reset();
    header_bytes_ = 0;
    return result;
  }

  ParseStatus fail(CodecError code, std::string message) {
    failed_ = true;
    error_.code = code;
    error_.http_status = IsRequest ? statusFor(code) : 502;
    error_.message = std::move(message);
    parser_.reset();
    return ParseStatus::Error;
  }

  // fail() for checkHeader(): always returns false.
  bool failed(CodecError code, std::string message) {
    fail(code, std::move(message));
    return false;
  }

  Result errorResult() const {
    Result result;
    result.status = ParseStatus::Error;
    result.error = error_;
    return result;
  }

  CodecLimits limits_;
  std::optional<MessageParser<IsRequest>> parser_;
  // Bytes fed but not consumed by Beast: the unfinished part of a header, chunk-size line or
  // trailer section. Bounded by limits_.max_header_bytes.
  std::string buffer_;
  // Header bytes of the current message Beast has consumed, skipped empty lines included.
  size_t header_bytes_ = 0;
  bool skip_next_body_ = false;
  bool failed_ = false;
  ParseError error_;
};

template <typename MessagePtr>
StatusOr<MessagePtr> wholeMessage(ParseResult<MessagePtr> result, size_t size) {
  if (result.status == ParseStatus::Error) {
    const ParseError& e = result.error;
    std::string message(codecErrorName(e.code));
    message += " (" + std::to_string(e.http_status) + "): " + e.message;
    if (e.code == CodecError::Internal) {
      return internalError(std::move(message));
    }
    return invalidArgumentError(std::move(message));
  }
  if (result.status == ParseStatus::NeedMore) {
    return invalidArgumentError(size == 0 ? "empty input" : "no message in the input");
  }
  if (result.consumed != size) {
    return invalidArgumentError(std::to_string(size - result.consumed) +
                                " bytes follow the message");
  }
  return std::move(result.message);
}

// Parses `bytes` as one whole message; the end of `bytes` is the connection close.
template <typename Parser>
auto parseWhole(Parser& parser, std::string_view bytes) {
  auto result = parser.feed(bytes);
  if (result.status == ParseStatus::NeedMore) {
    result = parser.finish();
    if (result.status == ParseStatus::Complete) {
      // finish() reports no bytes; the whole input went into the message.
      result.consumed = bytes.size();
    }
  }
  return wholeMessage(std::move(result), bytes.size());
}

// ---------------------------------------------------------------------------------------------
// Serializing.

// The Fields type of the messages handed to Beast's serializer: a header block already
// rendered in HeaderMap order. Beast's basic_fields would move a repeated field name up to its
// first occurrence, breaking "headers in map order"; Fields is Beast's customisation point for
// exactly this. The header never changes once rendered, so the setters Beast requires do
// nothing.
class RenderedFields {
public:
  // Beast's FieldsWriter: hands the serializer the header block.
  class writer {  // NOLINT(readability-identifier-naming): Beast concept name.
  public:
    using const_buffers_type =  // NOLINT(readability-identifier-naming): Beast concept name.
        boost::asio::const_buffer;

    writer(const RenderedFields& fields, unsigned /*version*/, beast_http::verb /*method*/)
        : buffer_(fields.text.data(), fields.text.size()) {}
    writer(const RenderedFields& fields, unsigned /*version*/, unsigned /*status*/)
        : buffer_(fields.text.data(), fields.text.size()) {}

    const_buffers_type get() const { return buffer_; }

  private:
    const_buffers_type buffer_;
  };

  // The start line, field lines and empty line, exactly as written on the wire; the string it
  // views outlives the message and its serializer.
  std::string_view text;

  // The Fields requirements of beast::http::header (names are Beast's).
  // NOLINTBEGIN(readability-identifier-naming, readability-convert-member-functions-to-static)
protected:
  BeastStringView get_method_impl() const { return {}; }
  BeastStringView get_target_impl() const { return {}; }
  BeastStringView get_reason_impl() const { return {}; }
  bool get_chunked_impl() const { return false; }
  bool get_keep_alive_impl(unsigned /*version*/) const { return true; }
  bool has_content_length_impl() const { return true; }
  void set_method_impl(BeastStringView /*s*/) {}
  void set_target_impl(BeastStringView /*s*/) {}
  void set_reason_impl(BeastStringView /*s*/) {}
  void set_chunked_impl(bool /*value*/) {}
  void set_content_length_impl(const boost::optional<std::uint64_t>& /*value*/) {}
  void set_keep_alive_impl(unsigned /*version*/, bool /*keep_alive*/) {}
  // NOLINTEND(readability-identifier-naming, readability-convert-member-functions-to-static)
};

using SpanBody = beast_http::span_body<const char>;

// Runs Beast's serializer over a header block and a body, returning the bytes.
template <bool IsRequest>
std::string writeMessage(std::string_view header, std::string_view body) {
  beast_http::message<IsRequest, SpanBody, RenderedFields> msg;
  msg.text = header;
  msg.body() = SpanBody::value_type(body.data(), body.size());

  std::string out;
  out.reserve(msg.text.size() + body.size());
  beast_http::serializer<IsRequest, SpanBody, RenderedFields> serializer(msg);
  ErrorCode ec;
  while (!serializer.is_done()) {
    serializer.next(ec, [&](ErrorCode& visit_ec, const auto& buffers) {
      visit_ec = {};
      size_t n = 0;
      for (const auto buffer : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(buffer.data()), buffer.size());
        n += buffer.size();
      }
      serializer.consume(n);
    });
    if (ec) {
      break;  // Memory-backed bodies cannot fail; stop rather than loop.
    }
  }
  return out;
}

// Makes a field value writable: control characters become spaces (RFC 9110 section 5.5 allows
// this repair) and surrounding whitespace, which a parser would strip, is dropped.
std::string sanitizeValue(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (!isValueByte(static_cast<unsigned char>(c))) {
      c = ' ';
    }
  }
  return std::string(trimOws(out));
}

// Appends "name: value\r\n" for the map's entries in order, skipping those the codec writes
// itself.
void appendHeaders(const HeaderMap& headers, bool skip_host, std::string& out) {
  for (const auto& [name, value] : headers) {
    const std::string lower = percentEncodeInvalid(toLower(name), isTchar);
    if (lower.empty() || isFramingField(lower) || (skip_host && lower == "host")) {
      continue;
    }
    out.append(lower).append(": ").append(sanitizeValue(value)).append("\r\n");
  }
}

bool methodCarriesBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

bool statusForbidsBody(int status) {
  return status / 100 == 1 || status == 204 || status == 304;
}

Status checkHeaders(const HeaderMap& headers, bool is_request) {
  for (const auto& [name, value] : headers) {
    if (isFramingField(name) || (is_request && name == "host")) {
      return invalidArgumentError("header " + quoted(name) +
                                  ": written by the codec, not taken from the map");
    }
    if (name.empty()) {
      return invalidArgumentError("header with an empty name");
    }
    if (!allOf(name, isTchar)) {
      return invalidArgumentError("header " + quoted(name) + ": name is not an HTTP token");
    }
    if (toLower(name) != name) {
      return invalidArgumentError("header " + quoted(name) + ": name is not lower-case");
    }
    if (!allOf(value, isValueByte)) {
      return invalidArgumentError("header " + quoted(name) + ": value has a control character");
    }
    if (!value.empty() && (isOws(value.front()) || isOws(value.back()))) {
      return invalidArgumentError("header " + quoted(name) +
                                  ": value starts or ends with whitespace");
    }
  }
  return okStatus();
}

}  // namespace

std::string_view codecErrorName(CodecError error) {
  switch (error) {
    case CodecError::None:
      return "None";
    case CodecError::HeaderTooLarge:
      return "HeaderTooLarge";
    case CodecError::TooManyHeaders:
      return "TooManyHeaders";
    case CodecError::BodyTooLarge:
      return "BodyTooLarge";
    case CodecError::ConflictingFraming:
      return "ConflictingFraming";
    case CodecError::BadContentLength:
      return "BadContentLength";
    case CodecError::BadTransferEncoding:
      return "BadTransferEncoding";
    case CodecError::UnsupportedTransferEncoding:
      return "UnsupportedTransferEncoding";
    case CodecError::BadHost:
      return "BadHost";
    case CodecError::Malformed:
      return "Malformed";
    case CodecError::Truncated:
      return "Truncated";
    case CodecError::Internal:
      return "Internal";
  }
  return "Unknown";
}

// ---------------------------------------------------------------------------------------------

class RequestParser::Impl : public ParserCore<true> {
public:
  using ParserCore::ParserCore;
};

RequestParser::RequestParser(const CodecLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
RequestParser::~RequestParser() = default;
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;

RequestParseResult RequestParser::feed(std::string_view data) {
  return impl_->feed(data);
}
RequestParseResult RequestParser::finish() {
  return impl_->finish();
}
bool RequestParser::idle() const {
  return impl_->idle();
}
bool RequestParser::expectsContinue() const {
  return impl_->expectsContinue();
}

class ResponseParser::Impl : public ParserCore<false> {
public:
  using ParserCore::ParserCore;
};

ResponseParser::ResponseParser(const CodecLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
ResponseParser::~ResponseParser() = default;
ResponseParser::ResponseParser(ResponseParser&&) noexcept = default;
ResponseParser& ResponseParser::operator=(ResponseParser&&) noexcept = default;

ResponseParseResult ResponseParser::feed(std::string_view data) {
  return impl_->feed(data);
}
ResponseParseResult ResponseParser::finish() {
  return impl_->finish();
}
void ResponseParser::expectHeadResponse() {
  impl_->expectHeadResponse();
}
bool ResponseParser::idle() const {
  return impl_->idle();
}

// ---------------------------------------------------------------------------------------------

std::string serializeRequest(const Request& request) {
  std::string header;
  header.reserve(64 + request.method.size() + request.path.size() + request.authority.size());
  header.append(request.method.empty() ? std::string("GET")
                                       : percentEncodeInvalid(request.method, isTchar));
  header.push_back(' ');
  header.append(request.path.empty() ? std::string("/")
                                     : percentEncodeInvalid(request.path, isTargetByte));
  header.append(" HTTP/1.1\r\nhost: ");
  header.append(percentEncodeInvalid(request.authority, isAuthorityByte)).append("\r\n");
  appendHeaders(request.headers, /*skip_host=*/true, header);
  if (!request.body.empty() || methodCarriesBody(request.method)) {
    header.append("content-length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  header.append("\r\n");
  return writeMessage<true>(header, request.body);
}

std::string serializeResponse(const Response& response) {
  // A body left out because nothing would read it exists only inside a simulation; bytes that
  // say otherwise must never reach a socket.
  MESHSIM_CHECK(response.unread_body_bytes == 0);
  const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  std::string header = "HTTP/1.1 " + std::to_string(status) + " ";
  header.append(reasonPhrase(status)).append("\r\n");
  appendHeaders(response.headers, /*skip_host=*/false, header);
  std::string_view body;
  if (!statusForbidsBody(status)) {
    body = response.body;
    header.append("content-length: ").append(std::to_string(body.size())).append("\r\n");
  }
  header.append("\r\n");
  return writeMessage<false>(header, body);
}

Status validateRequest(const Request& request) {
  if (request.method.empty() || !allOf(request.method, isTchar)) {
    return invalidArgumentError("method " + quoted(request.method) + " is not an HTTP token");
  }
  if (request.path.empty() || !allOf(request.path, isTargetByte)) {
    return invalidArgumentError("path " + quoted(request.path) +
                                " is empty or has spaces or control characters");
  }
  if (!allOf(request.authority, isAuthorityByte)) {
    return invalidArgumentError("authority " + quoted(request.authority) +
                                " has characters not allowed in Host");
  }
  return checkHeaders(request.headers, /*is_request=*/true);
}

Status validateResponse(const Response& response) {
  if (response.status < 100 || response.status > 999) {
    return invalidArgumentError("status " + std::to_string(response.status) +
                                " is outside 100..999");
  }
  if (statusForbidsBody(response.status) && !response.body.empty()) {
    return invalidArgumentError("status " + std::to_string(response.status) +
                                " cannot carry a body");
  }
  return checkHeaders(response.headers, /*is_request=*/false);
}

StatusOr<RequestPtr> parseRequest(std::string_view bytes, const CodecLimits& limits) {
  RequestParser parser(limits);
  return parseWhole(parser, bytes);
}

StatusOr<ResponsePtr> parseResponse(std::string_view bytes, const CodecLimits& limits) {
  ResponseParser parser(limits);
  return parseWhole(parser, bytes);
}

namespace {

bool skippedField(std::string_view name) {
  return name.empty() || name == "host" || name == "content-length" || name == "transfer-encoding";
}

bool writesContentLength(const Request& request) {
  // As string_views: a length check first, no strlen and no out-of-line compare per method.
  const std::string_view method = request.method;
  return !request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

uint64_t requestHeaderBytes(const Request& request) {
  constexpr std::string_view kHttp11 = "HTTP/1.1";
  // "METHOD SP path SP HTTP/1.1 CRLF" "host: authority CRLF"
  uint64_t n = (request.method.empty() ? 3 : request.method.size()) + 1 +
               (request.path.empty() ? 1 : request.path.size()) + 1 + kHttp11.size() + 2;
  n += 6 + request.authority.size() + 2;
  for (const auto& [name, value] : request.headers) {
    if (!skippedField(name)) {
      n += name.size() + 2 + value.size() + 2;
    }
  }
  if (writesContentLength(request)) {
    n += std::string_view("content-length: ").size() + std::to_string(request.body.size()).size() +
         2;
  }
  return n + 2;
}

size_t requestFieldCount(const Request& request) {
  size_t n = 1;  // host
  for (const auto& [name, value] : request.headers) {
    n += skippedField(name) ? 0 : 1;
  }
  return n + (writesContentLength(request) ? 1 : 0);
}

int limitStatus(const Request& request, uint64_t header_bytes, const CodecLimits& limits) {
  // A request has at most its header entries, host and content-length as field lines: only a
  // request near the count limit needs them counted.
  if (header_bytes > limits.max_header_bytes ||
      (request.headers.size() + 2 > limits.max_header_count &&
       requestFieldCount(request) > limits.max_header_count)) {
    return 431;
  }
  return request.body.size() > limits.max_body_bytes ? 413 : 0;
}

int limitStatus(const Request& request, const CodecLimits& limits) {
  // Every proxied request is checked, and nearly all are far within the limits: first a bound
  // that needs no look at the field names (every field counted with its framing, a
  // content-length field assumed). Within the limits, the exact figures are too.
  if (request.headers.size() + 2 <= limits.max_header_count) {
    constexpr uint64_t kFixed = 1 + 1 + 8 + 2 +  // spaces, "HTTP/1.1", CRLF
                                6 + 2 +          // "host: ", CRLF
                                16 + 20 + 2 +    // "content-length: ", digits, CRLF
                                2;               // the empty line
    uint64_t bound = kFixed + std::max<size_t>(request.method.size(), 3) +
                     std::max<size_t>(request.path.size(), 1) + request.authority.size();
    for (const auto& [name, value] : request.headers) {
      bound += name.size() + value.size() + 4;
    }
    if (bound <= limits.max_header_bytes) {
      return request.body.size() > limits.max_body_bytes ? 413 : 0;
    }
  }
  if (requestHeaderBytes(request) > limits.max_header_bytes ||
      requestFieldCount(request) > limits.max_header_count) {
    return 431;
  }
  return request.body.size() > limits.max_body_bytes ? 413 : 0;
}

}  // namespace meshsim::proxy::http
