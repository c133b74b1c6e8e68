#include "proxy/net/wire.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/http/codec.h"

namespace meshsim::proxy::net {
namespace {

// The fast writers must produce the codec's bytes exactly, including for messages the codec
// repairs (those take the codec's path).
std::vector<http::Request> requests() {
  std::vector<http::Request> out;
  http::Request plain;
  plain.authority = "hello.com";
  out.push_back(plain);
  http::Request full = plain;
  full.method = "POST";
  full.path = "/api/v1?x=1&y=%20";
  full.headers.add("x-forwarded-for", "127.0.0.1");
  full.headers.add("x-request-id", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
  full.headers.add("cookie", "a=1");
  full.headers.add("cookie", "b=2");
  full.headers.add("host", "ignored.example");
  full.headers.add("content-length", "99");
  full.body = "{\"k\": 1}";
  out.push_back(full);
  http::Request empty_post = plain;
  empty_post.method = "PUT";
  out.push_back(empty_post);
  http::Request upper = plain;
  upper.headers.add("X-Upper", "v");  // repaired: lower-cased
  out.push_back(upper);
  http::Request spaced = plain;
  spaced.headers.add("x-spaced", " v ");  // repaired: trimmed
  out.push_back(spaced);
  http::Request control = plain;
  control.headers.add("x-ctl", "a\nb");  // repaired: control character
  out.push_back(control);
  http::Request bad_path = plain;
  bad_path.path = "/a b";  // repaired: percent-encoded
  out.push_back(bad_path);
  http::Request no_method = plain;
  no_method.method = "";
  no_method.path = "";
  out.push_back(no_method);
  http::Request bad_host = plain;
  bad_host.authority = "h\xffst";
  out.push_back(bad_host);
  return out;
}

std::vector<http::Response> responses() {
  std::vector<http::Response> out;
  http::Response ok;
  ok.body = "hello";
  ok.headers.add("content-type", "text/plain");
  ok.headers.add("server", "istio-envoy");
  ok.headers.add("transfer-encoding", "chunked");
  out.push_back(ok);
  http::Response empty;
  empty.status = 404;
  out.push_back(empty);
  http::Response no_content;
  no_content.status = 204;
  no_content.body = "dropped";
  out.push_back(no_content);
  http::Response odd;
  odd.status = 599;
  out.push_back(odd);
  http::Response bad_status;
  bad_status.status = 42;
  out.push_back(bad_status);
  http::Response upper;
  upper.headers.add("Set-Cookie", "x");
  out.push_back(upper);
  return out;
}

TEST(WireTest, WritesRequestsAsTheCodecDoes) {
  std::string out = "left over from an earlier message";
  for (const auto& r : requests()) {
    writeRequest(r, out);
    EXPECT_EQ(out, http::serializeRequest(r)) << r.method << " " << r.path;
  }
}

TEST(WireTest, WritesResponsesAsTheCodecDoes) {
  std::string out = "left over from an earlier message";
  for (const auto& r : responses()) {
    writeResponse(r, out);
    EXPECT_EQ(out, http::serializeResponse(r)) << r.status;
  }
}

// Writes, for every length up to 20, every position and every byte of `bytes`, a request with
// one field built by `field(text)` from `filler` text with that byte at that position, and
// expects the codec's bytes.
template <typename AddField>
void expectEveryLengthAndByteAsTheCodec(std::string_view bytes, char filler, AddField field) {
  std::string out;
  for (size_t length = 1; length <= 20; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (const char c : bytes) {
        http::Request r;
        r.authority = "hello.com";
        std::string text(length, filler);
        text[at] = c;
        field(r.headers, text);
        writeRequest(r, out);
        EXPECT_EQ(out, http::serializeRequest(r))
            << "length " << length << ", byte " << int(static_cast<unsigned char>(c)) << " at "
            << at;
      }
    }
  }
}

// The fast writer checks field values eight bytes at a time: every byte class, at every position
// of values long and short, must come out as the codec writes it (tabs and obs-text unchanged,
// control characters and DEL repaired).
TEST(WireTest, FieldValuesOfEveryLengthAndByteClass) {
  expectEveryLengthAndByteAsTheCodec(
      std::string_view("\x00\x01\t\x1f \x7e\x7f\x80\xff", 9), 'a',
      [](http::HeaderMap& headers, const std::string& value) { headers.add("x-value", value); });
}

// Field names likewise: the common letters, digits and dashes eight at a time, every other
// byte (token characters, upper case to lower, separators to repair) as the codec has it.
TEST(WireTest, FieldNamesOfEveryLengthAndByteClass) {
  expectEveryLengthAndByteAsTheCodec(
      std::string_view("az09-AZ_~`|( :\x80\x00", 16), 'x',
      [](http::HeaderMap& headers, const std::string& name) { headers.add(name, "v"); });
}

}  // namespace
}  // namespace meshsim::proxy::net
