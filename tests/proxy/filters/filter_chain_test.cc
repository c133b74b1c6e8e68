#include "proxy/filters/filter_chain.h"

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/router/router_filter.h"

namespace meshsim::proxy::filters {
namespace {

// A stream for filters that only record what they are asked: the chain's iteration rules are
// tested without a proxy.
class FakeStream : public StreamCallbacks {
public:
  explicit FakeStream(const FilterChain& chain) : chain_(chain) {}

  // filters::StreamCallbacks
  http::Request& request() override { return request_; }
  StreamInfo& streamInfo() override { return info_; }
  ProxyContext& context() override {
    ADD_FAILURE() << "the test filters need no proxy";
    std::abort();
  }
  void sendLocalReply(http::ResponsePtr response, stats::ResponseFlags flags) override {
    answer(std::move(response), flags);
  }
  void encodeHeaders(http::ResponsePtr response, stats::ResponseFlags flags) override {
    answer(std::move(response), flags);
  }
  void continueDecoding() override { stopped_at = chain_.decode(*this, stopped_at + 1); }
  void wakeUpAfter(Duration, UniqueFunction<void()> wake_up) override {
    wake_up_ = std::move(wake_up);
  }
  config::ServiceInfoConstSharedPtr passthroughService(std::string_view) override {
    return nullptr;
  }
  router::UpstreamRequest& upstreamRequest() override { return upstream_; }
  std::shared_ptr<StreamCallbacks> keepAlive() override { return nullptr; }

  void decode() { stopped_at = chain_.decode(*this, 0); }
  void wakeUp() {
    UniqueFunction<void()> f = std::move(wake_up_);
    f();
  }

  size_t stopped_at = 0;
  http::ResponsePtr response;
  std::vector<std::string> log;

private:
  void answer(http::ResponsePtr r, stats::ResponseFlags) {
    chain_.encode(*this, *r);
    response = std::move(r);
  }

  const FilterChain& chain_;
  http::Request request_;
  StreamInfo info_;
  router::UpstreamRequest upstream_;
  UniqueFunction<void()> wake_up_;
};

// Logs its calls into the stream's log; what decodeHeaders() does is the test's choice.
class RecordingFilter : public HttpFilter {
public:
  enum class Action { Continue, Stop, LocalReply, WaitThenContinue, Answer };
  RecordingFilter(std::string name, Action action) : name_(std::move(name)), action_(action) {}

  std::string_view name() const override { return name_; }
  FilterStatus decodeHeaders(StreamCallbacks& stream) override {
    auto& fake = static_cast<FakeStream&>(stream);
    fake.log.push_back("decode " + name_);
    switch (action_) {
      case Action::Continue:
        return FilterStatus::Continue;
      case Action::Stop:
        return FilterStatus::StopIteration;
      case Action::LocalReply:
        stream.sendLocalReply(localResponse(403, name_), 0);
        return FilterStatus::StopIteration;
      case Action::WaitThenContinue:
        stream.wakeUpAfter(Duration(1), [&stream] { stream.continueDecoding(); });
        return FilterStatus::StopIteration;
      case Action::Answer:
        stream.encodeHeaders(localResponse(200, name_), 0);
        return FilterStatus::StopIteration;
    }
    return FilterStatus::Continue;
  }
  void encodeHeaders(StreamCallbacks& stream, http::Response& response) override {
    static_cast<FakeStream&>(stream).log.push_back("encode " + name_);
    response.headers.add("x-seen-by", name_);
  }
  void onStreamReset(StreamCallbacks& stream) override {
    static_cast<FakeStream&>(stream).log.push_back("reset " + name_);
  }

private:
  std::string name_;
  Action action_;
};

using Action = RecordingFilter::Action;

FilterChain chainOf(std::vector<std::pair<std::string, Action>> filters) {
  std::vector<HttpFilterSharedPtr> out;
  for (auto& [name, action] : filters) {
    out.push_back(std::make_shared<RecordingFilter>(name, action));
  }
  return FilterChain(std::move(out));
}

TEST(FilterChainTest, DecodesInOrderAndEncodesInReverse) {
  const FilterChain chain =
      chainOf({{"a", Action::Continue}, {"b", Action::Continue}, {"router", Action::Answer}});
  FakeStream stream(chain);
  stream.decode();
  EXPECT_EQ(stream.stopped_at, 2u);
  EXPECT_EQ(stream.log, (std::vector<std::string>{"decode a", "decode b", "decode router",
                                                  "encode router", "encode b", "encode a"}));
  ASSERT_NE(stream.response, nullptr);
  EXPECT_EQ(stream.response->body, "router");
}

TEST(FilterChainTest, LocalReplyShortCircuitsLaterFiltersAndTheRouter) {
  const FilterChain chain =
      chainOf({{"a", Action::Continue}, {"deny", Action::LocalReply}, {"router", Action::Answer}});
  FakeStream stream(chain);
  stream.decode();
  EXPECT_EQ(stream.stopped_at, 1u);
  ASSERT_NE(stream.response, nullptr);
  EXPECT_EQ(stream.response->status, 403);
  EXPECT_EQ(stream.response->body, "deny");
  // The router never saw the request; every filter still sees the response.
  EXPECT_EQ(stream.log, (std::vector<std::string>{"decode a", "decode deny", "encode router",
                                                  "encode deny", "encode a"}));
}

TEST(FilterChainTest, AStoppedChainResumesAtTheNextFilter) {
  const FilterChain chain = chainOf(
      {{"a", Action::Continue}, {"wait", Action::WaitThenContinue}, {"router", Action::Answer}});
  FakeStream stream(chain);
  stream.decode();
  EXPECT_EQ(stream.stopped_at, 1u);
  EXPECT_EQ(stream.response, nullptr);
  EXPECT_EQ(stream.log, (std::vector<std::string>{"decode a", "decode wait"}));
  stream.wakeUp();
  EXPECT_EQ(stream.stopped_at, 2u);
  ASSERT_NE(stream.response, nullptr);
  EXPECT_EQ(stream.log.at(2), "decode router");  // "a" and "wait" are not asked again
}

TEST(FilterChainTest, AChainWithoutTerminalFilterReportsItsEnd) {
  const FilterChain chain = chainOf({{"a", Action::Continue}, {"b", Action::Continue}});
  FakeStream stream(chain);
  stream.decode();
  EXPECT_EQ(stream.stopped_at, chain.size());
}

TEST(FilterChainTest, StreamResetReachesEveryFilter) {
  const FilterChain chain = chainOf({{"a", Action::Continue}, {"router", Action::Stop}});
  FakeStream stream(chain);
  stream.decode();
  chain.onStreamReset(stream);
  EXPECT_EQ(stream.log,
            (std::vector<std::string>{"decode a", "decode router", "reset a", "reset router"}));
}

TEST(FilterChainTest, IstioOrderAuthorizationFaultCorsRouter) {
  const FilterChain chain = FilterChain::istioChain();
  EXPECT_EQ(chain.names(), (std::vector<std::string_view>{
                               "envoy.filters.http.rbac", "envoy.filters.http.fault",
                               "envoy.filters.http.cors", "envoy.filters.http.router"}));
}

}  // namespace
}  // namespace meshsim::proxy::filters
