#include "proxy/http/codec.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshsim::proxy::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------
// Helpers.

std::vector<HeaderMap::Entry> entries(const HeaderMap& headers) {
  return {headers.begin(), headers.end()};
}

std::vector<HeaderMap::Entry> entries(std::initializer_list<HeaderMap::Entry> list) {
  return list;
}

void expectSameRequest(const Request& want, const Request& got) {
  EXPECT_EQ(want.method, got.method);
  EXPECT_EQ(want.scheme, got.scheme);
  EXPECT_EQ(want.authority, got.authority);
  EXPECT_EQ(want.path, got.path);
  EXPECT_EQ(entries(want.headers), entries(got.headers));
  EXPECT_EQ(want.body, got.body);
}

void expectSameResponse(const Response& want, const Response& got) {
  EXPECT_EQ(want.status, got.status);
  EXPECT_EQ(entries(want.headers), entries(got.headers));
  EXPECT_EQ(want.body, got.body);
}

// Feeds `bytes` in pieces of `piece` bytes, following the documented loop (re-feeding what a
// completed message did not consume), and returns the completed messages. Fails the test on a
// parse error.
template <typename Parser>
auto feedInPieces(Parser& parser, std::string_view bytes, size_t piece) {
  std::vector<decltype(parser.feed("").message)> messages;
  while (!bytes.empty()) {
    std::string_view data = bytes.substr(0, piece);
    bytes.remove_prefix(data.size());
    while (!data.empty()) {
      auto r = parser.feed(data);
      if (r.status == ParseStatus::Error) {
        ADD_FAILURE() << codecErrorName(r.error.code) << ": " << r.error.message;
        return messages;
      }
      if (r.status == ParseStatus::NeedMore) {
        EXPECT_EQ(data.size(), r.consumed);
        break;
      }
      EXPECT_LE(r.consumed, data.size());
      messages.push_back(std::move(r.message));
      data.remove_prefix(r.consumed);
    }
  }
  return messages;
}

RequestParseResult feedRequest(std::string_view bytes, const CodecLimits& limits = {}) {
  RequestParser parser(limits);
  return parser.feed(bytes);
}

ResponseParseResult feedResponse(std::string_view bytes, const CodecLimits& limits = {}) {
  ResponseParser parser(limits);
  return parser.feed(bytes);
}

// Asserts that `r` is an error with `code` and `http_status`.
template <typename Result>
void expectError(const Result& r, CodecError code, int http_status) {
  ASSERT_EQ(ParseStatus::Error, r.status) << "expected " << codecErrorName(code);
  EXPECT_EQ(code, r.error.code) << codecErrorName(r.error.code) << ": " << r.error.message;
  EXPECT_EQ(http_status, r.error.http_status);
  EXPECT_FALSE(r.error.message.empty());
  EXPECT_EQ(nullptr, r.message);
}

const std::string kChunkedRequest =
    "POST /upload HTTP/1.1\r\n"
    "Host: api.example\r\n"
    "Transfer-Encoding: chunked\r\n"
    "X-Trace: t1\r\n"
    "\r\n"
    "4\r\nWiki\r\n"
    "6;name=value\r\npedia \r\n"
    "E\r\nin \r\n\r\nchunks.\r\n"
    "0\r\n"
    "X-Trailer: dropped\r\n"
    "\r\n";

const std::string kContentLengthRequest =
    "PUT /items/7?x=1 HTTP/1.1\r\n"
    "Host: items:8080\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "hello world";

const std::string kSimpleRequest =
    "GET / HTTP/1.1\r\n"
    "Host: a\r\n"
    "\r\n";

const std::string kContentLengthResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Length: 5\r\n"
    "Server: envoy\r\n"
    "\r\n"
    "hello";

const std::string kChunkedResponse =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "transfer-encoding: chunked\r\n"
    "\r\n"
    "3\r\nno \r\n"
    "8\r\nupstream\r\n"
    "0\r\n\r\n";

// ---------------------------------------------------------------------------------------------
// Serializing.

// limitStatus() applies the parser's limits to a request object: it refuses exactly what
// parsing the serialized bytes refuses, with the same status.
TEST(CodecTest, LimitStatusAgreesWithTheParser) {
  const auto check = [](const Request& r, int want) {
    EXPECT_EQ(limitStatus(r), want);
    EXPECT_EQ(limitStatus(r, requestHeaderBytes(r)), want);  // the proxy's form
    const auto parsed = parseRequest(serializeRequest(r));
    if (want == 0) {
      EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    } else {
      EXPECT_FALSE(parsed.ok());
      EXPECT_NE(parsed.status().message().find("(" + std::to_string(want) + ")"), std::string::npos)
          << parsed.status().message();
    }
    EXPECT_EQ(requestHeaderBytes(r), serializeRequest(r).size() - r.body.size());
  };
  Request r;
  r.authority = "hello.com";
  r.path = "/";
  check(r, 0);
  // Exactly at the header-size limit, then one byte over.
  const uint64_t base = requestHeaderBytes(r) + std::string("x-big: \r\n").size();
  r.headers.add("x-big", std::string(kDefaultMaxHeaderBytes - base, 'a'));
  check(r, 0);
  r.headers.set("x-big", std::string(kDefaultMaxHeaderBytes - base + 1, 'a'));
  check(r, 431);
  Request many;
  many.authority = "hello.com";
  many.path = "/";
  for (size_t i = 0; i + 1 < kDefaultMaxHeaderCount; ++i) {  // Host is one field too
    many.headers.add("x-h" + std::to_string(i), "1");
  }
  check(many, 0);
  many.headers.add("x-one-more", "1");
  check(many, 431);
  Request post;
  post.method = "POST";
  post.authority = "hello.com";
  post.path = "/";
  post.body.assign(kDefaultMaxBodyBytes, 'b');
  check(post, 0);
  post.body.push_back('b');
  check(post, 413);
}

TEST(CodecTest, SerializeRequestWritesHostFirstThenHeadersInMapOrder) {
  Request request;
  request.method = "POST";
  request.path = "/api?q=1";
  request.authority = "reviews:9080";
  request.headers.add("x-b", "2");
  request.headers.add("x-a", "1");
  request.headers.add("x-b", "3");
  request.body = "{}";
  EXPECT_EQ(
      "POST /api?q=1 HTTP/1.1\r\n"
      "host: reviews:9080\r\n"
      "x-b: 2\r\n"
      "x-a: 1\r\n"
      "x-b: 3\r\n"
      "content-length: 2\r\n"
      "\r\n"
      "{}",
      serializeRequest(request));
}

TEST(CodecTest, RepeatedFieldsKeepMapOrderBothWays) {
  // Beast's own fields container would move the second x-b up next to the first.
  Response response;
  response.headers.add("x-b", "1");
  response.headers.add("x-a", "2");
  response.headers.add("x-b", "3");
  const std::string bytes = serializeResponse(response);
  EXPECT_EQ("HTTP/1.1 200 OK\r\nx-b: 1\r\nx-a: 2\r\nx-b: 3\r\ncontent-length: 0\r\n\r\n", bytes);
  auto parsed = parseResponse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_EQ(entries({{"x-b", "1"}, {"x-a", "2"}, {"x-b", "3"}}), entries((*parsed)->headers));
}

// A body left out of a simulated response (Response::unread_body_bytes) must never be written
// to a socket as if it were empty: the writer stops the process instead.
TEST(CodecDeathTest, AResponseWithAnUnreadBodyIsNeverSerialized) {
  Response r;
  r.unread_body_bytes = 600;
  EXPECT_DEATH(serializeResponse(r), "MESHSIM_CHECK failed: response.unread_body_bytes == 0");
}

TEST(CodecTest, SerializeGetWithoutBodyHasNoContentLength) {
  Request request;
  request.authority = "a";
  EXPECT_EQ("GET / HTTP/1.1\r\nhost: a\r\n\r\n", serializeRequest(request));
}

TEST(CodecTest, SerializeGetWithBodyHasContentLength) {
  Request request;
  request.authority = "a";
  request.body = "xyz";
  EXPECT_EQ("GET / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\nxyz", serializeRequest(request));
}

TEST(CodecTest, SerializeBodyMethodsAlwaysHaveContentLength) {
  for (const char* method : {"POST", "PUT", "PATCH"}) {
    Request request;
    request.method = method;
    request.authority = "a";
    EXPECT_EQ(std::string(method) + " / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n",
              serializeRequest(request));
  }
  Request del;
  del.method = "DELETE";
  del.authority = "a";
  EXPECT_THAT(serializeRequest(del), Not(HasSubstr("content-length")));
}

TEST(CodecTest, SerializeResponseAlwaysHasContentLengthAndReasonPhrase) {
  Response response;
  response.status = 404;
  response.headers.add("server", "istio-envoy");
  EXPECT_EQ("HTTP/1.1 404 Not Found\r\nserver: istio-envoy\r\ncontent-length: 0\r\n\r\n",
            serializeResponse(response));
  response.status = 599;
  response.body = "abc";
  EXPECT_EQ("HTTP/1.1 599 Unknown\r\nserver: istio-envoy\r\ncontent-length: 3\r\n\r\nabc",
            serializeResponse(response));
}

TEST(CodecTest, SerializeResponseWithoutBodyStatusOmitsContentLengthAndBody) {
  for (int status : {100, 204, 304}) {
    Response response;
    response.status = status;
    response.body = "dropped";
    EXPECT_EQ(
        "HTTP/1.1 " + std::to_string(status) + " " + std::string(reasonPhrase(status)) + "\r\n\r\n",
        serializeResponse(response));
  }
}

TEST(CodecTest, SerializeIgnoresFramingAndHostEntries) {
  Request request;
  request.method = "POST";
  request.authority = "real";
  request.headers.add("host", "fake");
  request.headers.add("content-length", "99");
  request.headers.add("transfer-encoding", "chunked");
  request.headers.add("x-keep", "1");
  request.body = "ab";
  EXPECT_EQ("POST / HTTP/1.1\r\nhost: real\r\nx-keep: 1\r\ncontent-length: 2\r\n\r\nab",
            serializeRequest(request));

  Response response;
  response.headers.add("Content-Length", "99");
  response.headers.add("host", "kept-in-responses");
  EXPECT_EQ("HTTP/1.1 200 OK\r\nhost: kept-in-responses\r\ncontent-length: 0\r\n\r\n",
            serializeResponse(response));
}

TEST(CodecTest, SerializeNeverCopiesInvalidBytesRaw) {
  Request request;
  request.method = "G T";
  request.path = "/a b\r\nX: y";
  request.authority = "h\r\nx-injected: 1";
  request.headers.add("x-value", "a\r\nx-injected: 2");
  request.headers.add("bad name", "v");
  request.headers.add("", "no name");
  const std::string bytes = serializeRequest(request);
  EXPECT_EQ(
      "G%20T /a%20b%0D%0AX:%20y HTTP/1.1\r\n"
      "host: h%0D%0Ax-injected:%201\r\n"
      "x-value: a  x-injected: 2\r\n"
      "bad%20name: v\r\n"
      "\r\n",
      bytes);
  auto parsed = parseRequest(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_FALSE((*parsed)->headers.has("x-injected"));

  Request empty;
  empty.method = "";
  empty.path = "";
  EXPECT_EQ("GET / HTTP/1.1\r\nhost: \r\n\r\n", serializeRequest(empty));

  Response response;
  response.status = 42;
  EXPECT_EQ("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n",
            serializeResponse(response));
}

TEST(CodecTest, ValidateRequestAcceptsWellFormedAndNamesTheProblem) {
  Request good;
  good.method = "PATCH";
  good.authority = "[::1]:8080";
  good.path = "/a/b?c=d%20e";
  good.headers.add("x-a", "value with\tinner space");
  EXPECT_TRUE(validateRequest(good).ok());

  auto check = [](auto mutate, std::string_view expected) {
    Request request;
    mutate(request);
    Status status = validateRequest(request);
    EXPECT_EQ(StatusCode::InvalidArgument, status.code()) << expected;
    EXPECT_THAT(status.message(), HasSubstr(std::string(expected)));
  };
  check([](Request& r) { r.method = "GE T"; }, "method");
  check([](Request& r) { r.method = ""; }, "method");
  check([](Request& r) { r.path = ""; }, "path");
  check([](Request& r) { r.path = "/a b"; }, "path");
  check([](Request& r) { r.authority = "a b"; }, "authority");
  check([](Request& r) { r.headers.add("X-Upper", "v"); }, "lower-case");
  check([](Request& r) { r.headers.add("a b", "v"); }, "token");
  check([](Request& r) { r.headers.add("x", "a\nb"); }, "control");
  check([](Request& r) { r.headers.add("x", " padded"); }, "whitespace");
  check([](Request& r) { r.headers.add("", "v"); }, "empty name");
  check([](Request& r) { r.headers.add("host", "other"); }, "written by the codec");
  check([](Request& r) { r.headers.add("content-length", "1"); }, "written by the codec");
  check([](Request& r) { r.headers.add("transfer-encoding", "chunked"); }, "written by the codec");
}

TEST(CodecTest, ValidateResponseNamesTheProblem) {
  Response response;
  EXPECT_TRUE(validateResponse(response).ok());
  response.headers.add("host", "fine-in-a-response");
  EXPECT_TRUE(validateResponse(response).ok());
  response.headers.add("content-length", "0");
  EXPECT_THAT(validateResponse(response).message(), HasSubstr("written by the codec"));
  response.headers.clear();
  response.status = 99;
  EXPECT_THAT(validateResponse(response).message(), HasSubstr("status"));
  response.status = 204;
  response.body = "x";
  EXPECT_THAT(validateResponse(response).message(), HasSubstr("body"));
}

// ---------------------------------------------------------------------------------------------
// Round trips.

TEST(CodecTest, RequestRoundTrip) {
  Request request;
  request.method = "POST";
  request.authority = "reviews.default.svc.cluster.local:9080";
  request.path = "/reviews/1?verbose=true";
  request.headers.add("x-request-id", "abc-123");
  request.headers.add("accept", "*/*");
  request.headers.add("x-multi", "1");
  request.headers.add("x-multi", "2");
  request.headers.add("x-empty", "");
  request.headers.add("x-obs-text", "caf\xc3\xa9");
  request.body = std::string("binary\0body\r\n\r\n", 15);
  ASSERT_TRUE(validateRequest(request).ok());

  auto parsed = parseRequest(serializeRequest(request));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  expectSameRequest(request, **parsed);
  EXPECT_EQ(serializeRequest(request), serializeRequest(**parsed));
}

TEST(CodecTest, ResponseRoundTrip) {
  Response response;
  response.status = 503;
  response.headers.add("x-envoy-overloaded", "true");
  response.headers.add("set-cookie", "a=1");
  response.headers.add("set-cookie", "b=2");
  response.body = "upstream connect error or disconnect/reset before headers";
  ASSERT_TRUE(validateResponse(response).ok());

  auto parsed = parseResponse(serializeResponse(response));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  expectSameResponse(response, **parsed);
}

TEST(CodecTest, ParsedMessagesReserializeToCanonicalForm) {
  auto request = parseRequest(kChunkedRequest);
  ASSERT_TRUE(request.ok()) << request.status().toString();
  ASSERT_TRUE(validateRequest(**request).ok());
  EXPECT_EQ(
      "POST /upload HTTP/1.1\r\n"
      "host: api.example\r\n"
      "x-trace: t1\r\n"
      "content-length: 24\r\n"
      "\r\n"
      "Wikipedia in \r\n\r\nchunks.",
      serializeRequest(**request));
}

// ---------------------------------------------------------------------------------------------
// Whole-buffer parsing.

TEST(CodecTest, ParseRequestFillsFields) {
  auto parsed = parseRequest(kContentLengthRequest);
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  const Request& r = **parsed;
  EXPECT_EQ("PUT", r.method);
  EXPECT_EQ("http", r.scheme);
  EXPECT_EQ("items:8080", r.authority);
  EXPECT_EQ("/items/7?x=1", r.path);
  EXPECT_EQ(entries({{"content-type", "text/plain"}}), entries(r.headers));
  EXPECT_EQ("hello world", r.body);
}

TEST(CodecTest, ParseRequestRejectsIncompleteEmptyAndTrailingInput) {
  auto incomplete = parseRequest(kContentLengthRequest.substr(0, kContentLengthRequest.size() - 1));
  EXPECT_EQ(StatusCode::InvalidArgument, incomplete.status().code());
  EXPECT_THAT(incomplete.status().message(), HasSubstr("Truncated (400)"));

  EXPECT_THAT(parseRequest("").status().message(), HasSubstr("empty"));
  EXPECT_THAT(parseRequest("\r\n").status().message(), HasSubstr("no message"));

  auto trailing = parseRequest(kSimpleRequest + "GET");
  EXPECT_THAT(trailing.status().message(), HasSubstr("3 bytes follow the message"));
}

TEST(CodecTest, ParseRequestErrorNamesCodeAndStatus) {
  CodecLimits limits;
  limits.max_body_bytes = 4;
  auto parsed = parseRequest(kContentLengthRequest, limits);
  EXPECT_EQ(StatusCode::InvalidArgument, parsed.status().code());
  EXPECT_THAT(parsed.status().message(), HasSubstr("BodyTooLarge (413)"));
}

TEST(CodecTest, ParseResponseTakesRestOfInputWithoutFraming) {
  auto parsed = parseResponse("HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nuntil close");
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_EQ("until close", (*parsed)->body);
  EXPECT_EQ(entries({{"x-a", "b"}}), entries((*parsed)->headers));
}

TEST(CodecTest, CodecErrorNamesAreStable) {
  EXPECT_EQ("HeaderTooLarge", codecErrorName(CodecError::HeaderTooLarge));
  EXPECT_EQ("ConflictingFraming", codecErrorName(CodecError::ConflictingFraming));
  EXPECT_EQ("None", codecErrorName(CodecError::None));
}

// ---------------------------------------------------------------------------------------------
// RequestParser: messages.

TEST(RequestParserTest, ParsesAndLowerCasesHeaderNames) {
  const std::string bytes =
      "DELETE /x HTTP/1.1\r\n"
      "HOST: Mixed.Case\r\n"
      "X-Custom-HEADER: Value Kept\r\n"
      "accept:   spaced  \r\n"
      "Content-Length: 0\r\n"
      "\r\n";
  RequestParseResult r = feedRequest(bytes);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(bytes.size(), r.consumed);
  EXPECT_EQ("DELETE", r.message->method);
  EXPECT_EQ("/x", r.message->path);
  EXPECT_EQ("Mixed.Case", r.message->authority);
  EXPECT_EQ(entries({{"x-custom-header", "Value Kept"}, {"accept", "spaced"}}),
            entries(r.message->headers));
  EXPECT_EQ("", r.message->body);
  EXPECT_FALSE(r.http10);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(ParseStatus::Complete, r.status);
}

TEST(RequestParserTest, LowerCasesNamesOfEveryLengthAndSharesWellKnownOnes) {
  // Names up to 64 bytes are lower-cased on the stack, longer ones in a string: both must come
  // out the same way; a well-known long name is the shared copy whatever its case on the wire.
  const std::string long_name = "X-" + std::string(62, 'A') + "-Tail";  // 69 bytes
  const std::string edge_name = "X-" + std::string(62, 'B');            // 64 bytes
  const std::string bytes = "GET / HTTP/1.1\r\nHost: h\r\n" + long_name + ": 1\r\n" + edge_name +
                            ": 2\r\nX-Forwarded-PROTO: https\r\n\r\n";
  RequestParseResult r = feedRequest(bytes);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(entries({{"x-" + std::string(62, 'a') + "-tail", "1"},
                     {"x-" + std::string(62, 'b'), "2"},
                     {"x-forwarded-proto", "https"}}),
            entries(r.message->headers));
  const auto& proto = (r.message->headers.begin() + 2)->first;
  EXPECT_EQ(proto.data(), HeaderName("x-forwarded-proto").data());
}

TEST(RequestParserTest, PipelinedRequestsInOneBuffer) {
  const std::string bytes = kContentLengthRequest + kChunkedRequest + kSimpleRequest;
  RequestParser parser;
  std::string_view data = bytes;

  RequestParseResult first = parser.feed(data);
  ASSERT_EQ(ParseStatus::Complete, first.status) << first.error.message;
  EXPECT_EQ(kContentLengthRequest.size(), first.consumed);
  EXPECT_EQ("hello world", first.message->body);
  EXPECT_TRUE(parser.idle());
  data.remove_prefix(first.consumed);

  RequestParseResult second = parser.feed(data);
  ASSERT_EQ(ParseStatus::Complete, second.status) << second.error.message;
  EXPECT_EQ(kChunkedRequest.size(), second.consumed);
  EXPECT_EQ("Wikipedia in \r\n\r\nchunks.", second.message->body);
  data.remove_prefix(second.consumed);

  RequestParseResult third = parser.feed(data);
  ASSERT_EQ(ParseStatus::Complete, third.status) << third.error.message;
  EXPECT_EQ(data.size(), third.consumed);
  EXPECT_EQ("GET", third.message->method);

  EXPECT_EQ(ParseStatus::NeedMore, parser.feed("").status);
  EXPECT_TRUE(parser.idle());
}

TEST(RequestParserTest, PipelinedRequestSplitAcrossFeeds) {
  const std::string bytes = kContentLengthRequest + kSimpleRequest;
  const std::string_view view = bytes;
  const size_t split = kContentLengthRequest.size() + 5;  // Inside the second request line.
  RequestParser parser;

  // The first feed ends inside the first request's body, the second inside the next request.
  RequestParseResult r = parser.feed(view.substr(0, 70));
  ASSERT_EQ(ParseStatus::NeedMore, r.status);
  EXPECT_EQ(70u, r.consumed);
  EXPECT_FALSE(parser.idle());

  std::string_view data = view.substr(70, split - 70);
  r = parser.feed(data);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(kContentLengthRequest.size() - 70, r.consumed);
  EXPECT_EQ("hello world", r.message->body);
  data.remove_prefix(r.consumed);

  r = parser.feed(data);
  ASSERT_EQ(ParseStatus::NeedMore, r.status);
  r = parser.feed(view.substr(split));
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ("a", r.message->authority);
}

TEST(RequestParserTest, ByteByByteFeedGivesSameMessages) {
  const std::string bytes = kContentLengthRequest + kChunkedRequest + kSimpleRequest;
  RequestParser whole_parser;
  auto whole = feedInPieces(whole_parser, bytes, bytes.size());
  ASSERT_EQ(3u, whole.size());

  RequestParser parser;
  size_t completed = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    RequestParseResult r = parser.feed(std::string_view(&bytes[i], 1));
    ASSERT_NE(ParseStatus::Error, r.status) << "byte " << i << ": " << r.error.message;
    EXPECT_EQ(1u, r.consumed);
    if (r.status == ParseStatus::Complete) {
      ASSERT_LT(completed, whole.size());
      expectSameRequest(*whole[completed], *r.message);
      ++completed;
    }
  }
  EXPECT_EQ(whole.size(), completed);
  EXPECT_TRUE(parser.idle());
}

TEST(RequestParserTest, EveryPieceSizeGivesSameMessages) {
  const std::string bytes = kChunkedRequest + kContentLengthRequest + kChunkedRequest;
  RequestParser whole_parser;
  auto whole = feedInPieces(whole_parser, bytes, bytes.size());
  ASSERT_EQ(3u, whole.size());
  for (size_t piece = 1; piece < bytes.size(); ++piece) {
    RequestParser parser;
    auto got = feedInPieces(parser, bytes, piece);
    ASSERT_EQ(whole.size(), got.size()) << "piece " << piece;
    for (size_t i = 0; i < got.size(); ++i) {
      expectSameRequest(*whole[i], *got[i]);
    }
  }
}

TEST(RequestParserTest, DecodesChunkedBodyAndDropsTrailers) {
  RequestParseResult r = feedRequest(kChunkedRequest);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(kChunkedRequest.size(), r.consumed);
  EXPECT_EQ("Wikipedia in \r\n\r\nchunks.", r.message->body);
  EXPECT_EQ("api.example", r.message->authority);
  EXPECT_EQ(entries({{"x-trace", "t1"}}), entries(r.message->headers));
}

TEST(RequestParserTest, DecodesChunkedBodyWithUpperCaseCodingAndHexSizes) {
  RequestParseResult r = feedRequest(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n"
      "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ("0123456789abcdefghij", r.message->body);
}

TEST(RequestParserTest, EmptyChunkedBodyFedInSmallPieces) {
  // Beast 1.74 asserts in debug builds on "0\r\n" then "\r" unless the codec holds back.
  RequestParser parser;
  for (std::string_view piece :
       {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n", "\r"}) {
    RequestParseResult r = parser.feed(piece);
    ASSERT_EQ(ParseStatus::NeedMore, r.status) << r.error.message;
  }
  RequestParseResult r = parser.feed("\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(1u, r.consumed);
  EXPECT_EQ("", r.message->body);
}

TEST(RequestParserTest, Http10RequestIsParsedAndFlagged) {
  RequestParseResult r = feedRequest("GET /old HTTP/1.0\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_TRUE(r.http10);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ("/old", r.message->path);
  EXPECT_EQ("", r.message->authority);

  r = feedRequest("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_TRUE(r.http10);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ("a", r.message->authority);
}

TEST(RequestParserTest, ConnectionCloseClearsKeepAlive) {
  RequestParseResult r = feedRequest("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(entries({{"connection", "close"}}), entries(r.message->headers));
}

TEST(RequestParserTest, SkipsEmptyLinesBeforeRequestLine) {
  RequestParser parser;
  EXPECT_EQ(ParseStatus::NeedMore, parser.feed("\r\n\r").status);
  EXPECT_FALSE(parser.idle());
  RequestParseResult r = parser.feed("\n" + kSimpleRequest);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(1 + kSimpleRequest.size(), r.consumed);
}

TEST(RequestParserTest, IdenticalRepeatedContentLengthIsAccepted) {
  RequestParseResult r =
      feedRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ("ok", r.message->body);
}

TEST(RequestParserTest, EmptyHostIsAccepted) {
  RequestParseResult r = feedRequest("GET / HTTP/1.1\r\nHost:\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ("", r.message->authority);
}

TEST(RequestParserTest, ObsFoldIsReplacedBySpace) {
  RequestParseResult r = feedRequest("GET / HTTP/1.1\r\nHost: a\r\nX-Fold: one\r\n  two\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(entries({{"x-fold", "one two"}}), entries(r.message->headers));
}

// ---------------------------------------------------------------------------------------------
// RequestParser: errors.

std::string requestWithHeaderBytes(size_t total) {
  // "GET / HTTP/1.1\r\n" (16) + "Host: a\r\n" (9) + "X-Pad: " (7) + pad + "\r\n" (2) + "\r\n" (2)
  const size_t fixed = 16 + 9 + 7 + 2 + 2;
  return "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(total - fixed, 'p') + "\r\n\r\n";
}

TEST(RequestParserTest, HeaderSectionAtLimitIsAcceptedAndOneByteMoreIs431) {
  const std::string at_limit = requestWithHeaderBytes(kDefaultMaxHeaderBytes);
  ASSERT_EQ(kDefaultMaxHeaderBytes, at_limit.size());
  EXPECT_EQ(ParseStatus::Complete, feedRequest(at_limit).status);

  expectError(feedRequest(requestWithHeaderBytes(kDefaultMaxHeaderBytes + 1)),
              CodecError::HeaderTooLarge, 431);
}

TEST(RequestParserTest, HeaderLimitCountsStartLineAndHoldsForSmallLimits) {
  CodecLimits limits;
  limits.max_header_bytes = 100;
  EXPECT_EQ(ParseStatus::Complete, feedRequest(requestWithHeaderBytes(100), limits).status);
  expectError(feedRequest(requestWithHeaderBytes(101), limits), CodecError::HeaderTooLarge, 431);
  // A long request line alone.
  expectError(feedRequest("GET /" + std::string(200, 'x') + " HTTP/1.1\r\nHost: a\r\n\r\n", limits),
              CodecError::HeaderTooLarge, 431);
}

TEST(RequestParserTest, EndlessHeaderFailsOnceOverLimitWhenStreamed) {
  RequestParser parser;
  ASSERT_EQ(ParseStatus::NeedMore, parser.feed("GET / HTTP/1.1\r\nHost: a\r\n").status);
  const std::string line = "X-Pad: " + std::string(1000, 'p') + "\r\n";
  size_t fed = 25;
  for (;;) {
    RequestParseResult r = parser.feed(line);
    fed += line.size();
    if (r.status == ParseStatus::Error) {
      expectError(r, CodecError::HeaderTooLarge, 431);
      break;
    }
    ASSERT_LE(fed, kDefaultMaxHeaderBytes) << "still NeedMore past the limit";
  }
  EXPECT_GT(fed, kDefaultMaxHeaderBytes);
  EXPECT_LE(fed, kDefaultMaxHeaderBytes + line.size());
}

TEST(RequestParserTest, EndlessEmptyLinesFailOverLimit) {
  CodecLimits limits;
  limits.max_header_bytes = 64;
  RequestParser parser(limits);
  for (int i = 0; i < 32; ++i) {
    ASSERT_EQ(ParseStatus::NeedMore, parser.feed("\r\n").status) << i;
  }
  expectError(parser.feed("\r\n"), CodecError::HeaderTooLarge, 431);
}

std::string requestWithFieldCount(size_t count) {
  std::string bytes = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (size_t i = 1; i < count; ++i) {
    bytes += "X-H" + std::to_string(i) + ": v\r\n";
  }
  return bytes + "\r\n";
}

TEST(RequestParserTest, TooManyHeadersIs431) {
  RequestParseResult ok = feedRequest(requestWithFieldCount(kDefaultMaxHeaderCount));
  ASSERT_EQ(ParseStatus::Complete, ok.status) << ok.error.message;
  EXPECT_EQ(kDefaultMaxHeaderCount - 1, ok.message->headers.size());

  expectError(feedRequest(requestWithFieldCount(kDefaultMaxHeaderCount + 1)),
              CodecError::TooManyHeaders, 431);
}

TEST(RequestParserTest, DeclaredBodyOverLimitIs413BeforeBodyArrives) {
  RequestParser parser;
  expectError(parser.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                          std::to_string(kDefaultMaxBodyBytes + 1) + "\r\n\r\n"),
              CodecError::BodyTooLarge, 413);

  std::string at_limit =
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(kDefaultMaxBodyBytes) +
      "\r\n\r\n" + std::string(kDefaultMaxBodyBytes, 'b');
  RequestParseResult r = feedRequest(at_limit);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(kDefaultMaxBodyBytes, r.message->body.size());
}

TEST(RequestParserTest, ChunkedBodyOverLimitIs413) {
  CodecLimits limits;
  limits.max_body_bytes = 10;
  RequestParser parser(limits);
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_EQ(ParseStatus::NeedMore, parser.feed(head + "6\r\nabcdef\r\n").status);
  expectError(parser.feed("5\r\nghijk\r\n0\r\n\r\n"), CodecError::BodyTooLarge, 413);

  EXPECT_EQ(ParseStatus::Complete,
            feedRequest(head + "6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n", limits).status);
}

TEST(RequestParserTest, ContentLengthWithTransferEncodingIs400InAnyOrder) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\n";
  for (const std::string& fields : {
           std::string("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
           std::string("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
           std::string("Transfer-Encoding: gzip\r\nContent-Length: 5\r\n"),
           std::string("Content-Length: 5\r\nTransfer-Encoding: gzip\r\n"),
           std::string("Transfer-Encoding: identity\r\nContent-Length: 0\r\n"),
       }) {
    SCOPED_TRACE(fields);
    expectError(feedRequest(head + fields + "\r\n0\r\n\r\n"), CodecError::ConflictingFraming, 400);
  }
}

TEST(RequestParserTest, DifferingOrInvalidContentLengthIs400) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\n";
  for (const std::string& fields : {
           std::string("Content-Length: 5\r\nContent-Length: 6\r\n"),
           std::string("Content-Length: 5, 6\r\n"),
           std::string("Content-Length: abc\r\n"),
           std::string("Content-Length: -1\r\n"),
           std::string("Content-Length: 1e3\r\n"),
           std::string("Content-Length: 99999999999999999999999\r\n"),
       }) {
    SCOPED_TRACE(fields);
    expectError(feedRequest(head + fields + "\r\nhello"), CodecError::BadContentLength, 400);
  }
}

TEST(RequestParserTest, TransferEncodingWithoutFinalChunkedIs400) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\n";
  for (const std::string& fields : {
           std::string("Transfer-Encoding: gzip\r\n"),
           std::string("Transfer-Encoding: chunked, gzip\r\n"),
           std::string("Transfer-Encoding: chunked, chunked\r\n"),
           std::string("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
           std::string("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"),
           std::string("Transfer-Encoding: \r\n"),
       }) {
    SCOPED_TRACE(fields);
    expectError(feedRequest(head + fields + "\r\n0\r\n\r\n"), CodecError::BadTransferEncoding, 400);
  }
  // RFC 9112 section 6.1: HTTP/1.0 framing with Transfer-Encoding is faulty.
  expectError(feedRequest("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
              CodecError::BadTransferEncoding, 400);
}

TEST(RequestParserTest, UnknownTransferCodingIs501) {
  expectError(feedRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
              CodecError::UnsupportedTransferEncoding, 501);
  expectError(feedRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n"),
              CodecError::UnsupportedTransferEncoding, 501);
}

TEST(RequestParserTest, MalformedStartLineIs400) {
  for (const std::string& line : {
           std::string("GET/ HTTP/1.1\r\n"), std::string("GET  / HTTP/1.1\r\n"),
           std::string("GET / HTTP/2.0\r\n"), std::string("GET / HTTP/1.1 \r\n"),
           std::string("GET / FOO/1.1\r\n"), std::string("G@T / HTTP/1.1\r\n"),
           std::string("GET /a\x01 HTTP/1.1\r\n"), std::string("GET / HTTP/1.1\n"),
           std::string(" GET / HTTP/1.1\r\n"),
           std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // TLS ClientHello.
       }) {
    SCOPED_TRACE(line);
    expectError(feedRequest(line + "Host: a\r\n\r\n"), CodecError::Malformed, 400);
  }
}

TEST(RequestParserTest, MalformedHeaderLineIs400) {
  for (const std::string& field : {
           std::string("Host : a\r\n"),
           std::string("X-No-Colon\r\n"),
           std::string(": empty-name\r\n"),
           std::string("X A: b\r\n"),
           std::string("X-Ctl: a\x01z\r\n"),
           std::string("X-Nul: a") + '\0' + "z\r\n",
           std::string("X-Bare-Lf: a\nX-B: c\r\n"),
           std::string("X-Bare-Cr: a\rX-B: c\r\n"),
       }) {
    SCOPED_TRACE(field);
    expectError(feedRequest("GET / HTTP/1.1\r\nHost: a\r\n" + field + "\r\n"),
                CodecError::Malformed, 400);
  }
}

TEST(RequestParserTest, MalformedChunkIs400) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& body : {
           std::string("zz\r\nab\r\n0\r\n\r\n"),
           std::string("2\r\nabX\r\n0\r\n\r\n"),
           std::string("2;\r\nab\r\n0\r\n\r\n"),
           std::string("ffffffffffffffffff\r\n"),
       }) {
    SCOPED_TRACE(body);
    RequestParseResult r = feedRequest(head + body);
    ASSERT_EQ(ParseStatus::Error, r.status);
    EXPECT_EQ(400, r.error.http_status);
  }
}

TEST(RequestParserTest, BareLineFeedInChunkedFramingIs400AtOnce) {
  // Beast ends chunk lines only at CRLF: without this check a last chunk ended by a bare LF
  // waits for bytes that never come (the connection is held until its idle timeout).
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& body : {
           std::string("1\r\na\r\n0\n\r\n"),
           std::string("1\r\na\r\n0\r\n\n"),
           std::string("0\n\r\n"),
           std::string("0\r\n\n"),
           std::string("1\na\r\n0\r\n\r\n"),
           std::string("1\r\na\n0\r\n\r\n"),
           std::string("0\r\nX-T: 1\n\r\n"),
       }) {
    SCOPED_TRACE(body);
    expectError(feedRequest(head + body), CodecError::Malformed, 400);
    // Fed byte by byte, the error comes with the bare LF, not later.
    RequestParser parser;
    ASSERT_EQ(ParseStatus::NeedMore, parser.feed(head).status);
    size_t bare = 0;
    while (body[bare] != '\n' || (bare > 0 && body[bare - 1] == '\r')) {
      ++bare;
    }
    RequestParseResult last;
    size_t fed = 0;
    for (; fed < body.size(); ++fed) {
      last = parser.feed(body.substr(fed, 1));
      if (last.status != ParseStatus::NeedMore) {
        break;
      }
    }
    ASSERT_EQ(ParseStatus::Error, last.status);
    EXPECT_EQ(400, last.error.http_status);
    EXPECT_EQ(bare, fed);
  }
  // Line feeds inside chunk data are data.
  RequestParseResult r = feedRequest(head + "3\r\na\nb\r\n1\r\n\n\r\n0\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ("a\nb\n", r.message->body);
}

TEST(RequestParserTest, EndlessChunkLineFailsOverLimit) {
  CodecLimits limits;
  limits.max_header_bytes = 1024;
  RequestParser parser(limits);
  ASSERT_EQ(
      ParseStatus::NeedMore,
      parser.feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;x=").status);
  RequestParseResult r;
  for (int i = 0; i < 100 && r.status != ParseStatus::Error; ++i) {
    r = parser.feed(std::string(100, 'y'));
  }
  expectError(r, CodecError::Malformed, 400);
}

TEST(RequestParserTest, BadHostIs400) {
  expectError(feedRequest("GET / HTTP/1.1\r\n\r\n"), CodecError::BadHost, 400);
  expectError(feedRequest("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), CodecError::BadHost,
              400);
  expectError(feedRequest("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), CodecError::BadHost, 400);
  expectError(feedRequest("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), CodecError::BadHost, 400);
  expectError(feedRequest("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"), CodecError::BadHost,
              400);
}

TEST(RequestParserTest, ErrorIsSticky) {
  RequestParser parser;
  RequestParseResult first = parser.feed("BAD\r\n\r\n");
  expectError(first, CodecError::Malformed, 400);
  RequestParseResult again = parser.feed(kSimpleRequest);
  expectError(again, CodecError::Malformed, 400);
  EXPECT_EQ(first.error.message, again.error.message);
  EXPECT_EQ(0u, again.consumed);
  expectError(parser.finish(), CodecError::Malformed, 400);
  EXPECT_FALSE(parser.idle());
}

TEST(RequestParserTest, FinishReportsCleanCloseOrTruncation) {
  RequestParser idle_parser;
  EXPECT_TRUE(idle_parser.idle());
  RequestParseResult clean = idle_parser.finish();
  EXPECT_EQ(ParseStatus::NeedMore, clean.status);
  EXPECT_EQ(0u, clean.consumed);

  RequestParser parser;
  ASSERT_EQ(ParseStatus::NeedMore, parser.feed("GET / HT").status);
  expectError(parser.finish(), CodecError::Truncated, 400);
}

TEST(RequestParserTest, TruncatedMessageAtEveryLengthNeedsMore) {
  for (const std::string& bytes : {kSimpleRequest, kContentLengthRequest, kChunkedRequest,
                                   std::string("GET / HTTP/1.0\r\n\r\n")}) {
    const std::string_view view = bytes;
    RequestParseResult whole = feedRequest(bytes);
    ASSERT_EQ(ParseStatus::Complete, whole.status) << whole.error.message;
    for (size_t len = 0; len < bytes.size(); ++len) {
      SCOPED_TRACE("prefix " + std::to_string(len) + " of " + bytes.substr(0, 20));
      RequestParser parser;
      RequestParseResult r = parser.feed(view.substr(0, len));
      ASSERT_EQ(ParseStatus::NeedMore, r.status) << r.error.message;
      EXPECT_EQ(len, r.consumed);
      // The connection closing there is a truncation (or a clean close before any byte).
      RequestParser closing;
      (void)closing.feed(view.substr(0, len));
      EXPECT_EQ(len == 0 ? ParseStatus::NeedMore : ParseStatus::Error, closing.finish().status);
      // The rest completes the same message.
      RequestParseResult rest = parser.feed(view.substr(len));
      ASSERT_EQ(ParseStatus::Complete, rest.status) << rest.error.message;
      EXPECT_EQ(bytes.size() - len, rest.consumed);
      expectSameRequest(*whole.message, *rest.message);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ResponseParser.

TEST(ResponseParserTest, ParsesStatusHeadersAndBody) {
  ResponseParseResult r = feedResponse(kContentLengthResponse);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(kContentLengthResponse.size(), r.consumed);
  EXPECT_EQ(200, r.message->status);
  EXPECT_EQ(entries({{"server", "envoy"}}), entries(r.message->headers));
  EXPECT_EQ("hello", r.message->body);
  EXPECT_TRUE(r.keep_alive);
}

TEST(ResponseParserTest, DecodesChunkedBody) {
  ResponseParseResult r = feedResponse(kChunkedResponse);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(503, r.message->status);
  EXPECT_EQ("no upstream", r.message->body);
  EXPECT_TRUE(r.message->headers.empty());
}

TEST(ResponseParserTest, PipelinedAndByteByByte) {
  const std::string bytes = kContentLengthResponse + "HTTP/1.1 204 No Content\r\n\r\n" +
                            kChunkedResponse + "HTTP/1.1 100 Continue\r\n\r\n" +
                            kContentLengthResponse;
  ResponseParser whole_parser;
  auto whole = feedInPieces(whole_parser, bytes, bytes.size());
  ASSERT_EQ(5u, whole.size());
  EXPECT_EQ(204, whole[1]->status);
  EXPECT_EQ(100, whole[3]->status);

  ResponseParser parser;
  auto bytewise = feedInPieces(parser, bytes, 1);
  ASSERT_EQ(whole.size(), bytewise.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    expectSameResponse(*whole[i], *bytewise[i]);
  }
}

TEST(ResponseParserTest, BodyWithoutFramingEndsAtClose) {
  ResponseParser parser;
  ResponseParseResult r = parser.feed("HTTP/1.1 200 OK\r\nServer: legacy\r\n\r\nsome ");
  ASSERT_EQ(ParseStatus::NeedMore, r.status);
  ASSERT_EQ(ParseStatus::NeedMore, parser.feed("bytes").status);
  r = parser.finish();
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ("some bytes", r.message->body);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(parser.idle());
}

TEST(ResponseParserTest, HeadResponseHasNoBody) {
  ResponseParser parser;
  parser.expectHeadResponse();
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
  ResponseParseResult r = parser.feed(head + kContentLengthResponse);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ(head.size(), r.consumed);
  EXPECT_EQ("", r.message->body);
  // Only the next response was affected.
  r = parser.feed(kContentLengthResponse);
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_EQ("hello", r.message->body);
}

TEST(ResponseParserTest, Http10ResponseIsFlagged) {
  ResponseParseResult r = feedResponse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(ParseStatus::Complete, r.status) << r.error.message;
  EXPECT_TRUE(r.http10);
}

TEST(ResponseParserTest, EveryErrorIs502) {
  CodecLimits limits;
  limits.max_body_bytes = 3;
  limits.max_header_count = 2;
  expectError(feedResponse(kContentLengthResponse, limits), CodecError::BodyTooLarge, 502);
  expectError(feedResponse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits),
              CodecError::TooManyHeaders, 502);
  expectError(feedResponse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"),
              CodecError::ConflictingFraming, 502);
  expectError(feedResponse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
              CodecError::BadContentLength, 502);
  expectError(feedResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: br, chunked\r\n\r\n"),
              CodecError::UnsupportedTransferEncoding, 502);
  expectError(feedResponse("HTTP/1.1 000 Zero\r\n\r\n"), CodecError::Malformed, 502);
  expectError(feedResponse("HTTP/1.1 2000 OK\r\n\r\n"), CodecError::Malformed, 502);
  expectError(feedResponse("HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n"), CodecError::Malformed, 502);
  CodecLimits small;
  small.max_header_bytes = 32;
  expectError(feedResponse(kContentLengthResponse, small), CodecError::HeaderTooLarge, 502);

  ResponseParser parser;
  ASSERT_EQ(ParseStatus::NeedMore,
            parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab").status);
  expectError(parser.finish(), CodecError::Truncated, 502);
}

TEST(ResponseParserTest, TruncatedMessageAtEveryLengthNeedsMore) {
  for (const std::string& bytes : {kContentLengthResponse, kChunkedResponse,
                                   std::string("HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n")}) {
    const std::string_view view = bytes;
    ResponseParseResult whole = feedResponse(bytes);
    ASSERT_EQ(ParseStatus::Complete, whole.status) << whole.error.message;
    for (size_t len = 0; len < bytes.size(); ++len) {
      SCOPED_TRACE("prefix " + std::to_string(len) + " of " + bytes.substr(0, 20));
      ResponseParser parser;
      ResponseParseResult r = parser.feed(view.substr(0, len));
      ASSERT_EQ(ParseStatus::NeedMore, r.status) << r.error.message;
      EXPECT_EQ(len, r.consumed);
      ResponseParseResult rest = parser.feed(view.substr(len));
      ASSERT_EQ(ParseStatus::Complete, rest.status) << rest.error.message;
      expectSameResponse(*whole.message, *rest.message);
    }
  }
}

TEST(ResponseParserTest, IsMovable) {
  ResponseParser parser;
  ASSERT_EQ(ParseStatus::NeedMore, parser.feed("HTTP/1.1 200 OK\r\n").status);
  ResponseParser moved = std::move(parser);
  ResponseParseResult r = moved.feed("Content-Length: 0\r\n\r\n");
  EXPECT_EQ(ParseStatus::Complete, r.status) << r.error.message;
}

}  // namespace
}  // namespace meshsim::proxy::http
