#pragma once
// The relay's only ways to touch the world. Adapters implement them over HTTP and SQLite; the
// tests implement them with fakes. Every method may fail; none throws.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hunter/core/model.hpp"

namespace hunter::core {

// ---- Clock -----------------------------------------------------------------------------------
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t nowMs() = 0;  // wall clock, ms since the epoch
};

// ---- Workers (docs/protocol.md §3)
// ----------------------------------------------------------------
struct WorkerInfo {
  std::string protocol;
  std::string version;
  crypto::PublicKey public_key{};
  std::vector<H256> clusters;
  uint64_t pending_messages = 0;
  bool stopped = false;
};

struct WorkerMessages {
  std::vector<HashedMessage> messages;  // as claimed by the worker; the relay re-checks them
  uint64_t next_sn = 0;
};

struct SignItem {
  uint64_t sn = 0;
  H256 hash{};
};

struct SignItemResult {
  uint64_t sn = 0;
  std::optional<crypto::Signature> signature;
  std::string code;   // item error code when no signature ("diverged", "unknown_sn", ...)
  std::string error;  // item error message
  std::optional<H256> local_hash;
};

struct SignResponse {
  std::optional<crypto::PublicKey> public_key;
  std::vector<SignItemResult> results;
};

// The workers of one cluster, addressed by index into endpoints().
// Errors: "timeout", "unreachable", "response_too_large", "bad_response" (garbage, wrong
// types, wrong hex), "stopped", "unknown_cluster", "bad_request", "http_<status>".
class WorkerClient {
 public:
  virtual ~WorkerClient() = default;
  virtual const std::vector<std::string>& endpoints() const = 0;
  virtual Result<WorkerInfo> info(size_t worker) = 0;
  virtual Result<WorkerMessages> fetch(size_t worker, const H256& cluster, uint64_t from_sn,
                                       uint32_t limit) = 0;
  // One SignClusterMessages per worker, all at once; results in the order of `workers`. Once
  // `enough` workers have answered, the others get a grace as long as that took, then fail
  // with "timeout": a probe of a slow or trickling worker does not hold up the round.
  virtual std::vector<Result<SignResponse>> signAll(const std::vector<size_t>& workers,
                                                    const H256& cluster,
                                                    const std::vector<SignItem>& items,
                                                    size_t enough = SIZE_MAX) = 0;
  // Duration of the last completed call to `worker`, in ms (0 when unknown).
  virtual double lastLatencyMs(size_t /*worker*/) const { return 0; }
};

// ---- Chain (docs/protocol.md §4)
// ------------------------------------------------------------------
struct BlockRef {
  uint32_t number = 0;
  H256 hash{};
};

// Where ACKs are read (chain.ack_confirmations): at the best block, a number of blocks below
// it, or at the finalized head. Below the best, a reorg cannot take back an outcome once booked.
enum class AckDepth { kBest, kBlocks, kFinalized };

struct ChainHead {
  BlockRef best;
  QueueState queue;
  uint64_t next_sn = 0;  // pha_clusterMqNextSn: counts what waits in the pool
  // The runtime at `best` (spec_version 0: not read with the head).
  uint32_t spec_version = 0;
  uint32_t transaction_version = 0;
  int64_t age_ms = 0;  // how long ago it was read (a view shared by clusters); 0 = just now
  // The block ACKs are read at (AckDepth), at or below `best`; none: `best`.
  std::optional<BlockRef> settled;
};

// JSON-RPC errors come back as Error{code = "<jsonrpc code>" e.g. "1010", message = the error's
// `data` when present (e.g. "Custom error: 6"), else its message}. Transport errors use the
// codes of WorkerClient.
class ChainClient {
 public:
  virtual ~ChainClient() = default;
  virtual Result<ChainParams> params() = 0;  // genesis hash + runtime version
  virtual Result<BlockRef> bestBlock() = 0;
  virtual Result<H256> blockHash(uint32_t number) = 0;
  virtual Result<std::optional<ClusterInfo>> clusterInfo(const H256& cluster) = 0;
  virtual Result<QueueState> queue(const H256& cluster) = 0;
  virtual Result<uint64_t> nextSn(const H256& cluster) = 0;  // pha_clusterMqNextSn
  // What the relay reads at the start of every round: bestBlock(), queue() and nextSn(). A
  // client may read them in fewer requests.
  virtual Result<ChainHead> head(const H256& cluster) {
    ChainHead h;
    HUNTER_TRY(h.best, bestBlock());
    HUNTER_TRY(h.queue, queue(cluster));
    HUNTER_TRY(h.next_sn, nextSn(cluster));
    return h;
  }
  // Acks[cluster][sn] for each sn (null when absent), in order, read at block `at` (the best
  // block when empty). A node that does not know `at` answers an error, never "absent".
  virtual Result<std::vector<std::optional<AckRecord>>> acks(
      const H256& cluster, const std::vector<uint64_t>& sns,
      const std::optional<H256>& at = std::nullopt) = 0;
  virtual Result<uint32_t> accountNextIndex(const crypto::AccountId32& account) = 0;
  virtual Result<std::optional<AccountInfo>> account(const crypto::AccountId32& account) = 0;
  virtual Result<u128> hunterRewards(const crypto::AccountId32& account) = 0;
  virtual Result<u128> queryFee(const Bytes& extrinsic) = 0;  // payment_queryInfo partialFee
  virtual Result<H256> submit(const Bytes& extrinsic) = 0;    // author_submitExtrinsic
};

// ---- Store -------------------------------------------------------------------------------------
// Durable state: the contract of MemoryStore and adapters::SqliteStore, both run through the
// same contract tests (tests/unit/adapters/store_test.cpp). Every method is one atomic
// transaction: after a crash, each call either happened completely or not at all, so a crash in
// the middle of any call leaves the state of before it. Errors: "conflict", "not_found" and
// "bad_value" as stated below; anything the storage itself refuses is "db" (SqliteStore) naming
// the operation. Beyond each method's comment:
// - An empty `states` list in messages() / countMessages() means "any state".
// - Message sns (and so from_sn ranges) are at most INT64_MAX; addMessages refuses larger ones
//   with "bad_value" (SQLite integers are signed 64-bit, and sns order the queue).
// - addMessages is all-or-nothing: on "conflict" (a stored message, final or not, or an earlier
//   message of the same batch, has that sn with another hash) nothing of the batch is written.
// - markSigned only moves messages that are still pending; others (gone, already signed,
//   final) are left alone. The answers are recorded either way.
// - setRetry and recordOutcomes skip sns that are not stored.
// - addSubmission stores status "sending" whatever s.status says, and moves only the non-final
//   messages of first_sn..last_sn (final ones keep their outcome); first_sn > last_sn is
//   "bad_value".
// - updateSubmission / releaseSubmission of an unknown id fail with "not_found".
// - releaseSubmission increments each released message's stored attempts by one and ignores
//   retry.sn and retry.attempts; the messages get submission_id 0.
// - Lists come back in a stable order: answers and outcomes by insertion, submissions by id,
//   workers by (cluster bytes, endpoint).
// A write's result is always checked by the relay (a failure is logged, counted as
// Per-cluster keys of Store::meta, with their sn values as decimal text:
//   audited_below:<cluster>  every sn below it whose ACK names a hunter account is booked
//   audit_from:<cluster>     set when submissions were restored after a lost WAL
//   pruned_below:<cluster>   retention deleted the settled sns below it
std::string auditedBelowKey(const H256& cluster);
std::string auditFromKey(const H256& cluster);
std::string prunedBelowKey(const H256& cluster);
// A meta value as an sn: `fallback` when absent or empty.
uint64_t metaSn(const std::optional<std::string>& value, uint64_t fallback);

// hunter_store_errors_total{op} and shown in the cluster's status).
class Store {
 public:
  virtual ~Store() = default;

  // Messages. addMessages ignores sns already stored (same hash) and fails with "conflict" if a
  // stored non-final message at that sn has another hash.
  virtual Status addMessages(const std::vector<StoredMessage>& msgs) = 0;
  // The highest stored sn of a cluster and its hash.
  virtual Result<std::optional<std::pair<uint64_t, H256>>> tip(const H256& cluster) = 0;
  virtual Result<std::optional<StoredMessage>> message(const H256& cluster, uint64_t sn) = 0;
  // Messages of a cluster in any of `states` with sn >= from_sn, ascending by sn, at most limit.
  virtual Result<std::vector<StoredMessage>> messages(const H256& cluster,
                                                      const std::vector<MsgState>& states,
                                                      uint64_t from_sn, size_t limit) = 0;
  virtual Result<uint64_t> countMessages(const H256& cluster,
                                         const std::vector<MsgState>& states) = 0;
  // As messages(), for callers that need only sns, hashes and bookkeeping: a store may leave
  // out `msg` (sender data, destination, payload) and `signatures`, which saves reading them.
  virtual Result<std::vector<StoredMessage>> messageHeads(const H256& cluster,
                                                          const std::vector<MsgState>& states,
                                                          uint64_t from_sn, size_t limit) {
    return messages(cluster, states, from_sn, limit);
  }
  // Deletes the non-final messages of a cluster with sn >= from_sn (a source that lied).
  virtual Status dropFrom(const H256& cluster, uint64_t from_sn) = 0;

  // pending -> signed, with the quorum; records the per-worker signature answers too.
  struct SignedUpdate {
    uint64_t sn = 0;
    std::vector<crypto::Signature> signatures;
  };
  virtual Status markSigned(const H256& cluster, const std::vector<SignedUpdate>& updates,
                            const std::vector<SignatureRecord>& answers, int64_t now_ms) = 0;
  // Sets attempts / next_attempt / last_error of messages (and their state, e.g. back to
  // pending or signed) in one go.
  struct RetryUpdate {
    uint64_t sn = 0;
    MsgState state = MsgState::kPending;
    uint32_t attempts = 0;
    int64_t next_attempt_ms = 0;
    std::string last_error;
  };
  virtual Status setRetry(const H256& cluster, const std::vector<RetryUpdate>& updates,
                          int64_t now_ms) = 0;
  // Every pending or signed message of the cluster may be retried at once (next_attempt 0):
  // what a restart and `hunter retry` do to a cluster that is backing off.
  virtual Status retryNow(const H256& cluster) = 0;
  virtual Status recordSignatureAnswers(const std::vector<SignatureRecord>& answers) = 0;
  // Divergence evidence for `status`: (sn, hash, worker endpoints that signed or claimed it).
  virtual Result<std::vector<SignatureRecord>> signatureAnswers(const H256& cluster,
                                                                uint64_t sn) = 0;

  // Submissions. addSubmission stores the record (status sending) and moves its messages
  // (first_sn..last_sn) to submitted, returning the new id.
  virtual Result<int64_t> addSubmission(const SubmissionRecord& s) = 0;
  virtual Status updateSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                                  int64_t now_ms) = 0;
  // The submission failed or was lost: status set, its still-submitted messages get `retry`.
  virtual Status releaseSubmission(int64_t id, SubmissionStatus status, const std::string& error,
                                   const RetryUpdate& retry, int64_t now_ms) = 0;
  virtual Result<std::vector<SubmissionRecord>> openSubmissions(const H256& cluster) = 0;
  // As openSubmissions(), but a store may leave out each record's `extrinsic` bytes (read them
  // with submission(id) when they are needed).
  virtual Result<std::vector<SubmissionRecord>> openSubmissionHeads(const H256& cluster) {
    return openSubmissions(cluster);
  }
  virtual Result<std::optional<SubmissionRecord>> submission(int64_t id) = 0;
  // The newest submission declared lost that carried `sn` from `account` (without its bytes):
  // a lost transaction may still have been included, and its fee is then what the chain took.
  virtual Result<std::optional<SubmissionRecord>> lostSubmissionCovering(
      const H256& cluster, uint64_t sn, const crypto::AccountId32& account) = 0;
  // Every submission that carried `sn`, in any status, oldest first, without their bytes (for
  // `hunter explain`; not on a hot path).
  virtual Result<std::vector<SubmissionRecord>> submissionsCovering(const H256& cluster,
                                                                    uint64_t sn) = 0;

  // Final outcomes: sets each message's final state and appends the outcome rows; a rejection
  // outcome only appends (the message is retried through setRetry).
  virtual Status recordOutcomes(const std::vector<OutcomeRecord>& outcomes) = 0;
  virtual Result<std::vector<OutcomeRecord>> outcomes(const std::optional<H256>& cluster) = 0;
  // The outcome rows of one sn, oldest first (for `hunter explain`).
  virtual Result<std::vector<OutcomeRecord>> outcomesOf(const H256& cluster, uint64_t sn) = 0;
  // A settled outcome (accepted, superseded or diverged) that replaces any settled outcome row
  // of that sn, and sets the message's state if it is stored: how the audit books what a later
  // consistent read of the chain says. One transaction.
  virtual Status replaceOutcome(const OutcomeRecord& outcome) = 0;

  // Workers and cluster status (for `workers` and `status`).
  virtual Status upsertWorker(const WorkerRecord& w) = 0;
  virtual Result<std::vector<WorkerRecord>> workers(const std::optional<H256>& cluster) = 0;
  virtual Status setClusterStatus(const ClusterStatusRecord& s) = 0;
  virtual Result<std::optional<ClusterStatusRecord>> clusterStatus(const H256& cluster) = 0;
  // Small facts about the store itself, by key: "genesis_hash" (the chain it belongs to), and
  // per cluster the keys below (auditedBelowKey, ...).
  virtual Result<std::optional<std::string>> meta(const std::string& key) = 0;
  virtual Status setMeta(const std::string& key, const std::string& value) = 0;

  // A round's bookkeeping at its end: worker records and the cluster's status (either may be
  // empty), as one transaction where the store has them. The default writes them one by one.
  virtual Status saveRoundState(const std::vector<WorkerRecord>& workers,
                                const std::optional<ClusterStatusRecord>& status) {
    for (const auto& w : workers) HUNTER_CHECK(upsertWorker(w));
    return status ? setClusterStatus(*status) : okStatus();
  }
};

}  // namespace hunter::core
