// HttpServer::startBounded: an HTTP/1.1 server on Boost.Beast whose every resource is bounded,
// for a port that faces the network (hunter's service API).
//  * One io_context, run by `threads` threads. Each connection reads one request at a time
//    through a request_parser with header_limit and body_limit, into a buffer of at most
//    max_header + max_body bytes, within request_timeout (a slow client is cut off).
//  * A head over the limit is answered 431, a body over it 413, and the connection is closed.
//  * Connections over max_connections are closed as soon as they are accepted.
//  * stop(): no new connection; new requests get 503; the io_context is stopped once the
//    handlers running finish (at most 10 s), and the threads are joined.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <optional>
#include <thread>

#include "hunter/adapters/http.hpp"

namespace hunter::adapters {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct Shared {
  ServerHandler handler;
  ServerLimits limits;
  std::atomic<size_t> connections{0};
  std::atomic<size_t> running{0};  // handler calls in progress
  std::atomic<bool> stopping{false};
};

ServerResponse errorResponse(int status, const std::string& message, const char* code) {
  return {status, "application/json", nlohmann::json{{"error", message}, {"code", code}}.dump()};
}

ServerResponse callHandler(Shared& shared, const ServerRequest& req) {
  if (shared.stopping) return errorResponse(503, "server is stopping", "stopping");
  ++shared.running;
  ServerResponse out;
  try {
    out = shared.handler(req);
  } catch (const std::exception& e) {
    out = errorResponse(500, std::string("internal error: ") + e.what(), "internal");
  } catch (...) {
    out = errorResponse(500, "internal error", "internal");
  }
  --shared.running;
  return out;
}

ServerRequest toRequest(const bhttp::request<bhttp::string_body>& r) {
  ServerRequest out;
  out.method = std::string(r.method_string());
  const std::string target(r.target());
  const auto q = target.find('?');
  out.path = target.substr(0, q);
  out.query = q == std::string::npos ? "" : target.substr(q + 1);
  out.body = r.body();
  return out;
}

// One connection: requests read one at a time, each answered before the next is read.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)),
        buffer_(shared->limits.max_header + shared->limits.max_body),
        shared_(std::move(shared)) {}
  ~Session() { --shared_->connections; }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->limits.max_header));
    parser_->body_limit(shared_->limits.max_body);
    stream_.expires_after(shared_->limits.request_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) {
      return answer(
          errorResponse(
              431, "request header over " + std::to_string(shared_->limits.max_header) + " bytes",
              "header_too_large"),
          false);
    }
    if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow) {
      return answer(
          errorResponse(413,
                        "request body over " + std::to_string(shared_->limits.max_body) + " bytes",
                        "body_too_large"),
          false);
    }
    if (ec) return close();  // end of stream, timeout, reset, garbage
    const auto& req = parser_->get();
    const bool keep = req.keep_alive() && !shared_->stopping;
    answer(callHandler(*shared_, toRequest(req)), keep);
  }

  void answer(const ServerResponse& r, bool keep_alive) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(r.status), 11);
    res->set(bhttp::field::content_type, r.content_type);
    res->keep_alive(keep_alive);
    res->body() = r.body;
    res->prepare_payload();
    stream_.expires_after(shared_->limits.request_timeout);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                         if (ec || !keep_alive) return self->close();
                         self->read();
                       });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(std::shared_ptr<Shared> shared, const std::string& host)
      : shared_(std::move(shared)), host_(host), acceptor_(asio::make_strand(ioc_)) {}
  ~BeastServer() override { stop(); }

  Status listen(uint16_t port) {
    beast::error_code ec;
    std::string ip = host_ == "localhost" ? "127.0.0.1" : host_;
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    auto address = asio::ip::make_address(ip, ec);
    if (ec) return makeError("bind", "cannot listen on " + host_ + ": not an IP address");
    tcp::endpoint at{address, port};
    acceptor_.open(at.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(at, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return makeError(
          "bind", "cannot listen on " + host_ + ":" + std::to_string(port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    const bool wildcard = address.is_unspecified();
    const std::string reach = wildcard ? "127.0.0.1" : ip;
    base_url_ = "http://" + (address.is_v6() && !wildcard ? "[" + reach + "]" : reach) + ":" +
                std::to_string(port_);
    accept();
    for (size_t i = 0; i < std::max<size_t>(1, shared_->limits.threads); ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
    return okStatus();
  }

  uint16_t port() const override { return port_; }
  std::string baseUrl() const override { return base_url_; }

  void stop() override {
    if (stopped_.exchange(true)) return;
    shared_->stopping = true;
    asio::dispatch(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (shared_->running > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    beast::error_code ignored;
    acceptor_.close(ignored);  // no thread runs the io_context any more
  }

 private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) admit(std::move(s));
      accept();
    });
  }

  void admit(tcp::socket socket) {
    if (shared_->stopping || shared_->connections >= shared_->limits.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    ++shared_->connections;
    std::make_shared<Session>(std::move(socket), shared_)->start();
  }

  std::shared_ptr<Shared> shared_;
  std::string host_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::string base_url_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::startBounded(const std::string& host, uint16_t port,
                                                             ServerHandler handler,
                                                             ServerLimits limits) {
  if (host.empty()) {
    return makeError("bind", "cannot listen on :" + std::to_string(port) + ": empty host");
  }
  if (!handler) return makeError("bind", "cannot listen on " + host + ": no handler");
  auto shared = std::make_shared<Shared>();
  shared->handler = std::move(handler);
  shared->limits = limits;
  auto server = std::make_unique<BeastServer>(shared, host);
  HUNTER_CHECK(server->listen(port));
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace hunter::adapters
