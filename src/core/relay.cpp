#include "hunter/core/relay.hpp"

#include <algorithm>
#include <deque>
#include <future>
#include <sstream>
#include <system_error>

#include "hunter/core/chain_answer.hpp"
#include "hunter/core/sign_ahead.hpp"
#include "hunter/core/worker_answer.hpp"
#include "hunter/crypto/ss58.hpp"
#include "hunter/util/parallel.hpp"

namespace hunter::core {
namespace {

std::string shortHex(const H256& h) { return toHex(h).substr(0, 18) + "…"; }

// Bytes of a message beside its payload and destination, in an answer or an extrinsic: sn,
// hashes, state root and field names, with room to spare.
constexpr size_t kMessageOverhead = 256;

// The chain keeps Acks[cluster][sn] at least this many blocks (docs/protocol.md §4.6).
constexpr uint64_t kAckKeptBlocks = 14'400;

// One message's share of its extrinsic's fee: split evenly, the remainder on the first sn.
u128 feeShare(const SubmissionRecord& s, u128 fee, uint64_t sn) {
  uint64_t n = s.last_sn - s.first_sn + 1;
  u128 share = fee / n;
  return sn == s.first_sn ? share + (fee - share * n) : share;
}

std::string snRange(uint64_t a, uint64_t b) {
  return a == b ? "sn " + std::to_string(a) : "sns " + std::to_string(a) + "-" + std::to_string(b);
}

// The chain took the bytes (or holds them already).
bool taken(const Result<H256>& r) {
  return r.ok() || classify(r.error()).kind == Rejection::kAlreadyImported;
}

}  // namespace

// ---- AccountPool -----------------------------------------------------------------------------

AccountPool::AccountPool(std::vector<crypto::SecretKey> keys) {
  for (auto& k : keys) {
    auto id = crypto::accountId(k.publicKey());
    accounts_.push_back(Account{k, id});
    ids_.push_back(id);
  }
}

bool AccountPool::isOurs(const crypto::AccountId32& a) const {
  return std::find(ids_.begin(), ids_.end(), a) != ids_.end();
}

AccountPool::Account& AccountPool::next() {
  std::lock_guard lock(mu_);
  Account& a = accounts_[cursor_ % accounts_.size()];
  cursor_ = (cursor_ + 1) % accounts_.size();
  return a;
}

AccountPool::Account* AccountPool::find(const crypto::AccountId32& id) {
  for (auto& a : accounts_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

std::optional<uint32_t> AccountPool::nextNonce(const crypto::AccountId32& id) const {
  std::lock_guard lock(mu_);
  auto it = next_nonce_.find(id);
  if (it == next_nonce_.end()) return std::nullopt;
  return it->second;
}

void AccountPool::setNextNonce(const crypto::AccountId32& id, uint32_t nonce) {
  std::lock_guard lock(mu_);
  next_nonce_[id] = nonce;
}

void AccountPool::invalidate(const crypto::AccountId32& id) {
  std::lock_guard lock(mu_);
  next_nonce_.erase(id);
}

void AccountPool::invalidateAll() {
  std::lock_guard lock(mu_);
  next_nonce_.clear();
}

void AccountPool::hold(const crypto::AccountId32& id, uint32_t nonce) {
  std::lock_guard lock(mu_);
  held_[id].insert(nonce);
}

void AccountPool::unhold(const crypto::AccountId32& id, uint32_t nonce) {
  std::lock_guard lock(mu_);
  if (auto it = held_.find(id); it != held_.end()) it->second.erase(nonce);
}

bool AccountPool::isHeld(const crypto::AccountId32& id, uint32_t nonce) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(id);
  return it != held_.end() && it->second.count(nonce) > 0;
}

void AccountPool::setFree(const crypto::AccountId32& id, u128 free) {
  std::lock_guard lock(mu_);
  free_[id] = free;
}

std::optional<u128> AccountPool::free(const crypto::AccountId32& id) const {
  std::lock_guard lock(mu_);
  auto it = free_.find(id);
  if (it == free_.end()) return std::nullopt;
  return it->second;
}

uint32_t AccountPool::nextAfter(const crypto::AccountId32& id, uint32_t chain_next) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(id);
  if (it == held_.end() || it->second.empty()) return chain_next;
  return std::max(chain_next, *it->second.rbegin() + 1);
}

// ---- Relay -----------------------------------------------------------------------------------

Relay::Relay(RelayConfig config, WorkerClient& workers, ChainClient& chain, Store& store,
             Clock& clock, AccountPool& accounts, EventSink sink, uint64_t seed)
    : cfg_(std::move(config)),
      workers_(workers),
      chain_(chain),
      store_(store),
      clock_(clock),
      accounts_(accounts),
      sink_(std::move(sink)),
      rng_(seed) {
  wstate_.resize(workers_.endpoints().size());
  for (size_t i = 0; i < wstate_.size(); ++i) {
    wstate_[i].rec.cluster = cfg_.cluster;
    wstate_[i].rec.endpoint = workers_.endpoints()[i];
  }
  // Keep the counters a previous run stored.
  auto stored = store_.workers(cfg_.cluster);
  if (stored.ok()) {
    for (auto& w : *stored) {
      for (auto& s : wstate_) {
        if (s.rec.endpoint == w.endpoint) s.rec = w;
      }
    }
  }
  if (cfg_.batch_size == 0) cfg_.batch_size = 1;
  if (cfg_.max_in_flight == 0) cfg_.max_in_flight = 1;
}

void Relay::emit(RelayEvent::Kind kind, const std::string& level, const std::string& text) {
  if (!sink_) return;
  RelayEvent e;
  e.kind = kind;
  e.level = level;
  e.text = text;
  sink_(e);
}

// A failed Store call: one error line, an event the service counts by operation
// (hunter_store_errors_total{op}), and the cluster's status says so until a round is clean.
void Relay::storeFailed(const Error& e) {
  const std::string op = e.message.substr(0, e.message.find(':'));
  RelayEvent ev;
  ev.kind = RelayEvent::Kind::kStore;
  ev.level = "error";
  ev.reason = op.empty() ? "store" : op;
  ev.text = cfg_.name + ": store: " + e.message;
  if (sink_) sink_(ev);
  stuckBecause(WaitReason::kStoreFailed,
               "the database refused a write: " + e.message +
                   (stuck_detail_.empty() ? "" : "; " + stuck_detail_),
               false);
}

bool Relay::checked(const char* op, const Status& st) {
  if (st.ok()) return true;
  storeFailed(Error{st.error().code, std::string(op) + ": " + st.error().message});
  return false;
}

std::string Relay::workerName(size_t i) const { return workers_.endpoints()[i]; }

void Relay::markWorkerDirty(size_t i) { wstate_[i].dirty = true; }

// One line when the state changes, with its reason; a reminder every few minutes while it stays
// not ok (a dead head has its own reminder). The reason alone is not news: a healthy cluster
// goes between moving and waiting_ack every block, a stuck one between its cause and backing_off.
void Relay::announceState(int64_t now) {
  constexpr int64_t kReminderMs = 5 * 60'000;
  const bool ok = state_ == ClusterState::kOk;
  const bool changed = state_ != announced_state_;
  if (!changed) {
    if (!ok && state_ != ClusterState::kDead && now >= remind_at_ms_) {
      remind_at_ms_ = now + kReminderMs;
      emit(RelayEvent::Kind::kStuck, "warn",
           cfg_.name + ": still " + toString(state_) + " (" + std::string(label(reason_)) +
               "): " + status_detail_);
    }
    return;
  }
  const std::string was = toString(announced_state_);
  announced_state_ = state_;
  remind_at_ms_ = now + kReminderMs;
  if (ok) {
    emit(RelayEvent::Kind::kStuck, "info", cfg_.name + ": ok again (was " + was + ")");
    return;
  }
  emit(RelayEvent::Kind::kStuck, state_ == ClusterState::kDead ? "error" : "warn",
       cfg_.name + ": " + toString(state_) + " (" + std::string(label(reason_)) +
           "): " + status_detail_);
}

void Relay::stuckBecause(WaitReason r, std::string detail, bool first) {
  if (first && !stuck_detail_.empty()) return;
  reason_ = r;
  stuck_detail_ = std::move(detail);
}

void Relay::setStatus(ClusterState state, WaitReason reason, const std::string& detail,
                      int64_t now) {
  reason_ = reason;
  state_ = state;
  status_detail_ = detail;
  announceState(now);
  ClusterStatusRecord s;
  s.cluster = cfg_.cluster;
  s.state = toString(state);
  s.reason = reason;
  s.detail = detail;
  s.chain_next_sn = queue_.next_sn;
  s.worker_next_sn = workerNextSn();
  s.updated_ms = now;
  const auto& last = status_saved_;
  if (last && last->state == s.state && last->reason == s.reason && last->detail == s.detail &&
      last->chain_next_sn == s.chain_next_sn && last->worker_next_sn == s.worker_next_sn &&
      now - last->updated_ms < 1000) {
    return;  // `status` shows its age in seconds
  }
  status_to_save_ = std::move(s);
}

void Relay::flushRoundState() {
  std::vector<WorkerRecord> recs;
  for (auto& w : wstate_) {
    if (!w.dirty) continue;
    recs.push_back(w.rec);
    w.dirty = false;
  }
  if (recs.empty() && !status_to_save_) return;
  auto st = store_.saveRoundState(recs, status_to_save_);
  if (!st.ok()) {
    storeFailed(st.error());
    return;
  }
  if (status_to_save_) status_saved_ = std::move(status_to_save_);
  status_to_save_.reset();
}

int64_t Relay::backoff(uint32_t attempts) {
  int64_t d = cfg_.backoff_base_ms;
  for (uint32_t i = 1; i < attempts && d < cfg_.backoff_max_ms; ++i) d *= 2;
  d = std::min(d, cfg_.backoff_max_ms);
  // Full jitter in [d/2, d]: spreads retries of many hunters and messages.
  std::uniform_int_distribution<int64_t> jitter(d / 2, std::max<int64_t>(d / 2, d));
  return jitter(rng_);
}

Status Relay::start() {
  int64_t now = clock_.nowMs();
  auto p = chain_.params();
  if (!p.ok()) return p.error().context("chain");
  params_ = *p;
  HUNTER_CHECK(refreshChain(now));
  // A restart retries at once whatever was backing off (the cause may be what the operator
  // just fixed), and the nonces of open submissions stay taken.
  if (auto r = store_.retryNow(cfg_.cluster); !r.ok()) {
    storeFailed(r.error());
  }
  if (auto open = store_.openSubmissionHeads(cfg_.cluster); open.ok()) {
    for (const auto& sub : *open) accounts_.hold(sub.account, sub.nonce);
  }
  auditBooks(now);
  handshake(now);
  flushRoundState();
  return okStatus();
}

Status Relay::refreshChain(int64_t now) {
  if (!params_) {
    HUNTER_TRY(params_, chain_.params());
  }
  if (!info_ || now - info_at_ms_ >= cfg_.cluster_info_refresh_ms) {
    HUNTER_TRY(auto info, chain_.clusterInfo(cfg_.cluster));
    if (!info) {
      return makeError(
          "unknown_cluster",
          "cluster " + cfg_.name + " is not registered on the chain (no Clusters entry)");
    }
    info_ = *info;
    info_at_ms_ = now;
  }
  HUNTER_TRY(auto head, chain_.head(cfg_.cluster));
  followRuntime(head, now);
  chain_read_ms_ = now - head.age_ms;
  best_ = head.best;
  settled_ = head.settled.value_or(head.best);
  if (best_.number >= anchor_.number) {
    anchor_ = best_;
    anchor_read_ms_ = chain_read_ms_;
  }
  queue_ = head.queue;
  chain_next_ = std::max(head.next_sn, queue_.next_sn);
  return okStatus();
}

// A head that carries the runtime version shows an upgrade as soon as its block is read: from
// then on extrinsics are signed for the new version (one signed for the old one is refused),
// and the open submissions signed before are signed again (signedForOldRuntime).
// Only an increase is followed: a runtime upgrade always raises spec_version, and a head read at
// an older block than the version in use (the shared view may lag the node a bad signature
// made us ask) must not take the relay back.
void Relay::followRuntime(const ChainHead& head, int64_t now) {
  if (head.spec_version == 0 || !params_ || head.spec_version <= params_->spec_version) return;
  adoptRuntime(head.spec_version, head.transaction_version, head.best.number, now);
}

void Relay::adoptRuntime(uint32_t spec, uint32_t tx, uint32_t block, int64_t now) {
  runtime_change_ = "spec " + std::to_string(params_->spec_version) + " -> " +
                    std::to_string(spec) + ", tx " + std::to_string(params_->transaction_version) +
                    " -> " + std::to_string(tx) + " at block " + std::to_string(block);
  runtime_changed_ms_ = now;
  emit(RelayEvent::Kind::kChain, "info", cfg_.name + ": runtime upgraded: " + runtime_change_);
  signature_refused_.clear();
  params_->spec_version = spec;
  params_->transaction_version = tx;
}

// The block a new extrinsic's mortal era starts at: the round's head, or, once that is more
// than kEraAnchorMaxAgeMs old (a backlog's round on a busy host lasts seconds), the chain's head
// of now. An era anchored at an old head may end before the pool checks it: "bad signature".
// Through the shared chain view this costs no request most of the time.
BlockRef Relay::eraAnchor() {
  constexpr int64_t kEraAnchorMaxAgeMs = 1000;
  const int64_t now = clock_.nowMs();
  if (now - anchor_read_ms_ <= kEraAnchorMaxAgeMs) return anchor_;
  auto head = chain_.head(cfg_.cluster);
  if (!head.ok()) return anchor_;
  followRuntime(*head, now);
  if (head->best.number >= anchor_.number) {
    anchor_ = head->best;
    anchor_read_ms_ = now - head->age_ms;
  }
  return anchor_;
}

// Refused as "bad signature" or "ancient birth block" while its era is over by the block the
// pool checks it for (the best block + 1): the era ended, not the key. Signed again at once, at
// a fresh block (the anchor is read again), and not booked as an outcome.
bool Relay::eraEnded(const SubmissionRecord& sub, Store::RetryUpdate& retry) {
  auto best = chain_.bestBlock();
  if (!best.ok() || uint64_t{best->number} + 1 < sub.era_death) return false;
  anchor_read_ms_ = 0;
  retry.next_attempt_ms = clock_.nowMs();
  emit(RelayEvent::Kind::kChain, "warn",
       cfg_.name + " " + snRange(sub.first_sn, sub.last_sn) +
           ": era ended before the pool checked it (valid for blocks " +
           std::to_string(sub.era_birth) + " to " + std::to_string(sub.era_death - 1) +
           ", best block now " + std::to_string(best->number) + "); signed again at once");
  return true;
}

// An open submission signed before this relay saw the runtime change, neither included nor
// shown ready by the pool: the chain dropped it as invalid, and its bytes never go again.
bool Relay::signedForOldRuntime(const SubmissionRecord& sub) const {
  return runtime_changed_ms_ != 0 && sub.created_ms < runtime_changed_ms_ &&
         sub.created_ms < chain_read_ms_ && sub.first_sn >= chain_next_;
}

void Relay::handshake(int64_t now) {
  for (size_t i = 0; i < wstate_.size(); ++i) {
    auto& w = wstate_[i];
    if (w.handshaken || w.retry_at_ms > now) continue;
    auto info = workers_.info(i);
    if (!info.ok()) {
      w.rec.errors++;
      w.rec.last_error = info.error().message;
      w.excluded = workerFailureOf(info.error()) == WorkerFailure::kIncompatible;
      w.retry_at_ms = now + (w.excluded ? 60'000 : 2'000);
      emit(RelayEvent::Kind::kWorker, w.excluded ? "error" : "warn",
           info.error().message + " (handshake; asked again in " +
               std::to_string((w.retry_at_ms - now) / 1000) + " s)");
      markWorkerDirty(i);
      continue;
    }
    w.handshaken = true;
    w.excluded = false;
    w.heard_ms = now;
    workers_heard_ms_ = now;
    // What it holds beyond the chain's queue: a first idea of its next sn, so that an empty
    // answer from another worker is not taken for "nothing new" (saturating: it may lie).
    w.next_sn = queue_.next_sn + std::min(info->pending_messages, UINT64_MAX - queue_.next_sn);
    w.rec.public_key = info->public_key;
    w.rec.version = info->version;
    w.rec.last_seen_ms = now;
    if (info_ && std::find(info_->workers.begin(), info_->workers.end(), info->public_key) ==
                     info_->workers.end()) {
      emit(RelayEvent::Kind::kWorker, "warn",
           "worker " + workerName(i) + " key " + toHex(info->public_key) +
               " is not registered for cluster " + cfg_.name + "; its signatures will not count");
    }
    if (std::find(info->clusters.begin(), info->clusters.end(), cfg_.cluster) ==
        info->clusters.end()) {
      emit(RelayEvent::Kind::kWorker, "warn",
           "worker " + workerName(i) + " does not list cluster " + cfg_.name);
    }
    markWorkerDirty(i);
  }
}

// One round, in stages: the chain view, the workers' greetings, fetch and gather (settling ACKs
// and open submissions on the way), expiry, submission, then the state the round leaves.
RoundStats Relay::round() {
  RoundStats st;
  const int64_t now = clock_.nowMs();
  if (!viewChain(st, now)) return st;
  greetWorkers(now);
  const bool acksLast = fetchAndSign(st, now);
  expire(st, now);
  submit(st, now);
  if (acksLast) resolveAcks(st, now);
  saveAuditMark(now);
  reportState(st, now);
  flushRoundState();
  return st;
}

// The chain view this round works from; false (and the state says why) when there is none.
bool Relay::viewChain(RoundStats& st, int64_t now) {
  auto chainOk = refreshChain(now);
  if (chainOk.ok()) return true;
  st.chain_unreachable = true;
  const bool unknown = chainOk.error().code == "unknown_cluster";
  setStatus(unknown ? ClusterState::kUnknownCluster : ClusterState::kChainUnreachable,
            unknown ? WaitReason::kUnknownCluster : WaitReason::kChainUnreachable,
            chainOk.error().message, now);
  flushRoundState();
  return false;
}

void Relay::greetWorkers(int64_t now) {
  if (first_round_ms_ == 0) first_round_ms_ = now;
  handshake(now);
  refreshWorkerClaims(now);
  stuck_detail_.clear();
  reason_ = WaitReason::kMoving;
  held_reason_.reset();
  if (!signature_refused_.empty()) stuckBecause(WaitReason::kSignatureRefused, signature_refused_);
}

// A backlog's round fetches the next messages while the workers sign those it holds: the fetch
// is the round's largest reply, and done first it left the workers and the hunter's
// verification threads idle between two rounds. A round with at most one chunk to sign fetches
// first, so that a new message is signed in the round that fetched it.
// ACKs and open submissions concern sns the chain has taken or that are submitted, never the
// pending ones gather signs, so a backlog's round also runs them while the workers sign (expire
// may settle pending ones, so it waits). A round of one chunk reads the ACKs after its
// submission when they can wait (acksCanWait, then true): they would only delay it, by a chain
// read and the outcomes' write, and that was the steady state's p99 delay to submission.
// (A round that does not fetch first has more than one chunk, so gather runs `meanwhile`.)
// A backlog larger than one chunk is gathered whole only with a place at the shared
// BacklogGate; without one, this round signs its first chunk and leaves the rest to later rounds.
bool Relay::fetchAndSign(RoundStats& st, int64_t now) {
  const size_t chunk = std::max<size_t>(1, cfg_.sign_chunk);
  auto ask = toSign(now);
  if (ask.size() <= chunk) {
    fetch(st, now, false);
    ask = toSign(now);
  }
  const auto place =
      ask.size() > chunk && backlogs_ ? backlogs_->tryTake() : std::optional<BacklogGate::Place>();
  if (ask.size() > chunk && backlogs_ && !place) ask.resize(chunk);
  bool settled = false;
  gather(st, now, std::move(ask), [&] {
    fetch(st, now, place.has_value());
    resolveAcks(st, now);
    checkSubmissions(st, now);
    settled = true;
  });
  if (settled) return false;
  const bool acksLast = acksCanWait();
  if (!acksLast) resolveAcks(st, now);
  checkSubmissions(st, now);
  return acksLast;
}

// The state the round leaves: dead, stuck (now, or still at the same head), or what the head
// waits for.
void Relay::reportState(RoundStats& st, int64_t now) {
  if (head_moved_ms_ == 0 || queue_.next_sn != head_seen_sn_ || workerNextSn() <= queue_.next_sn) {
    if (queue_.next_sn != head_seen_sn_) signature_refused_.clear();  // the head went through
    head_seen_sn_ = queue_.next_sn;
    head_moved_ms_ = now;
  }
  if (head_dead_since_ms_ != 0) {
    st.stuck = true;
    setStatus(ClusterState::kDead, WaitReason::kDead,
              dead_detail_ + (stuck_detail_.empty() ? "" : "; now: " + stuck_detail_), now);
  } else if (!stuck_detail_.empty()) {
    st.stuck = true;
    stuck_at_sn_ = queue_.next_sn;
    stuck_because_ = reason_;
    stuck_why_ = stuck_detail_;
    setStatus(ClusterState::kStuck, reason_, stuck_detail_, now);
  } else if (state_ == ClusterState::kStuck && stuck_at_sn_ == queue_.next_sn &&
             workerNextSn() > queue_.next_sn && !stuck_why_.empty()) {
    // A round that did not ask for the head (it backs off) has not unstuck it.
    st.stuck = true;
    setStatus(ClusterState::kStuck, stuck_because_, stuck_why_, now);
  } else {
    std::string detail;
    WaitReason why = headReason(now, detail);
    st.stuck = stalled(now);
    stuck_why_.clear();
    setStatus(st.stuck ? ClusterState::kStuck : ClusterState::kOk, why, detail, now);
  }
}

// Messages the chain has moved past get their outcome from Acks[cluster][sn].
void Relay::resolveAcks(RoundStats& st, int64_t now) {
  if (queue_.next_sn <= acked_below_) return;  // nothing new behind the chain since last time
  // Read at a settled block below the best (chain.ack_confirmations), the sns between it and the
  // best wait for it to move: no second read at the same block.
  if (settled_.hash != best_.hash && acks_read_at_ == settled_.hash) return;
  acks_read_at_ = settled_.hash;
  const std::vector<MsgState> open = {MsgState::kPending, MsgState::kSigned, MsgState::kSubmitted};
  for (;;) {
    // Sns are unique, so at most next_sn - acked_below_ open messages lie behind the chain.
    size_t limit = static_cast<size_t>(std::min<uint64_t>(2048, queue_.next_sn - acked_below_));
    auto msgs = store_.messageHeads(cfg_.cluster, open, acked_below_, limit);
    if (!msgs.ok()) {
      storeFailed(msgs.error());
      return;
    }
    std::vector<StoredMessage> behind;
    for (auto& m : *msgs) {
      if (m.sn < queue_.next_sn) behind.push_back(std::move(m));
    }
    if (behind.empty()) {
      acked_below_ = queue_.next_sn;
      return;
    }
    std::vector<uint64_t> sns;
    for (auto& m : behind) sns.push_back(m.sn);
    // At the block the round's head came from, or the settled one below it: a node that lags it
    // answers an error (not yet), never "absent" for an sn the head's queue has passed. Read at
    // a settled block, an sn the best block's queue passed may be absent: not yet either.
    auto acks = chain_.acks(cfg_.cluster, sns, settled_.hash);
    if (!acks.ok() || acks->size() != sns.size()) {
      emit(RelayEvent::Kind::kChain, "warn",
           cfg_.name + ": reading ACKs failed: " +
               (acks.ok() ? std::string("wrong count") : acks.error().message));
      acks_read_at_.reset();  // read again next round
      return;
    }
    // Fee shares per submission: split its fee over its messages, remainder on the first.
    std::map<int64_t, std::optional<SubmissionRecord>> subs;
    std::optional<std::map<int64_t, SubmissionRecord>> openHeads;
    std::vector<OutcomeRecord> outs;
    std::set<int64_t> touched;
    std::set<int64_t> revived;           // lost submissions the chain included after all
    std::optional<uint64_t> unresolved;  // the first sn whose outcome is not known yet
    std::set<int64_t> noFee;             // submissions whose fee could not be read this time
    std::map<crypto::AccountId32, std::optional<uint32_t>> nonces;  // on chain, read once
    for (size_t i = 0; i < behind.size(); ++i) {
      const auto& m = behind[i];
      const auto& ack = (*acks)[i];
      OutcomeRecord o;
      o.cluster = cfg_.cluster;
      o.sn = m.sn;
      o.at_ms = now;
      o.submission_id = m.submission_id;
      if (!ack && !ackPruned(m)) {
        // The queue passed it, yet this read has no ACK: not yet (a node behind the head's, or
        // a wrong queue answer), never "gone". A later read settles it.
        if (!unresolved) unresolved = m.sn;
        continue;
      }
      if (!ack) {
        o.kind = OutcomeKind::kSuperseded;
        o.reason = "its ACK is gone: the chain keeps ACKs " + std::to_string(kAckKeptBlocks) +
                   " blocks, and its submission's era ended longer ago than that";
      } else {
        o.ack_hash = ack->hash;
        o.block = ack->block;
        o.account = ack->hunter;
        if (ack->hash != m.hash) {
          o.kind = OutcomeKind::kDiverged;
          o.reason = "ACK hash " + shortHex(ack->hash) + " differs from ours " + shortHex(m.hash) +
                     " (fetched from " + m.source + ")";
        } else if (accounts_.isOurs(ack->hunter)) {
          o.kind = OutcomeKind::kAccepted;
          o.reward = ack->reward;
        } else {
          o.kind = OutcomeKind::kSuperseded;
          o.reason = "included by another hunter";
        }
      }
      if (m.submission_id == 0 && o.kind == OutcomeKind::kAccepted) {
        // Released, yet included by us: a submission declared lost made it after all. Its
        // fee is what the chain took; mark it included. One read per lost submission, not
        // per message.
        for (int64_t id : revived) {
          const auto& r = subs[id];
          if (r && r->account == ack->hunter && r->first_sn <= m.sn && m.sn <= r->last_sn) {
            o.submission_id = id;
          }
        }
        if (o.submission_id == 0) {
          if (auto lost = store_.lostSubmissionCovering(cfg_.cluster, m.sn, ack->hunter);
              lost.ok() && *lost) {
            o.submission_id = (*lost)->id;
            subs[o.submission_id] = **lost;
            revived.insert(o.submission_id);
            emit(RelayEvent::Kind::kChain, "warn",
                 cfg_.name + " " + snRange((*lost)->first_sn, (*lost)->last_sn) + " tx " +
                     shortHex((*lost)->tx_hash) + " was declared lost but the chain included it");
          }
        }
      }
      if (o.submission_id != 0) {
        auto& s = subs[o.submission_id];
        if (!s) {
          // Normally still open: the records without their bytes, read once per call.
          if (!openHeads) {
            auto r = store_.openSubmissionHeads(cfg_.cluster);
            openHeads.emplace();
            if (r.ok()) {
              for (auto& x : *r) (*openHeads)[x.id] = std::move(x);
            }
          }
          if (auto it = openHeads->find(o.submission_id); it != openHeads->end()) {
            s = it->second;
          } else if (auto r = store_.submission(o.submission_id); r.ok() && *r) {
            s = **r;
          }
        }
        if (s && o.kind == OutcomeKind::kAccepted) {
          auto fee = noFee.count(s->id) ? std::nullopt : feeOf(*s, now);
          if (!fee) {  // never book a guess: the fee is asked again next round
            noFee.insert(s->id);
            touched.insert(s->id);  // included all the same: its in-flight slot is free
            if (!unresolved) unresolved = m.sn;
            continue;
          }
          o.fee = feeShare(*s, *fee, m.sn);
        }
        if (ack && s && o.kind != OutcomeKind::kAccepted && openHeads && openHeads->count(s->id) &&
            nonceUsed(s->account, s->nonce, nonces)) {
          // Our open transaction carrying this sn was included (its nonce is used), so its sns
          // were accepted from us; an ACK naming another hunter or hash contradicts that: this
          // read is wrong, not our books. Not yet.
          if (!unresolved) unresolved = m.sn;
          continue;
        }
      }
      if (o.submission_id != 0) touched.insert(o.submission_id);
      outs.push_back(o);
    }
    auto rec = store_.recordOutcomes(outs);
    if (!rec.ok()) {
      storeFailed(rec.error());
      return;
    }
    // One log line per run of equal outcomes.
    size_t i = 0;
    while (i < outs.size()) {
      size_t j = i;
      while (j + 1 < outs.size() && outs[j + 1].kind == outs[i].kind &&
             outs[j + 1].sn == outs[j].sn + 1 && outs[j + 1].submission_id == outs[i].submission_id)
        ++j;
      RelayEvent e;
      e.kind = RelayEvent::Kind::kOutcome;
      e.level = outs[i].kind == OutcomeKind::kAccepted || outs[i].kind == OutcomeKind::kSuperseded
                    ? "info"
                    : "warn";
      e.first_sn = outs[i].sn;
      e.last_sn = outs[j].sn;
      e.outcome = toString(outs[i].kind);
      e.count = j - i + 1;
      u128 reward = 0;
      for (size_t k = i; k <= j; ++k) reward += outs[k].reward;
      std::string via;
      if (auto it = subs.find(outs[i].submission_id); it != subs.end() && it->second) {
        e.tx_hash = it->second->tx_hash;
        e.nonce = it->second->nonce;
        via = " (tx " + toHex(e.tx_hash) + " nonce " + std::to_string(e.nonce) + ")";
      }
      e.text = cfg_.name + " " + snRange(e.first_sn, e.last_sn) + " " + e.outcome + via +
               (outs[i].block ? " in block " + std::to_string(outs[i].block) : "") +
               (reward ? " reward " + u128ToString(reward) : "") +
               (outs[i].reason.empty() ? "" : " (" + outs[i].reason + ")");
      if (sink_) sink_(e);
      i = j + 1;
    }
    for (auto& o : outs) {
      switch (o.kind) {
        case OutcomeKind::kAccepted:
          st.accepted++;
          break;
        case OutcomeKind::kSuperseded:
          st.superseded++;
          break;
        case OutcomeKind::kDiverged:
          st.diverged++;
          break;
        default:
          break;
      }
    }
    for (int64_t id : touched) {
      if (auto it = subs.find(id); it != subs.end() && it->second) {
        accounts_.unhold(it->second->account, it->second->nonce);
      }
      checked("updateSubmission",
              store_.updateSubmission(id, SubmissionStatus::kIncluded, "", now));
    }
    if (unresolved) {
      acked_below_ = *unresolved;
      if (!noFee.empty()) acks_read_at_.reset();  // the fee is asked again next round
      // Below the best block (chain.ack_confirmations) an ACK not there yet is the rule.
      if (*unresolved != ack_wait_reported_ && settled_.hash == best_.hash) {
        ack_wait_reported_ = *unresolved;
        emit(RelayEvent::Kind::kChain, "warn",
             cfg_.name + ": the chain's queue is past sn " + std::to_string(*unresolved) +
                 " but its outcome is not known yet (no ACK at block " +
                 std::to_string(settled_.number) +
                 ", or the fee could not be read); reading again");
      }
      return;
    }
    if (behind.size() < limit) {
      acked_below_ = queue_.next_sn;
      return;
    }
    acked_below_ = behind.back().sn + 1;
  }
}

// The books against the chain, from the durable watermark (audited_below) to the chain's next sn,
// at start: an sn whose row the database lost (a deleted -wal) but whose ACK names one of our
// accounts is booked accepted, with the chain's reward and the fee of the submission that
// carried it (kept in the submission journal); an sn booked superseded or diverged whose ACK
// (read at the head's block) names us with our hash is corrected to accepted. While running,
// saveAuditMark checks the superseded and diverged outcomes of each minute the same way.
void Relay::auditBooks(int64_t now) {
  const std::string markKey = auditedBelowKey(cfg_.cluster);
  const std::string fromKey = auditFromKey(cfg_.cluster);
  auto mark = store_.meta(markKey);
  auto restored = store_.meta(fromKey);
  if (!mark.ok() || !restored.ok()) {
    storeFailed(mark.ok() ? restored.error() : mark.error());
    return;
  }
  uint64_t from = metaSn(*mark, queue_.next_sn);
  from = std::min(from, metaSn(*restored, from));
  // Below what retention deleted, a missing row is not a lost one: it is booked in the totals.
  if (auto pruned = store_.meta(prunedBelowKey(cfg_.cluster)); pruned.ok()) {
    from = std::max(from, metaSn(*pruned, 0));
  }
  const uint64_t to = queue_.next_sn;
  if (!auditRange(from, to, true, now)) return;
  checked("setMeta", store_.setMeta(markKey, std::to_string(to)));
  if (restored->has_value()) checked("setMeta", store_.setMeta(fromKey, ""));
  audited_mark_ = to;
}

// Audits [from, to): the sns with no row (when `missing_too`) and those booked superseded or
// diverged. True when every sn the chain gives to us there is booked accepted.
bool Relay::auditRange(uint64_t from, uint64_t to, bool missing_too, int64_t now) {
  const std::vector<MsgState> doubtful = {MsgState::kSuperseded, MsgState::kDiverged};
  size_t booked = 0, corrected = 0, unbookable = 0;
  std::set<int64_t> included;
  for (uint64_t at = from; at < to;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(to - at, 4096));
    auto rows =
        store_.messageHeads(cfg_.cluster, missing_too ? std::vector<MsgState>{} : doubtful, at, n);
    if (!rows.ok()) return false;
    std::vector<uint64_t> sns;
    std::map<uint64_t, const StoredMessage*> booked_other;  // sn -> its superseded/diverged row
    size_t k = 0;
    for (uint64_t sn = at; sn < at + n; ++sn) {
      while (k < rows->size() && (*rows)[k].sn < sn) ++k;
      const StoredMessage* row = k < rows->size() && (*rows)[k].sn == sn ? &(*rows)[k] : nullptr;
      if (row && (row->state == MsgState::kSuperseded || row->state == MsgState::kDiverged)) {
        booked_other[sn] = row;
        sns.push_back(sn);
      } else if (!row && missing_too) {
        sns.push_back(sn);
      }
    }
    at += n;
    if (sns.empty()) continue;
    auto acks = chain_.acks(cfg_.cluster, sns, settled_.hash);
    if (!acks.ok() || acks->size() != sns.size()) return false;  // tried again later
    for (size_t i = 0; i < sns.size(); ++i) {
      const auto& ack = (*acks)[i];
      if (!ack || !accounts_.isOurs(ack->hunter)) continue;
      auto other = booked_other.find(sns[i]);
      if (other != booked_other.end() && other->second->hash != ack->hash) continue;
      std::optional<SubmissionRecord> sub;
      if (other != booked_other.end() && other->second->submission_id != 0) {
        if (auto r = store_.submission(other->second->submission_id);
            r.ok() && *r && (*r)->account == ack->hunter) {
          sub = **r;
        }
      }
      if (!sub) {
        if (auto r = store_.lostSubmissionCovering(cfg_.cluster, sns[i], ack->hunter);
            r.ok() && *r) {
          sub = **r;
        }
      }
      std::optional<u128> fee = sub ? feeOf(*sub, now) : std::nullopt;
      if (!fee) {
        unbookable++;
        continue;
      }
      OutcomeRecord o;
      o.cluster = cfg_.cluster;
      o.sn = sns[i];
      o.kind = OutcomeKind::kAccepted;
      o.reason = other == booked_other.end()
                     ? "booked from the chain's ACK: the database had lost it"
                     : "corrected from " + std::string(toString(other->second->state)) +
                           ": a consistent read of the chain's ACK names this hunter";
      o.ack_hash = ack->hash;
      o.block = ack->block;
      o.reward = ack->reward;
      o.account = ack->hunter;
      o.submission_id = sub->id;
      o.fee = feeShare(*sub, *fee, sns[i]);
      o.at_ms = now;
      if (auto r = store_.replaceOutcome(o); !r.ok()) {
        storeFailed(r.error());
        return false;
      }
      included.insert(sub->id);
      (other == booked_other.end() ? booked : corrected)++;
    }
  }
  // After the loop: a lost submission is found by its status while its sns are booked.
  for (int64_t id : included) {
    checked("updateSubmission", store_.updateSubmission(id, SubmissionStatus::kIncluded, "", now));
  }
  if (booked + corrected + unbookable > 0) {
    emit(RelayEvent::Kind::kOutcome, unbookable > 0 ? "error" : "warn",
         cfg_.name + ": the books disagreed with the chain: " + std::to_string(booked) +
             " accepted sn(s) booked from its ACKs, " + std::to_string(corrected) +
             " corrected to accepted" +
             (unbookable > 0 ? "; " + std::to_string(unbookable) +
                                   " more are ours on chain but their fee is not known (no "
                                   "submission record or journal line covers them, or "
                                   "payment_queryInfo fails): not booked yet"
                             : ""));
  }
  return unbookable == 0;
}

// Once a minute: the superseded and diverged outcomes booked since the last time are read again
// (a later consistent read corrects a wrong one), then the watermark follows the ACKs booked.
void Relay::saveAuditMark(int64_t now) {
  if (acked_below_ <= audited_mark_ || now < next_mark_ms_) return;
  next_mark_ms_ = now + 60'000;
  if (!auditRange(audited_mark_, acked_below_, false, now)) return;
  if (store_.setMeta(auditedBelowKey(cfg_.cluster), std::to_string(acked_below_)).ok()) {
    audited_mark_ = acked_below_;
  }
}

// Whether the chain's state shows `nonce` of `account` used (System.Account's nonce is past it).
bool Relay::nonceUsed(const crypto::AccountId32& account, uint32_t nonce,
                      std::map<crypto::AccountId32, std::optional<uint32_t>>& cache) {
  auto it = cache.find(account);
  if (it == cache.end()) {
    auto info = chain_.account(account);
    std::optional<uint32_t> n;
    if (info.ok() && *info) n = (*info)->nonce;
    it = cache.emplace(account, n).first;
  }
  return it->second && *it->second > nonce;
}

// An ACK the chain no longer keeps: its submission's era ended more than kAckKeptBlocks ago
// (a hunter that was away that long), so it was included, if at all, before that.
bool Relay::ackPruned(const StoredMessage& m) {
  if (m.submission_id == 0) return false;
  auto sub = store_.submission(m.submission_id);
  if (!sub.ok() || !*sub) return false;
  return best_.number > (*sub)->era_death + kAckKeptBlocks;
}

std::optional<u128> Relay::feeOf(const SubmissionRecord& sub, int64_t now) {
  if (sub.fee_known) return sub.fee;
  if (auto it = fee_by_sub_.find(sub.id); it != fee_by_sub_.end()) return it->second;
  auto full = store_.submission(sub.id);
  if (!full.ok() || !*full) return std::nullopt;
  auto xt = decodeExtrinsic((*full)->extrinsic);
  auto fee = queryFee((*full)->extrinsic, sub.last_sn - sub.first_sn + 1, now);
  if (!xt.ok() || !fee) return std::nullopt;
  u128 total = *fee + xt->extra.tip;
  fee_by_sub_[sub.id] = total;
  return total;
}

// Whether this round's ACKs may be read after its submission: an in-flight slot is free (the
// ACKs free them), and no open submission needs the ACKs first (one still being sent would be
// resent although the chain may have included it; one whose era ended would be declared lost).
bool Relay::acksCanWait() {
  auto open = store_.openSubmissionHeads(cfg_.cluster);
  if (!open.ok() || open->size() >= cfg_.max_in_flight) return false;
  return std::none_of(open->begin(), open->end(), [&](const SubmissionRecord& s) {
    return s.status == SubmissionStatus::kSending || best_.number >= s.era_death;
  });
}

// Open submissions: re-send what may never have reached the chain, send again what the pool
// dropped, release what can no longer be included.
void Relay::checkSubmissions(RoundStats& st, int64_t now) {
  auto open = store_.openSubmissionHeads(cfg_.cluster);
  if (!open.ok()) return;
  for (auto& sub : *open) {
    // All of its messages resolved? resolveAcks marked it included.
    auto first = store_.message(cfg_.cluster, sub.first_sn);
    if (first.ok() && *first && (*first)->state != MsgState::kSubmitted) {
      if (isFinal((*first)->state)) {
        accounts_.unhold(sub.account, sub.nonce);
        checked("updateSubmission",
                store_.updateSubmission(sub.id, SubmissionStatus::kIncluded, "", now));
      }
      continue;
    }
    if (signedForOldRuntime(sub)) {
      release(sub, SubmissionStatus::kLost,
              "signed for the runtime before the upgrade (" + runtime_change_ + ")", now, now);
      holdHead(WaitReason::kRuntimeChanged,
               "signing again for the new runtime: " + runtime_change_);
      st.lost++;
      continue;
    }
    if (sub.status == SubmissionStatus::kSending) {
      auto full = store_.submission(sub.id);
      if (!full.ok() || !*full) continue;
      if (!resend(**full, now)) break;  // chain unreachable: try again next round
      continue;
    }
    // Its sns behind the best block's queue were included: the ACKs (read at the settled block,
    // chain.ack_confirmations) decide, whatever its era says now.
    if (best_.number >= sub.era_death && sub.first_sn >= queue_.next_sn) {
      std::string why =
          "its era expired at block " + std::to_string(sub.era_death) + " before inclusion";
      release(sub, SubmissionStatus::kLost, why, now, now);
      st.lost++;
      continue;
    }
    if (!rebroadcast(sub, now)) break;
  }
}

// A submission the pool does not show as ready (pha_clusterMqNextSn has not passed its first
// sn), stored before the chain view this round used was read: it waits for a nonce or an sn before
// it, or the pool dropped it. Its exact bytes go again once a block: the pool answers "already
// imported" while it holds them, and takes them back if it had dropped them.
bool Relay::rebroadcast(const SubmissionRecord& sub, int64_t now) {
  if (sub.first_sn < chain_next_ || sub.updated_ms >= chain_read_ms_) return true;
  auto& at = rebroadcast_at_[sub.id];
  if (at >= best_.number) return true;
  at = best_.number;
  auto full = store_.submission(sub.id);
  if (!full.ok() || !*full) return true;
  auto r = chain_.submit((*full)->extrinsic);
  if (r.ok()) {
    emit(RelayEvent::Kind::kChain, "warn",
         cfg_.name + " " + snRange(sub.first_sn, sub.last_sn) + " tx " + shortHex(sub.tx_hash) +
             " nonce " + std::to_string(sub.nonce) + " was gone from the pool; sent it again");
    checked("updateSubmission",
            store_.updateSubmission(sub.id, SubmissionStatus::kInPool, "", now));
    return true;
  }
  if (classify(r.error()).kind == Rejection::kAlreadyImported) {  // in the pool, waiting
    if (sub.first_sn == queue_.next_sn && now - sub.created_ms >= cfg_.lost_after_ms &&
        stuck_detail_.empty()) {
      stuckBecause(WaitReason::kPoolFuture,
                   snRange(sub.first_sn, sub.last_sn) + ": tx " + shortHex(sub.tx_hash) +
                       " (nonce " + std::to_string(sub.nonce) +
                       ") waits in the chain's pool for an earlier nonce of its account; its "
                       "era ends at block " +
                       std::to_string(sub.era_death));
    }
    return true;
  }
  return afterResend(**full, r, now);
}

// The submission can no longer be included as it is: its messages go back to `signed`, and
// its account and nonce are kept for the run that starts at its first sn.
void Relay::release(const SubmissionRecord& sub, SubmissionStatus status, const std::string& why,
                    int64_t next_attempt_ms, int64_t now) {
  Store::RetryUpdate retry{0, MsgState::kSigned, 0, next_attempt_ms,
                           "submission " + std::string(toString(status)) + ": " + why};
  if (auto r = store_.releaseSubmission(sub.id, status, why, retry, now); !r.ok()) {
    storeFailed(r.error());
    return;
  }
  rebroadcast_at_.erase(sub.id);
  const bool keep = slotStillNeeded(sub);
  if (keep) {
    refill_[sub.first_sn] = Slot{sub.account, sub.nonce};
  } else {
    accounts_.unhold(sub.account, sub.nonce);
    accounts_.invalidate(sub.account);
  }
  emit(RelayEvent::Kind::kChain, "warn",
       cfg_.name + " " + snRange(sub.first_sn, sub.last_sn) + " tx " + shortHex(sub.tx_hash) +
           " nonce " + std::to_string(sub.nonce) + " " + toString(status) + ": " + why +
           (keep ? "; will sign again on the same nonce" : "; will sign again on a new nonce"));
}

// A released nonce is kept for its run only while every nonce between the chain's and it is
// taken (by an open submission or a kept slot): then transactions above it wait for exactly this
// one. With a gap below (a slot whose run another hunter included, a restart that forgot a
// slot), keeping it would leave it waiting behind the gap for good: the run takes new nonces
// from the chain's instead, in sn order.
bool Relay::slotStillNeeded(const SubmissionRecord& sub) {
  auto chainNext = chain_.accountNextIndex(sub.account);
  if (!chainNext.ok()) return true;  // unknown: keep it, the era decides again later
  if (sub.nonce < *chainNext) return false;
  for (uint32_t n = *chainNext; n < sub.nonce; ++n) {
    if (!accounts_.isHeld(sub.account, n)) return false;
  }
  return true;
}

bool Relay::resend(SubmissionRecord& sub, int64_t now) {
  return afterResend(sub, chain_.submit(sub.extrinsic), now);
}

bool Relay::afterResend(const SubmissionRecord& sub, const Result<H256>& r, int64_t now) {
  if (taken(r)) {
    signature_refused_.clear();
    checked("updateSubmission",
            store_.updateSubmission(sub.id, SubmissionStatus::kInPool, "", now));
    return true;
  }
  int64_t retryAt = now + backoff(1);
  switch (classify(r.error()).kind) {
    case Rejection::kTransport:
      return false;
    case Rejection::kOutdated:
      // Its nonce or its sns are used: perhaps by these very bytes, included after this round
      // read the chain (a restart after a kill mid-submit races like this). Releasing it would
      // let the ACK find messages with no submission, and the fee the chain took would be
      // missing from the books. Keep it open: the next round's ACKs settle it; if the era ends
      // first, it is released as lost (and the ACKs can still find it included).
      checked("updateSubmission",
              store_.updateSubmission(sub.id, SubmissionStatus::kInPool, "", now));
      return true;
    case Rejection::kBadSignature:
      // Signed for a runtime left since. The signature is checked before the nonce, so these
      // bytes may be the ones included: while their nonce shows used, the ACKs decide (as for
      // "outdated"); otherwise sign again at once.
      if (auto n = chain_.accountNextIndex(sub.account); n.ok() && *n > sub.nonce) {
        checked("updateSubmission",
                store_.updateSubmission(sub.id, SubmissionStatus::kInPool, "", now));
        return true;
      }
      retryAt = now;
      break;
    case Rejection::kAncientBirth:
      retryAt = now;  // its era is over: sign again at once
      break;
    case Rejection::kFuture:
    case Rejection::kCannotPay:
    case Rejection::kCustom:
    case Rejection::kInvalidOther:
    case Rejection::kBadFormat:
    case Rejection::kAlreadyImported:
    case Rejection::kPriorityTooLow:
    case Rejection::kPoolFull:
    case Rejection::kOther:
      break;
  }
  // These bytes cannot enter the pool now. That does not say they never got in (a node may
  // have held them, an era may have expired after inclusion): the release counts as lost,
  // which the ACKs can still resolve as included, with this submission's fee.
  release(sub, SubmissionStatus::kLost, "resend refused: " + r.error().message, retryAt, now);
  return true;
}

// Messages that have not gone through for max_message_age are reported dead, once each: an
// outcome row and an error line with the last error. They are never given up (the chain takes
// sns in order, so nothing after a given-up head could go through): they keep being retried,
// at most backoff_max apart. While the head is dead the cluster's state says so, with a
// reminder in the log every kDeadReminderMs.
void Relay::expire(RoundStats& st, int64_t now) {
  if (head_dead_since_ms_ != 0 && queue_.next_sn > dead_head_sn_) {
    emit(RelayEvent::Kind::kInfo, "info",
         cfg_.name + ": sn " + std::to_string(dead_head_sn_) + " went through; no longer dead");
    head_dead_since_ms_ = 0;
    dead_detail_.clear();
  }
  if (cfg_.max_message_age_ms <= 0 || now < next_expire_ms_) return;
  // A message is reported at most a tenth of its age limit (and 10 s) late; the scan is not free.
  next_expire_ms_ = now + std::min<int64_t>(cfg_.max_message_age_ms / 10, 10'000);
  auto msgs = store_.messageHeads(cfg_.cluster, {MsgState::kPending, MsgState::kSigned},
                                  queue_.next_sn, 4096);
  if (!msgs.ok()) return;
  std::vector<StoredMessage> dead;
  for (auto& m : *msgs) {
    if (now - m.created_ms >= cfg_.max_message_age_ms) dead.push_back(std::move(m));
  }
  if (dead.empty()) return;
  const auto& head = dead.front();
  if (head.sn == queue_.next_sn) {
    constexpr int64_t kDeadReminderMs = 5 * 60'000;
    if (head_dead_since_ms_ == 0 || dead_head_sn_ != head.sn) {
      head_dead_since_ms_ = head.created_ms + cfg_.max_message_age_ms;
      dead_head_sn_ = head.sn;
      dead_reminder_ms_ = now + kDeadReminderMs;
    } else if (now >= dead_reminder_ms_) {
      dead_reminder_ms_ = now + kDeadReminderMs;
      emit(RelayEvent::Kind::kStuck, "error", cfg_.name + ": still dead: " + dead_detail_);
    }
    dead_detail_ =
        "sn " + std::to_string(head.sn) + " has not gone through for " +
        std::to_string((now - head.created_ms) / 1000) + " s (" + std::to_string(head.attempts) +
        " attempt(s)); last error: " + (head.last_error.empty() ? "none" : head.last_error) +
        "; retried at most every " + std::to_string(cfg_.backoff_max_ms / 1000) +
        " s (hunter retry --cluster " + cfg_.name + " retries at once)";
  }
  reportDead(dead, now);
  st.dead += dead.size();
}

void Relay::reportDead(const std::vector<StoredMessage>& dead, int64_t now) {
  std::vector<OutcomeRecord> outs;
  for (const auto& m : dead) {
    if (m.sn < dead_reported_below_) continue;
    OutcomeRecord o;
    o.cluster = cfg_.cluster;
    o.sn = m.sn;
    o.kind = OutcomeKind::kDead;
    o.reason = "not accepted within " + std::to_string(cfg_.max_message_age_ms / 1000) +
               " s after " + std::to_string(m.attempts) +
               " attempt(s); last error: " + (m.last_error.empty() ? "none" : m.last_error) +
               "; still retried";
    o.at_ms = now;
    outs.push_back(o);
  }
  if (outs.empty()) return;
  if (auto r = store_.recordOutcomes(outs); !r.ok()) {
    storeFailed(r.error());
    return;
  }
  dead_reported_below_ = outs.back().sn + 1;
  RelayEvent e;
  e.kind = RelayEvent::Kind::kOutcome;
  e.level = "error";
  e.first_sn = outs.front().sn;
  e.last_sn = outs.back().sn;
  e.outcome = "dead";
  e.count = outs.size();
  e.text =
      cfg_.name + " " + snRange(outs.front().sn, outs.back().sn) + " dead: " + outs.front().reason;
  if (sink_) sink_(e);
}

// While every backlog place is taken by other clusters, a round fetches one chunk at most: it
// signs no more than that (fetchAndSign), and the fetched messages are memory too.
void Relay::fetch(RoundStats& st, int64_t now, bool holds_place) {
  auto pendingCount = store_.countMessages(
      cfg_.cluster, {MsgState::kPending, MsgState::kSigned, MsgState::kSubmitted});
  if (!pendingCount.ok()) return;
  if (*pendingCount >= cfg_.max_pending) return;
  uint32_t limit =
      static_cast<uint32_t>(std::min<uint64_t>(cfg_.fetch_limit, cfg_.max_pending - *pendingCount));
  // As many as fit in an answer: 1,024 messages of 64 KiB are 134 MB of hex.
  if (msg_answer_bytes_ > 0) {
    limit = static_cast<uint32_t>(
        std::clamp<uint64_t>(cfg_.max_response_bytes * 3 / 4 / msg_answer_bytes_, 1, limit));
  }
  limit = std::min(limit, fetch_cap_);
  if (!holds_place && backlogs_ && backlogs_->taken() >= backlogs_->places()) {
    limit = std::min<uint32_t>(limit, static_cast<uint32_t>(std::max<size_t>(1, cfg_.sign_chunk)));
  }

  auto tip = store_.tip(cfg_.cluster);
  if (!tip.ok()) return;
  uint64_t from = queue_.next_sn;
  std::optional<H256> prev = queue_.last_hash;
  if (*tip && (*tip)->first + 1 > from) {
    from = (*tip)->first + 1;
    prev = (*tip)->second;
  }

  size_t n = wstate_.size();
  size_t unreachable = 0;
  // The source first; one that answered nothing while others were ahead is skipped for a while
  // (unless nobody else is left).
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t attempt = 0; attempt < n; ++attempt) {
      size_t w = (source_ + attempt) % n;
      const auto& ws = wstate_[w];
      if (ws.excluded || !ws.handshaken) continue;
      if ((pass == 0) == (ws.behind_until_ms > now)) continue;
      switch (fetchFrom(w, from, prev, limit, st, now)) {
        case FetchResult::kDone:
          return;
        case FetchResult::kUnreachable:
          unreachable++;
          break;
        case FetchResult::kTryAnother:
          break;
      }
    }
  }
  if (n > 0 && unreachable == n) {
    st.workers_unreachable = true;
    stuckBecause(WaitReason::kNoWorkerReachable, "no worker of the cluster could be reached",
                 false);
  }
}

// The highest next_sn the other workers have said (0 when none has).
uint64_t Relay::othersNextSn(size_t w) const {
  uint64_t best = 0;
  for (size_t i = 0; i < wstate_.size(); ++i) {
    if (i != w) best = std::max(best, wstate_[i].next_sn);
  }
  return best;
}

uint64_t Relay::workerNextSn() const {
  std::vector<uint64_t> claims;
  for (const auto& w : wstate_) {
    if (w.heard_ms != 0) claims.push_back(w.next_sn);
  }
  if (claims.empty()) return queue_.next_sn;
  std::sort(claims.begin(), claims.end(), std::greater<>());
  return std::max(queue_.next_sn, claims[std::min<size_t>(1, claims.size() - 1)]);
}

int64_t Relay::stalledSinceMs() const {
  return workerNextSn() > queue_.next_sn ? head_moved_ms_ : 0;
}

bool Relay::stalled(int64_t now) const {
  if (head_dead_since_ms_ != 0) return true;
  const int64_t heard = workers_heard_ms_ != 0 ? workers_heard_ms_ : first_round_ms_;
  if (heard != 0 && now - heard >= cfg_.stuck_after_ms) return true;
  const int64_t since = stalledSinceMs();
  return since != 0 && now - since >= cfg_.stuck_after_ms;
}

void Relay::refreshWorkerClaims(int64_t now) {
  for (size_t i = 0; i < wstate_.size(); ++i) {
    auto& w = wstate_[i];
    if (!w.handshaken || w.excluded || now - w.heard_ms < cfg_.worker_info_refresh_ms) continue;
    auto info = workers_.info(i);
    if (!info.ok()) {
      w.heard_ms = now - cfg_.worker_info_refresh_ms / 2;  // asked again in half the interval
      w.rec.last_error = "GetClusterInfo: " + info.error().message;
      markWorkerDirty(i);
      continue;
    }
    w.heard_ms = now;
    workers_heard_ms_ = now;
    w.next_sn = queue_.next_sn + std::min(info->pending_messages, UINT64_MAX - queue_.next_sn);
  }
}

WaitReason Relay::headReason(int64_t now, std::string& detail) {
  const uint64_t head = queue_.next_sn, ahead = workerNextSn();
  if (ahead <= head) return WaitReason::kMoving;
  const std::string stalledFor =
      head_moved_ms_ ? "; not moved for " + std::to_string((now - head_moved_ms_) / 1000) + " s"
                     : "";
  const std::string where =
      "sn " + std::to_string(head) + " (workers at " + std::to_string(ahead) + stalledFor + ")";
  auto m = store_.message(cfg_.cluster, head);
  if (m.ok() && *m && (*m)->state == MsgState::kSubmitted) {
    detail = where + ": submitted, waiting for the chain to include it and ACK it";
    return WaitReason::kWaitingAck;
  }
  if (held_reason_) {
    detail = where + ": " + held_detail_;
    return *held_reason_;
  }
  if (m.ok() && *m && (*m)->next_attempt_ms > now) {
    detail = where + ": next attempt in " +
             std::to_string(((*m)->next_attempt_ms - now + 999) / 1000) +
             " s after: " + (*m)->last_error;
    return WaitReason::kBackingOff;
  }
  for (size_t i = 0; i < wstate_.size(); ++i) {
    if (wstate_[i].behind_until_ms > now) {
      detail = where + ": " + wstate_[i].rec.last_error;
      return WaitReason::kSourceBehind;
    }
  }
  detail = where;
  return WaitReason::kMoving;
}

Relay::FetchResult Relay::fetchFrom(size_t w, uint64_t from, std::optional<H256> prev,
                                    uint32_t limit, RoundStats& st, int64_t now) {
  constexpr int64_t kBehindMs = 30'000;
  auto r = workers_.fetch(w, cfg_.cluster, from, limit);
  auto& rec = wstate_[w].rec;
  while (!r.ok() && workerFailureOf(r.error()) == WorkerFailure::kResponseTooLarge && limit > 1) {
    limit /= 2;  // large messages: ask for fewer, at once
    fetch_cap_ = limit;
    r = workers_.fetch(w, cfg_.cluster, from, limit);
  }
  if (!r.ok()) {
    rec.errors++;
    rec.last_error = "GetClusterMessages: " + r.error().message;
    markWorkerDirty(w);
    switch (workerFailureOf(r.error())) {
      case WorkerFailure::kTransport:
      case WorkerFailure::kResponseTooLarge:
        return FetchResult::kUnreachable;
      case WorkerFailure::kStopped:
        rec.refused++;
        return FetchResult::kTryAnother;
      case WorkerFailure::kIncompatible:
      case WorkerFailure::kUnknownCluster:
      case WorkerFailure::kOther:
        return FetchResult::kTryAnother;
    }
    return FetchResult::kTryAnother;
  }
  rec.last_seen_ms = now;
  wstate_[w].next_sn = r->next_sn;
  wstate_[w].heard_ms = now;
  workers_heard_ms_ = now;
  auto& msgs = r->messages;
  if (!msgs.empty()) {
    size_t largest = 0;
    for (const auto& m : msgs) {
      largest = std::max(largest, m.msg.message.payload.size() + m.msg.message.destination.size() +
                                      kMessageOverhead);
    }
    msg_answer_bytes_ = 2 * largest;  // hex
    fetch_cap_ = UINT32_MAX;
  }
  if (msgs.empty()) {
    // Nothing from `from` on. Fine if it has nothing newer and nobody else has said more; a
    // worker that says it has more but gives none, or lags the others (re-syncing, or lying),
    // is not a source for a while. Either way the next round starts at the next worker.
    source_ = (w + 1) % std::max<size_t>(1, wstate_.size());
    uint64_t others = othersNextSn(w);
    if (r->next_sn <= from && others <= from) return FetchResult::kDone;
    wstate_[w].behind_until_ms = now + kBehindMs;
    rec.last_error = "GetClusterMessages from sn " + std::to_string(from) +
                     " answered no messages (its next_sn " + std::to_string(r->next_sn) +
                     ", other workers' " + std::to_string(others) + "); not a source for " +
                     std::to_string(kBehindMs / 1000) + " s";
    markWorkerDirty(w);
    return FetchResult::kTryAnother;
  }
  if (msgs.front().msg.sn != from) {
    // The worker no longer holds `from` (or never produced it): try another.
    rec.last_error = "GetClusterMessages from sn " + std::to_string(from) + " started at sn " +
                     std::to_string(msgs.front().msg.sn);
    markWorkerDirty(w);
    return FetchResult::kTryAnother;
  }
  Status chainOk = checkHashChain(msgs, prev);
  for (auto& m : msgs) {
    if (!chainOk.ok()) break;
    if (m.msg.clusterId() != cfg_.cluster) {
      chainOk = makeError("bad_sender",
                          "sn " + std::to_string(m.msg.sn) + ": sender is not this cluster");
    }
  }
  if (!chainOk.ok()) {
    rec.faulty_chain++;
    rec.errors++;
    rec.last_error = "lied about the hash chain: " + chainOk.error().message;
    markWorkerDirty(w);
    emit(RelayEvent::Kind::kWorker, "warn",
         "worker " + workerName(w) + " marked faulty: " + chainOk.error().message);
    return FetchResult::kTryAnother;
  }
  std::vector<StoredMessage> rows;
  rows.reserve(msgs.size());
  now = clock_.nowMs();  // when they arrived, not when the round began
  for (auto& m : msgs) {
    StoredMessage s;
    s.cluster = cfg_.cluster;
    s.sn = m.msg.sn;
    s.hash = m.hash;
    s.msg = std::move(m.msg);
    s.source = workerName(w);
    s.created_ms = now;
    s.updated_ms = now;
    rows.push_back(std::move(s));
  }
  auto add = store_.addMessages(rows);
  if (!add.ok()) {
    storeFailed(add.error());
    return FetchResult::kDone;
  }
  st.fetched += rows.size();
  source_ = w;
  wstate_[w].behind_until_ms = 0;
  markWorkerDirty(w);
  return FetchResult::kDone;
}

// The order in which workers are asked to sign: those whose last answer was complete and valid
// first, then by latency (25 ms buckets, so that noise does not reorder them), then by index.
std::vector<size_t> Relay::signOrder() const {
  std::vector<size_t> order;
  for (size_t i = 0; i < wstate_.size(); ++i) {
    if (!wstate_[i].excluded) order.push_back(i);
  }
  auto rank = [&](size_t i) {
    const auto& w = wstate_[i];
    int health = w.sign_ok ? 0 : 1;
    if (!w.handshaken) health = 2;
    return std::make_pair(health, static_cast<int64_t>(w.rec.latency_ms_ewma / 25.0));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rank(a) < rank(b); });
  return order;
}

// Recovers every signature of `jobs` (on up to cfg_.verify_threads threads; each job writes only
// its own slot, so the outcome does not depend on the split).
void Relay::recoverAll(std::vector<RecoverJob>& jobs) const {
  parallelFor(jobs.size(), cfg_.verify_threads, 32, [&jobs](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      auto r = recoverMessageSigner(*jobs[i].signature, *jobs[i].hash);
      if (r.ok()) jobs[i].signer = *r;
    }
  });
}

std::vector<StoredMessage> Relay::toSign(int64_t now) {
  std::vector<StoredMessage> ask;
  if (!info_) return ask;
  auto pending =
      store_.messageHeads(cfg_.cluster, {MsgState::kPending}, queue_.next_sn, cfg_.sign_batch);
  if (!pending.ok()) return ask;
  for (auto& m : *pending) {
    if (m.next_attempt_ms <= now) ask.push_back(std::move(m));
  }
  return ask;
}

// Only `threshold` workers first (each extra one costs a signature there and a recovery here);
// the others only for the items that lack a quorum after that. Every probe_interval_ms the first
// chunk goes to every worker, so that one that failed (and went to the back) is seen again when
// it recovers, and its answers stay on record.
Relay::SignTargets Relay::signTargets(int64_t now) {
  SignTargets t;
  t.order = signOrder();
  const uint32_t threshold = info_->threshold;
  const size_t nFirst =
      threshold == 0 ? t.order.size() : std::min<size_t>(threshold, t.order.size());
  t.primary.assign(t.order.begin(), t.order.begin() + static_cast<long>(nFirst));
  if (next_probe_ms_ == 0) next_probe_ms_ = now + cfg_.probe_interval_ms;
  const bool probe = cfg_.probe_interval_ms > 0 && nFirst < t.order.size() && now >= next_probe_ms_;
  if (probe) next_probe_ms_ = now + cfg_.probe_interval_ms;
  t.first = probe ? t.order : t.primary;
  return t;
}

// Asked beyond the threshold (the probe), the call waits for `threshold` answers and a grace as
// long again, not for the slowest worker. Uses only workers_: may run on a SignAhead thread.
Relay::SignedChunk Relay::signChunk(const std::vector<size_t>& targets,
                                    const std::vector<SignItem>& items) {
  SignedChunk out;
  const uint32_t threshold = info_->threshold;
  const size_t enough = threshold > 0 && targets.size() > threshold ? threshold : SIZE_MAX;
  out.responses = workers_.signAll(targets, cfg_.cluster, items, enough);
  for (size_t w : targets) out.latency_ms.push_back(workers_.lastLatencyMs(w));
  return out;
}

// Every signature of the answers recovered (the expensive part, on the verification threads).
// Reads only what does not change during a gathering: may run on a SignAhead thread.
void Relay::recoverChunk(const std::vector<size_t>& targets, const VoteCount& votes,
                         SignedChunk& chunk) const {
  for (size_t t = 0; t < targets.size() && t < chunk.responses.size(); ++t) {
    if (!chunk.responses[t].ok()) continue;
    for (const auto& r : chunk.responses[t]->results) {
      auto k = votes.indexOf(r.sn);
      if (!k || !r.signature) continue;
      chunk.jobs.push_back(RecoverJob{&*r.signature, &votes.item(*k).hash, std::nullopt});
    }
  }
  recoverAll(chunk.jobs);
}

// The answers of `targets` to the items `which`, counted: the votes, each worker's record and
// sign statistics, and the audit trail of what was not a valid signature.
void Relay::tallyChunk(VoteCount& votes, const std::vector<size_t>& targets,
                       const std::vector<size_t>& which, const SignedChunk& chunk,
                       std::vector<SignatureRecord>& audit, int64_t now) {
  votes.asked(which, targets.size());
  size_t job = 0;
  for (size_t t = 0; t < targets.size(); ++t) {
    const size_t w = targets[t];
    auto& ws = sign_stats_[workerName(w)];
    ws.worker = workerName(w);
    ws.sign_requests++;
    if (t >= chunk.responses.size() || !chunk.responses[t].ok()) {
      tallyFailure(votes, w, which,
                   t < chunk.responses.size() ? chunk.responses[t].error()
                                              : makeError("bad_response", "no answer"));
      continue;
    }
    const double ms = t < chunk.latency_ms.size() ? chunk.latency_ms[t] : 0;
    tallyAnswer(votes, w, which, *chunk.responses[t], chunk.jobs, job, ms, audit, now);
  }
}

void Relay::tallyFailure(VoteCount& votes, size_t w, const std::vector<size_t>& which,
                         const Error& e) {
  auto& rec = wstate_[w].rec;
  rec.errors++;
  rec.last_error = e.message;  // names the worker and the method once
  votes.failed(which, workerName(w), e.code);
  if (workerFailureOf(e) == WorkerFailure::kStopped) rec.refused += which.size();
  wstate_[w].sign_ok = false;
  markWorkerDirty(w);
}

// One worker's answer: each item's verdict, then the worker's record (it stays first in the
// sign order only with every item validly signed).
void Relay::tallyAnswer(VoteCount& votes, size_t w, const std::vector<size_t>& which,
                        const SignResponse& answer, const std::vector<RecoverJob>& jobs,
                        size_t& job, double latency_ms, std::vector<SignatureRecord>& audit,
                        int64_t now) {
  auto& rec = wstate_[w].rec;
  auto& ws = sign_stats_[workerName(w)];
  rec.last_seen_ms = now;
  if (latency_ms > 0) {
    ws.latencies_ms.push_back(latency_ms);
    rec.latency_ms_ewma =
        rec.latency_ms_ewma == 0 ? latency_ms : 0.8 * rec.latency_ms_ewma + 0.2 * latency_ms;
  }
  uint64_t valid = 0, invalid = 0, refused = 0;
  for (const auto& r : answer.results) {
    auto k = votes.indexOf(r.sn);
    if (!k) continue;
    SignatureRecord a;
    VoteCount::Verdict verdict =
        r.signature ? votes.signature(*k, workerName(w), jobs[job++].signer, *r.signature, a)
                    : votes.refusal(*k, workerName(w), r, a);
    switch (verdict) {
      case VoteCount::Verdict::kValid:
        valid++;
        continue;
      case VoteCount::Verdict::kInvalid:
        invalid++;
        break;
      case VoteCount::Verdict::kRefused:
        refused++;
        ws.refusals[a.code]++;
        break;
    }
    audit.push_back(std::move(a));
  }
  wstate_[w].sign_ok = invalid == 0 && refused == 0 && valid >= which.size();
  ws.valid += valid;
  ws.invalid += invalid;
  rec.signatures_valid += valid;
  rec.signatures_invalid += invalid;
  rec.refused += refused;
  if (invalid > 0) {
    rec.last_error = std::to_string(invalid) + " invalid signature(s)";
    emit(RelayEvent::Kind::kWorker, "warn",
         "worker " + workerName(w) + " gave " + std::to_string(invalid) +
             " invalid signature(s) for cluster " + cfg_.name);
  }
  markWorkerDirty(w);
}

// Settles the items `which` after their answers: signed (with the first `threshold` distinct
// signatures), retried later (soon when the workers only do not have it yet), or the sign that
// our source diverged: then false, and the messages from there on are dropped and fetched again.
bool Relay::settleChunk(const VoteCount& votes, const std::vector<size_t>& which,
                        const std::vector<StoredMessage>& ask, std::vector<SignatureRecord>& audit,
                        RoundStats& st, int64_t now) {
  std::vector<Store::SignedUpdate> done;
  std::vector<Store::RetryUpdate> retries;
  std::optional<std::pair<uint64_t, std::string>> diverged;  // sn, a worker with the other hash
  for (size_t k : which) {
    if (votes.hasQuorum(k)) {
      done.push_back(Store::SignedUpdate{ask[k].sn, votes.quorum(k)});
      continue;
    }
    if (auto to = votes.divergedTo(k); to && !diverged) diverged.emplace(ask[k].sn, *to);
    const bool notYet = votes.onlyNotYet(k);
    const uint32_t attempts = ask[k].attempts + 1;
    retries.push_back(Store::RetryUpdate{ask[k].sn, MsgState::kPending, attempts,
                                         now + (notYet ? cfg_.backoff_base_ms : backoff(attempts)),
                                         votes.why(k)});
    if (!notYet && ask[k].sn == queue_.next_sn) {
      stuckBecause(votes.othersClaimAnotherHash(k) ? WaitReason::kWorkersDisagree
                                                   : WaitReason::kShortOfSignatures,
                   "fewer than threshold workers agree: " + votes.why(k));
    }
  }
  if (!done.empty()) {
    auto s = store_.markSigned(cfg_.cluster, done, audit, now);
    if (!s.ok()) {
      storeFailed(s.error());
      return false;
    }
    st.signed_now += done.size();
  } else if (!audit.empty()) {
    checked("recordSignatureAnswers", store_.recordSignatureAnswers(audit));
  }
  audit.clear();
  if (!retries.empty()) checked("setRetry", store_.setRetry(cfg_.cluster, retries, now));
  if (!diverged) return true;
  sourceDiverged(diverged->first, diverged->second);
  return false;
}

// The message we hold at `sn` is one nobody else will sign: our source diverged. Its record says
// so, the messages from `sn` on are dropped, and `to` (a worker with the others' hash) becomes
// the source.
void Relay::sourceDiverged(uint64_t sn, const std::string& to) {
  auto m = store_.message(cfg_.cluster, sn);
  std::string source = m.ok() && *m ? (*m)->source : std::string();
  for (size_t i = 0; i < wstate_.size(); ++i) {
    if (workerName(i) == source) {
      wstate_[i].rec.divergences++;
      wstate_[i].rec.diverged_sn = sn;
      if (m.ok() && *m) wstate_[i].rec.diverged_hash = (*m)->hash;
      wstate_[i].rec.last_error =
          "diverged at sn " + std::to_string(sn) + ": its message is signed by nobody";
      markWorkerDirty(i);
    }
    if (workerName(i) == to) source_ = i;
  }
  checked("dropFrom", store_.dropFrom(cfg_.cluster, sn));
  emit(RelayEvent::Kind::kWorker, "warn",
       "worker " + source + " diverged at sn " + std::to_string(sn) + " of cluster " + cfg_.name +
           "; refetching from " + to);
  stuck_detail_.clear();
  reason_ = WaitReason::kMoving;
}

namespace {

std::vector<SignItem> itemsOf(const VoteCount& votes, const std::vector<size_t>& which) {
  std::vector<SignItem> items;
  items.reserve(which.size());
  for (size_t k : which) items.push_back(votes.item(k));
  return items;
}

std::vector<size_t> othersThan(const std::vector<size_t>& order,
                               const std::vector<size_t>& targets) {
  std::vector<size_t> rest;
  for (size_t w : order) {
    if (std::find(targets.begin(), targets.end(), w) == targets.end()) rest.push_back(w);
  }
  return rest;
}

}  // namespace

// A large backlog goes in chunks, pipelined (SignAhead): while the workers sign chunk i + 2 and
// chunk i + 1 is recovered here, this thread counts and stores chunk i and submits what is
// ready, so that the workers, the chain and the hunter overlap.
void Relay::gather(RoundStats& st, int64_t now, std::vector<StoredMessage> ask,
                   const std::function<void()>& meanwhile) {
  if (!info_ || ask.empty()) return;
  std::vector<SignItem> items;
  items.reserve(ask.size());
  for (const auto& m : ask) items.push_back(SignItem{m.sn, m.hash});
  VoteCount votes(cfg_.cluster, std::move(items), info_->threshold, info_->workers);
  const SignTargets targets = signTargets(now);
  const size_t chunk = std::max<size_t>(1, cfg_.sign_chunk);
  constexpr size_t kChunksAhead = 2;
  auto rangeOf = [&](size_t begin) {
    std::vector<size_t> which;
    for (size_t k = begin; k < std::min(ask.size(), begin + chunk); ++k) which.push_back(k);
    return which;
  };
  auto targetsOf = [&](size_t begin) -> const std::vector<size_t>& {
    return begin == 0 ? targets.first : targets.primary;
  };
  SignAhead<SignedChunk> ahead(
      ask.size(), chunk,
      [&](size_t begin) { return signChunk(targetsOf(begin), itemsOf(votes, rangeOf(begin))); },
      [&](size_t begin, SignedChunk& out) { recoverChunk(targetsOf(begin), votes, out); });
  if (meanwhile && ask.size() > chunk) {
    ahead.fill(kChunksAhead);
    meanwhile();  // this thread's chain and store work while the first chunks are signed
  }
  std::vector<SignatureRecord> audit;
  for (size_t begin = 0; begin < ask.size(); begin += chunk) {
    const std::vector<size_t> which = rangeOf(begin);
    SignedChunk got = ahead.take(begin);
    ahead.fill(kChunksAhead);
    tallyChunk(votes, targetsOf(begin), which, got, audit, now);
    const std::vector<size_t> lacking = votes.lacking(which);
    const std::vector<size_t> rest = othersThan(targets.order, targetsOf(begin));
    if (!lacking.empty() && !rest.empty()) {
      ahead.waitSigned();  // the worker client is not shared: after the jobs' signing
      SignedChunk more = signChunk(rest, itemsOf(votes, lacking));
      recoverChunk(rest, votes, more);
      tallyChunk(votes, rest, lacking, more, audit, now);
    }
    if (!settleChunk(votes, which, ask, audit, st, now)) return;  // ~SignAhead waits for its jobs
    if (begin + chunk < ask.size()) submit(st, clock_.nowMs());
  }
}

// payment_queryInfo, remembered for a while per (length, messages): the fee depends on those
// and on the chain's fee multiplier, which moves slowly; the figure is for accounting only.
std::optional<u128> Relay::queryFee(const Bytes& xt, size_t messages, int64_t now) {
  constexpr int64_t kFeeCacheMs = 10'000;
  auto key = std::make_pair(xt.size(), messages);
  if (auto it = fee_cache_.find(key);
      it != fee_cache_.end() && now - it->second.second < kFeeCacheMs) {
    return it->second.first;
  }
  auto fee = chain_.queryFee(xt);
  if (!fee.ok()) return std::nullopt;
  if (fee_cache_.size() >= 256) fee_cache_.clear();
  fee_cache_[key] = {*fee, now};
  return *fee;
}

Result<uint32_t> Relay::nonceFor(AccountPool::Account& acc) {
  if (auto known = accounts_.nextNonce(acc.id)) return *known;
  HUNTER_TRY(uint32_t n, chain_.accountNextIndex(acc.id));
  const uint32_t next = accounts_.nextAfter(acc.id, n);
  accounts_.setNextNonce(acc.id, next);
  return next;
}

void Relay::submit(RoundStats& st, int64_t now) {
  if (!params_ || !info_) return;
  auto open = store_.openSubmissionHeads(cfg_.cluster);
  if (!open.ok()) return;
  size_t inFlight = open->size();
  // The first sn no open submission covers: a released (lost, refused) run below the newest
  // open submission goes first, never behind it (it would leave a gap the chain cannot fill).
  std::vector<std::pair<uint64_t, uint64_t>> covered;
  for (auto& s : *open) covered.emplace_back(s.first_sn, s.last_sn);
  std::sort(covered.begin(), covered.end());
  uint64_t next = chain_next_;
  for (auto& [first, last] : covered) {
    if (first > next) break;
    next = std::max(next, last + 1);
  }

  while (inFlight < cfg_.max_in_flight && submitted_total_ < cfg_.max_submit) {
    size_t want = static_cast<size_t>(
        std::min<uint64_t>(cfg_.batch_size, cfg_.max_submit - submitted_total_));
    auto ready = store_.messages(cfg_.cluster, {MsgState::kSigned}, next, want);
    if (!ready.ok() || ready->empty()) return;
    std::vector<StoredMessage> run;
    size_t bytes = 0;
    bool full = false;  // the run cannot grow: batch_size, the byte cap, or submit's end
    for (auto& m : *ready) {
      if (m.sn != next + run.size() || m.next_attempt_ms > now) break;
      if (m.sn >= cfg_.submit_below_sn) {
        full = true;
        break;
      }
      // An extrinsic of large messages stops short of max_extrinsic_bytes (one at least).
      bytes += m.msg.message.payload.size() + m.msg.message.destination.size() +
               m.signatures.size() * 65 + kMessageOverhead;
      if (!run.empty() && bytes > cfg_.max_extrinsic_bytes) {
        full = true;
        break;
      }
      run.push_back(std::move(m));
    }
    if (run.empty()) return;
    full = full || run.size() >= want;
    for (auto& m : run) {
      auto rules = validateMessageRules(m.msg);
      if (!rules.ok()) {
        stuckBecause(
            WaitReason::kBreaksRules,
            "message breaks the chain's rules and can never be accepted: " + rules.error().message,
            false);
        return;
      }
    }
    // A released run goes back on its own account and nonce (see Slot); others take the next.
    for (auto it = refill_.begin(); it != refill_.end() && it->first < chain_next_;) {
      accounts_.unhold(it->second.account, it->second.nonce);
      it = refill_.erase(it);
    }
    // From here until the transaction is sent or refused, no other relay takes a nonce.
    auto sequence = accounts_.sequence();
    std::optional<Slot> slot;
    if (auto it = refill_.find(run.front().sn); it != refill_.end()) slot = it->second;
    AccountPool::Account* slotAcc = slot ? accounts_.find(slot->account) : nullptr;
    // A released run refills its kept nonce whatever the policy: later nonces wait for it.
    if (!slotAcc && holdForBatch(run, full, now)) return;
    AccountPool::Account* chosen = slotAcc ? slotAcc : accountAboveFloor();
    if (!chosen) return;
    auto& acc = *chosen;
    auto nonce = slotAcc ? Result<uint32_t>(slot->nonce) : nonceFor(acc);
    if (!nonce.ok()) {
      emit(RelayEvent::Kind::kChain, "warn",
           cfg_.name + ": reading the account nonce failed: " + nonce.error().message);
      return;
    }
    const BlockRef at = eraAnchor();
    Era era = Era::mortal(cfg_.era_period, at.number);
    uint64_t birth = era.birth(at.number);
    H256 eraHash = at.hash;
    if (birth != at.number) {
      auto h = chain_.blockHash(static_cast<uint32_t>(birth));
      if (!h.ok()) {
        emit(RelayEvent::Kind::kChain, "warn", cfg_.name + ": " + h.error().message);
        return;
      }
      eraHash = *h;
    }
    ClusterCall call;
    call.batch = run.size() > 1;
    for (auto& m : run) call.items.push_back(SignedClusterMessage{m.msg, m.signatures});
    Bytes callBytes = encodeCall(call);
    TxExtra extra{era, *nonce, cfg_.tip};
    Bytes xt = buildSignedExtrinsic(acc.key, callBytes, extra, *params_, eraHash);

    SubmissionRecord sub;
    sub.cluster = cfg_.cluster;
    sub.tx_hash = txHash(xt);
    sub.account = acc.id;
    sub.nonce = *nonce;
    sub.era_birth = birth;
    sub.era_death = era.death(at.number);
    sub.first_sn = run.front().sn;
    sub.last_sn = run.back().sn;
    auto fee = queryFee(xt, run.size(), now);
    if (!slotAcc && holdUnprofitable(run, full, fee)) return;
    sub.fee = fee.value_or(0) + cfg_.tip;
    sub.fee_known = fee.has_value();
    sub.extrinsic = xt;
    now = clock_.nowMs();  // the moment it is stored and sent
    sub.created_ms = now;
    sub.updated_ms = now;
    auto id = store_.addSubmission(sub);
    if (!id.ok()) {
      storeFailed(id.error());
      return;
    }
    sub.id = *id;
    accounts_.hold(acc.id, *nonce);
    if (slotAcc) refill_.erase(run.front().sn);
    auto r = chain_.submit(xt);
    if (taken(r)) {
      signature_refused_.clear();
      checked("updateSubmission",
              store_.updateSubmission(sub.id, SubmissionStatus::kInPool, "", now));
      if (!slotAcc) accounts_.setNextNonce(acc.id, *nonce + 1);
      st.submitted_txs++;
      st.submitted_msgs += run.size();
      submitted_total_ += run.size();
      inFlight++;
      next = sub.last_sn + 1;
      RelayEvent e;
      e.kind = RelayEvent::Kind::kSubmitted;
      e.first_sn = sub.first_sn;
      e.last_sn = sub.last_sn;
      e.tx_hash = sub.tx_hash;
      e.nonce = sub.nonce;
      e.text = cfg_.name + " submitted " + snRange(sub.first_sn, sub.last_sn) + " tx " +
               toHex(sub.tx_hash) + " account " + crypto::ss58Encode(acc.id) + " nonce " +
               std::to_string(sub.nonce) + " fee " + u128ToString(sub.fee);
      if (sink_) sink_(e);
      continue;
    }
    if (isTransport(r.error())) {
      // Unknown whether it arrived: keep it as `sending` and re-send the same bytes later.
      if (!slotAcc) accounts_.setNextNonce(acc.id, *nonce + 1);
      submitted_total_ += run.size();
      emit(RelayEvent::Kind::kChain, "warn",
           cfg_.name + " " + snRange(sub.first_sn, sub.last_sn) + ": submit failed (" +
               r.error().message + "); will re-send the same extrinsic");
      return;
    }
    if (slotAcc && classify(r.error()).kind != Rejection::kOutdated) {
      refill_[run.front().sn] = *slot;  // the nonce is still ours to fill: keep it
    } else {
      accounts_.unhold(acc.id, *nonce);
    }
    handleSubmitError(sub, acc, r.error(), st, now);
    return;
  }
}

void Relay::holdHead(WaitReason why, std::string detail) {
  held_reason_ = why;
  held_detail_ = std::move(detail);
}

bool Relay::holdForBatch(const std::vector<StoredMessage>& run, bool full, int64_t now) {
  if (full || cfg_.max_batch_delay_ms <= 0) return false;
  const int64_t waited = now - run.front().created_ms;
  if (waited >= cfg_.max_batch_delay_ms) return false;
  holdHead(WaitReason::kBatching, std::to_string(run.size()) + " of up to " +
                                      std::to_string(cfg_.batch_size) + " messages wait " +
                                      std::to_string(cfg_.max_batch_delay_ms - waited) +
                                      " ms more for a fuller batch (fees.max_batch_delay_ms " +
                                      std::to_string(cfg_.max_batch_delay_ms) + ")");
  return true;
}

bool Relay::holdUnprofitable(const std::vector<StoredMessage>& run, bool full,
                             const std::optional<u128>& fee) {
  if (!cfg_.min_profit || !info_) return false;
  const std::string batch =
      snRange(run.front().sn, run.back().sn) + " (" + std::to_string(run.size()) + " message(s))";
  if (!fee) {
    holdHead(WaitReason::kUnprofitable,
             batch + ": the fee could not be estimated (payment_queryInfo), so fees.min_profit " +
                 "cannot be checked; asked again next round");
    return true;
  }
  const u128 total = *fee + cfg_.tip;
  const u128 perMessage = total / run.size();
  const i128 profit = static_cast<i128>(info_->reward_per_message) - static_cast<i128>(perMessage);
  if (profit >= *cfg_.min_profit) return false;
  holdHead(WaitReason::kUnprofitable,
           batch + ": fee " + u128ToString(total) + " (" + u128ToString(perMessage) +
               " a message) against a reward of " + u128ToString(info_->reward_per_message) +
               " a message is below fees.min_profit " + i128ToString(*cfg_.min_profit) +
               (full ? "; a full batch is not enough: not sent" : "; waiting for a fuller batch"));
  return true;
}

AccountPool::Account* Relay::accountAboveFloor() {
  u128 highest = 0;
  for (size_t i = 0; i < accounts_.size(); ++i) {
    auto& a = accounts_.next();
    if (cfg_.min_balance == 0) return &a;
    auto free = accounts_.free(a.id);
    if (!free) {  // not read yet: read it now rather than sign on an unknown balance
      auto info = chain_.account(a.id);
      if (!info.ok()) continue;
      free = *info ? (*info)->data.free : u128{0};
      accounts_.setFree(a.id, *free);
    }
    if (*free >= cfg_.min_balance) return &a;
    highest = std::max(highest, *free);
  }
  holdHead(WaitReason::kBalanceFloor, "every account's free balance is below fees.min_balance " +
                                          u128ToString(cfg_.min_balance) + " (the highest: " +
                                          u128ToString(highest) + "); top one up");
  return nullptr;
}

// A "bad signature": the chain's runtime, asked now, tells an upgrade this relay has not seen
// yet (then signed again at once for the new versions) from a key or chain mismatch that signing
// again cannot fix (then said so, and tried again only every backoff_max_ms).
Relay::BadSignature Relay::whyBadSignature(AccountPool::Account& acc, Store::RetryUpdate& retry,
                                           int64_t now) {
  auto fresh = chain_.params();
  if (!fresh.ok() || !params_) return BadSignature::kChainNotAsked;
  if (fresh->spec_version < params_->spec_version) return BadSignature::kNodeBehind;
  if (fresh->spec_version > params_->spec_version) {
    adoptRuntime(fresh->spec_version, fresh->transaction_version, best_.number, now);
    retry.next_attempt_ms = now;
    return BadSignature::kRuntimeUpgraded;
  }
  signature_refused_ = "the chain refuses the signature of account " + crypto::ss58Encode(acc.id) +
                       " although its runtime (spec " + std::to_string(fresh->spec_version) +
                       ", tx " + std::to_string(fresh->transaction_version) +
                       ") is the one signed for: a key or chain mismatch, not an upgrade; tried "
                       "again every " +
                       std::to_string(cfg_.backoff_max_ms / 1000) + " s";
  emit(RelayEvent::Kind::kChain, "error", cfg_.name + ": " + signature_refused_);
  stuckBecause(WaitReason::kSignatureRefused, signature_refused_, false);
  retry.next_attempt_ms = now + cfg_.backoff_max_ms;
  return BadSignature::kKeyOrChainMismatch;
}

// What a refusal changes before the messages are released (their next try, the accounts'
// nonces, the runtime); false when it is no outcome of the messages (they are signed again).
bool Relay::reactToRefusal(const ChainAnswer& answer, AccountPool::Account& acc,
                           const std::string& data, Store::RetryUpdate& retry, int64_t now) {
  switch (answer.kind) {
    case Rejection::kPriorityTooLow:
      // Another transaction holds this nonce, or another hunter's transaction carries these
      // sns. Re-read the nonce; the ACK will tell whose messages got in.
      accounts_.invalidate(acc.id);
      retry.next_attempt_ms = now + cfg_.backoff_base_ms;
      return false;
    case Rejection::kOutdated:
      accounts_.invalidate(acc.id);
      retry.next_attempt_ms = now + cfg_.backoff_base_ms;
      break;
    case Rejection::kFuture:
      accounts_.invalidate(acc.id);
      break;
    case Rejection::kBadSignature:
      switch (whyBadSignature(acc, retry, now)) {
        case BadSignature::kChainNotAsked:
          params_.reset();  // re-read before the next try
          break;
        case BadSignature::kRuntimeUpgraded:
        case BadSignature::kNodeBehind:
          return false;  // signed again (at once, or after a backoff): not an outcome
        case BadSignature::kKeyOrChainMismatch:
          break;
      }
      break;
    case Rejection::kAncientBirth:
      params_.reset();  // runtime upgrade or wrong genesis: re-read before the next try
      break;
    case Rejection::kCannotPay:
      stuckBecause(WaitReason::kCannotPay,
                   "account " + crypto::ss58Encode(acc.id) + " cannot pay the fee: " + data, false);
      break;
    case Rejection::kCustom:
      if (answer.custom && gatherAgainAfter(*answer.custom)) retry.state = MsgState::kPending;
      break;
    case Rejection::kInvalidOther:
    case Rejection::kBadFormat:
    case Rejection::kPoolFull:
    case Rejection::kOther:
    case Rejection::kAlreadyImported:  // taken() handled it before
    case Rejection::kTransport:        // kept as `sending` before
      break;
  }
  return true;
}

void Relay::handleSubmitError(const SubmissionRecord& sub, AccountPool::Account& acc,
                              const Error& err, RoundStats& st, int64_t now) {
  std::string reason = err.code + ": " + err.message;
  auto attemptsOf = [&]() -> uint32_t {
    auto m = store_.message(cfg_.cluster, sub.first_sn);
    return m.ok() && *m ? (*m)->attempts + 1 : 1;
  };
  uint32_t attempts = attemptsOf();
  Store::RetryUpdate retry{0, MsgState::kSigned, 0, now + backoff(attempts), reason};
  // A rejection outcome row for each message, unless the refusal is one that signing again
  // fixes (an ended era, a runtime upgrade) or another transaction only holds the slot.
  const ChainAnswer answer = classify(err);
  const bool mortality =
      answer.kind == Rejection::kBadSignature || answer.kind == Rejection::kAncientBirth;
  const bool report =
      !(mortality && eraEnded(sub, retry)) && reactToRefusal(answer, acc, err.message, retry, now);
  if (auto r = store_.releaseSubmission(sub.id, SubmissionStatus::kRejected, reason, retry, now);
      !r.ok()) {
    storeFailed(r.error());
  }
  if (report) {
    std::vector<OutcomeRecord> outs;
    for (uint64_t sn = sub.first_sn; sn <= sub.last_sn; ++sn) {
      OutcomeRecord o;
      o.cluster = cfg_.cluster;
      o.sn = sn;
      o.kind = OutcomeKind::kRejected;
      o.reason = reason;
      o.account = acc.id;
      o.submission_id = sub.id;
      o.at_ms = now;
      outs.push_back(o);
    }
    checked("recordOutcomes", store_.recordOutcomes(outs));
    st.rejected += outs.size();
  }
  RelayEvent e;
  e.kind = RelayEvent::Kind::kOutcome;
  e.level = "warn";
  e.first_sn = sub.first_sn;
  e.last_sn = sub.last_sn;
  e.tx_hash = sub.tx_hash;
  e.nonce = sub.nonce;
  e.outcome = "rejected";
  e.count = sub.last_sn - sub.first_sn + 1;
  e.reason = reasonLabel(err);
  e.text = cfg_.name + " " + snRange(sub.first_sn, sub.last_sn) + " rejected (nonce " +
           std::to_string(sub.nonce) + "): " + reason;
  if (sink_) sink_(e);
}

std::vector<WorkerSignStats> Relay::takeWorkerStats() {
  std::vector<WorkerSignStats> out;
  out.reserve(sign_stats_.size());
  for (auto& kv : sign_stats_) out.push_back(std::move(kv.second));
  sign_stats_.clear();
  return out;
}

}  // namespace hunter::core
