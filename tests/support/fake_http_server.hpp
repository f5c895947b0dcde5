// Test doubles for HTTP peers, shared by the adapter and service tests: a gate a handler can block
// on, and a fake server (adapters::HttpServer on 127.0.0.1, port 0) that records what it was sent.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hunter/adapters/http.hpp"

namespace hunter::test {

// A gate a handler can block on; it always opens by its deadline, so no test can hang.
class Gate {
 public:
  void wait(std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, deadline, [&] { return open_; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A fake peer: every request is recorded, counted and answered by `fn`. A handler that must hang
// calls waitReleased(), which returns at release() (and at stop()) or after 20 s.
class FakeHttpServer {
 public:
  using Fn =
      std::function<adapters::ServerResponse(const adapters::ServerRequest&, FakeHttpServer&)>;

  explicit FakeHttpServer(Fn fn) : fn_(std::move(fn)) {
    auto s = adapters::HttpServer::start("127.0.0.1", 0, [this](const adapters::ServerRequest& r) {
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      ++hits_;
      return fn_(r, *this);
    });
    if (!s.ok()) {
      ADD_FAILURE() << "server start: " << s.error().message;
      return;
    }
    server_ = std::move(s).value();
  }
  ~FakeHttpServer() { stop(); }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  void stop() {
    release();
    if (server_) server_->stop();
  }
  // A closed port when the server did not start, so the test fails on its assertions, not here.
  std::string url() const { return server_ ? server_->baseUrl() : "http://127.0.0.1:1"; }
  int hits() const { return hits_.load(); }
  std::vector<adapters::ServerRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void waitReleased() { gate_.wait(std::chrono::seconds(20)); }
  void release() { gate_.open(); }

 private:
  Fn fn_;
  std::mutex mu_;
  Gate gate_;
  std::vector<adapters::ServerRequest> requests_;
  std::atomic<int> hits_{0};
  std::unique_ptr<adapters::HttpServer> server_;
};

}  // namespace hunter::test
