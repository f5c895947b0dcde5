#pragma once
// core::ChainClient over Substrate JSON-RPC 2.0 on HTTP POST (docs/protocol.md §4), with failover
// between one or more endpoints.
//
// Failover: each request goes to the first endpoint (in the configured order) that is not
// backing off. A transport error ("timeout", "unreachable", "transport") or a non-2xx HTTP
// status moves on to the next endpoint and makes the failing one back off for
// backoff_initial, doubled on every further consecutive failure up to backoff_max; a success
// ends its backoff. When every endpoint is backing off, the one whose backoff ends first is
// tried (so a single endpoint is always tried). "response_too_large" and everything after a
// parsed HTTP answer are not failover reasons.
//
// Errors: a JSON-RPC error object is the answer, not a failure of the endpoint:
// Error{code = std::to_string(error.code) (e.g. "1010"), message = error.data when it is a
// string (e.g. "Custom error: 6"), else error.message}. A response that does not parse as
// expected is "bad_response" naming the endpoint and the method. A block number the chain does
// not know (chain_getBlockHash -> null) is "not_found". When every endpoint failed, the last
// failure's code with a message listing each endpoint's failure.
//
// Thread safety: requests are serialized by an internal mutex (one libcurl client, kept alive);
// stats() and currentEndpoint() may be called from any thread at any time.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hunter/adapters/chain_view.hpp"
#include "hunter/adapters/http.hpp"
#include "hunter/core/ports.hpp"

namespace hunter::adapters {

struct ChainClientOptions {
  std::chrono::milliseconds timeout{10000};  // per HTTP request
  size_t max_response = 16u << 20;           // bytes
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{30000};
  size_t acks_chunk = 512;      // state_getStorage calls per JSON-RPC batch request (min 1)
  int64_t head_check_ms = 100;  // how often head() may ask whether the best block moved
  // Where head() says ACKs are read (ChainHead::settled): kBlocks is ack_confirmations below
  // the best block.
  core::AckDepth ack_depth = core::AckDepth::kBest;
  uint32_t ack_confirmations = 0;
  // Monotonic clock for the backoff, in ms; empty = std::chrono::steady_clock. For tests.
  std::function<int64_t()> now_ms;
  std::string ca_file;      // CA bundle for https:// endpoints; empty = the system's
  HttpTransport transport;  // empty = libcurl; set by tests and fuzz targets
  // The usual answer to a JSON-RPC batch (state_getStorage results: hex or null) is read by a
  // scanner without building a JSON tree; any other answer by the general parser, so results and
  // errors are the same either way. false = always the general parser (tests compare the two).
  bool fast_parse = true;
};

// Counters of one endpoint since the client was created.
struct ChainEndpointStats {
  std::string url;
  uint64_t requests = 0;       // HTTP requests sent (a JSON-RPC batch counts once)
  uint64_t failures = 0;       // transport errors and non-2xx statuses (failover reasons)
  uint64_t rpc_errors = 0;     // JSON-RPC error objects received
  uint64_t bad_responses = 0;  // answers that did not parse as expected
  uint32_t consecutive_failures = 0;
  bool backing_off = false;  // skipped until its backoff ends
  // Answers another genesis hash than the pinned one (pinGenesis): never used again.
  bool wrong_chain = false;
  std::string wrong_chain_detail;
  // Errors of every kind above, per JSON-RPC method ("state_getStorage", ...).
  std::map<std::string, uint64_t> errors_by_method;
};

struct ChainClientStats {
  std::vector<ChainEndpointStats> endpoints;
  size_t current = 0;  // index of the endpoint that answered last (0 before any answer)
};

class JsonRpcChainClient : public core::ChainClient {
 public:
  // `endpoints` are HTTP(S) URLs of JSON-RPC servers ("http://127.0.0.1:9933"); at least one.
  explicit JsonRpcChainClient(std::vector<std::string> endpoints, ChainClientOptions options = {});
  ~JsonRpcChainClient() override;

  Result<core::ChainParams> params() override;  // chain_getBlockHash([0]), state_getRuntimeVersion
  Result<core::BlockRef> bestBlock() override;  // chain_getHeader, chain_getBlockHash([number])
  Result<H256> blockHash(uint32_t number) override;
  Result<std::optional<core::ClusterInfo>> clusterInfo(const H256& cluster) override;
  Result<core::QueueState> queue(const H256& cluster) override;
  Result<uint64_t> nextSn(const H256& cluster) override;
  // From the ChainView shared by all clusters: chain_getBlockHash (no number) at most every
  // head_check_ms, and at a new block one headsAt() for every cluster asked for so far.
  Result<core::ChainHead> head(const H256& cluster) override;
  // One JSON-RPC batch at block `at`: chain_getHeader and state_getRuntimeVersion once, then each
  // cluster's Queues entry and pha_clusterMqNextSn. One result per cluster.
  std::vector<Result<core::ChainHead>> headsAt(const H256& at, const std::vector<H256>& clusters);
  // chain_getBlockHash with no number: the best block's hash.
  Result<H256> bestHash();
  // The block ACKs are read at when `best` is the best block (options' ack_depth), never above
  // it: `best` itself; chain_getBlockHash(best - ack_confirmations); or chain_getFinalizedHead
  // (and its chain_getHeader when it is a block not seen before).
  Result<core::BlockRef> settledBlock(const core::BlockRef& best);
  // Clusters the shared view reads at every new block, in its one batch, from the start.
  void watch(const std::vector<H256>& clusters) { view_.watch(clusters); }
  // Served from the view's read-ahead (readAcksAhead) when every sn's ACK is there and in block
  // `at`; else one HTTP request per acks_chunk sns (a JSON-RPC batch of state_getStorage
  // [key, at]).
  Result<std::vector<std::optional<core::AckRecord>>> acks(
      const H256& cluster, const std::vector<uint64_t>& sns,
      const std::optional<H256>& at = std::nullopt) override;
  Result<uint32_t> accountNextIndex(const crypto::AccountId32& account) override;
  Result<std::optional<core::AccountInfo>> account(const crypto::AccountId32& account) override;
  Result<u128> hunterRewards(const crypto::AccountId32& account) override;
  Result<u128> queryFee(const Bytes& extrinsic) override;
  Result<H256> submit(const Bytes& extrinsic) override;

  // Any other method (system_chain, system_health, ...): `params_json` is the JSON text of the
  // params array; returns the JSON text of `result`.
  Result<std::string> rawCall(const std::string& method, const std::string& params_json = "[]");

  // The genesis hash of one endpoint, asked of it alone (chain_getBlockHash([0]), no failover).
  Result<H256> genesisOf(size_t endpoint);
  // From now on an endpoint is used only once its genesis hash has been checked against `g`
  // (again after each of its failures, since a node may come back as another chain). One that
  // answers another hash is dropped for good: its stats say wrong_chain, and a request that
  // finds no endpoint left fails with code "wrong_chain" naming both hashes.
  void pinGenesis(const H256& g);

  const std::vector<std::string>& endpoints() const { return endpoints_; }
  size_t currentEndpoint() const;
  ChainClientStats stats() const;

 private:
  struct Impl;
  friend struct Impl;
  struct EndpointState {
    uint32_t consecutive_failures = 0;
    int64_t retry_at_ms = 0;  // backing off until then
    bool verified = false;    // its genesis matched the pinned one since its last failure
    bool wrong_chain = false;
  };

  std::vector<std::string> endpoints_;
  ChainClientOptions options_;
  std::mutex call_mutex_;  // HttpClient is not thread-safe
  HttpClient http_;
  uint64_t next_id_ = 1;
  mutable std::mutex state_mutex_;  // guards the members below
  std::vector<EndpointState> state_;
  std::vector<ChainEndpointStats> stats_;
  size_t current_ = 0;
  std::optional<H256> genesis_;              // pinned
  std::optional<core::BlockRef> finalized_;  // the last finalized head read (settledBlock)

  // ACKs read ahead with the view's block reads, for acks() to hand over without a request.
  struct AcksAhead {
    std::map<H256, std::map<uint64_t, core::AckRecord>> acks;  // by cluster, by sn
    size_t kept = 0;
    std::map<H256, uint64_t> queue_next;  // each cluster's queue at the view's last block
    std::map<H256, uint32_t> blocks;      // the blocks the view read, by hash: their numbers
  };
  std::mutex ahead_mutex_;  // guards ahead_
  AcksAhead ahead_;
  Result<std::vector<std::optional<core::AckRecord>>> readAcks(
      const std::vector<std::pair<H256, uint64_t>>& keys, const std::optional<H256>& at);
  void readAcksAhead(const core::BlockRef& block, const std::vector<H256>& clusters,
                     const std::vector<Result<core::ChainHead>>& heads);
  std::optional<std::vector<std::optional<core::AckRecord>>> readAhead(
      const H256& cluster, const std::vector<uint64_t>& sns, const std::optional<H256>& at);
  ChainView view_;
};

}  // namespace hunter::adapters
