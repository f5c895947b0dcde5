#pragma once
// HTTP on loopback or the network, for the worker and chain clients (libcurl) and for the
// service's own API and the devnet (cpprestsdk listener).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hunter/util/result.hpp"

namespace hunter::adapters {

// ---- server -------------------------------------------------------------------------------
struct ServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // "/prpc/PhactoryAPI.GetClusterInfo"
  std::string query;   // "json" (without '?'), may be empty
  std::string body;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using ServerHandler = std::function<ServerResponse(const ServerRequest&)>;

// An HTTP/1.1 server on host:port serving one handler on a small thread pool. Port 0 picks a
// free port; port() tells which. The handler may be called from several threads at once.
// A request body over max_body bytes is answered 413 without calling the handler; an exception
// escaping the handler is answered 500. stop() (and the destructor) waits for in-flight requests.
// ServerRequest::path and ::query are as sent (still percent-encoded). While stop() lets in-flight
// requests finish (at most 10 s, then their connections are closed) new requests get 503; after
// it the port refuses connections. Never call stop() from inside the handler (it would wait for
// itself). Handlers run on cpprestsdk's shared thread pool; a handler that blocks holds a thread.
// Bounds of a server that faces the network (HttpServer::startBounded).
struct ServerLimits {
  size_t max_header = 16 * 1024;  // request line and headers; more is answered 431 and closed
  size_t max_body = 64 * 1024;    // more is answered 413 and closed
  size_t max_connections = 64;    // open at once; more are closed at once
  std::chrono::milliseconds request_timeout{10'000};  // to receive one whole request
  size_t threads = 2;                                 // run the handler
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(const std::string& host, uint16_t port,
                                                   ServerHandler handler,
                                                   size_t max_body = 16u << 20);
  // The same contract on Boost.Beast with every resource bounded (ServerLimits): a client cannot
  // make it hold more than max_header + max_body bytes per connection, max_connections
  // connections, or a connection longer than request_timeout per request. cpprestsdk reads a
  // request head of any size into memory (a 200 MB header: 884 MB resident). For hunter's
  // service API; the devnet keeps start().
  static Result<std::unique_ptr<HttpServer>> startBounded(const std::string& host, uint16_t port,
                                                          ServerHandler handler,
                                                          ServerLimits limits = {});
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  virtual std::string baseUrl() const = 0;  // "http://127.0.0.1:PORT"
  virtual void stop() = 0;
};

// Sizes the thread pool every HttpServer of the process shares (cpprestsdk's default is 40
// threads). Takes effect only before the first server starts; returns false after that. A
// pool no larger than the cores it runs on keeps request handling from waking an idle thread
// for every 4 KiB piece of a body: on the devnet that was about a tenth of its CPU.
bool setServerThreads(size_t threads);

// `url` as it may be shown to a person: credentials in the authority ("user:pw@") and every
// query value ("?apikey=…") replaced by "***". Anything after the path that is not a query is
// kept as is; a string that is not a URL comes back unchanged.
std::string redactUrl(std::string_view url);

// ---- client -------------------------------------------------------------------------------
struct HttpCall {
  std::string url;
  std::string body;                         // POSTed as application/json
  std::chrono::milliseconds timeout{5000};  // the whole call, connect to last byte
  size_t max_response = 16u << 20;          // larger bodies are refused with "response_too_large"
  // A call slower than min_rate bytes/s for min_rate_window is ended as "timeout" (a peer that
  // trickles its answer). 0 = no rate limit; the window is whole seconds (libcurl's).
  size_t min_rate = 0;
  std::chrono::seconds min_rate_window{0};
};

struct HttpReply {
  long status = 0;
  std::string body;
  std::chrono::microseconds elapsed{0};
};

// Stands in for the network in the worker and chain clients (tests and fuzz targets): given a
// call, its reply or transport error. Empty = libcurl.
using HttpTransport = std::function<Result<HttpReply>(const HttpCall&)>;

// libcurl client. One instance keeps its connections alive between calls (keep-alive) and runs
// several calls in parallel with curl_multi. Not thread-safe: one instance per thread.
// Transport errors come back as Error codes "timeout", "unreachable", "response_too_large",
// "transport" with a message naming the URL (never a request body).
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<HttpReply> post(const HttpCall& call);
  // All calls at once; results in the order of `calls`. Returns when every call has finished
  // or timed out, or, once `enough` calls have finished with an answer (any status), after a
  // grace as long again as that took (at least kStragglerGraceMs): the calls still running
  // then end with code "timeout" ("no answer within N ms after the others").
  static constexpr int64_t kStragglerGraceMs = 50;
  std::vector<Result<HttpReply>> postAll(const std::vector<HttpCall>& calls,
                                         size_t enough = SIZE_MAX);
  // GET, for the service API tests and health probes.
  Result<HttpReply> get(const HttpCall& call);

  // TLS: CA bundle file for https:// URLs (empty = system default).
  void setCaFile(std::string path) { ca_file_ = std::move(path); }

  // New TCP connections opened so far (curl's CURLINFO_NUM_CONNECTS summed over every call);
  // stays flat while keep-alive reuses connections. For metrics and tests.
  uint64_t connectionsOpened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string ca_file_;
};

}  // namespace hunter::adapters
