#pragma once

// File: proxy/http/message.h
//
// HTTP messages as the proxy core handles them. In-process hops hand these objects from one
// proxy to the next (no serialization); the HTTP/1.1 codec in codec.h turns them into bytes
// and back for real sockets and for wire-exact checks.
//
// Header names are stored lower-cased (HTTP/2 style); lookups are case-insensitive because
// callers pass lower-case names. Pseudo-headers (:method, :path, :authority, :scheme) are
// separate fields, not entries of the map.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "proxy/http/header_name.h"

namespace meshsim::proxy::http {

// The header fields of one message, in order. Copies share their entries until one of them
// changes (copy-on-write): a proxy keeps the request it routes for retries and hands the next
// hop a copy, which usually forwards the same fields untouched, so a hop costs a reference count
// instead of a copy of every field. Pointers from get() are valid until this map next changes.
// Like the messages themselves, a map and its copies belong to one thread at a time.
class HeaderMap {
public:
  using Entry = std::pair<HeaderName, std::string>;

  // Returns the first value of `name` (lower-case), or nullptr.
  const std::string* get(std::string_view name) const;
  // Replaces every value of `name` with `value`.
  void set(std::string_view name, std::string_view value);
  // Appends a value, keeping existing ones (like Envoy's addCopy).
  void add(std::string_view name, std::string_view value);
  // The same, taking the strings instead of copying them (`name` must be lower-case).
  void addOwned(std::string name, std::string value);
  // Like set(), taking the value instead of copying it.
  void setOwned(std::string_view name, std::string value);
  // Like set() and setOwned(), for a name made beforehand (one of http::headers): found and
  // stored without looking the name up (Envoy's setReferenceKey).
  void setReferenceKey(const HeaderName& name, std::string_view value);
  void setReferenceKeyOwned(const HeaderName& name, std::string value);
  // Removes every value of `name`; returns how many were removed.
  size_t remove(std::string_view name);
  bool has(std::string_view name) const { return get(name) != nullptr; }
  // Removes every entry whose name satisfies `pred`; returns how many were removed.
  template <typename Pred>
  size_t removeIf(Pred pred) {
    const auto matches = [&](const Entry& e) {
      const std::string_view name = e.first;
      return pred(name);
    };
    const Entries& shared = entries();
    if (std::none_of(shared.begin(), shared.end(), matches)) {
      return 0;  // unchanged: a shared map stays shared
    }
    Entries& own = mutableEntries();
    const auto before = own.size();
    own.erase(std::remove_if(own.begin(), own.end(), matches), own.end());
    return before - own.size();
  }

  size_t size() const { return entries().size(); }
  bool empty() const { return entries().empty(); }
  void clear();
  auto begin() const { return entries().begin(); }
  auto end() const { return entries().end(); }
  void reserve(size_t n) { mutableEntries().reserve(n); }

  friend bool operator==(const HeaderMap& a, const HeaderMap& b) {
    return a.entries_ == b.entries_ || a.entries() == b.entries();
  }

private:
  // Room for the fields a proxied request carries in the same allocation as the map's shared
  // block; more spill to the heap.
  static constexpr size_t kInlineEntries = 12;
  using Entries = boost::container::small_vector<Entry, kInlineEntries>;

  const Entries& entries() const { return entries_ != nullptr ? *entries_ : emptyEntries(); }
  // This map's own entries, copied first if another map shares them.
  Entries& mutableEntries();
  static const Entries& emptyEntries() {
    static const Entries kEmpty;
    return kEmpty;
  }
  void append(HeaderName name, std::string value);
  // set() and friends: `value` replaces every value of `name` (a string_view, or a HeaderName
  // compared by its interned copy); the name is made only when it is appended.
  template <typename Name, typename Value>
  void replace(const Name& name, Value&& value);

  std::shared_ptr<Entries> entries_;  // null while empty
};

// Lower-cases an ASCII letter; any other byte is returned as it is.
inline char toLowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
// Lower-cases ASCII letters of `s`.
std::string toLower(std::string_view s);
// Whether `a` and `b` are equal ignoring ASCII case.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// The HTTP version a request travels with on one hop. Simulated hops carry it as a property of
// the request (no framing is simulated); real sockets speak HTTP/1.1 only.
enum class Protocol : uint8_t { Http11, Http2 };

// "HTTP/1.1" or "HTTP/2", as Envoy's %PROTOCOL% prints them.
std::string_view protocolName(Protocol p);

struct Request {
  std::string method = "GET";
  std::string scheme = "http";
  // The Host header / :authority, possibly with a port.
  std::string authority;
  // Path and query, e.g. "/api?x=1".
  std::string path = "/";
  HeaderMap headers;
  std::string body;
  // The version on this hop: the client's choice downstream, the cluster's upstream (a proxy
  // sets it on the request it forwards; config::Cluster::upstream_protocol).
  Protocol protocol = Protocol::Http11;
  // An opaque value that whoever created the request may set; proxies pass it along
  // untouched (a mirrored copy gets 0). The simulator uses it to tie requests to traffic
  // streams.
  uint64_t tag = 0;
};
using RequestPtr = std::unique_ptr<Request>;

struct Response {
  int status = 200;
  HeaderMap headers;
  std::string body;
  // Set by whoever produced the response (an app; 0 for a proxy's local reply) and passed
  // back unchanged by every proxy on the way, so the simulator knows which pod served it.
  uint64_t origin = 0;
  // Envoy response flags (stats::ResponseFlags bits) of the last proxy that handled the
  // response; on the client's side, those of the proxy it talked to. Not sent on the wire.
  uint32_t response_flags = 0;
  // The size of a body that is not carried because nothing will read it: the simulated echo
  // app's document in a run whose expectations never look at a body (sim::MeshOptions). The
  // wire sizes, the Istio metrics and the access log count it as if `body` held it; only the
  // simulator sets it (a real socket always carries the whole body).
  uint64_t unread_body_bytes = 0;
  // The body's size on the wire.
  uint64_t bodyBytes() const { return body.size() + unread_body_bytes; }
};
using ResponsePtr = std::unique_ptr<Response>;

// The reason phrase for a status code ("OK", "Not Found", ...); "Unknown" if none is defined.
std::string_view reasonPhrase(int status);

}  // namespace meshsim::proxy::http
