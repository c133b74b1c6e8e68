// The embedding API's value types (meshsim/result.h, meshsim/http.h): errors, headers, requests,
// responses, pod selectors and how they print.

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "meshsim/http.h"
#include "meshsim/result.h"
#include "proxy/http/message.h"

namespace meshsim {

namespace {

// At most `limit` characters of `s`, quoted, with "..." when cut.
std::string shownText(std::string_view s, size_t limit = 120) {
  std::string out = "\"";
  for (char c : s.substr(0, limit)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  if (s.size() > limit) {
    out += "... (" + std::to_string(s.size()) + " bytes)";
  }
  return out;
}

std::string labelsText(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) {
      out += ',';
    }
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

// --- Error, Result ---------------------------------------------------------------------------

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::NotFound:
      return "NOT_FOUND";
    case ErrorCode::AlreadyExists:
      return "ALREADY_EXISTS";
    case ErrorCode::FailedPrecondition:
      return "FAILED_PRECONDITION";
    case ErrorCode::OutOfRange:
      return "OUT_OF_RANGE";
    case ErrorCode::Unimplemented:
      return "UNIMPLEMENTED";
    case ErrorCode::Internal:
      return "INTERNAL";
    case ErrorCode::Unavailable:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

Error::Error(ErrorCode code, std::string message, std::vector<std::string> diagnostics)
    : code_(code), message_(std::move(message)), diagnostics_(std::move(diagnostics)) {
  if (diagnostics_.empty()) {
    diagnostics_.push_back(message_);
  }
}

std::string Error::toString() const {
  std::string out = std::string(errorCodeName(code_)) + ": " + message_;
  for (const auto& d : diagnostics_) {
    if (d != message_) {
      out += "\n  " + d;
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Error& error) {
  return os << error.toString();
}

BadResultAccess::BadResultAccess(Error error)
    : std::logic_error("meshsim::Result holds no value: " + error.toString()),
      error_(std::move(error)) {}

namespace internal {

void throwBadResultAccess(const Error& error) {
  throw BadResultAccess(error);
}

void throwNoError() {
  throw BadResultAccess(
      Error(ErrorCode::FailedPrecondition, "error() called on a Result that holds a value"));
}

}  // namespace internal

// --- Headers ---------------------------------------------------------------------------------

Headers::Headers(std::initializer_list<Entry> entries) {
  for (const auto& [name, value] : entries) {
    add(name, value);
  }
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : entries_) {
    if (proxy::http::equalsIgnoreCase(k, name)) {
      return v;
    }
  }
  return std::nullopt;
}

std::vector<std::string> Headers::getAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) {
    if (proxy::http::equalsIgnoreCase(k, name)) {
      out.push_back(v);
    }
  }
  return out;
}

void Headers::add(std::string_view name, std::string_view value) {
  entries_.emplace_back(proxy::http::toLower(name), std::string(value));
}

void Headers::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

size_t Headers::remove(std::string_view name) {
  const size_t before = entries_.size();
  std::erase_if(entries_,
                [&](const Entry& e) { return proxy::http::equalsIgnoreCase(e.first, name); });
  return before - entries_.size();
}

// --- Request, Response -----------------------------------------------------------------------

Request Request::get(std::string url) {
  Request r;
  r.url = std::move(url);
  return r;
}

Request Request::post(std::string url, std::string body) {
  Request r;
  r.method = "POST";
  r.url = std::move(url);
  r.body = std::move(body);
  return r;
}

Request& Request::withHeader(std::string_view name, std::string_view value) {
  headers.add(name, value);
  return *this;
}

Request& Request::withBody(std::string b) {
  body = std::move(b);
  return *this;
}

Response Response::make(int status, std::string body, Headers headers) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// --- PodSelector -----------------------------------------------------------------------------

PodSelector::PodSelector(Kind kind, std::string name, std::string namespace_name, Labels labels)
    : kind_(kind),
      name_(std::move(name)),
      namespace_(std::move(namespace_name)),
      labels_(std::move(labels)) {}

PodSelector PodSelector::pod(std::string name) {
  const size_t slash = name.find('/');
  if (slash == std::string::npos) {
    return PodSelector(Kind::Pod, std::move(name), "", {});
  }
  return PodSelector(Kind::Pod, name.substr(slash + 1), name.substr(0, slash), {});
}

PodSelector PodSelector::workload(std::string name, std::string namespace_name) {
  return PodSelector(Kind::Workload, std::move(name), std::move(namespace_name), {});
}

PodSelector PodSelector::labels(Labels selector, std::string namespace_name) {
  return PodSelector(Kind::LabelSet, "", std::move(namespace_name), std::move(selector));
}

PodSelector PodSelector::parse(std::string_view key) {
  key = trim(key);
  if (key.find('=') != std::string_view::npos) {
    Labels selector;
    size_t start = 0;
    while (start <= key.size()) {
      size_t end = key.find(',', start);
      if (end == std::string_view::npos) {
        end = key.size();
      }
      const std::string_view part = trim(key.substr(start, end - start));
      const size_t eq = part.find('=');
      if (!part.empty()) {
        // "k" without a value selects pods whose label k is empty.
        selector[std::string(trim(part.substr(0, eq)))] =
            eq == std::string_view::npos ? std::string() : std::string(trim(part.substr(eq + 1)));
      }
      start = end + 1;
    }
    return PodSelector::labels(std::move(selector));
  }
  if (key.find('/') != std::string_view::npos) {
    return pod(std::string(key));
  }
  return PodSelector(Kind::WorkloadOrPod, std::string(key), "", {});
}

bool PodSelector::matches(const PodInfo& pod) const {
  if (!namespace_.empty() && pod.namespace_name != namespace_) {
    return false;
  }
  switch (kind_) {
    case Kind::Pod:
      return pod.name == name_;
    case Kind::Workload:
      return pod.workload == name_;
    case Kind::WorkloadOrPod:
      return pod.workload == name_ || pod.name == name_;
    case Kind::LabelSet:
      for (const auto& [k, v] : labels_) {
        auto it = pod.labels.find(k);
        if (it == pod.labels.end() || it->second != v) {
          return false;
        }
      }
      return true;
  }
  return false;
}

std::string PodSelector::toString() const {
  std::string out;
  switch (kind_) {
    case Kind::Pod:
      return "pod " + (namespace_.empty() ? name_ : namespace_ + "/" + name_);
    case Kind::Workload:
      out = "workload " + name_;
      break;
    case Kind::WorkloadOrPod:
      out = "workload or pod " + name_;
      break;
    case Kind::LabelSet:
      out = labels_.empty() ? std::string("any pod") : "pods labelled " + labelsText(labels_);
      break;
  }
  if (!namespace_.empty()) {
    out += " in namespace " + namespace_;
  }
  return out;
}

// --- Responses -------------------------------------------------------------------------------

size_t Responses::countStatus(int status) const {
  return static_cast<size_t>(std::count_if(responses.begin(), responses.end(),
                                           [&](const Response& r) { return r.status == status; }));
}

size_t Responses::countServedBy(const PodSelector& selector) const {
  return static_cast<size_t>(
      std::count_if(responses.begin(), responses.end(), [&](const Response& r) {
        return r.served_by.has_value() && selector.matches(*r.served_by);
      }));
}

double Responses::shareServedBy(const PodSelector& selector) const {
  return responses.empty()
             ? 0.0
             : static_cast<double>(countServedBy(selector)) / static_cast<double>(responses.size());
}

std::map<int, size_t> Responses::statusCounts() const {
  std::map<int, size_t> out;
  for (const auto& r : responses) {
    ++out[r.status];
  }
  return out;
}

std::map<std::string, size_t> Responses::servedByCounts() const {
  std::map<std::string, size_t> out;
  for (const auto& r : responses) {
    ++out[r.served_by ? r.served_by->id() : std::string()];
  }
  return out;
}

std::string Responses::summary() const {
  if (responses.empty()) {
    return "no responses";
  }
  std::string out;
  for (const auto& [status, n] : statusCounts()) {
    out += (out.empty() ? "" : ", ") +
           (status == 0 ? std::string("no response") : std::to_string(status)) + " x " +
           std::to_string(n);
  }
  std::string served;
  for (const auto& [pod, n] : servedByCounts()) {
    served += (served.empty() ? "" : ", ") + (pod.empty() ? std::string("(no app)") : pod) + " x " +
              std::to_string(n);
  }
  return out + "; served by " + served;
}

// --- Printing --------------------------------------------------------------------------------

std::ostream& operator<<(std::ostream& os, const Headers& headers) {
  os << "{";
  bool first = true;
  for (const auto& [k, v] : headers) {
    os << (first ? "" : ", ") << k << ": " << v;
    first = false;
  }
  return os << "}";
}

std::ostream& operator<<(std::ostream& os, const Request& request) {
  os << request.method << " " << request.url;
  if (!request.headers.empty()) {
    os << " " << request.headers;
  }
  if (!request.body.empty()) {
    os << " body " << shownText(request.body);
  }
  return os;
}

std::ostream& operator<<(std::ostream& os, const PodInfo& pod) {
  return os << pod.id() << " (workload " << pod.workload << ", labels " << labelsText(pod.labels)
            << ")";
}

std::ostream& operator<<(std::ostream& os, const ReceivedRequest& request) {
  os << request.method << " " << request.scheme << "://" << request.authority << request.path
     << " at " << request.pod.id() << ", headers " << request.headers;
  if (!request.body.empty()) {
    os << ", body " << shownText(request.body);
  }
  return os;
}

std::ostream& operator<<(std::ostream& os, const Response& response) {
  if (response.status == 0) {
    return os << "no response (" << (response.error.empty() ? "reset" : response.error) << ")";
  }
  os << response.status << " from "
     << (response.served_by ? response.served_by->id() : std::string("a proxy (no app)"))
     << ", headers " << response.headers;
  if (!response.body.empty()) {
    os << ", body " << shownText(response.body);
  }
  return os;
}

std::ostream& operator<<(std::ostream& os, const Responses& responses) {
  return os << responses.size() << " responses: " << responses.summary();
}

std::ostream& operator<<(std::ostream& os, const PodSelector& selector) {
  return os << selector.toString();
}

void PrintTo(const Headers& headers, std::ostream* os) {
  *os << headers;
}

void PrintTo(const Responses& responses, std::ostream* os) {
  *os << responses;
}

}  // namespace meshsim
