#pragma once

// File: proxy/http/codec.h
//
// The HTTP/1.1 codec: Request/Response objects to wire bytes and back, on top of Boost.Beast's
// buffer-oriented parser and serializer. It does no I/O and never throws: callers feed the
// bytes they received from any transport (asio socket, VirtualNetwork) and write the strings
// the serializers return.
//
// Framing belongs to the codec. The parsers decode Content-Length and chunked bodies into
// `body` and leave Content-Length and Transfer-Encoding out of the HeaderMap; the serializers
// ignore such entries and write their own Content-Length. Hence, for a message `m` that
// validateRequest()/validateResponse() accepts, parsing the serialized bytes gives `m` back
// (except `tag`/`origin`, which never travel, and a request `scheme`, always "http").
//
// Example (one connection's receive path):
//   RequestParseResult r = parser.feed(data);          // `data`: bytes just received
//   while (r.status == ParseStatus::Complete) {        // pipelined requests
//     handle(std::move(r.message));
//     data.remove_prefix(r.consumed);
//     r = parser.feed(data);
//   }
//   if (r.status == ParseStatus::Error) sendLocalReply(r.error.http_status);

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/core/status.h"
#include "proxy/http/message.h"

namespace meshsim::proxy::http {

// Envoy's max_request_headers_kb defaults to 60.
inline constexpr size_t kDefaultMaxHeaderBytes = size_t{60} * 1024;
// Envoy's max_request_headers_count defaults to 100.
inline constexpr size_t kDefaultMaxHeaderCount = 100;
inline constexpr size_t kDefaultMaxBodyBytes = size_t{1024} * 1024;

// What a parser accepts. The same limits apply to requests and responses.
struct CodecLimits {
  // Largest header section: start line, field lines and the empty line ending it, plus any
  // empty lines before the start line (RFC 9112 section 2.2 lets a server skip those). Also
  // bounds a chunk-size line and a chunked trailer section.
  size_t max_header_bytes = kDefaultMaxHeaderBytes;
  // Most field lines in a header section, Host and framing fields included.
  size_t max_header_count = kDefaultMaxHeaderCount;
  // Largest decoded body.
  size_t max_body_bytes = kDefaultMaxBodyBytes;
};

enum class ParseStatus {
  // Every fed byte was taken; the message is not complete yet.
  NeedMore,
  // A message is complete; `consumed` says how many of the fed bytes it used.
  Complete,
  // The input is not an acceptable message; the parser stays failed.
  Error,
};

// Why a message was refused. The comment gives the status a server answers with; a
// ResponseParser reports 502 for every error instead, since the fault is the upstream's.
enum class CodecError {
  None,
  // 431: header section larger than CodecLimits::max_header_bytes.
  HeaderTooLarge,
  // 431: more field lines than CodecLimits::max_header_count.
  TooManyHeaders,
  // 413: body larger than CodecLimits::max_body_bytes (declared or received).
  BodyTooLarge,
  // 400: both Content-Length and Transfer-Encoding (RFC 9112 section 6.3: request smuggling).
  ConflictingFraming,
  // 400: Content-Length that is not a decimal number, or several that differ (identical
  // repeats are accepted, as RFC 9112 section 6.3 allows).
  BadContentLength,
  // 400: Transfer-Encoding whose final coding is not chunked, chunked applied twice, or any
  // Transfer-Encoding in an HTTP/1.0 message (RFC 9112 sections 6.1 and 6.3).
  BadTransferEncoding,
  // 501: a transfer coding other than chunked (gzip, ...), which the codec does not decode.
  UnsupportedTransferEncoding,
  // 400: HTTP/1.1 request without Host, several Host fields, or an invalid Host value
  // (RFC 9112 section 3.2).
  BadHost,
  // 400: malformed start line, field line or chunk syntax, or an unsupported version.
  Malformed,
  // 400: finish() was called in the middle of a message.
  Truncated,
  // 500: the parser failed internally (out of memory); the input may be fine.
  Internal,
};

// Returns the enumerator's name ("HeaderTooLarge"), for logs and test output.
std::string_view codecErrorName(CodecError error);

struct ParseError {
  CodecError code = CodecError::None;
  // The status to answer the peer with (see CodecError), or 0 when there is no error.
  int http_status = 0;
  // A plain description for logs, e.g. "header section is larger than 61440 bytes".
  std::string message;
};

// What one feed() or finish() call produced. `MessagePtr` is RequestPtr or ResponsePtr.
template <typename MessagePtr>
struct ParseResult {
  ParseStatus status = ParseStatus::NeedMore;
  // Bytes of this call's input that were taken: all of them for NeedMore; for Complete, those
  // up to the end of the message (the rest belongs to the next message and must be fed again);
  // 0 for Error and for finish().
  size_t consumed = 0;
  // The message, set only for Complete.
  MessagePtr message;
  // Complete only: the message said HTTP/1.0 (Istio answers such requests with 426).
  bool http10 = false;
  // Complete only: whether the connection may carry another message (false for
  // "Connection: close", HTTP/1.0 without keep-alive, or a body that ran to the close).
  bool keep_alive = false;
  // Error only.
  ParseError error;
};
using RequestParseResult = ParseResult<RequestPtr>;
using ResponseParseResult = ParseResult<ResponsePtr>;

// Parses the requests arriving on one connection, fed in pieces of any size (one byte at a
// time gives the same messages as one buffer). Bytes of an unfinished message are buffered
// inside, bounded by the limits, so callers need not keep them. Fills `method`, `path` (the
// request-target verbatim), `authority` (from Host, which is not put in the map), `headers`
// (names lower-cased, in arrival order, framing fields left out) and the decoded `body`;
// chunked trailers are dropped. Leading empty lines before a request line are skipped.
//
//   RequestParser parser;
//   RequestParseResult r = parser.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
//   // r.status == ParseStatus::Complete, r.message->authority == "a"
class RequestParser {
public:
  explicit RequestParser(const CodecLimits& limits = {});
  ~RequestParser();
  RequestParser(RequestParser&&) noexcept;
  RequestParser& operator=(RequestParser&&) noexcept;

  // Takes the next bytes of the stream. Returns Complete as soon as a request ends, with
  // `consumed` <= data.size(): feed the rest again for the next request. After an Error every
  // call returns the same error; answer error.http_status and close the connection.
  RequestParseResult feed(std::string_view data);
  // Tells the parser that the peer closed its side. Returns NeedMore (consumed 0) when no
  // request had started (a clean close), or Error(Truncated) when one had. The parser is then
  // idle (or stays failed).
  RequestParseResult finish();
  // Returns whether no part of a request is buffered or parsed (only between requests).
  bool idle() const;
  // Returns whether the request being received is waiting for its body after a complete
  // HTTP/1.1 header section with "Expect: 100-continue" (the value compared without regard to
  // case): the client may hold the body back until it reads "100 Continue" (RFC 9110 section
  // 10.1.1). False once the request is complete, and between requests.
  bool expectsContinue() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses the responses arriving on one upstream connection; the counterpart of
// RequestParser, with the same feed()/finish() contract. Fills `status`, `headers` (names
// lower-cased, framing fields left out) and the decoded `body`; the reason phrase is dropped.
// A 1xx response completes like any other message. A response with neither Content-Length nor
// Transfer-Encoding runs to the connection close: it completes from finish(). Every error
// carries http_status 502 (Bad Gateway), what a proxy answers its own client.
class ResponseParser {
public:
  explicit ResponseParser(const CodecLimits& limits = {});
  ~ResponseParser();
  ResponseParser(ResponseParser&&) noexcept;
  ResponseParser& operator=(ResponseParser&&) noexcept;

  // As RequestParser::feed().
  ResponseParseResult feed(std::string_view data);
  // Tells the parser that the upstream closed. Returns Complete for a response whose body runs
  // to the close, NeedMore (consumed 0) when no response had started, Error(Truncated) when a
  // response was cut short.
  ResponseParseResult finish();
  // Declares that the next response to start answers a HEAD request, so it has no body
  // whatever its Content-Length says (RFC 9112 section 6.3). Applies to that response only; if
  // one is in progress, to the one after it.
  void expectHeadResponse();
  // Returns whether no part of a response is buffered or parsed (only between responses).
  bool idle() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Returns the HTTP/1.1 bytes of `request`: request line from `method` and `path`, then a Host
// field from `authority` (always, first), then the map's entries in order, then the body.
// Content-Length rule: written when the body is non-empty or the method is POST, PUT or PATCH
// (those normally carry a body, so an empty one is announced as "content-length: 0"); never
// chunked. Field names are written lower-case as "name: value". Entries named host,
// content-length or transfer-encoding are ignored. Input that validateRequest() rejects is
// still written as one well-formed message, never copied raw: bytes not allowed in the method,
// path, Host or a field name are percent-encoded, an empty method or path becomes "GET" or
// "/", an entry with an empty name is left out, and control characters in a value become
// spaces (surrounding whitespace is trimmed).
std::string serializeRequest(const Request& request);

// Returns the HTTP/1.1 bytes of `response`: status line with reasonPhrase(status), the map's
// entries (as in serializeRequest(), host kept), and always a Content-Length, except for 1xx,
// 204 and 304 responses, which carry neither Content-Length nor body (RFC 9110 sections 8.6
// and 6.4.1; a body given for them is left out). A status outside 100..999 is written as 500.
std::string serializeResponse(const Response& response);

// The bytes of the header section serializeRequest() writes for `request` (request line, Host,
// the entries, Content-Length when written, the empty line), and its field lines (Host and
// Content-Length included): what a parser's limits apply to.
uint64_t requestHeaderBytes(const Request& request);
size_t requestFieldCount(const Request& request);

// The status a server answers `request` with when it is over `limits` (the limits a parser
// applies to bytes, applied to a request handed over as an object, as between in-process
// proxies): 431 for a header section larger than max_header_bytes or with more than
// max_header_count field lines, 413 for a body larger than max_body_bytes; 0 within the limits.
// The same defaults apply to `meshsim serve`'s sockets and the simulated proxies, so both
// modes refuse the same requests.
int limitStatus(const Request& request, const CodecLimits& limits = {});
// The same, for a caller that has requestHeaderBytes(request) already (a proxy measures every
// request it receives for its metrics): no second walk over the fields for their sizes.
int limitStatus(const Request& request, uint64_t header_bytes, const CodecLimits& limits = {});

// Returns OK if serializeRequest() writes `request` unchanged, so that parsing the bytes gives
// it back; otherwise InvalidArgument naming the first offending part (method not a token, path
// empty or with spaces or control characters, bad Host characters, a field name that is not a
// lower-case token, a value with control characters or surrounding whitespace, an entry named
// host, content-length or transfer-encoding, which the serializer leaves out).
Status validateRequest(const Request& request);
// As validateRequest(), for a response (where a host entry is fine); also rejects a status
// outside 100..999 and a body on a 1xx, 204 or 304 response.
Status validateResponse(const Response& response);

// Parses `bytes` as exactly one request. Returns InvalidArgument if the request is malformed,
// over `limits`, incomplete, or followed by more bytes (Internal for CodecError::Internal); a
// parse error's message starts with the CodecError name and the status to answer, e.g.
// "BodyTooLarge (413): body is larger than 1048576 bytes".
StatusOr<RequestPtr> parseRequest(std::string_view bytes, const CodecLimits& limits = {});
// As parseRequest(), for a response; the end of `bytes` counts as the connection close, so a
// response without Content-Length or chunked framing takes the rest of `bytes` as its body.
StatusOr<ResponsePtr> parseResponse(std::string_view bytes, const CodecLimits& limits = {});

}  // namespace meshsim::proxy::http
