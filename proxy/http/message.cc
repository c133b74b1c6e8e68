#include "proxy/http/message.h"

#include <algorithm>
#include <tuple>

namespace meshsim::proxy::http {

HeaderMap::Entries& HeaderMap::mutableEntries() {
  if (entries_ == nullptr) {
    entries_ = std::make_shared<Entries>();
  } else if (entries_.use_count() > 1) {
    entries_ = std::make_shared<Entries>(*entries_);
  }
  return *entries_;
}

void HeaderMap::clear() {
  if (entries_ != nullptr && entries_.use_count() == 1) {
    entries_->clear();  // keeps the room
  } else {
    entries_.reset();
  }
}

const std::string* HeaderMap::get(std::string_view name) const {
  for (const auto& [k, v] : entries()) {
    if (k == name) {
      return &v;
    }
  }
  return nullptr;
}

template <typename Name, typename Value>
void HeaderMap::replace(const Name& name, Value&& value) {
  const Entries& shared = entries();
  const auto first =
      std::find_if(shared.begin(), shared.end(), [&](const Entry& e) { return e.first == name; });
  if (first == shared.end()) {
    // Built in place: no name or value moved into the entry afterwards.
    mutableEntries().emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                                  std::forward_as_tuple(std::forward<Value>(value)));
    return;
  }
  const auto more =
      std::find_if(first + 1, shared.end(), [&](const Entry& e) { return e.first == name; });
  if (more == shared.end() && first->second == value) {
    return;  // unchanged: a shared map stays shared
  }
  const auto at = first - shared.begin();
  Entries& own = mutableEntries();
  own[at].second = std::forward<Value>(value);
  if (more != shared.end()) {
    own.erase(std::remove_if(own.begin() + at + 1, own.end(),
                             [&](const Entry& e) { return e.first == name; }),
              own.end());
  }
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  replace(name, value);
}

void HeaderMap::setOwned(std::string_view name, std::string value) {
  replace(name, std::move(value));
}

void HeaderMap::setReferenceKey(const HeaderName& name, std::string_view value) {
  replace(name, value);
}

void HeaderMap::setReferenceKeyOwned(const HeaderName& name, std::string value) {
  replace(name, std::move(value));
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  mutableEntries().emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                                std::forward_as_tuple(value));
}

void HeaderMap::addOwned(std::string name, std::string value) {
  append(HeaderName(std::move(name)), std::move(value));
}

void HeaderMap::append(HeaderName name, std::string value) {
  mutableEntries().emplace_back(std::move(name), std::move(value));
}

size_t HeaderMap::remove(std::string_view name) {
  return removeIf([&](std::string_view n) { return n == name; });
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = toLowerAscii(c);
  }
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

std::string_view protocolName(Protocol p) {
  return p == Protocol::Http2 ? "HTTP/2" : "HTTP/1.1";
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

}  // namespace meshsim::proxy::http
