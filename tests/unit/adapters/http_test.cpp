// HttpServer (cpprestsdk) and HttpClient (libcurl) against each other on loopback, port 0.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <filesystem>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hunter/adapters/http.hpp"
#include "support/fake_http_server.hpp"
#include "support/trickle_server.hpp"

using namespace hunter;
using namespace hunter::adapters;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::unique_ptr<HttpServer> startServer(ServerHandler handler, size_t max_body = 16u << 20) {
  auto server = HttpServer::start("127.0.0.1", 0, std::move(handler), max_body);
  if (!server.ok()) {
    ADD_FAILURE() << server.error().code << ": " << server.error().message;
    return nullptr;
  }
  return std::move(server).value();
}

ServerHandler echoHandler() {
  return [](const ServerRequest& r) {
    nlohmann::json j{{"method", r.method}, {"path", r.path}, {"query", r.query}, {"body", r.body}};
    return ServerResponse{200, "application/json", j.dump()};
  };
}

HttpCall call(const std::string& url, std::string body = "{}",
              std::chrono::milliseconds timeout = 5000ms) {
  HttpCall c;
  c.url = url;
  c.body = std::move(body);
  c.timeout = timeout;
  return c;
}

using hunter::test::Gate;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

void setTimeouts(int fd, std::chrono::seconds s) {
  timeval tv{static_cast<time_t>(s.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Sends a raw HTTP request (which should say "Connection: close") and reads until EOF.
std::string rawExchange(uint16_t port, const std::string& request) {
  Fd s(::socket(AF_INET, SOCK_STREAM, 0));
  setTimeouts(s.fd, 5s);
  sockaddr_in a = loopback(port);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(s.fd, buf, sizeof buf, 0)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

int rawStatus(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::stoi(response.substr(9, 3));
}

}  // namespace

// ---- server + client ------------------------------------------------------------------------

TEST(Http, RoundTripShowsMethodPathQueryAndBody) {
  auto server = startServer(echoHandler());
  ASSERT_TRUE(server);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->baseUrl(), "http://127.0.0.1:" + std::to_string(server->port()));

  HttpClient client;
  auto reply =
      client.post(call(server->baseUrl() + "/prpc/PhactoryAPI.GetClusterInfo?json", R"({"a":1})"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 200);
  auto j = nlohmann::json::parse(reply->body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/prpc/PhactoryAPI.GetClusterInfo");
  EXPECT_EQ(j["query"], "json");
  EXPECT_EQ(j["body"], R"({"a":1})");
  EXPECT_GT(reply->elapsed.count(), 0);

  auto got = client.get(call(server->baseUrl() + "/health"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  j = nlohmann::json::parse(got->body);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/health");
  EXPECT_EQ(j["query"], "");
  EXPECT_EQ(j["body"], "");
  server->stop();
}

// ctest runs each test in its own process, so the pool has not started yet here.
TEST(Http, ServerThreadsAreSetOnlyBeforeTheFirstServer) {
  EXPECT_FALSE(setServerThreads(0));
  if (!setServerThreads(3)) GTEST_SKIP() << "an earlier test in this process started the pool";
  EXPECT_FALSE(setServerThreads(5));  // the pool runs now
  auto threads = [] {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
      (void)e;
      ++n;
    }
    return n;
  };
  auto server = startServer(echoHandler());
  ASSERT_TRUE(server);
  HttpClient client;
  std::vector<HttpCall> calls(6, call(server->baseUrl() + "/x", "{}"));
  for (auto& r : client.postAll(calls)) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  // 3 pool threads and a few of this process's own, not cpprestsdk's default of 40.
  EXPECT_LT(threads(), 12u);
  server->stop();
}

TEST(Http, EveryMethodReachesTheHandler) {
  auto server = startServer(echoHandler());
  ASSERT_TRUE(server);
  for (const char* method : {"PUT", "DELETE", "OPTIONS", "PATCH"}) {
    auto response =
        rawExchange(server->port(), std::string(method) +
                                        " /x/y?q=1 HTTP/1.1\r\nHost: a\r\n"
                                        "Content-Length: 2\r\nConnection: close\r\n\r\nhi");
    EXPECT_EQ(rawStatus(response), 200) << method << ": " << response;
    EXPECT_NE(response.find(std::string("\"method\":\"") + method + "\""), std::string::npos)
        << response;
    EXPECT_NE(response.find(R"("body":"hi")"), std::string::npos) << response;
  }
  server->stop();
}

TEST(Http, LargeBodiesArriveWhole) {
  auto server = startServer([](const ServerRequest& r) {
    return ServerResponse{200, "text/plain", r.body};  // echo
  });
  ASSERT_TRUE(server);
  std::string body(3u << 20, 'x');
  for (size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  HttpClient client;
  auto reply = client.post(call(server->baseUrl() + "/echo", body));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 200);
  EXPECT_TRUE(reply->body == body);
  server->stop();
}

TEST(Http, NonSuccessStatusPassesThrough) {
  auto server = startServer([](const ServerRequest&) {
    return ServerResponse{404, "application/json", R"({"error":"no such cluster"})"};
  });
  ASSERT_TRUE(server);
  HttpClient client;
  auto reply = client.post(call(server->baseUrl() + "/missing"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->body, R"({"error":"no such cluster"})");
  server->stop();
}

TEST(Http, HandlerExceptionIs500) {
  auto server =
      startServer([](const ServerRequest&) -> ServerResponse { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server);
  HttpClient client;
  auto reply = client.post(call(server->baseUrl() + "/x"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 500);
  auto j = nlohmann::json::parse(reply->body);
  EXPECT_EQ(j["code"], "internal");
  EXPECT_EQ(j["error"], "boom");
  // The server keeps serving.
  auto again = client.post(call(server->baseUrl() + "/x"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 500);
  server->stop();
}

TEST(Http, BodyOverLimitIs413WithoutCallingHandler) {
  std::atomic<int> calls{0};
  auto server = startServer(
      [&](const ServerRequest& r) {
        ++calls;
        return ServerResponse{200, "text/plain", std::to_string(r.body.size())};
      },
      1024);
  ASSERT_TRUE(server);
  HttpClient client;
  auto reply = client.post(call(server->baseUrl() + "/x", std::string(2u << 20, 'x')));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(nlohmann::json::parse(reply->body)["code"], "body_too_large");
  EXPECT_EQ(calls.load(), 0);

  // At the limit is fine, and the connection is still usable after a refusal.
  auto ok = client.post(call(server->baseUrl() + "/x", std::string(1024, 'y')));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "1024");
  EXPECT_EQ(calls.load(), 1);
  server->stop();
}

TEST(Http, ChunkedBodyIsReadAndLimited) {
  std::atomic<int> calls{0};
  auto server = startServer(
      [&](const ServerRequest& r) {
        ++calls;
        return ServerResponse{200, "text/plain", r.body};
      },
      100000);
  ASSERT_TRUE(server);
  auto chunked = [](const std::string& piece, int count) {
    std::string out =
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    for (int i = 0; i < count; ++i) out += size + piece + "\r\n";
    return out + "0\r\n\r\n";
  };
  const std::string piece(30000, 'z');
  auto small = rawExchange(server->port(), chunked(piece, 3));  // 90000 bytes
  EXPECT_EQ(rawStatus(small), 200) << small.substr(0, 200);
  EXPECT_NE(small.find(std::string(90000, 'z')), std::string::npos);
  EXPECT_EQ(calls.load(), 1);

  auto big = rawExchange(server->port(), chunked(piece, 10));  // 300000 bytes
  EXPECT_EQ(rawStatus(big), 413) << big.substr(0, 200);
  EXPECT_EQ(calls.load(), 1);
  server->stop();
}

// ---- client behaviour ---------------------------------------------------------------------

TEST(Http, PostAllRunsInParallel) {
  auto server = startServer([](const ServerRequest& r) {
    std::this_thread::sleep_for(100ms);  // simulated work, not a wait
    return ServerResponse{200, "application/json", r.body};
  });
  ASSERT_TRUE(server);
  std::vector<HttpCall> calls;
  for (int i = 0; i < 50; ++i) {
    calls.push_back(call(server->baseUrl() + "/w", "{\"i\":" + std::to_string(i) + "}"));
  }
  HttpClient client;
  const auto t0 = Clock::now();
  auto results = client.postAll(calls);
  const auto took = Clock::now() - t0;
  ASSERT_EQ(results.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().message;
    EXPECT_EQ(results[i]->status, 200);
    EXPECT_EQ(results[i]->body, "{\"i\":" + std::to_string(i) + "}");  // in order
    EXPECT_GE(results[i]->elapsed, 100ms);
  }
  EXPECT_LT(took, 2500ms) << "50 calls of 100 ms each took "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms";
  server->stop();
}

TEST(Http, SequentialPostsReuseConnections) {
  auto server = startServer(echoHandler());
  ASSERT_TRUE(server);
  HttpClient client;
  for (int i = 0; i < 200; ++i) {
    auto reply = client.post(call(server->baseUrl() + "/k", "{}"));
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    ASSERT_EQ(reply->status, 200);
  }
  EXPECT_EQ(client.connectionsOpened(), 1u);
  // Parallel batches reuse the connections the first batch opened.
  std::vector<HttpCall> batch(8, call(server->baseUrl() + "/k"));
  for (int i = 0; i < 20; ++i) {
    for (auto& r : client.postAll(batch)) ASSERT_TRUE(r.ok());
  }
  EXPECT_LE(client.connectionsOpened(), 1u + 8u);
  server->stop();
}

TEST(Http, SlowServerTimesOut) {
  Gate gate;
  auto server = startServer([&](const ServerRequest&) {
    gate.wait(10s);
    return ServerResponse{200, "application/json", "{}"};
  });
  ASSERT_TRUE(server);
  HttpClient client;
  const std::string url = server->baseUrl() + "/slow";
  const auto t0 = Clock::now();
  auto reply = client.post(call(url, "{}", 300ms));
  const auto took = Clock::now() - t0;
  gate.open();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "timeout");
  EXPECT_EQ(reply.error().message, "POST " + url + ": timed out after 300 ms");
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 1500ms);
  server->stop();
}

// A peer that sends its answer one byte at a time never reaches the call's timeout: the minimum
// transfer rate ends it first, saying so.
TEST(Http, ATricklingAnswerIsCutOffByTheMinimumRate) {
  hunter::testing::TrickleServer trickle(
      [](const std::string&, const std::string&) { return std::string(200, 'x'); },
      [](const std::string&) { return true; }, 300ms);
  ASSERT_TRUE(trickle.ok());
  HttpClient client;
  HttpCall c = call(trickle.url() + "/slow", "{}", 20s);
  c.min_rate = 256;
  c.min_rate_window = 1s;
  const auto t0 = Clock::now();
  auto reply = client.post(c);
  const auto took = Clock::now() - t0;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "timeout");
  EXPECT_NE(reply.error().message.find("too slow"), std::string::npos) << reply.error().message;
  EXPECT_LT(took, 4s);
}

// postAll(calls, enough): once `enough` calls answered, a straggler gets a grace as long as that
// took, then ends as a timeout: the caller is not held up by its slowest peer.
TEST(Http, PostAllStopsWaitingForAStragglerOnceEnoughAnswered) {
  Gate gate;
  auto fast = startServer(echoHandler());
  auto slow = startServer([&](const ServerRequest&) {
    gate.wait(10s);
    return ServerResponse{200, "application/json", "{}"};
  });
  ASSERT_TRUE(fast && slow);
  HttpClient client;
  std::vector<HttpCall> calls = {call(fast->baseUrl() + "/a", "{}", 10s),
                                 call(slow->baseUrl() + "/b", "{}", 10s),
                                 call(fast->baseUrl() + "/c", "{}", 10s)};
  const auto t0 = Clock::now();
  auto replies = client.postAll(calls, 2);
  const auto took = Clock::now() - t0;
  gate.open();
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_TRUE(replies[0].ok());
  EXPECT_TRUE(replies[2].ok());
  ASSERT_FALSE(replies[1].ok());
  EXPECT_EQ(replies[1].error().code, "timeout");
  EXPECT_NE(replies[1].error().message.find("when the others had answered"), std::string::npos)
      << replies[1].error().message;
  EXPECT_LT(took, 2s);
  // Without `enough` it waits for every call.
  Gate gate2;
  auto slow2 = startServer([&](const ServerRequest&) {
    gate2.wait(400ms);
    return ServerResponse{200, "application/json", "{}"};
  });
  auto all = client.postAll({call(fast->baseUrl() + "/a"), call(slow2->baseUrl() + "/b")});
  EXPECT_TRUE(all[1].ok());
  slow->stop();
  slow2->stop();
  fast->stop();
}

TEST(Http, RedactUrlHidesCredentialsAndQueryValues) {
  EXPECT_EQ(redactUrl("https://user:pw@rpc.example.com:443/ws?apikey=SECRET&x=1#f"),
            "https://***@rpc.example.com:443/ws?apikey=***&x=***#f");
  EXPECT_EQ(redactUrl("http://127.0.0.1:9933"), "http://127.0.0.1:9933");
  EXPECT_EQ(redactUrl("http://h/p?token"), "http://h/p?token");
  EXPECT_EQ(redactUrl("not a url"), "not a url");
}

TEST(Http, StoppedServerRefusesAndClientSaysUnreachable) {
  auto server = startServer(echoHandler());
  ASSERT_TRUE(server);
  const std::string url = server->baseUrl() + "/x";
  HttpClient client;
  ASSERT_TRUE(client.post(call(url)).ok());  // leaves a kept-alive connection behind
  server->stop();
  server->stop();  // idempotent

  auto reply = client.post(call(url));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "unreachable");
  EXPECT_EQ(reply.error().message.rfind("POST " + url + ": ", 0), 0u) << reply.error().message;
  EXPECT_EQ(rawExchange(server->port(), "GET / HTTP/1.1\r\n\r\n"), "connect failed");
}

TEST(Http, StoppingOneServerClosesItsPortWhileOthersRun) {
  auto a = startServer(echoHandler());
  auto b = startServer(echoHandler());
  ASSERT_TRUE(a && b);
  HttpClient client;
  ASSERT_TRUE(client.post(call(a->baseUrl() + "/x")).ok());
  ASSERT_TRUE(client.post(call(b->baseUrl() + "/x")).ok());
  const uint16_t port = a->port();
  a->stop();
  auto dead = client.post(call(a->baseUrl() + "/x"));
  ASSERT_FALSE(dead.ok());
  EXPECT_EQ(dead.error().code, "unreachable");
  auto alive = client.post(call(b->baseUrl() + "/x"));
  ASSERT_TRUE(alive.ok()) << alive.error().message;
  EXPECT_EQ(alive->status, 200);

  // The same port can be served again in the same process.
  auto again = HttpServer::start("127.0.0.1", port, echoHandler());
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto back = client.post(call(again.value()->baseUrl() + "/x"));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->status, 200);
  again.value()->stop();
  b->stop();
}

TEST(Http, StopWaitsForInFlightRequests) {
  Gate gate;
  std::atomic<bool> entered{false};
  std::atomic<bool> finished{false};
  auto server = startServer([&](const ServerRequest& r) {
    if (r.path == "/probe") return ServerResponse{200, "application/json", "{}"};
    entered = true;
    gate.wait(5s);
    finished = true;
    return ServerResponse{200, "application/json", "{}"};
  });
  ASSERT_TRUE(server);
  std::thread caller([url = server->baseUrl()] {
    HttpClient client;
    auto reply = client.post(call(url + "/x"));
    EXPECT_TRUE(reply.ok());
    if (reply.ok()) {
      EXPECT_EQ(reply->status, 200);
    }
  });
  const auto deadline = Clock::now() + 5s;
  while (!entered && Clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(entered);
  std::thread opener([&] {
    // Opens the gate only once stop() is under way (the server then answers 503 to new calls).
    HttpClient probe;
    const auto until = Clock::now() + 5s;
    while (Clock::now() < until) {
      auto r = probe.post(call(server->baseUrl() + "/probe", "{}", 1000ms));
      if (r.ok() && r->status == 503) break;
    }
    gate.open();
  });
  server->stop();
  EXPECT_TRUE(finished);
  opener.join();
  caller.join();
}

TEST(Http, ResponseOverLimitIsRefused) {
  auto server = startServer([](const ServerRequest&) {
    return ServerResponse{200, "application/octet-stream", std::string(20u << 20, 'r')};
  });
  ASSERT_TRUE(server);
  HttpClient client;
  HttpCall c = call(server->baseUrl() + "/big");
  c.max_response = 1u << 20;
  auto reply = client.post(c);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "response_too_large");
  EXPECT_EQ(reply.error().message,
            "POST " + c.url + ": response larger than " + std::to_string(1u << 20) + " bytes");
  server->stop();
}

TEST(Http, StreamedResponseOverLimitIsCutShort) {
  // A raw server that streams 20 MB without Content-Length: only the write callback can stop it.
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a = loopback(0);
  ASSERT_EQ(::bind(listener.fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(listener.fd, 4), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const uint16_t port = ntohs(a.sin_port);
  constexpr size_t kTotal = 20u << 20;
  std::atomic<size_t> sent{0};
  std::thread streamer([&] {
    Fd conn(::accept(listener.fd, nullptr, nullptr));
    if (conn.fd < 0) return;
    setTimeouts(conn.fd, 5s);
    char buf[65536];
    ssize_t n = ::recv(conn.fd, buf, sizeof buf, 0);  // the request; small enough for one read
    if (n <= 0) return;
    const std::string head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
    if (::send(conn.fd, head.data(), head.size(), MSG_NOSIGNAL) < 0) return;
    std::fill(std::begin(buf), std::end(buf), 'q');
    while (sent < kTotal) {
      n = ::send(conn.fd, buf, sizeof buf, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  });
  HttpClient client;
  HttpCall c = call("http://127.0.0.1:" + std::to_string(port) + "/stream");
  c.max_response = 1u << 20;
  auto reply = client.post(c);
  streamer.join();
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "response_too_large");
  // The client hung up instead of reading on: the server could not send everything.
  EXPECT_LT(sent.load(), kTotal);
}

TEST(Http, UnresolvableHostIsUnreachable) {
  HttpClient client;
  auto reply = client.post(call("http://nonexistent.invalid/x", "{}", 2000ms));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "unreachable");
}

TEST(Http, OtherProtocolsAreRefused) {
  HttpClient client;
  auto reply = client.post(call("file:///etc/passwd"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, "transport");
  EXPECT_NE(reply.error().message.find("file:///etc/passwd"), std::string::npos);
}

TEST(Http, PostAllOfNothingIsNothing) {
  HttpClient client;
  EXPECT_TRUE(client.postAll({}).empty());
}

// ---- start errors ---------------------------------------------------------------------------

TEST(Http, PortInUseIsBindError) {
  auto first = startServer(echoHandler());
  ASSERT_TRUE(first);
  auto second = HttpServer::start("127.0.0.1", first->port(), echoHandler());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "bind");
  EXPECT_NE(second.error().message.find("127.0.0.1:" + std::to_string(first->port())),
            std::string::npos)
      << second.error().message;
  // The first server is unaffected.
  HttpClient client;
  auto reply = client.post(call(first->baseUrl() + "/x"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  first->stop();
}

TEST(Http, BadHostIsBindError) {
  auto server = HttpServer::start("999.1.1.1", 0, echoHandler());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().code, "bind");
  EXPECT_NE(server.error().message.find("999.1.1.1:"), std::string::npos) << server.error().message;
}
