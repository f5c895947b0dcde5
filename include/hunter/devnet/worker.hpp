#pragma once
// The devnet's pRuntime worker simulators (docs/protocol.md §3): pure logic, no I/O, no clock.
//
// A DevCluster owns one cluster's honest message stream and its M workers. The stream is
// deterministic from (seed, cluster id, sn), so every run with the same config produces the same
// messages, and it is generated once per cluster and shared by the honest workers. A worker with
// a `diverge_from = K` fault forks from sn K: its messages from K on have another payload (and so
// other hashes, prev_hashes and state roots). Messages are kept from the oldest sn the chain has
// not acknowledged up to `produced`; onAck() purges the acknowledged ones, so memory is bounded by
// the un-acked backlog (and production pauses at `max_pending` held messages).
//
// Worker keys are derived from (seed, cluster id, index), so the genesis built from a config and
// the workers started from it agree (genesis().workers == the workers' public keys, in order).
//
// Thread safety: every public method of DevCluster and DevWorker may be called from any thread;
// one mutex per cluster guards the state, and signing runs outside it.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hunter/core/message.hpp"
#include "hunter/core/storage.hpp"

namespace hunter::devnet {

inline constexpr const char* kProtocolName = "phala-cluster-mq";
inline constexpr const char* kProtocolVersion = "1.0.0";
inline constexpr uint64_t kDefaultLimit = 256;
inline constexpr uint64_t kMaxLimit = 4096;
inline constexpr size_t kMaxSignItems = 4096;

struct StreamSpec {
  H256 cluster{};
  std::string seed;                                 // payloads, state roots and worker keys
  size_t payload_size = 256;                        // at most core::kMaxPayload
  std::string destination = "phala/cluster/event";  // a valid topic
  uint64_t max_pending = 100'000;                   // production pauses at this many held messages
};

// One message as a worker holds it, with its hash.
struct StreamEntry {
  core::ClusterMessage msg;
  H256 hash{};
};
using EntryPtr = std::shared_ptr<const StreamEntry>;

// A hash-chained run of messages from `start_sn` on, generated on demand. Not thread-safe
// (DevCluster guards it). `salt` distinguishes a diverged fork's payloads from the honest ones.
class MessageStream {
 public:
  // The honest stream of a cluster: sn 0, prev_hash zero, state root genesisStateRoot(spec).
  explicit MessageStream(StreamSpec spec);
  // A stream whose first message is `start_sn`, linked to (prev_hash, prev_state_root).
  MessageStream(StreamSpec spec, uint64_t start_sn, const H256& prev_hash,
                const H256& prev_state_root, Bytes salt);

  // Generates messages until `produced() == n` or max_pending messages are held. Returns how
  // many were generated.
  uint64_t produceUpTo(uint64_t n);
  // The sn the next message will have (= how many the cluster has produced).
  uint64_t produced() const { return next_sn_; }
  // The oldest sn still held (== produced() when nothing is held).
  uint64_t oldest() const { return base_sn_; }
  uint64_t held() const { return entries_.size(); }
  // The message at sn, if held.
  EntryPtr get(uint64_t sn) const;
  // Held messages with sn >= from (starting at oldest() if from is older), at most limit.
  std::vector<EntryPtr> range(uint64_t from, uint64_t limit) const;
  // Drops every held message with sn <= sn.
  void purgeThrough(uint64_t sn);
  // Hash and state root of the message before `sn`, for sn in [oldest(), produced()]: the held
  // message sn - 1, or the last purged one.
  std::pair<H256, H256> linkBefore(uint64_t sn) const;

  static H256 genesisStateRoot(const StreamSpec& spec);

 private:
  StreamEntry generate(uint64_t sn) const;

  StreamSpec spec_;
  Bytes salt_;
  Bytes destination_;
  std::deque<EntryPtr> entries_;  // entries_[i] is sn base_sn_ + i
  uint64_t base_sn_ = 0;
  uint64_t next_sn_ = 0;
  H256 base_prev_hash_{};  // hash of sn base_sn_ - 1
  H256 base_prev_root_{};  // state root after sn base_sn_ - 1
  H256 last_hash_{};       // hash of sn next_sn_ - 1
  H256 last_root_{};
};

// Per-worker faults, changeable while running.
struct WorkerFaults {
  bool offline = false;                  // the process wiring stops this worker's HTTP server
  uint32_t slow_ms = 0;                  // added latency before every answer
  double flaky_rate = 0.0;               // share of requests answered HTTP 500 {"code": "internal"}
  bool garbage = false;                  // answers HTTP 200 with a body that is not JSON
  bool bad_signatures = false;           // signs another hash (recovers to a non-worker key)
  std::optional<uint64_t> diverge_from;  // its messages differ from this sn on
  // GetClusterMessages answers no messages and next_sn = from_sn, as a re-syncing worker does
  bool empty_messages = false;

  bool operator==(const WorkerFaults&) const = default;
  nlohmann::json toJson() const;
};

// What the HTTP wiring sends: wait `delay`, then answer `status` with `body`.
struct WorkerReply {
  int status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};
};

class DevCluster;

// One simulated pRuntime. Obtained from DevCluster::worker(); lives as long as its cluster.
class DevWorker {
 public:
  size_t index() const { return index_; }
  const crypto::PublicKey& publicKey() const { return public_key_; }

  // Serves `method` ("GetClusterInfo", "GetClusterMessages", "SignClusterMessages") with a JSON
  // request body, exactly as docs/protocol.md §3 says, with the worker's faults applied (except
  // `offline`, which the wiring handles). Never throws.
  WorkerReply handle(std::string_view method, std::string_view body);
  // Serves a path "/prpc/PhactoryAPI.<Method>"; any other path is 404 not_found.
  WorkerReply handlePath(std::string_view path, std::string_view body);

  void setFaults(const WorkerFaults& faults);
  WorkerFaults faults() const;
  bool stopped() const;
  // The hash of this worker's own message at sn, if it holds it.
  std::optional<H256> hashAt(uint64_t sn) const;

  // Signature over an sn's message hash as this worker gives it (for tests and tools).
  crypto::Signature signHash(const H256& hash) const;

 private:
  friend class DevCluster;
  DevWorker(DevCluster& cluster, size_t index, crypto::SecretKey key);

  WorkerReply info();
  WorkerReply messages(const nlohmann::json& req);
  WorkerReply sign(const nlohmann::json& req);
  // Requires the cluster mutex.
  EntryPtr entryLocked(uint64_t sn) const;
  void ensureForkLocked();

  DevCluster& cluster_;
  size_t index_;
  crypto::SecretKey key_;
  crypto::PublicKey public_key_;
  // Guarded by the cluster mutex.
  WorkerFaults faults_;
  bool stopped_ = false;
  uint64_t rng_state_;
  std::unique_ptr<MessageStream> fork_;  // this worker's own messages from fork_start_ on
  uint64_t fork_start_ = 0;
};

class DevCluster {
 public:
  DevCluster(StreamSpec spec, size_t worker_count);
  DevCluster(const DevCluster&) = delete;
  DevCluster& operator=(const DevCluster&) = delete;

  const H256& id() const { return spec_.cluster; }
  const StreamSpec& spec() const { return spec_; }
  size_t workerCount() const { return workers_.size(); }
  DevWorker& worker(size_t i) { return *workers_.at(i); }
  std::vector<crypto::PublicKey> workerKeys() const;

  // Advances production: generates messages until produced() == n (bounded by max_pending).
  void produceUpTo(uint64_t n);
  uint64_t produced() const;
  // Oldest sn still held by the honest stream (= first un-acked sn as far as workers know).
  uint64_t oldestHeld() const;
  // The honest message at sn, if held.
  EntryPtr honest(uint64_t sn) const;

  // The chain included a message of this cluster at sn: each worker whose own message at sn has
  // another hash stops itself; then every held message with sn' <= sn is purged.
  void onAck(uint64_t sn, const core::AckRecord& ack);

  // {"id", "produced", "held_from", "workers": [{"index", "public_key", "stopped", "faults"}]}
  nlohmann::json stateJson() const;

  // Deterministic worker secret key for (seed, cluster, index).
  static crypto::SecretKey workerKey(const std::string& seed, const H256& cluster, size_t index);

 private:
  friend class DevWorker;
  StreamSpec spec_;
  mutable std::mutex mu_;
  MessageStream stream_;  // guarded by mu_
  std::vector<std::unique_ptr<DevWorker>> workers_;
};

}  // namespace hunter::devnet
