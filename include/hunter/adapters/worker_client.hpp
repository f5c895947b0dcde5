#pragma once
// core::WorkerClient over the workers' pRPC JSON API (docs/protocol.md §3): POST
// /prpc/PhactoryAPI.<Method>?json on each worker's base URL.
//
// Responses are parsed strictly but tolerantly: unknown fields are ignored; a missing field, a
// wrong JSON type, hex of the wrong length, a number that is not a non-negative integer (JSON
// number, or a decimal string), messages that are not ascending and contiguous from at least
// from_sn, more messages than asked for, or a sign result for an sn that was not asked for, is
// Error "bad_response" whose message names the worker and the field, e.g.
//   "worker http://10.0.0.1:8000: messages[3].prev_hash: expected 32 bytes, got 31".
// Claimed message hashes are NOT checked here (core::checkHashChain does that in the relay).
//
// Error codes: transport codes of HttpClient ("timeout", "unreachable", "response_too_large",
// "transport"); "bad_response"; from a worker's error body {"error", "code"}: "stopped",
// "unknown_cluster" (any non-2xx status), else "bad_request" for HTTP 400, else "http_<status>";
// "incompatible" from info() for another protocol or major version; "bad_worker" for a worker
// index out of range.
//
// Thread safety: signAll and the other calls each have their own libcurl client (kept alive
// between calls) and mutex, so one signAll and one info or fetch may run at once (the relay
// fetches the next messages while the workers sign); calls of the same kind are serialized.
// lastLatency() may be read from any thread. A test `transport` must allow the two at once.
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hunter/adapters/http.hpp"
#include "hunter/core/ports.hpp"

namespace hunter::adapters {

struct WorkerClientOptions {
  std::chrono::milliseconds timeout{5000};  // per HTTP request, connect to last byte
  // A worker answering slower than this many bytes/s for min_rate_window is cut off as
  // "timeout" (a trickling worker), long before `timeout`.
  size_t min_rate = 256;
  std::chrono::seconds min_rate_window{2};
  size_t max_response = 16u << 20;  // bytes; larger replies are "response_too_large"
  // Items per SignClusterMessages request (the protocol's maximum is 4096); clamped to 1..4096.
  size_t sign_batch = 4096;
  std::string ca_file;      // CA bundle for https:// endpoints; empty = the system's
  HttpTransport transport;  // empty = libcurl; set by tests and fuzz targets
  // GetClusterMessages and SignClusterMessages replies of the usual shape are read by a scanner
  // without building a JSON tree; any other reply by the general parser, so results and errors
  // are the same either way. false = always the general parser (tests compare the two).
  bool fast_parse = true;
};

class HttpWorkerClient : public core::WorkerClient {
 public:
  static constexpr size_t kMaxLimit = 4096;  // protocol maximum for limit and items

  // `endpoints` are base URLs ("http://127.0.0.1:8000"); a trailing '/' is dropped. They may
  // carry credentials (user:password@), which endpoints() and every error show as "***".
  explicit HttpWorkerClient(std::vector<std::string> endpoints, WorkerClientOptions options = {});
  ~HttpWorkerClient() override;

  // The workers' names for logs, errors, metrics and the database: the URLs redacted.
  const std::vector<std::string>& endpoints() const override { return names_; }

  // GetClusterInfo. "incompatible" unless protocol is "phala-cluster-mq" and the version's major
  // number is 1; public_key must be a valid compressed secp256k1 key.
  Result<core::WorkerInfo> info(size_t worker) override;

  // GetClusterMessages. `limit` is clamped to 1..4096 (0 means the protocol default, 256). The
  // messages' sender is Cluster(cluster); hashes are the worker's claims.
  Result<core::WorkerMessages> fetch(size_t worker, const H256& cluster, uint64_t from_sn,
                                     uint32_t limit) override;

  // SignClusterMessages to every worker in `workers` at once (items split into requests of at
  // most sign_batch items, all in flight together); results in the order of `workers`. A
  // worker's results come in the order it answered; a worker may leave items unanswered.
  std::vector<Result<core::SignResponse>> signAll(const std::vector<size_t>& workers,
                                                  const H256& cluster,
                                                  const std::vector<core::SignItem>& items,
                                                  size_t enough = SIZE_MAX) override;

  // Round-trip time of the last HTTP exchange with a worker that got an HTTP answer (of any
  // status); transport failures do not update it. Zero before the first one or when out of range.
  std::chrono::microseconds lastLatency(size_t worker) const;
  double lastLatencyMs(size_t worker) const override {
    return static_cast<double>(lastLatency(worker).count()) / 1000.0;
  }

 private:
  std::string url(size_t worker, const char* method) const;
  HttpCall call(size_t worker, const char* method, std::string body) const;
  Result<HttpReply> post(const HttpCall& c);
  void noteLatency(size_t worker, std::chrono::microseconds elapsed);

  std::vector<std::string> endpoints_;

  std::vector<std::string> names_;  // endpoints_ redacted (redactUrl)
  WorkerClientOptions options_;
  // HttpClient is not thread-safe: one for signAll, one for the rest.
  std::mutex call_mutex_;
  HttpClient http_;
  std::mutex sign_mutex_;
  HttpClient sign_http_;
  mutable std::mutex latency_mutex_;
  std::vector<std::chrono::microseconds> latency_;
};

}  // namespace hunter::adapters
