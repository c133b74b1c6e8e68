// The matchers and fixture of meshsim/testing.h. Explanations follow GoogleMock's phrasing: they
// complete "Actual: <value>, " with "which ..." or "whose ...".

#include "meshsim/testing.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace meshsim::testing {

namespace {

std::string shownText(std::string_view s) {
  constexpr size_t kLimit = 200;
  std::string out = "\"";
  out += s.substr(0, kLimit);
  out += "\"";
  if (s.size() > kLimit) {
    out += "... (" + std::to_string(s.size()) + " bytes)";
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  if (std::fabs(v - std::round(v)) < 1e-9 && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.6g", v);
  }
  return buf;
}

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", share * 100.0);
  return buf;
}

template <typename T>
std::string describeMatcher(const ::testing::Matcher<T>& m, bool negation = false) {
  std::ostringstream os;
  if (negation) {
    m.DescribeNegationTo(&os);
  } else {
    m.DescribeTo(&os);
  }
  return os.str();
}

// ", " + the explanation, or nothing when there is none.
std::string andExplanation(const ::testing::StringMatchResultListener& listener) {
  return listener.str().empty() ? std::string() : ", " + listener.str();
}

// "which was served by default/hello-0" / "which a proxy answered (no app)".
std::string servedText(const Response& r) {
  if (r.status == 0) {
    return "which got no response (" + (r.error.empty() ? std::string("reset") : r.error) + ")";
  }
  if (r.served_by) {
    return "which was served by " + r.served_by->id() + " (workload " + r.served_by->workload + ")";
  }
  return "which a proxy answered itself (status " + std::to_string(r.status) + ", no app)";
}

bool isRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

namespace internal {

// --- ResponseMatcher -------------------------------------------------------------------------

bool ResponseMatcher::MatchAndExplain(const Response& response,
                                      ::testing::MatchResultListener* listener) const {
  std::ostringstream seen;
  const bool matched = matchOne(response, seen);
  *listener << seen.str();
  return matched;
}

bool ResponseMatcher::MatchAndExplain(const Responses& responses,
                                      ::testing::MatchResultListener* listener) const {
  if (responses.empty()) {
    *listener << "which is an empty batch";
    return false;
  }
  size_t failed = 0;
  size_t first = 0;
  std::string first_seen;
  for (size_t i = 0; i < responses.size(); ++i) {
    std::ostringstream seen;
    if (!matchOne(responses[i], seen) && failed++ == 0) {
      first = i;
      first_seen = seen.str();
    }
  }
  if (failed == 0) {
    *listener << "where all " << responses.size() << " responses do";
  } else {
    *listener << "where " << failed << " of " << responses.size()
              << " responses don't; the first, #" << first << ", " << first_seen;
  }
  return failed == 0;
}

// --- StatusMatcher ---------------------------------------------------------------------------

bool StatusMatcher::matchOne(const Response& response, std::ostream& seen) const {
  if (response.status == 0) {
    seen << "which got no response (" << (response.error.empty() ? "reset" : response.error) << ")";
  } else {
    seen << "which has status " << response.status;
  }
  return response.status == status_;
}

void StatusMatcher::describe(std::ostream* os, bool negation) const {
  if (status_ == 0) {
    *os << (negation ? "got a response" : "got no response");
  } else {
    *os << (negation ? "doesn't have status " : "has status ") << status_;
  }
}

// --- ServedByMatcher -------------------------------------------------------------------------

bool ServedByMatcher::matchOne(const Response& response, std::ostream& seen) const {
  seen << servedText(response);
  if (!selector_) {
    return response.status != 0 && !response.served_by;
  }
  return response.served_by && selector_->matches(*response.served_by);
}

void ServedByMatcher::describe(std::ostream* os, bool negation) const {
  if (!selector_) {
    *os << (negation ? "is served by an app (or got no response)"
                     : "is answered by a proxy itself, not an app");
    return;
  }
  *os << (negation ? "isn't served by " : "is served by ") << selector_->toString();
}

// --- RedirectMatcher -------------------------------------------------------------------------

bool RedirectMatcher::matchOne(const Response& response, std::ostream& seen) const {
  const auto location = response.headers.get("location");
  if (response.status == 0) {
    seen << servedText(response);
    return false;
  }
  seen << "which has status " << response.status;
  if (location) {
    seen << " and location " << *location;
  } else {
    seen << " and no location header";
  }
  return isRedirect(response.status) && (status_ == 0 || response.status == status_) &&
         location == location_;
}

void RedirectMatcher::describe(std::ostream* os, bool negation) const {
  *os << (negation ? "doesn't redirect (" : "redirects (")
      << (status_ == 0 ? std::string("301, 302, 303, 307 or 308") : std::to_string(status_))
      << ") to " << location_;
}

// --- HeaderMatcher ---------------------------------------------------------------------------

bool HeaderMatcher::matchHeaders(const Headers& headers, std::ostream& seen) const {
  const auto value = headers.get(name_);
  if (!value) {
    seen << "which has no header " << name_;
    return false;
  }
  seen << "whose header " << name_ << " is " << shownText(*value);
  if (!value_) {
    return true;
  }
  ::testing::StringMatchResultListener inner;
  const bool matched = value_->MatchAndExplain(*value, &inner);
  seen << andExplanation(inner);
  return matched;
}

bool HeaderMatcher::MatchAndExplain(const ReceivedRequest& request,
                                    ::testing::MatchResultListener* listener) const {
  std::ostringstream seen;
  const bool matched = matchHeaders(request.headers, seen);
  *listener << seen.str();
  return matched;
}

bool HeaderMatcher::matchOne(const Response& response, std::ostream& seen) const {
  return matchHeaders(response.headers, seen);
}

void HeaderMatcher::describe(std::ostream* os, bool negation) const {
  if (!value_) {
    *os << (negation ? "doesn't have header " : "has header ") << name_;
    return;
  }
  *os << (negation ? "doesn't have header " : "has header ") << name_ << " that "
      << describeMatcher(*value_);
}

// --- BodyMatcher -----------------------------------------------------------------------------

namespace {
bool matchBody(const ::testing::Matcher<const std::string&>& m, const std::string& body,
               std::ostream& seen) {
  ::testing::StringMatchResultListener inner;
  const bool matched = m.MatchAndExplain(body, &inner);
  seen << "whose body is " << shownText(body) << andExplanation(inner);
  return matched;
}
}  // namespace

bool BodyMatcher::MatchAndExplain(const ReceivedRequest& request,
                                  ::testing::MatchResultListener* listener) const {
  std::ostringstream seen;
  const bool matched = matchBody(body_, request.body, seen);
  *listener << seen.str();
  return matched;
}

bool BodyMatcher::matchOne(const Response& response, std::ostream& seen) const {
  return matchBody(body_, response.body, seen);
}

void BodyMatcher::describe(std::ostream* os, bool negation) const {
  *os << (negation ? "doesn't have a body that " : "has a body that ") << describeMatcher(body_);
}

// --- UpstreamMatcher -------------------------------------------------------------------------

bool UpstreamMatcher::matchOne(const Response& response, std::ostream& seen) const {
  if (!response.upstream) {
    seen << servedText(response) << ", so no app received the request";
    return false;
  }
  ::testing::StringMatchResultListener inner;
  const bool matched = request_.MatchAndExplain(*response.upstream, &inner);
  seen << "whose app received " << *response.upstream << andExplanation(inner);
  return matched;
}

void UpstreamMatcher::describe(std::ostream* os, bool negation) const {
  *os << (negation ? "isn't served by an app that received a request that "
                   : "is served by an app that received a request that ")
      << describeMatcher(request_);
}

// --- RequestFieldMatcher ---------------------------------------------------------------------

namespace {
const char* fieldName(RequestFieldMatcher::Field field) {
  switch (field) {
    case RequestFieldMatcher::Field::Method:
      return "method";
    case RequestFieldMatcher::Field::Path:
      return "path";
    case RequestFieldMatcher::Field::Host:
      return "host";
  }
  return "?";
}
}  // namespace

bool RequestFieldMatcher::MatchAndExplain(const ReceivedRequest& request,
                                          ::testing::MatchResultListener* listener) const {
  const std::string& value = field_ == Field::Method ? request.method
                             : field_ == Field::Path ? request.path
                                                     : request.authority;
  ::testing::StringMatchResultListener inner;
  const bool matched = value_.MatchAndExplain(value, &inner);
  *listener << "whose " << fieldName(field_) << " is " << shownText(value) << andExplanation(inner);
  return matched;
}

void RequestFieldMatcher::DescribeTo(std::ostream* os) const {
  *os << "has " << fieldName(field_) << " that " << describeMatcher(value_);
}

void RequestFieldMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "has " << fieldName(field_) << " that " << describeMatcher(value_, true);
}

// --- ShareMatcher ----------------------------------------------------------------------------

bool ShareMatcher::MatchAndExplain(const Responses& responses,
                                   ::testing::MatchResultListener* listener) const {
  const size_t n = responses.countServedBy(selector_);
  const double share = responses.shareServedBy(selector_);
  *listener << "where " << selector_.toString() << " served " << percent(share) << " (" << n
            << " of " << responses.size() << "); " << responses.summary();
  return !responses.empty() && std::fabs(share - share_) <= tolerance_ + 1e-9;
}

void ShareMatcher::DescribeTo(std::ostream* os) const {
  *os << "is served by " << selector_.toString() << " for " << percent(share_) << " +/- "
      << percent(tolerance_) << " of responses";
}

void ShareMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "isn't served by " << selector_.toString() << " for " << percent(share_) << " +/- "
      << percent(tolerance_) << " of responses";
}

// --- MetricMatcher ---------------------------------------------------------------------------

bool MetricMatcher::MatchAndExplain(const Mesh& mesh,
                                    ::testing::MatchResultListener* listener) const {
  const Result<double> v = mesh.metric(query_);
  if (!v.ok()) {
    *listener << "whose metric query failed: " << v.error();
    return false;
  }
  ::testing::StringMatchResultListener inner;
  const bool matched = value_.MatchAndExplain(*v, &inner);
  *listener << "whose metric " << query_ << " is " << number(*v) << andExplanation(inner);
  return matched;
}

void MetricMatcher::DescribeTo(std::ostream* os) const {
  *os << "has metric " << query_ << " that " << describeMatcher(value_);
}

void MetricMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "has metric " << query_ << " that " << describeMatcher(value_, true);
}

// --- FailedMatcher ---------------------------------------------------------------------------

bool FailedMatcher::matchError(const Error& error, ::testing::MatchResultListener* listener) const {
  ::testing::StringMatchResultListener inner;
  const bool message_matched = message_.MatchAndExplain(error.message(), &inner);
  *listener << "which failed with " << error.toString() << andExplanation(inner);
  return error.code() == code_ && message_matched;
}

void FailedMatcher::DescribeTo(std::ostream* os) const {
  *os << "failed with " << errorCodeName(code_) << " and a message that "
      << describeMatcher(message_);
}

void FailedMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "didn't fail with " << errorCodeName(code_) << " and a message that "
      << describeMatcher(message_);
}

}  // namespace internal

// --- TestUsingMesh ---------------------------------------------------------------------------

TestUsingMesh::~TestUsingMesh() = default;

Mesh& TestUsingMesh::mesh() {
  if (!mesh_) {
    Result<Mesh> built = builder_.build();
    if (built.ok()) {
      mesh_.emplace(std::move(built).value());
    } else {
      ADD_FAILURE() << "building the mesh failed: " << built.error();
      MeshOptions empty;
      empty.ingress_gateway = false;
      mesh_.emplace(MeshBuilder().options(empty).build().value());
    }
  }
  return *mesh_;
}

Result<Response> TestUsingMesh::send(const Request& request, const From& from) {
  return mesh().send(request, from);
}

Result<Responses> TestUsingMesh::send(const Request& request, int count, const From& from) {
  return mesh().send(request, count, from);
}

}  // namespace meshsim::testing
