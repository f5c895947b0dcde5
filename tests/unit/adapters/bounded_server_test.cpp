// HttpServer::startBounded: every resource a client can make it use is bounded.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "hunter/adapters/http.hpp"
#include "support/loopback_socket.hpp"

using namespace hunter;
using namespace hunter::adapters;
using namespace std::chrono_literals;

namespace {

int connectTo(uint16_t port) { return hunter::testing::connectLoopback(port); }

// Sends `text` and returns everything the server answers until it closes (or 5 s pass).
std::string exchange(uint16_t port, const std::string& text) {
  int fd = connectTo(port);
  if (fd < 0) return "connect failed";
  ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

std::unique_ptr<HttpServer> server(ServerLimits limits = {}) {
  auto s = HttpServer::startBounded(
      "127.0.0.1", 0,
      [](const ServerRequest& r) {
        return ServerResponse{
            200, "text/plain",
            r.method + " " + r.path + "?" + r.query + " " + std::to_string(r.body.size())};
      },
      limits);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return s.ok() ? std::move(s).value() : nullptr;
}

}  // namespace

TEST(BoundedServer, ServesRequestsAndKeepsTheConnection) {
  auto s = server();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->baseUrl(), "http://127.0.0.1:" + std::to_string(s->port()));
  std::string two =
      "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}\n";
  std::string got = exchange(s->port(), two);
  EXPECT_NE(got.find("GET /a?x=1 0"), std::string::npos) << got;
  EXPECT_NE(got.find("POST /b? 3"), std::string::npos) << got;
}

TEST(BoundedServer, AHeadOverTheLimitIs431AndTheServerGoesOn) {
  ServerLimits l;
  l.max_header = 1024;
  auto s = server(l);
  ASSERT_TRUE(s);
  std::string got =
      exchange(s->port(), "GET / HTTP/1.1\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 431", 0), 0u) << got.substr(0, 200);
  EXPECT_NE(got.find("request header over 1024 bytes"), std::string::npos);
  got = exchange(s->port(), "GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
}

TEST(BoundedServer, ABodyOverTheLimitIs413WithoutReadingIt) {
  ServerLimits l;
  l.max_body = 100;
  auto s = server(l);
  ASSERT_TRUE(s);
  std::string got = exchange(s->port(), "POST / HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n{}");
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  got = exchange(s->port(), "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" +
                                std::string(256, 'x') + "\r\n0\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << "chunked too: " << got;
}

TEST(BoundedServer, ASlowClientIsCutOffAfterTheRequestTimeout) {
  ServerLimits l;
  l.request_timeout = 300ms;
  auto s = server(l);
  ASSERT_TRUE(s);
  int fd = connectTo(s->port());
  ASSERT_GE(fd, 0);
  ::send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);  // and never the rest
  const auto t0 = std::chrono::steady_clock::now();
  char buf[64];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);  // the server closes: 0
  const auto waited = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_EQ(n, 0);
  EXPECT_LT(waited, 3s);
}

TEST(BoundedServer, ConnectionsOverTheLimitAreClosed) {
  ServerLimits l;
  l.max_connections = 2;
  auto s = server(l);
  ASSERT_TRUE(s);
  int a = connectTo(s->port()), b = connectTo(s->port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  // Both held open (idle); a third is accepted by the kernel and closed by the server.
  std::string got;
  for (int i = 0; i < 50 && got.empty(); ++i) {
    got = exchange(s->port(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    if (!got.empty()) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(got, "") << "a third connection is not served";
  ::close(a);
  ::close(b);
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    served = exchange(s->port(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
                 .rfind("HTTP/1.1 200", 0) == 0;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served) << "served again once they closed";
}

TEST(BoundedServer, StopClosesThePort) {
  auto s = server();
  ASSERT_TRUE(s);
  const uint16_t port = s->port();
  s->stop();
  EXPECT_EQ(connectTo(port), -1);
}

TEST(BoundedServer, AHostThatIsNotAnAddressIsRefusedByName) {
  auto s = HttpServer::startBounded("not-an-ip", 0,
                                    [](const ServerRequest&) { return ServerResponse{}; }, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("not-an-ip"), std::string::npos);
}
