// Acceptance test of `meshsim serve`: starts the real binary on the hello fixtures, talks HTTP to
// it over loopback, then stops it with SIGINT (Ctrl-C) and expects a clean exit.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/net/http_server.h"
#include "tests/proxy/net/net_test_util.h"

extern char** environ;

namespace meshsim {
namespace {

using proxy::net::testing::EchoHandler;
using proxy::net::testing::IoThread;
using proxy::net::testing::RawClient;
using ::testing::HasSubstr;

class MeshsimServe {
public:
  explicit MeshsimServe(std::vector<std::string> args) {
    args.insert(args.begin(), {MESHSIM_BINARY, "serve"});
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    int out[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);  // only the child's stdout (dup2) stays open in it
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    EXPECT_EQ(posix_spawn(&pid_, MESHSIM_BINARY, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
  }
  ~MeshsimServe() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }

  // Reads stdout until `pattern` matches or the deadline passes; returns the first group.
  std::string waitFor(const std::regex& pattern) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      if (std::regex_search(output_, m, pattern)) {
        return m.size() > 1 ? m[1].str() : m[0].str();
      }
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char buf[4096];
        const ssize_t n = ::read(out_, buf, sizeof(buf));
        if (n <= 0) {
          break;
        }
        output_.append(buf, static_cast<size_t>(n));
      }
    }
    ADD_FAILURE() << "meshsim serve never printed "
                  << "the expected line; output so far:\n"
                  << output_;
    return "";
  }

  // Sends `signal` and waits (bounded) for the exit; returns the exit code, or -1.
  int stop(int signal) {
    ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        // What it wrote last (e.g. "stopped") may still be in the pipe: the exit can come
        // between a read that found nothing and this waitpid.
        drain(deadline);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      pollfd p{out_, POLLIN, 0};
      ::poll(&p, 1, 50);  // Paces the wait; drains output so the child never blocks on it.
      char buf[4096];
      if ((p.revents & POLLIN) != 0) {
        const ssize_t n = ::read(out_, buf, sizeof(buf));
        if (n > 0) {
          output_.append(buf, static_cast<size_t>(n));
        }
      }
    }
    return -1;
  }

  const std::string& output() const { return output_; }

private:
  // Reads the output of an exited child up to the end of the pipe (bounded by `deadline`).
  void drain(std::chrono::steady_clock::time_point deadline) {
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) {
        continue;
      }
      char buf[4096];
      const ssize_t n = ::read(out_, buf, sizeof(buf));
      if (n <= 0) {
        return;  // end of the pipe: the child's end is closed
      }
      output_.append(buf, static_cast<size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string output_;
};

uint16_t port(const std::string& text) {
  return static_cast<uint16_t>(std::stoi(text));
}

TEST(ServeIntegrationTest, ServesHelloOverLoopbackAndStopsOnCtrlC) {
  const std::string src = MESHSIM_SOURCE_DIR;
  MeshsimServe serve(
      {"-f", src + "/fixtures/istio/ingressgateway.yaml", "-f", src + "/fixtures/hello"});
  const std::string gateway =
      serve.waitFor(std::regex("gateway listening on 127\\.0\\.0\\.1:(\\d+)"));
  const std::string admin = serve.waitFor(std::regex("admin listening on 127\\.0\\.0\\.1:(\\d+)"));
  ASSERT_FALSE(gateway.empty());
  ASSERT_FALSE(admin.empty());

  {
    RawClient client(port(gateway));
    client.send("GET / HTTP/1.1\r\nHost: hello.com\r\n\r\n");
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 200);
    EXPECT_THAT(r->body, HasSubstr("\"pod\": \"hello-0\""));
    EXPECT_THAT(r->body, HasSubstr("\"namespace\": \"default\""));
    // The same keep-alive connection, an unknown host.
    client.send("GET / HTTP/1.1\r\nHost: unknown.example\r\n\r\n");
    auto missing = client.readResponse();
    ASSERT_NE(missing, nullptr);
    EXPECT_EQ(missing->status, 404);
  }
  {
    RawClient client(port(admin));
    client.send("GET /stats/prometheus HTTP/1.1\r\nHost: admin\r\n\r\n");
    auto metrics = client.readResponse();
    ASSERT_NE(metrics, nullptr);
    EXPECT_EQ(metrics->status, 200);
    EXPECT_THAT(metrics->body, HasSubstr("response_code=\"200\""));
    EXPECT_THAT(metrics->body, HasSubstr("response_code=\"404\",grpc_response_status=\"\","
                                         "response_flags=\"NR\""));
  }

  EXPECT_EQ(serve.stop(SIGINT), 0) << serve.output();
  EXPECT_THAT(serve.output(), HasSubstr("stopped"));
}

TEST(ServeIntegrationTest, RoutesAServiceEntryHostToARealServerOnLoopback) {
  // The real server behind the mesh: answers "METHOD PATH BODY-SIZE".
  IoThread io;
  EchoHandler backend;
  auto server = io.call([&] {
    return proxy::net::HttpServer::create(io.dispatcher(), {proxy::config::kLoopback, 0}, backend)
        .value();
  });
  // fixtures/serviceentry/serviceentry.yaml with the server's port instead of 18081.
  const std::string src = MESHSIM_SOURCE_DIR;
  std::ifstream in(src + "/fixtures/serviceentry/serviceentry.yaml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string fixture = text.str();
  const size_t at = fixture.find("http: 18081");
  ASSERT_NE(at, std::string::npos);
  const auto dir =
      std::filesystem::temp_directory_path() / ("meshsim-serve-se-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "serviceentry.yaml")
      << fixture.substr(0, at) << "http: " << server->port() << fixture.substr(at + 11);

  MeshsimServe serve({"-f", src + "/fixtures/istio/ingressgateway.yaml", "-f",
                      src + "/fixtures/serviceentry/gateway.yaml", "-f",
                      src + "/fixtures/serviceentry/virtualservice.yaml", "-f",
                      (dir / "serviceentry.yaml").string()});
  const std::string gateway =
      serve.waitFor(std::regex("gateway listening on 127\\.0\\.0\\.1:(\\d+)"));
  ASSERT_FALSE(gateway.empty());
  {
    RawClient client(port(gateway));
    client.send("GET /through-the-gateway HTTP/1.1\r\nHost: hello.com\r\n\r\n");
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /through-the-gateway 0");
  }
  EXPECT_EQ(serve.stop(SIGINT), 0) << serve.output();
  std::filesystem::remove_all(dir);
  io.call([&] {
    server.reset();
    return 0;
  });
}

TEST(ServeIntegrationTest, CapsConnectionsAndClosesIdleOnes) {
  const std::string src = MESHSIM_SOURCE_DIR;
  MeshsimServe serve({"-f", src + "/fixtures/istio/ingressgateway.yaml", "-f",
                      src + "/fixtures/hello", "--max-connections", "2", "--idle-timeout", "0.5"});
  const std::string gateway =
      serve.waitFor(std::regex("gateway listening on 127\\.0\\.0\\.1:(\\d+)"));
  ASSERT_FALSE(gateway.empty());
  serve.waitFor(
      std::regex("downstream connections: at most 2 across all listeners; idle ones "
                 "closed after 0.5 s"));
  // The request takes the client's connection and one from the gateway to the sidecar.
  RawClient first(port(gateway));
  first.send("GET / HTTP/1.1\r\nHost: hello.com\r\n\r\n");
  auto r = first.readResponse();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 200);
  // Both counted connections are open: a new client is accepted and closed at once.
  RawClient refused(port(gateway), std::chrono::milliseconds(300));
  EXPECT_TRUE(refused.waitForClose());
  EXPECT_EQ(refused.received(), "");
  // The idle timeout closes the client's connection, and the gateway's to the sidecar alike
  // (every listener has it), so a new client fits.
  EXPECT_TRUE(first.waitForClose());
  RawClient later(port(gateway));
  later.send("GET / HTTP/1.1\r\nHost: hello.com\r\n\r\n");
  auto again = later.readResponse();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(serve.stop(SIGINT), 0) << serve.output();
}

// The samples of one metric on the admin page, series (name and labels) -> value.
std::map<std::string, std::string> samples(uint16_t admin_port, const std::string& name) {
  RawClient client(admin_port);
  client.send("GET /stats/prometheus HTTP/1.1\r\nHost: admin\r\n\r\n");
  auto r = client.readResponse();
  std::map<std::string, std::string> out;
  if (r == nullptr) {
    return out;
  }
  std::istringstream lines(r->body);
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.rfind(' ');
    if (line.starts_with(name + "{") && space != std::string::npos) {
      out[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  return out;
}

TEST(ServeIntegrationTest, TheIdleTimeoutClosesThePoolsUpstreamConnectionsToo) {
  // --idle-timeout is Envoy's idle_timeout on both ends. The sidecar's connection to its app
  // is only ever closed by the sidecar's pool (the app keeps it 60 s): without the timeout on
  // the pools, every connection a peak of load opened to an app stayed open
  // (tools/bench/soak's descriptors stayed above their idle level).
  const std::string src = MESHSIM_SOURCE_DIR;
  MeshsimServe serve({"-f", src + "/fixtures/istio/ingressgateway.yaml", "-f",
                      src + "/fixtures/hello", "--idle-timeout", "0.5"});
  const std::string gateway =
      serve.waitFor(std::regex("gateway listening on 127\\.0\\.0\\.1:(\\d+)"));
  const std::string admin = serve.waitFor(std::regex("admin listening on 127\\.0\\.0\\.1:(\\d+)"));
  ASSERT_FALSE(gateway.empty());
  ASSERT_FALSE(admin.empty());
  {
    RawClient client(port(gateway));
    client.send("GET / HTTP/1.1\r\nHost: hello.com\r\nConnection: close\r\n\r\n");
    auto r = client.readResponse();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 200);
  }
  const auto open = [&] {
    const auto active = samples(port(admin), "meshsim_upstream_cx_active");
    int n = active.empty() ? -1 : 0;  // the pools exist once the request went through
    for (const auto& [series, value] : active) {
      n += std::stoi(value);
    }
    return n;
  };
  // A bound far above the timeout, far below the app's keep-alive.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (open() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(open(), 0) << "upstream connections still open";
  int sidecar_idle_closes = 0;
  for (const auto& [series, value] :
       samples(port(admin), "meshsim_upstream_cx_idle_timeout_total")) {
    if (series.find("pod=\"hello-0\"") != std::string::npos) {
      sidecar_idle_closes += std::stoi(value);
    }
  }
  EXPECT_EQ(sidecar_idle_closes, 1) << "the sidecar's pool did not close its connection to the app";
  EXPECT_EQ(serve.stop(SIGINT), 0) << serve.output();
}

TEST(ServeIntegrationTest, RefusesInvalidManifestsWithExitCode2) {
  MeshsimServe serve({"-f", "/nonexistent/manifests.yaml"});
  EXPECT_EQ(serve.stop(0), 2);
}

}  // namespace
}  // namespace meshsim
