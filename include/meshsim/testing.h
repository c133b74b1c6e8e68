#pragma once

// File: meshsim/testing.h
//
// GoogleMock matchers and a fixture for testing with meshsim (link meshsim::testing).
//
// Matchers on a Response apply to a batch (Responses) too, where every response must match, and
// to a Result of either, where the send must have succeeded. Their failure messages say what was
// expected and what was seen: "Expected: is served by workload or pod hello-v2 for 10.0% +/- 3.0%
// of responses / Actual: 1000 responses: ..., where workload or pod hello-v2 served 4.1% (41 of
// 1000); ...". docs/embedding.md lists them all.
//
// Example:
//   using namespace ::meshsim::testing;
//   EXPECT_THAT(mesh.send(Request::get("http://hello.com/"), 1000),
//               ServedByShare("hello-v2", 0.10, 0.03));
//   EXPECT_THAT(mesh.send(Request::get("http://hello.com/old")),
//               RedirectsTo("http://hello.com/new", 301));
//   EXPECT_THAT(mesh.send(Request::get("http://hello.com/api")),
//               UpstreamRequest(AllOf(HasPath("/v2/api"), HasHeader("x-version", "2"))));
//   EXPECT_THAT(mesh, HasMetric(R"(sum(istio_requests_total{reporter="source"}))", 1001));

#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "meshsim/http.h"
#include "meshsim/mesh.h"
#include "meshsim/result.h"

namespace meshsim::testing {

// NOLINTBEGIN(readability-identifier-naming): GoogleMock's names (MatchAndExplain, DescribeTo).
namespace internal {

// Unwraps a Result: a failed one matches nothing and explains why.
template <typename Matcher, typename T>
bool matchResult(const Matcher& matcher, const Result<T>& result,
                 ::testing::MatchResultListener* listener) {
  if (!result.ok()) {
    *listener << "which failed: " << result.error();
    return false;
  }
  return matcher.MatchAndExplain(*result, listener);
}

// A matcher of one Response that also matches a batch when every response matches.
class ResponseMatcher {
public:
  virtual ~ResponseMatcher() = default;

  bool MatchAndExplain(const Response& response, ::testing::MatchResultListener* listener) const;
  bool MatchAndExplain(const Responses& responses, ::testing::MatchResultListener* listener) const;
  template <typename T>
  bool MatchAndExplain(const Result<T>& result, ::testing::MatchResultListener* listener) const {
    return matchResult(*this, result, listener);
  }
  void DescribeTo(std::ostream* os) const { describe(os, false); }
  void DescribeNegationTo(std::ostream* os) const { describe(os, true); }

protected:
  // Whether `response` matches; writes what it shows instead ("status 503") to `seen` either
  // way.
  virtual bool matchOne(const Response& response, std::ostream& seen) const = 0;
  virtual void describe(std::ostream* os, bool negation) const = 0;
};

class StatusMatcher : public ResponseMatcher {
public:
  explicit StatusMatcher(int status) : status_(status) {}

protected:
  bool matchOne(const Response& response, std::ostream& seen) const override;
  void describe(std::ostream* os, bool negation) const override;

private:
  int status_;
};

class ServedByMatcher : public ResponseMatcher {
public:
  // `selector` nullopt: served by no app (a proxy's own reply).
  explicit ServedByMatcher(std::optional<PodSelector> selector) : selector_(std::move(selector)) {}

protected:
  bool matchOne(const Response& response, std::ostream& seen) const override;
  void describe(std::ostream* os, bool negation) const override;

private:
  std::optional<PodSelector> selector_;
};

class RedirectMatcher : public ResponseMatcher {
public:
  RedirectMatcher(std::string location, int status)
      : location_(std::move(location)), status_(status) {}

protected:
  bool matchOne(const Response& response, std::ostream& seen) const override;
  void describe(std::ostream* os, bool negation) const override;

private:
  std::string location_;
  int status_;  // 0: any redirect status
};

// A header of a Response, or of a ReceivedRequest.
class HeaderMatcher : public ResponseMatcher {
public:
  // `value` nullopt: the header is present, with any value.
  HeaderMatcher(std::string name, std::optional<::testing::Matcher<const std::string&>> value)
      : name_(std::move(name)), value_(std::move(value)) {}

  using ResponseMatcher::MatchAndExplain;
  bool MatchAndExplain(const ReceivedRequest& request,
                       ::testing::MatchResultListener* listener) const;

protected:
  bool matchOne(const Response& response, std::ostream& seen) const override;
  void describe(std::ostream* os, bool negation) const override;

private:
  bool matchHeaders(const Headers& headers, std::ostream& seen) const;

  std::string name_;
  std::optional<::testing::Matcher<const std::string&>> value_;
};

// The body of a Response, or of a ReceivedRequest.
class BodyMatcher : public ResponseMatcher {
public:
  explicit BodyMatcher(::testing::Matcher<const std::string&> body) : body_(std::move(body)) {}

  using ResponseMatcher::MatchAndExplain;
  bool MatchAndExplain(const ReceivedRequest& request,
                       ::testing::MatchResultListener* listener) const;

protected:
  bool matchOne(const Response& response, std::ostream& seen) const override;
  void describe(std::ostream* os, bool negation) const override;

private:
  ::testing::Matcher<const std::string&> body_;
};

// The request as the serving app received it.
class UpstreamMatcher : public ResponseMatcher {
public:
  explicit UpstreamMatcher(::testing::Matcher<const ReceivedRequest&> request)
      : request_(std::move(request)) {}

protected:
  bool matchOne(const Response& response, std::ostream& seen) const override;
  void describe(std::ostream* os, bool negation) const override;

private:
  ::testing::Matcher<const ReceivedRequest&> request_;
};

// One field of a ReceivedRequest: method, path or host.
class RequestFieldMatcher {
public:
  enum class Field { Method, Path, Host };
  RequestFieldMatcher(Field field, ::testing::Matcher<const std::string&> value)
      : field_(field), value_(std::move(value)) {}

  bool MatchAndExplain(const ReceivedRequest& request,
                       ::testing::MatchResultListener* listener) const;
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

private:
  Field field_;
  ::testing::Matcher<const std::string&> value_;
};

class ShareMatcher {
public:
  ShareMatcher(PodSelector selector, double share, double tolerance)
      : selector_(std::move(selector)), share_(share), tolerance_(tolerance) {}

  bool MatchAndExplain(const Responses& responses, ::testing::MatchResultListener* listener) const;
  bool MatchAndExplain(const Result<Responses>& result,
                       ::testing::MatchResultListener* listener) const {
    return matchResult(*this, result, listener);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

private:
  PodSelector selector_;
  double share_;
  double tolerance_;
};

class MetricMatcher {
public:
  MetricMatcher(std::string query, ::testing::Matcher<double> value)
      : query_(std::move(query)), value_(std::move(value)) {}

  bool MatchAndExplain(const Mesh& mesh, ::testing::MatchResultListener* listener) const;
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

private:
  std::string query_;
  ::testing::Matcher<double> value_;
};

class SucceededMatcher {
public:
  template <typename T>
  bool MatchAndExplain(const Result<T>& result, ::testing::MatchResultListener* listener) const {
    if (!result.ok()) {
      *listener << "which failed: " << result.error();
    }
    return result.ok();
  }
  void DescribeTo(std::ostream* os) const { *os << "succeeded"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "failed"; }
};

class FailedMatcher {
public:
  FailedMatcher(ErrorCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename T>
  bool MatchAndExplain(const Result<T>& result, ::testing::MatchResultListener* listener) const {
    if (result.ok()) {
      *listener << "which succeeded";
      return false;
    }
    return matchError(result.error(), listener);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

private:
  bool matchError(const Error& error, ::testing::MatchResultListener* listener) const;

  ErrorCode code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename ResultType, typename T>
class ValueMatcherImpl : public ::testing::MatcherInterface<ResultType> {
public:
  explicit ValueMatcherImpl(::testing::Matcher<const T&> value) : value_(std::move(value)) {}

  bool MatchAndExplain(ResultType result, ::testing::MatchResultListener* listener) const override {
    if (!result.ok()) {
      *listener << "which failed: " << result.error();
      return false;
    }
    ::testing::StringMatchResultListener inner;
    const bool matched = value_.MatchAndExplain(*result, &inner);
    *listener << "whose value is " << ::testing::PrintToString(*result);
    if (!inner.str().empty()) {
      *listener << ", " << inner.str();
    }
    return matched;
  }
  void DescribeTo(std::ostream* os) const override {
    *os << "succeeded with a value that ";
    value_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "failed, or succeeded with a value that ";
    value_.DescribeNegationTo(os);
  }

private:
  ::testing::Matcher<const T&> value_;
};

// Converts to a matcher of any Result<T> (as GoogleMock's Optional() does for std::optional).
template <typename InnerMatcher>
class ValueMatcher {
public:
  explicit ValueMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}

  template <typename ResultType>
  operator ::testing::Matcher<ResultType>() const {  // NOLINT(google-explicit-constructor)
    using T = typename std::remove_cvref_t<ResultType>::value_type;
    return ::testing::Matcher<ResultType>(
        new ValueMatcherImpl<ResultType, T>(::testing::SafeMatcherCast<const T&>(inner_)));
  }

private:
  InnerMatcher inner_;
};

}  // namespace internal
// NOLINTEND(readability-identifier-naming)

// NOLINTBEGIN(readability-identifier-naming): matchers are named like GoogleMock's.

// --- Results ---------------------------------------------------------------------------------

// A Result that holds a value (any Result<T>).
inline ::testing::PolymorphicMatcher<internal::SucceededMatcher> Succeeded() {
  return ::testing::MakePolymorphicMatcher(internal::SucceededMatcher());
}
// A Result that failed with `code` and a message `message` matches (a string or a matcher, such
// as HasSubstr("line 3")).
template <typename MessageMatcher>
::testing::PolymorphicMatcher<internal::FailedMatcher> FailedWith(ErrorCode code,
                                                                  MessageMatcher&& message) {
  return ::testing::MakePolymorphicMatcher(internal::FailedMatcher(
      code, ::testing::MatcherCast<const std::string&>(std::forward<MessageMatcher>(message))));
}
inline ::testing::PolymorphicMatcher<internal::FailedMatcher> FailedWith(ErrorCode code) {
  return FailedWith(code, ::testing::_);
}

// A Result holding a value `value` matches (a value or a matcher, such as Ge(900)).
template <typename InnerMatcher>
internal::ValueMatcher<std::decay_t<InnerMatcher>> HasValue(InnerMatcher&& value) {
  return internal::ValueMatcher<std::decay_t<InnerMatcher>>(std::forward<InnerMatcher>(value));
}

// --- Responses (one, a batch, or a Result of either) -----------------------------------------

// Has HTTP status `status`; 0 matches "no response" (refused, reset, timeout).
inline ::testing::PolymorphicMatcher<internal::StatusMatcher> HasStatus(int status) {
  return ::testing::MakePolymorphicMatcher(internal::StatusMatcher(status));
}

// Served by a pod `selector` picks: "hello-v2" (a workload or pod name), "default/hello-0" (a
// pod), "version=v2,app=hello" (labels), or a PodSelector.
inline ::testing::PolymorphicMatcher<internal::ServedByMatcher> ServedBy(PodSelector selector) {
  return ::testing::MakePolymorphicMatcher(internal::ServedByMatcher(std::move(selector)));
}
// Served by the pod `name` ("hello-0" or "default/hello-0").
inline ::testing::PolymorphicMatcher<internal::ServedByMatcher> ServedByPod(std::string name) {
  return ServedBy(PodSelector::pod(std::move(name)));
}
// Served by a pod of the Deployment `name`.
inline ::testing::PolymorphicMatcher<internal::ServedByMatcher> ServedByWorkload(std::string name) {
  return ServedBy(PodSelector::workload(std::move(name)));
}
// Served by a pod whose labels contain `selector`.
inline ::testing::PolymorphicMatcher<internal::ServedByMatcher> ServedByLabels(Labels selector) {
  return ServedBy(PodSelector::labels(std::move(selector)));
}
// Answered by a proxy itself (a redirect, a direct response, 404 no route, 503), not an app.
inline ::testing::PolymorphicMatcher<internal::ServedByMatcher> AnsweredByProxy() {
  return ::testing::MakePolymorphicMatcher(internal::ServedByMatcher(std::nullopt));
}

// A batch of which `share` (0..1) +/- `tolerance` was served by pods `selector` picks.
inline ::testing::PolymorphicMatcher<internal::ShareMatcher> ServedByShare(PodSelector selector,
                                                                           double share,
                                                                           double tolerance) {
  return ::testing::MakePolymorphicMatcher(
      internal::ShareMatcher(std::move(selector), share, tolerance));
}

// A redirect (301, 302, 303, 307 or 308; exactly `status` when not 0) to `location`.
inline ::testing::PolymorphicMatcher<internal::RedirectMatcher> RedirectsTo(std::string location,
                                                                            int status = 0) {
  return ::testing::MakePolymorphicMatcher(internal::RedirectMatcher(std::move(location), status));
}

// Has header `name` (any case) with a value `value` matches (a string or a matcher). Applies to
// a Response (and batches) and to a ReceivedRequest.
template <typename ValueMatcher>
::testing::PolymorphicMatcher<internal::HeaderMatcher> HasHeader(std::string name,
                                                                 ValueMatcher&& value) {
  return ::testing::MakePolymorphicMatcher(internal::HeaderMatcher(
      std::move(name),
      ::testing::MatcherCast<const std::string&>(std::forward<ValueMatcher>(value))));
}
// Has header `name`, with any value.
inline ::testing::PolymorphicMatcher<internal::HeaderMatcher> HasHeader(std::string name) {
  return ::testing::MakePolymorphicMatcher(internal::HeaderMatcher(std::move(name), std::nullopt));
}

// Has a body `body` matches. Applies to a Response (and batches) and to a ReceivedRequest.
template <typename BodyMatcher>
::testing::PolymorphicMatcher<internal::BodyMatcher> HasBody(BodyMatcher&& body) {
  return ::testing::MakePolymorphicMatcher(internal::BodyMatcher(
      ::testing::MatcherCast<const std::string&>(std::forward<BodyMatcher>(body))));
}

// Served by an app that received the request as `request` matches (a matcher of
// ReceivedRequest: HasPath, HasHost, HasMethod, HasHeader, HasBody, Field(...), AllOf(...)).
template <typename RequestMatcher>
::testing::PolymorphicMatcher<internal::UpstreamMatcher> UpstreamRequest(RequestMatcher&& request) {
  return ::testing::MakePolymorphicMatcher(internal::UpstreamMatcher(
      ::testing::MatcherCast<const ReceivedRequest&>(std::forward<RequestMatcher>(request))));
}

// --- ReceivedRequest -------------------------------------------------------------------------

template <typename ValueMatcher>
::testing::PolymorphicMatcher<internal::RequestFieldMatcher> HasMethod(ValueMatcher&& method) {
  return ::testing::MakePolymorphicMatcher(internal::RequestFieldMatcher(
      internal::RequestFieldMatcher::Field::Method,
      ::testing::MatcherCast<const std::string&>(std::forward<ValueMatcher>(method))));
}
// The path with the query, as the app received it.
template <typename ValueMatcher>
::testing::PolymorphicMatcher<internal::RequestFieldMatcher> HasPath(ValueMatcher&& path) {
  return ::testing::MakePolymorphicMatcher(internal::RequestFieldMatcher(
      internal::RequestFieldMatcher::Field::Path,
      ::testing::MatcherCast<const std::string&>(std::forward<ValueMatcher>(path))));
}
// The Host header (authority) as the app received it.
template <typename ValueMatcher>
::testing::PolymorphicMatcher<internal::RequestFieldMatcher> HasHost(ValueMatcher&& host) {
  return ::testing::MakePolymorphicMatcher(internal::RequestFieldMatcher(
      internal::RequestFieldMatcher::Field::Host,
      ::testing::MatcherCast<const std::string&>(std::forward<ValueMatcher>(host))));
}

// --- Metrics ---------------------------------------------------------------------------------

// A Mesh whose metric `query` (see Mesh::metric()) has a value `value` matches (a number or a
// matcher such as Ge(900)).
template <typename ValueMatcher>
::testing::PolymorphicMatcher<internal::MetricMatcher> HasMetric(std::string query,
                                                                 ValueMatcher&& value) {
  return ::testing::MakePolymorphicMatcher(internal::MetricMatcher(
      std::move(query), ::testing::MatcherCast<double>(std::forward<ValueMatcher>(value))));
}

// NOLINTEND(readability-identifier-naming)

// --- Fixtures --------------------------------------------------------------------------------

// A mesh for a test, built on first use. A mixin, for fixtures that have their own base class;
// MeshTest is the ready-made fixture.
//
// Example:
//   class CanaryTest : public meshsim::testing::MeshTest {
//   protected:
//     void SetUp() override { builder().addIngressGateway().addFile(kManifests); }
//   };
//   TEST_F(CanaryTest, Splits) { EXPECT_THAT(send(Request::get(kUrl), 100), HasStatus(200)); }
class TestUsingMesh {
public:
  virtual ~TestUsingMesh();

protected:
  // What the mesh is built from. Changes after the first mesh() have no effect.
  MeshBuilder& builder() { return builder_; }
  // The mesh, built from builder() on the first call. When that fails, the test fails with
  // every diagnostic, and an empty mesh (no pods) stands in so later calls fail cleanly.
  Mesh& mesh();
  // Shorthands for mesh().send(...).
  Result<Response> send(const Request& request, const From& from = From::ingress());
  Result<Responses> send(const Request& request, int count, const From& from = From::ingress());

private:
  MeshBuilder builder_;
  std::optional<Mesh> mesh_;
};

class MeshTest : public ::testing::Test, public TestUsingMesh {};

}  // namespace meshsim::testing
