#pragma once

// File: meshsim/http.h
//
// The values the embedding API trades in: a Request to send, the Response that came back (with
// the pod that served it and the request as that pod's app received it), a batch of Responses,
// the ReceivedRequest an app saw, and a PodSelector naming pods. All are plain values, free of
// the simulator's internals; copying one never touches the mesh.
//
// Example:
//   meshsim::Request req = meshsim::Request::get("http://hello.com/api").withHeader("x-user", "a");
//   meshsim::Response res = mesh.send(req).value();
//   if (res.served_by) std::cout << res.served_by->id() << " answered " << res.status << "\n";

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshsim {

// Kubernetes labels (or a label selector): key -> value.
using Labels = std::map<std::string, std::string>;

// HTTP header fields in order. Names are stored lower-cased and looked up case-insensitively.
class Headers {
public:
  using Entry = std::pair<std::string, std::string>;
  // Standard container names, so GoogleMock's container matchers apply.
  using value_type = Entry;  // NOLINT(readability-identifier-naming)
  // NOLINTNEXTLINE(readability-identifier-naming)
  using const_iterator = std::vector<Entry>::const_iterator;

  Headers() = default;
  Headers(std::initializer_list<Entry> entries);

  // The first value of `name`, or nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> getAll(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // Appends a value, keeping existing ones.
  void add(std::string_view name, std::string_view value);
  // Replaces every value of `name` with `value`.
  void set(std::string_view name, std::string_view value);
  // Removes every value of `name`; returns how many were removed.
  size_t remove(std::string_view name);

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

  friend bool operator==(const Headers& a, const Headers& b) = default;

private:
  std::vector<Entry> entries_{};
};

// A request to send into the mesh.
struct Request {
  std::string method = "GET";
  // Absolute: http://host[:port]/path?query (or https://). From the ingress, the port picks the
  // gateway's Service port; from a pod, the host is resolved by the cluster DNS from the pod's
  // namespace ("hello", "hello.default", the FQDN). The host becomes the Host header.
  std::string url{};
  // A "host" entry overrides the Host header the URL implies.
  Headers headers{};
  std::string body{};
  // The HTTP version the client speaks to its first hop: "HTTP/1.1" (default) or "HTTP/2" (h2c
  // with prior knowledge). What the next hops use is the mesh's choice (docs/scenarios.md).
  std::string protocol = "HTTP/1.1";
  // Follow redirects like curl -L, at most this many (0: a redirect is the response; curl's
  // default is 50): docs/scenarios.md, traffic followRedirects.
  int follow_redirects = 0;

  static Request get(std::string url);
  static Request post(std::string url, std::string body);
  // Adds a header and returns *this, for chaining.
  Request& withHeader(std::string_view name, std::string_view value);
  // Sets the body (and so the content-length header) and returns *this.
  Request& withBody(std::string body);
};

// A pod of the mesh.
struct PodInfo {
  std::string name{};            // "hello-v2-0"
  std::string namespace_name{};  // "default"
  // The owning Deployment, or the pod's own name for a bare Pod.
  std::string workload{};
  Labels labels{};
  std::string ip{};      // "10.1.0.12"
  bool sidecar = false;  // an istio-proxy was injected
  bool gateway = false;  // the pod is an Istio gateway

  // "namespace/name"
  std::string id() const { return namespace_name + "/" + name; }
};

// A request as an app received it, after every proxy on the way (rewrites, added headers, the
// Host the route set).
struct ReceivedRequest {
  PodInfo pod{};  // whose app received it
  std::string method{};
  std::string scheme{};
  std::string authority{};  // the Host header
  std::string path{};       // with the query
  Headers headers{};
  std::string body{};
  std::string protocol{};  // "HTTP/1.1" or "HTTP/2": as the app's own sidecar (or client) spoke
  // Virtual time of arrival, since the mesh was built.
  std::chrono::nanoseconds at{0};
};

struct Response {
  // 0 when no response came back; `error` then says why.
  int status = 0;
  Headers headers{};
  std::string body{};
  // Why there is no response: "refused" (nothing listened), "reset", "timeout", "overflow";
  // empty when there is one.
  std::string error{};
  // The pod whose app produced the response; nullopt for a proxy's own reply (404 no route,
  // 503 no healthy upstream, redirects, direct responses) and when there is no response.
  std::optional<PodInfo> served_by{};
  // The request as that pod's app received it (the last attempt, when the mesh retried);
  // nullopt when no app did.
  std::optional<ReceivedRequest> upstream{};
  // From sending to the response, in virtual time.
  std::chrono::nanoseconds latency{0};
  // With Request::follow_redirects: the redirects on the way, in order; `not_followed` of the
  // last one says why the client stopped there (its response is then this one).
  struct Redirect {
    int status = 0;
    std::string location{};
    std::string followed{};  // the URL requested next
    std::string not_followed{};
  };
  std::vector<Redirect> redirects{};

  // A response for a custom handler to return, e.g. Response::make(200, "hello").
  static Response make(int status, std::string body = {}, Headers headers = {});
  // The first value of header `name`, or nullopt.
  std::optional<std::string> header(std::string_view name) const { return headers.get(name); }
};

// Names pods: one pod, the pods of a workload (Deployment), or the pods whose labels contain a
// selector, optionally within one namespace.
//
// A plain string converts with parse()'s rules, so "hello-v2", "default/hello-0" and
// "version=v2" can be passed wherever a PodSelector is expected.
class PodSelector {
public:
  // A pod by name ("hello-0", any namespace) or by id ("default/hello-0").
  static PodSelector pod(std::string name);
  // The pods of a Deployment (`namespace_name` empty: any namespace).
  static PodSelector workload(std::string name, std::string namespace_name = {});
  // The pods whose labels contain every entry of `selector` (empty: every pod).
  static PodSelector labels(Labels selector, std::string namespace_name = {});
  // "k=v,k2=v2": labels; "namespace/name": a pod; otherwise a workload or pod name, as a
  // scenario's servedBy key.
  static PodSelector parse(std::string_view key);

  // NOLINTNEXTLINE(google-explicit-constructor): a string selects with parse()'s rules.
  PodSelector(const char* key) : PodSelector(parse(key)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  PodSelector(const std::string& key) : PodSelector(parse(key)) {}

  bool matches(const PodInfo& pod) const;
  // "pod default/hello-0", "workload hello-v2", "pods labelled version=v2" (with
  // " in namespace NS" when one is set).
  std::string toString() const;

private:
  enum class Kind { Pod, Workload, WorkloadOrPod, LabelSet };
  PodSelector(Kind kind, std::string name, std::string namespace_name, Labels labels);

  Kind kind_{};
  std::string name_{};
  std::string namespace_{};
  Labels labels_{};
};

// A custom app: answers every request the pods it is installed on receive. It runs on the
// mesh's virtual clock (inline, when the request arrives) and must not call into the Mesh. The
// returned Response's status, headers and body are used; its other fields are ignored.
using Handler = std::function<Response(const ReceivedRequest& request)>;

// The responses to a batch of requests, in the order the requests were sent.
struct Responses {
  // Standard container names, so GoogleMock's container matchers (Each, Contains) apply.
  using value_type = Response;  // NOLINT(readability-identifier-naming)
  // NOLINTNEXTLINE(readability-identifier-naming)
  using const_iterator = std::vector<Response>::const_iterator;

  std::vector<Response> responses{};

  size_t size() const { return responses.size(); }
  bool empty() const { return responses.empty(); }
  const Response& operator[](size_t i) const { return responses[i]; }
  const_iterator begin() const { return responses.begin(); }
  const_iterator end() const { return responses.end(); }

  // How many have `status` (0: no response).
  size_t countStatus(int status) const;
  // How many were served by a pod `selector` picks.
  size_t countServedBy(const PodSelector& selector) const;
  // The share (0..1) served by a pod `selector` picks; 0 for an empty batch.
  double shareServedBy(const PodSelector& selector) const;
  // Responses per status (0: no response).
  std::map<int, size_t> statusCounts() const;
  // Responses per serving pod id ("default/hello-0"; "" for proxy replies and no response).
  std::map<std::string, size_t> servedByCounts() const;
  // "200 x 900, 503 x 100; served by default/hello-v1-0 x 900, (no app) x 100"
  std::string summary() const;
};

// Printing, for logs and test failure messages (GoogleTest finds these).
std::ostream& operator<<(std::ostream& os, const Headers& headers);
std::ostream& operator<<(std::ostream& os, const Request& request);
std::ostream& operator<<(std::ostream& os, const PodInfo& pod);
std::ostream& operator<<(std::ostream& os, const ReceivedRequest& request);
std::ostream& operator<<(std::ostream& os, const Response& response);
std::ostream& operator<<(std::ostream& os, const Responses& responses);
std::ostream& operator<<(std::ostream& os, const PodSelector& selector);
// GoogleTest prints containers element by element; these keep the summaries above.
// NOLINTBEGIN(readability-identifier-naming): GoogleTest's name.
void PrintTo(const Headers& headers, std::ostream* os);
void PrintTo(const Responses& responses, std::ostream* os);
// NOLINTEND(readability-identifier-naming)

}  // namespace meshsim
