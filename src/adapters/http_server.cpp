// HttpServer on cpprestsdk's http_listener (Boost.Asio backend on Linux).
//
// Two cpprestsdk 2.10 behaviours shape this file:
//  * The default listener backend keeps one acceptor per host:port for the whole process and only
//    closes acceptors when the last listener of the process closes. A stopped server would keep
//    its port open (answering 404) while any other server lives. We therefore install a backend
//    that gives each listener its own asio server, so close() really closes that port.
//  * The listener cannot report the port it bound, so port 0 is resolved by probing for a free
//    port first.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "hunter/adapters/http.hpp"

#include <cpprest/details/http_server.h>
#include <cpprest/details/http_server_api.h>
#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

namespace web::http::experimental::details {
// Exported by libcpprest (http_server_asio.cpp) but not declared in an installed header.
std::unique_ptr<http_server> make_http_asio_server();
}  // namespace web::http::experimental::details

namespace hunter::adapters {
namespace {

namespace cpx = web::http::experimental;
using web::http::http_request;
using web::http::http_response;
using ListenerImpl = cpx::listener::details::http_listener_impl;

constexpr size_t kChunk = 64 * 1024;
constexpr int kPortAttempts = 5;
// How long stop() lets in-flight requests finish before it closes their connections.
constexpr auto kDrainTimeout = std::chrono::seconds(10);

// ---- per-listener backend -----------------------------------------------------------------

// One asio server (one acceptor) per listener; unregistering a listener closes its acceptor and
// its connections at once instead of when the last listener of the process goes away.
class PerListenerServer final : public cpx::details::http_server {
 public:
  PerListenerServer() : responder_(cpx::details::make_http_asio_server()) {}

  pplx::task<void> start() override { return pplx::task_from_result(); }

  pplx::task<void> register_listener(ListenerImpl* listener) override {
    try {
      auto inner = cpx::details::make_http_asio_server();
      inner->start().wait();
      inner->register_listener(listener).wait();  // binds; throws on failure
      std::lock_guard<std::mutex> lock(mutex_);
      inners_[listener] = std::move(inner);
      return pplx::task_from_result();
    } catch (...) {
      return pplx::task_from_exception<void>(std::current_exception());
    }
  }

  pplx::task<void> unregister_listener(ListenerImpl* listener) override {
    std::unique_ptr<cpx::details::http_server> inner;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = inners_.find(listener);
      if (it == inners_.end()) {
        return pplx::task_from_exception<void>(std::invalid_argument("listener not registered"));
      }
      inner = std::move(it->second);
      inners_.erase(it);
    }
    std::exception_ptr failure;
    try {
      inner->unregister_listener(listener).wait();
    } catch (...) {
      failure = std::current_exception();
    }
    // Closes the acceptor and every connection, and waits until they are gone.
    inner->stop().wait();
    inner.reset();
    if (failure) return pplx::task_from_exception<void>(failure);
    return pplx::task_from_result();
  }

  pplx::task<void> stop() override {
    std::map<ListenerImpl*, std::unique_ptr<cpx::details::http_server>> left;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      left.swap(inners_);
    }
    for (auto& [listener, inner] : left) inner->stop().wait();
    return pplx::task_from_result();
  }

  // The asio server's respond() only uses the response's own connection context, so any
  // instance can complete it; this one never listens and outlives every inner server.
  pplx::task<void> respond(http_response response) override {
    return responder_->respond(std::move(response));
  }

 private:
  std::unique_ptr<cpx::details::http_server> responder_;
  std::mutex mutex_;
  std::map<ListenerImpl*, std::unique_ptr<cpx::details::http_server>> inners_;
};

// Serializes listener open/close with the backend swap below (cpprestsdk drops its backend when
// the last listener closes and installs its default one on the next open).
std::mutex& lifecycleMutex() {
  static std::mutex m;
  return m;
}

// Call with lifecycleMutex() held.
void ensurePerListenerBackend() {
  using Api = cpx::details::http_server_api;
  if (dynamic_cast<PerListenerServer*>(Api::server_api()) != nullptr) return;
  // Listeners opened elsewhere on the default backend: share it rather than fail.
  if (Api::has_listener()) return;
  try {
    Api::register_server_api(std::make_unique<PerListenerServer>());
  } catch (const std::exception&) {
    // A listener appeared meanwhile; the default backend still works, with its port caveat.
  }
}

// ---- helpers ------------------------------------------------------------------------------

std::string describeException(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Binds a throwaway socket to host:0 (127.0.0.1 unless host is a numeric IPv4 address) and
// returns the port the kernel chose.
Result<uint16_t> probeFreePort(const std::string& host) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError("bind", std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return makeError("bind", "cannot find a free port on " + host + ": " + std::strerror(err));
  }
  ::close(fd);
  return static_cast<uint16_t>(ntohs(addr.sin_port));
}

std::string uriHost(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

http_response jsonError(web::http::status_code status, const std::string& message,
                        const char* code) {
  http_response response(status);
  response.set_body(nlohmann::json{{"error", message}, {"code", code}}.dump(), "application/json");
  return response;
}

// ---- per-server state and request flow ------------------------------------------------------

struct ServerState {
  ServerHandler handler;
  size_t max_body = 0;
  std::mutex mutex;
  std::condition_variable idle;
  size_t inflight = 0;
  bool stopping = false;

  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    if (--inflight == 0) idle.notify_all();
  }
};

// One request from arrival until its response is written (or fails); counted in
// ServerState::inflight for exactly that long.
struct Exchange {
  Exchange(std::shared_ptr<ServerState> s, http_request r)
      : state(std::move(s)), request(std::move(r)) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  ~Exchange() { finish(); }

  void finish() {
    if (!finished) {
      finished = true;
      state->release();
    }
  }

  std::shared_ptr<ServerState> state;
  http_request request;
  std::string body;
  bool finished = false;
};
using ExchangePtr = std::shared_ptr<Exchange>;

// Sends the response; the exchange ends when the write completes. Every task is observed:
// pplx terminates the process on an unobserved exception (e.g. the client went away).
void sendReply(const ExchangePtr& ex, http_response response) {
  try {
    ex->request.reply(std::move(response)).then([ex](pplx::task<void> done) {
      try {
        done.get();
      } catch (...) {
      }
      ex->finish();
    });
  } catch (...) {
    ex->finish();
  }
}

// Reads and discards the rest of a refused body, so the connection stays usable and memory
// stays bounded (cpprestsdk buffers the whole body before it writes the response).
void drainBody(const ExchangePtr& ex) {
  ex->body.resize(kChunk);
  auto buffer = ex->request.body().streambuf();
  buffer.getn(reinterpret_cast<uint8_t*>(ex->body.data()), kChunk)
      .then([ex](pplx::task<size_t> read) {
        size_t n = 0;
        try {
          n = read.get();
        } catch (...) {
        }
        if (n > 0) drainBody(ex);
      });
}

void refuseTooLarge(const ExchangePtr& ex) {
  sendReply(ex, jsonError(web::http::status_codes::RequestEntityTooLarge,
                          "request body over " + std::to_string(ex->state->max_body) + " bytes",
                          "body_too_large"));
  drainBody(ex);
}

void refuseBroken(const ExchangePtr& ex) {
  sendReply(
      ex, jsonError(web::http::status_codes::BadRequest, "request body incomplete", "bad_request"));
}

// Runs the handler. Never throws: it runs in pplx continuations, where an escaping exception
// would end the process.
void dispatch(const ExchangePtr& ex) noexcept {
  http_response response;
  try {
    ServerRequest request;
    request.method = ex->request.method();
    const web::uri& uri = ex->request.request_uri();
    request.path = uri.path();
    request.query = uri.query();
    request.body = std::move(ex->body);
    ServerResponse out = ex->state->handler(request);
    response.set_status_code(static_cast<web::http::status_code>(out.status));
    response.set_body(std::move(out.body), out.content_type.empty()
                                               ? std::string("application/octet-stream")
                                               : out.content_type);
  } catch (...) {
    try {
      response = jsonError(web::http::status_codes::InternalError,
                           describeException(std::current_exception()), "internal");
    } catch (...) {
      response = http_response(web::http::status_codes::InternalError);
    }
  }
  sendReply(ex, std::move(response));
}

// Chunked upload of unknown length: read piecewise, refuse as soon as it passes the limit.
void readChunked(const ExchangePtr& ex) {
  const size_t have = ex->body.size();
  ex->body.resize(have + kChunk);
  auto buffer = ex->request.body().streambuf();
  buffer.getn(reinterpret_cast<uint8_t*>(ex->body.data() + have), kChunk)
      .then([ex, have](pplx::task<size_t> read) {
        size_t n = 0;
        try {
          n = read.get();
        } catch (...) {
          ex->body.clear();
          refuseBroken(ex);
          return;
        }
        ex->body.resize(have + n);
        if (ex->body.size() > ex->state->max_body) {
          refuseTooLarge(ex);
        } else if (n < kChunk) {
          // getn returns short only when the body stream closed: at its end, or when the
          // connection broke (then content_ready() holds the error).
          ex->request.content_ready().then([ex](pplx::task<http_request> ready) {
            try {
              ready.get();
            } catch (...) {
              ex->body.clear();
              refuseBroken(ex);
              return;
            }
            dispatch(ex);
          });
        } else {
          readChunked(ex);
        }
      });
}

void onRequest(const std::shared_ptr<ServerState>& state, http_request request) {
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->stopping) {
      request
          .reply(jsonError(web::http::status_codes::ServiceUnavailable, "server stopping",
                           "unavailable"))
          .then([](pplx::task<void> done) {
            try {
              done.get();
            } catch (...) {
            }
          });
      return;
    }
    ++state->inflight;
  }
  ExchangePtr ex;
  try {
    ex = std::make_shared<Exchange>(state, std::move(request));
  } catch (...) {
    state->release();
    throw;  // cpprestsdk answers 500
  }

  const auto& headers = ex->request.headers();
  auto te = headers.find(web::http::header_names::transfer_encoding);
  const bool chunked = te != headers.end() && te->second.find("chunked") != std::string::npos;
  if (chunked) {
    readChunked(ex);
    return;
  }
  const uint64_t length = headers.content_length();
  if (length > ex->state->max_body) {
    refuseTooLarge(ex);
    return;
  }
  if (length == 0) {
    dispatch(ex);
    return;
  }
  ex->body.resize(length);
  auto buffer = ex->request.body().streambuf();
  // getn waits for all `length` bytes or the end of the stream.
  buffer.getn(reinterpret_cast<uint8_t*>(ex->body.data()), length)
      .then([ex, length](pplx::task<size_t> read) {
        size_t n = 0;
        try {
          n = read.get();
        } catch (...) {
        }
        if (n != length) {
          refuseBroken(ex);
          return;
        }
        dispatch(ex);
      });
}

// ---- the server ---------------------------------------------------------------------------

class CpprestServer final : public HttpServer {
 public:
  CpprestServer(std::shared_ptr<ServerState> state,
                std::unique_ptr<cpx::listener::http_listener> listener, const std::string& host,
                uint16_t port)
      : state_(std::move(state)), listener_(std::move(listener)), port_(port) {
    const std::string reach = (host == "0.0.0.0" || host.empty()) ? "127.0.0.1" : host;
    base_url_ = "http://" + uriHost(reach) + ":" + std::to_string(port);
  }
  ~CpprestServer() override { stop(); }

  uint16_t port() const override { return port_; }
  std::string baseUrl() const override { return base_url_; }

  void stop() override {
    std::lock_guard<std::mutex> once(stop_mutex_);
    if (!listener_) return;
    {
      // New requests get 503 from here on; let the ones in flight finish and be written.
      std::unique_lock<std::mutex> lock(state_->mutex);
      state_->stopping = true;
      state_->idle.wait_for(lock, kDrainTimeout, [&] { return state_->inflight == 0; });
    }
    {
      std::lock_guard<std::mutex> lock(lifecycleMutex());
      try {
        listener_->close().wait();
      } catch (...) {
      }
    }
    {
      // Closing aborted any stragglers; wait for their handlers to return.
      std::unique_lock<std::mutex> lock(state_->mutex);
      state_->idle.wait(lock, [&] { return state_->inflight == 0; });
    }
    listener_.reset();
  }

 private:
  std::shared_ptr<ServerState> state_;
  std::mutex stop_mutex_;
  std::unique_ptr<cpx::listener::http_listener> listener_;
  uint16_t port_;
  std::string base_url_;
};

// Opens a listener on host:port; the error names host:port.
Result<std::unique_ptr<cpx::listener::http_listener>> openListener(
    const std::string& host, uint16_t port, const std::shared_ptr<ServerState>& state) {
  const std::string where = host + ":" + std::to_string(port);
  try {
    auto listener = std::make_unique<cpx::listener::http_listener>(
        web::uri("http://" + uriHost(host) + ":" + std::to_string(port) + "/"));
    auto handle = [state](http_request request) { onRequest(state, std::move(request)); };
    listener->support(handle);
    // OPTIONS and TRACE have built-in answers unless handled explicitly.
    listener->support(web::http::methods::OPTIONS, handle);
    listener->support(web::http::methods::TRCE, handle);
    std::lock_guard<std::mutex> lock(lifecycleMutex());
    ensurePerListenerBackend();
    listener->open().wait();
    return listener;
  } catch (...) {
    return makeError(
        "bind", "cannot listen on " + where + ": " + describeException(std::current_exception()));
  }
}

}  // namespace

bool setServerThreads(size_t threads) {
  if (threads == 0) return false;
  try {
    crossplat::threadpool::initialize_with_threads(threads);
    return true;
  } catch (const std::exception&) {
    return false;  // the pool already runs (a server or a task started it)
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& host, uint16_t port,
                                                      ServerHandler handler, size_t max_body) {
  if (host.empty())
    return makeError("bind", "cannot listen on :" + std::to_string(port) + ": empty host");
  if (!handler) return makeError("bind", "cannot listen on " + host + ": no handler");
  auto state = std::make_shared<ServerState>();
  state->handler = std::move(handler);
  state->max_body = max_body;

  if (port != 0) {
    HUNTER_TRY(auto listener, openListener(host, port, state));
    return std::unique_ptr<HttpServer>(
        std::make_unique<CpprestServer>(state, std::move(listener), host, port));
  }
  // The probed port can be taken by someone else before we bind it: retry a few times.
  Error last = makeError("bind", "cannot listen on " + host + ":0");
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    HUNTER_TRY(const uint16_t picked, probeFreePort(host));
    auto opened = openListener(host, picked, state);
    if (opened.ok()) {
      return std::unique_ptr<HttpServer>(
          std::make_unique<CpprestServer>(state, std::move(opened).value(), host, picked));
    }
    last = opened.error();
  }
  return last;
}

}  // namespace hunter::adapters
