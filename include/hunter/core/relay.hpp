#pragma once
// The relay state machine for one cluster (docs/architecture.md, "One message through the code"):
//   chain snapshot -> fetch + verify hash chain -> gather signatures from `threshold` workers
//   (the others only for what lacks a quorum), meanwhile resolve ACKs and check open
//   submissions (a round of one chunk reads the ACKs after submitting) -> verify the quorum ->
//   build, sign, submit -> ...
// It touches the world only through the ports (WorkerClient, ChainClient, Store, Clock), and
// every state change goes through one Store call, so a crash between any two calls loses
// nothing and submits nothing twice: a submission is stored (with its exact bytes) before it
// is sent, and a stored one is re-sent byte for byte, which the chain answers as already
// imported or outdated, never as a second inclusion.
//
// One thread at a time drives a relay; the relays of different clusters may run on different
// threads at once (the service's RoundScheduler), sharing the AccountPool (thread-safe: one
// nonce sequence per account) and the ChainClient, Store, Clock and EventSink, which must then
// be thread-safe. Inside round(), WorkerClient::signAll and lastLatencyMs may be called from
// other threads (one signAll at a time, while the calling thread may fetch; endpoints() is read
// meanwhile) and signatures are recovered on verify_threads threads per chunk.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hunter/core/backlog_gate.hpp"
#include "hunter/core/chain_answer.hpp"
#include "hunter/core/ports.hpp"
#include "hunter/core/vote_count.hpp"

namespace hunter::core {

struct RelayConfig {
  H256 cluster{};
  std::string name;             // alias or hex, for messages
  uint32_t fetch_limit = 1024;  // messages per GetClusterMessages (fewer when they are large)
  size_t max_response_bytes = 16u << 20;  // the workers' answers may not exceed this
  size_t max_extrinsic_bytes = 1u << 20;  // messages per extrinsic stop short of this
  size_t max_pending = 8192;              // non-final messages held ahead of the chain
  size_t sign_batch = 4096;               // items per SignClusterMessages
  size_t verify_threads = 2;  // threads that recover the workers' signatures (1 = this one)
  size_t sign_chunk = 512;    // a larger backlog is signed and submitted in pipelined chunks
  // Only threshold workers are asked to sign, the others when that was not enough, and every
  // worker at most this often (0 = never), so that a worker that failed is noticed again.
  int64_t probe_interval_ms = 5'000;
  size_t batch_size = 64;     // messages per extrinsic
  size_t max_in_flight = 16;  // extrinsics of this cluster in the pool at once
  uint64_t era_period = 64;
  u128 tip = 0;
  int64_t backoff_base_ms = 500;
  int64_t backoff_max_ms = 60'000;
  int64_t max_message_age_ms = 6 * 3600 * 1000;  // then `dead`
  int64_t lost_after_ms = 30'000;  // a head submission not ready in the pool this long: lost
  int64_t cluster_info_refresh_ms = 60'000;
  // A head that has not moved this long while the workers are ahead (or no worker answered this
  // long) makes the cluster `stuck` and unhealthy (limits.stuck_after_s).
  int64_t stuck_after_ms = 30'000;
  // Workers not heard from in this long are asked GetClusterInfo for their pending messages, so
  // the backlog is known from every worker, not only from the one fetched from.
  int64_t worker_info_refresh_ms = 10'000;
  uint64_t max_submit = UINT64_MAX;  // stop submitting after this many messages (`submit --max`)
  uint64_t submit_below_sn = UINT64_MAX;  // never submit sns at or above this (`submit`)
  // Fee policy (docs/operations.md "Fees"). A batch whose reward_per_message − fee ÷ messages is
  // below min_profit is not sent (unset: no rule); a batch not yet full waits until its oldest
  // message is max_batch_delay_ms old; an account whose free balance is below min_balance is not
  // used for new transactions (0: no floor).
  std::optional<i128> min_profit;
  int64_t max_batch_delay_ms = 0;
  u128 min_balance = 0;
};

// The hunter's accounts, used evenly (round robin), each with its own nonce sequence. The nonce
// advances only when the chain took a transaction and is re-read from the chain after
// "outdated" or "priority too low": the next nonce is then the chain's (system_accountNextIndex,
// which counts only the pool's ready transactions) or one past the highest nonce this process
// holds in open submissions, whichever is higher, so that a transaction of ours waiting in the
// pool is never offered its own nonce again. Shared by every relay of the process, on any
// thread: thread-safe.
class AccountPool {
 public:
  explicit AccountPool(std::vector<crypto::SecretKey> keys);
  size_t size() const { return accounts_.size(); }
  bool isOurs(const crypto::AccountId32& a) const;
  const std::vector<crypto::AccountId32>& ids() const { return ids_; }

  struct Account {
    crypto::SecretKey key;
    crypto::AccountId32 id;
  };
  Account& next();  // round robin
  Account* find(const crypto::AccountId32& id);
  // The nonce to use next, unknown until read from the chain (or after invalidate).
  std::optional<uint32_t> nextNonce(const crypto::AccountId32& id) const;
  void setNextNonce(const crypto::AccountId32& id, uint32_t nonce);
  void invalidate(const crypto::AccountId32& id);  // re-read the nonce before the next use
  void invalidateAll();
  // Nonces of open submissions: held while the submission may still be included.
  void hold(const crypto::AccountId32& id, uint32_t nonce);
  void unhold(const crypto::AccountId32& id, uint32_t nonce);
  // The next nonce to use once the chain says `chain_next`: past every held one.
  uint32_t nextAfter(const crypto::AccountId32& id, uint32_t chain_next) const;
  bool isHeld(const crypto::AccountId32& id, uint32_t nonce) const;
  // The account's free balance as last read from the chain (the service reads it every 10 s).
  void setFree(const crypto::AccountId32& id, u128 free);
  std::optional<u128> free(const crypto::AccountId32& id) const;
  // Held by a relay from choosing an account and nonce until the transaction on it was sent or
  // refused, so that relays on several threads use each account's nonces as one sequence and
  // never sign two transactions on one nonce by mistake.
  std::unique_lock<std::mutex> sequence() { return std::unique_lock(sequence_mu_); }

 private:
  std::vector<Account> accounts_;  // fixed at construction: references to them stay valid
  std::vector<crypto::AccountId32> ids_;
  std::mutex sequence_mu_;
  mutable std::mutex mu_;  // guards the members below; every method takes it
  std::map<crypto::AccountId32, std::set<uint32_t>> held_;
  std::map<crypto::AccountId32, uint32_t> next_nonce_;
  std::map<crypto::AccountId32, u128> free_;
  size_t cursor_ = 0;
};

// What the relay tells the outside world (the app logs these; tests inspect them).
struct RelayEvent {
  enum class Kind { kSubmitted, kOutcome, kWorker, kStuck, kChain, kInfo, kStore };
  Kind kind = Kind::kInfo;
  std::string level = "info";  // "info", "warn", "error"
  std::string text;            // one human line, no secrets
  // For kSubmitted / kOutcome:
  uint64_t first_sn = 0, last_sn = 0;
  H256 tx_hash{};
  uint32_t nonce = 0;
  std::string outcome;  // accepted / superseded / diverged / rejected / dead
  size_t count = 0;     // kOutcome: messages with this outcome (sns need not be contiguous)
  // kOutcome "rejected": the chain's short reason, from a small fixed set (the 1010 data
  // string such as "Custom error: 6", or the JSON-RPC error code), for metrics labels.
  // kStore: the Store operation that failed ("addSubmission", ...).
  std::string reason;
};
using EventSink = std::function<void(const RelayEvent&)>;

struct RoundStats {
  size_t fetched = 0;
  size_t signed_now = 0;
  size_t submitted_msgs = 0;
  size_t submitted_txs = 0;
  size_t accepted = 0;
  size_t superseded = 0;
  size_t diverged = 0;
  size_t rejected = 0;
  size_t dead = 0;
  size_t lost = 0;
  bool chain_unreachable = false;
  bool workers_unreachable = false;  // no worker answered GetClusterMessages
  bool stuck = false;
  bool progressed() const {
    return fetched + signed_now + submitted_msgs + accepted + superseded + diverged + dead > 0;
  }
};

// What the workers answered to SignClusterMessages since the last Relay::takeWorkerStats().
struct WorkerSignStats {
  std::string worker;                        // the worker's name (its endpoint)
  uint64_t sign_requests = 0;                // SignClusterMessages calls sent to it
  uint64_t valid = 0;                        // valid signatures from a registered worker key
  uint64_t invalid = 0;                      // signatures that do not recover to a registered key
  std::map<std::string, uint64_t> refusals;  // refused items per code ("unknown_sn", ...)
  std::vector<double> latencies_ms;          // the latency of each answered call
};

class Relay {
 public:
  Relay(RelayConfig config, WorkerClient& workers, ChainClient& chain, Store& store, Clock& clock,
        AccountPool& accounts, EventSink sink, uint64_t seed = 0);

  // Handshake every worker (GetClusterInfo: protocol and major version), read the chain's
  // parameters and the cluster's registration. Workers that fail are excluded until the next
  // handshake (retried every round with backoff). Error only when the chain is unreachable or
  // the cluster is not registered.
  Status start();
  // One pass of the pipeline. Never throws; every failure becomes an event and a stat.
  RoundStats round();

  // The bound on concurrent backlogs this relay shares with the other clusters' (BacklogGate);
  // it must outlive the relay.
  void shareBacklogGate(BacklogGate& gate) { backlogs_ = &gate; }
  // Messages this relay has submitted (for `submit`: what to wait for).
  uint64_t submittedMessages() const { return submitted_total_; }
  void setMaxSubmit(uint64_t max) { cfg_.max_submit = max; }
  void setSubmitBelow(uint64_t sn) { cfg_.submit_below_sn = sn; }
  const std::optional<ClusterInfo>& clusterInfo() const { return info_; }
  // The runtime versions and genesis it signs with (read at start and after a rejection that
  // points at them).
  const std::optional<ChainParams>& chainParams() const { return params_; }
  // The workers' next sn as far as they agree: the second highest of their latest claims (the
  // only one when one worker answers), never below the chain's; one lying worker cannot move
  // it (docs/operations.md, "Health").
  uint64_t workerNextSn() const;
  // Why the head is not moving, as of the last round (kMoving when it is), the state it puts
  // the cluster in and the
  // detail, as `status` shows them.
  WaitReason reason() const { return reason_; }
  ClusterState state() const { return state_; }
  const std::string& statusDetail() const { return status_detail_; }
  // The head has not moved for stuck_after while the workers are ahead, no worker has answered
  // for that long, or the head is dead: the cluster needs an operator (unhealthy).
  bool stalled(int64_t now) const;
  // Since when the head has not moved while the workers were ahead (0 = it is moving or idle).
  int64_t stalledSinceMs() const;
  // The head message has not gone through for max_message_age: since when (0 = it is not dead).
  int64_t headDeadSinceMs() const { return head_dead_since_ms_; }
  uint64_t chainNextSn() const { return chain_next_; }
  // Why the last round could not make progress (empty when it was not stuck).
  const std::string& stuckDetail() const {
    return head_dead_since_ms_ != 0 ? dead_detail_ : stuck_detail_;
  }
  // The worker answers gathered since the previous call (one entry per worker that was asked),
  // and resets them.
  std::vector<WorkerSignStats> takeWorkerStats();

 private:
  struct WorkerState {
    bool handshaken = false;
    bool excluded = false;  // incompatible protocol
    bool sign_ok = true;    // its last SignClusterMessages answer was complete and valid
    int64_t retry_at_ms = 0;
    bool dirty = false;           // rec changed since the last saveRoundState
    uint64_t next_sn = 0;         // what it last said its next sn is
    int64_t heard_ms = 0;         // when it last answered GetClusterMessages or GetClusterInfo
    int64_t behind_until_ms = 0;  // answered empty while others were ahead: not a source till then
    WorkerRecord rec;
  };
  // A released submission's (account, nonce), kept for the run that starts at its first sn: a
  // transaction of that account with a higher nonce may wait in the pool for exactly this nonce,
  // and one of this cluster with higher sns for these sns, so they go back on the same slot.
  struct Slot {
    crypto::AccountId32 account{};
    uint32_t nonce = 0;
  };

  // The stages of round(), in order.
  bool viewChain(RoundStats& st, int64_t now);
  void greetWorkers(int64_t now);
  bool fetchAndSign(RoundStats& st, int64_t now);  // true: the ACKs wait until after submit
  void reportState(RoundStats& st, int64_t now);
  Status refreshChain(int64_t now);
  void followRuntime(const ChainHead& head, int64_t now);
  void adoptRuntime(uint32_t spec, uint32_t tx, uint32_t block, int64_t now);
  bool signedForOldRuntime(const SubmissionRecord& sub) const;
  BlockRef eraAnchor();
  bool eraEnded(const SubmissionRecord& sub, Store::RetryUpdate& retry);
  enum class BadSignature { kChainNotAsked, kNodeBehind, kRuntimeUpgraded, kKeyOrChainMismatch };
  BadSignature whyBadSignature(AccountPool::Account& acc, Store::RetryUpdate& retry, int64_t now);
  bool reactToRefusal(const ChainAnswer& answer, AccountPool::Account& acc, const std::string& data,
                      Store::RetryUpdate& retry, int64_t now);
  void handshake(int64_t now);
  void resolveAcks(RoundStats& st, int64_t now);
  void checkSubmissions(RoundStats& st, int64_t now);
  bool acksCanWait();
  void fetch(RoundStats& st, int64_t now, bool holds_place);
  // The pending messages due to be signed, from the chain's next sn (at most sign_batch).
  std::vector<StoredMessage> toSign(int64_t now);
  // Signs `ask` (from toSign); runs `meanwhile` on this thread while the first workers' answers
  // are awaited, if there is more than one chunk to sign (only then: a round of one chunk
  // submits first, see round()).
  void gather(RoundStats& st, int64_t now, std::vector<StoredMessage> ask,
              const std::function<void()>& meanwhile = {});
  void submit(RoundStats& st, int64_t now);
  // Fee policy: true (and the head's reason set) when `run` is held back.
  bool holdForBatch(const std::vector<StoredMessage>& run, bool full, int64_t now);
  bool holdUnprofitable(const std::vector<StoredMessage>& run, bool full,
                        const std::optional<u128>& fee);
  // The next account (round robin) whose free balance is not below min_balance; else nullptr,
  // with the head held (balance_floor).
  AccountPool::Account* accountAboveFloor();
  void holdHead(WaitReason why, std::string detail);
  void expire(RoundStats& st, int64_t now);
  struct RecoverJob {
    const crypto::Signature* signature = nullptr;
    const H256* hash = nullptr;
    std::optional<crypto::PublicKey> signer;  // empty when recovery failed
  };
  void recoverAll(std::vector<RecoverJob>& jobs) const;
  std::vector<size_t> signOrder() const;
  // The stages of gather(), one chunk of messages at a time.
  struct SignTargets {
    std::vector<size_t> order;    // every worker not excluded, best first (signOrder)
    std::vector<size_t> primary;  // the first `threshold` of them: asked for every chunk
    std::vector<size_t> first;    // the first chunk's: primary, or all of them when probing
  };
  SignTargets signTargets(int64_t now);
  struct SignedChunk {  // one SignClusterMessages per target, the signatures recovered
    std::vector<Result<SignResponse>> responses;
    std::vector<RecoverJob> jobs;    // in answer order; only `signer` is used afterwards
    std::vector<double> latency_ms;  // per target, read right after the call
  };
  SignedChunk signChunk(const std::vector<size_t>& targets, const std::vector<SignItem>& items);
  void recoverChunk(const std::vector<size_t>& targets, const VoteCount& votes,
                    SignedChunk& chunk) const;
  void tallyChunk(VoteCount& votes, const std::vector<size_t>& targets,
                  const std::vector<size_t>& which, const SignedChunk& chunk,
                  std::vector<SignatureRecord>& audit, int64_t now);
  void tallyFailure(VoteCount& votes, size_t w, const std::vector<size_t>& which, const Error& e);
  void tallyAnswer(VoteCount& votes, size_t w, const std::vector<size_t>& which,
                   const SignResponse& answer, const std::vector<RecoverJob>& jobs, size_t& job,
                   double latency_ms, std::vector<SignatureRecord>& audit, int64_t now);
  // Signed, retried later, or (false) the sign that our source diverged.
  bool settleChunk(const VoteCount& votes, const std::vector<size_t>& which,
                   const std::vector<StoredMessage>& ask, std::vector<SignatureRecord>& audit,
                   RoundStats& st, int64_t now);
  void sourceDiverged(uint64_t sn, const std::string& to);
  bool resend(SubmissionRecord& sub, int64_t now);
  // What a re-sent submission's answer means; false when the chain could not be reached.
  bool afterResend(const SubmissionRecord& sub, const Result<H256>& answer, int64_t now);
  // Sends the bytes of open submissions the pool does not show as ready again, once a block.
  bool rebroadcast(const SubmissionRecord& head, int64_t now);
  void release(const SubmissionRecord& sub, SubmissionStatus status, const std::string& why,
               int64_t next_attempt_ms, int64_t now);
  bool slotStillNeeded(const SubmissionRecord& sub);
  bool ackPruned(const StoredMessage& m);
  bool nonceUsed(const crypto::AccountId32& account, uint32_t nonce,
                 std::map<crypto::AccountId32, std::optional<uint32_t>>& cache);
  enum class FetchResult { kDone, kTryAnother, kUnreachable };
  FetchResult fetchFrom(size_t w, uint64_t from, std::optional<H256> prev, uint32_t limit,
                        RoundStats& st, int64_t now);
  uint64_t othersNextSn(size_t w) const;
  // Asks GetClusterInfo of workers not heard from within worker_info_refresh_ms.
  void refreshWorkerClaims(int64_t now);
  // Why the head waits when no step of the round named a reason (submitted, backing off, ...).
  WaitReason headReason(int64_t now, std::string& detail);
  // Sets the round's stuck reason and detail unless one is set already (`first`), or always.
  void stuckBecause(WaitReason r, std::string detail, bool first = true);
  // The fee of an included submission: stored, or asked again (nullopt: not known yet).
  std::optional<u128> feeOf(const SubmissionRecord& sub, int64_t now);
  void reportDead(const std::vector<StoredMessage>& dead, int64_t now);
  void auditBooks(int64_t now);
  bool auditRange(uint64_t from, uint64_t to, bool missing_too, int64_t now);
  void saveAuditMark(int64_t now);
  void handleSubmitError(const SubmissionRecord& sub, AccountPool::Account& acc, const Error& err,
                         RoundStats& st, int64_t now);
  Result<uint32_t> nonceFor(AccountPool::Account& acc);
  std::optional<u128> queryFee(const Bytes& xt, size_t messages, int64_t now);
  int64_t backoff(uint32_t attempts);
  void emit(RelayEvent::Kind kind, const std::string& level, const std::string& text);
  void storeFailed(const Error& e);
  bool checked(const char* op, const Status& st);
  // Worker records and the status are written once, at the end of the round (flushRoundState):
  // markWorkerDirty only marks a worker's record for that write; an unchanged status is written
  // at most once a second.
  void markWorkerDirty(size_t i);
  void setStatus(ClusterState state, WaitReason reason, const std::string& detail, int64_t now);
  void flushRoundState();
  void announceState(int64_t now);
  std::string workerName(size_t i) const;

  RelayConfig cfg_;
  WorkerClient& workers_;
  ChainClient& chain_;
  Store& store_;
  Clock& clock_;
  AccountPool& accounts_;
  BacklogGate* backlogs_ = nullptr;  // shared by the clusters (shareBacklogGate); none: no bound
  EventSink sink_;
  std::mt19937_64 rng_;

  std::optional<ChainParams> params_;
  std::optional<ClusterInfo> info_;
  int64_t info_at_ms_ = 0;
  BlockRef best_;
  QueueState queue_;
  uint64_t chain_next_ = 0;       // pool-aware
  int64_t head_moved_ms_ = 0;     // last round the head sn moved, or the workers were not ahead
  uint64_t head_seen_sn_ = 0;     // the head sn at head_moved_ms_
  int64_t workers_heard_ms_ = 0;  // last answer of any worker (0 = none yet)
  int64_t first_round_ms_ = 0;
  // Every stored message below this sn has its outcome (resolveAcks reads only from here on).
  uint64_t acked_below_ = 0;
  int64_t next_expire_ms_ = 0;  // expire() scans at most this often
  int64_t next_probe_ms_ = 0;   // gather() asks every worker from then on (once)
  // payment_queryInfo answers by (extrinsic length, messages), reused for kFeeCacheMs.
  std::map<std::pair<size_t, size_t>, std::pair<u128, int64_t>> fee_cache_;
  std::vector<WorkerState> wstate_;
  size_t source_ = 0;                           // preferred worker to fetch from
  std::map<uint64_t, Slot> refill_;             // by the released run's first sn
  std::map<int64_t, uint32_t> rebroadcast_at_;  // submission id -> block it was last re-sent at
  int64_t chain_read_ms_ = 0;         // when the head this round uses was read (a view: older)
  BlockRef settled_;                  // where ACKs are read (ChainHead::settled): best_ or below
  std::optional<H256> acks_read_at_;  // below best_: the settled block the ACKs were last read at
  BlockRef anchor_;                   // the block new extrinsics' eras start at (see eraAnchor)
  int64_t anchor_read_ms_ = 0;        // when anchor_ was read
  int64_t runtime_changed_ms_ = 0;    // when this relay last saw the runtime version change
  std::string runtime_change_;        // "spec 1000 -> 1001, tx 1 -> 2 at block 57"
  // A bad signature with the chain's own runtime: why; kept until something goes through.
  std::string
      signature_refused_;  // when the head this round uses was read (a shared view is older)
  uint64_t dead_reported_below_ = 0;  // dead reports were made for the sns below this
  uint64_t dead_head_sn_ = 0;
  int64_t head_dead_since_ms_ = 0;
  std::string dead_detail_;
  int64_t dead_reminder_ms_ = 0;
  // The largest answer per message seen in the last fetch (hex and JSON included): fetches ask
  // for as many as fit in max_response_bytes. `fetch_cap_` halves after "response too large".
  size_t msg_answer_bytes_ = 0;
  uint32_t fetch_cap_ = UINT32_MAX;
  uint64_t ack_wait_reported_ = UINT64_MAX;
  std::map<int64_t, u128> fee_by_sub_;  // fees asked again for submissions stored without one
  uint64_t audited_mark_ = 0;           // the audited_below watermark last stored
  int64_t next_mark_ms_ = 0;
  uint64_t submitted_total_ = 0;
  std::string stuck_detail_;
  WaitReason reason_ = WaitReason::kMoving;
  // Set by the fee policy when it holds the next run back this round (headReason reports it).
  std::optional<WaitReason> held_reason_;
  std::string held_detail_;
  ClusterState state_ = ClusterState::kOk;
  // The last explicit cause of `stuck`, kept while the head stays where it was.
  uint64_t stuck_at_sn_ = 0;
  WaitReason stuck_because_ = WaitReason::kMoving;
  std::string stuck_why_;
  ClusterState announced_state_ = ClusterState::kOk;
  int64_t remind_at_ms_ = 0;
  std::string status_detail_;
  std::optional<ClusterStatusRecord> status_to_save_;
  std::optional<ClusterStatusRecord> status_saved_;
  std::map<std::string, WorkerSignStats> sign_stats_;
};

}  // namespace hunter::core
