#include "proxy/http/message.h"

#include <algorithm>

namespace meshsim::proxy::http {

const std::string* HeaderMap::get(std::string_view name) const {
  for (const auto& [k, v] : entries_) {
    if (k == name) {
      return &v;
    }
  }
  return nullptr;
}

std::string* HeaderMap::keepOnlyFirst(std::string_view name) {
  std::string* first = nullptr;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first != name) {
      ++it;
    } else if (first == nullptr) {
      first = &it->second;
      ++it;
    } else {
      // Erasing after the first match leaves `first` valid.
      it = entries_.erase(it);
    }
  }
  return first;
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  if (std::string* slot = keepOnlyFirst(name)) {
    slot->assign(value);
  } else {
    add(name, value);
  }
}

void HeaderMap::setOwned(std::string_view name, std::string value) {
  if (std::string* slot = keepOnlyFirst(name)) {
    *slot = std::move(value);
  } else {
    append(HeaderName(name), std::move(value));
  }
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  append(HeaderName(name), std::string(value));
}

void HeaderMap::addOwned(std::string name, std::string value) {
  append(HeaderName(std::move(name)), std::move(value));
}

void HeaderMap::append(HeaderName name, std::string value) {
  if (entries_.capacity() == 0) {
    // Proxies add several headers to every request; grow once instead of four times.
    entries_.reserve(kInitialCapacity);
  }
  entries_.emplace_back(std::move(name), std::move(value));
}

size_t HeaderMap::remove(std::string_view name) {
  const auto before = entries_.size();
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.first == name; }),
                 entries_.end());
  return before - entries_.size();
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
