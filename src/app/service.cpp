#include "hunter/app/service.hpp"

#include <charconv>
#include <chrono>
#include <thread>

#include "hunter/app/keyfile.hpp"
#include "hunter/app/logging.hpp"
#include "hunter/app/poll_backoff.hpp"
#include "hunter/app/round_scheduler.hpp"
#include "hunter/app/status.hpp"
#include "hunter/crypto/ss58.hpp"

namespace hunter::app {

namespace {
double seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }
}  // namespace

int64_t SystemClock::nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Service::ClusterRuntime {
  ClusterConfig cc;
  std::unique_ptr<adapters::HttpWorkerClient> workers;
  std::unique_ptr<core::Relay> relay;
  bool started = false;
  int64_t retry_at_ms = 0;
  std::string backlog_reason = "moving";  // the reason label of its hunter_backlog_messages
  size_t pruned_unlogged = 0;             // deleted by retention since its last log line
  // Open submissions: first sn -> (last sn, submitted at ms), for the submission latency
  // histogram (its round's thread only).
  std::map<uint64_t, std::pair<uint64_t, int64_t>> sent;
  size_t in_flight = 0;             // open submissions after its last round
  std::optional<PollBackoff> poll;  // set in create()
};

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::create(const Config& config,
                                                 const std::vector<ClusterConfig>& clusters,
                                                 core::EventSink sink) {
  if (config.chain_endpoints.empty()) {
    return makeError("config", config.path + ": chain.endpoints: no chain endpoint configured");
  }
  if (config.key_files.empty()) {
    return makeError("config", config.path + ": hunter.key_files: no hunter key file configured");
  }
  if (clusters.empty() && config.shard.empty()) {
    return makeError("config", config.path + ": no [[clusters]] configured");
  }
  std::unique_ptr<Service> s(new Service());
  if (clusters.empty()) s->idle_reason_ = "idle: shard " + config.shard + " holds no clusters";
  s->cfg_ = config;
  RetentionPacer::Options pace;
  pace.every_ms = std::min<int64_t>(pace.every_ms, config.retention_s * 1000);
  s->pacer_ = RetentionPacer(pace);
  s->sink_ = std::move(sink);
  s->started_ms_ = s->clock_.nowMs();

  std::vector<crypto::SecretKey> keys;
  std::vector<std::optional<crypto::PublicKey>> seen;
  for (size_t i = 0; i < config.key_files.size(); ++i) {
    HUNTER_TRY(auto k, readDistinctKey(config.key_files, i, seen));
    keys.push_back(k);
    seen.emplace_back(k.publicKey());
  }
  s->accounts_ = std::make_unique<core::AccountPool>(std::move(keys));
  s->backlogs_ = std::make_unique<core::BacklogGate>(config.backlog_rounds);

  HUNTER_TRY(auto lock, adapters::WriterLock::acquire(config.database));
  s->lock_.emplace(std::move(lock));
  auto store = adapters::SqliteStore::open(config.database);
  if (!store.ok()) return store.error();
  s->store_ = std::move(store).value();
  if (size_t n = s->store_->restoredFromJournal(); n > 0) {
    logWarn("database " + config.database + " had lost " + std::to_string(n) +
            " submission record(s) (a deleted -wal file?); restored from " + config.database +
            ".journal, and the books are checked against the chain's ACKs");
  }

  adapters::ChainClientOptions copt;
  copt.timeout = std::chrono::milliseconds(config.request_timeout_ms);
  copt.max_response = config.max_response_bytes;
  copt.ca_file = config.ca_file;
  copt.head_check_ms = config.head_check_ms;
  copt.ack_depth = config.ack_depth;
  copt.ack_confirmations = config.ack_confirmations;
  s->chain_ = std::make_unique<adapters::JsonRpcChainClient>(config.chain_endpoints, copt);
  HUNTER_CHECK(s->checkChainIdentity());

  std::vector<H256> ids;
  for (const auto& cc : clusters) ids.push_back(cc.id);
  s->chain_->watch(ids);

  uint64_t seed = static_cast<uint64_t>(s->clock_.nowMs());
  for (const auto& cc : clusters) {
    auto rt = std::make_unique<ClusterRuntime>();
    rt->cc = cc;
    adapters::WorkerClientOptions wopt;
    wopt.timeout = std::chrono::milliseconds(config.request_timeout_ms);
    wopt.max_response = config.max_response_bytes;
    wopt.ca_file = config.ca_file;
    rt->workers = std::make_unique<adapters::HttpWorkerClient>(cc.workers, wopt);
    core::RelayConfig rc;
    rc.cluster = cc.id;
    rc.name = cc.name();
    rc.fetch_limit = config.fetch_limit;
    rc.max_response_bytes = config.max_response_bytes;
    rc.max_pending = config.max_pending;
    rc.batch_size = config.batch_size;
    rc.max_in_flight = config.max_in_flight;
    rc.era_period = config.era_period;
    rc.tip = config.tip;
    rc.backoff_base_ms = config.backoff_base_ms;
    rc.backoff_max_ms = config.backoff_max_ms;
    rc.max_message_age_ms = config.max_message_age_s * 1000;
    rc.lost_after_ms = config.lost_after_s * 1000;
    rc.stuck_after_ms = config.stuck_after_s * 1000;
    rc.min_profit = config.min_profit;
    rc.max_batch_delay_ms = config.max_batch_delay_ms;
    rc.min_balance = config.min_balance;
    Service* svc = s.get();
    ClusterRuntime* runtime = rt.get();
    core::EventSink relaySink = [svc, runtime](const core::RelayEvent& e) {
      svc->onEvent(*runtime, e);
      svc->forward(e);
    };
    rt->poll.emplace(config.poll_interval_ms, config.max_poll_interval_ms,
                     config.idle_after_s * 1000);
    rt->relay = std::make_unique<core::Relay>(rc, *rt->workers, *s->chain_, *s->store_, s->clock_,
                                              *s->accounts_, relaySink, seed++);
    rt->relay->shareBacklogGate(*s->backlogs_);
    s->clusters_.push_back(std::move(rt));
  }
  s->describeMetrics();
  return s;
}

// The database belongs to one chain: its genesis hash is recorded at first use and pinned in the
// chain client (an endpoint of another chain is never used). A database whose chain no reachable
// endpoint serves, or whose chain was reset under it (a block it saw has another hash now), is
// refused: its books are another chain's. An unreachable chain decides nothing here; the client
// checks each endpoint when it first answers.
Status Service::checkChainIdentity() {
  HUNTER_TRY(auto stored, store_->meta("genesis_hash"));
  std::optional<H256> genesis;
  if (stored) {
    auto g = fixedFromHex<32>(*stored, "genesis_hash");
    if (!g.ok())
      return makeError("db", cfg_.database + ": meta genesis_hash: " + g.error().message);
    genesis = *g;
  } else if (auto p = chain_->params(); p.ok()) {
    genesis = p->genesis_hash;
    HUNTER_CHECK(store_->setMeta("genesis_hash", toHex(*genesis)));
  }
  if (!genesis) return okStatus();
  chain_->pinGenesis(*genesis);
  std::string others;
  size_t same = 0;
  for (size_t i = 0; i < chain_->endpoints().size(); ++i) {
    auto g = chain_->genesisOf(i);
    if (!g.ok()) continue;
    if (*g == *genesis) {
      same++;
    } else {
      others += (others.empty() ? "" : ", ") + adapters::redactUrl(chain_->endpoints()[i]) +
                " (genesis " + toHex(*g) + ")";
    }
  }
  const std::string afresh = "; to start afresh against this chain, stop hunter and move " +
                             cfg_.database + " (with its -wal, -shm and .journal files) aside";
  if (same == 0 && !others.empty()) {
    return makeError("wrong_chain", "database " + cfg_.database +
                                        " belongs to the chain with genesis " + toHex(*genesis) +
                                        ", but the chain endpoints answer another: " + others +
                                        afresh);
  }
  if (!others.empty()) logError("chain endpoints on another chain, not used: " + others);
  if (same == 0) return okStatus();
  return checkChainNotReset(afresh);
}

// The block this database saw last time is still the chain's block at that number.
Status Service::checkChainNotReset(const std::string& afresh) {
  HUNTER_TRY(auto seen, store_->meta("checkpoint"));
  auto best = chain_->bestBlock();
  if (!best.ok()) return okStatus();
  if (seen) {
    auto colon = seen->find(':');
    uint64_t number = 0;
    auto hash = fixedFromHex<32>(colon == std::string::npos ? "" : seen->substr(colon + 1), "hash");
    bool parsed = colon != std::string::npos && hash.ok() &&
                  std::from_chars(seen->data(), seen->data() + colon, number).ec == std::errc{};
    if (parsed && number <= best->number) {
      auto now = chain_->blockHash(static_cast<uint32_t>(number));
      if (now.ok() && *now != *hash) {
        return makeError("wrong_chain", "the chain was reset under database " + cfg_.database +
                                            ": block " + std::to_string(number) + " is now " +
                                            toHex(*now) + ", it saw " + toHex(*hash) + afresh);
      }
    } else if (parsed) {
      return makeError("wrong_chain", "the chain was reset under database " + cfg_.database +
                                          ": its best block is " + std::to_string(best->number) +
                                          ", below block " + std::to_string(number) + " it saw" +
                                          afresh);
    }
  }
  return store_->setMeta("checkpoint", std::to_string(best->number) + ":" + toHex(best->hash));
}

Status Service::start() {
  Status first = okStatus();
  int64_t now = clock_.nowMs();
  for (auto& c : clusters_) {
    auto st = c->relay->start();
    if (st.ok()) {
      c->started = true;
      std::lock_guard lock(health_mu_);
      chain_last_ok_ms_ = now;
      continue;
    }
    c->retry_at_ms = now + 2000;
    warn(c->cc.name() + ": not started yet: " + st.error().message);
    if (first.ok()) first = st.error();
  }
  return first;
}

static void sleepInterruptibly(int64_t ms, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(ms, 50)));
  }
}

// The clusters' rounds run on cfg_.cluster_threads threads (RoundScheduler): a cluster with
// more work is due again at once, an idle one after poll_interval_ms. This thread keeps the
// accounts, retention and the summaries of repeated lines.
void Service::run(const std::atomic<bool>& stop) {
  RoundScheduler rounds(clusters_.size(), cfg_.cluster_threads,
                        [this](size_t i) { return clusterRound(*clusters_[i]); });
  rounds.start();
  while (!stop.load()) {
    updateAccounts(clock_.nowMs());
    pruneSettled(clock_.nowMs());
    summariseRepeats();
    sleepInterruptibly(std::min<int64_t>(cfg_.poll_interval_ms, 200), stop);
  }
  rounds.stop();
}

// One round of one cluster (started first, when it is not yet); the ms until its next round.
int64_t Service::clusterRound(ClusterRuntime& c) {
  constexpr int64_t kStartRetryMs = 5000;
  const int64_t now = clock_.nowMs();
  if (!c.started) {
    if (now < c.retry_at_ms) return c.retry_at_ms - now;
    auto st = c.relay->start();
    if (!st.ok()) {
      c.retry_at_ms = now + kStartRetryMs;
      warn(c.cc.name() + ": not started yet: " + st.error().message);
      return kStartRetryMs;
    }
    c.started = true;
    logInfo(c.cc.name() + ": started");
  }
  auto st = c.relay->round();
  const int64_t end = clock_.nowMs();
  afterRound(c, st, end);
  const int64_t delay = c.poll->after(roundOutcome(c, st), end);
  metrics_.set("hunter_poll_interval_seconds", {{"cluster", c.cc.name()}}, seconds(delay));
  return delay;
}

// Idle: the round moved nothing, and nothing waits at the workers, in the chain's pool or on an
// answer (a worker or the chain that did not answer is waited for at the fast rate).
RoundOutcome Service::roundOutcome(const ClusterRuntime& c, const core::RoundStats& st) const {
  if (st.progressed()) return RoundOutcome::kProgressed;
  const bool waiting = st.chain_unreachable || st.workers_unreachable || st.stuck ||
                       c.in_flight > 0 || c.relay->workerNextSn() > c.relay->chainNextSn();
  return waiting ? RoundOutcome::kWaiting : RoundOutcome::kIdle;
}

SubmitReport Service::submitOnce(uint64_t max, bool no_wait, int64_t timeout_ms,
                                 const std::atomic<bool>& stop) {
  SubmitReport rep;
  auto& c = *clusters_.at(0);
  c.relay->setMaxSubmit(max);
  auto st = c.relay->start();
  if (!st.ok()) {
    rep.code = st.error().code == "unknown_cluster" ? kExitStuck : kExitUnreachable;
    rep.lines.push_back(st.error().message);
    return rep;
  }
  int64_t deadline = clock_.nowMs() + timeout_ms;
  bool stuck = false, chainDown = false, workersDown = false;
  std::string stuckWhy;
  std::optional<uint64_t> target;  // the workers' next sn at the first round
  int idleRounds = 0;
  auto count = [&](std::vector<core::MsgState> states, uint64_t below) -> uint64_t {
    auto msgs = store_->messages(c.cc.id, states, 0, 1u << 20);
    if (!msgs.ok()) return 0;
    uint64_t n = 0;
    for (auto& m : *msgs) n += m.sn < below ? 1 : 0;
    return n;
  };
  while (!stop.load()) {
    auto r = c.relay->round();
    chainDown = r.chain_unreachable;
    workersDown = r.workers_unreachable;
    stuck = r.stuck;
    if (stuck) {
      auto cs = store_->clusterStatus(c.cc.id);
      if (cs.ok() && *cs) stuckWhy = (*cs)->detail;
    }
    rep.accepted += r.accepted;
    rep.superseded += r.superseded;
    rep.diverged += r.diverged;
    rep.rejected += r.rejected;
    if (!target && !chainDown) {
      // One round: what the workers had produced when it started, not what comes after.
      target = c.relay->workerNextSn();
      c.relay->setSubmitBelow(*target);
    }
    rep.submitted = c.relay->submittedMessages();
    if (rep.submitted > 0 && no_wait) break;
    uint64_t below = target.value_or(0);
    uint64_t open = count({core::MsgState::kSubmitted}, UINT64_MAX);
    uint64_t waiting = count({core::MsgState::kPending, core::MsgState::kSigned}, below);
    bool budgetSpent = rep.submitted >= max;
    if (open == 0 && (waiting == 0 || budgetSpent)) break;  // done
    if (open == 0 && (stuck || chainDown || workersDown)) break;
    if (r.progressed()) {
      idleRounds = 0;
    } else if (open == 0 && ++idleRounds >= 10) {
      break;  // retries are not getting anywhere; report what is left
    }
    if (clock_.nowMs() >= deadline) {
      rep.lines.push_back("timed out after " + std::to_string(timeout_ms / 1000) +
                          " s waiting for ACKs");
      break;
    }
    if (!r.progressed()) sleepInterruptibly(std::min<int64_t>(cfg_.poll_interval_ms, 500), stop);
  }
  uint64_t resolved = rep.accepted + rep.superseded + rep.diverged;
  if (rep.submitted == 0) {
    if (chainDown) {
      rep.code = kExitUnreachable;
      rep.lines.push_back("the chain could not be reached");
    } else if (workersDown) {
      rep.code = kExitUnreachable;
      rep.lines.push_back("no worker of the cluster could be reached");
    } else if (stuck) {
      rep.code = kExitStuck;
      rep.lines.push_back("stuck: " + stuckWhy);
    } else if (rep.rejected > 0) {
      rep.code = kExitRejected;
    } else if (uint64_t left = max == 0 ? 0
                                        : count({core::MsgState::kPending, core::MsgState::kSigned},
                                                target.value_or(0))) {
      rep.code = kExitStuck;
      rep.lines.push_back("stuck: " + std::to_string(left) + " message(s) could not be submitted" +
                          (stuckWhy.empty() ? "" : ": " + stuckWhy));
    } else {
      rep.lines.push_back("nothing to submit");
    }
    return rep;
  }
  if (no_wait) return rep;
  if (rep.accepted >= rep.submitted && rep.rejected == 0) return rep;
  if (rep.rejected > 0 || rep.superseded > 0 || rep.diverged > 0) {
    rep.code = kExitRejected;
  } else if (chainDown) {
    rep.code = kExitUnreachable;
  } else if (resolved < rep.submitted) {
    rep.code = stuck ? kExitStuck : kExitUnreachable;
  }
  return rep;
}

// ---- metrics and the service API ----------------------------------------------------------

namespace {

// Bounded label values: a rejection reason or refusal code from the chain or a worker is kept
// only when short and printable, otherwise it becomes "other".
std::string boundedLabel(const std::string& v) {
  if (v.empty()) return "unknown";
  if (v.size() > 64) return "other";
  for (char ch : v) {
    if (ch < 0x20 || ch > 0x7e) return "other";
  }
  return v;
}

}  // namespace

void describeServiceMetrics(MetricsRegistry& m) {
  using T = MetricType;
  const std::vector<double> latency = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  const std::vector<double> inclusion = {0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600};
  m.describe("hunter_backlog_messages", T::kGauge,
             "Messages the workers hold that the chain has not taken yet (the workers' agreed next "
             "sn - the chain's next sn), per cluster and the reason they wait.");
  m.describe("hunter_cluster_stuck", T::kGauge,
             "1 while the cluster's head sn is not moving although the workers are ahead (for at "
             "least stuck_after_s), or the cluster is dead or cannot be relayed; else 0.");
  m.describe("hunter_runtime_spec_version", T::kGauge,
             "The chain runtime's spec_version hunter signs with.");
  m.describe("hunter_runtime_transaction_version", T::kGauge,
             "The chain runtime's transaction_version hunter signs with.");
  m.describe("hunter_oldest_pending_age_seconds", T::kGauge,
             "Age of the oldest message not yet final (pending, signed or submitted), per "
             "cluster; 0 when none.");
  m.describe("hunter_poll_interval_seconds", T::kGauge,
             "The wait before the cluster's next round: 0 while it has work, "
             "hunter.poll_interval_ms while work is in progress, backing off up to "
             "hunter.max_poll_interval_ms when idle for hunter.idle_after_s.");
  m.describe("hunter_pruned_messages_total", T::kCounter,
             "Settled messages deleted by retention (hunter.retention_s), per cluster.");
  m.describe("hunter_store_errors_total", T::kCounter,
             "Store (database) calls of the relay that failed, per cluster and operation.");
  m.describe("hunter_outcomes_total", T::kCounter,
             "Messages per final outcome seen by this process (accepted, superseded, diverged, "
             "rejected, dead), per cluster.");
  m.describe("hunter_rejections_total", T::kCounter,
             "Messages rejected by the chain, per cluster and reason (the 1010 data string or the "
             "JSON-RPC error code).");
  m.describe("hunter_submissions_in_flight", T::kGauge,
             "Extrinsics of the cluster sent and not yet included or released.");
  m.describe("hunter_submitted_messages_total", T::kCounter,
             "Messages submitted to the chain (every submission, including resubmissions).");
  m.describe("hunter_extrinsics_submitted_total", T::kCounter,
             "Extrinsics the chain took into its pool.");
  m.describe("hunter_worker_sign_requests_total", T::kCounter,
             "SignClusterMessages calls sent to a worker.");
  m.describe("hunter_worker_signatures_valid_total", T::kCounter,
             "Valid signatures from a registered worker key.");
  m.describe("hunter_worker_signatures_invalid_total", T::kCounter,
             "Signatures that do not recover to a registered worker key.");
  m.describe("hunter_worker_refusals_total", T::kCounter,
             "Sign items a worker refused, per code (unknown_sn, diverged, ...).");
  m.describe("hunter_worker_latency_seconds", T::kHistogram,
             "Duration of answered SignClusterMessages calls.", latency);
  m.describe("hunter_account_nonce", T::kGauge, "The account's nonce on the chain.");
  m.describe("hunter_account_free_balance", T::kGauge,
             "The account's free balance in planck (a float: precise to 2^53).");
  m.describe("hunter_account_fees_total", T::kCounter,
             "Fees paid by the account for recorded outcomes, in planck (from the database).");
  m.describe("hunter_account_rewards_total", T::kCounter,
             "Rewards of the account's accepted messages, in planck (from the database).");
  m.describe("hunter_rpc_requests_total", T::kCounter,
             "HTTP requests sent to the chain endpoint (a JSON-RPC batch counts once).");
  m.describe("hunter_rpc_errors_total", T::kCounter,
             "Chain JSON-RPC failures (transport, error objects, bad responses) per endpoint and "
             "method.");
  m.describe("hunter_submission_latency_seconds", T::kHistogram,
             "Time from submitting an extrinsic to the round that saw its messages accepted.",
             inclusion);
  m.describe("hunter_last_progress_timestamp_seconds", T::kGauge,
             "Unix time of the last round that fetched, signed, submitted or resolved something.");
  m.describe("hunter_chain_last_ok_timestamp_seconds", T::kGauge,
             "Unix time of the last round whose chain reads succeeded.");
}

void Service::describeMetrics() {
  auto& m = metrics_;
  describeServiceMetrics(m);
  for (auto& c : clusters_) {
    const std::string n = c->cc.name();
    for (const char* o : {"accepted", "superseded", "diverged", "rejected", "dead"}) {
      m.add("hunter_outcomes_total", {{"cluster", n}, {"outcome", o}}, 0);
    }
    m.set("hunter_backlog_messages", {{"cluster", n}, {"reason", "moving"}}, 0);
    m.set("hunter_cluster_stuck", {{"cluster", n}}, 0);
    m.set("hunter_oldest_pending_age_seconds", {{"cluster", n}}, 0);
    m.set("hunter_submissions_in_flight", {{"cluster", n}}, 0);
    m.add("hunter_submitted_messages_total", {{"cluster", n}}, 0);
    m.add("hunter_extrinsics_submitted_total", {{"cluster", n}}, 0);
  }
}

void Service::forward(core::RelayEvent e) {
  if (!sink_) return;
  using K = core::RelayEvent::Kind;
  const bool report = e.kind == K::kSubmitted || e.kind == K::kOutcome;  // each one counts
  if (!report && (e.level == "warn" || e.level == "error")) {
    auto line = repeats_.admit(e.text, clock_.nowMs(), e.level);
    if (!line) return;
    e.text = *line;
  }
  sink_(e);
}

void Service::warn(const std::string& text) {
  core::RelayEvent e;
  e.level = "warn";
  e.text = text;
  if (sink_) {
    forward(e);
  } else if (auto line = repeats_.admit(text, clock_.nowMs())) {
    logWarn(*line);
  }
}

void Service::summariseRepeats() {
  for (auto& line : repeats_.due(clock_.nowMs())) {
    core::RelayEvent e;
    e.level = std::move(line.level);
    e.text = std::move(line.text);
    if (sink_) {
      sink_(e);
    } else {
      logAt(e.level, e.text);
    }
  }
}

void Service::onEvent(ClusterRuntime& c, const core::RelayEvent& e) {
  using K = core::RelayEvent::Kind;
  int64_t now = clock_.nowMs();
  const std::string cluster = c.cc.name();
  auto& sent = c.sent;
  if (e.kind == K::kSubmitted) {
    double n = static_cast<double>(e.last_sn - e.first_sn + 1);
    metrics_.add("hunter_submitted_messages_total", {{"cluster", cluster}}, n);
    metrics_.add("hunter_extrinsics_submitted_total", {{"cluster", cluster}}, 1);
    sent[e.first_sn] = {e.last_sn, now};
    while (sent.size() > 100'000) sent.erase(sent.begin());
    return;
  }
  if (e.kind == K::kStore) {
    metrics_.add("hunter_store_errors_total",
                 {{"cluster", cluster}, {"op", boundedLabel(e.reason)}}, 1);
    return;
  }
  if (e.kind != K::kOutcome || e.outcome.empty()) return;
  double n = static_cast<double>(e.count ? e.count : e.last_sn - e.first_sn + 1);
  metrics_.add("hunter_outcomes_total", {{"cluster", cluster}, {"outcome", e.outcome}}, n);
  if (e.outcome == "rejected") {
    metrics_.add("hunter_rejections_total",
                 {{"cluster", cluster}, {"reason", boundedLabel(e.reason)}}, n);
  }
  if (e.outcome == "accepted") {
    std::lock_guard lock(health_mu_);
    last_accept_ms_ = now;
  }
  // Submissions whose sns this outcome covers are done.
  for (auto it = sent.begin(); it != sent.end();) {
    if (it->first <= e.last_sn && it->second.first >= e.first_sn) {
      if (e.outcome == "accepted") {
        metrics_.observe("hunter_submission_latency_seconds", {}, seconds(now - it->second.second));
      }
      it = sent.erase(it);
    } else {
      ++it;
    }
  }
}

void Service::afterRound(ClusterRuntime& c, const core::RoundStats& st, int64_t now) {
  const std::string n = c.cc.name();
  const MetricLabels cl = {{"cluster", n}};
  if (st.progressed()) metrics_.set("hunter_last_progress_timestamp_seconds", {}, seconds(now));
  uint64_t w = c.relay->workerNextSn(), ch = c.relay->chainNextSn();
  uint64_t backlog = w > ch ? w - ch : 0;
  const std::string reason(core::label(c.relay->reason()));
  const bool stalled = c.relay->stalled(now);
  if (!st.chain_unreachable) {
    metrics_.set("hunter_chain_last_ok_timestamp_seconds", {}, seconds(now));
  }
  if (reason != c.backlog_reason) {
    metrics_.remove("hunter_backlog_messages", {{"cluster", n}, {"reason", c.backlog_reason}});
    c.backlog_reason = reason;
  }
  metrics_.set("hunter_backlog_messages", {{"cluster", n}, {"reason", reason}},
               static_cast<double>(backlog));
  metrics_.set("hunter_cluster_stuck", cl, stalled ? 1 : 0);
  if (const auto& p = c.relay->chainParams()) {
    metrics_.set("hunter_runtime_spec_version", {}, p->spec_version);
    metrics_.set("hunter_runtime_transaction_version", {}, p->transaction_version);
  }
  {
    std::lock_guard lock(health_mu_);
    if (!st.chain_unreachable) {
      chain_last_ok_ms_ = now;
      backlog_[n] = backlog;
    }
    if (st.stuck) {
      stuck_[n] = n + ": " + c.relay->stuckDetail();
    } else if (!st.chain_unreachable) {
      stuck_.erase(n);
    }
    if (stalled) {
      stalled_[n] = StalledCluster{n, reason, c.relay->statusDetail()};
    } else {
      stalled_.erase(n);
    }
  }
  auto oldest = store_->messageHeads(
      c.cc.id, {core::MsgState::kPending, core::MsgState::kSigned, core::MsgState::kSubmitted}, 0,
      1);
  if (oldest.ok()) {
    double age =
        oldest->empty() ? 0 : seconds(std::max<int64_t>(0, now - oldest->front().created_ms));
    metrics_.set("hunter_oldest_pending_age_seconds", cl, age);
  }
  if (auto open = store_->openSubmissionHeads(c.cc.id); open.ok()) {
    c.in_flight = open->size();
    metrics_.set("hunter_submissions_in_flight", cl, static_cast<double>(open->size()));
  }
  for (auto& ws : c.relay->takeWorkerStats()) {
    MetricLabels wl = {{"cluster", n}, {"worker", ws.worker}};
    metrics_.add("hunter_worker_sign_requests_total", wl, static_cast<double>(ws.sign_requests));
    metrics_.add("hunter_worker_signatures_valid_total", wl, static_cast<double>(ws.valid));
    metrics_.add("hunter_worker_signatures_invalid_total", wl, static_cast<double>(ws.invalid));
    for (auto& [code, count] : ws.refusals) {
      metrics_.add("hunter_worker_refusals_total",
                   {{"cluster", n}, {"worker", ws.worker}, {"code", boundedLabel(code)}},
                   static_cast<double>(count));
    }
    for (double ms : ws.latencies_ms) {
      metrics_.observe("hunter_worker_latency_seconds", wl, ms / 1000.0);
    }
  }
}

// Retention: each cluster's settled messages older than retention_s are deleted in small
// transactions, paced by RetentionPacer (a pass every minute, or every second while behind, each
// about 200 ms at most). Only below the audited mark and the chain's next sn: nothing the audit or
// an ACK may still need. Logged per cluster once a minute while behind, and when caught up.
void Service::pruneSettled(int64_t now) {
  if (cfg_.retention_s == 0 || !pacer_.due(now)) return;
  const int64_t cutoff = now - cfg_.retention_s * 1000;
  std::vector<uint64_t> below;
  for (const auto& c : clusters_) below.push_back(pruneBelow(c->cc.id));
  auto pass = pacer_.run(clusters_.size(), clock_, [&](size_t i, size_t max) -> Result<size_t> {
    if (below[i] == 0) return size_t{0};
    return store_->pruneSettled(clusters_[i]->cc.id, below[i], cutoff, max);
  });
  for (const auto& [i, message] : pass.errors) {
    warn(clusters_[i]->cc.name() + ": retention: " + message);
  }
  const bool log_now = !pass.behind || now - pruned_logged_ms_ >= 60'000;
  if (log_now) pruned_logged_ms_ = now;
  for (size_t i = 0; i < clusters_.size(); ++i) {
    auto& c = *clusters_[i];
    if (pass.pruned[i] > 0) {
      metrics_.add("hunter_pruned_messages_total", {{"cluster", c.cc.name()}},
                   static_cast<double>(pass.pruned[i]));
    }
    c.pruned_unlogged += pass.pruned[i];
    if (!log_now || c.pruned_unlogged == 0) continue;
    logInfo(c.cc.name() + ": retention: deleted " + std::to_string(c.pruned_unlogged) +
            " settled message(s) older than " + std::to_string(cfg_.retention_s) +
            " s (their rewards and fees are kept as totals)" +
            (pass.behind ? "; more to delete, going on" : ""));
    c.pruned_unlogged = 0;
  }
}

// Retention may delete below the lower of the audited mark and the chain's next sn (0: nothing).
uint64_t Service::pruneBelow(const H256& cluster) {
  auto mark = store_->meta(core::auditedBelowKey(cluster));
  auto status = store_->clusterStatus(cluster);
  if (!mark.ok() || !*mark || !status.ok() || !*status) return 0;
  return std::min(core::metaSn(*mark, 0), (*status)->chain_next_sn);
}

void Service::updateAccounts(int64_t now) {
  for (const auto& ep : chain_->stats().endpoints) {
    metrics_.set("hunter_rpc_requests_total", {{"endpoint", ep.url}},
                 static_cast<double>(ep.requests));
    for (const auto& [method, count] : ep.errors_by_method) {
      metrics_.set("hunter_rpc_errors_total", {{"endpoint", ep.url}, {"method", method}},
                   static_cast<double>(count));
    }
  }
  // Balances need chain calls: at most every 10 s, and not while the chain is failing.
  if (now - accounts_at_ms_ < 10'000) return;
  accounts_at_ms_ = now;
  {
    std::lock_guard lock(health_mu_);
    if (chain_last_ok_ms_ == 0 || now - chain_last_ok_ms_ > 10'000) return;
  }
  for (const auto& id : accounts_->ids()) {
    MetricLabels al = {{"account", crypto::ss58Encode(id)}};
    auto info = chain_->account(id);
    if (!info.ok()) break;
    double nonce = *info ? static_cast<double>((*info)->nonce) : 0;
    double free = *info ? static_cast<double>((*info)->data.free) : 0;
    metrics_.set("hunter_account_nonce", al, nonce);
    metrics_.set("hunter_account_free_balance", al, free);
    accounts_->setFree(id, *info ? (*info)->data.free : u128{0});
  }
  auto sums = store_->rewardsSummary(std::nullopt);
  if (!sums.ok()) return;
  std::map<crypto::AccountId32, std::pair<u128, u128>> per;  // fees, rewards
  for (const auto& id : accounts_->ids()) per[id] = {0, 0};
  for (const auto& r : *sums) {
    auto it = per.find(r.account);
    if (it == per.end()) continue;
    it->second.first += r.fee;
    it->second.second += r.reward;
  }
  for (const auto& [id, fr] : per) {
    MetricLabels al = {{"account", crypto::ss58Encode(id)}};
    metrics_.set("hunter_account_fees_total", al, static_cast<double>(fr.first));
    metrics_.set("hunter_account_rewards_total", al, static_cast<double>(fr.second));
  }
}

HealthVerdict Service::health() {
  if (clusters_.empty()) return HealthVerdict{true, idle_reason_, {}};
  HealthInput in;
  in.now_ms = clock_.nowMs();
  in.chain_stale_ms = chainStaleSeconds(cfg_) * 1000;
  in.progress_timeout_ms = cfg_.progress_timeout_s * 1000;
  std::lock_guard lock(health_mu_);
  in.started_ms = started_ms_;
  in.chain_last_ok_ms = chain_last_ok_ms_;
  in.last_accept_ms = last_accept_ms_;
  for (auto& [n, b] : backlog_) in.backlog += b;
  for (auto& [n, d] : stuck_) in.stuck.push_back(d);
  for (auto& [n, sc] : stalled_) in.stalled.push_back(sc);
  return evaluateHealth(in);
}

adapters::ServerResponse Service::handleApi(const adapters::ServerRequest& req) {
  adapters::ServerResponse r;
  auto jsonError = [&](int status, const std::string& msg) {
    r.status = status;
    r.body = nlohmann::json{{"error", msg}}.dump();
  };
  if (req.method != "GET") {
    jsonError(405, "only GET is served");
    return r;
  }
  if (req.path == "/healthz") {
    auto v = health();
    nlohmann::json j;
    {
      std::lock_guard lock(health_mu_);
      uint64_t backlog = 0;
      for (auto& [n, b] : backlog_) backlog += b;
      j["backlog"] = backlog;
      j["chain_last_ok_ms"] = chain_last_ok_ms_;
      j["last_accept_ms"] = last_accept_ms_;
    }
    j["status"] = v.ok ? "ok" : "unhealthy";
    if (!v.reason.empty()) j["reason"] = v.reason;
    j["unhealthy"] = nlohmann::json::array();
    for (const auto& sc : v.stalled) {
      j["unhealthy"].push_back(
          {{"cluster", sc.cluster}, {"reason", sc.reason}, {"detail", sc.detail}});
    }
    r.status = v.ok ? 200 : 503;
    r.body = j.dump();
    return r;
  }
  if (req.path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.render();
    return r;
  }
  if (req.path == "/" || req.path == "/index.html") {
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(statusPageHtml());
    return r;
  }
  std::vector<ClusterConfig> ccs;
  for (auto& c : clusters_) ccs.push_back(c->cc);
  Result<nlohmann::json> j = makeError("api", "");
  if (req.path == "/status") {
    j = statusJson(cfg_, ccs, false);
  } else if (req.path == "/workers") {
    j = workersJson(cfg_, ccs);
  } else if (req.path == "/rewards") {
    j = rewardsJson(cfg_, ccs, true);
  } else {
    jsonError(404, "no such endpoint: " + req.path +
                       " (try /, /healthz, /metrics, /status, /workers, /rewards)");
    return r;
  }
  if (!j.ok()) {
    jsonError(503, j.error().message);
    return r;
  }
  r.body = j->dump();
  return r;
}

Result<std::string> Service::startApi(const std::string& listen) {
  HUNTER_TRY(auto addr, parseListen(listen.empty() ? cfg_.api_listen : listen));
  adapters::ServerLimits limits;  // 16 KiB heads, 64 KiB bodies, 64 connections, 10 s a request
  auto server = adapters::HttpServer::startBounded(
      addr.host, addr.port, [this](const adapters::ServerRequest& req) { return handleApi(req); },
      limits);
  if (!server.ok()) {
    return makeError("api", "cannot listen on " + addr.host + ":" + std::to_string(addr.port) +
                                ": " + server.error().message);
  }
  api_ = std::move(server).value();
  return api_->baseUrl();
}

}  // namespace hunter::app
