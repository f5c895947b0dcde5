#pragma once
// A hostile HTTP peer for tests: on 127.0.0.1 (a free port), it reads each request, gets the
// answer from `answer` (e.g. a real worker, forwarded), sends the status line and headers at
// once, and then the body one byte every `interval` when `trickle(path)` says so (otherwise all
// at once). The destructor stops every connection within 10 ms.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hunter::testing {

class TrickleServer {
 public:
  using Answer = std::function<std::string(const std::string& path, const std::string& body)>;

  TrickleServer(Answer answer, std::function<bool(const std::string& path)> trickle,
                std::chrono::milliseconds interval)
      : answer_(std::move(answer)), trickle_(std::move(trickle)), interval_(interval) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
    accept_ = std::thread([this] { acceptLoop(); });
  }
  ~TrickleServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (accept_.joinable()) accept_.join();
    std::lock_guard lock(mu_);
    for (int c : fds_) ::shutdown(c, SHUT_RDWR);  // wakes a connection blocked in recv()
    for (auto& t : conns_) t.join();
    for (int c : fds_) ::close(c);
  }
  TrickleServer(const TrickleServer&) = delete;
  TrickleServer& operator=(const TrickleServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bool ok() const { return port_ != 0; }

 private:
  void acceptLoop() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      std::lock_guard lock(mu_);
      fds_.push_back(c);
      conns_.emplace_back([this, c] { serve(c); });
    }
  }

  // Keep-alive: requests on one connection until the peer closes it or the server stops.
  void serve(int c) {
    std::string buf;
    char chunk[65536];
    while (!stop_) {
      size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      std::string head = buf.substr(0, head_end);
      size_t length = 0;
      for (const char* key : {"Content-Length: ", "content-length: "}) {
        if (auto p = head.find(key); p != std::string::npos) {
          length = std::stoul(head.substr(p + std::string(key).size()));
        }
      }
      while (buf.size() < head_end + 4 + length) {
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      std::string body = buf.substr(head_end + 4, length);
      buf.erase(0, head_end + 4 + length);
      auto sp1 = head.find(' ');
      std::string path = head.substr(sp1 + 1, head.find(' ', sp1 + 1) - sp1 - 1);
      std::string out = answer_(path, body);
      std::string headers =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(out.size()) + "\r\n\r\n";
      if (!sendAll(c, headers)) return;
      if (!trickle_(path)) {
        if (!sendAll(c, out)) return;
        continue;
      }
      for (char ch : out) {
        if (stop_ || !sendAll(c, std::string(1, ch))) return;
        for (auto slept = std::chrono::milliseconds(0); slept < interval_ && !stop_;
             slept += std::chrono::milliseconds(10)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    }
  }
  static bool sendAll(int c, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(c, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  Answer answer_;
  std::function<bool(const std::string&)> trickle_;
  std::chrono::milliseconds interval_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
  std::vector<int> fds_;  // closed by the destructor, after the threads are done
};

}  // namespace hunter::testing
